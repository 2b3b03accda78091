"""Photo make-up (拼版): photos placed where an editor would put them on the printed page.

A photo (``<figure>``: image, caption, credit) never splits across pages, so one that does not
fit in what is left of a page goes to the next and leaves a *hole* above it; and a photo at a
section's end may stand alone on a page, small, with white below. WeasyPrint has no page floats
(``float: top`` is not implemented), so luoshu does the editor's work between layouts: it reads
a layout (luoshu.layout.page_boxes), decides what to change, changes the print document
(luoshu.layout.moves) and lays the book out again. Each round changes, per section, the first
photo that needs it, and each photo moves at most once and is resized at most once, so a book
without holes is laid out once and the rounds are bounded (``MAX_ROUNDS``).

The rules, for a photo of ``position = "auto"`` (the default), in the order they are tried:

1. where it fits after its paragraph on that page, it stays;
2. where it left a hole taller than ``HOLE_LINES`` lines at the foot of the page before it, the
   text after it moves up into the hole, line by line — over the next pages too, when little
   text stands under it — splitting a paragraph, a quotation or a list if need be: the photo
   now tops its page, below the lines that filled the hole (*forward*); when what can come up
   whole leaves a hole still (a table, code), that block comes up and goes on over the page
   break, the photo after it, if the two fit on the next page;
3. where no text after it can fill the hole (it ends its section, or a heading follows), or it
   stands on a page of photos only, together less than ⅔ of the text block, it goes back to
   the page its text is on: at that page's foot, after what fits above it, the rest of the
   page going on after it — or, when the photos already there leave no room, the first of
   those goes back a page (*back*); two landscape photos that cannot share a page one above
   the other share it side by side, each at half the width, beside the page's last photo
   (*pair*);
4. a hole left at a page's foot because what begins the next page cannot come up (a paragraph
   keeps two lines on each side of a page break; a photo does not fit) is closed by printing
   the page's photo up to ``MAX_SHRINK`` smaller, or by taking up to half of the space under
   the page's heading; otherwise, or when bringing that paragraph up would leave photos alone
   on the next page, a photo ending the page goes to its foot, the white above it — unless
   the next page's photo can come up beside it (rule 3).

``position = "top"`` tops the page its paragraph is on; ``"bottom"`` sets it at the page's foot,
past the lines that fit above it; ``"here"`` and ``"page"`` (a page of its own) are never moved.
Nothing moves past a heading, another photo, or the section's end matter (its byline): a photo
stays in its subsection, in order, before the closing lines. A paragraph split for a photo
keeps at least two lines on each side (orphans and widows); a quotation or list cut by one goes
on after it without a new margin (luoshu.layout.moves); back, a photo passes a table, a list or
code whole.

Geometry is in WeasyPrint 70's CSS pixels (1 px = 0.75 pt).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from .moves import AFTER_PREFIX, PAIR_SCALE, TOP_PREFIX, Move
from .page_boxes import Item, Page, is_end_matter, read_pages

LOGGER = logging.getLogger("luoshu.layout.makeup")

HOLE_LINES = 1.5  # a hole taller than this many lines at a page's foot is filled (the page
#                   audit allows two: the make-up keeps a margin, measuring line boxes)
SMALL_SHARE = 2 / 3  # photos alone on a page below this share of the text block are pulled back
MIN_LINES = 2  # lines of a split paragraph on each side of a photo (orphans, widows)
MAX_ROUNDS = 8  # layouts beyond the first, whatever the book (a bound, not a goal)
MAX_SHRINK = 0.12  # a photo may be printed this much smaller to close a hole below it
MAX_PAD_LINES = 4  # or set at the page's foot, with this many lines of white above it at most
MAX_HEADING_TIGHTEN = 0.5  # the space under a heading may lose this share to close a hole


def find_moves(document, done: Iterable[Move] = (), *, line_pitch: float) -> tuple[Move, ...]:
    """The next round of moves for a laid-out *document*, after the moves *done*: per section,
    the first photo that leaves a hole, stands small on a page of photos, or is not where its
    position asks. A photo moves once, and is printed smaller once. *line_pitch* is the
    body's line height in CSS pixels."""
    pages = read_pages(document)
    moved = {move.block for move in done if move.target is not None}
    shrunk = {move.block for move in done if move.target is None}
    done_sections: set[str] = set()
    moves = []
    for index, page in enumerate(pages):
        for item in page.items:
            if item.kind == "heading" and item.block not in shrunk \
                    and item.section not in done_sections:
                move = _tighten_for(pages, index, item, line_pitch)
                if move is not None:
                    moves.append(move)
                    done_sections.add(item.section)
                    shrunk.add(move.block)
                continue
            if item.kind != "figure" or item.section in done_sections:
                continue
            move = None
            if item.block not in moved:
                move = _move_for(pages, index, item, line_pitch, moved)
            if move is None and item.block not in shrunk:
                move = _shrink_for(pages, index, item, line_pitch, moved)
            if move is not None:
                moves.append(move)
                done_sections.add(item.section)
                (moved if move.target is not None else shrunk).add(move.block)
                LOGGER.debug("photo %s: %s", move.block, move)
    return tuple(moves)


