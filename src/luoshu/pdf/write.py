"""The reading copy of the print book (``pdf``): the laid-out pages written at the trim size,
RGB, without marks; and ``write_document``, which writes a laid-out document for every PDF
variant (the press file keeps the bleed, the archival PDF asks WeasyPrint for PDF/A).
"""

from __future__ import annotations

import copy
import datetime as _dt
from pathlib import Path

import weasyprint

from ..errors import Problem, ProjectError
from ..layout import cjk as cjk_layout
from ..layout.fetcher import ProjectFetcher
from ..layout.typeset import collect_weasyprint_errors, lay_out, raise_problems
from ..model import Book
from .pdfx_check import unembedded_fonts


def write_reading_copy(document: weasyprint.Document, destination: Path,
                       modified: _dt.datetime) -> None:
    """The ``pdf`` renderer: *document* written as the reading copy, its fonts checked."""
    write_document(document, destination, modified=modified)
    problems = unembedded_fonts(destination)
    if problems:  # never expected of WeasyPrint: say so rather than hand it to a printer
        raise ProjectError([Problem(f"print PDF: {p}", code="pdf-font") for p in problems])


def write_document(document: weasyprint.Document, destination: Path, bleed: bool = False,
                   modified: _dt.datetime | None = None, **options) -> None:
    """Write a laid-out print document (from ``lay_out``) as the PDF *destination*.

    Pages are laid out with the bleed of ``[print] bleed_mm`` around them. With *bleed* the PDF
    keeps it (the MediaBox includes it; TrimBox and BleedBox say where the page is cut): that
    is the press PDF's input. Without, each page is exactly the trim size, the reading copy;
    what reaches into the bleed (a full-bleed photo) is cut at the page edge.

    *modified* (the build's timestamp, never "now") becomes the PDF's ModDate, and its
    CreationDate when the book has no date. Other *options* go to WeasyPrint's ``write_pdf``
    (``pdf_variant="pdf/a-2u"``, ``pdf_tags=True``: the archival PDF).

    Raises ProjectError for errors WeasyPrint logs while writing (fonts are embedded then).
    """
    fetcher = document.url_fetcher if isinstance(document.url_fetcher, ProjectFetcher) else None
    already = len(fetcher.refusals) if fetcher else 0
    metadata = copy.copy(document.metadata)  # the layout is shared: change a copy
    if modified is not None:
        metadata.modified = modified.isoformat(timespec="seconds")
        metadata.created = metadata.created or metadata.modified
    pages = [_for_writing(page, bleed) for page in document.pages]
    document = type(document)(pages, metadata, document.url_fetcher, document.font_config,
                              document.color_profiles, document.output_intent)
    with collect_weasyprint_errors() as errors:
        document.write_pdf(destination, **options)
    raise_problems(fetcher, errors, already)


def _for_writing(page: weasyprint.Page, bleed: bool) -> weasyprint.Page:
    """A shallow copy of *page* to write: without its bleed unless *bleed*, and with bookmark
    labels free of the word joiners cjk_layout put in the text (a PDF viewer's outline would
    show them as boxes or stray gaps). WeasyPrint reads ``Page.bleed`` only to size the PDF
    page and its boxes; the layout inside stays the same, shared object."""
    written = copy.copy(page)
    if not bleed:
        written.bleed = {side: 0 for side in page.bleed}
    written.bookmarks = [(level, cjk_layout.without_word_joiners(label), *rest)
                         for level, label, *rest in page.bookmarks]
    return written


def write_pdf(book: Book, destination: Path) -> None:
    """Lay out *book* and write the print PDF to *destination* (the caller renames it)."""
    write_document(lay_out(book), destination)
