"""Make the page images of docs/print.md from the sample publication.

Builds the sample's reading PDF and press PDF into a scratch folder, finds the pages by their
text (so the images follow the book when it changes), and renders them with pdftoppm:

    .venv/bin/python scripts/print_figures.py [--dpi 50]

Pages: the title page, the copyright page, the table of contents, a section's opening page, a
page with a photo, a blank verso (reading copy), and one press page with its bleed and crop
marks, with its top-left corner enlarged.
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "docs" / "img"


def page_texts(pdf: Path) -> list[str]:
    count = int(next(line.split()[-1] for line in subprocess.run(
        ["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout.splitlines()
        if line.startswith("Pages:")))
    return [subprocess.run(["pdftotext", "-f", str(n), "-l", str(n), str(pdf), "-"],
                           capture_output=True, text=True, check=True).stdout
            for n in range(1, count + 1)]


def render(pdf: Path, page: int, name: str, dpi: int, crop: int | None = None) -> None:
    """Page *page* of *pdf* as docs/img/<name>.png; with *crop*, only that many pixels
    square from the top-left corner (where the crop marks are)."""
    stem = OUTPUT / name
    region = ["-x", "0", "-y", "0", "-W", str(crop), "-H", str(crop)] if crop else []
    subprocess.run(["pdftoppm", "-png", "-r", str(dpi), "-singlefile", "-f", str(page),
                    "-l", str(page), *region, str(pdf), str(stem)], check=True)
    print(f"{stem.relative_to(ROOT)}.png: page {page} of {pdf.name}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dpi", type=int, default=50)
    args = parser.parse_args()
    from luoshu.build.stages import build_book

    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch)
        build_book(ROOT, out, formats=["pdf", "pdf-press"])
        reading, press = out / "book.pdf", out / "book-press.pdf"
        texts = page_texts(reading)
        find = lambda test: next(n for n, text in enumerate(texts, 1) if test(text))  # noqa: E731
        toc = find(lambda text: text.startswith("目录"))
        opening = find(lambda text: text.startswith("导语"))
        photo = find(lambda text: "孟津港航中心码头建成" in text)
        blank = find(lambda text: n_after(texts, text, toc))
        render(reading, 1, "print-title-page", args.dpi)
        render(reading, 2, "print-copyright-page", args.dpi)
        render(reading, toc, "print-contents", args.dpi)
        render(reading, opening, "print-opening", args.dpi)
        render(reading, photo, "print-photo", args.dpi)
        render(reading, blank, "print-blank-verso", args.dpi)
        render(press, opening, "print-press-opening", args.dpi)
        render(press, opening, "print-press-corner", 100, crop=260)


def n_after(texts: list[str], text: str, toc: int) -> bool:
    """The first page after the contents with no text at all (a blank verso)."""
    return not text.strip() and texts.index(text) + 1 > toc


if __name__ == "__main__":
    main()