def _move_for(pages: list[Page], index: int, figure: Item, pitch: float,
              moved: set[str]) -> Move | None:
    classes = set((figure.element.get("class") or "").split())
    position = next((c.removeprefix("position-") for c in classes
                     if c.startswith("position-")), "auto")
    if position in ("here", "page") or "full-bleed" in classes:
        return None
    page = pages[index]
    section = figure.section
    mine = [item for item in page.items if item.section == section]
    previous = pages[index - 1] if index else None
    before = [item for item in previous.items if item.section == section] if previous else []
    first = mine and mine[0] is figure
    if position == "top":
        lines = [item for item in mine if item.kind == "line"]
        if first or not lines or lines[0].top > figure.top:
            return None
        return _before(figure, lines[0], back=True)
    if position == "bottom":
        return _forward(figure, _run_after(pages, index, figure), page.bottom - figure.bottom)
    if not first or not before:
        return None  # it fits after its text, or opens its section
    hole = previous.bottom - max(item.bottom for item in before)
    photos_only = all(item.kind == "figure" for item in mine)
    small = photos_only and (max(i.bottom for i in mine) - min(i.top for i in mine)
                             < SMALL_SHARE * (page.bottom - page.top))
    if not small and hole <= HOLE_LINES * pitch + 1:
        return None
    if not small:
        forward = _forward(figure, _run_after(pages, index, figure), hole,
                           overflow=(page.bottom - page.top, pitch))
        if forward is not None:
            return forward
    # Back onto the page its text is on: at that page's foot (or top), as an editor floats a
    # photo; any photo may, it stays on the page of the text that announces it. Two photos
    # that cannot share a page one above the other may share it side by side.
    return (_back(figure, previous, before) or _back_before(pages, index - 1, before, moved)
            or _pair(figure, previous, before, moved))


def _pair(figure: Item, page: Page, items: list[Item], moved: set[str]) -> Move | None:
    """The photo set beside the last photo of the page before it (no heading between them),
    both at half the width, when the two landscape photos fit there side by side — the text
    after that photo, if any, going on below the pair."""
    last = max((n for n, item in enumerate(items) if item.kind == "figure"), default=None)
    if last is None or items[last].block in moved \
            or any(item.kind == "heading" for item in items[last:]):
        return None
    other = items[last]
    if any("sized" in (item.element.get("class") or "").split() or
           item.image_width < item.image_height or item.image_height <= 0
           for item in (figure, other)):
        return None  # a photo of its own width, or an upright one: not halved
    captions = max(item.bottom - item.top - item.image_height for item in (figure, other))
    height = max(figure.image_height, other.image_height) * PAIR_SCALE + 1.5 * captions
    # The page's content grows by what the pair is taller than the photo alone.
    grows = other.top + other.margin_top + height - other.bottom
    if max(item.bottom for item in items) + grows > page.bottom + 0.5:
        return None
    return Move(figure.block, None, pair=other.block)


def _back_before(pages: list[Page], index: int, items: list[Item],
                 moved: set[str]) -> Move | None:
    """When a photo cannot go back onto page *index* because the photos already there leave it
    no room, the first of those goes back a page instead (photos keep their order), and the
    text it frees comes on."""
    figures = [item for item in items if item.kind == "figure"]
    if not figures or figures[0].block in moved or index == 0:
        return None
    earlier = [item for item in pages[index - 1].items if item.section == figures[0].section]
    if not earlier:
        return None
    return _back(figures[0], pages[index - 1], earlier)


def _run_after(pages: list[Page], index: int, figure: Item) -> list[tuple[Item, float]]:
    """What follows *figure* that it may pass — lines of paragraphs, quotations, lists,
    tables, code, up to a heading, another photo or the section's end matter — each with how
    far below the run's first item its foot stands were they set one after another (the run
    goes on over the next pages: a photo with little text under it may pass more)."""
    run: list[tuple[Item, float]] = []
    seen = False
    for page in pages[index:]:
        base = run[-1][1] if run else 0.0
        first = None
        for item in page.items:
            if item is figure:
                seen = True
                continue
            if not seen:
                continue
            if item.kind in ("heading", "figure") or item.section != figure.section \
                    or _is_end_matter_item(item):
                return run
            if first is None:
                first = item
            run.append((item, base + item.bottom - first.top))
        if not seen:
            return run
    return run


