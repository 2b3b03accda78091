"""Typesetting the print book for a build: its layout units (luoshu.layout.units) laid out and
drawn side by side in worker processes — or taken from the build cache (luoshu.build.cache) —
then the front matter and the page furniture laid out with the page numbers that gives, and
everything joined into one PDF (luoshu.pdf.join), which the print renderers write out.

The steps, for a book whose sections open on a new page:

1. each section and the gallery is laid out on its own — photo make-up, footnotes — and drawn
   with its bleed and without running heads or folios; its pages are read back by the page
   audit, and where its pages begin in the text is noted (the EPUB's page-list); a unit whose
   inputs are unchanged comes from the cache instead;
2. the body's pages are numbered: a blank verso before a section that opens on a recto (or, for
   ``openings = "any"``, each unit laid out again on the side it falls on, until none moves);
3. the front matter is laid out with its contents' page numbers and the book's page count
   (the copyright page's 印张 and 字数), and the page furniture with the running heads and
   folios of every body page (luoshu.layout.furniture);
4. the parts are joined, the furniture drawn over the body's pages, each font face embedded
   once.

An EPUB-only build stops after step 2, laying units out without drawing them (their page breaks
are all the EPUB needs), unless the cache has them. The outputs do not depend on the number
of worker processes or on the cache: the same units are laid out and joined the same way.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import dataclasses
import datetime as _dt
import logging
import multiprocessing
import os
import platform
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from .. import __version__
from ..errors import Problem, ProjectError
from ..files.output import sha256_file
from ..layout.pagemap import GALLERY_SECTION, PageBreak
from ..layout.units import BODY, FRONT, Unit, body_units, unit_key
from ..model import Book
from ..pdf.audit import Finding
from ..pdf.faces import FontUse
from .cache import BuildCache, luoshu_digest

LOGGER = logging.getLogger("luoshu.build.typesetting")

Progress = Callable[[int, int], None]  # (units done, units in all)


@dataclass(frozen=True)
class UnitResult:
    """A unit laid out (and drawn, when *pdf* is set): what the rest of the build needs of it."""

    pages: int
    breaks: tuple[PageBreak, ...]  # labels: the unit's own page numbers, from "1" (a body
    #                                unit's are its folios)
    findings: tuple[Finding, ...]  # the page audit's, numbered within the unit
    fonts: dict[str, FontUse]
    pdf: Path | None
    log: tuple[tuple[str, int, str], ...] = ()  # (logger, level, message) to say in the build
    # (section id, its first page, its pages) of each of the unit's sections: the blank versos
    # between them are the unit's, not theirs
    sections: tuple[tuple[str, int, int], ...] = ()

    def record(self) -> dict:
        """The result as the cache keeps it (its PDF aside)."""
        return {"pages": self.pages, "sections": [list(entry) for entry in self.sections],
                "breaks": [dataclasses.astuple(b) for b in self.breaks],
                "findings": [dataclasses.astuple(f) for f in self.findings],
                "fonts": {name: use.as_json() for name, use in sorted(self.fonts.items())},
                "log": [list(entry) for entry in self.log]}

    @classmethod
    def from_record(cls, record: dict, pdf: Path | None) -> UnitResult:
        return cls(int(record["pages"]), tuple(PageBreak(*b) for b in record["breaks"]),
                   tuple(Finding(*f) for f in record["findings"]),
                   {name: FontUse.from_json(use) for name, use in record["fonts"].items()},
                   pdf, tuple((str(a), int(b), str(c)) for a, b, c in record.get("log", ())),
                   tuple((str(a), int(b), int(c)) for a, b, c in record["sections"]))


@dataclass(frozen=True)
class Typeset:
    """The print book typeset: the joined PDF (with its bleed: luoshu.pdf.join), the EPUB's
    page breaks, and the page audit's findings (numbered as the joined PDF's pages)."""

    pdf: Path | None
    page_breaks: tuple[PageBreak, ...]
    findings: tuple[Finding, ...]


def default_jobs() -> int:
    """The worker processes a build uses by default: one per CPU it may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def typeset(book: Book, scratch: Path, *, draw: bool, jobs: int = 1,
            cache: BuildCache | None = None, progress: Progress | None = None,
            modified: _dt.datetime | None = None) -> Typeset:
    """Typeset *book* in the folder *scratch* (its parts and the joined PDF are written there):
    with *draw*, the joined PDF too; otherwise only the page breaks. *jobs* worker processes
    lay units out (1: this process); *cache* keeps and gives laid-out units; *modified* is
    the PDF's modification date (luoshu.pdf.write.write_document)."""
    if cache is not None and not cache.ready():
        cache = None
    faces = cache.faces if cache is not None else scratch / "faces"
    units = list(body_units(book))
    keys = _Keys(book)
    results: dict[Unit, UnitResult] = {}
    with _Pool(book, jobs) as pool:
        while True:
            missing = [unit for unit in units if unit not in results]
            results.update(_lay_out(pool, book, missing, draw, scratch, faces, keys, cache,
                                    progress))
            # openings = "any": a unit laid out on the wrong side is laid out again.
            moved = _on_the_wrong_side(book, units, results)
            if not moved:
                break
            units = [dataclasses.replace(u, verso=not u.verso) if u in moved else u
                     for u in units]
    plan = _body_plan(book, units, results)
    breaks = _page_breaks(units, results, plan)
    if not draw:
        return Typeset(None, breaks, ())
    return _join(book, scratch, faces, units, results, plan, breaks, modified)


