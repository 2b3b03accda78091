"""Punctuation normalization for Chinese text: what the build fixes before typesetting.

Manuscripts typed on Latin keyboards carry half-width punctuation (``洛阳,郑州``) and
straight quotes. ``normalize`` turns them into what GB/T 15834 prescribes, in Markdown source
(so line numbers stay the author's) or in a plain string (captions, book metadata). It never
touches code, URLs, e-mail addresses, numbers (``1,000``, ``3.11``, ``10:30``) or runs of Latin
text; ``luoshu.zh.textmask`` says exactly what is protected. Every change is reported with a stable
code, its 1-based line and column in the *input*, and the text before and after:

======  ===================================================================================
LS101   ``,`` → ``，`` after Han or CJK punctuation, or before Han (not after a digit: LS201)
LS102   ``.`` → ``。`` after Han, before the end of the line, a space, Han or a closing mark
LS103   ``;`` → ``；``      (same context as LS101)
LS104   ``:`` → ``：``      (same context as LS101)
LS105   ``?`` → ``？``      (same context as LS101)
LS106   ``!`` → ``！``      (same context as LS101; never the ``!`` of an image ``![``)
LS107   ``( )`` → ``（ ）`` as a pair, when the content or a neighbour outside is Han
LS108   straight ``"…"`` → ``“…”`` (zh-Hans) or ``「…」`` (zh-Hant), as a pair, in Chinese context
LS109   straight ``'…'`` → ``‘…’`` or ``『…』``; apostrophes inside Latin words stay
LS110   curly ``“…”`` / ``‘…’`` → ``「…」`` / ``『…』`` in Chinese context when the book uses corner
        quotes (zh-Hant, or ``quotes = "corner"``); a quote that does not match its pair's style
LS111   a half-width space between full-width punctuation and Han (either side) is removed
======  ===================================================================================

"Han" here means a CJK ideograph or unambiguous CJK punctuation (``、。《》「」`` and the
full-width forms). Curly quotes, ``——``, ``……`` and ``·`` are used in Latin text too, so rules
look past them to the next character. What normalization cannot decide is reported by
``luoshu.zh.typocheck`` (codes LS2xx). Pure functions, no I/O.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from dataclasses import dataclass

from ..model import TypographyOptions
from .chars import HAN
from .textmask import FREE, SYNTAX, Mask, blocks, protect

# Unambiguous CJK punctuation: CJK Symbols and Punctuation (not the ideographic space), the
# full-width ASCII punctuation, half-width corner brackets, vertical and small forms; kana.
CJK_PUNCTUATION = ("\u3001-\u3004\u3008-\u3011\u3014-\u301f\u3030\uff01-\uff0f\uff1a-\uff20"
                   "\uff3b-\uff40\uff5b-\uff65\ufe10-\ufe19\ufe30-\ufe4f")
_CJK = re.compile(f"[{HAN}{CJK_PUNCTUATION}\u3040-\u30ff\u3100-\u312f]")
_FULL_WIDTH_PUNCTUATION = re.compile(f"[{CJK_PUNCTUATION}]")
AMBIGUOUS = "“”‘’—…·–"  # used by Chinese and Latin text alike: rules look past them
CLOSING = "”’」』）》】〕〉〗\"')]"
_HAN_CLOSING = "」』）》】〕〉〗"
DIGITS = "0123456789０１２３４５６７８９"

FULL_WIDTH = {",": "，", ".": "。", ";": "；", ":": "：", "?": "？", "!": "！"}
MARK_CODES = {",": "LS101", ".": "LS102", ";": "LS103", ":": "LS104", "?": "LS105", "!": "LS106"}
FIXES = {
    "LS101": "half-width comma in Chinese text",
    "LS102": "half-width full stop in Chinese text",
    "LS103": "half-width semicolon in Chinese text",
    "LS104": "half-width colon in Chinese text",
    "LS105": "half-width question mark in Chinese text",
    "LS106": "half-width exclamation mark in Chinese text",
    "LS107": "half-width parentheses in Chinese text",
    "LS108": "straight double quotes in Chinese text",
    "LS109": "straight single quotes in Chinese text",
    "LS110": "quotes not in the book's style",
    "LS111": "space next to full-width punctuation",
}


@dataclass(frozen=True)
class _Family:
    """Double or single quotes: which characters open, close, or could do either."""

    opens: str
    closes: str
    straight: str
    code: str  # the code of converting the straight quote
    curly: tuple[str, str]
    corner: tuple[str, str]


_DOUBLE = _Family("“「", "”」", '"', "LS108", ("“", "”"), ("「", "」"))
_SINGLE = _Family("‘『", "’』", "'", "LS109", ("‘", "’"), ("『", "』"))
_CORNER = "「」『』"
_BRACKET = re.compile("[()（）]")


@dataclass(frozen=True)
class Change:
    """One change normalization makes; line and column (1-based) are in the input text."""

    line: int
    column: int
    code: str
    before: str
    after: str


@dataclass(frozen=True)
class Normalized:
    """The normalized text and every change made to get it."""

    text: str
    changes: tuple[Change, ...] = ()


@dataclass(frozen=True)
class Traced:
    """A normalization with what ``luoshu.zh.typocheck`` needs to look further."""

    result: Normalized
    mask: Mask  # of the input
    origin: tuple[int, ...]  # for each character of the output, its index in the input


def is_cjk(char: str) -> bool:
    """Han, kana, bopomofo or unambiguous CJK punctuation."""
    return bool(char) and _CJK.match(char) is not None


def is_digit(char: str) -> bool:
    return bool(char) and char in DIGITS


def is_full_width_punctuation(char: str) -> bool:
    return bool(char) and _FULL_WIDTH_PUNCTUATION.match(char) is not None


def normalize(text: str, script: str, *, markdown: bool = True,
              options: TypographyOptions | None = None) -> Normalized:
    """*text* with its punctuation normalized for a book in *script* ("Hans" or "Hant").

    *markdown* says *text* is Markdown source (code, links, HTML… are protected); otherwise
    only URLs, e-mail addresses and numbers are. Codes in ``options.ignore`` are not applied.
    Line structure is kept: the output has the same lines as the input.
    """
    return trace(text, script, markdown=markdown, options=options).result


def trace(text: str, script: str, *, markdown: bool = True,
          options: TypographyOptions | None = None) -> Traced:
    """``normalize``, also returning the input's mask and where each output character came from."""
    options = options or TypographyOptions()
    mask = protect(text, markdown)
    paragraphs = blocks(text, mask, markdown)
    ignored = set(options.ignore)
    edits: dict[int, tuple[int, str, str]] = {}  # start → (end, replacement, code)
    context = Context(text, mask, markdown, edits)  # rules see earlier rules' results

    def edit(index: int, replacement: str, code: str) -> None:
        if code not in ignored:
            edits[index] = (index + 1, replacement, code)

    _marks(context, edit)
    _brackets(context, paragraphs, edit)
    chinese_quotes = _quotes(context, paragraphs, edit, options.quote_style(script))
    _marks(context, edit)  # again: a bracket or quote next to a mark may have become Chinese
    if "LS111" not in ignored:
        _spaces(context, edits, chinese_quotes)
    return _apply(text, mask, edits)


