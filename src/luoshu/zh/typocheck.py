"""Typography checks on one text: the changes normalization makes, and what it cannot fix.

``check_text`` runs ``luoshu.zh.punctuation`` and then looks for what no rule can decide alone.
Each finding has a stable code and a severity; ``luoshu check`` prints them with ``file:line``.
The changes (LS1xx, see ``luoshu.zh.punctuation``) are ``info``: the build makes them.

======  ========  =================================================================================
LS201   warning   ``,`` between a digit and Han (``2021,洛阳``): a pause (``，``) or a thousands
                  separator? Not changed.
LS202   warning   an ellipsis written ``...``, ``。。。`` or ``···``: Chinese uses ``……``
LS203   warning   a single ``…`` (or an odd run) in Chinese text: Chinese uses ``……``
LS204   warning   a single ``—`` (or an odd run) in Chinese text: the Chinese dash is ``——``
LS205   warning   ``--`` used as a dash in Chinese text: write ``——``
LS206   warning   a line starting with the ideographic space U+3000: the theme indents paragraphs
LS207   warning   a Chinese paragraph indented with 4+ spaces: Markdown sets it as code
LS208   error     an unbalanced or mismatched bracket ``（）《》【】〔〕〈〉〖〗`` in a paragraph
LS209   warning   an unbalanced quote ``“”‘’「」『』`` in a paragraph (a quotation that runs over
                  several paragraphs, each opening with the quote, is fine)
LS210   warning   both quote styles (``“”`` and ``「」``) in one book
LS211   warning   a range joined by the wrong mark (``25-30岁``, ``1881–1936``)
LS212   warning   a range without its ``%``, ``万`` or ``亿`` on both ends (``15～30%``)
LS213   warning   a 间隔号 written with another mark (``卡尔•马克思``, ``马克.吐温``)
LS214   warning   Arabic and Chinese numerals in one number (``4千``)
LS215   warning   one kind of number in both forms in one text (``三百人`` and ``300人``)
LS216   warning   a fixed expression written with Arabic digits (``第1书记``, ``13五``)
LS217   warning   thousands separators: groups, full-width commas, years, two styles
LS218   warning   quotes nested in the wrong order (``‘…“…”…’``)
LS301   warning   a one-to-many conversion of a Traditional edition for an editor to confirm
                  (``头发干了`` → ``頭髮幹了``; luoshu.project.editions)
======  ========  =================================================================================

LS211–LS218 follow GB/T 15834-2011 and GB/T 15835-2011; ``luoshu.zh.gbt_checks`` implements
them and names the clause of each. Brackets are errors because an unclosed one is always a slip
that changes what a sentence says; the others are warnings (a house style may choose otherwise). Pure functions, no I/O.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from ..model import TypographyOptions
from .gbt_checks import check_input, check_output, prose_mask
from .punctuation import FIXES, Change, Context, is_cjk, trace
from .textmask import FREE, blocks, protect

INFO, WARNING, ERROR = "info", "warning", "error"


@dataclass(frozen=True)
class Rule:
    severity: str
    summary: str


CODES: dict[str, Rule] = {code: Rule(INFO, summary) for code, summary in FIXES.items()}
CODES.update({
    "LS201": Rule(WARNING, "half-width comma between a digit and Han"),
    "LS202": Rule(WARNING, "ellipsis not written ……"),
    "LS203": Rule(WARNING, "single … in Chinese text"),
    "LS204": Rule(WARNING, "single — in Chinese text"),
    "LS205": Rule(WARNING, "-- used as a dash"),
    "LS206": Rule(WARNING, "ideographic space used as indentation"),
    "LS207": Rule(WARNING, "paragraph indented with spaces becomes code"),
    "LS208": Rule(ERROR, "unbalanced bracket"),
    "LS209": Rule(WARNING, "unbalanced quote"),
    "LS210": Rule(WARNING, "mixed quote styles"),
    "LS211": Rule(WARNING, "range joined by the wrong mark (GB/T 15834 5.13.3.2)"),
    "LS212": Rule(WARNING, "range without its % or unit on both ends (GB/T 15835 5.1.3)"),
    "LS213": Rule(WARNING, "间隔号 written with another mark (GB/T 15834 5.14.3.1)"),
    "LS214": Rule(WARNING, "Arabic and Chinese numerals in one number (GB/T 15835 5.3)"),
    "LS215": Rule(WARNING, "one kind of number in two forms (GB/T 15835 4.3)"),
    "LS216": Rule(WARNING, "fixed expression written with Arabic digits (GB/T 15835 4.2.3)"),
    "LS217": Rule(WARNING, "thousands separators (GB/T 15835 5.1.1.1)"),
    "LS218": Rule(WARNING, "quotes nested in the wrong order (GB/T 15834 5.8.3.4)"),
    "LS301": Rule(WARNING, "one-to-many conversion of a Traditional edition to review"),
})

BRACKETS = {"（": "）", "《": "》", "【": "】", "〔": "〕", "〈": "〉", "〖": "〗"}
QUOTES = {"“": "”", "‘": "’", "「": "」", "『": "』"}


@dataclass(frozen=True)
class Finding:
    """Something in a text that normalization cannot fix (line and column 1-based)."""

    line: int
    column: int
    code: str
    message: str

    @property
    def severity(self) -> str:
        return CODES[self.code].severity


@dataclass(frozen=True)
class TextReport:
    """What ``check_text`` found in one text."""

    text: str  # the normalized text
    changes: tuple[Change, ...]  # what normalization changed
    findings: tuple[Finding, ...]
    corner_quotes: tuple[int, int] | None = None  # (line, column) of the first 「 or 『
    curly_quotes: tuple[int, int] | None = None  # first “ or ‘ in Chinese context


def check_text(text: str, script: str, *, markdown: bool = True,
               options: TypographyOptions | None = None) -> TextReport:
    """Normalize *text* and check what normalization leaves (see the module docstring)."""
    options = options or TypographyOptions()
    traced = trace(text, script, markdown=markdown, options=options)
    line_starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def where(index: int) -> tuple[int, int]:
        line = bisect.bisect_right(line_starts, index)
        return line, index - line_starts[line - 1] + 1

    found: list[tuple[int, str, str]] = []  # (index in the input, code, message)
    context = Context(text, traced.mask, markdown)
    _digit_commas(context, found)
    _ellipses_and_dashes(context, found)
    _indentation(text, traced.mask, found)
    check_input(text, prose_mask(text, markdown), found)

    output = traced.result.text
    out_mask = protect(output, markdown)
    out_context = Context(output, out_mask, markdown)
    origin = traced.origin
    out_found: list[tuple[int, str, str]] = []
    paragraphs = blocks(output, out_mask, markdown)
    _balance(out_context, paragraphs, BRACKETS, "LS208", out_found)
    _balance(out_context, paragraphs, QUOTES, "LS209", out_found)
    _straight_quotes(out_context, out_found)
    check_output(output, markdown, out_found)
    found += [(origin[i], code, message) for i, code, message in out_found]
    corner, curly = _quote_styles(out_context)

    ignored = set(options.ignore)
    findings = sorted((Finding(*where(index), code, message) for index, code, message in found
                       if code not in ignored), key=lambda f: (f.line, f.column, f.code))
    return TextReport(output, traced.result.changes, tuple(findings),
                      where(origin[corner]) if corner is not None else None,
                      where(origin[curly]) if curly is not None else None)


def change_message(before: str, after: str, code: str) -> str:
    """How ``luoshu check`` describes a change: "would change ',' to '，'"."""
    if not after:
        return f"would remove {len(before)} space(s) next to full-width punctuation"
    return f"would change {before!r} to {after!r} ({CODES[code].summary})"


# --- checks on the input --------------------------------------------------------------------


def _digit_commas(context: Context, found: list) -> None:
    """LS201: exactly the commas LS101 leaves because a digit comes before them."""
    text, flags = context.text, context.mask.flags
    for match in re.finditer(",", text):
        index = match.start()
        if flags[index] != FREE:
            continue
        before = context.prev(index, spaces=True)
        after = context.next(index, spaces=True)
        if before and before in "0123456789０１２３４５６７８９" and is_cjk(after):
            found.append((index, "LS201", f"',' between {before!r} and {after!r}: write '，' if "
                          "it separates clauses; if the number continues, remove what splits it"))


_ELLIPSIS = re.compile(r"\.{3,}|。{2,}|．{3,}|[·・]{3,}|…+|—+|-{2,}")


def _ellipses_and_dashes(context: Context, found: list) -> None:
    """LS202–LS205, in Chinese context only (English text may use ... and -- as it likes)."""
    text, flags = context.text, context.mask.flags
    for match in _ELLIPSIS.finditer(text):
        start, end = match.span()
        run = match.group()
        if any(flags[start:end]):
            continue
        chinese = run[0] in "。．" or is_cjk(context.prev(start)) or is_cjk(context.next(end - 1))
        if not chinese:
            continue
        if run[0] == "…":
            if len(run) % 2:
                found.append((start, "LS203", f"{run!r}: the Chinese ellipsis is '……' (two "
                              "characters), never one"))
        elif run[0] == "—":
            if len(run) % 2:
                found.append((start, "LS204", f"{run!r}: the Chinese dash (破折号) is '——' "
                              "(two characters); a single '—' (一字线) only joins the ends of a "
                              "range (1881—1936, 北京—上海)"))
        elif run[0] == "-":
            if end < len(text) and text[end].isascii() and text[end].isalpha():
                continue  # a command-line option (--format) that should be `code`
            found.append((start, "LS205", f"{run!r} used as a dash: write '——'"))
        else:
            found.append((start, "LS202", f"{run!r} used as an ellipsis: write '……'"))


def _indentation(text: str, mask, found: list) -> None:
    """LS206 (U+3000 at a line start) and LS207 (a Chinese paragraph turned into code)."""
    offset = 0
    lines = text.split("\n")
    code_starts = set(mask.indented_code)
    for number, line in enumerate(lines):
        if line.startswith("\u3000") and mask[offset] == FREE:
            found.append((offset, "LS206", "the line starts with ideographic space(s) (U+3000): "
                          "remove them, the theme indents paragraphs by itself"))
        if number in code_starts and is_cjk(line.lstrip()[:1]):
            found.append((offset, "LS207", "this paragraph is indented with spaces, so Markdown "
                          "sets it as a code block: remove the indentation"))
        offset += len(line) + 1


# --- checks on the normalized text ----------------------------------------------------------


def _balance(context: Context, paragraphs, pairs: dict[str, str], code: str,
             found: list) -> None:
    """LS208 / LS209: every opening mark closed by its partner within the paragraph."""
    text, flags = context.text, context.mask.flags
    closers = {close: open_ for open_, close in pairs.items()}
    for number, (start, end) in enumerate(paragraphs):
        stack: list[int] = []
        for index in range(start, end):
            char = text[index]
            if flags[index] != FREE or (char not in pairs and char not in closers):
                continue
            if char in pairs:
                stack.append(index)
                continue
            if char == "’" and _between_letters(text, index):
                continue  # an apostrophe
            if stack and text[stack[-1]] == closers[char]:
                stack.pop()
            elif any(text[i] == closers[char] for i in stack):
                while text[stack[-1]] != closers[char]:
                    unclosed = stack.pop()
                    found.append((unclosed, code, f"{text[unclosed]!r} is not closed before "
                                  f"{char!r}"))
                stack.pop()
            else:
                found.append((index, code, f"{char!r} closes nothing in this paragraph"))
        first = _first_free(text, flags, start, end)
        for index in stack:
            if code == "LS209" and index == first and _continues(text, flags, paragraphs,
                                                                  number, text[index]):
                continue  # a quotation over several paragraphs: each opens, the last closes
            found.append((index, code, f"{text[index]!r} is not closed in this paragraph"))


def _straight_quotes(context: Context, found: list) -> None:
    """LS209 too: a straight quote next to Chinese text is one that found no partner."""
    text, flags = context.text, context.mask.flags
    for match in re.finditer("[\"']", text):
        index = match.start()
        if flags[index] != FREE or _between_letters(text, index):
            continue
        if is_cjk(context.prev(index)) or is_cjk(context.next(index)):
            found.append((index, "LS209", f"{match.group()!r} has no partner in this paragraph, "
                          "so it stays a straight quote"))


def _between_letters(text: str, index: int) -> bool:
    before = text[index - 1] if index else ""
    after = text[index + 1] if index + 1 < len(text) else ""
    return before.isascii() and before.isalnum() and after.isascii() and after.isalnum()


def _first_free(text: str, flags, start: int, end: int) -> int | None:
    for index in range(start, end):
        if flags[index] == FREE and not text[index].isspace() and text[index] not in "*_>":
            return index
    return None


def _continues(text: str, flags, paragraphs, number: int, quote: str) -> bool:
    if number + 1 >= len(paragraphs):
        return False
    start, end = paragraphs[number + 1]
    first = _first_free(text, flags, start, end)
    return first is not None and text[first] == quote


def _quote_styles(context: Context) -> tuple[int | None, int | None]:
    """Index of the first corner quote, and of the first curly quote in Chinese context."""
    text, flags = context.text, context.mask.flags
    corner = curly = None
    for match in re.finditer("[「『“‘]", text):
        index = match.start()
        if flags[index] != FREE:
            continue
        if match.group() in "「『":
            corner = index if corner is None else corner
        elif curly is None and (is_cjk(context.next(index)) or is_cjk(context.prev(index))):
            curly = index
        if corner is not None and curly is not None:
            break
    return corner, curly
