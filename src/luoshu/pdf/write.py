"""The reading copy of the print book (``pdf``): the typeset pages at the trim size, RGB,
without marks; ``write_document``, which writes a laid-out document (with its bleed: a layout
unit's pages, luoshu.build.typesetting); and ``cut_to_trim``, which makes the joined pages
(with their bleed: the press PDF's input) the trim-size pages of the reading copy and the
archival PDF.
"""

from __future__ import annotations

import copy
import datetime as _dt
import logging
from pathlib import Path

import pikepdf
import weasyprint

from ..errors import Problem, ProjectError
from ..layout import cjk as cjk_layout
from ..layout.fetcher import ProjectFetcher
from ..layout.typeset import collect_weasyprint_errors, raise_problems
from .pdfx_check import unembedded_fonts

LOGGER = logging.getLogger("luoshu.pdf.write")


def write_reading_copy(joined: Path, destination: Path) -> None:
    """The ``pdf`` renderer: the typeset book *joined* (with its bleed) cut to the trim as the
    reading copy, its fonts checked."""
    cut_to_trim(joined, destination)
    problems = unembedded_fonts(destination)
    if problems:  # never expected of WeasyPrint: say so rather than hand it to a printer
        raise ProjectError([Problem(f"print PDF: {p}", code="pdf-font") for p in problems])


def cut_to_trim(source: Path, destination: Path) -> None:
    """Write the pages of *source*, drawn with their bleed, as pages of the trim size: each
    page's content moved so that its TrimBox starts at the origin, and its boxes (MediaBox,
    TrimBox, BleedBox) the trim; links, bookmarks and destinations moved with it. What reaches
    into the bleed (a full-bleed photo) is cut at the page edge. The same source gives the
    same bytes."""
    with pikepdf.open(source) as pdf:
        shifts = {}
        for page in pdf.pages:
            x0, y0, x1, y1 = (float(v) for v in page.obj.get("/TrimBox", page.mediabox))
            shifts[page.objgen] = (x0, y0)
            if x0 or y0:
                page.contents_add(pdf.make_stream(f"q 1 0 0 1 {-x0:g} {-y0:g} cm\n".encode()),
                                  prepend=True)
                page.contents_add(pdf.make_stream(b"\nQ"))
                for annotation in page.obj.get("/Annots", ()):
                    if "/Rect" in annotation:
                        a, b, c, d = (float(v) for v in annotation.Rect)
                        annotation.Rect = pikepdf.Array([a - x0, b - y0, c - x0, d - y0])
            trim = pikepdf.Array([0, 0, x1 - x0, y1 - y0])
            for box in ("/MediaBox", "/TrimBox", "/BleedBox"):
                page.obj[box] = trim
            for box in ("/CropBox", "/ArtBox"):
                if box in page.obj:
                    del page.obj[box]
        _move_destinations(pdf, shifts)
        pdf.save(destination, deterministic_id=True, compress_streams=True,
                 object_stream_mode=pikepdf.ObjectStreamMode.generate)


def _move_destinations(pdf: pikepdf.Pdf, shifts: dict) -> None:
    """Bookmarks and named destinations ([page /XYZ left top zoom]) moved with their page."""
    def moved(destination):
        if isinstance(destination, pikepdf.Array) and len(destination) >= 4 \
                and destination[1] == pikepdf.Name.XYZ:
            x0, y0 = shifts.get(destination[0].objgen, (0.0, 0.0))
            left, top = destination[2], destination[3]
            destination[2] = None if left is None else float(left) - x0
            destination[3] = None if top is None else float(top) - y0

    with pdf.open_outline() as outline:
        items = list(outline.root)
        while items:
            item = items.pop()
            if item.destination is not None:
                moved(item.destination)
            items.extend(item.children)
    names = pdf.Root.get("/Names", pikepdf.Dictionary()).get("/Dests")
    if names is not None:
        for _, destination in pikepdf.NameTree(names).items():
            moved(destination)


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


def write_tagged(document: weasyprint.Document, destination: Path, name: str,
                 **options) -> bool:
    """``write_document`` with tags (the logical structure: headings, paragraphs, figures,
    for assistive software and the archival PDF) when WeasyPrint can write them; without,
    and a warning naming *name* and why, when it cannot — its tagger refuses an image without
    alt text, and can fail on layouts it does not expect. Returns whether it was tagged."""
    try:
        write_document(document, destination, pdf_tags=True, **options)
        return True
    except OSError:
        raise  # the disk: not the tagger
    except Exception as error:  # noqa: BLE001 - any failure of the tagger; retried below
        # The tagger logs an error WeasyPrint then goes on from (an image without alt text:
        # a ProjectError here) or raises. An error that is not about tagging fails the
        # untagged write as well, and is raised from there.
        reason = " ".join(str(error).split()) or type(error).__name__
        LOGGER.warning("print PDF: %s written without tags (WeasyPrint could not tag it: %s)",
                       name, reason)
    write_document(document, destination, **options)
    return False


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


