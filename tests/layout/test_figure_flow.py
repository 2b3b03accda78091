"""Photos that would leave a hole at the foot of a print page move past the next paragraphs,
or, placed by captions.toml, back before the last ones of the page (luoshu.layout.figure_flow).

Each test lays out a small document of its own with WeasyPrint — a 130×184 mm page with 20 mm
margins (a flow area of 544.25 px, 22 lines of 24.5 px; the 20 % threshold is 108.85 px, about
4.4 lines), paragraphs of a known number of lines, photos 80 mm tall — and checks the moves
against holes measured independently here: from the lowest line or image on a page, which is
where the text ends since the paragraphs have no margins.
"""

from __future__ import annotations

import base64
import functools
import io

import pytest
import weasyprint
from lxml import etree, html
from PIL import Image
from weasyprint.formatting_structure import boxes

from luoshu.layout import cjk as cjk_layout
from luoshu.layout.figure_flow import (
    HOLE_FRACTION,
    MAX_PARAGRAPHS,
    PT_PER_PX,
    FigureMove,
    apply_moves,
    find_moves,
)
from luoshu.layout.pagemap import mark_page_breaks, page_breaks

LINE_PX = 24.5  # 10.5 pt × 1.75
FLOW_PX = (184 - 40) / 25.4 * 96  # 544.25
THRESHOLD_PX = HOLE_FRACTION * FLOW_PX

CSS = """
@page { size: 130mm 184mm; margin: 20mm }
body { font: 10.5pt/1.75 "Noto Serif CJK SC"; margin: 0; text-align: justify }
p { margin: 0; text-indent: 2em }
h2 { font-size: 1.2em; line-height: 1.5; margin: 0.5em 0 }
figure { break-inside: avoid; margin: 1em 0; text-align: center }
figure img { display: block; width: 100%; height: 80mm }
figcaption { font-size: 0.9em; line-height: 1.5 }
section.new-page { break-before: page }
"""

# One sentence of 24 characters: n of them make a paragraph of n + 1 lines (the 2em indent
# pushes the last two characters to a line of their own).
SENTENCE = "清晨的河面上薄雾未散，渡口已经有人在等第一班船。"


def _png() -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 6), (120, 90, 60)).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


IMAGE = _png()


def p(block: str, lines: int) -> str:
    """A paragraph of *lines* lines (at least 2)."""
    return f'<p data-block="{block}">{SENTENCE * (lines - 1)}</p>'


def figure(block: str, placed: bool = False) -> str:
    """A photo of the Markdown, or one captions.toml *placed* (its caption is the next block)."""
    number = int(block.rpartition(":")[2])
    section = block.rpartition(":")[0]
    classes = "photo placed" if placed else "photo"
    return (f'<figure class="{classes}" data-block="{block}"><img src="{IMAGE}" alt="照片">'
            f'<figcaption data-block="{section}:{number + 1}">河洛大地的秋天</figcaption>'
            "</figure>")


def section(section_id: str, *parts: str, new_page: bool = False) -> str:
    classes = "chapter new-page" if new_page else "chapter"
    return f'<section class="{classes}" id="sec-{section_id}">{"".join(parts)}</section>'


def document_html(*sections: str) -> str:
    return (f'<html lang="zh-Hans"><head><meta charset="utf-8"><style>{CSS}</style></head>'
            f'<body>{"".join(sections)}</body></html>')


@functools.cache
def render(source: str) -> weasyprint.Document:
    """The laid-out document (cached: several tests read the same layout)."""
    cjk_layout.install()
    return weasyprint.HTML(string=source).render()


def moved(source: str, moves) -> str:
    """*source* with *moves* applied, as the lead's pipeline does between the two layouts."""
    tree = html.document_fromstring(source)
    apply_moves(tree, moves)
    return html.tostring(tree, encoding="unicode", doctype="<!DOCTYPE html>")


# --- Reading the layout from the outside --------------------------------------------------


def _flow_boxes(box):
    """The boxes of the page's flow (not the margin boxes: running heads, folios)."""
    if isinstance(box, boxes.MarginBox):
        return
    yield box
    for child in getattr(box, "children", ()):
        yield from _flow_boxes(child)


