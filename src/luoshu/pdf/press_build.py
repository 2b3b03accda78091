"""The ``pdf-press`` renderer: the print layout, with its bleed, made into a PDF/X-4 file.

luoshu.pdf.press does the PDF work (greys to K, Ghostscript's CMYK conversion, crop marks, the
output intent, the PDF/X metadata); this module connects it to a build: it finds the output
profile book.toml names (inside the project, like every other input), writes the laid-out
pages with their bleed to a scratch file beside the destination, and turns what can go wrong
into problems the editor can act on, located in book.toml.

The finished file is checked with ``pdfx_check.pdfx_problems`` before it is accepted: a press PDF
that fails the PDF/X-4 properties luoshu can verify is never handed over.
"""

from __future__ import annotations

import datetime as _dt
import logging
import tempfile
from pathlib import Path

import weasyprint

from . import pdfx_check, press, profile as press_profile
from ..errors import Problem, ProjectError
from ..model import Book
from ..layout.document import write_document
from .profile import output_profile

LOG = logging.getLogger("luoshu.pdf.press")


def write_press_pdf(book: Book, document: weasyprint.Document, destination: Path,
                    modified: _dt.datetime) -> None:
    """Write *book*'s laid-out *document* as a press-ready PDF/X-4 file at *destination*;
    *modified* is the build's timestamp (the file's dates, so two builds are identical)."""
    profile = output_profile(book.project, book.config.print)
    LOG.info("press PDF: converting to CMYK for %s (%s)", profile.info, profile.condition)
    with tempfile.TemporaryDirectory(dir=destination.parent, prefix=".press-") as scratch:
        source = Path(scratch) / "bleed.pdf"
        write_document(document, source, bleed=True, modified=modified)
        try:
            press.make_press_pdf(source, destination, profile,
                                 crop_marks=book.config.print.crop_marks)
        except press_profile.PressError as error:
            raise ProjectError([Problem(f"press PDF: {error}", code="press")]) from None
    problems = pdfx_check.pdfx_problems(destination)
    if problems:
        raise ProjectError([Problem(f"press PDF is not PDF/X-4: {problem}", code="pdfx")
                            for problem in problems])