class Context:
    """Reads a text's characters the way the rules see them, through the mask."""

    def __init__(self, text: str, mask: Mask, markdown: bool,
                 edits: dict[int, tuple[int, str, str]] | None = None):
        self.text = text
        self.mask = mask
        self.transparent = "*_~[]" if markdown else ""  # emphasis and link brackets
        self.edits = {} if edits is None else edits  # characters already replaced

    def char(self, index: int) -> str:
        """The character at *index*, as replaced by the rules so far."""
        edit = self.edits.get(index)
        return edit[1] if edit else self.text[index]

    def prev(self, index: int, *, spaces: bool = False, ambiguous: bool = True) -> str:
        """The character the rules consider before *index* ("" at the start of the text)."""
        return self._look(index - 1, -1, spaces, ambiguous)

    def next(self, index: int, *, spaces: bool = False, ambiguous: bool = True) -> str:
        """The character the rules consider after *index* ("" at the end of the text)."""
        return self._look(index + 1, 1, spaces, ambiguous)

    def _look(self, index: int, step: int, spaces: bool, ambiguous: bool) -> str:
        text, flags = self.text, self.mask.flags
        while 0 <= index < len(text):
            char, flag = self.char(index), flags[index]
            if not char or flag == SYNTAX or (flag == FREE and (
                    char in self.transparent or (ambiguous and char in AMBIGUOUS)
                    or (spaces and char in " \t"))):
                index += step
                continue
            return char
        return ""

    def has_cjk(self, start: int, end: int) -> bool:
        """Whether prose between *start* and *end* holds a CJK character."""
        flags = self.mask.flags
        return any(flags[i] == FREE and is_cjk(self.char(i)) for i in range(start, end))

    def chinese_pair(self, opening: int, closing: int) -> bool:
        """Whether the marks at *opening* and *closing* enclose or adjoin Chinese text."""
        return (self.has_cjk(opening + 1, closing) or is_cjk(self.prev(opening))
                or is_cjk(self.next(closing)))


# --- the rules ------------------------------------------------------------------------------

Edit = Callable[[int, str, str], None]


