"""Reading a written PDF as a reader sees it: its lines of glyphs, with where they start and end
(pdfplumber, i.e. pdfminer.six), for tests that measure the product rather than the page tree."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pdfplumber

MM = 72 / 25.4


@dataclass(frozen=True)
class DrawnLine:
    page: int  # 1-based
    baseline: float  # points from the top of the page
    x0: float
    x1: float
    size: float
    text: str


def drawn_lines(pdf: Path, page_numbers: list[int] | None = None) -> list[DrawnLine]:
    """Every line of glyphs of *pdf* (or of its pages *page_numbers*), grouped by baseline,
    top to bottom, page by page."""
    lines = []
    with pdfplumber.open(pdf) as document:
        for number, page in enumerate(document.pages, start=1):
            if page_numbers and number not in page_numbers:
                continue
            by_baseline: dict[float, list[dict]] = {}
            for char in page.chars:
                by_baseline.setdefault(round(float(page.height) - char["matrix"][5], 1),
                                       []).append(char)
            for baseline in sorted(by_baseline):
                chars = sorted(by_baseline[baseline], key=lambda c: c["x0"])
                lines.append(DrawnLine(number, baseline, chars[0]["x0"], chars[-1]["x1"],
                                       max(c["size"] for c in chars),
                                       "".join(c["text"] for c in chars)))
    return lines
