"""Where each print page begins, mapped into the EPUB text: the EPUB's print page numbers.

The EPUB carries the print edition's page numbers (EPUB Accessibility "pageBreakSource"): an
empty ``<span epub:type="pagebreak" role="doc-pagebreak">`` in the text where each printed page
begins, and a page-list in the navigation document. Both outputs are made from the same XHTML
fragment per section (``Section.html``), so a place in the text is named the same way in both:

**Blocks.** The block elements of a section's fragment (``BLOCK_TAGS``: paragraphs, headings,
list items, table cells, captions, pre, and the containers that may hold loose text), numbered
0, 1, 2… in document order (pre-order, nested blocks included). Each character of the text
belongs to its nearest block ancestor: a block's *own text* excludes the text of blocks nested
in it (``<li>a<ul><li>b</li></ul>c</li>``: the outer item owns "ac"). The gallery of photos
that belong to no section is numbered the same way under ``GALLERY_SECTION``, with its title
(the ``<h1 id="gallery--title">`` both outputs' templates write) as block 0.

**Offsets** count the characters of a block's own text that are neither whitespace nor the
invisible marks the print document adds or drops (``IGNORED``: U+2060 WORD JOINER, inserted by
cjk_layout for line-break prohibitions, and U+00AD SOFT HYPHEN). WeasyPrint's text boxes drop
collapsed whitespace, so counting non-whitespace characters only is what both sides can agree
on; offset *k* is the position just before the (k+1)-th counted character.

The print side: ``pdf.print_html`` marks every block with ``data-block="<section>:<n>"``
(``mark_blocks``), and ``page_breaks`` walks WeasyPrint's laid-out pages. For each page with a
folio, the break is at the first counted character laid out on that page: its block, and the
number of that block's characters laid out on earlier pages; a page that begins with an image
(a photo, its caption below it) begins at that image's block — in a ``<figure>``, the figure
itself (it owns no text, so offset 0: the EPUB marker goes before the figure). Running heads and
folios (margin boxes) and generated text (list markers, ``::before``/``::after``) are not text
of the book, nor is a table header WeasyPrint repeats at the top of a page. A folio'd page with
nothing in it gets the position of whatever comes next.

The EPUB side: ``insert_page_breaks`` (on a fragment) or ``mark_page_breaks`` (on a parsed
element) put the markers in, and ``page_list`` gives the navigation document's entries.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import groupby

from lxml import etree

from ..markup.xhtml import escape_text

EPUB_NS = "http://www.idpf.org/2007/ops"

# The attribute the photo make-up (luoshu.layout.moves) puts on a photo it printed away from
# its place in the EPUB: "back" before text that precedes it there, "forward" after text that
# follows it. A page that begins with such a photo begins, in the EPUB's order, at its text.
MOVED = "data-moved"
MOVED_BACK = (MOVED, "back")
MOVED_FORWARD = (MOVED, "forward")

# The attribute pdf.print_html puts on each block: "<section id>:<block number>".
BLOCK_ATTRIBUTE = "data-block"
# On each part of a paragraph the print make-up split around a photo (luoshu.layout.makeup):
# the counted characters of the whole paragraph, whose parts share its data-block.
SPLIT_LENGTH = "data-block-length"

# The section id of the gallery (photos that belong to no section). Section ids are file names
# made of letters, digits, '-', '_' and '.', so this one cannot be a section's.
GALLERY_SECTION = "(gallery)"
# The gallery's heading, written by the templates of both outputs (not part of any fragment):
# block 0 of the gallery; its figures are numbered from 1.
GALLERY_TITLE_ID = "gallery--title"

BLOCK_TAGS = frozenset({
    "p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "dt", "dd", "pre", "figcaption", "caption",
    "td", "th",
    # Containers: usually their text is in the blocks above, but loose text in them counts too.
    "blockquote", "div", "figure", "section", "article", "aside", "header", "footer", "address",
})
# Elements whose text is never shown as text: not counted (<rp> is hidden where ruby works,
# which WeasyPrint does).
UNSHOWN_TAGS = frozenset({"rp", "script", "style", "template"})
# Inline elements whose text is not the block's: a footnote's call (its number; the print page
# generates it) and the note the print document floats to the foot of the page
# (luoshu.layout.footnotes).
NOT_COUNTED_CLASSES = frozenset({"footnote-ref", "print-footnote"})
# cjk_layout.WORD_JOINER, repeated here so that the EPUB side does not import WeasyPrint.
WORD_JOINER = "\u2060"
# Characters that do not count: the print document's line-break glue, and soft hyphens (shown,
# if at all, as a hyphen at a line end). Whitespace does not count either.
IGNORED = frozenset({WORD_JOINER, "\u00ad"})

# A marker may go before a block only where the block's parent accepts a <span>.
_NO_SPAN_PARENTS = frozenset({
    "ol", "ul", "menu", "dl", "table", "thead", "tbody", "tfoot", "tr", "colgroup", "select",
    "optgroup", "datalist", "hgroup", "details", "fieldset", "ruby",
})
# Pseudo-element boxes whose text the print document generates (not the book's text).
# ::first-letter and ::first-line boxes hold the element's own text and are walked.
_GENERATED_BOXES = ("::before", "::after", "::marker", "::footnote-call", "::footnote-marker",
                    "::note-call", "::note-marker", "::note-callback")


@dataclass(frozen=True)
class PageBreak:
    """The print page *label* begins in section *section_id*, block *block*, before the
    character *offset* of that block's own text (counted as the module docstring says)."""

    section_id: str
    block: int
    offset: int
    label: str  # the folio as printed: "1", "2", …

    @property
    def id(self) -> str:
        """The id of the marker in the EPUB: "page-<label>"."""
        return page_id(self.label)