def hole_px(document, page_number: int) -> float:
    """The empty space at the foot of page *page_number* (1-based): below its lowest line
    or image."""
    page = document.pages[page_number - 1]._page_box
    bottoms = [box.position_y + box.margin_height() for box in _flow_boxes(page)
               if isinstance(box, (boxes.LineBox, boxes.ReplacedBox))]
    return page.content_box_y() + page.height - max(bottoms)


def pages_of(document, block: str) -> list[int]:
    """The pages (1-based) on which the element with data-block *block* has a box."""
    return [number for number, page in enumerate(document.pages, start=1)
            if any(box.element is not None and box.element.get("data-block") == block
                   for box in _flow_boxes(page._page_box))]


def block_order(source: str) -> list[str]:
    """The data-block values of *source*'s sections' children, in document order."""
    tree = html.document_fromstring(source)
    return [child.get("data-block") for element in tree.iter("section") for child in element
            if child.get("data-block")]


# --- The documents ------------------------------------------------------------------------

# Page 1 holds 11 lines (269.5 px) of text, then the photo (354.9 px with its margins) does not
# fit in the 274.75 px left: a hole of 11.2 lines. Paragraphs a:4 and a:5 (6 lines each, 147
# px) fill it together; a:6 stays after the photo.
HOLE = document_html(section(
    "a", p("a:0", 7), p("a:1", 4), figure("a:2"), p("a:4", 6), p("a:5", 6), p("a:6", 5),
    p("a:7", 8)))

# The same, but what follows the photo is not a paragraph.
BEFORE_HEADING = document_html(section(
    "a", p("a:0", 7), p("a:1", 4), figure("a:2"), '<h2 data-block="a:4">二、新的起点</h2>',
    p("a:5", 6), p("a:6", 6)))
# The photo ends its section; the next section follows on the same page (no forced break in
# this test's CSS), so only the section boundary keeps the photo from passing its paragraphs.
END_OF_SECTION = document_html(
    section("a", p("a:0", 7), p("a:1", 4), figure("a:2")),
    section("b", p("b:0", 6), p("b:1", 6), p("b:2", 6)))
# One paragraph — a byline, an ordinary <p> — is all the photo may pass before its section ends.
ONE_PARAGRAPH_LEFT = document_html(
    section("a", p("a:0", 7), p("a:1", 4), figure("a:2"),
            p("a:4", 3).replace("<p ", '<p class="byline" ')),
    section("b", p("b:0", 6), p("b:1", 6), p("b:2", 6)))
# The photo opens a section that starts on a new page: the hole before it is the section
# break's.
OPENS_SECTION = document_html(
    section("a", p("a:0", 7), p("a:1", 4)),
    section("b", figure("b:0"), p("b:2", 6), p("b:3", 6), p("b:4", 6), new_page=True))

# Short paragraphs after the photo: three of them (6 lines) do not fill the 11-line hole.
SHORT_PARAGRAPHS = document_html(section(
    "a", p("a:0", 7), p("a:1", 4), figure("a:2"),
    *(p(f"a:{n}", 2) for n in range(4, 10))))

# Plenty of room: the photo fits on page 1.
FITS = document_html(section(
    "a", p("a:0", 4), figure("a:1"), p("a:3", 6), p("a:4", 6), p("a:5", 6)))

# Two photos placed at the end of a section, after 12 lines: a hole of 10.2 lines (250.25 px).
# Below text, the first takes 349.3 px (its top margin, dropped at the top of page 2, back):
# a:2 (3 lines, 73.5 px) is not enough, a:1 and a:2 are. The second has a photo before it.
# Folios, for pagemap.page_breaks.
PLACED_AT_END = document_html(
    section("a", p("a:0", 6), p("a:1", 3), p("a:2", 3), figure("a:3", placed=True),
            figure("a:5", placed=True)),
    section("b", p("b:0", 6), new_page=True)).replace(
        "</style>", "@page { @bottom-center { content: counter(page) } }</style>")
# A heading above the last paragraph, which leaves the photo 18.5 px short (hole 232.75 px).
PLACED_AFTER_HEADING = document_html(section(
    "a", p("a:0", 4), p("a:1", 3), '<h2 data-block="a:2">二、新的起点</h2>', p("a:3", 4),
    figure("a:4", placed=True)))
