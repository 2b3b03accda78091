#!/usr/bin/env python3
"""Draw labelled placeholder photos for every [[photo]] in a project's captions.toml.

The sample publication's original photos were never supplied. Rather than ship stock images
that a reader could mistake for the real ones, each photo is a flat grey-blue card that says
in Chinese and Latin that it is a stand-in, and repeats its caption so a proof reader can see
which picture belongs where.

Usage (from the repository root; writes manuscript/<file> for each photo)::

    .venv/bin/python scripts/make_placeholders.py [--project DIR]

Output is deterministic — no timestamps, no randomness, no EXIF — so rerunning the script on
the same machine rewrites identical bytes and git sees no change. ``make_placeholder`` is
importable (bench/bench_build.py uses it to fill generated projects with photos).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tomllib
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parents[1]

# 1800 × 1200 px at 300 dpi is 152 mm wide: close to a full text-block width in print, so the
# builder's resolution checks see a plausible photo rather than a thumbnail.
DEFAULT_SIZE = (1800, 1200)
DPI = (300, 300)
LABEL = "示意图 · 原图未提供"
LATIN_LABEL = "PLACEHOLDER"

# A calm palette: light grey-blue card, slate text. Few colours and no gradients keep the
# JPEG small (flat areas compress to almost nothing).
BACKGROUND = (220, 227, 234)
FRAME = (170, 182, 195)
LABEL_COLOUR = (52, 66, 84)
CAPTION_COLOUR = (40, 50, 64)
MUTED = (110, 122, 138)

FONT_FAMILY = "Noto Sans CJK SC"


@lru_cache(maxsize=1)
def cjk_font() -> tuple[str, int]:
    """(file, face index) of a Simplified Chinese sans font, found through fontconfig.

    fc-match always answers with *some* font, so the family it reports is checked: drawing
    the label with a Latin-only fallback would produce boxes instead of Chinese.
    """
    if shutil.which("fc-match") is None:
        raise RuntimeError("fc-match not found: install fontconfig and fonts-noto-cjk")
    result = subprocess.run(
        ["fc-match", "-f", "%{file}|%{index}|%{family}", FONT_FAMILY],
        capture_output=True, text=True, check=True,
    )
    file, index, family = result.stdout.split("|", 2)
    if "CJK" not in family and "Source Han" not in family:
        raise RuntimeError(f"no CJK font for {FONT_FAMILY!r} (fontconfig offered {family!r}); "
                           "install fonts-noto-cjk")
    return file, int(index or 0)


@lru_cache(maxsize=32)
def _font(size: int) -> ImageFont.FreeTypeFont:
    file, index = cjk_font()
    # .ttc collections hold several faces; the index selects the SC one.
    return ImageFont.truetype(file, size, index=index)


def _wrap(text: str, font: ImageFont.FreeTypeFont, width: float) -> list[str]:
    """Break *text* into lines no wider than *width*, character by character.

    Chinese has no spaces to break at, and captions are short, so greedy per-character
    breaking is enough; it never leaves a closing punctuation mark at a line start.
    """
    lines: list[str] = []
    line = ""
    for char in text:
        if line and font.getlength(line + char) > width:
            if char in "，。、；：？！,.;:?!”’）》":
                # Keep the mark with its line (禁则): it may overhang a little.
                line += char
                continue
            lines.append(line)
            line = ""
        line += char
    if line:
        lines.append(line)
    return lines


def _centred(draw: ImageDraw.ImageDraw, y: float, text: str, font, fill, width: int,
             spacing: float = 0) -> float:
    """Draw *text* centred horizontally with its top at *y*; return the y below it."""
    if spacing:
        # Letter-spaced Latin: draw glyph by glyph so the tracking is exact.
        advances = [font.getlength(c) for c in text]
        total = sum(advances) + spacing * (len(text) - 1)
        x = (width - total) / 2
        for char, advance in zip(text, advances):
            draw.text((x, y), char, font=font, fill=fill)
            x += advance + spacing
    else:
        draw.text(((width - font.getlength(text)) / 2, y), text, font=font, fill=fill)
    ascent, descent = font.getmetrics()
    return y + ascent + descent


def _pictogram(draw: ImageDraw.ImageDraw, cx: float, cy: float, w: float) -> None:
    """The generic "picture" sign — a frame with a sun and two hills — in outline."""
    h = w * 0.68
    stroke = max(2, round(w / 40))
    left, top, right, bottom = cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2
    draw.rounded_rectangle((left, top, right, bottom), radius=w / 14, outline=FRAME, width=stroke)
    r = w * 0.08
    sx, sy = left + w * 0.3, top + h * 0.32
    draw.ellipse((sx - r, sy - r, sx + r, sy + r), fill=FRAME)
    base = bottom - stroke * 2
    draw.polygon([(left + w * 0.12, base), (left + w * 0.42, top + h * 0.45),
                  (left + w * 0.62, base)], fill=FRAME)
    draw.polygon([(left + w * 0.42, base), (left + w * 0.68, top + h * 0.36),
                  (right - w * 0.1, base)], fill=FRAME)


def make_placeholder(path: Path | str, title: str, subtitle: str = "",
                     size: tuple[int, int] = DEFAULT_SIZE) -> Path:
    """Write a placeholder JPEG to *path* and return the path.

    *title* is the main text under the label (a photo's caption); *subtitle* a small line
    beneath it (e.g. the file name, so an editor knows which file to replace). Every length
    is proportional to the width, so a 1200 × 800 card looks like a 1800 × 1200 one.
    """
    width, height = size
    unit = width / 100  # 1 % of the width
    image = Image.new("RGB", size, BACKGROUND)
    draw = ImageDraw.Draw(image)

    inset = round(unit * 2.2)
    draw.rectangle((inset, inset, width - inset, height - inset),
                   outline=FRAME, width=max(2, round(unit / 4)))

    _pictogram(draw, width / 2, height * 0.27, width * 0.16)

    y = height * 0.45
    y = _centred(draw, y, LABEL, _font(round(unit * 5.6)), LABEL_COLOUR, width)

    y += unit * 2.2
    caption_font = _font(round(unit * 3.4))
    for line in _wrap(title, caption_font, width * 0.78)[:3]:  # a card, not a page
        y = _centred(draw, y, line, caption_font, CAPTION_COLOUR, width)
    if subtitle:
        y += unit * 0.8
        _centred(draw, y, subtitle, _font(round(unit * 2.0)), MUTED, width)

    latin_font = _font(round(unit * 2.4))
    ascent, descent = latin_font.getmetrics()
    _centred(draw, height - inset - unit * 2.5 - ascent - descent, LATIN_LABEL, latin_font,
             MUTED, width, spacing=unit * 0.9)

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # No exif= argument and a fixed dpi: the JFIF header is all the metadata, and it is the
    # same on every run. optimize=True makes Huffman tables per image, also deterministic.
    image.save(path, "JPEG", quality=70, optimize=True, dpi=DPI)
    return path


def make_project_placeholders(project: Path) -> list[Path]:
    """Draw the placeholder for every [[photo]] of *project*'s manuscript/captions.toml."""
    manuscript = project / "manuscript"
    with (manuscript / "captions.toml").open("rb") as f:
        photos = tomllib.load(f).get("photo", [])
    written = []
    for photo in photos:
        target = (manuscript / photo["file"]).resolve()
        if not target.is_relative_to(manuscript.resolve()):
            raise SystemExit(f"refusing to write outside manuscript/: {photo['file']}")
        written.append(make_placeholder(target, photo["caption"], photo["file"]))
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--project", type=Path, default=ROOT,
                        help="book project folder (default: the repository root)")
    args = parser.parse_args(argv)
    for path in make_project_placeholders(args.project):
        print(f"{path.relative_to(args.project.resolve())}  {path.stat().st_size / 1024:.1f} KiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