def page_id(label: str) -> str:
    """The id of the page-break marker of the page *label* ("page-12")."""
    return "page-" + (re.sub(r"[^\w.\-]+", "-", label).strip("-") or "x")


def counted(text: str) -> int:
    """How many characters of *text* count for offsets (not whitespace, not IGNORED)."""
    return sum(1 for char in text if not (char.isspace() or char in IGNORED))


def _countable(char: str) -> bool:
    return not (char.isspace() or char in IGNORED)


# --- Blocks: one definition for both outputs ------------------------------------------------


def _local(tag: object) -> str | None:
    """An element's tag without namespace, lower case; None for comments and PIs."""
    if not isinstance(tag, str):
        return None
    return tag.rsplit("}", 1)[-1].lower()


def blocks(container) -> list:
    """The blocks inside *container* (an lxml element, itself excluded), in document order."""
    return [element for element in container.iterdescendants()
            if _local(element.tag) in BLOCK_TAGS]


def mark_blocks(container, section_id: str, first: int = 0) -> int:
    """Set ``data-block="<section_id>:<n>"`` on each block inside *container*, numbering from
    *first*; return the number after the last one (where a following fragment continues)."""
    number = first
    for element in blocks(container):
        element.set(BLOCK_ATTRIBUTE, f"{section_id}:{number}")
        number += 1
    return number


def _own_text(block) -> Iterator[tuple[object, str]]:
    """The text nodes of *block*'s own text in document order, as (element, "text"|"tail").

    Works on lxml and xml.etree trees alike (WeasyPrint's document is the latter).
    """
    yield block, "text"
    for child in block:
        yield from _inline_text(child)


def _inline_text(element) -> Iterator[tuple[object, str]]:
    """An inline child's text and its descendants' (stopping at nested blocks), then its tail.
    A footnote's call and, in the print document, the note set at the page's foot are not
    text of the block (the print page draws the call, and the note is not in the flow)."""
    name = _local(element.tag)
    if (name is not None and name not in BLOCK_TAGS and name not in UNSHOWN_TAGS
            and not NOT_COUNTED_CLASSES & set((element.get("class") or "").split())):
        yield element, "text"
        for child in element:
            yield from _inline_text(child)
    yield element, "tail"


def own_text(block) -> str:
    """A block's own text (whitespace and IGNORED characters included)."""
    return "".join(getattr(node, attr) or "" for node, attr in _own_text(block))


def own_text_nodes(block) -> list[tuple[object, str]]:
    """The text nodes of *block*'s own text, as (element, "text" or "tail"), in order."""
    return list(_own_text(block))


# --- The print side: where each laid-out page begins -----------------------------------------


def page_breaks(document, labels: Sequence[str | None] | None = None) -> tuple[PageBreak, ...]:
    """The page breaks of a laid-out print document (a ``weasyprint.Document`` of
    ``pdf.print_html``), one per page with a folio, in page order. The folios are read from
    the pages, or given as *labels* (one per page, None for a page without one: a layout unit
    drawn without its folios, luoshu.layout.units)."""
    from weasyprint.formatting_structure import boxes  # the print side only

    seen: dict[tuple[str, int], int] = {}  # counted characters of each block laid out so far
    totals: dict[tuple[str, int], int] = {}
    pending: list[str] = []  # labels of folio'd pages whose first text is still to come
    result: list[PageBreak] = []
    last: tuple[str, int] | None = None
    for number, page in enumerate(document.pages):
        label = _folio(page._page_box, boxes) if labels is None else labels[number]
        if label is not None:
            pending.append(label)
        for key, count, element in _runs(page._page_box, boxes):
            if not count and (element.get(MOVED_BACK[0]) == MOVED_BACK[1] or (
                    last is not None and key[0] == last[0] and key[1] < last[1])):
                # A photo printed away from its place in the EPUB (luoshu.layout.figure_flow): moved
                # past the text after it, or back before text that precedes it in the EPUB. A
                # page that begins with it begins, in the EPUB's order, at the text after it.
                continue
            done = seen.get(key, 0)
            if count:
                if key not in totals:
                    totals[key] = int(element.get(SPLIT_LENGTH) or counted(own_text(element)))
                if done >= totals[key]:
                    continue  # text laid out again: a table header repeated on a new page
            if pending:
                result.extend(PageBreak(key[0], key[1], done, label) for label in pending)
                pending.clear()
            seen[key] = done + count
            last = key
    if pending and last is not None:  # trailing pages without text: after the last character
        result.extend(PageBreak(last[0], last[1], seen[last], label) for label in pending)
    return tuple(result)


