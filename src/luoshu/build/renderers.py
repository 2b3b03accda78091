"""One small contract per output format: a renderer takes the Book, a destination file and the
build's RenderContext, and writes that one file (the build renames it into place).

    epub       book.epub          luoshu.epub.writer
    pdf        book.pdf           luoshu.pdf.write: the reading copy, RGB, trim size
    pdf-press  book-press.pdf     luoshu.pdf.press: PDF/X-4, CMYK, bleed, crop marks
    pdfa       book-pdfa.pdf      luoshu.pdf.pdfa: the archival PDF, PDF/A-2u
    archive    book-archive.zip   luoshu.archive.bag: the BagIt deposit package (also unpacked)

Renderers import their modules when they run, so a build loads only what it writes. The print
layout is shared (PrintLayout): WeasyPrint lays the book out at most once per build, the PDFs
write it, the EPUB reads its page breaks.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import Problem, ProjectError
from ..model import Book

if TYPE_CHECKING:
    import weasyprint

    from ..layout.pagemap import PageBreak


class PrintLayout:
    """The book's print layout, shared by the renderers of one build: laid out on first use,
    at most once (the PDF is that layout written; the EPUB's page-list is read from it).

    The laid-out pages are the largest object of a build, so they are kept only as long as a
    renderer still needs them: with *keep_document* false (no PDF to write), they go as soon as
    the page breaks are read; otherwise ``release`` drops them once the PDF is written.
    """

    def __init__(self, book: Book, keep_document: bool = True):
        self.book = book
        self.keep_document = keep_document
        self._document: weasyprint.Document | None = None
        self._page_breaks: tuple[PageBreak, ...] | None = None
        self._released = False
        self.audited = False  # the page audit reads the first PDF written

    def document(self) -> weasyprint.Document:
        """The laid-out pages. Raises ProjectError as luoshu.layout.typeset.lay_out does."""
        if self._document is None:
            if self._released:
                raise RuntimeError("the print layout was released; it is laid out only once")
            from ..layout.typeset import (
                lay_out,  # imported late: WeasyPrint loads only when used
            )

            self._document = lay_out(self.book)
        return self._document

    def page_breaks(self) -> tuple[PageBreak, ...]:
        """Where each print page with a folio begins, in the sections' text (luoshu.layout.pagemap)."""
        if self._page_breaks is None:
            from ..layout.pagemap import page_breaks

            self._page_breaks = page_breaks(self.document())
            if not self.keep_document:
                self.release(keep_page_breaks=True)
        return self._page_breaks

    def release(self, keep_page_breaks: bool) -> None:
        """Drop the laid-out pages, if the book was laid out; with *keep_page_breaks*, read the
        page breaks first."""
        if self._document is None:
            return
        if keep_page_breaks and self._page_breaks is None:
            self.page_breaks()
        self._document = None
        self._released = True


@dataclass(frozen=True)
class RenderContext:
    """What every renderer of one build shares besides the book."""

    modified: _dt.datetime  # the outputs' timestamp (luoshu.build.stages.modification_time)
    layout: PrintLayout  # the print layout, laid out on first use
    rendered: Mapping[str, Path]  # formats already written in this build → their files
    strict: bool = False  # warnings are errors (release builds)
    warnings: list[Problem] = field(default_factory=list)  # what renderers found to report

    def audit_pages(self, book: Book, pdf: Path) -> None:
        """The page audit (luoshu.pdf.audit) of the first print PDF this build writes: the
        pages are the same layout in every PDF, so one reading tells what an editor would
        send back. Its findings are warnings; with *strict*, errors."""
        if self.layout.audited:
            return
        self.layout.audited = True
        from ..pdf.audit import audit_problems

        name = f"{book.config.output.basename}.pdf"
        found = audit_problems(pdf, name, book.config.print)
        if self.strict and found:
            raise ProjectError([dataclasses.replace(w, severity="error") for w in found])
        self.warnings.extend(found)


def _write_epub(book: Book, destination: Path, context: RenderContext) -> None:
    from ..epub.writer import (
        write_epub,  # imported late: each renderer loads only when used
    )

    write_epub(book, destination, context.modified, page_breaks=context.layout.page_breaks())


def _write_pdf(book: Book, destination: Path, context: RenderContext) -> None:
    from ..pdf.write import write_reading_copy

    write_reading_copy(context.layout.document(), destination, context.modified)
    context.audit_pages(book, destination)


def _write_press_pdf(book: Book, destination: Path, context: RenderContext) -> None:
    from ..pdf.press import write_press_pdf

    write_press_pdf(book, context.layout.document(), destination, context.modified)
    context.audit_pages(book, destination)


def _write_pdfa(book: Book, destination: Path, context: RenderContext) -> None:
    from ..pdf.pdfa import write_pdfa

    write_pdfa(context.layout.document(), destination, context.modified)
    context.audit_pages(book, destination)


def _write_archive(book: Book, destination: Path, context: RenderContext) -> None:
    from ..archive.bag import write_archive

    write_archive(book, destination, context.modified, pdfa=context.rendered["pdfa"],
                  epub=context.rendered["epub"])


def replace_bag_folder(archive: Path) -> None:
    """Unpack the archive *archive* (a zip holding one bag) into the folder beside it that has
    its name (book-archive.zip → book-archive/), replacing an earlier one only once the new
    one is complete."""
    from ..archive.bag import unpack
    from ..files.output import replace_folder, scratch_beside

    final = archive.with_suffix("")
    with scratch_beside(final) as scratch:
        replace_folder(unpack(archive, scratch), final)


Renderer = Callable[[Book, Path, RenderContext], None]
RENDERERS: dict[str, tuple[str, Renderer]] = {
    "epub": (".epub", _write_epub),
    "pdf": (".pdf", _write_pdf),
    "pdf-press": ("-press.pdf", _write_press_pdf),
    "pdfa": ("-pdfa.pdf", _write_pdfa),
    "archive": ("-archive.zip", _write_archive),
}
PRINT_FORMATS = ("pdf", "pdf-press", "pdfa")  # the formats that write the print layout's pages
ARCHIVE_NEEDS = ("pdfa", "epub")  # what the archive packs: built with it


