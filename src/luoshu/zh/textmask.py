"""Which characters of a text punctuation normalization must leave alone, and its paragraphs.

Normalization works on the Markdown *source* (so the build and ``luoshu check`` share one
implementation and report the author's own line numbers). Before any rule runs, ``protect``
marks every character that is not prose:

- ``OPAQUE``: code (fenced, indented, inline spans, raw ``<pre>``/``<code>``), URLs and
  autolinks, e-mail addresses, numbers such as ``1,000``, ``3.11`` or ``10:30``, HTML entities,
  backslash escapes (``\\.`` keeps a half-width full stop on purpose) and front matter (except
  the value of ``title:``). Rules never change these characters; as a neighbour they count as
  what they are (a digit, a letter).
- ``SYNTAX``: Markdown markup between pieces of prose: link and image destinations ``](…)``
  (an image's quoted title stays prose: it is the caption), reference links and definitions,
  footnote labels ``[^1]``, attribute lists ``{: .byline}`` / ``{#id .class}``, raw HTML tags,
  the ``!`` of ``![``, list markers, table delimiter rows, thematic breaks. Never changed, and
  invisible to the rules: in ``洛阳[^1],`` the comma follows ``阳``.

With ``markdown=False`` (captions, book metadata) only URLs, e-mail addresses and numbers are
protected. Pure functions, no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

FREE, OPAQUE, SYNTAX = 0, 1, 2

# URLs end at whitespace, quotes, or any East Asian character (a URL is never followed by a
# Chinese word without a space in between in a way that makes it part of the URL).
_URL = re.compile(r"(?<![\w@])(?:[A-Za-z][A-Za-z0-9+.\-]*://|www\.)"
                  r"[^\s<>\"'`\u2018-\u201f\u2026\u2e80-\U0003134f]+")
_EMAIL = re.compile(r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+")
_NUMBER = re.compile(r"[0-9]+(?:[.,:][0-9]+)+")

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_LIST_ITEM = re.compile(r"^[ \t]*(?:[-*+]|[0-9]{1,9}[.)])(?=[ \t]|$)")
_REF_DEF = re.compile(r"^ {0,3}\[(?!\^)[^\]\n]+\]:[ \t]*\S")
_ABBR_DEF = re.compile(r"^\*\[[^\]\n]+\]:")
_FOOTNOTE_DEF = re.compile(r"^ {0,3}\[\^[^\]\n]+\]:")
_DEF_MARKER = re.compile(r"^:[ \t]+")
_RULE_LINE = re.compile(r"^ {0,3}(?:[-=]{2,}|[-|: \t]*-[-|: \t]*\|[-|: \t]*|\|[-|: \t]*-[-|: \t]*"
                        r"|([*_-])(?:[ \t]*\1){2,})[ \t]*$")
_HEADING = re.compile(r"^ {0,3}#{1,6}(?:[ \t]|$)")
_TABLE_ROW = re.compile(r"^[ \t]*\|")

_ESCAPE = re.compile(r"\\[\\`*_{}\[\]()>#+\-.!]")  # what Python-Markdown unescapes
_BACKTICKS = re.compile(r"(?<!\\)`+")
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_HTML_CODE = re.compile(r"<(pre|code|kbd|samp|script|style)\b[^>]*>.*?</\1\s*>", re.DOTALL | re.I)
_AUTOLINK = re.compile(r"<(?:[A-Za-z][A-Za-z0-9+.\-]{1,31}:[^\s<>]*|[^\s<>@]+@[^\s<>@]+)>")
_HTML_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9\-]*(?:\s+[^<>]*?)?/?>")
_IMAGE_BANG = re.compile(r"!(?=\[)")
_REF_LINK = re.compile(r"\]\[[^\]\n]*\]")
_FOOTNOTE_REF = re.compile(r"\[\^[^\]\s]+\]")
_ATTR_LIST = re.compile(r"\{(?::[^{}\n]*|[ \t]*[#.][^{}\n]*|[ \t]*[A-Za-z_\-]+=[^{}\n]*)\}")
_ENTITY = re.compile(r"&(?:[A-Za-z][A-Za-z0-9]{1,31}|#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6});")


@dataclass(frozen=True)
class Mask:
    """Per character of a text: FREE, OPAQUE or SYNTAX (see the module docstring)."""

    flags: bytes
    indented_code: tuple[int, ...] = ()  # 0-based lines that start an indented code block

    def __getitem__(self, index: int) -> int:
        return self.flags[index]


def protect(text: str, markdown: bool = True) -> Mask:
    """The mask of *text*: what normalization must not touch."""
    flags = bytearray(len(text))
    indented: list[int] = []
    if markdown:
        indented = _mark_blocks(text, flags)
        _mark_code_spans(text, flags)
        for pattern, kind in ((_HTML_COMMENT, SYNTAX), (_HTML_CODE, OPAQUE), (_AUTOLINK, OPAQUE),
                              (_HTML_TAG, SYNTAX), (_ESCAPE, OPAQUE), (_IMAGE_BANG, SYNTAX)):
            _mark(pattern, text, flags, kind)
        _mark_link_destinations(text, flags)
        for pattern, kind in ((_REF_LINK, SYNTAX), (_FOOTNOTE_REF, SYNTAX),
                              (_ATTR_LIST, SYNTAX), (_ENTITY, OPAQUE)):
            _mark(pattern, text, flags, kind)
    for match in _URL.finditer(text):
        if flags[match.start()] == FREE:
            end = match.start() + len(_trim_url(match.group()))
            flags[match.start():end] = bytes([OPAQUE]) * (end - match.start())
    _mark(_EMAIL, text, flags, OPAQUE)
    _mark(_NUMBER, text, flags, OPAQUE)
    return Mask(bytes(flags), tuple(indented))


def blocks(text: str, mask: Mask, markdown: bool = True) -> list[tuple[int, int]]:
    """(start, end) offsets of the paragraphs of *text*, where quotes and brackets pair up.

    Blank lines and fully protected lines (code) separate paragraphs; in Markdown, headings,
    table rows and list items are paragraphs of their own.
    """
    result: list[tuple[int, int]] = []
    start = None
    offset = 0
    for line in text.split("\n"):
        end = offset + len(line)
        blank = not line.strip() or all(mask[i] for i in range(offset, end)
                                        if not text[i].isspace())
        alone = markdown and (_HEADING.match(line) or _TABLE_ROW.match(line))
        if blank or alone or (markdown and _LIST_ITEM.match(line)):
            if start is not None:
                result.append((start, offset - 1))
                start = None
        if alone and not blank:
            result.append((offset, end))
        elif not blank and start is None:
            start = offset
        offset = end + 1
    if start is not None:
        result.append((start, len(text)))
    return result


# --- block level ----------------------------------------------------------------------------


def _mark_blocks(text: str, flags: bytearray) -> list[int]:
    """Mark front matter, code blocks and line-level syntax; return indented code starts."""
    lines = text.split("\n")
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line) + 1)

    def mark_line(number: int, kind: int, start: int = 0, end: int | None = None) -> None:
        a = starts[number] + start
        b = starts[number] + (len(lines[number]) if end is None else end)
        flags[a:b] = bytes([kind]) * (b - a)

    number = _mark_front_matter(lines, starts, flags)
    fence: str | None = None
    in_list, previous_blank, previous_code = False, True, False
    indented: list[int] = []
    while number < len(lines):
        line = lines[number]
        if fence:
            mark_line(number, OPAQUE)
            if re.match(rf"^ {{0,3}}{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$", line):
                fence = None
            number += 1
            continue
        opening = _FENCE.match(line)
        if opening:
            fence = opening.group(1)
            mark_line(number, OPAQUE)
            previous_blank = previous_code = False
            number += 1
            continue
        blank = not line.strip()
        indent = len(line.expandtabs(4)) - len(line.expandtabs(4).lstrip(" "))
        if not blank and (previous_blank or previous_code) and indent >= (8 if in_list else 4):
            if not previous_code:
                indented.append(number)
            mark_line(number, OPAQUE)
            previous_code, previous_blank = True, False
            number += 1
            continue
        if blank:
            previous_blank = True
            number += 1
            continue
        previous_code = False
        if _LIST_ITEM.match(line) or _FOOTNOTE_DEF.match(line) or _DEF_MARKER.match(line):
            in_list = True  # their continuation paragraphs are indented 4 spaces
        elif indent == 0 and previous_blank:
            in_list = False
        previous_blank = False
        _mark_line_syntax(line, number, mark_line)
        number += 1
    return indented


def _mark_line_syntax(line: str, number: int, mark_line) -> None:
    if _REF_DEF.match(line) or _ABBR_DEF.match(line) or _RULE_LINE.match(line):
        mark_line(number, SYNTAX)
        return
    for pattern in (_FOOTNOTE_DEF, _DEF_MARKER, _LIST_ITEM):
        match = pattern.match(line)
        if match:
            mark_line(number, SYNTAX, 0, match.end())


def _mark_front_matter(lines: list[str], starts: list[int], flags: bytearray) -> int:
    """Mark ``---`` front matter as OPAQUE, except the value of ``title:``; return the line
    after it (0 when there is none)."""
    if not lines or lines[0].strip() != "---":
        return 0
    for end in range(1, len(lines)):
        if lines[end].strip() in ("---", "..."):
            break
    else:
        return 0
    flags[0:starts[end + 1] - 1] = bytes([OPAQUE]) * (starts[end + 1] - 1)
    for number in range(1, end):
        match = re.match(r"^\s*title\s*:\s*(.*?)\s*$", lines[number])
        if match and match.group(1):
            a, b = starts[number] + match.start(1), starts[number] + match.end(1)
            value = match.group(1)
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
                a, b = a + 1, b - 1  # the quotes are YAML syntax
            flags[a:b] = bytes(b - a)
    return end + 1


# --- inline ---------------------------------------------------------------------------------


def _mark(pattern: re.Pattern, text: str, flags: bytearray, kind: int) -> None:
    for match in pattern.finditer(text):
        a, b = match.span()
        if a < b and flags[a] == FREE:
            flags[a:b] = bytes([kind]) * (b - a)


def _mark_code_spans(text: str, flags: bytearray) -> None:
    """A run of N backticks opens a code span closed by the next run of exactly N (within
    the paragraph); an unclosed run is literal text."""
    runs = [m.span() for m in _BACKTICKS.finditer(text) if flags[m.start()] == FREE]
    index = 0
    while index < len(runs):
        start, end = runs[index]
        for other in range(index + 1, len(runs)):
            a, b = runs[other]
            if "\n\n" in text[end:a]:
                break
            if b - a == end - start:
                flags[start:b] = bytes([OPAQUE]) * (b - start)
                index = other
                break
        index += 1


def _mark_link_destinations(text: str, flags: bytearray) -> None:
    """``](dest "title")``: everything SYNTAX but the title's content (an image's caption)."""
    for match in re.finditer(r"\]\(", text):
        start = match.start()
        if flags[start] != FREE:
            continue
        parsed = _parse_destination(text, match.end())
        if parsed is None:
            continue
        end, title = parsed
        flags[start:end] = bytes([SYNTAX]) * (end - start)
        if title:
            flags[title[0]:title[1]] = bytes(title[1] - title[0])


def _parse_destination(text: str, index: int) -> tuple[int, tuple[int, int] | None] | None:
    """(end of the link's ``)``, (start, end) of its title or None), or None if not a link."""
    n = len(text)
    index = _skip_space(text, index)
    if index < n and text[index] == "<":
        close = text.find(">", index)
        if close < 0 or "\n" in text[index:close]:
            return None
        index = close + 1
    else:
        depth = 0
        while index < n and not text[index].isspace():
            char = text[index]
            if char == "\\":
                index += 2
                continue
            if char == "(":
                depth += 1
            elif char == ")":
                if depth == 0:
                    break
                depth -= 1
            index += 1
    index = _skip_space(text, index)
    title = None
    if index < n and text[index] in "\"'(":
        close = text.find(")" if text[index] == "(" else text[index], index + 1)
        if close < 0 or "\n\n" in text[index:close]:
            return None
        title = (index + 1, close)
        index = _skip_space(text, close + 1)
    if index < n and text[index] == ")":
        return index + 1, title
    return None


def _skip_space(text: str, index: int) -> int:
    while index < len(text) and text[index] in " \t\n":
        index += 1
    return index


def _trim_url(url: str) -> str:
    """A bare URL without the sentence punctuation that follows it (and unbalanced ')')."""
    while url:
        if url[-1] in ".,:;!?*_~":
            url = url[:-1]
        elif url[-1] == ")" and url.count("(") < url.count(")"):
            url = url[:-1]
        else:
            break
    return url
