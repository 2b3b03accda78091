"""Carrying out the photo make-up's moves in the print document (lxml, before layout).

A ``Move`` puts a figure before a character of a paragraph — splitting the paragraph there when
that falls inside it — or before a whole top-level block (a table, a list, code), or changes
how the figure (or a heading) is set: smaller, side by side with the photo before it, with more
white above it, with less under a heading. luoshu.layout.makeup decides the moves from a
layout; ``apply_moves`` makes them in the next document, in order.

A paragraph split for a photo keeps its ``data-block`` on both parts, which carry its length
(``data-block-length``), so the EPUB's page numbers (luoshu.layout.pagemap) count one
paragraph; its first part is justified to its last line (``split-head``), its second part is
not indented (``split-tail``). A photo printed before text that precedes it in the EPUB is
marked ``data-moved="back"``.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass

from .pagemap import (
    BLOCK_ATTRIBUTE,
    MOVED_BACK,
    MOVED_FORWARD,
    SPLIT_LENGTH,
    counted,
    own_text,
    own_text_nodes,
)

SPLIT_HEAD, SPLIT_TAIL = "split-head", "split-tail"  # a paragraph (or item) cut in its text
CUT_HEAD, CUT_TAIL = "cut-head", "cut-tail"  # a quotation or list cut between its blocks
SCALE = "data-scale"  # on a figure whose photo is printed smaller than its placement
TOP_PREFIX = "top:"  # a Move's target: before the top-level block holding this data-block
AFTER_PREFIX = "after:"  # a Move's target: after the top-level block holding this data-block
PAIR_SCALE = 0.485  # two photos side by side: each this share of its width (a gap between)
PAIRED = "paired"  # their class (print.css sets them side by side)


@dataclass(frozen=True)
class Move:
    """Put the figure *block* (its ``data-block``, e.g. "02-transformation:17") just before
    the counted character *offset* of the paragraph *target* (a ``data-block`` too): offset 0
    is before the paragraph, its length after it, anything between splits it there. With no
    target, the block (a figure or a heading) stays and changes size or margins."""

    block: str
    target: str | None  # None: the block stays where it is
    offset: int = 0
    back: bool = False  # printed before text that precedes it in the EPUB
    scale: float = 1.0  # the photo's printed size, as a share of its size before
    margin_top: float | None = None  # a figure's new top margin (CSS px): set at a page's foot
    margin_bottom: float | None = None  # a heading's new bottom margin (CSS px)
    pair: str | None = None  # set side by side with this figure (the one before it), each half


def apply_moves(container, moves: Iterable[Move]) -> int:
    """Carry out *moves*, in order, inside *container* (an lxml element whose blocks carry
    ``data-block`` attributes); return how many were made. A move naming a block the tree does
    not have is ignored."""
    made = 0
    for move in moves:
        figure = _by_block(container, move.block)
        if move.target is None:
            if figure is None:
                continue
            partner = _by_block(container, move.pair) if move.pair else None
            if partner is not None:
                # Side by side, the partner first: no text between them, each at half width.
                _detach(figure)
                partner.addnext(figure)
                figure.tail, partner.tail = partner.tail, None
                for element in (partner, figure):
                    element.set("class", f"{element.get('class') or ''} {PAIRED}".strip())
                    # Side by side, both top-aligned: white set above either one is dropped.
                    element.set("style", _with_margin(element.get("style"), "margin-top", 0))
                    scale = float(element.get(SCALE, "1")) * PAIR_SCALE
                    element.set(SCALE, f"{scale:g}")
                figure.set(*MOVED_BACK)  # it may have passed text to get there
            if move.scale != 1.0:
                figure.set(SCALE, f"{move.scale:g}")
            if move.margin_top is not None:
                figure.set("style", _with_margin(figure.get("style"), "margin-top",
                                                 move.margin_top))
            if move.margin_bottom is not None:
                figure.set("style", _with_margin(figure.get("style"), "margin-bottom",
                                                 move.margin_bottom))
            made += 1
            continue
        if move.target.startswith((TOP_PREFIX, AFTER_PREFIX)):
            prefix = TOP_PREFIX if move.target.startswith(TOP_PREFIX) else AFTER_PREFIX
            inner = next((e for e in container.iter() if isinstance(e.tag, str)
                          and e.get(BLOCK_ATTRIBUTE) == move.target[len(prefix):]), None)
            whole = inner
            while whole is not None and whole.getparent() is not container:
                whole = whole.getparent()
            if figure is None or whole is None:
                continue
            _detach(figure)
            if prefix == TOP_PREFIX:
                whole.addprevious(figure)
            else:
                figure.tail, whole.tail = whole.tail, None
                whole.addnext(figure)
            figure.set(*(MOVED_BACK if move.back else MOVED_FORWARD))
            made += 1
            continue
        parts = [e for e in container.iter() if isinstance(e.tag, str)
                 and e.get(BLOCK_ATTRIBUTE) == move.target and e.tag != "figure"]
        if figure is None or not parts:
            continue
        anchor = _split_point(parts, move.offset)
        if anchor is None:
            continue
        _detach(figure)
        where, after = anchor
        (where.addnext if after else where.addprevious)(figure)
        _keep_order(figure)
        _lift(figure, container)
        figure.set(*(MOVED_BACK if move.back else MOVED_FORWARD))
        made += 1
    return made


def _keep_order(figure) -> None:
    """Photos keep their order: a figure set where another already stands goes before it if
    it comes first in the manuscript, after it if it comes later."""
    number = _number(figure)
    while (before := figure.getprevious()) is not None and _local(before.tag) == "figure" \
            and not (before.tail or "").strip() and _number(before) > number:
        before.addprevious(figure)  # lxml moves the tails with the elements
    while (after := figure.getnext()) is not None and _local(after.tag) == "figure" \
            and not (figure.tail or "").strip() and _number(after) < number:
        after.addnext(figure)


def _number(element) -> int:
    """A block's number in its section (its data-block's last part)."""
    value = element.get(BLOCK_ATTRIBUTE) or ""
    number = value.rpartition(":")[2]
    return int(number) if number.isdigit() else -1


def _lift(figure, container) -> None:
    """Bring *figure*, set inside a quotation or a list, up to *container*'s level: each block
    around it is split in two there, its first part before the figure, the second after it
    (``cut-head``, ``cut-tail``: no margin between them, no list marker on the second part of
    a cut item, an ordered list's second part numbered on)."""
    while (parent := figure.getparent()) is not None and parent is not container:
        rest = copy.copy(parent)  # same tag and attributes; its children follow
        for child in list(rest):
            rest.remove(child)
        rest.text = None
        rest.tail, parent.tail = parent.tail, None
        rest.attrib.pop("id", None)
        following = list(figure.itersiblings())
        rest.text, figure.tail = figure.tail, None
        for child in following:
            rest.append(child)
        if _local(parent.tag) == "ol":
            # The second part of a split item is not a list item (print.css): not counted.
            items = sum(1 for child in parent if _local(child.tag) == "li")
            start = (parent.get("start") or "1").strip()
            first = int(start) if start.isdigit() and len(start) < 10 else 1
            rest.set("start", str(first + items))
        _add_class(parent, CUT_HEAD)
        _add_class(rest, CUT_TAIL)
        parent.addnext(figure)
        figure.addnext(rest)
        if not len(rest) and not (rest.text or "").strip():
            rest.getparent().remove(rest)  # the figure ended the block: nothing goes on after it
            figure.tail = rest.tail


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _classes(element) -> list[str]:
    return (element.get("class") or "").split()


def _add_class(element, name: str) -> None:
    if name not in _classes(element):
        element.set("class", " ".join([*_classes(element), name]))


def _with_margin(style: str | None, name: str, value: float) -> str:
    kept = [rule for rule in (style or "").split(";") if rule.strip()
            and not rule.strip().startswith(name)]
    return "; ".join([*kept, f"{name}: {value:g}px"])


def _by_block(container, block: str):
    """The figure or heading whose data-block is *block* (a paragraph has parts: not these)."""
    return next((e for e in container.iter() if isinstance(e.tag, str)
                 and e.tag in ("figure", "h1", "h2", "h3")
                 and e.get(BLOCK_ATTRIBUTE) == block), None)


def _split_point(parts: list, offset: int):
    """(element, after?) where a figure goes to stand before the counted character *offset* of
    the paragraph whose parts are *parts* (document order), splitting a part if need be."""
    start = 0
    for part in parts:
        length = counted(own_text(part))
        if offset <= start:
            return part, False
        if offset < start + length:
            return split_paragraph(part, offset - start), False
        start += length
    return parts[-1], True


def split_paragraph(paragraph, offset: int):
    """Split the lxml *paragraph* before its counted character *offset*: the first part stays
    (``split-head``), the rest follows as a new element (``split-tail``), returned."""
    total = paragraph.get(SPLIT_LENGTH) or str(counted(own_text(paragraph)))
    tail = copy.deepcopy(paragraph)
    nodes, tail_nodes = _text_nodes(paragraph), _text_nodes(tail)
    node, attr, index = _locate(nodes, offset)
    cut = next(n for n, (each, name, _) in enumerate(nodes) if each is node and name == attr)
    # The head keeps what comes before the point; the tail what comes after it.
    setattr(node, attr, (getattr(node, attr) or "")[:index])
    for later, later_attr, _ in nodes[cut + 1:]:
        setattr(later, later_attr, None)
    tail_node, tail_attr, _ = tail_nodes[cut]
    setattr(tail_node, tail_attr, (getattr(tail_node, tail_attr) or "")[index:])
    for earlier, earlier_attr, _ in tail_nodes[:cut]:
        setattr(earlier, earlier_attr, None)
    _prune(paragraph)
    _prune(tail)
    for element in tail.iter():
        if element is not tail and isinstance(element.tag, str):
            element.attrib.pop("id", None)  # an element split in two keeps its id in the head
    tail.attrib.pop("id", None)
    for part, name in ((paragraph, SPLIT_HEAD), (tail, SPLIT_TAIL)):
        classes = [c for c in (part.get("class") or "").split() if c not in (SPLIT_HEAD, SPLIT_TAIL)]
        if name == SPLIT_HEAD and SPLIT_TAIL in (paragraph.get("class") or "").split():
            classes.append(SPLIT_TAIL)  # a tail split again: still unindented
        part.set("class", " ".join([*classes, name]))
        part.set(SPLIT_LENGTH, total)
    tail.tail, paragraph.tail = paragraph.tail, None
    paragraph.addnext(tail)
    return tail


def _text_nodes(paragraph) -> list[tuple[object, str, bool]]:
    """Every text node of the paragraph in document order (nested inline elements included),
    with whether its characters count (luoshu.layout.pagemap: a footnote's call and note do
    not)."""
    # Identity, not id(): lxml makes a new proxy object for an element each time one is asked
    # for unless one is alive, so the ids of proxies let go are reused. These stay alive.
    counting = list(own_text_nodes(paragraph))
    counted_nodes = {(id(node), attr) for node, attr in counting}
    nodes = [(paragraph, "text", True)]

    def walk(element):
        nodes.append((element, "text", (id(element), "text") in counted_nodes))
        for child in element:
            if isinstance(child.tag, str):
                walk(child)
        nodes.append((element, "tail", (id(element), "tail") in counted_nodes))

    for child in paragraph:
        if isinstance(child.tag, str):
            walk(child)
    return nodes


def _locate(nodes: list[tuple[object, str, bool]], offset: int) -> tuple[object, str, int]:
    """The text node and index just before the counted character *offset* (0-based)."""
    seen = 0
    for node, attr, counts in nodes:
        text = getattr(node, attr) or ""
        if not counts:
            continue
        for index, char in enumerate(text):
            if counted(char):
                if seen == offset:
                    return node, attr, index
                seen += 1
    node, attr, _ = nodes[-1]
    return node, attr, len(getattr(node, attr) or "")


def _prune(paragraph) -> None:
    """Remove the inline elements left without text (their tail moves to their place)."""
    for element in reversed(list(paragraph.iterdescendants())):
        if not isinstance(element.tag, str) or element.tag in ("img", "br"):
            continue
        if (element.text or "") or len(element) or element.get("id"):
            continue
        parent = element.getparent()
        previous = element.getprevious()
        if element.tail:
            if previous is not None:
                previous.tail = (previous.tail or "") + element.tail
            else:
                parent.text = (parent.text or "") + element.tail
        parent.remove(element)


def _detach(element) -> None:
    """Take *element* out of its parent, leaving its tail text where it was."""
    parent = element.getparent()
    if element.tail:
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + element.tail
        else:
            parent.text = (parent.text or "") + element.tail
        element.tail = None
    parent.remove(element)