# a:1 (2 lines) leaves the photo 25.5 px short of the room it needs; a:0 would make it, but it
# opens the page: the photo would start the page, above all its text.
PLACED_UNDER_PAGE_TOP = document_html(section(
    "a", p("a:0", 9), p("a:1", 2), figure("a:2", placed=True)))


# --- find_moves and the second layout -----------------------------------------------------


def test_a_photo_leaving_a_hole_moves_past_the_paragraphs_that_fill_it():
    first = render(HOLE)
    assert pages_of(first, "a:2") == [2]
    hole_before = hole_px(first, 1)
    assert hole_before == pytest.approx(FLOW_PX - 11 * LINE_PX, abs=0.5)  # 274.75 px
    assert hole_before > THRESHOLD_PX

    moves = find_moves(first)

    assert moves == (FigureMove("a:2", "a:5", pytest.approx(hole_before * PT_PER_PX, abs=0.5),
                                page=1),)
    second_source = moved(HOLE, moves)
    assert block_order(second_source) == ["a:0", "a:1", "a:4", "a:5", "a:2", "a:6", "a:7"]
    second = render(second_source)
    hole_after = hole_px(second, 1)
    assert hole_after < THRESHOLD_PX
    assert hole_after < LINE_PX * 2  # what widows and orphans leave, at most
    assert pages_of(second, "a:5") == [1, 2]  # the text fills page 1 and goes on…
    assert pages_of(second, "a:2") == [2]  # …and the photo follows it on page 2
    assert find_moves(second) == ()


def test_a_photo_that_fits_does_not_move():
    document = render(FITS)
    assert pages_of(document, "a:1") == [1]
    assert find_moves(document) == ()


@pytest.mark.parametrize("source", [BEFORE_HEADING, END_OF_SECTION],
                         ids=["before-heading", "end-of-section"])
def test_a_photo_with_no_paragraph_after_it_in_its_section_stays(source):
    document = render(source)
    assert pages_of(document, "a:2") == [2]
    assert hole_px(document, 1) > THRESHOLD_PX  # the hole is there…
    assert find_moves(document) == ()  # …but nothing may fill it


def test_a_photo_never_leaves_its_section():
    first = render(ONE_PARAGRAPH_LEFT)
    moves = find_moves(first)
    assert [(m.figure, m.after) for m in moves] == [("a:2", "a:4")]
    second = render(moved(ONE_PARAGRAPH_LEFT, moves))
    assert pages_of(second, "a:4") == [1]
    assert pages_of(second, "a:2") == [2]
    assert hole_px(second, 1) == pytest.approx(hole_px(first, 1) - 3 * LINE_PX, abs=0.5)


def test_a_photo_that_opens_its_section_stays():
    document = render(OPENS_SECTION)
    assert pages_of(document, "b:0") == [2]
    assert hole_px(document, 1) > THRESHOLD_PX
    assert find_moves(document) == ()


def test_a_photo_moves_past_at_most_max_paragraphs():
    document = render(HOLE)
    assert [(m.figure, m.after) for m in find_moves(document, max_paragraphs=1)] == [
        ("a:2", "a:4")]
    assert find_moves(document, max_paragraphs=0) == ()


def test_paragraphs_too_short_to_fill_the_hole_still_make_it_smaller():
    first = render(SHORT_PARAGRAPHS)
    moves = find_moves(first)
    assert [(m.figure, m.after) for m in moves] == [("a:2", "a:6")]  # MAX_PARAGRAPHS of them
    assert MAX_PARAGRAPHS == 3
    second = render(moved(SHORT_PARAGRAPHS, moves))
    assert pages_of(second, "a:6") == [1]
    assert pages_of(second, "a:2") == [2]
    # Three two-line paragraphs: six lines less of hole.
    assert hole_px(second, 1) == pytest.approx(hole_px(first, 1) - 6 * LINE_PX, abs=0.5)


def test_the_threshold_decides_what_counts_as_a_hole():
    document = render(HOLE)
    hole = hole_px(document, 1)
    assert find_moves(document, hole_fraction=(hole - 1) / FLOW_PX)
    assert find_moves(document, hole_fraction=(hole + 1) / FLOW_PX) == ()
    with pytest.raises(ValueError):
        find_moves(document, hole_fraction=1.5)


