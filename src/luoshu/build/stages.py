"""The build, as a straight script of stages: project folder in, output folder out.

    config → fonts → read → check → pdf / pdf-press / pdfa (+ page audit) → epub / archive
    → manifest

A build is a pure function of the project folder (plus SOURCE_DATE_EPOCH, the standard way to
pin timestamps): no global state, so many books can be built in parallel. Each renderer has the
same small contract (luoshu.build.renderers) — it takes the Book, a destination path and the build's
RenderContext (timestamp, shared print layout, the files written so far) — and writes to a
temporary file beside the final one; only when every format has rendered are the files renamed
into place, so a failed build leaves the previous outputs untouched.

The print layout is shared: the PDFs write it (the reading copy, the press file and the
archival PDF are the same pages), and the EPUB takes from it where each print page begins (its
page-list of the print edition's page numbers). WeasyPrint lays the book out at most once per
build, when a renderer first asks for it. The archive packs the archival PDF and the EPUB of
the same build, so asking for it builds them too.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as _dt
import json
import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import Problem, ProjectError
from ..files.output import (
    OutputFolder,
    output_problem,
    scratch_beside,
    sha256_file,
    temporary_beside,
    write_bytes_atomically,
)
from ..files.paths import BOOK_TOML
from ..model import FORMATS, Book
from ..project.editions import edition_books
from ..project.load import load_book
from .cache import BuildCache
from .renderers import (
    ARCHIVE_NEEDS,
    PRINT_FORMATS,
    RENDERERS,
    PrintLayout,
    RenderContext,
    replace_bag_folder,
)

LOG = logging.getLogger("luoshu")
MANIFEST = "manifest.json"
TYPESETTING = "typesetting"  # the scratch folder of the print layout (.typesetting.*)


@dataclass(frozen=True)
class Artifact:
    """One output file, as listed in manifest.json."""

    format: str
    path: str  # relative to the output folder
    sha256: str
    bytes: int


@dataclass(frozen=True)
class BuildResult:
    """What a build wrote, and the warnings it has for the editor."""

    artifacts: tuple[Artifact, ...]
    warnings: tuple[Problem, ...]


def build_book(
    project: Path,
    out: Path | None = None,
    formats: Sequence[str] | None = None,
    progress: Callable[[str], None] | None = None,
    strict: bool = False,
    jobs: int = 1,
    cache: bool = True,
    units_progress: Callable[[int, int], None] | None = None,
) -> BuildResult:
    """Build *formats* (default: book.toml's [output] formats) of *project* into *out*.

    *progress* is called with each stage's name as the stage starts, *units_progress* with the
    print book's layout units done and in all (luoshu.build.typesetting). *jobs* worker
    processes lay the units out; *cache* keeps them in the project's build cache
    (luoshu.build.cache) and takes them from it. Raises ProjectError when the input has
    problems — with *strict*, warnings count as problems (release builds) — and nothing in
    *out* changes then.
    """
    stage = progress or (lambda name: None)
    project = project.resolve()
    out = (out or project / "dist").resolve()
    book, warnings = load_book(project, stage)
    editions, edition_warnings = edition_books(book)  # [editions]: converted Books, checked
    warnings += edition_warnings
    if strict and warnings:
        raise ProjectError([dataclasses.replace(w, severity="error") for w in warnings])
    formats = tuple(dict.fromkeys(formats or book.config.output.formats))  # each once, in order
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise ProjectError([Problem(f"unknown format {', '.join(unknown)}; known: "
                                    f"{', '.join(FORMATS)}", code="format")])
    if "archive" in formats:  # the package carries the archival PDF and the EPUB: build them
        formats = tuple(dict.fromkeys((*formats[:formats.index("archive")], *ARCHIVE_NEEDS,
                                       *formats[formats.index("archive"):])))

    modified = modification_time(book)
    # The PDFs render first: they are the print layout written, and once they are written the
    # layout can go, keeping only the page breaks the EPUB needs (the EPUB's own memory never
    # adds to the layout's).
    order = sorted(formats, key=lambda name: (name not in PRINT_FORMATS, name == "archive"))
    pdfs = [name for name in order if name in PRINT_FORMATS]
    books = (book, *editions)  # the book, then each edition converted from it: the same formats
    # Made and held by this build, and swept of what a killed build left (luoshu.files.output).
    held = OutputFolder(out, {f"{b.config.output.basename}{suffix}" for b in books
                              for suffix, _ in RENDERERS.values()} | {MANIFEST, TYPESETTING})
    staged: dict[tuple[str, str], tuple[Path, Path]] = {}  # (basename, format) → files
    contexts = []
    build_cache = BuildCache.of(book.project) if cache else None
    scratches = contextlib.ExitStack()
    try:
        for edition in books:
            scratch = scratches.enter_context(scratch_beside(out / TYPESETTING))
            layout = PrintLayout(edition, scratch, draw=bool(pdfs), modified=modified,
                                 jobs=jobs, cache=build_cache, progress=units_progress)
            rendered: dict[str, Path] = {}  # what the archive packs: the formats written so far
            context = RenderContext(modified, layout, rendered, strict=strict)
            contexts.append(context)
            for name in order:
                stage(name)
                suffix, render = RENDERERS[name]
                final = out / f"{edition.config.output.basename}{suffix}"
                temporary = temporary_beside(final)
                staged[edition.config.output.basename, name] = (temporary, final)
                render(edition, temporary, context)
                rendered[name] = temporary
        stage("manifest")
        artifacts = [_artifact(name, temporary, final.relative_to(out).as_posix())
                     for name, (temporary, final) in ((n, staged[b.config.output.basename, n])
                                                      for b in books for n in formats)]
        for temporary, final in staged.values():
            os.replace(temporary, final)
        for (_, name), (_, final) in staged.items():
            if name == "archive":  # the same bag as a folder, beside its zip
                replace_bag_folder(final)
        _write_manifest(out, artifacts)
        if "pdf" in formats and "pdf-press" not in formats:
            LOG.info("luoshu: %s.pdf is an RGB reading copy; for the printer, build "
                     "--format pdf-press (PDF/X-4, CMYK, bleed, crop marks)",
                     book.config.output.basename)
        if book.config.epub.writing_mode == "vertical-rl" and set(formats) & set(PRINT_FORMATS):
            # [epub] writing_mode is the EPUB's; nobody should expect vertical print pages.
            LOG.info("luoshu: the EPUB is set vertically ([epub] writing_mode); the print "
                     "PDFs are set horizontally")
    except OSError as error:  # a read-only, full or forbidden output folder: one line
        raise output_problem(error, out) from None
    finally:
        for temporary, _ in staged.values():
            temporary.unlink(missing_ok=True)
        scratches.close()
        held.release()
    cache_warnings = tuple(build_cache.warnings) if build_cache is not None else ()
    return BuildResult(tuple(artifacts), warnings + tuple(w for c in contexts for w in c.warnings)
                       + cache_warnings)


def modification_time(book: Book) -> _dt.datetime:
    """dcterms:modified: SOURCE_DATE_EPOCH when set, else the book's date, else its sources'.

    Never "now": two builds of the same sources must give the same bytes.
    """
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return _dt.datetime.fromtimestamp(int(epoch), tz=_dt.timezone.utc)
    if book.meta.date:
        return _dt.datetime.combine(book.meta.date, _dt.time(), tzinfo=_dt.timezone.utc)
    sources = [book.project / BOOK_TOML, *(book.project / s.source.path for s in book.sections)]
    newest = max(int(p.stat().st_mtime) for p in sources if p.exists())
    return _dt.datetime.fromtimestamp(newest, tz=_dt.timezone.utc)


def _artifact(name: str, path: Path, relative: str) -> Artifact:
    return Artifact(name, relative, sha256_file(path), path.stat().st_size)


def _write_manifest(out: Path, artifacts: list[Artifact]) -> None:
    """manifest.json: this build's artifacts, plus earlier ones of other formats still present."""
    entries = [vars(a) for a in artifacts]
    built = {a.format for a in artifacts}
    for old in _read_manifest(out):
        path = out / str(old.get("path", ""))
        if old.get("format") not in built and path.is_file() and _artifact(
            old["format"], path, old["path"]).sha256 == old.get("sha256"):
            entries.append(old)
    order = {name: index for index, name in enumerate(FORMATS)}
    # The book before its editions (book.epub, then book-zh-Hant.epub): the shorter name first.
    entries.sort(key=lambda e: (order.get(e["format"], len(order)), len(e["path"]), e["path"]))
    text = json.dumps({"artifacts": entries}, ensure_ascii=False, indent=2) + "\n"
    write_bytes_atomically(out / MANIFEST, text.encode("utf-8"))


def _read_manifest(out: Path) -> list[dict]:
    try:
        data = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
        return [e for e in data.get("artifacts", []) if isinstance(e, dict) and "format" in e]
    except (OSError, ValueError, AttributeError):
        return []
