"""Chinese line layout for WeasyPrint: what it lacks, added as a small, isolated extension.

Verified against WeasyPrint 70.0 (``VERIFIED_WEASYPRINT``); ``install()`` refuses other
versions, because it replaces internals, not public API. What it adds (W3C clreq):

1. **Inter-character justification.** WeasyPrint justifies by stretching spaces only, so a
   line of Chinese (which has none) stays ragged. ``justify_line`` spreads the extra width over
   every gap next to a CJK character (and over spaces), the way CSS ``text-justify:
   inter-character`` does; Latin words keep their letter-fit. Gaps inside a text box widen the
   advance of the shaped glyph before them; gaps between boxes move the boxes.
2. **Punctuation compression (标点挤压).** Two adjacent full-width punctuation marks take 1.5 em:
   the mark whose blank half faces the other is set half-width with the font's OpenType
   ``halt`` feature, per character, through a Pango attribute. Simplified Chinese only:
   Traditional Chinese centres punctuation in the em box and keeps it full width.
3. **Han–Latin spacing at line edges.** The quarter-em margins on ``span.latin`` (added in
   markup, see luoshu.zh.spacing) are removed where the span starts or ends a line.
4. **Line-break prohibition (禁则)** is done in the *text* by ``protect_line_breaks``: a WORD
   JOINER (U+2060, invisible, not extracted by pdftotext) glues closing punctuation to what
   precedes it (so ——/…… cannot start a line after a character), and opening punctuation to
   what follows. Both Pango and WeasyPrint's own between-box break checks read the text, so
   this holds across inline elements too; the joiners are default-ignorable and take no
   space. The two halves of ——/…… are kept together by Unicode line breaking itself (B2×B2,
   IN×IN); a joiner between them would break the dash's continuous stroke.

Only lines whose language is Chinese (``lang`` zh…) are touched: other documents rendered in the
same process lay out exactly as WeasyPrint would. The patches are pure functions of the boxes
they get; installing them is idempotent and process-wide (WeasyPrint has no per-document hook).
"""

from __future__ import annotations

import functools
import itertools
import re
import threading

import weasyprint
from weasyprint.formatting_structure import boxes
from weasyprint.layout import inline
from weasyprint.text import line_break
from weasyprint.text.ffi import ffi, pango

from ..model import script_of
from ..zh.chars import (
    CLOSING,
    HAN,
    INSEPARABLE,
    NOT_AT_LINE_END,
    NOT_AT_LINE_START,
    OPENING,
    PAUSE_OR_STOP,
    WIDE_RANGES,
)

VERIFIED_WEASYPRINT = "70.0"
WORD_JOINER = "\u2060"
_HAN_CHARACTER = re.compile(f"[{HAN}]")
_PANGO_SCALE = 1024  # Pango units per point (PANGO_SCALE)



@functools.cache  # called for every character of every line: a book has a few thousand
def is_cjk(char: str) -> bool:
    """A character set on the CJK grid: a wide character (Han, kana, CJK and full-width
    punctuation), or Chinese punctuation outside those blocks (“”‘’ —— …… ·)."""
    code = ord(char)
    return (any(first <= code <= last for first, last in WIDE_RANGES)
            or char in OPENING or char in CLOSING or char in INSEPARABLE or char == "·")


# --- 4. Line-break prohibition, in the text -------------------------------------------------


def protect_text(previous: str, text: str) -> str:
    """*text* with word joiners where a line must not break.

    *previous* is the character just before *text* in the paragraph (from the preceding text
    node), so prohibitions hold across inline elements: ``<em>中文</em>，`` still glues.
    """
    out: list[str] = []
    before = previous
    for char in text:
        glue = (
            before and before != WORD_JOINER and not before.isspace() and not char.isspace()
            and (char in NOT_AT_LINE_START or before in NOT_AT_LINE_END)
            and not (char in INSEPARABLE and before == char)  # UAX #14 keeps ——/…… whole
        )
        if glue:
            out.append(WORD_JOINER)
        out.append(char)
        before = char
    return "".join(out)


def without_word_joiners(text: str) -> str:
    """*text* without protect_text's word joiners, for text not laid out in lines (bookmarks)."""
    return text.replace(WORD_JOINER, "")


def protect_line_breaks(root, skip=("pre", "code", "kbd", "samp", "script", "style")) -> None:
    """Apply ``protect_text`` to every text node of an lxml tree, in document order, and keep
    the last character of each paragraph — a list item's, a definition's too — with the one
    before it (``glue_paragraph_end``)."""
    previous = ""
    for element, attr, in_code in _text_nodes(root, skip):
        text = getattr(element, attr) or ""
        if not text:
            continue
        if not in_code:
            setattr(element, attr, protect_text(previous, text))
        previous = text[-1]
    for paragraph in root.iter("p", "li", "dd"):
        glue_paragraph_end(paragraph, skip)