def test_the_moves_are_the_same_for_the_same_document():
    fresh = weasyprint.HTML(string=HOLE).render()  # a second layout, not the cached one
    assert find_moves(fresh) == find_moves(render(HOLE))


def test_a_placed_photo_with_no_text_after_it_moves_back_before_the_fewest_paragraphs():
    first = render(PLACED_AT_END)
    assert [pages_of(first, block) for block in ("a:2", "a:3", "a:5")] == [[1], [2], [3]]
    hole = hole_px(first, 1)
    assert hole == pytest.approx(FLOW_PX - 12 * LINE_PX, abs=0.5)

    moves = find_moves(first)

    # Independently of it, the second photo stays: a photo stands just before it.
    assert moves == (FigureMove("a:3", None, pytest.approx(hole * PT_PER_PX, abs=0.5), page=1,
                                before="a:1"),)
    second_source = moved(PLACED_AT_END, moves)
    assert block_order(second_source) == ["a:0", "a:3", "a:1", "a:2", "a:5", "b:0"]
    second = render(second_source)
    assert pages_of(second, "a:0") == pages_of(second, "a:3") == [1]  # text above the photo…
    assert hole_px(second, 1) < THRESHOLD_PX  # …and a:1, kept whole (widows), is what is left
    assert pages_of(second, "a:1") == pages_of(second, "a:5") == [2]  # the text, then photo 2
    assert len(second.pages) == len(first.pages) - 1
    assert find_moves(second) == ()
    # The EPUB's page list stays in order: page 2 begins at a:1, which comes before a:3.
    breaks = page_breaks(second)
    assert [(b.section_id, b.block, b.offset) for b in breaks] == [
        ("a", 0, 0), ("a", 1, 0), ("b", 0, 0)]
    epub_section = html.fragment_fromstring(PLACED_AT_END, create_parent="div").find(
        ".//section")
    mark_page_breaks(epub_section, [b for b in breaks if b.section_id == "a"])
    assert [e.get("id") for e in epub_section.iter("span")] == ["page-1", "page-2"]


def test_a_photo_moves_back_only_if_placed_and_if_the_paragraphs_make_room_for_it():
    assert find_moves(render(PLACED_AT_END), max_back_paragraphs=1) == ()  # a:2 alone: no
    markdown_photos = PLACED_AT_END.replace("photo placed", "photo")  # they never go back
    for source in (PLACED_AFTER_HEADING, PLACED_UNDER_PAGE_TOP, markdown_photos):
        document = render(source)
        assert hole_px(document, 1) > THRESHOLD_PX
        assert find_moves(document) == ()


@pytest.mark.parametrize("source, after, before", [
    (HOLE, "a:5", None),  # the paragraphs after it fill the hole: forward first
    (SHORT_PARAGRAPHS, None, "a:1"),  # they do not, a:1 (4 lines) makes the room
], ids=["forward-fills", "back-makes-room"])
def test_a_placed_photo_moves_forward_if_that_fills_the_hole(source, after, before):
    source = source.replace('class="photo"', 'class="photo placed"')
    moves = find_moves(render(source))
    assert [(m.figure, m.after, m.before) for m in moves] == [("a:2", after, before)]
    second = render(moved(source, moves))
    assert pages_of(second, "a:2") == ([2] if after else [1])
    assert hole_px(second, 1) < LINE_PX * 2


# --- apply_moves on a tree ----------------------------------------------------------------


BACK_FRAGMENT = (
    '<div>lead<p data-block="s:0">甲</p><h2 data-block="s:1">标题</h2><p data-block="s:2">乙'
    '</p>after-2<p data-block="s:3">丙</p>after-3<figure class="photo placed" data-block="s:4">'
    '<figcaption data-block="s:5">图</figcaption></figure>after-4<figure class="photo placed" '
    'data-block="s:6"/>after-6</div>'
)
FRAGMENT = (
    '<div>lead<p data-block="s:0">甲</p>after-0'
    '<figure data-block="s:1"><img src="x.png"/><figcaption data-block="s:2">图</figcaption>'
    '</figure>after-figure<p data-block="s:3">乙</p>after-3<p data-block="s:4">丙</p>after-4'
    '<h2 data-block="s:5">标题</h2><p data-block="s:6">丁</p></div>'
)


