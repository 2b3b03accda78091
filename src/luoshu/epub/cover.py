"""A typeset cover for books whose project supplies none: metadata set in the house fonts.

The composition is that of a plain Chinese trade cover: a solid ground in one of a few
traditional colours (朱红, 黛蓝, 墨绿, 赭石, 月白), chosen from a hash of the title so a book keeps
its colour from build to build, with paper-white or ink-black text, whichever contrasts more;
a thick-and-thin frame (文武线); the title centred in the upper part in the heading role's bold
face, as large as it fits; a short rule in an accent colour; the subtitle and the authors in the
body role's regular face; the publisher at the foot, letter-spaced.

The byline is the authors' names alone, separated by ideographic spaces: book.toml does not say
whether they wrote, edited or reported (著, 编, 本报记者), and no role word is better than a
wrong one.

Faces, measuring, line breaking (禁则) and the choice of the title's size are
luoshu.epub.cover_lines: the title as large as it fits, in lines broken where a reader would; each
character in the first house face that has it, one that none has left out rather than drawn as
a box.

Glyphs are placed by Pillow's basic layout engine (no OpenType shaping), so the bytes do not
depend on whether libraqm is installed. The PNG is deterministic (no metadata, median-cut
palette without dithering, optimize) and small: a 1600 × 2400 cover is 15–60 KB.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

from PIL import Image, ImageDraw

from ..model import BookMeta, FontSet

# The line breaking is luoshu.epub.cover_lines; NOT_AT_LINE_END, NOT_AT_LINE_START and _layout,
# unused here, are re-exported so that luoshu.epub.cover still offers what it did before the split.
from .cover_lines import NOT_AT_LINE_END as NOT_AT_LINE_END
from .cover_lines import NOT_AT_LINE_START as NOT_AT_LINE_START
from .cover_lines import (
    _block_height,
    _drawable,
    _FaceChooser,
    _fit,
    _parts,
    _Style,
    _title_layout,
)
from .cover_lines import _layout as _layout

DEFAULT_SIZE = (1600, 2400)  # 2:3, what e-book stores ask for (≥ 1400 px wide)

PAPER = (246, 240, 228)  # 宣纸白: light text
INK = (32, 28, 26)  # 墨: dark text


@dataclass(frozen=True)
class Palette:
    name: str
    ground: tuple[int, int, int]
    accent: tuple[int, int, int]  # the rule under the title

    @property
    def text(self) -> tuple[int, int, int]:
        """Paper-white or ink-black, whichever contrasts more with the ground."""
        return max((PAPER, INK), key=lambda colour: _contrast(colour, self.ground))


PALETTES = (
    Palette("朱红", (158, 42, 34), (232, 196, 132)),
    Palette("黛蓝", (30, 52, 78), (196, 58, 44)),
    Palette("墨绿", (34, 66, 56), (200, 166, 100)),
    Palette("赭石", (138, 88, 52), (236, 206, 150)),
    Palette("月白", (236, 231, 219), (168, 50, 42)),
)


def palette_for(meta: BookMeta) -> Palette:
    """The cover colours of a book: a stable hash of its title picks one of PALETTES."""
    digest = hashlib.sha256(meta.title.strip().encode("utf-8")).digest()
    return PALETTES[int.from_bytes(digest[:4], "big") % len(PALETTES)]


def typeset_cover(meta: BookMeta, fonts: FontSet, size: tuple[int, int] = DEFAULT_SIZE) -> bytes:
    """The PNG bytes of a cover for *meta*, set in *fonts*, *size* pixels (width, height)."""
    width, height = size
    if width < 100 or height < 100:
        raise ValueError(f"a cover of {width} × {height} pixels is too small to typeset")
    palette = palette_for(meta)
    ink = palette.text
    unit = min(width, height / 1.5) / 100  # every length is a share of a 2:3 page's width
    image = Image.new("RGB", size, palette.ground)
    draw = ImageDraw.Draw(image)
    chooser = _FaceChooser(fonts)

    # The frame: a thick outer and a thin inner rule (文武线), half-toned into the ground.
    rule = _mix(ink, palette.ground, 0.55)
    outer = round(unit * 4.5)
    draw.rectangle((outer, outer, width - 1 - outer, height - 1 - outer), outline=rule,
                   width=max(2, round(unit * 0.45)))
    inner = outer + round(unit * 1.3)
    draw.rectangle((inner, inner, width - 1 - inner, height - 1 - inner), outline=rule,
                   width=max(1, round(unit * 0.15)))

    measure = width - 2 * round(unit * 13)  # the text block: generous side margins
    title_top = height * 0.2
    byline_top = height * 0.6
    foot = height - inner - unit * 7  # bottom of the publisher's line

    # Foot: the publisher, letter-spaced, on one line.
    if meta.publisher and meta.publisher.strip():
        style = _Style(chooser.faces(fonts.heading, 400), round(unit * 3.0), ink, tracking=0.3)
        style, lines = _fit(_parts(meta.publisher, style), style, measure, max_lines=1,
                            smallest=round(unit * 2.0))
        foot -= _block_height(lines, style, 1.5)
        _draw_block(draw, lines, style, width, foot, 1.5)
        foot -= unit * 5

    # Byline: the authors' names, separated by ideographic spaces, never broken inside a name.
    style = _Style(chooser.faces(fonts.body, 400), round(unit * 3.4), ink, tracking=0.08)
    names = [name for name in (_drawable(author, style) for author in meta.authors) if name]
    if names:
        tokens: list[str] = []
        for name in names:
            tokens += ["\u3000", name] if tokens else [name]
        style, lines = _fit([tokens], style, measure, max_lines=2, smallest=round(unit * 2.4),
                            max_height=foot - byline_top, line_height=1.6)
        _draw_block(draw, lines, style, width, byline_top, 1.6)

    # Subtitle: one line if it fits down to 80 % of its size; else lines at that size.
    sub_lines: list[list[str]] = []
    sub_style = _Style(chooser.faces(fonts.body, 400), round(unit * 3.6), ink, tracking=0.04)
    if meta.subtitle and meta.subtitle.strip():
        sub_style, sub_lines = _fit(_parts(meta.subtitle, sub_style), sub_style, measure,
                                    max_lines=1, smallest=round(unit * 2.9))
    sub_height = _block_height(sub_lines, sub_style, 1.55) + unit * 1.0 if sub_lines else 0
    rule_gap, rule_height = unit * 4.0, max(2, round(unit * 0.35))

    # Title: as large as fits above the byline, in two or three lines broken between words if
    # it can be (see _title_layout); a very long one starts higher if it must.
    top_limit = inner + unit * 6
    budget = byline_top - unit * 8 - title_top - (rule_gap * 2 + rule_height + sub_height)
    title_style = _Style(chooser.faces(fonts.heading, 700), round(unit * 11), ink, tracking=0.06)
    parts = _parts(meta.title, title_style, phrases=True)
    title_style, title_lines = _title_layout(parts, title_style, measure, unit, budget,
                                             budget + title_top - top_limit)
    title_height = _block_height(title_lines, title_style, 1.28)
    title_top = max(top_limit, title_top - max(0.0, title_height - budget))
    y = _draw_block(draw, title_lines, title_style, width, title_top, 1.28)

    # A short rule in the accent colour between title and subtitle.
    y += rule_gap
    rule_width = unit * 12
    draw.rectangle(((width - rule_width) / 2, y, (width + rule_width) / 2 - 1, y + rule_height - 1),
                   fill=palette.accent)
    y += rule_height + rule_gap + unit * 1.0
    if sub_lines:
        _draw_block(draw, sub_lines, sub_style, width, y, 1.55)

    return _png(image)


# --- drawing -----------------------------------------------------------------------------------


def _draw_block(draw: ImageDraw.ImageDraw, lines: list[list[str]], style: _Style, width: int,
                top: float, line_height: float) -> float:
    """Draw *lines* centred, the first em box's top at *top*; return the bottom of the last."""
    gap = style.tracking * style.size
    for number, tokens in enumerate(lines):
        baseline = round(top + style.size * (line_height * number + 0.88), 2)  # em box: CJK
        x = (width - style.width(tokens)) / 2
        for token in tokens:
            for text, font in style.runs(token):
                if font is None:
                    continue  # no house font has it: left out, never a box
                if not text.isspace():
                    draw.text((round(x, 2), baseline), text, font=font, fill=style.colour,
                              anchor="ls")
                x += font.getlength(text)
            x += gap
    return top + _block_height(lines, style, line_height)


# --- colour and output -------------------------------------------------------------------------


def _luminance(colour: tuple[int, int, int]) -> float:
    def linear(channel: int) -> float:
        value = channel / 255
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = (linear(c) for c in colour)
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def _contrast(one: tuple[int, int, int], other: tuple[int, int, int]) -> float:
    """The WCAG contrast ratio of two colours (1 to 21)."""
    light, dark = sorted((_luminance(one), _luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def _mix(colour: tuple[int, int, int], ground: tuple[int, int, int], share: float):
    return tuple(round(c * share + g * (1 - share)) for c, g in zip(colour, ground))


def _png(image: Image.Image) -> bytes:
    """Optimized PNG, 256-colour palette (a cover has a few colours and their anti-aliasing)."""
    paletted = image.quantize(256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    buffer = io.BytesIO()
    paletted.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()