# --- Laying units out ---------------------------------------------------------------------------


class _Keys:
    """The cache keys of a book's units: everything a unit's pages depend on, hashed."""

    def __init__(self, book: Book):
        import weasyprint

        from ..layout.document import photo_placements

        fonts = [(face.path.as_posix(), face.index,
                  sha256_file(face.path) if face.in_project else _stat(face.path))
                 for role in book.fonts.roles for face in role.faces]
        styles = [(path, sha256_file(book.project / path)) for path in book.stylesheets]
        config = repr(dataclasses.replace(book.config, output=None))
        self.common = unit_key(__version__, luoshu_digest(), weasyprint.__version__, platform.python_version(),
                               config, repr(book.meta), repr(fonts), repr(styles))
        self.photos = {src: repr(size) for src, size in photo_placements(book).items()}
        self.book = book
        self.html = {section.id: section.html for section in book.sections}
        self.html[GALLERY_SECTION] = book.gallery_html

    def key(self, unit: Unit) -> str:
        parts = [self.common, repr(unit)]
        for section_id in unit.sections:
            html = self.html[section_id]
            parts.append(html)
            parts += [f"{src}={size}" for src, size in sorted(self.photos.items())
                      if src in html]
            parts += [_photo_digest(self.book, src) for src in sorted(self.photos) if src in html]
        return unit_key(*parts)


def _stat(path: Path) -> str:
    info = path.stat()
    return f"{info.st_size}:{info.st_mtime_ns}"


def _photo_digest(book: Book, src: str) -> str:
    from ..files.gate import ProjectFiles, RefusedResource
    from ..layout.document import DOCUMENT_FOLDER

    if src.startswith("data:"):
        return src[:64]  # the URI is in the section's text already
    try:
        return sha256_file(ProjectFiles.of(book.project).resolve(src, base=DOCUMENT_FOLDER))
    except (RefusedResource, OSError):
        return "unreadable"


def _lay_out(pool: _Pool, book: Book, units: Sequence[Unit], draw: bool, scratch: Path,
             faces: Path, keys: _Keys, cache: BuildCache | None,
             progress: Progress | None) -> dict[Unit, UnitResult]:
    """*units* laid out (and drawn, with *draw*), from the cache where it has them."""
    results: dict[Unit, UnitResult] = {}
    wanted: dict[Unit, str] = {}
    for unit in units:
        key = keys.key(unit)
        entry = cache.get(key, need_pdf=draw) if cache is not None else None
        if entry is not None:
            results[unit] = UnitResult.from_record(*entry)
        else:
            wanted[unit] = key
    total, done = len(units), len(results)
    if progress is not None:
        progress(done, total)
    for unit, result in pool.run(list(wanted), draw, scratch, faces):
        results[unit] = result
        if cache is not None:
            cache.put(wanted[unit], result.record(), result.pdf)
        done += 1
        if progress is not None:
            progress(done, total)
    for unit in units:  # what the layouts said, in the book's order
        for name, level, message in results[unit].log:
            logging.getLogger(name).log(level, message)
    return results