def _sequence(container) -> list[str]:
    """The container's children and loose text, in order."""
    items = [container.text] if container.text else []
    for child in container:
        items.append(child.get("data-block") or child.tag)
        if child.tail:
            items.append(child.tail)
    return items


def test_apply_moves_moves_the_figure_alone_and_leaves_loose_text_in_place():
    container = etree.fromstring(FRAGMENT)

    assert apply_moves(container, [FigureMove("s:1", "s:4", 150.0, 3)]) == 1

    assert _sequence(container) == [
        "lead", "s:0", "after-0after-figure", "s:3", "after-3", "s:4", "after-4", "s:1",
        "s:5", "s:6"]
    figure_element = container.find("figure")
    assert figure_element.tail is None
    assert [e.get("data-block") for e in figure_element.iter() if e.get("data-block")] == [
        "s:1", "s:2"]  # the caption went with it


def test_apply_moves_keeps_the_text_when_the_figure_comes_first():
    container = etree.fromstring(
        '<div><figure data-block="s:0"/>\n<p data-block="s:1">甲</p>\n</div>')
    assert apply_moves(container, [FigureMove("s:0", "s:1", 90.0, 1)]) == 1
    assert container.text == "\n"
    assert _sequence(container) == ["\n", "s:1", "\n", "s:0"]


@pytest.mark.parametrize("source, move", [
    (FRAGMENT, FigureMove("s:9", "s:3", 100.0, 1)),  # no such figure: a move for another book
    (FRAGMENT, FigureMove("s:1", "t:3", 100.0, 1)),  # no such paragraph
    (FRAGMENT, FigureMove("s:1", "s:0", 100.0, 1)),  # backwards
    (FRAGMENT, FigureMove("s:1", "s:6", 100.0, 1)),  # past a heading
    (FRAGMENT, FigureMove("s:1", "s:2", 100.0, 1)),  # into itself
    (BACK_FRAGMENT, FigureMove("s:4", None, 1.0, 1, "s:0")),  # back past a heading
    (BACK_FRAGMENT, FigureMove("s:4", None, 1.0, 1, "s:1")),  # back before a heading
    (BACK_FRAGMENT, FigureMove("s:4", None, 1.0, 1, "s:6")),  # "back" to a later figure
    (BACK_FRAGMENT, FigureMove("s:6", None, 1.0, 1, "s:3")),  # back past a photo
    (BACK_FRAGMENT.replace("photo placed", "photo"),  # a Markdown photo never goes back
     FigureMove("s:4", None, 1.0, 1, "s:3")),
], ids=["unknown-figure", "unknown-paragraph", "backwards", "past-heading", "own-caption",
        "back-past-heading", "back-to-heading", "back-forwards", "back-past-photo",
        "markdown-photo-back"])
def test_apply_moves_ignores_moves_that_do_not_fit_the_tree(source, move):
    container = etree.fromstring(source)
    before = etree.tostring(container)
    assert apply_moves(container, [move]) == 0
    assert etree.tostring(container) == before


def test_apply_moves_moves_placed_figures_back_in_order_and_leaves_loose_text_in_place():
    container = etree.fromstring(BACK_FRAGMENT)
    moves = [FigureMove(figure, None, 1.0, 1, "s:2") for figure in ("s:6", "s:4")]
    assert apply_moves(container, moves) == 2  # given in the wrong order: they keep theirs
    assert _sequence(container) == [
        "lead", "s:0", "s:1", "s:4", "s:6", "s:2", "after-2", "s:3", "after-3after-4after-6"]
    assert [figure.tail for figure in container.iter("figure")] == [None, None]


@pytest.mark.parametrize("after, before", [("s:6", "s:3"), (None, None)])
def test_a_move_goes_either_after_or_before(after, before):
    with pytest.raises(ValueError):
        FigureMove("s:4", after, 1.0, 1, before=before)


def test_a_move_applies_once():
    container = etree.fromstring(FRAGMENT)
    move = FigureMove("s:1", "s:3", 100.0, 1)
    assert apply_moves(container, [move, move]) == 1
    assert [c.get("data-block") for c in container] == ["s:0", "s:3", "s:1", "s:4", "s:5",
                                                         "s:6"]
