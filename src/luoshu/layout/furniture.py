"""The page furniture: the running heads (书眉) and folios of the body's pages, laid out for
the whole book at once, to be put on the pages of the sections laid out on their own
(luoshu.layout.units, luoshu.pdf.join).

A section's pages do not depend on the number of the page it starts on, but its folios do;
so the sections are laid out without them, and one light document — the same stylesheets,
each section standing in as its hidden heading and as many empty pages as it has — is laid
out with them: its pages fall exactly as the book's do (the same page breaks, the same blank
versos before a section that opens on a recto), with nothing drawn but the furniture, which
WeasyPrint lays out from the same CSS rules as ever.
"""

from __future__ import annotations

import weasyprint

from ..model import Book
from .document import print_html
from .typeset import collect_weasyprint_errors, raise_problems, render_html


def lay_out_furniture(book: Book, section_pages: dict[str, int]) -> weasyprint.Document:
    """The body's page furniture for *section_pages* (the pages each section and the gallery,
    by id, were laid out in): one page per page of the body, blank versos included."""
    with collect_weasyprint_errors() as errors:
        document, fetcher = render_html(book, print_html(book, sizes={}, furniture=section_pages))
    raise_problems(fetcher, errors)
    return document
