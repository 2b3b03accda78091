"""Typesetting the print book: WeasyPrint lays out the print document (luoshu.layout.document)
into pages, with luoshu's Chinese line layout (luoshu.layout.cjk) and photo placement
(luoshu.layout.makeup), reading only the project (luoshu.layout.fetcher).

``lay_out`` returns a ``weasyprint.Document`` of the whole book or of one layout unit
(luoshu.layout.units): the PDFs write it (luoshu.pdf.write), and luoshu.layout.pagemap reads
where each page begins, for the EPUB's print page numbers.
WeasyPrint's log is taken over here: what it says about unsupported CSS goes to DEBUG, and
its errors (an unreadable image, a stylesheet that is not CSS) become problems of the input.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import threading
from collections.abc import Iterator

import weasyprint

from ..errors import Problem, ProjectError
from ..files.gate import ProjectFiles
from ..images.photos import Placement
from ..model import Book
from . import cjk as cjk_layout
from . import footnotes
from .document import photo_placements, print_html
from .fetcher import ProjectFetcher
from .makeup import MAX_ROUNDS, Move, find_moves
from .page_boxes import PT_PER_PX
from .units import FRONT, Unit

LOGGER = logging.getLogger("luoshu.layout.typeset")
COLOPHON_ID = "colophon"  # the copyright page's section, as the print template writes it

# The error records of the lay_out or write_document running in this thread/context, or None
# outside one.
_current_errors: contextvars.ContextVar[list[logging.LogRecord] | None] = contextvars.ContextVar(
    "luoshu_pdf_weasyprint_errors", default=None)
_log_setup_lock = threading.Lock()


class _WeasyPrintLogForwarder(logging.Handler):
    """Moves WeasyPrint's records to luoshu's logger, keeping errors for lay_out and
    write_document to report.

    WeasyPrint warns freely about CSS it does not support (e.g. text-emphasis), which a user
    cannot act on: those go to DEBUG. Its errors (an unreadable image, a stylesheet that is not
    CSS) are problems with the input.
    """

    def emit(self, record: logging.LogRecord) -> None:
        if record.name == "weasyprint.progress":
            return  # "Step 5 - Creating layout - Page 12", twice per page: noise even at DEBUG
        LOGGER.debug("weasyprint %s: %s", record.levelname.lower(), record.getMessage())
        errors = _current_errors.get()
        if errors is not None and record.levelno >= logging.ERROR:
            errors.append(record)


def _install_log_forwarder() -> None:
    """Once per process: stop WeasyPrint's records from reaching the root logger (stderr)."""
    weasy_logger = logging.getLogger("weasyprint")
    with _log_setup_lock:
        if not any(isinstance(h, _WeasyPrintLogForwarder) for h in weasy_logger.handlers):
            weasy_logger.addHandler(_WeasyPrintLogForwarder())
            weasy_logger.propagate = False


@contextlib.contextmanager
def collect_weasyprint_errors() -> Iterator[list[logging.LogRecord]]:
    _install_log_forwarder()
    errors: list[logging.LogRecord] = []
    token = _current_errors.set(errors)
    try:
        yield errors
    finally:
        _current_errors.reset(token)


