"""The page audit: what a production editor looks for on the printed pages, measured on the
written PDF — the glyphs and images as drawn, never WeasyPrint's page tree.

Per page of the reading copy (``book.pdf``, trim size, no bleed):

- ``ragged-line``: a line inside a justified paragraph that stops short of (or runs past) the
  text block's right edge by more than ``FLUSH_TOLERANCE_PT``;
- ``widow-character`` (孤字): a paragraph whose last line holds one character besides its
  closing punctuation;
- ``small-photo``: a page of a section holding photos and their captions only, together
  less than ⅔ of the text block's height (a plate or a photo asked on a page of its own is
  not small);
- ``hole``: a hole taller than two lines at the foot of a page while the section goes on;
- ``photo-after-byline``: a photo printed after the section's byline (``{: .byline}``).

How a page is read: the glyphs (pdfplumber, i.e. pdfminer.six) are grouped into lines by their
baseline; a *body line* is set in the body size and starts at the text block's left edge or
one indent (2 em) in from it. A body line is a paragraph's last line when the next body line
starts indented, when something else (a heading, a photo, a gap) follows it, or when the
section ends. Where a paragraph goes on over a page, its last line on the page must be flush
too. Sections are found from the PDF's bookmarks (each section is a first-level bookmark),
photos from the images drawn, bylines as right-aligned body-size lines that end a section.
Margin boxes (running heads, folios) lie outside the text block and are not read.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pikepdf

from ..errors import Problem
from ..model import PrintOptions
from ..zh.chars import CLOSING, INSEPARABLE, PAUSE_OR_STOP

MM = 72 / 25.4
FLUSH_TOLERANCE_PT = 0.5
INDENT_EM = 2.0  # the body's first-line indent (base.css)
HOLE_LINES = 2  # a hole taller than this many lines while a section goes on is one too many
SMALL_PHOTO_SHARE = 2 / 3
# Punctuation that does not count as a character of a last line (clreq: 孤字 is one character
# left alone with its closing marks).
_TRAILING_MARKS = CLOSING | PAUSE_OR_STOP | INSEPARABLE | frozenset("·")
CODES = ("ragged-line", "widow-character", "small-photo", "hole", "photo-after-byline")


@dataclass(frozen=True)
class Finding:
    """One problem on one page."""

    page: int  # 1-based index of the page in the PDF
    folio: str | None  # the page number printed on it, if any
    code: str
    message: str

    def __str__(self) -> str:
        where = f"page {self.page}" + (f" (folio {self.folio})" if self.folio else "")
        return f"{where}: {self.code}: {self.message}"


@dataclass(frozen=True)
class Line:
    """The glyphs of one baseline inside the text block."""

    baseline: float  # from the top of the page, in points
    x0: float
    x1: float
    size: float  # the dominant font size
    text: str


@dataclass(frozen=True)
class Block:
    """A photo (an image as drawn) inside the text block."""

    top: float
    bottom: float


@dataclass
class _Page:
    number: int
    lines: list[Line]
    photos: list[Block]
    folio: str | None
    opens_section: bool = False
    section: int = -1  # index of the section the page belongs to; -1: front matter
    text_left: float = 0.0
    text_right: float = 0.0
    text_top: float = 0.0
    text_bottom: float = 0.0


def audit_pdf(path: Path, options: PrintOptions, first_recto: bool = True) -> list[Finding]:
    """Every finding of the page audit of the print PDF at *path*, laid out with *options*;
    its first page a recto unless *first_recto* is false (a layout unit opening on a verso)."""
    return list(_findings(_read_pages(path, options, first_recto), options))


def _read_pages(path: Path, options: PrintOptions, first_recto: bool = True) -> list[_Page]:
    """Every page of the PDF, read, with the section it belongs to (-1: front matter)."""
    import pdfplumber  # loaded only when a PDF is audited

    starts = _section_starts(path)
    pages: list[_Page] = []
    with pdfplumber.open(path) as pdf:
        for number, page in enumerate(pdf.pages, start=1):
            pages.append(_read_page(number, page, options, (number % 2 == 1) == first_recto))
    section = -1
    for page in pages:
        if page.number in starts:
            section += 1
            page.opens_section = True
        page.section = section
    return pages


def _following(pages: list[_Page], index: int) -> _Page | None:
    """The next page, when the section of page *index* goes on there."""
    following = pages[index + 1] if index + 1 < len(pages) else None
    page = pages[index]
    if following is not None and following.section == page.section \
            and not following.opens_section and (following.lines or following.photos):
        return following
    return None


def _section_starts(path: Path) -> set[int]:
    """1-based page numbers where a first-level bookmark (a section) begins."""
    starts = set()
    with pikepdf.open(path) as pdf:
        pages = {page.objgen: number for number, page in enumerate(pdf.pages, start=1)}
        with pdf.open_outline() as outline:
            for item in outline.root:
                destination = item.destination
                if isinstance(destination, pikepdf.Array) and len(destination):
                    target = destination[0]
                elif item.action is not None and "/D" in item.action:
                    target = item.action.D[0]
                else:
                    continue
                number = pages.get(target.objgen) if isinstance(target, pikepdf.Dictionary) \
                    else None
                if number is not None:
                    starts.add(number)
    return starts


def _read_page(number: int, page, options: PrintOptions, recto: bool) -> _Page:
    # The trim box is the page as cut (a bleed, a slug may lie around it), as pdfplumber gives
    # boxes, glyphs and images: x as drawn, y down from its page's top (``bbox[3]``), which is
    # not 0 when the MediaBox does not start at 0, 0 (WeasyPrint's, with a bleed).
    trim_x0, trim_top, trim_x1, trim_bottom = (float(v) for v in (page.trimbox or page.bbox))
    page_top = float(page.bbox[3])
    left = trim_x0 + (options.margin_inner_mm if recto else options.margin_outer_mm) * MM
    right = trim_x1 - (options.margin_outer_mm if recto else options.margin_inner_mm) * MM
    top, bottom = trim_top + options.margin_top_mm * MM, trim_bottom - options.margin_bottom_mm * MM
    body = options.font_size_pt
    by_baseline: dict[float, list[dict]] = {}
    folio = None
    for char in page.chars:
        baseline = page_top - char["matrix"][5]
        if baseline > bottom + 2 and char["text"].strip():
            folio = (folio or "") + char["text"]  # the folio, below the text block
            continue
        if baseline < top - 2:
            continue  # the running head
        key = round(baseline, 1)
        by_baseline.setdefault(key, []).append(char)
    lines = []
    for baseline in sorted(by_baseline):
        chars = sorted(by_baseline[baseline], key=lambda c: c["x0"])
        sizes = [round(c["size"], 1) for c in chars]
        size = max(set(sizes), key=sizes.count)
        lines.append(Line(baseline, chars[0]["x0"], chars[-1]["x1"], size,
                          "".join(c["text"] for c in chars)))
    lines = _merge_raised(lines, body)
    photos = [Block(float(image["top"]), float(image["bottom"])) for image in page.images
              if image["x1"] > left and image["x0"] < right and image["bottom"] > top
              and image["top"] < bottom]
    result = _Page(number, lines, photos, folio.strip() if folio else None)
    result.text_left, result.text_right = left, right
    result.text_top, result.text_bottom = top, bottom
    return result


def _merge_raised(lines: list[Line], body: float) -> list[Line]:
    """Lines with a raised or lowered small run (a footnote call) joined to their line."""
    merged: list[Line] = []
    for line in lines:
        previous = merged[-1] if merged else None
        if (previous is not None and line.size < body - 0.3
                and abs(line.baseline - previous.baseline) < 0.5 * body
                and line.x0 >= previous.x0 - 0.5 and line.x1 <= previous.x1 + body):
            merged[-1] = dataclasses.replace(
                previous, x1=max(previous.x1, line.x1), text=previous.text + line.text)
            continue
        merged.append(line)
    return merged


# --- the findings -------------------------------------------------------------------------------


def _findings(pages: list[_Page], options: PrintOptions) -> Iterable[Finding]:
    body = options.font_size_pt
    pitch = body * options.line_height
    block_height = options.text_height_mm * MM
    for index, page in enumerate(pages):
        block_bottom = page.text_bottom
        if page.section < 0:
            continue  # front matter: title page, copyright page, contents
        following = _following(pages, index)
        continues = following is not None
        body_lines = [line for line in page.lines if _is_body(line, page, body)]
        yield from _line_findings(page, body_lines, following, body, pitch)
        content_bottom = max([line.baseline + 0.25 * body for line in page.lines]
                             + [photo.bottom for photo in page.photos], default=None)
        if continues and content_bottom is not None:
            hole = block_bottom - content_bottom
            if hole > HOLE_LINES * pitch + 0.5 * body:
                yield _finding(page, "hole", f"{hole / pitch:.1f} lines ({hole / MM:.0f} mm) "
                               "empty at the foot of the page while the section goes on")
        if page.photos and not [line for line in page.lines if line.size >= body - 0.3]:
            top = min(photo.top for photo in page.photos)
            bottom = max([photo.bottom for photo in page.photos]
                         + [line.baseline + 0.3 * line.size for line in page.lines])
            if bottom - top < SMALL_PHOTO_SHARE * block_height and not _is_plate(page):
                yield _finding(page, "small-photo", f"only photos, {100 * (bottom - top) / block_height:.0f}% "
                               "of the text block: let the text run around them")
    yield from _photos_after_bylines(pages, body)


def _is_body(line: Line, page: _Page, body: float) -> bool:
    """Whether *line* is a line of a body paragraph: body size, at the left edge or indented."""
    if abs(line.size - body) > 0.3:
        return False
    return (abs(line.x0 - page.text_left) < 0.6
            or abs(line.x0 - page.text_left - INDENT_EM * body) < 0.6)


def _indented(line: Line, page: _Page, body: float) -> bool:
    return abs(line.x0 - page.text_left - INDENT_EM * body) < 0.6


def _line_findings(page: _Page, lines: list[Line], following: _Page | None, body: float,
                   pitch: float) -> Iterable[Finding]:
    """Ragged lines and widow characters among the body lines of *page*."""
    for line, ends_paragraph in _classified(page, lines, following, body, pitch):
        if ends_paragraph:
            if _is_widow(line, page, body):
                yield _finding(page, "widow-character", f"the paragraph ends with one character "
                               f"alone on its last line: {line.text.strip()!r}")
            continue
        short = page.text_right - line.x1
        if abs(short) > FLUSH_TOLERANCE_PT:
            what = "short of" if short > 0 else "past"
            yield _finding(page, "ragged-line", f"a justified line ends {abs(short):.1f} pt "
                           f"({abs(short) / body:.2f} em) {what} the right edge: "
                           f"{line.text.strip()[-12:]!r}")


def _classified(page: _Page, lines: list[Line], following: _Page | None, body: float,
                pitch: float) -> Iterable[tuple[Line, bool]]:
    """Each body line of *page* with whether it ends its paragraph (else it is justified)."""
    for number, line in enumerate(lines):
        after = lines[number + 1] if number + 1 < len(lines) else None
        if after is not None and after.baseline - line.baseline > pitch + 0.5:
            after = None  # something else comes between them
        if after is None and number + 1 == len(lines) and following is not None:
            # The paragraph goes on over the page when the next page begins with an unindented
            # body line at the top of its text block.
            first = next((other for other in following.lines
                          if _is_body(other, following, body)), None)
            at_top = first is not None and first is following.lines[0] and not following.photos
            if at_top and not _indented(first, following, body):
                after = first
        yield line, after is None or _indented(after, page if after in lines else following,
                                               body)


def _is_widow(line: Line, page: _Page, body: float) -> bool:
    characters = line.text.rstrip()
    while characters and characters[-1] in _TRAILING_MARKS:
        characters = characters[:-1]
    return len(characters.strip()) == 1 and not _indented(line, page, body)


@dataclass(frozen=True)
class LineMeasures:
    """The body lines of a PDF as the audit reads them, for reports and documentation."""

    justified: int  # lines inside paragraphs, which should be flush with both edges
    flush: int  # of those, within FLUSH_TOLERANCE_PT of the right edge
    largest_gap_pt: float  # the farthest any of them ends from the right edge
    mean_gap_pt: float
    last_lines: int  # paragraphs' last lines
    widows: int  # of those, one character alone


def measure_lines(path: Path, options: PrintOptions) -> LineMeasures:
    """How flush the justified lines of the print PDF at *path* are, and how many paragraphs
    end with a character alone: the figures behind ``ragged-line`` and ``widow-character``."""
    pages = _read_pages(path, options)
    gaps, last, widows = [], 0, 0
    body, pitch = options.font_size_pt, options.font_size_pt * options.line_height
    for index, page in enumerate(pages):
        if page.section < 0:
            continue
        following = _following(pages, index)
        lines = [line for line in page.lines if _is_body(line, page, body)]
        for line, ends in _classified(page, lines, following, body, pitch):
            if ends:
                last += 1
                widows += _is_widow(line, page, body)
            else:
                gaps.append(abs(page.text_right - line.x1))
    return LineMeasures(len(gaps), sum(1 for gap in gaps if gap <= FLUSH_TOLERANCE_PT),
                        round(max(gaps, default=0.0), 2),
                        round(sum(gaps) / len(gaps), 2) if gaps else 0.0, last, widows)


def _is_plate(page: _Page) -> bool:
    """A full-bleed photo: it reaches past the text block on its page."""
    return any(photo.top < page.text_top - 1 for photo in page.photos)


def _photos_after_bylines(pages: list[_Page], body: float) -> Iterable[Finding]:
    """Photos printed after a section's byline, on its page or the section's later pages."""
    byline_at: dict[int, tuple[int, float]] = {}  # section → (page number, baseline)
    for page in pages:
        if page.section < 0:
            continue
        for line in page.lines:
            right_aligned = (abs(line.x1 - page.text_right) < 0.6
                             and line.x0 > page.text_left + INDENT_EM * body + 1)
            if right_aligned and abs(line.size - body) <= 0.3:
                byline_at[page.section] = (page.number, line.baseline)
        place = byline_at.get(page.section)
        if place is None:
            continue
        for photo in page.photos:
            if page.number > place[0] or photo.top > place[1]:
                yield _finding(page, "photo-after-byline", "a photo follows the section's byline: "
                               "photos belong before the closing lines")
                break


def _finding(page: _Page, code: str, message: str) -> Finding:
    return Finding(page.number, page.folio, code, message)


def as_problems(findings: Iterable[Finding], name: str) -> list[Problem]:
    """*findings* (of the print PDF called *name*) as the build's warnings."""
    return [Problem(f"page {f.page}" + (f" (folio {f.folio})" if f.folio else "")
                    + f": {f.message}", name, code=f"page-{f.code}", severity="warning")
            for f in findings]


def as_json(findings: list[Finding]) -> str:
    """The findings as a JSON document (``luoshu check --format json``)."""
    return json.dumps([dataclasses.asdict(f) for f in findings], ensure_ascii=False, indent=2)