class _Pool:
    """Worker processes laying units out, or this process when one is enough."""

    def __init__(self, book: Book, jobs: int):
        self.book, self.jobs = book, max(1, jobs)
        self._executor: concurrent.futures.ProcessPoolExecutor | None = None

    def __enter__(self) -> _Pool:
        return self

    def __exit__(self, kind, *_) -> None:
        if self._executor is None:
            return
        if kind is not None:
            # Stopped (an error, Ctrl-C, SIGTERM): the workers stop too, now, rather than
            # finish sections nobody will join.
            for process in list(getattr(self._executor, "_processes", {}).values()):
                process.terminate()
        self._executor.shutdown(wait=kind is None, cancel_futures=True)

    def run(self, units: list[Unit], draw: bool, scratch: Path,
            faces: Path) -> Iterator[tuple[Unit, UnitResult]]:
        """Each of *units* with its result, in the order they finish."""
        # In this process when that is cheapest; a long book goes to a worker even with one
        # job, replaced every MAX_UNITS_PER_WORKER units, so that memory stays bounded.
        if len(units) <= 1 or (self.jobs == 1 and len(units) <= MAX_UNITS_PER_WORKER):
            for number, unit in enumerate(units):
                yield unit, lay_out_unit(self.book, unit, draw, scratch / f"unit-{number}.pdf",
                                         faces)
            return
        # Workers are replaced by round (not with max_tasks_per_child, which hangs Python
        # 3.11's executor once its last worker retires): each round's pool lays out at most
        # MAX_UNITS_PER_WORKER units per worker, then ends.
        numbered = list(enumerate(units))
        per_round = self.jobs * MAX_UNITS_PER_WORKER
        for start in range(0, len(numbered), per_round):
            yield from self._round(numbered[start:start + per_round], draw, scratch, faces)

    def _round(self, numbered: list[tuple[int, Unit]], draw: bool, scratch: Path,
               faces: Path) -> Iterator[tuple[Unit, UnitResult]]:
        # forkserver: workers start from a clean process that has loaded WeasyPrint once, not
        # as copies of this one (its threads, its open files).
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["luoshu.build.typesetting"])
        self._executor = concurrent.futures.ProcessPoolExecutor(
            max_workers=min(self.jobs, len(numbered)), mp_context=context,
            initializer=_start_worker, initargs=(self.book,))
        futures = {self._executor.submit(_worker_lays_out, unit, draw,
                                         scratch / f"unit-{number}.pdf", faces): unit
                   for number, unit in numbered}
        try:
            for future in concurrent.futures.as_completed(futures):
                yield futures[future], future.result()
        except concurrent.futures.process.BrokenProcessPool:
            raise ProjectError([Problem("a layout worker process died (out of memory?); try "
                                        "luoshu build --jobs 1", code="layout-worker")]) from None
        self._executor.shutdown(wait=True)
        self._executor = None


# A worker is replaced after this many units, so that what WeasyPrint caches from one layout
# to the next (fonts, images) does not pile up over a long book.
MAX_UNITS_PER_WORKER = 20
_worker_book: Book | None = None


def _start_worker(book: Book) -> None:
    global _worker_book
    _worker_book = book


def _worker_lays_out(unit: Unit, draw: bool, pdf: Path, faces: Path) -> UnitResult:
    assert _worker_book is not None, "a worker started without its book"
    return lay_out_unit(_worker_book, unit, draw, pdf, faces)


