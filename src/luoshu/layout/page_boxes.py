"""Reading WeasyPrint's laid-out pages for luoshu.layout.figure_flow: where a page's flow ends, which
photo opens a page, and how much room paragraphs take.

WeasyPrint 70 stretches every box that continues onto the next page down to the page foot
(css-break-3 box splitting), so "the bottom of the last box" is read from the boxes that end
on the page, and a paragraph's height from where its last line ends.
"""

from __future__ import annotations

from collections.abc import Iterator

from weasyprint.formatting_structure import boxes

from .pagemap import BLOCK_ATTRIBUTE

PT_PER_PX = 0.75  # WeasyPrint lays out in CSS pixels (96 per inch); points are 72 per inch
# How far below the start of the page's flow a photo may begin and still be its first content
# (1 pt): a few hundredths of a pixel of rounding, not a line of text.
TOP_TOLERANCE_PX = 1 / PT_PER_PX



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


def is_marked_figure(box) -> bool:
    return (isinstance(box, boxes.BlockLevelBox) and box.element_tag == "figure"
            and box.element is not None and bool(box.element.get(BLOCK_ATTRIBUTE)))


def opening_figure(page_box) -> tuple[object, list] | None:
    """The figure box that is the first in-flow content of the page, and its ancestor boxes
    (the root box first); None if the page begins with anything else."""
    root = flow_root(page_box)
    if root is None:
        return None
    start = root.content_box_y()
    ancestors: list = []
    box = root
    while not is_marked_figure(box):
        # Zero-height boxes (an empty marker element, a collapsed wrapper) are not content.
        first = next((child for child in in_flow_children(box)
                      if child.margin_height() > 0 or is_marked_figure(child)), None)
        if first is None or not isinstance(first, boxes.BlockLevelBox):
            return None  # a line of text, or nothing
        ancestors.append(box)
        box = first
    if not ancestors or box.position_y - start > TOP_TOLERANCE_PX:
        return None
    return box, ancestors


def section_element(ancestors: list):
    """The ``<section class="chapter">`` element the boxes *ancestors* lie in, or None."""
    for box in reversed(ancestors):
        element = box.element
        if (box.element_tag == "section" and element is not None
                and "chapter" in (element.get("class") or "").split()):
            return element
    return None


def forced_break_before(box) -> bool:
    return box.style["break_before"] in ("page", "left", "right", "recto", "verso")


def text_end(page_box, continuing: set[int], section) -> float | None:
    """Where the in-flow content of the page ends, if it ends inside *section*; else None.

    *continuing* holds the ids of the elements that go on to the next page (the opening
    figure's ancestors): their boxes here are stretched to the page's foot, so the way down
    goes through them to the last box that ends on this page, whose margin box is its own.
    """
    box = flow_root(page_box)
    in_section = False
    while box is not None:
        in_section = in_section or box.element is section
        children = in_flow_children(box)
        if not children:
            return box.content_box_y() if in_section else None  # an empty fragment
        last = children[-1]
        if isinstance(last, boxes.LineBox) or id(last.element) not in continuing:
            return last.position_y + last.margin_height() if in_section else None
        box = last
    return None


def paragraph_fragments(pages: list) -> dict[object, list[tuple[int, object]]]:
    """The boxes of each ``<p>`` element with a data-block, with the index of their page, in
    page order (keyed by the element): one box for a paragraph that fits on its page."""
    fragments: dict[object, list[tuple[int, object]]] = {}
    for index, page_box in enumerate(pages):
        root = flow_root(page_box)
        if root is not None:
            for box in principal_paragraph_boxes(root):
                fragments.setdefault(box.element, []).append((index, box))
    return fragments


def principal_paragraph_boxes(box, parent_element=None) -> Iterator:
    """The block boxes of marked paragraphs under *box* (not the line boxes or anonymous
    blocks inside them, which belong to the same element)."""
    if (isinstance(box, boxes.BlockBox) and box.element_tag == "p"
            and box.element is not parent_element and box.element is not None
            and box.element.get(BLOCK_ATTRIBUTE)):
        yield box
        return
    if isinstance(box, boxes.LineBox):
        return  # inline content: a paragraph's block box is never below a line
    for child in in_flow_children(box):
        yield from principal_paragraph_boxes(child, box.element)


def used_bottom(box) -> float:
    """Where *box* really ends on its page: its margin box's foot, except that a box stretched
    to the page's foot (it continues on the next page) ends where its last child ends."""
    children = in_flow_children(box)
    if (not isinstance(box, boxes.BlockContainerBox) or not children
            or box.style["height"] != "auto"):
        return box.position_y + box.margin_height()
    return (max(used_bottom(child) for child in children)
            + box.padding_bottom + box.border_bottom_width + box.margin_bottom)


def used_height(box) -> float:
    return used_bottom(box) - box.position_y
