"""Reading WeasyPrint's laid-out page tree in tests: every line box with its edges."""

from __future__ import annotations

from dataclasses import dataclass

from weasyprint.formatting_structure import boxes

from luoshu.layout import cjk as cjk_layout


@dataclass(frozen=True)
class Line:
    """One laid-out line: its text (word joiners removed) and horizontal extent, in CSS px."""

    text: str
    left: float
    right: float
    content_left: float  # the edges of the block's content box: where a justified line ends
    content_right: float
    last: bool  # the last line of its block (not justified)
    justified: bool  # the block asks for text-align: justify


def line_boxes(document) -> list[Line]:
    """Every line box of a rendered WeasyPrint document, in order."""
    result: list[Line] = []

    def visit(box):
        children = getattr(box, "children", [])
        lines = [c for c in children if isinstance(c, boxes.LineBox)]
        for index, line in enumerate(lines):
            leaves = [b for b in cjk_layout._text_boxes(line) if b is not None]
            flow = [c for c in line.children if c.is_in_normal_flow()]
            if not flow:
                continue
            text = "".join(leaf.text for leaf in leaves).replace(cjk_layout.WORD_JOINER, "")
            result.append(Line(
                text,
                min(c.position_x for c in flow),
                max(c.position_x + c.margin_width() for c in flow),
                box.content_box_x(),
                box.content_box_x() + box.width,
                index == len(lines) - 1,
                box.style["text_align_all"] == "justify",
            ))
        for child in children:
            if not isinstance(child, boxes.LineBox):
                visit(child)

    for page in document.pages:
        visit(page._page_box)
    return result


@dataclass(frozen=True)
class LatinSpan:
    """A Han–Latin spacing span as laid out: its margins, and whether it sits at a line edge."""

    text: str
    han_before: bool
    han_after: bool
    margin_left: float
    margin_right: float
    font_size: float
    starts_line: bool
    ends_line: bool


def latin_spans(document) -> list[LatinSpan]:
    """Every fragment of a ``span.latin`` box, line by line."""
    result: list[LatinSpan] = []

    def edge(line, side):
        box = line
        while isinstance(box, (boxes.LineBox, boxes.InlineBox)):
            flow = [c for c in box.children if c.is_in_normal_flow()]
            if not flow:
                return None
            box = flow[0 if side == "left" else -1]
            yield box

    def visit(box, line=None):
        if isinstance(box, boxes.LineBox):
            line = box
        element = getattr(box, "element", None)
        classes = (element.get("class") or "").split() if element is not None else []
        if isinstance(box, boxes.InlineBox) and "latin" in classes and line is not None:
            leaves = [b for b in cjk_layout._text_boxes(box) if b is not None]
            result.append(LatinSpan(
                "".join(leaf.text for leaf in leaves), "han-before" in classes,
                "han-after" in classes, box.margin_left, box.margin_right,
                box.style["font_size"], box in list(edge(line, "left")),
                box in list(edge(line, "right"))))
        for child in getattr(box, "children", []):
            visit(child, line)

    for page in document.pages:
        visit(page._page_box)
    return result
