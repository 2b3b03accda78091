"""Reading WeasyPrint's laid-out pages for the photo make-up (luoshu.layout.makeup): each page's
flow as a list of items — the lines of its blocks, its headings and figures — with where they
stand and which characters of their block they hold.

WeasyPrint 70 stretches every box that continues onto the next page down to the page foot
(css-break-3 box splitting), so where a box really ends is read from the boxes that end on the
page; a figure's bottom is where its caption ends, its margins kept apart. Geometry is in CSS
pixels (1 px = 0.75 pt).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from weasyprint.formatting_structure import boxes
from weasyprint.layout.percent import percentage

from .pagemap import BLOCK_ATTRIBUTE, counted

PT_PER_PX = 0.75  # WeasyPrint lays out in CSS pixels (96 per inch); points are 72 per inch
END_MATTER_CLASSES = frozenset({"byline", "endmatter"})
# Blocks a photo may stand inside of, splitting them in two (luoshu.layout.moves): a quotation
# and a list go on after the photo; a table or code does not.
DIVISIBLE_TAGS = frozenset({"blockquote", "ul", "ol", "li"})


@dataclass(frozen=True)
class Item:
    """One thing in a page's flow: a line of a block, or a figure."""

    kind: str  # "line" (of a plain paragraph), "inner" (of a paragraph or item inside a
    #            quotation or list), "heading", "figure", or "other" (tables, code, …)
    block: str | None  # the data-block value
    element: object
    top: float
    bottom: float
    start: int = 0  # counted characters of its block laid out before this line
    end: int = 0
    margin_top: float = 0.0  # a figure's top margin, where text is above it
    margin_bottom: float = 0.0  # a figure's bottom margin (not in its height)
    top_block: str | None = None  # the first data-block of the section's top-level block it is in
    image_height: float = 0.0  # a figure's photo
    image_width: float = 0.0

    @property
    def section(self) -> str | None:
        return self.block.rpartition(":")[0] if self.block else None


@dataclass(frozen=True)
class Page:
    """A laid-out page as the make-up reads it."""

    items: tuple[Item, ...]
    top: float  # where the page's flow area starts and ends
    bottom: float


def read_pages(document) -> list[Page]:
    """The flow of every page of a laid-out ``weasyprint.Document``."""
    counts: dict[str, int] = {}
    pages = []
    for page in document.pages:
        root = flow_root(page._page_box)
        items = tuple(_items(root, counts)) if root is not None else ()
        pages.append(Page(items, root.content_box_y() if root is not None else 0.0,
                          flow_bottom(page._page_box)))
    return pages


def _items(box, counts: dict[str, int], block=None, element=None, kind="other",
           outer: str | None = None, top: str | None = None,
           around: tuple[str, ...] = ()) -> Iterator[Item]:
    """The items under *box*; *outer* is the tag of the element around it (a block's parent),
    *top* the name of the section's top-level block it lies in, *around* the tags of the
    elements between the section and *box*'s element."""
    source = box.element
    if source is not None and outer == "section" and source is not element:
        # A top-level block of the section (a photo may go back before a whole table, list or
        # code block): named by its first data-block, its own or its first descendant's.
        top = next((e.get(BLOCK_ATTRIBUTE) for e in source.iter()
                    if e.get(BLOCK_ATTRIBUTE)), None)
    if source is not None and source is not element and source.get(BLOCK_ATTRIBUTE):
        block, element = source.get(BLOCK_ATTRIBUTE), source
        tag = box.element_tag
        if tag in ("h1", "h2", "h3"):
            margin = percentage(box.style["margin_top"], box.style, box.width)
            yield Item("heading", block, source, box.position_y,
                       used_bottom(box) - box.margin_bottom,
                       margin_top=0.0 if margin == "auto" else float(margin),
                       margin_bottom=box.margin_bottom, top_block=top)
            return
        if tag == "figure":
            margin = percentage(box.style["margin_top"], box.style, box.width)
            image = next(_replaced(box), None)
            # Its bottom is where its caption ends: a hole is measured from the ink.
            yield Item("figure", block, source, box.position_y,
                       used_bottom(box) - box.margin_bottom,
                       margin_top=0.0 if margin == "auto" else float(margin),
                       margin_bottom=box.margin_bottom,
                       image_height=image.height if image is not None else 0.0,
                       image_width=image.width if image is not None else 0.0,
                       top_block=top)
            return
        # Lines a photo may pass or split: a plain paragraph of the section, not its end matter;
        # or a paragraph or item inside a quotation or a list (not inside a table).
        plain = tag == "p" and not is_end_matter(source) and outer == "section"
        inner = (tag in ("p", "li") and around and outer != "section"
                 and all(name in DIVISIBLE_TAGS for name in around))
        kind = "line" if plain else "inner" if inner else "other"
    if isinstance(box, boxes.LineBox):
        count = sum(counted(text) for text in _texts(box))
        start = counts.get(block, 0) if block else 0
        if block:
            counts[block] = start + count
        yield Item(kind if block else "other", block, element, box.position_y,
                   box.position_y + box.height, start, start + count, top_block=top)
        return
    for child in in_flow_children(box):
        # The tag of the element around the child's: this box's, unless the child belongs to
        # the same element (a line, an anonymous box).
        entering = source is not None and child.element is not source
        parent = box.element_tag if entering else outer
        chain = (() if box.element_tag == "section" else (*around, box.element_tag)) \
            if entering else around
        yield from _items(child, counts, block, element, kind, parent, top, chain)


def _replaced(box) -> Iterator:
    if isinstance(box, boxes.ReplacedBox):
        yield box
    for child in getattr(box, "children", ()):
        yield from _replaced(child)


def _texts(box) -> Iterator[str]:
    if isinstance(box, boxes.TextBox):
        yield box.text
    for child in getattr(box, "children", ()):
        if not (isinstance(child, boxes.Box) and (child.element_tag or "").endswith(
                ("::before", "::after", "::marker", "::footnote-call"))):
            yield from _texts(child)


def flow_root(page_box):
    """The box of the root element (``<html>``) on a page: the page's in-flow content."""
    return next((child for child in page_box.children if child.is_for_root_element), None)


def flow_bottom(page_box) -> float:
    """Where a page's flow area ends: the foot of its content box, or the top of its footnotes."""
    bottom = page_box.content_box_y() + page_box.height
    for child in page_box.children:
        if isinstance(child, boxes.FootnoteAreaBox) and child.children:
            bottom = min(bottom, child.position_y)
    return bottom


def in_flow_children(box) -> list:
    """*box*'s children in normal flow (not floats, positioned boxes, footnotes, margin boxes)."""
    if not isinstance(box, boxes.ParentBox):
        return []
    return [child for child in box.children
            if isinstance(child, boxes.Box) and not isinstance(child, boxes.MarginBox)
            and child.is_in_normal_flow()]


def used_bottom(box) -> float:
    """Where *box* really ends on its page: its margin box's foot, except that a box stretched
    to the page's foot (it continues on the next page) ends where its last child ends."""
    children = in_flow_children(box)
    if (not isinstance(box, boxes.BlockContainerBox) or not children
            or box.style["height"] != "auto"):
        return box.position_y + box.margin_height()
    return (max(used_bottom(child) for child in children)
            + box.padding_bottom + box.border_bottom_width + box.margin_bottom)


def is_end_matter(element) -> bool:
    """A paragraph that closes a section (a byline, {: .byline}; {: .endmatter})."""
    return bool(END_MATTER_CLASSES & set((element.get("class") or "").split()))