def _text_nodes(root, skip, in_code: bool = False):
    """(element, "text" or "tail", inside code) for each text node under *root*, in document
    order: an element's text, then its children, then its tail (the root's tail excluded)."""
    def walk(element, code):
        inside = code or element.tag in skip
        yield element, "text", inside
        for child in element:
            if isinstance(child.tag, str):
                yield from walk(child, inside)
                yield child, "tail", inside
    if isinstance(root.tag, str):
        yield from walk(root, in_code)


def glue_paragraph_end(paragraph, skip=("pre", "code", "kbd", "samp", "script", "style")) -> None:
    """No 孤字: the paragraph's last Han character is joined to the character before it, so a
    paragraph never ends with one character alone on its last line (clreq; 段末不留单字). When
    the last line would have held one, the character before it comes down too and the line
    above is spread by one em; otherwise the joiner changes nothing."""
    for element, attr, in_code in reversed(list(_text_nodes(paragraph, skip))):
        text = getattr(element, attr) or ""
        if in_code:
            return  # the paragraph ends in code: nothing to keep together
        for index in range(len(text) - 1, -1, -1):
            if _HAN_CHARACTER.match(text[index]):
                before = text[index - 1] if index else _char_before(paragraph, element, attr, skip)
                if before and before != WORD_JOINER and not before.isspace():
                    setattr(element, attr, text[:index] + WORD_JOINER + text[index:])
                return


def _char_before(paragraph, element, attr, skip) -> str:
    """The character just before the text node (*element*, *attr*) inside *paragraph*."""
    previous = ""
    for node, name, _ in _text_nodes(paragraph, skip):
        if node is element and name == attr:
            return previous
        text = getattr(node, name) or ""
        if text:
            previous = text[-1]
    return previous


# --- 2. Punctuation compression, per character, at shaping time -----------------------------


def compressed_indexes(text: str) -> list[int]:
    """Indexes of the marks to set half-width: one of each pair of adjacent punctuation marks.

    The mark whose blank half faces its neighbour gives it up: a closing or pause mark (blank
    on its right, in Simplified Chinese fonts) before another mark, or an opening mark (blank on
    its left) after one. Word joiners between the two are looked through. (Called on every
    shaping of every text, so the search itself is one regular expression.)
    """
    result = []
    for match in _ADJACENT_MARKS.finditer(text):
        first, second = match[1], match[2]
        if first in CLOSING or first in PAUSE_OR_STOP:
            result.append(match.start(1))
        elif second in OPENING:
            result.append(match.start(2))
    return result


_MARKS = "".join(sorted(OPENING | CLOSING | PAUSE_OR_STOP))
_ADJACENT_MARKS = re.compile(f"(?=([{_MARKS}]){WORD_JOINER}?([{_MARKS}]))")


# --- 1. Inter-character justification -------------------------------------------------------


def _opportunity(before: str, after: str) -> bool:
    """Whether extra space may go between *before* and *after* (clreq, CSS inter-character)."""
    if before == " " or before == "\u00a0":
        return True
    if before in INSEPARABLE and before == after:
        return False
    return is_cjk(before) or is_cjk(after)


def _chinese_style(style) -> bool:
    """Whether text in *style* is Chinese: only Chinese lines get the Chinese rules."""
    lang = (style["lang"] or "").lower()
    return lang == "zh" or lang.startswith("zh-")


def _text_boxes(box):
    """Leaf boxes of a line in visual order: TextBoxes, and other atomic boxes as None."""
    if isinstance(box, boxes.TextBox):
        yield box
    elif isinstance(box, (boxes.LineBox, boxes.InlineBox)):
        for child in box.children:
            if child.is_in_normal_flow():
                yield from _text_boxes(child)
    else:
        yield None


def _plan(line) -> tuple[dict, dict, int]:
    """Where the gaps are: per text box, the opportunity gaps inside it and after it.

    A gap just before a word joiner gets nothing; the joiner's own gap stands for the pair it
    joins (joiners stop line breaks, not spacing: ``中⁠，`` is an ordinary gap).
    """
    inside: dict[int, list[int]] = {}  # id(box) -> i: the gap between text[i] and text[i + 1]
    after: dict[int, int] = {}  # id(box) -> 1 when the gap after its last character counts
    count = 0
    last_real = None  # the last visible character seen, across boxes
    previous_leaf = None
    for leaf in _text_boxes(line):
        if leaf is None or not leaf.text:
            last_real, previous_leaf = None, None
            continue
        text = leaf.text
        if previous_leaf is not None and last_real is not None and text[0] != WORD_JOINER:
            if _opportunity(last_real, text[0]):
                after[id(previous_leaf)] = 1
                count += 1
        gaps = []
        for i, char in enumerate(text):
            if char != WORD_JOINER:
                last_real = char
            following = text[i + 1] if i + 1 < len(text) else None
            if following is None or following == WORD_JOINER or last_real is None:
                continue
            if _opportunity(last_real, following):
                gaps.append(i)
        inside[id(leaf)] = gaps
        count += len(gaps)
        previous_leaf = leaf
    return inside, after, count