def lay_out_unit(book: Book, unit: Unit, draw: bool, pdf: Path, faces: Path) -> UnitResult:
    """Lay *unit* out (luoshu.layout.typeset.lay_out), and with *draw* write its pages to *pdf*
    with their bleed and read them back with the page audit; what the layout logs is kept."""
    from ..layout import pagemap
    from ..layout.typeset import lay_out
    from ..pdf.audit import audit_pdf
    from ..pdf.faces import recording_faces
    from ..pdf.write import write_tagged

    with _kept_log() as log:
        document = lay_out(book, unit, sizes=_sizes(book))
        count = len(document.pages)
        shown = pagemap.sections_shown(document)
        # A section unit's pages are numbered by the unit (the book's numbers come at the
        # join); a blank verso between two of its sections has none, as in the book.
        labels = None if unit.kind == BODY else [
            None if section is None else str(n) for n, section in enumerate(shown, start=1)]
        breaks = pagemap.page_breaks(document, labels)
        sections = tuple((section, first, sum(1 for s in shown if s == section))
                         for section in unit.sections if section in shown
                         for first in [shown.index(section)])
        fonts: dict[str, FontUse] = {}
        findings: tuple[Finding, ...] = ()
        if draw:
            with recording_faces(faces) as recorded:
                write_tagged(document, pdf, unit.name, bleed=True)
            fonts = dict(recorded)
            del document  # before the audit reads the PDF: the layout is the larger
            findings = tuple(audit_pdf(pdf, book.config.print, first_recto=not unit.verso))
    return UnitResult(count, breaks, findings, fonts, pdf if draw else None, tuple(log),
                      sections)


_placements: dict[int, dict] = {}


def _sizes(book: Book) -> dict:
    """The photos' printed sizes, read once per process."""
    from ..layout.document import photo_placements

    if id(book) not in _placements:
        _placements.clear()
        _placements[id(book)] = photo_placements(book)
    return _placements[id(book)]


