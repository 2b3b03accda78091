"""Setting the cover's text in lines: faces, measuring, line breaking, fitting to a size.

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

Glyphs are measured (and drawn, by luoshu.epub.cover) with Pillow's basic layout engine (no OpenType
shaping), so the bytes do not depend on whether libraqm is installed; —— is drawn as U+2E3A
(two-em dash) for that reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PIL import ImageFont

from ..fonts.roles import character_map, faces_per_family
from ..model import FontFace, FontRole, FontSet
from ..zh import chars as cjk_chars
from ..zh.chars import CLOSING, NOT_AT_LINE_END, OPENING, PAUSE_OR_STOP

# The pages' classes (luoshu.zh.chars) plus the dashes: in print, Unicode line breaking keeps
# —— whole after a character; Pillow has no line breaking, so here it is a rule.
NOT_AT_LINE_START = cjk_chars.NOT_AT_LINE_START | frozenset("—⸺")
_BREAK_AFTER = CLOSING | PAUSE_OR_STOP | set("—⸺…")  # a line may end here at no cost


# --- faces -------------------------------------------------------------------------------------


class _FaceChooser:
    """Faces of a role by weight, with the rest of the house fonts as a last resort."""

    def __init__(self, fonts: FontSet):
        self.fonts = fonts

    def faces(self, role: FontRole, weight: int) -> tuple[FontFace, ...]:
        """Per family of *role* (in order) the face CSS matching picks for *weight*, then the
        other roles'."""
        chosen = faces_per_family(role.faces, weight)
        for other in (self.fonts.heading, self.fonts.body, self.fonts.caption, self.fonts.code):
            if other is not role:
                chosen += faces_per_family(other.faces, weight)
        unique: dict[tuple[Path, int], FontFace] = {}
        for face in chosen:
            unique.setdefault((face.path, face.index), face)
        return tuple(unique.values())


def _covers(face: FontFace, char: str) -> bool:
    try:
        return ord(char) in character_map(face)
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