def _marks(context: Context, edit: Edit) -> None:
    """LS101–LS106: , . ; : ? ! one at a time."""
    text, flags = context.text, context.mask.flags
    for match in re.finditer(r"[,.;:?!]", text):
        index = match.start()
        if flags[index] != FREE:
            continue
        char = text[index]
        if char == ".":
            before = context.prev(index)
            after = context.next(index, ambiguous=False)
            convert = ((is_cjk(before) and not is_full_width_punctuation(before))
                       or before in _HAN_CLOSING) and (
                after == "" or after.isspace() or is_cjk(after) or after in CLOSING)
        else:
            before = context.prev(index, spaces=True)
            after = context.next(index, spaces=True)
            convert = is_cjk(before) or (is_cjk(after) and not (char == "," and is_digit(before)))
        if convert:
            edit(index, FULL_WIDTH[char], MARK_CODES[char])


def _brackets(context: Context, paragraphs, edit: Edit) -> None:
    """LS107: ( ) as a pair; a half-width bracket paired with a full-width one follows it."""
    text, flags = context.text, context.mask.flags
    for start, end in paragraphs:
        stack: list[int] = []
        for match in _BRACKET.finditer(text, start, end):
            index, char = match.start(), match.group()
            if flags[index] != FREE:
                continue
            if char in "(（":
                stack.append(index)
                continue
            if not stack:
                continue
            opening = stack.pop()
            half = (text[opening] == "(", char == ")")
            if half == (True, True) and not context.chinese_pair(opening, index):
                continue
            if half[0]:
                edit(opening, "（", "LS107")
            if half[1]:
                edit(index, "）", "LS107")


def _quotes(context: Context, paragraphs, edit: Edit, style: str) -> set[int]:
    """LS108–LS110: pair quotes within each paragraph; convert the pairs in Chinese context.

    Returns the positions of every quote in a Chinese pair (LS111 treats them as full-width).
    """
    text, flags = context.text, context.mask.flags
    chinese: set[int] = set()
    for family in (_DOUBLE, _SINGLE):
        marks = re.compile(f"[{family.opens}{family.closes}{family.straight}]")
        for start, end in paragraphs:
            stack: list[int] = []
            for match in marks.finditer(text, start, end):
                index, char = match.start(), match.group()
                if flags[index] != FREE:
                    continue
                if family is _SINGLE and char in "'’" and _apostrophe(text, index):
                    continue
                if char in family.opens or (char == family.straight and not stack):
                    stack.append(index)
                elif stack:
                    opening = stack.pop()
                    if _convert_pair(context, family, opening, index, style, edit):
                        chinese.update((opening, index))
    return chinese


def _apostrophe(text: str, index: int) -> bool:
    """A quote between two Latin letters or digits (don't, it’s) is an apostrophe."""
    before = text[index - 1] if index > 0 else ""
    after = text[index + 1] if index + 1 < len(text) else ""
    return before.isascii() and before.isalnum() and after.isascii() and after.isalnum()


def _convert_pair(context: Context, family: _Family, opening: int, closing: int, style: str,
                  edit: Edit) -> bool:
    text = context.text
    pair = text[opening] + text[closing]
    corner = any(char in _CORNER for char in pair)
    if not corner and not context.chinese_pair(opening, closing):
        return False
    glyphs = family.corner if (corner or style == "corner") else family.curly
    for index, wanted in ((opening, glyphs[0]), (closing, glyphs[1])):
        if text[index] != wanted:
            edit(index, wanted, family.code if text[index] == family.straight else "LS110")
    return True


def _spaces(context: Context, edits: dict[int, tuple[int, str, str]], quotes: set[int]) -> None:
    """LS111: drop half-width spaces between full-width punctuation and Han (either side)."""
    text, flags = context.text, context.mask.flags
    final = context.char

    def full_width(index: int) -> bool:
        return is_full_width_punctuation(final(index)) or index in quotes

    for match in re.finditer(r"[ \t]+", text):
        start, end = match.span()
        if start == 0 or end >= len(text) or flags[start - 1] or flags[end] or any(
                flags[start:end]):
            continue
        left, right = final(start - 1), final(end)
        if (full_width(end) and (is_cjk(left) or (left.isascii() and left.isalpha()))) or (
                full_width(start - 1) and (is_cjk(right) or (right.isascii() and right.isalnum()))):
            edits[start] = (end, "", "LS111")


def _apply(text: str, mask: Mask, edits: dict[int, tuple[int, str, str]]) -> Traced:
    line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
    pieces: list[str] = []
    origin: list[int] = []
    changes: list[Change] = []
    position = 0
    for start in sorted(edits):
        end, replacement, code = edits[start]
        if start < position:
            continue  # overlapping edits cannot happen; be safe
        pieces.append(text[position:start])
        origin.extend(range(position, start))
        pieces.append(replacement)
        origin.extend([start] * len(replacement))
        line = bisect.bisect_right(line_starts, start)
        changes.append(Change(line, start - line_starts[line - 1] + 1, code,
                              text[start:end], replacement))
        position = end
    pieces.append(text[position:])
    origin.extend(range(position, len(text)))
    return Traced(Normalized("".join(pieces), tuple(changes)), mask, tuple(origin))

