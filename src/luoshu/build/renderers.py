"""One small contract per output format: a renderer takes the Book, a destination file and the
build's RenderContext, and writes that one file (the build renames it into place).

    epub       book.epub          luoshu.epub.writer
    pdf        book.pdf           luoshu.pdf.write: the reading copy, RGB, trim size
    pdf-press  book-press.pdf     luoshu.pdf.press: PDF/X-4, CMYK, bleed, crop marks
    pdfa       book-pdfa.pdf      luoshu.pdf.pdfa: the archival PDF, PDF/A-2u
    archive    book-archive.zip   luoshu.archive.bag: the BagIt deposit package (also unpacked)

Renderers import their modules when they run, so a build loads only what it writes. The print
layout is shared (PrintLayout): the book is typeset at most once per build, the PDFs write its
pages, the EPUB reads its page breaks.
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
    from ..layout.pagemap import PageBreak
    from .cache import BuildCache
    from .typesetting import Progress, Typeset


class PrintLayout:
    """The book's print layout, shared by the renderers of one build: typeset on first use, at
    most once (luoshu.build.typesetting) — the PDFs write its joined pages, the EPUB reads its
    page breaks. Without *draw* (no PDF to write), the units are laid out but not drawn."""

    def __init__(self, book: Book, scratch: Path, *, draw: bool, modified: _dt.datetime,
                 jobs: int = 1, cache: BuildCache | None = None,
                 progress: Progress | None = None):
        self.book, self.scratch, self.draw, self.modified = book, scratch, draw, modified
        self.jobs, self.cache, self.progress = jobs, cache, progress
        self._typeset: Typeset | None = None
        self.audited = False  # the page audit's findings are reported once

    def typeset(self) -> Typeset:
        """The typeset book. Raises ProjectError as luoshu.layout.typeset.lay_out does."""
        if self._typeset is None:
            from .typesetting import (
                typeset,  # imported late: WeasyPrint loads only when used
            )

            self._typeset = typeset(self.book, self.scratch, draw=self.draw, jobs=self.jobs,
                                    cache=self.cache, progress=self.progress,
                                    modified=self.modified)
        return self._typeset

    def page_breaks(self) -> tuple[PageBreak, ...]:
        """Where each print page with a folio begins, in the sections' text (luoshu.layout.pagemap)."""
        return self.typeset().page_breaks

    def joined(self) -> Path:
        """The book's pages joined in one PDF, with their bleed (luoshu.pdf.join)."""
        joined = self.typeset().pdf
        assert joined is not None, "the print layout was typeset without drawing"
        return joined


@dataclass(frozen=True)
class RenderContext:
    """What every renderer of one build shares besides the book."""

    modified: _dt.datetime  # the outputs' timestamp (luoshu.build.stages.modification_time)
    layout: PrintLayout  # the print layout, laid out on first use
    rendered: Mapping[str, Path]  # formats already written in this build → their files
    strict: bool = False  # warnings are errors (release builds)
    warnings: list[Problem] = field(default_factory=list)  # what renderers found to report

    def audit_pages(self, book: Book) -> None:
        """The page audit's findings (luoshu.pdf.audit: the drawn pages of every unit, read
        back as they were written): the pages are the same in every PDF, so they are reported
        once. They are warnings; with *strict*, errors."""
        if self.layout.audited:
            return
        self.layout.audited = True
        from ..pdf.audit import as_problems

        name = f"{book.config.output.basename}.pdf"
        found = as_problems(self.layout.typeset().findings, name)
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

    write_reading_copy(context.layout.joined(), destination)
    context.audit_pages(book)


def _write_press_pdf(book: Book, destination: Path, context: RenderContext) -> None:
    from ..pdf.press import write_press_pdf

    write_press_pdf(book, context.layout.joined(), destination)
    context.audit_pages(book)


def _write_pdfa(book: Book, destination: Path, context: RenderContext) -> None:
    from ..pdf.pdfa import write_pdfa

    write_pdfa(context.layout.joined(), destination)
    context.audit_pages(book)


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