def lay_out(book: Book, unit: Unit | None = None, *, pages: int | None = None,
            toc_pages: dict[str, str] | None = None,
            sizes: dict[str, Placement] | None = None) -> weasyprint.Document:
    """Lay out *book*'s print document — the whole book, or one layout unit of it
    (luoshu.layout.units): the pages, ready to write (luoshu.pdf.write) and to read where each
    page begins (``pagemap.page_breaks``).

    A unit of the front matter is given the book's page count (*pages*, for the copyright
    page) and its sections' page numbers (*toc_pages*, for the contents). The whole book's
    copyright page is laid out again once its pages are counted.

    Raises ProjectError listing every resource the sandbox refused and every error WeasyPrint
    logged (an unreadable image, a stylesheet that is not CSS).
    """
    cjk_layout.install()
    options = book.config.print
    if unit is None or unit.kind == FRONT:
        LOGGER.info("print: text block (版心) %.1f mm × %.1f mm, 每行 %d 字 × 每页 %d 行",
                    options.text_width_mm, options.text_height_mm, options.chars_per_line,
                    options.lines_per_page)
    fetcher = ProjectFetcher(ProjectFiles.of(book.project))
    with collect_weasyprint_errors() as errors:
        sizes = photo_placements(book) if sizes is None else sizes  # read once, for every layout
        document = _render(print_html(book, sizes=sizes, unit=unit, pages=pages,
                                      toc_pages=toc_pages), fetcher)
        moves: tuple[Move, ...] = ()
        if unit is None or unit.kind != FRONT:
            # Photo make-up (luoshu.layout.makeup): each round moves, per section, the first
            # photo an editor would move, and lays the unit out again; a unit without holes is
            # laid out once. (Not when the first layout had problems: they are reported instead.)
            pitch = options.font_size_pt * options.line_height / PT_PER_PX
            for _ in range(MAX_ROUNDS):
                if fetcher.refusals or errors:
                    break
                more = find_moves(document, moves, line_pitch=pitch)
                if not more:
                    break
                moves += more
                del document  # the last layout's pages: gone before the next takes their place
                document = _render(print_html(book, moves, sizes, unit=unit), fetcher)
            if moves:
                LOGGER.info("print: %d photo(s) placed at the top or foot of their pages%s",
                            len(moves), f" ({unit.name})" if unit else "")
        if not (fetcher.refusals or errors):
            footnotes.renumber(document, options.footnotes)
            if unit is None:
                _set_copyright_page(book, document, moves, sizes, fetcher)
    raise_problems(fetcher, errors)
    return document


def _set_copyright_page(book: Book, document: weasyprint.Document, moves, sizes,
                        fetcher: ProjectFetcher) -> None:
    """The copyright page again, now that the book's pages are counted (印张 and 字数 follow
    from them): the front matter alone is laid out with the count, and its copyright page takes
    the place of the one laid out before. The page is the same size, alone on its page, with
    nothing on it that other pages refer to, so nothing else changes."""
    index = next((n for n, page in enumerate(document.pages)
                  if _holds_id(page._page_box, COLOPHON_ID)), None)
    if index is None:
        return
    front = _render(print_html(book, moves, sizes, pages=len(document.pages), front_only=True),
                    fetcher)
    replacement = next((page for page in front.pages
                        if _holds_id(page._page_box, COLOPHON_ID)), None)
    if replacement is not None:
        document.pages[index] = replacement


def _holds_id(box, wanted: str, depth: int = 4) -> bool:
    """Whether the element *wanted* has a box among the first *depth* levels under *box* (the
    copyright page's section is a child of <body>: page, html, body, section)."""
    element = box.element
    if element is not None and element.get("id") == wanted:
        return True
    return depth > 0 and any(_holds_id(child, wanted, depth - 1)
                             for child in getattr(box, "children", ()))


def render_html(book: Book, html: str) -> tuple[weasyprint.Document, ProjectFetcher]:
    """*html*, a print document of *book*, laid out as it is (no make-up), and the fetcher
    that read its resources (its refusals are to be reported: ``raise_problems``)."""
    cjk_layout.install()
    fetcher = ProjectFetcher(ProjectFiles.of(book.project))
    return _render(html, fetcher), fetcher


def _render(html: str, fetcher: ProjectFetcher) -> weasyprint.Document:
    return weasyprint.HTML(string=html, base_url=fetcher.document_url,
                           url_fetcher=fetcher).render()


def raise_problems(fetcher: ProjectFetcher | None, errors: list[logging.LogRecord],
                    already: int = 0) -> None:
    """Raise the fetcher's refusals (those after the first *already*) and WeasyPrint's errors
    as one ProjectError, if there are any."""
    problems = list(fetcher.refusals[already:]) if fetcher else []
    refused = fetcher.refused_urls if fetcher else set()
    for record in errors:
        # A refused fetch is logged by WeasyPrint too; the fetcher's problem says it better.
        if isinstance(record.args, tuple) and refused.intersection(
                arg for arg in record.args if isinstance(arg, str)):
            continue
        problems.append(Problem(f"print layout: {record.getMessage()}", code="pdf-render"))
    if problems:
        raise ProjectError(problems)