def justify_line(context, line, extra_width):
    """WeasyPrint's justify_line, with inter-character justification for Chinese lines."""
    if not _chinese_style(line.style):
        return _original["justify_line"](context, line, extra_width)
    inside, after, count = _plan(line)
    if not count:
        return None
    _spread(context, line, extra_width / count, inside, after, 0.0)
    return None


def _spread(context, box, amount, inside, after, x_advance):
    """Move and widen boxes in visual order (the counterpart of WeasyPrint's add_word_spacing)."""
    if isinstance(box, boxes.TextBox):
        box.position_x += x_advance
        box.justification_spacing = 0
        gaps = inside.get(id(box), [])
        if gaps:
            layout = line_break.create_layout(box.text, box.style, context, None, 0)
            layout.luoshu_gaps = (box.text, tuple(gaps), amount)
            layout.deactivate()  # drawing reactivates it, and set_text widens the glyphs then
            box.pango_layout = layout
            box.width += amount * len(gaps)
            x_advance += amount * len(gaps)
        return x_advance + amount * after.get(id(box), 0)
    if isinstance(box, (boxes.LineBox, boxes.InlineBox)):
        box.position_x += x_advance
        start = x_advance
        for child in box.children:
            if child.is_in_normal_flow():
                x_advance = _spread(context, child, amount, inside, after, x_advance)
        box.width += x_advance - start
        return x_advance
    box.translate(x_advance, 0)
    return x_advance


def _widen_glyphs(layout, gaps: tuple[int, ...], amount: float) -> None:
    """Add *amount* points after each character in *gaps*, in the shaped first line.

    Done on the glyphs Pango has already shaped, not with letter-spacing attributes: those split
    shaping runs, which breaks contextual forms such as the continuous stroke of ——.
    """
    offsets = _byte_offsets(layout.text)
    char_at = dict(zip(offsets, range(len(offsets))))
    wanted = set(gaps)
    extra = round(amount * _PANGO_SCALE)
    run = pango.pango_layout_get_line_readonly(layout.layout, 0).runs
    while run != ffi.NULL:
        item = run.data
        run = run.next
        glyphs, start, length = item.glyphs, item.item.offset, item.item.length
        count = glyphs.num_glyphs
        clusters = ffi.unpack(glyphs.log_clusters, count)  # one call, not one per glyph
        infos = glyphs.glyphs
        for i in range(count):
            end = clusters[i + 1] if i + 1 < count else length
            if end != clusters[i] and char_at.get(start + end, 0) - 1 in wanted:
                infos[i].geometry.width += extra  # the last glyph of its cluster


def set_text(self, text, justify=False):
    """WeasyPrint's Layout.set_text, plus per-character compression and justification.

    WeasyPrint edits the layout's attribute list in place on every call, and ours are per
    character: a layout we have added attributes to starts again from a copy of the list it had
    before, so no attribute outlives the text it was made for.
    """
    if not _chinese_style(self.style):
        return _original["set_text"](self, text, justify)
    # Traditional Chinese centres its punctuation in the em box and does not compress it.
    compress = script_of(self.style["lang"] or "") == "Hans" and bool(compressed_indexes(text))
    # A saved list belongs to the current Pango layout: deactivate() drops it, and only
    # reactivate() (after deactivate) makes a new Pango layout for this object.
    saved = self.__dict__.get("_luoshu_base")
    if saved is not None:
        pango.pango_layout_set_attributes(self.layout, _copy(saved))
    elif compress:
        self._luoshu_base = _copy(pango.pango_layout_get_attributes(self.layout))
    _original["set_text"](self, text, justify)
    if compress:
        _insert_halt(self)
    gaps = getattr(self, "luoshu_gaps", None)
    if justify and gaps and gaps[0] == self.text:
        # Drawing puts the layout in single-paragraph mode right after this call, and a Pango
        # layout whose mode changes is shaped again, losing the widened glyphs: set the mode
        # first, so that the glyphs drawn are the glyphs widened.
        pango.pango_layout_set_single_paragraph_mode(self.layout, True)
        _widen_glyphs(self, gaps[1], gaps[2])
    return None


