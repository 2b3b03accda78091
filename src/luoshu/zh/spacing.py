"""Han–Latin spacing (clreq, mixed text composition: Han next to Western text), as a tree pass.

A Chinese page sets a quarter-em between a Han character and an adjacent Western word or
number: ``用Python 3.11写`` shows as 用 Python 3.11 写, but the gaps are *layout*, not
characters. This module wraps each run of Latin letters and digits that touches a Han
character in ``<span class="latin">``, with ``han-before`` when a Han character directly
precedes it and ``han-after`` when one directly follows; the theme CSS turns those classes into
margins (base.css), and the print PDF removes them again at line edges (cjk_layout.py). The
text itself never changes — ``"".join(root.itertext())`` is the same before and after — so
search, copy and pdftotext still find ``Python`` next to ``用``.

Rules:

- only a run that *directly* touches a Han character gets a class on that side: where the
  source already has a space (``中文 Python``) or punctuation (``，Python``) nothing is added;
- a run is a maximal stretch of Latin (also Greek, Cyrillic) letters and digits, together with
  what belongs inside it: ``.,-/'’+:&_–`` between alphanumerics (``3.11``, ``COVID-19``,
  ``1,000``), a trailing ``%`` or ``+``/``#`` (``50%``, ``C++``), spaces between words
  (``Python 3.11``), and whole URLs and e-mail addresses;
- a run made only of digits is spaced too when ``SPACE_HAN_DIGITS`` is true (clreq: spacing
  between Han and Western digits is customary; the constant is the switch for a later option);
- runs are found in a block's text in document order, across inline elements
  (``<em>中文</em>Python``), but never across blocks, line breaks, images, superscripts
  (footnote marks) or ``<q>`` (whose quotation marks come from CSS);
- text inside ``pre``, ``code``, ``kbd`` and ``samp`` is never touched. Inline code, and a link
  whose text is a URL or address, is spaced as one unit: the classes go on the element itself
  (``class="latin han-before"``), so the code or URL is never cut into pieces;
- the pass is idempotent: existing ``span.latin`` elements are left as they are.

``TextFlow`` is the shared helper behind this pass and markup's CJK line-break joining: the
text of a tree in document order, with changes mapped back onto the text nodes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from lxml import etree

from .chars import HAN  # full-width punctuation next to Latin stays tight

# clreq: "spacing between Han characters and Western digits" is customary in Chinese
# typesetting as it is for letters. False would leave a run made only of digits (3倍, 2021年)
# tight while still spacing mixed runs (5G网络).
SPACE_HAN_DIGITS = True

# Elements whose text is code: never changed (also used by markup's line-break joining).
CODE_ELEMENTS = frozenset({"pre", "code", "kbd", "samp"})

# Western letters: Latin (with Latin-1 and Extended-A/B, Extended Additional), Greek, Cyrillic.
LETTERS = ("A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u1e00-\u1eff"
           "\u0386\u0388-\u03ce\u0400-\u04ff")
DIGITS = "0-9"

_ALNUM = LETTERS + DIGITS
_MARKS = "\u0300-\u036f"  # combining diacritics (decomposed é) stay inside a word
_INNER = r".,\-/'’+:&_\u2013"  # between two alphanumerics: 3.11, COVID-19, 1,000, don't
_WORD = (rf"[{_ALNUM}][{_ALNUM}{_MARKS}]*"
         rf"(?:[{_INNER}][{_ALNUM}][{_ALNUM}{_MARKS}]*)*(?:[%‰]|[+#]+)?")
_URL = r"(?:(?:https?|ftp)://|www\.)[!#-;=?-~]*[A-Za-z0-9/#=_~\-]"
_EMAIL = r"[A-Za-z0-9][A-Za-z0-9._%+\-]*@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+"
_UNIT = rf"(?:{_URL}|{_EMAIL}|{_WORD})"
_SEPARATOR = r"[,.;:!?]?[ \t\n\u00a0]+"  # between the words of a run: "Hello, world"
RUN = re.compile(rf"{_UNIT}(?:{_SEPARATOR}{_UNIT})*")
URL_OR_EMAIL = re.compile(rf"{_URL}|{_EMAIL}")

_HAN = re.compile(rf"[{HAN}]")
_LETTER = re.compile(rf"[{LETTERS}]")
_WESTERN_EDGE = re.compile(rf"[!-~{LETTERS}]")  # how inline code or a URL starts or ends

# Inline elements that runs pass through. Anything else (blocks, <br>, <img>, <sup>, <q>, …)
# ends a run; code-like elements take part as opaque units (see _opaque_unit).
TRANSPARENT = frozenset({
    "a", "abbr", "b", "bdi", "bdo", "big", "cite", "data", "del", "dfn", "em", "font", "i",
    "ins", "mark", "s", "small", "span", "strike", "strong", "time", "tt", "u", "var", "wbr",
})
_UNIT_ELEMENTS = frozenset({"code", "kbd", "samp"})
_FILLER = "\0"  # stands for text that takes no part: code, boundaries


# --- the shared helper ---------------------------------------------------------------------


@dataclass(frozen=True)
class Piece:
    """One text node of a flow: ``node.text`` or ``node.tail``, at *start* in the flow."""

    node: etree._Element
    attr: str  # "text" or "tail"
    start: int
    text: str
    hidden: bool  # in an opaque element: shown in the flow as filler

    @property
    def end(self) -> int:
        return self.start + len(self.text)


class TextFlow:
    """The text of *root* in document order, with edits mapped back to the text nodes.

    Text inside an element for which *opaque* is true is replaced by NUL characters (same
    length), so patterns never match into it nor through it. Where *boundary* is true of an
    element, a NUL marks its start and its end, so patterns never match across it. ``bounds``
    gives each element's stretch of the flow (its text and descendants, not its tail).
    """

    def __init__(self, root: etree._Element, opaque: Callable[[etree._Element], bool],
                 boundary: Callable[[etree._Element], bool] = lambda element: False):
        self.pieces: list[Piece] = []
        self.bounds: dict[etree._Element, tuple[int, int]] = {}
        self._parts: list[str] = []
        self._length = 0
        self._opaque, self._boundary = opaque, boundary
        self._walk(root, hidden=False)
        self.text = "".join(self._parts)

    def _add(self, text: str, node=None, attr: str = "", hidden: bool = False) -> None:
        if node is not None and text:
            self.pieces.append(Piece(node, attr, self._length, text, hidden))
        shown = _FILLER * len(text) if hidden else text
        self._parts.append(shown)
        self._length += len(shown)

    def _walk(self, element: etree._Element, hidden: bool) -> None:
        edge = self._boundary(element)
        if edge:
            self._add(_FILLER)
        start = self._length
        hidden = hidden or self._opaque(element)
        self._add(element.text or "", element, "text", hidden)
        for child in element:
            if isinstance(child.tag, str):
                self._walk(child, hidden)
            self._add(child.tail or "", child, "tail", hidden)
        self.bounds[element] = (start, self._length)
        if edge:
            self._add(_FILLER)

    def delete(self, positions: set[int]) -> None:
        """Remove the characters at *positions* (flow offsets) from their text nodes."""
        for piece in self.pieces:
            kept = "".join(c for i, c in enumerate(piece.text, start=piece.start)
                           if i not in positions)
            if kept != piece.text:
                setattr(piece.node, piece.attr, kept)

    def wrap(self, ranges: list[tuple[int, int, str]]) -> None:
        """Wrap each flow range ``(start, end, classes)`` in ``<span class=classes>``.

        A range that crosses element boundaries is wrapped piece by piece, one span per text
        node; ``han-before`` stays only on the first piece and ``han-after`` on the last.
        Pieces that are only whitespace are left unwrapped. The text is unchanged.
        """
        cuts: dict[int, tuple[Piece, list[tuple[int, int, str]]]] = {}
        pieces = [piece for piece in self.pieces if not piece.hidden]
        first = 0  # ranges come in flow order: pieces before *first* end before every range
        for start, end, classes in sorted(ranges):
            while first < len(pieces) and pieces[first].end <= start:
                first += 1
            index = first
            while index < len(pieces) and pieces[index].start < end:
                piece = pieces[index]
                index += 1
                local_start = max(start, piece.start) - piece.start
                local_end = min(end, piece.end) - piece.start
                if not piece.text[local_start:local_end].strip():
                    continue
                names = classes
                if piece.start + local_start != start or piece.start + local_end != end:
                    dropped = {"han-before"} if piece.start + local_start != start else set()
                    dropped |= {"han-after"} if piece.start + local_end != end else set()
                    names = " ".join(n for n in classes.split() if n not in dropped)
                cuts.setdefault(id(piece), (piece, []))[1].append((local_start, local_end, names))
        for piece, piece_cuts in cuts.values():
            _split(piece, piece_cuts)


def _split(piece: Piece, cuts: list[tuple[int, int, str]]) -> None:
    """Replace a text node by its text with the *cuts* (local offsets) wrapped in spans."""
    node, text = piece.node, piece.text
    spans = []
    for number, (start, end, classes) in enumerate(cuts):
        span = node.makeelement("span", {"class": classes})
        span.text = text[start:end]
        following = cuts[number + 1][0] if number + 1 < len(cuts) else len(text)
        span.tail = text[end:following] or None
        spans.append(span)
    head = text[:cuts[0][0]] or None
    if piece.attr == "text":
        node.text = head
        for index, span in enumerate(spans):
            node.insert(index, span)
    else:
        node.tail = head
        parent = node.getparent()
        position = parent.index(node)
        for index, span in enumerate(spans, start=1):
            parent.insert(position + index, span)


# --- the spacing pass ----------------------------------------------------------------------


def add_han_latin_spacing(root: etree._Element) -> None:
    """Mark every Latin run of *root* that touches a Han character (see the module docstring)."""
    units = [e for e in root.iter() if isinstance(e.tag, str) and _opaque_unit(e)]
    flow = TextFlow(root, opaque=_opaque, boundary=_boundary)
    ranges = []
    for match in RUN.finditer(flow.text):
        if not SPACE_HAN_DIGITS and not _LETTER.search(match.group()):
            continue
        classes = _sides(flow.text, match.start(), match.end())
        if classes:
            ranges.append((match.start(), match.end(), " ".join(["latin", *classes])))
    for element in units:
        start, end = flow.bounds.get(element, (0, 0))
        content = "".join(element.itertext())
        if start == end or not content.strip():
            continue
        classes = _sides(flow.text, start, end, first=content[0], last=content[-1])
        if classes:
            existing = (element.get("class") or "").split()
            names = [n for n in ["latin", *classes] if n not in existing]
            element.set("class", " ".join(existing + names))
    flow.wrap(ranges)


def _sides(text: str, start: int, end: int, first: str = "a", last: str = "a") -> list[str]:
    """``han-before``/``han-after`` for the flow stretch [start, end), by its neighbours."""
    classes = []
    if start > 0 and _HAN.match(text[start - 1]) and _WESTERN_EDGE.match(first):
        classes.append("han-before")
    if end < len(text) and _HAN.match(text[end]) and _WESTERN_EDGE.match(last):
        classes.append("han-after")
    return classes


def _opaque(element: etree._Element) -> bool:
    """Text the pass does not look into: code, URLs as link text, done spans, superscripts."""
    tag = element.tag if isinstance(element.tag, str) else ""
    return (tag in CODE_ELEMENTS or tag in ("sup", "sub", "rt", "rp", "math", "svg")
            or _opaque_unit(element)
            or (tag == "span" and "latin" in (element.get("class") or "").split()))


def _opaque_unit(element: etree._Element) -> bool:
    """Inline code (not inside ``pre``), or a link whose text is its URL or an address."""
    tag = element.tag
    if tag in _UNIT_ELEMENTS:
        return not any(a.tag == "pre" for a in element.iterancestors())
    if tag == "a" and element.get("href"):
        text = "".join(element.itertext()).strip()
        href = element.get("href", "")
        return bool(text) and (text in (href, href.removeprefix("mailto:"))
                               or URL_OR_EMAIL.fullmatch(text) is not None)
    return False


def _boundary(element: etree._Element) -> bool:
    """Elements that end a run: everything but transparent inline elements and code units.

    A figure's caption and credit are spans, but set as separate lines.
    """
    tag = element.tag if isinstance(element.tag, str) else ""
    if tag == "span" and {"caption", "credit"} & set((element.get("class") or "").split()):
        return True
    return tag not in TRANSPARENT and tag not in _UNIT_ELEMENTS
