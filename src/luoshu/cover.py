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

Lines break between characters (Chinese has no spaces), never inside a Latin word or a ——/……
pair, never before closing punctuation nor after opening punctuation (禁则). A space between two
Chinese phrases of a title (擘画新蓝图 开启新征程) starts a new line. Within that, line breaking is
a small optimisation: the fewest lines, as even as possible, preferring breaks at spaces and
after punctuation to breaks between two characters that may make one word. The title's size is
chosen with the same preference (two or three whole-word lines at a somewhat smaller size beat
a word cut in two at the largest size).

Each character is drawn with the first face of its role that has it, then with any other house
face; one that no house font has is left out rather than drawn as a box (the build's coverage
check has refused such a book already, so this is a last line of defence).

Glyphs are placed by Pillow's basic layout engine (no OpenType shaping), so the bytes do not
depend on whether libraqm is installed; —— is drawn as U+2E3A (two-em dash) for that reason.
The PNG is deterministic (no metadata, median-cut palette without dithering, optimize) and
small: a 1600 × 2400 cover is 15–60 KB.
"""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from fontTools.ttLib import TTFont
from PIL import Image, ImageDraw, ImageFont

from .model import BookMeta, FontFace, FontRole, FontSet

DEFAULT_SIZE = (1600, 2400)  # 2:3, what e-book stores ask for (≥ 1400 px wide)

# The sets of luoshu.cjk_layout (which imports WeasyPrint; the EPUB path need not), plus the
# dashes: luoshu.cjk_layout keeps —— off a line start with a joiner, here it is a rule.
OPENING = set("（〔［｛〈《「『【〖〘〚“‘")
CLOSING = set("）〕］｝〉》」』】〗〙〛”’")
PAUSE_OR_STOP = set("，。、；：？！")
NOT_AT_LINE_START = CLOSING | PAUSE_OR_STOP | set("…‥・·ー々〻ぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮ%‰℃—⸺")
NOT_AT_LINE_END = OPENING
_BREAK_AFTER = CLOSING | PAUSE_OR_STOP | set("—⸺…")  # a line may end here at no cost

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


# --- faces -------------------------------------------------------------------------------------


class _FaceChooser:
    """Faces of a role by weight, with the rest of the house fonts as a last resort."""

    def __init__(self, fonts: FontSet):
        self.fonts = fonts

    def faces(self, role: FontRole, weight: int) -> tuple[FontFace, ...]:
        """Per family of *role* (in order) the face nearest *weight*, then the other roles'."""
        chosen = _nearest_per_family(role, weight)
        for other in (self.fonts.heading, self.fonts.body, self.fonts.caption, self.fonts.code):
            if other is not role:
                chosen += _nearest_per_family(other, weight)
        unique: dict[tuple[Path, int], FontFace] = {}
        for face in chosen:
            unique.setdefault((face.path, face.index), face)
        return tuple(unique.values())


def _nearest_per_family(role: FontRole, weight: int) -> list[FontFace]:
    result = []
    for family in dict.fromkeys(role.families):
        faces = [face for face in role.faces if face.family == family]
        if faces:
            # Nearest weight; on a tie the heavier for bold, the lighter for regular.
            result.append(min(faces, key=lambda f: (abs(f.weight - weight),
                                                    -f.weight if weight >= 600 else f.weight,
                                                    str(f.path), f.index)))
    return result


@lru_cache(maxsize=32)
def _cmap(path: str, index: int, mtime_ns: int) -> frozenset[int]:
    font = TTFont(path, fontNumber=index, lazy=True)
    try:
        return frozenset(font.getBestCmap() or {})
    finally:
        font.close()


def _covers(face: FontFace, char: str) -> bool:
    try:
        stat = face.path.stat()
        return ord(char) in _cmap(str(face.path), face.index, stat.st_mtime_ns)
    except Exception:  # noqa: BLE001 - an unreadable font covers nothing (fonts were checked)
        return False


@lru_cache(maxsize=64)
def _font(path: str, index: int, size: int) -> ImageFont.FreeTypeFont:
    # The basic layout engine: the same glyph positions with or without libraqm installed.
    return ImageFont.truetype(path, size, index=index, layout_engine=ImageFont.Layout.BASIC)


# --- text --------------------------------------------------------------------------------------

# A Latin word or number stays whole; ——/…… stay whole; anything else is one character.
_LETTER = r"0-9A-Za-z\u00C0-\u024F"
_TOKEN = re.compile(rf"[{_LETTER}](?:[{_LETTER}.,:'’&+/\-]*[{_LETTER}%])?|—+|…+|\s+|.",
                    re.DOTALL)