def _insert_halt(layout) -> None:
    """Set the marks of compressed_indexes half-width with the font's ``halt`` feature."""
    indexes = compressed_indexes(layout.text)  # the text WeasyPrint kept (it may cut it short)
    if not indexes:
        return
    attr_list = pango.pango_layout_get_attributes(layout.layout)
    if attr_list == ffi.NULL:
        attr_list = ffi.gc(pango.pango_attr_list_new(), pango.pango_attr_list_unref)
    offsets = _byte_offsets(layout.text)
    for index in indexes:
        attribute = pango.pango_attr_font_features_new(b"halt 1")
        attribute.start_index, attribute.end_index = offsets[index], offsets[index + 1]
        pango.pango_attr_list_insert(attr_list, attribute)  # the list owns it now
    pango.pango_layout_set_attributes(layout.layout, attr_list)


def deactivate(self):
    """WeasyPrint's Layout.deactivate, also letting go of our saved attribute list."""
    self.__dict__.pop("_luoshu_base", None)
    return _original["deactivate"](self)


def _copy(attr_list):
    """A new reference-counted copy of a Pango attribute list (or an empty one for NULL)."""
    copy = (pango.pango_attr_list_copy(attr_list) if attr_list != ffi.NULL
            else pango.pango_attr_list_new())
    return ffi.gc(copy, pango.pango_attr_list_unref)


def _byte_offsets(text: str) -> list[int]:
    """The UTF-8 byte offset of each character of *text*, and of its end (Pango counts bytes)."""
    return [0, *itertools.accumulate(
        1 if c < "\x80" else 2 if c < "\u0800" else 3 if c < "\U00010000" else 4 for c in text)]


# --- 3. Han–Latin spacing at line edges -----------------------------------------------------


def text_align(context, line, available_width, last):
    """WeasyPrint's text_align, after removing Han–Latin margins at the line's two edges."""
    if _chinese_style(line.style):
        _trim_edge_margins(line)
    return _original["text_align"](context, line, available_width, last)


def _edge_path(line, side: str) -> list:
    """The inline boxes from the line down to a Han–Latin span on its *side* edge, or []."""
    path, box = [], line
    while isinstance(box, (boxes.LineBox, boxes.InlineBox)):
        flow = [c for c in box.children if c.is_in_normal_flow()]
        if not flow or not isinstance(flow[0 if side == "left" else -1], boxes.InlineBox):
            return []
        box = flow[0 if side == "left" else -1]
        path.append(box)
        element = box.element
        if element is not None and "latin" in (element.get("class") or "").split():
            return path
    return []


def _trim_edge_margins(line) -> None:
    path = _edge_path(line, "left")
    if path and path[-1].margin_left:
        shift = path[-1].margin_left
        path[-1].margin_left = 0
        for child in line.children:  # everything moves left by the margin…
            if child.is_in_normal_flow():
                child.translate(-shift, 0)
        for box in path:  # …except the left edges of the boxes that now start the line
            box.position_x += shift
        for box in path[:-1]:
            box.width -= shift
        line.width -= shift
    path = _edge_path(line, "right")
    if path and path[-1].margin_right:
        shift = path[-1].margin_right
        path[-1].margin_right = 0
        for box in path[:-1]:
            box.width -= shift
        line.width -= shift


# --- Installation ---------------------------------------------------------------------------

_original: dict = {}
_install_lock = threading.Lock()


def install() -> None:
    """Patch WeasyPrint once per process. Raises RuntimeError on an unverified version."""
    if weasyprint.__version__ != VERIFIED_WEASYPRINT:
        raise RuntimeError(
            f"luoshu's Chinese layout extension is verified against WeasyPrint "
            f"{VERIFIED_WEASYPRINT}, not {weasyprint.__version__}: install weasyprint=="
            f"{VERIFIED_WEASYPRINT}")
    with _install_lock:
        if _original:
            return
        _original["justify_line"] = inline.justify_line
        _original["text_align"] = inline.text_align
        _original["set_text"] = line_break.Layout.set_text
        _original["deactivate"] = line_break.Layout.deactivate
        try:  # not in WeasyPrint's own declarations; needed to reset attribute lists
            ffi.cdef("PangoAttrList * pango_attr_list_copy (PangoAttrList *list);")
        except Exception:  # noqa: BLE001 - already declared (cffi raises its own error types)
            pass
        inline.justify_line = justify_line
        inline.text_align = text_align
        line_break.Layout.set_text = set_text
        line_break.Layout.deactivate = deactivate