def _is_end_matter_item(item: Item) -> bool:
    return item.kind == "other" and item.element is not None and is_end_matter(item.element)


def _forward(figure: Item, run: list[tuple[Item, float]], room: float,
             overflow: tuple[float, float] | None = None) -> Move | None:
    """The figure moved past what of *run* fits in *room* (it moves up above the figure):
    whole blocks, or the lines of a paragraph split between two of them — a quotation or a
    list split too, going on after the photo.

    With *overflow* (the page's height and the line pitch), when what fits leaves a hole
    still, the figure may instead pass a block that does not fit whole — a table, a long
    quotation — which then fills the hole and goes on over the page break, the figure after
    it on the next page, if the two fit there."""
    if not run or room <= 0:
        return None
    items = [item for item, _ in run]
    # Where the figure may stand: before a line that starts a block, or between two lines of
    # a paragraph that keeps two lines on each side.
    points = [n for n in range(1, len(items) + 1)
              if n == len(items) or _may_stand_before(items, n)]
    fitting = [n for n in points if run[n - 1][1] <= room + 0.5]
    count = fitting[-1] if fitting else 0
    if overflow is not None:
        page_height, pitch = overflow
        left = room - (run[count - 1][1] if count else 0.0)
        if left > HOLE_LINES * pitch + 1:
            tall = figure.bottom - figure.top + figure.margin_top + figure.margin_bottom
            over = next((n for n in points if n > count and run[n - 1][1] > room + 0.5), None)
            if over is not None and run[over - 1][1] - room + tall <= page_height - pitch:
                count = over
    if count == 0:
        return None
    return _standing_before(figure, items, count)


def _standing_before(figure: Item, items: list[Item], count: int) -> Move:
    """The move that sets *figure* after the first *count* of *items*."""
    if count == len(items):
        last = items[-1]
        if last.kind == "line":
            return Move(figure.block, last.block, last.end, back=False)
        return Move(figure.block, f"{AFTER_PREFIX}{last.top_block}", 0, back=False)
    target = items[count]
    if target.kind == "other" or target.top_block != items[count - 1].top_block:
        return Move(figure.block, f"{TOP_PREFIX}{target.top_block}", 0, back=False)
    return _before(figure, target, back=False)


def _may_stand_before(items: list[Item], number: int) -> bool:
    """Whether a figure may stand before ``items[number]``: the start of a top-level block,
    the start of a paragraph or item inside a quotation or list, or a line inside a paragraph
    with MIN_LINES of it on each side."""
    item, previous = items[number], items[number - 1]
    if item.top_block != previous.top_block:
        return True
    if item.kind == "inner" and item.block != previous.block:
        return item.start == 0
    return item.kind in ("line", "inner") and item.start > 0 and _splittable(items, number)


def _back(figure: Item, page: Page, items: list[Item]) -> Move | None:
    """The figure moved back onto *page*: at its foot, after what fits above it, the page's
    other content going on after it; or to its top (below a heading). It never passes back
    over a heading or another photo: it stays in its subsection, and photos keep their order."""
    # The photos already on the page stay on it, below the text.
    others = sum(item.bottom - item.top + item.margin_top + item.margin_bottom for item in items
                 if item.kind == "figure" and item is not figure)
    height = figure.bottom - figure.top + figure.margin_top + figure.margin_bottom + others
    # Where it may go: before a line of a paragraph (keeping two lines on each side of it), or
    # before any other block but a heading, from the last heading or photo of the page on.
    start = max((n + 1 for n, item in enumerate(items) if item.kind in ("heading", "figure")),
                default=0)
    points = []
    for number in range(start, len(items)):
        item = items[number]
        if item.kind == "figure":
            break
        if item.kind == "line" and item.start and not _splittable(items, number):
            continue
        if item.kind in ("other", "inner") and (
                number == 0 or items[number - 1].top_block == item.top_block):
            continue  # inside a quotation, a list, a table, code: only before the whole block
        points.append(number)
    best = None
    for number in points:
        above = items[number - 1].bottom if number else page.top
        if above + height <= page.bottom + 0.5:
            best = number
    if best is None:
        return None
    target = items[best]
    if target.kind in ("other", "inner"):
        return Move(figure.block, f"{TOP_PREFIX}{target.top_block}", 0, back=True)
    return Move(figure.block, target.block, target.start, back=True)