def sections_shown(document) -> list[str | None]:
    """The section (its id; GALLERY_SECTION for the gallery) each page of a laid-out print
    document shows something of, or None for a page with nothing of any section: a blank
    verso left before a section that opens on a recto."""
    from weasyprint.formatting_structure import boxes  # the print side only

    return [_first_section(page._page_box, boxes) for page in document.pages]


def _first_section(box, boxes) -> str | None:
    if isinstance(box, (boxes.MarginBox, boxes.FootnoteAreaBox)):
        return None
    source = box.element
    if source is not None and box.element_tag and not box.element_tag.endswith(
            _GENERATED_BOXES):
        value = source.get(BLOCK_ATTRIBUTE)
        if value:
            return value.rpartition(":")[0]
        if source.get("id") == GALLERY_TITLE_ID:
            return GALLERY_SECTION
    for child in getattr(box, "children", ()):
        found = _first_section(child, boxes)
        if found is not None:
            return found
    return None


def _folio(page_box, boxes) -> str | None:
    """The page number printed in a margin box of *page_box*, or None (no folio)."""
    for child in page_box.children:
        if isinstance(child, boxes.MarginBox) and _shows_page_number(child.style["content"]):
            text = "".join(_box_texts(child, boxes)).replace(WORD_JOINER, "").strip()
            if text:
                return text
    return None


def _shows_page_number(content) -> bool:
    """Whether a computed ``content`` value has counter(page) or counters(page, …)."""
    if not isinstance(content, (tuple, list)):
        return False  # "normal", "none"
    return any(isinstance(item, tuple) and item[0] in ("counter()", "counters()")
               and item[1] and item[1][0] == "page" for item in content)


def _box_texts(box, boxes) -> Iterator[str]:
    if isinstance(box, boxes.TextBox):
        yield box.text
    for child in getattr(box, "children", ()):
        yield from _box_texts(child, boxes)


def _runs(box, boxes, key=None, element=None) -> Iterator[tuple[tuple[str, int], int, object]]:
    """(block key, counted characters, block element) of each text box of the body flow under
    *box*, in document order; an image gives a run of 0 characters (a page may begin with
    one). Text and images outside any block are not part of a section."""
    if isinstance(box, (boxes.MarginBox, boxes.FootnoteAreaBox)):
        return
    tag = box.element_tag or ""
    if tag.endswith(_GENERATED_BOXES):
        return
    source = box.element
    if source is not None and box.element_tag == "figure" and source.get(MOVED):
        return  # neither its image nor its caption dates a page (see MOVED)
    if source is not None:
        value = source.get(BLOCK_ATTRIBUTE)
        if value:
            section_id, _, number = value.rpartition(":")
            key, element = (section_id, int(number)), source
        elif source.get("id") == GALLERY_TITLE_ID:
            key, element = (GALLERY_SECTION, 0), source
    if isinstance(box, boxes.TextBox):
        count = counted(box.text)
        if count and key is not None:
            yield key, count, element
        return
    if isinstance(box, boxes.ReplacedBox):
        if key is not None:
            yield key, 0, element
        return
    for child in getattr(box, "children", ()):
        yield from _runs(child, boxes, key, element)


# --- The EPUB side: markers in the text -------------------------------------------------------


def insert_page_breaks(section_id: str, xhtml: str, breaks: Iterable[PageBreak]) -> str:
    """*xhtml* (a section's fragment, as ``Section.html``) with a page-break marker where each
    of *breaks* that belongs to *section_id* begins.

    Each marker is ``<span xmlns:epub="…/ops" epub:type="pagebreak" role="doc-pagebreak"
    id="page-N" aria-label="N"/>``: the fragment stays well-formed XML on its own, and in an
    EPUB document (whose ``<html>`` declares the same prefix) the declaration is redundant and
    harmless. The text content is unchanged. Without breaks for the section, *xhtml* is
    returned as is.

    For the gallery (``GALLERY_SECTION``), pass the gallery's content as the EPUB shows it:
    ``<h1 id="gallery--title">…</h1>`` followed by the figures; or use ``mark_page_breaks``
    on the parsed ``<section>``.
    """
    mine = [b for b in breaks if b.section_id == section_id]
    if not mine:
        return xhtml
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
    wrapper = etree.fromstring(f"<div>{xhtml}</div>".encode(), parser)
    mark_page_breaks(wrapper, mine)
    parts = [escape_text(wrapper.text or "")]
    parts += [etree.tostring(child, encoding="unicode", with_tail=True) for child in wrapper]
    return "".join(parts)