@contextlib.contextmanager
def _kept_log() -> Iterator[list[tuple[str, int, str]]]:
    """luoshu's log records at INFO and above, kept (a worker's log does not reach the
    build's): (logger, level, message)."""
    kept: list[tuple[str, int, str]] = []

    class Keeper(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.levelno >= logging.INFO and record.name != LOGGER.name:
                kept.append((record.name, record.levelno, record.getMessage()))

    root = logging.getLogger("luoshu")
    handler, level = Keeper(), root.level
    root.addHandler(handler)
    root.setLevel(min(level or logging.WARNING, logging.INFO))
    propagate, root.propagate = root.propagate, False
    try:
        yield kept
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
        root.propagate = propagate


# --- Numbering the body's pages -----------------------------------------------------------------


@dataclass(frozen=True)
class _BodyPage:
    unit: int | None  # index in the units; None: a blank verso
    page: int = 0


def _body_plan(book: Book, units: Sequence[Unit],
               results: dict[Unit, UnitResult]) -> list[_BodyPage]:
    """The body's pages in order: each unit's, a blank verso before a unit opening on a recto
    that would fall on a verso (body page 1 is a recto)."""
    plan: list[_BodyPage] = []
    recto = book.config.print.openings == "recto"
    for number, unit in enumerate(units):
        if recto and unit.kind != BODY and len(plan) % 2 == 1:
            plan.append(_BodyPage(None))
        plan += [_BodyPage(number, page) for page in range(results[unit].pages)]
    return plan


def _on_the_wrong_side(book: Book, units: Sequence[Unit],
                       results: dict[Unit, UnitResult]) -> set[Unit]:
    """The units of an ``openings = "any"`` book laid out on the other side than they fall on."""
    if book.config.print.openings != "any":
        return set()
    moved, pages = set(), 0
    for unit in units:
        if unit.verso != (pages % 2 == 1):
            moved.add(unit)  # all at once: laid out again, a unit rarely changes its length
        pages += results[unit].pages
    return moved


def _page_breaks(units: Sequence[Unit], results: dict[Unit, UnitResult],
                 plan: Sequence[_BodyPage]) -> tuple[PageBreak, ...]:
    """The units' page breaks, labelled with the body's page numbers."""
    folio = {(p.unit, p.page): str(n) for n, p in enumerate(plan, start=1) if p.unit is not None}
    breaks = []
    for number, unit in enumerate(units):
        for found in results[unit].breaks:
            label = found.label if unit.kind == BODY else folio[(number, int(found.label) - 1)]
            breaks.append(dataclasses.replace(found, label=label))
    return tuple(breaks)


# --- Joining ------------------------------------------------------------------------------------


def _join(book: Book, scratch: Path, faces: Path, units: Sequence[Unit],
          results: dict[Unit, UnitResult], plan: Sequence[_BodyPage],
          breaks: tuple[PageBreak, ...], modified: _dt.datetime | None) -> Typeset:
    from ..layout.furniture import lay_out_furniture
    from ..layout.typeset import lay_out
    from ..pdf.faces import recording_faces
    from ..pdf.join import Part, Placed, join
    from ..pdf.write import write_document, write_tagged

    numbers = {(p.unit, p.page): n for n, p in enumerate(plan, start=1) if p.unit is not None}
    toc_pages = {}
    for index, unit in enumerate(units):
        if unit.kind == BODY:
            continue  # the whole body in one layout: its contents number themselves
        for section_id, first, _ in results[unit].sections:
            target = "gallery" if section_id == GALLERY_SECTION else f"sec-{section_id}"
            toc_pages[target] = str(numbers[(index, first)])
    # The front matter: its page count first (the copyright page says the book's), then for good.
    front = lay_out(book, Unit(FRONT), toc_pages=toc_pages, sizes={})
    front_pages = len(front.pages) + len(front.pages) % 2  # the body opens on a recto
    # A printed book has an even number of pages (each leaf has two): an odd body ends with
    # a blank verso.
    body_pages = len(plan) + len(plan) % 2
    front = lay_out(book, Unit(FRONT), pages=front_pages + body_pages, toc_pages=toc_pages,
                    sizes={})
    front_drawn = len(front.pages)
    if front_drawn + front_drawn % 2 != front_pages:
        raise ProjectError([Problem("the front matter changed its page count when its numbers "
                                    "were set", code="layout-front")])
    parts: list[Part] = []
    with recording_faces(faces) as recorded:
        write_tagged(front, scratch / "front.pdf", "front matter", bleed=True, modified=modified)
    parts.append(Part(scratch / "front.pdf", dict(recorded)))
    del front
    parts += [Part(results[unit].pdf, results[unit].fonts) for unit in units]
    furniture_part = None
    if any(unit.kind != BODY for unit in units):
        section_pages = {section_id: pages for unit in units
                         for section_id, _, pages in results[unit].sections}
        furniture = lay_out_furniture(book, section_pages)
        if len(furniture.pages) != len(plan):
            raise ProjectError([Problem(f"the page furniture has {len(furniture.pages)} pages, "
                                        f"the body {len(plan)}", code="layout-furniture")])
        with recording_faces(faces) as recorded:
            write_document(furniture, scratch / "furniture.pdf", bleed=True)
        furniture_part = Part(scratch / "furniture.pdf", dict(recorded))
        del furniture
    placed = [Placed(0, n) for n in range(front_drawn)]
    placed += [Placed(None)] * (front_pages - front_drawn)
    for number, page in enumerate(plan):
        overlay = number if furniture_part is not None else None
        placed.append(Placed(None) if page.unit is None
                      else Placed(page.unit + 1, page.page,
                                  overlay if units[page.unit].kind != BODY else None))
    placed += [Placed(None)] * (body_pages - len(plan))
    joined = scratch / "joined.pdf"
    join(parts, furniture_part, placed, faces, joined)
    findings = []
    for number, unit in enumerate(units):
        for finding in results[unit].findings:
            body = numbers[(number, finding.page - 1)]
            findings.append(dataclasses.replace(finding, page=front_pages + body,
                                                folio=str(body)))
    return Typeset(joined, breaks, tuple(findings))