def _splittable(items: list[Item], number: int) -> bool:
    """Whether a paragraph may be split before ``items[number]`` (one of its lines, not its
    first): MIN_LINES of it on each side."""
    block = items[number].block
    above = sum(1 for item in items[:number] if item.block == block)
    below = sum(1 for item in items[number:] if item.block == block)
    return above >= MIN_LINES and below >= MIN_LINES


def _needed_to_close(pages: list[Page], index: int, section: str,
                     pitch: float) -> tuple[float, bool, list[Item]] | None:
    """For page *index* with a hole at its foot while *section* goes on: how many pixels the
    page lacks for the next page's text to come up (the fewest lines a paragraph may give a
    page: two, or a short paragraph whole), whether text then stays on the next page, and
    the page's items of the section. None when there is no such hole."""
    if index + 1 >= len(pages):
        return None
    page, following = pages[index], pages[index + 1]
    mine = [item for item in page.items if item.section == section]
    nexts = [item for item in following.items if item.section == section]
    if not mine or not nexts or nexts[0].kind != "line":
        return None
    hole = page.bottom - max(item.bottom for item in mine)
    if hole <= HOLE_LINES * pitch + 1:
        return None
    block = nexts[0].block
    there = sum(1 for item in nexts if item.block == block)
    here = sum(1 for item in mine if item.block == block)
    if here:  # the paragraph began above: a line may come up if two stay below
        lines = 1 if there - 1 >= MIN_LINES else there
    else:  # it begins on the next page: two lines, or all of a short one
        lines = MIN_LINES if there - MIN_LINES >= MIN_LINES else there
    chunk = [item for item in nexts if item.block == block][:lines]
    # The text would come up below the photo's bottom margin, if a photo ends the page.
    last = max(mine, key=lambda item: item.bottom)
    gap = last.margin_bottom if last.kind == "figure" else 0.0
    needed = chunk[-1].bottom - chunk[0].top + gap - hole + 1
    # Fine when text stays on the next page, or nothing of the section does: not photos alone.
    rest = nexts[len(chunk):]
    no_lonely_photos = not rest or any(item.kind != "figure" for item in rest)
    return needed, no_lonely_photos, mine


def _tighten_for(pages: list[Page], index: int, heading: Item, pitch: float) -> Move | None:
    """A page with a heading and a hole at its foot (the next page's first paragraph could not
    come up by a few points): the space under the heading takes up to half of itself less."""
    found = _needed_to_close(pages, index, heading.section, pitch)
    if found is None:
        return None
    needed, no_lonely_photos, _ = found
    if 0 < needed <= MAX_HEADING_TIGHTEN * heading.margin_bottom and no_lonely_photos:
        return Move(heading.block, None, margin_bottom=round(heading.margin_bottom - needed, 2))
    return None


def _shrink_for(pages: list[Page], index: int, figure: Item, pitch: float,
                moved: set[str]) -> Move | None:
    """A photo on a page whose foot has a hole while its section goes on, because what begins
    the next page could not come up (a paragraph keeps two lines together at each side of a
    page break; a photo does not fit): the photo printed up to ``MAX_SHRINK`` smaller, so that
    the text can; or, when that would not do, or would leave photos alone on the next page,
    the photo that ends the page set at its foot, the white above it."""
    page = pages[index]
    mine = [item for item in page.items if item.section == figure.section]
    if figure.image_height <= 0 or figure is not max(
            (item for item in mine if item.kind == "figure"), key=lambda item: item.image_height):
        return None
    found = _needed_to_close(pages, index, figure.section, pitch)
    if found is not None:
        needed, no_lonely_photos, _ = found
        if 0 < needed <= MAX_SHRINK * figure.image_height and no_lonely_photos:
            return Move(figure.block, None, scale=round(1 - needed / figure.image_height, 4))
    hole = page.bottom - max(item.bottom for item in mine)
    goes_on = index + 1 < len(pages) and any(
        item.section == figure.section for item in pages[index + 1].items)
    nexts = [item for item in pages[index + 1].items
             if item.section == figure.section] if goes_on else []
    if nexts and nexts[0].kind == "figure" and nexts[0].block not in moved \
            and _pair(nexts[0], page, mine, moved) is not None:
        return None  # the next page's photo comes up beside this one instead
    if goes_on and max(mine, key=lambda item: item.bottom) is figure \
            and HOLE_LINES * pitch + 1 < hole < MAX_PAD_LINES * pitch:
        return Move(figure.block, None, margin_top=round(figure.margin_top + hole - 1, 2))
    return None


def _before(figure: Item, line: Item, back: bool) -> Move:
    return Move(figure.block, line.block, line.start, back)