def mark_page_breaks(container, breaks: Iterable[PageBreak]) -> None:
    """Insert the markers of *breaks* into *container*, an lxml element whose content is one
    section's (its blocks numbered as ``blocks(container)``): a fragment's wrapper, or the
    ``<section>`` element of a parsed EPUB document (XHTML namespace or none).

    A page that begins with a block (offset 0, nothing before its first character) gets its
    marker just before the block element — not inside a heading — where the parent allows a
    ``<span>``; otherwise the marker goes into the text, before the page's first character.
    Raises ValueError for a block the container does not have.
    """
    found = blocks(container)
    namespace = etree.QName(container).namespace
    ordered = sorted(breaks, key=lambda b: (b.block, b.offset))
    # From the end backwards: an insertion never moves a position still to be used.
    for (number, offset), group in reversed([(k, list(g)) for k, g in
                                             groupby(ordered, key=lambda b: (b.block, b.offset))]):
        if not 0 <= number < len(found):
            raise ValueError(f"page {group[0].label}: block {number} of section "
                             f"{group[0].section_id!r} does not exist ({len(found)} blocks)")
        markers = [_marker(b.label, namespace) for b in group]
        _insert(found[number], offset, markers)


def _marker(label: str, namespace: str | None):
    tag = f"{{{namespace}}}span" if namespace else "span"
    marker = etree.Element(tag, nsmap={"epub": EPUB_NS})
    marker.set(f"{{{EPUB_NS}}}type", "pagebreak")
    marker.set("role", "doc-pagebreak")
    marker.set("id", page_id(label))
    marker.set("aria-label", label)
    return marker


def _insert(block, offset: int, markers: list) -> None:
    """Put *markers* into *block* before the character *offset* of its own text (after its
    last character when *offset* is the count of them)."""
    node, index = _locate(block, offset)
    if offset == 0 and _starts_block(block, node) and _accepts_span(block.getparent()):
        parent = block.getparent()
        at = parent.index(block)
        for shift, marker in enumerate(markers):
            parent.insert(at + shift, marker)
        return
    element, attr = node
    text = getattr(element, attr) or ""
    setattr(element, attr, text[:index] or None)
    if attr == "text":
        parent, at = element, 0
    else:
        parent, at = element.getparent(), element.getparent().index(element) + 1
    for shift, marker in enumerate(markers):
        parent.insert(at + shift, marker)
    markers[-1].tail = text[index:] or None


def _locate(block, offset: int) -> tuple[tuple[object, str], int]:
    """The text node and index of the character *offset* of *block*'s own text; for an offset
    past the last character, the place just after it (the block's start if it has none)."""
    remaining = offset
    after_last = ((block, "text"), 0)
    for element, attr in _own_text(block):
        text = getattr(element, attr) or ""
        for index, char in enumerate(text):
            if not _countable(char):
                continue
            if remaining == 0:
                return (element, attr), index
            remaining -= 1
            after_last = ((element, attr), index + 1)
    return after_last


def _starts_block(block, node: tuple[object, str]) -> bool:
    """Whether the text node *node* comes first in *block*: in the text of the block or of
    first children down from it (so no element, image or nested block precedes it)."""
    element, attr = node
    if attr != "text":
        return False
    while element is not block:
        parent = element.getparent()
        if parent is None or parent.index(element) != 0 or counted(parent.text or ""):
            return False
        element = parent
    return True


def _accepts_span(parent) -> bool:
    return parent is not None and _local(parent.tag) not in _NO_SPAN_PARENTS



# --- The navigation document ------------------------------------------------------------------


def page_list(breaks: Iterable[PageBreak],
              href_of_section: Mapping[str, str] | Callable[[str], str]) -> list[tuple[str, str]]:
    """The page-list entries, (label, href) in page order: *href_of_section* gives the
    document of a section id (``GALLERY_SECTION`` included) relative to the nav document,
    e.g. "text/01-reform.xhtml"; the href adds the marker's fragment."""
    lookup = (href_of_section.__getitem__ if isinstance(href_of_section, Mapping)
              else href_of_section)
    return [(b.label, f"{lookup(b.section_id)}#{b.id}") for b in breaks]