_PHRASE_BREAK = re.compile(r"(?<=[^\x00-\x7f])[ \u3000]+(?=[^\x00-\x7f])")


@dataclass(frozen=True)
class _Style:
    faces: tuple[FontFace, ...]  # in order of preference
    size: int
    colour: tuple[int, int, int]
    tracking: float = 0.0  # letter-spacing between tokens, in em

    def resized(self, size: int) -> _Style:
        return _Style(self.faces, size, self.colour, self.tracking)

    def runs(self, token: str) -> tuple[tuple[str, ImageFont.FreeTypeFont | None], ...]:
        """*token* cut into runs of one font each; None for characters no face has."""
        return _runs(self.faces, self.size, token)

    def advance(self, token: str) -> float:
        return _advance(self.faces, self.size, token)

    def width(self, tokens: list[str]) -> float:
        if not tokens:
            return 0.0
        return sum(self.advance(t) for t in tokens) + self.tracking * self.size * (len(tokens) - 1)


@lru_cache(maxsize=4096)
def _runs(faces: tuple[FontFace, ...], size: int,
          token: str) -> tuple[tuple[str, ImageFont.FreeTypeFont | None], ...]:
    runs: list[tuple[str, ImageFont.FreeTypeFont | None]] = []
    for char in token:
        face = next((f for f in faces if _covers(f, char)), None)
        font = _font(str(face.path), face.index, size) if face else None
        if runs and runs[-1][1] is font:
            runs[-1] = (runs[-1][0] + char, font)
        else:
            runs.append((char, font))
    return tuple(runs)


@lru_cache(maxsize=4096)
def _advance(faces: tuple[FontFace, ...], size: int, token: str) -> float:
    # Characters without a face are left out: they take no room and are never drawn as boxes.
    return sum(font.getlength(text) for text, font in _runs(faces, size, token) if font)


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


def _dashes(text: str, style: _Style) -> str:
    """——, the Chinese dash, as the TWO-EM DASH ⸺ when the fonts have it: our layout applies
    no OpenType substitutions, so two EM DASH glyphs of a CJK font would show a gap."""
    if "——" in text and style.faces and _covers(style.faces[0], "\u2e3a"):
        return text.replace("——", "\u2e3a")
    return text


def _balanced(tokens: list[str], style: _Style, measure: float) -> tuple[list[list[str]], int]:
    """*tokens* broken into the fewest lines that fit *measure*, as even as possible, breaking
    where a reader would: at spaces and after punctuation rather than inside a word.

    A small dynamic programme (titles are short): the fewest lines first, then the least
    Σ width² (for a given number of lines, the most even), plus a penalty for each break
    between two characters that may belong to one word (Chinese has no spaces to tell). Breaks
    that 禁则 forbids (before closing punctuation, after opening) are not taken unless there is
    no other way. Returns the lines and how many breaks fall between two such characters.
    """
    count = len(tokens)
    gap = style.tracking * style.size
    spaces = [token.isspace() for token in tokens]
    prefix = [0.0]
    for token in tokens:
        prefix.append(prefix[-1] + style.advance(token))
    inside_word = (measure * 0.25) ** 2

    def span(start: int, end: int) -> tuple[int, int]:
        """[start, end) without spaces at either end."""
        while start < end and spaces[start]:
            start += 1
        while end > start and spaces[end - 1]:
            end -= 1
        return start, end

    def width(start: int, end: int) -> float:
        start, end = span(start, end)
        return prefix[end] - prefix[start] + gap * (end - start - 1) if end > start else 0.0

    def penalty(position: int, strict: bool) -> float | None:
        """The cost of ending a line before tokens[position]; None where no line may end."""
        before, after = span(0, position)[1] - 1, span(position, count)[0]
        if before < 0 or after >= count:
            return None
        previous, following = tokens[before], tokens[after]
        if strict and (following[0] in NOT_AT_LINE_START or previous[-1] in NOT_AT_LINE_END):
            return None
        if after - before > 1 or previous[-1] in _BREAK_AFTER or following[0] in OPENING:
            return 0.0  # at a space, after punctuation, before an opening bracket
        return inside_word

    best: list[tuple[int, float, int, bool] | None] = []
    for strict in (True, False):
        # best[end]: (lines, cost, start of the last line) for tokens[:end] ending a line there.
        best = [(0, 0.0, 0, False)] + [None] * count
        for end in range(1, count + 1):
            cost_here = 0.0 if end == count else penalty(end, strict)
            if cost_here is None:
                continue
            for start in range(end - 1, -1, -1):
                line = width(start, end)
                first, last = span(start, end)
                if line > measure and last - first > 1:
                    break  # starting earlier only makes the line longer
                if best[start] is None:
                    continue
                lines, cost = best[start][:2]
                candidate = (lines + 1, cost + line * line + cost_here, start, cost_here > 0)
                if best[end] is None or candidate[:2] < best[end][:2]:
                    best[end] = candidate
        if best[count] is not None:
            break
    result: list[list[str]] = []
    in_words, end = 0, count
    while end > 0 and best[end] is not None:
        _, _, start, in_word = best[end]
        in_words += in_word and end < count
        first, last = span(start, end)
        if first < last:
            result.append(tokens[first:last])
        end = start
    return result[::-1], in_words


