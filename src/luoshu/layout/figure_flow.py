"""Photos that would leave a hole at the foot of a print page move past the next paragraphs,
or, for the photos ``captions.toml`` places, back before the last paragraphs of that page.

A photo (``<figure>``: image, caption, credit) never splits across pages (``break-inside:
avoid``), so a photo that does not fit in what remains of a page goes to the next page and
leaves the rest of the previous one empty — a *hole*, sometimes half a page. Typesetters fill it
the way LaTeX handles floats: the photo *defers*, the text after it moves up into the hole, and
the photo follows that text. WeasyPrint has no page floats (``float: top`` is unsupported), so
luoshu does the deferring itself, in the document, between two layouts:

1. ``find_moves`` reads the first layout. A photo is a candidate when it is the first content of
   its page and the previous page, which holds text of the same section, ends with a hole taller
   than ``HOLE_FRACTION`` of the page's content height. The photo then moves past the fewest
   following paragraphs (at most ``MAX_PARAGRAPHS``) whose laid-out height fills the hole — or
   past as many as there are, up to that maximum, if even they do not fill it: text still
   makes the hole smaller. A *placed* photo that the paragraphs after it cannot bring up
   (at its section's end there are none) goes back instead, before the fewest paragraphs
   above the hole (at most ``MAX_BACK_PARAGRAPHS``) that make room for it there: the hole
   plus their height takes its height, margins included. If none do, it stays (or moves
   forward as far as it can).
2. ``apply_moves`` moves those ``<figure>`` elements in the document tree; the second layout of
   the changed document is the final one.

The rules keep the editor's promises about the text. Any photo may move forward, only past
plain paragraphs (``<p>``, bylines included) that are its siblings — never past a heading,
another figure, a table, a list or code, so it never leaves its subsection, its section or the
group it belongs to. Only a photo ``captions.toml`` placed (``class="photo placed"``, appended
to its section: it belongs to the section, not to a point of its text) may move back, under
the same limits and within one page: the paragraphs it goes before must all lie on the page
with the hole, below other text, so it lands there with text above and below it. A Markdown
photo (``![…](…)``) follows the text that announces it and never moves back. A photo that
starts its section's first page (the previous page holds another section's end, or nothing)
is not moved: that hole is the section break's. Several placed photos at a section's end are
weighed one by one on the first layout; only the first can go back (the others have a photo
just before them), and no paragraph is passed by two moves, so photos keep their order.

There is exactly one extra layout, never a loop until nothing moves: moving a photo changes
every later page, and a second round could move photos back and forth between two layouts.
One pass is deterministic (the same document always gives the same moves) and costs one more
layout, however the book is made. A hole the second layout opens further on stays.

Blocks keep their ``data-block`` numbers when they move (luoshu.layout.pagemap): a moved photo is
still block n of its section, so the EPUB, which keeps the manuscript's order, can name it.
The text above a photo moved back also keeps the page from beginning with it: that page would
begin, in the EPUB, after text printed on the next page.

Geometry, in WeasyPrint 70's CSS pixels (1 px = 0.75 pt): the flow area of a page is its page
box's content box, less a footnote area at its foot. A box that continues on the next page is
stretched by WeasyPrint to the foot of the page (css-break-3, box splitting), so where a page's
text ends is read from the last box that *ends* on that page, and a paragraph's height from
where its lines end, not from its fragments' stretched boxes.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from weasyprint.layout.percent import percentage

from . import page_boxes
from .page_boxes import PT_PER_PX, TOP_TOLERANCE_PX
from .pagemap import BLOCK_ATTRIBUTE, MOVED_BACK

LOGGER = logging.getLogger("luoshu.layout.figure_flow")

# A hole counts when it is taller than this share of the page's content height: 20 % of the
# default 16开 page is six and a half lines of body text; less reads as the end of a page.
HOLE_FRACTION = 0.2
# A photo moves past at most this many paragraphs: further, and it drifts away from the text
# that speaks of it.
MAX_PARAGRAPHS = 3
# A placed photo moves back before at most this many paragraphs. More than forward: it is tied
# to no point of the text, and it stays on the hole's page anyway. The room to make is the photo
# less the hole: for the sample's photos (323 pt) and a hole just over the threshold (121 pt),
# 11 lines, four of the sample's paragraphs (2.8 lines on average); three often fall short.
MAX_BACK_PARAGRAPHS = 5
# The class of a <figure> that luoshu placed (captions.toml; luoshu.markup.convert.figure_html).
PLACED_CLASS = "placed"



@dataclass(frozen=True)
class FigureMove:
    """Move the figure *figure* (its ``data-block`` value, e.g. "02-transformation:17") to just
    after the paragraph *after* (a ``data-block`` value too), a later sibling of it; or, with
    *after* None, to just before the paragraph *before*, an earlier sibling (placed photos)."""

    figure: str
    after: str | None
    hole_pt: float  # the hole it left in the first layout, in points (for logging)
    page: int  # 1-based index of the page whose foot had the hole (of all pages, not a folio)
    before: str | None = None  # last, with a default: forward moves are written as before

    def __post_init__(self) -> None:
        if (self.after is None) == (self.before is None):
            raise ValueError(f"{self.figure}: a move goes either after or before a paragraph")


def find_moves(document, *, hole_fraction: float = HOLE_FRACTION,
               max_paragraphs: int = MAX_PARAGRAPHS,
               max_back_paragraphs: int = MAX_BACK_PARAGRAPHS) -> tuple[FigureMove, ...]:
    """The moves that fill the holes photos leave in *document*, a laid-out
    ``weasyprint.Document`` (``weasyprint.HTML(...).render()``) whose blocks carry
    ``data-block`` attributes, in page order. See the module docstring for the rules."""
    if not 0 <= hole_fraction <= 1:
        raise ValueError(f"hole_fraction must be between 0 and 1, not {hole_fraction!r}")
    if min(max_paragraphs, max_back_paragraphs) < 0:
        raise ValueError("max_paragraphs and max_back_paragraphs cannot be negative")
    pages = [page._page_box for page in document.pages]
    fragments = page_boxes.paragraph_fragments(pages)
    heights = {element: sum(page_boxes.used_height(box) for _, box in found)
               for element, found in fragments.items()}
    moves: list[FigureMove] = []
    passed_already: set = set()  # paragraphs a move passes: no other move may pass them
    for index in range(1, len(pages)):
        opening = page_boxes.opening_figure(pages[index])
        if opening is None:
            continue
        figure, ancestors = opening
        section = page_boxes.section_element(ancestors)
        if section is None or page_boxes.forced_break_before(figure):
            continue  # not in a section, or the author asked for the photo on a new page
        previous = pages[index - 1]
        text_end = page_boxes.text_end(previous, {id(box.element) for box in ancestors}, section)
        if text_end is None:
            continue  # the section starts on the photo's page: the hole is the section break's
        hole = page_boxes.flow_bottom(previous) - text_end
        if hole <= hole_fraction * previous.height:
            continue
        parent = ancestors[-1].element
        passed = _paragraphs_to_pass(figure.element, parent, hole, heights, max_paragraphs)
        # Forward first: it keeps the photo after its text. Back only when forward leaves a hole.
        back = []
        if _is_placed(figure.element) and sum(heights.get(p, 0.0) for p in passed) < hole:
            back = _paragraphs_to_precede(figure, ancestors[-1], previous, index - 1,
                                          fragments, max_back_paragraphs)
        passed = back or passed
        if not passed or passed_already.intersection(passed):
            continue
        passed_already.update(passed)
        target = passed[-1].get(BLOCK_ATTRIBUTE)  # page *index* below is the previous one
        move = FigureMove(figure.element.get(BLOCK_ATTRIBUTE), None if back else target,
                          round(hole * PT_PER_PX, 2), index, target if back else None)
        LOGGER.debug("photo %s leaves a %.1f pt hole at the foot of page %d: moved %s %s",
                     move.figure, move.hole_pt, move.page, "before" if back else "after", target)
        moves.append(move)
    return tuple(moves)


def apply_moves(container, moves: Iterable[FigureMove]) -> int:
    """Move the figures of *moves* inside *container* (an lxml element whose blocks carry
    ``data-block`` attributes, e.g. a section's fragment or the whole print document), in
    place; return how many moved.

    Moves apply in their figures' document order, whatever the order of *moves*: two photos
    sent before the same paragraph keep their order. A move that does not fit the tree is
    ignored: an id the tree does not have (a move computed for another document), or a
    paragraph that is not a later sibling of the figure — an earlier one, for a move *before*
    of a placed figure — with only paragraphs between them. Loose text stays where it was: the
    figure's ``tail`` (usually a line break) now follows the element before it, and the figure
    goes after the paragraph and its tail, or just before the paragraph.
    """
    by_block = {element.get(BLOCK_ATTRIBUTE): element for element in container.iter()
                if isinstance(element.tag, str) and element.get(BLOCK_ATTRIBUTE)}
    rank = {block: number for number, block in enumerate(by_block)}  # document order
    moved = 0
    for move in sorted(moves, key=lambda move: rank.get(move.figure, -1)):
        figure = by_block.get(move.figure)
        paragraph = by_block.get(move.after if move.before is None else move.before)
        if figure is None or paragraph is None:
            continue
        back = move.before is not None
        if not _only_paragraphs_to(figure, paragraph, back) or (back and not _is_placed(figure)):
            continue
        _detach_keeping_tail(figure)
        (paragraph.addprevious if back else paragraph.addnext)(figure)
        if back:
            # Printed before text that precedes it in the EPUB: pagemap must not date a page
            # break from it.
            figure.set(*MOVED_BACK)
        moved += 1
    return moved


def _paragraphs_to_pass(figure, parent, hole: float, heights: dict[object, float],
                        max_paragraphs: int) -> list:
    """The paragraphs *figure* moves past: the fewest of its following sibling paragraphs
    whose heights fill *hole*, at most *max_paragraphs*."""
    passed: list = []
    filled = 0.0
    for sibling in _sibling_paragraphs(figure, parent):
        if len(passed) >= max_paragraphs or filled >= hole:
            break
        passed.append(sibling)
        filled += heights.get(sibling, 0.0)
    return passed


def _paragraphs_to_precede(figure_box, parent_box, page_box, page: int,
                           fragments: dict[object, list[tuple[int, object]]],
                           max_paragraphs: int) -> list:
    """The paragraphs a placed figure (box *figure_box*, in *parent_box*) moves back before, on
    *page_box* (page index *page*), the nearest first: the fewest, at most *max_paragraphs*,
    from whose top to the flow's foot the figure fits; or []. They lie on that page alone, below
    other content: a paragraph begun on an earlier page, or opening this one, ends the search."""
    top = page_boxes.flow_root(page_box).content_box_y() + TOP_TOLERANCE_PX
    bottom = page_boxes.flow_bottom(page_box)
    # At the top of its page the figure lost its top margin (css-break-3: margins adjoining an
    # unforced break are truncated); below text it has it again.
    margin_top = percentage(figure_box.style["margin_top"], figure_box.style, parent_box.width)
    margin_top = 0.0 if margin_top == "auto" else margin_top
    height = figure_box.border_height() + figure_box.margin_bottom
    passed: list = []
    for sibling in _sibling_paragraphs(figure_box.element, parent_box.element, back=True):
        found = fragments.get(sibling, [])
        if (len(passed) >= max_paragraphs or len(found) != 1 or found[0][0] != page
                or found[0][1].position_y <= top):
            break
        box = found[0][1]
        passed.append(sibling)
        # Room: the hole plus the paragraphs' heights, from this paragraph's margin edge, where
        # the wider of its top margin and the figure's will stand.
        if bottom - box.position_y >= height + max(box.margin_top, margin_top):
            return passed
    return []


def _sibling_paragraphs(figure, parent, back: bool = False) -> Iterator:
    """The sibling paragraphs after *figure* (before it if *back*, the nearest first) up to
    anything else — a heading, figure, table, list, code…, which the photo never passes."""
    siblings = list(parent) if parent is not None else []
    at = next((i for i, element in enumerate(siblings) if element is figure), None)
    if at is None:
        return
    for sibling in reversed(siblings[:at]) if back else siblings[at + 1:]:
        if not isinstance(sibling.tag, str):
            continue  # a comment: not shown
        if _local(sibling.tag) != "p" or not sibling.get(BLOCK_ATTRIBUTE):
            return
        yield sibling


# --- Changing the tree ----------------------------------------------------------------------


def _local(tag: str) -> str:
    """A tag without namespace, lower case ("{http://www.w3.org/1999/xhtml}p" → "p")."""
    return tag.rsplit("}", 1)[-1].lower()


def _is_placed(figure) -> bool:
    """Whether *figure* (an lxml or ElementTree element) is a photo luoshu placed."""
    return PLACED_CLASS in (figure.get("class") or "").split()


def _only_paragraphs_to(figure, paragraph, back: bool) -> bool:
    """Whether *paragraph* is a later sibling of *figure* (an earlier one if *back*) with only
    paragraphs (and comments) between them, and is a paragraph itself: the only places
    find_moves sends a figure."""
    if figure.getparent() is None or paragraph.getparent() is not figure.getparent():
        return False
    for sibling in figure.itersiblings(preceding=back):
        if not isinstance(sibling.tag, str):
            continue
        if _local(sibling.tag) != "p":
            return False
        if sibling is paragraph:
            return True
    return False


def _detach_keeping_tail(element) -> None:
    """Take *element*'s tail text off it and leave that text where it was (lxml moves an
    element together with its tail)."""
    tail, element.tail = element.tail, None
    if not tail:
        return
    previous = element.getprevious()
    if previous is not None:
        previous.tail = (previous.tail or "") + tail
    else:
        parent = element.getparent()
        parent.text = (parent.text or "") + tail