def _parts(text: str, style: _Style, phrases: bool = False) -> list[list[str]]:
    """*text* as token lists, each to start a line of its own.

    With *phrases* (titles), a space between two Chinese characters separates two phrases.
    Characters that no house face has are left out here, so they take no room either.
    """
    text = _dashes(_drawable(text, style), style)
    pieces = _PHRASE_BREAK.split(text) if phrases else [text]
    return [_tokens(piece) for piece in pieces if piece]


def _drawable(text: str, style: _Style) -> str:
    """*text* with runs of white space made one space, and without the characters that no face
    of *style* has."""
    return "".join(char for char in " ".join(text.split())
                   if char == " " or any(_covers(face, char) for face in style.faces))


def _fit(parts: list[list[str]], style: _Style, measure: float, max_lines: int, smallest: int,
         max_height: float | None = None,
         line_height: float = 1.55) -> tuple[_Style, list[list[str]]]:
    """The largest size from *style*.size down to *smallest* at which *parts* take at most
    *max_lines* lines (at least one per part) and at most *max_height*; else the smallest
    size, however many lines that takes."""
    size = style.size
    step = max(1, round(style.size / 40))
    while True:
        current = style.resized(size)
        lines = _layout(parts, current, measure)[0]
        fits = len(lines) <= max(max_lines, len(parts))
        if max_height is not None:
            fits = fits and _block_height(lines, current, line_height) <= max_height
        if fits or size <= smallest:
            return current, lines
        size = max(smallest, size - step)


def _layout(parts: list[list[str]], style: _Style, measure: float) -> tuple[list[list[str]], int]:
    """The lines of *parts* (each part starting a line) and the number of in-word breaks."""
    lines, in_words = [], 0
    for part in parts:
        part_lines, part_in_words = _balanced(part, style, measure)
        lines += part_lines
        in_words += part_in_words
    return lines, in_words


def _title_layout(parts: list[list[str]], style: _Style, measure: float, unit: float,
                  room: float, more_room: float) -> tuple[_Style, list[list[str]]]:
    """The title's size and lines: the first of these that some size achieves, largest size
    first; a line per phrase at least; every layout within *room* high but the last.

    1. two lines, no break inside a word, 9 units or more;
    2. three lines, no break inside a word, 7.5 units or more;
    3. two lines, 9 units or more;
    4. three lines, 4.5 units or more;
    5. as many lines as it takes, 2.5 units or more, within *more_room*.
    """
    step = max(1, round(style.size / 40))
    sizes = list(range(style.size, round(unit * 4.5) - 1, -step))
    layouts = []
    for size in sizes:
        current = style.resized(size)
        lines, in_words = _layout(parts, current, measure)
        if _block_height(lines, current, 1.28) <= room:
            layouts.append((current, lines, in_words))
    for max_lines, smallest, whole_words in ((2, 9, True), (3, 7.5, True), (2, 9, False),
                                             (3, 4.5, False)):
        for current, lines, in_words in layouts:
            if (current.size >= unit * smallest and len(lines) <= max(max_lines, len(parts))
                    and not (whole_words and in_words)):
                return current, lines
    return _fit(parts, style.resized(round(unit * 4.5)), measure, max_lines=len(parts),
                smallest=round(unit * 2.5), max_height=more_room, line_height=1.28)


def _block_height(lines: list, style: _Style, line_height: float) -> float:
    """From the top of the first line's em box to the bottom of the last's."""
    if not lines:
        return 0.0
    return style.size * (1 + line_height * (len(lines) - 1))


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
