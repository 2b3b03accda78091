"""The ``luoshu`` command line: ``luoshu build``, ``check``, ``verify``, ``batch``, ``serve``.

Exit codes of ``build``: 0 success; 1 a problem with the input (one ``file:line: message`` line
per problem on stderr, never a traceback); 2 bad usage (click's convention).

Exit codes of ``check``: 0 no errors (warnings and the changes the build makes are fine); 1 at
least one error (with ``--strict``, at least one error or warning); 2 bad usage. The findings
go to stdout, one ``file:line:column: CODE severity: message`` line each (or one JSON document
with ``--format json``); the one-line summary of the text format goes to stderr.

Logging levels, each with one purpose:
  ERROR    a problem that stops the build (the user's to fix); printed always.
  WARNING  something the user should know but that does not stop the build; printed always.
  INFO     stage progress ("rendering PDF…"); printed on a terminal, or with --verbose.
  DEBUG    internals useful when reporting a bug (e.g. WeasyPrint's own messages); --debug.
"""

from __future__ import annotations

import collections
import contextlib
import ctypes.util
import dataclasses
import json
import logging
import signal
import sys
import threading
import time
from pathlib import Path

import click

from . import __version__
from .build.stages import build_book
from .check.project import check_project
from .errors import ProjectError
from .files.paths import BOOK_TOML
from .model import FORMATS

LOG = logging.getLogger("luoshu")

STAGE_LABELS = {
    "config": "reading book.toml",
    "fonts": "resolving fonts",
    "read": "reading the manuscript",
    "check": "checking every character against the fonts",
    "epub": "writing the EPUB",
    "pdf": "typesetting the PDF",
    "pdf-press": "making the press PDF (PDF/X-4, CMYK)",
    "pdfa": "writing the archival PDF (PDF/A-2u)",
    "archive": "packing the archive (BagIt)",
    "audit": "auditing the printed pages",
    "manifest": "writing manifest.json",
}


class _PlainFormatter(logging.Formatter):
    """Messages as the user should see them: no logger names, a prefix only for warnings."""

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        if record.levelno >= logging.ERROR:
            return message
        if record.levelno >= logging.WARNING:
            return f"warning: {message}"
        return message


def _configure_logging(verbose: bool, debug: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_PlainFormatter())
    LOG.handlers[:] = [handler]
    LOG.propagate = False
    interactive = sys.stderr.isatty()
    if debug:
        LOG.setLevel(logging.DEBUG)
    elif verbose or interactive:
        LOG.setLevel(logging.INFO)
    else:
        LOG.setLevel(logging.WARNING)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="luoshu")
def main() -> None:
    """luoshu (洛书): build EPUB 3 and print PDF editions of a Chinese book project."""


@contextlib.contextmanager
def _stopped_cleanly():
    """SIGTERM and SIGHUP end the block as Ctrl-C does, by an exception: the build's temporary
    files and scratch folders are removed on the way out (the default action would end the
    process where it stands and leave them). What a SIGKILL leaves, the next build sweeps."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    signals = (signal.SIGTERM, signal.SIGHUP)
    previous = {number: signal.signal(number, _exit_on_signal) for number in signals}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def _exit_on_signal(number: int, frame: object) -> None:
    raise SystemExit(128 + number)  # the shell's status for a process ended by the signal


class _UnitsProgress:
    """The print layout's progress: sections laid out of all, elapsed time and an estimate —
    a live bar on a terminal (rich), a line at every tenth otherwise (shown with -v)."""

    def __init__(self):
        self.bar = None
        self.task = None
        self.said = -1

    def __enter__(self) -> _UnitsProgress:
        return self

    def __exit__(self, *_) -> None:
        if self.bar is not None:
            self.bar.stop()

    def update(self, done: int, total: int) -> None:
        if total <= 1:
            return
        if sys.stderr.isatty():
            if self.bar is None:
                from rich.progress import (
                    BarColumn,
                    MofNCompleteColumn,
                    Progress,
                    TextColumn,
                    TimeElapsedColumn,
                    TimeRemainingColumn,
                )

                self.bar = Progress(TextColumn("luoshu: laying out the print book"), BarColumn(),
                                    MofNCompleteColumn(), TextColumn("sections"),
                                    TimeElapsedColumn(), TimeRemainingColumn(), transient=True)
                self.bar.start()
                self.task = self.bar.add_task("layout", total=total)
            self.bar.update(self.task, completed=done, total=total)
            return
        tenth = done * 10 // total
        if tenth != self.said:
            self.said = tenth
            LOG.info("luoshu: %d of %d sections laid out", done, total)


# Warnings of one kind (one code) shown one by one before the rest are counted: on a big book
# a hundred photos below 300 dpi would bury everything else; luoshu check lists them all.
SHOWN_PER_KIND = 3


def summarized(warnings, out: Path) -> list[str]:
    """A line per warning, except that of a kind that comes more than SHOWN_PER_KIND + 2 times
    only the first SHOWN_PER_KIND are shown, then one line counting the others and naming the
    command that lists them (``luoshu check``; for the page audit's, ``luoshu check --pdf``)."""
    counts = collections.Counter(warning.code for warning in warnings)
    shown: collections.Counter = collections.Counter()
    lines = []
    for warning in warnings:
        total = counts[warning.code]
        if total <= SHOWN_PER_KIND + 2:
            lines.append(str(warning))
            continue
        shown[warning.code] += 1
        if shown[warning.code] <= SHOWN_PER_KIND:
            lines.append(str(warning))
        if shown[warning.code] == SHOWN_PER_KIND:
            command = ("luoshu check" if not warning.code.startswith("page-")
                       else f"luoshu check --pdf {out / str(warning.path)}")
            lines.append(f"luoshu: and {total - SHOWN_PER_KIND} more {warning.code} warnings "
                         f"like these — `{command}` lists them all")
    return lines


def _parse_formats(ctx: click.Context, param: click.Parameter, value: str | None):
    if value is None:
        return None
    names = tuple(n.strip() for n in value.split(",") if n.strip())
    unknown = [n for n in names if n not in FORMATS]
    if unknown or not names:
        raise click.BadParameter(f"unknown format {', '.join(unknown) or '(none)'}; "
                                 f"choose from {', '.join(FORMATS)}")
    return names


@main.command()
@click.argument("project", type=click.Path(file_okay=False, path_type=Path), default=".")
@click.option("-o", "--out", type=click.Path(file_okay=False, path_type=Path),
              help="Output folder (default: PROJECT/dist).")
@click.option("--format", "formats", callback=_parse_formats, metavar="LIST",
              help=f"Comma-separated formats to build: {', '.join(FORMATS)} "
                   "(default: book.toml [output] formats, or all).")
@click.option("-v", "--verbose", is_flag=True, help="Print stage progress even when not on a terminal.")
@click.option("--strict", is_flag=True,
              help="Treat warnings (e.g. a photo without alt text) as errors: for release builds.")
@click.option("--debug", is_flag=True, help="Print internal details (for bug reports).")
@click.option("-j", "--jobs", type=click.IntRange(min=1), metavar="N",
              help="Worker processes laying out the print book's sections side by side "
                   "(default: one per CPU).")
@click.option("--no-cache", is_flag=True,
              help="Neither read nor write the build cache (PROJECT/.luoshu-cache/), which "
                   "keeps laid-out sections so that a rebuild lays out only what changed.")
def build(project: Path, out: Path | None, formats, verbose: bool, strict: bool,
          debug: bool, jobs: int | None, no_cache: bool) -> None:
    """Build the book in PROJECT (default: the current folder).

    Writes the outputs and OUT/manifest.json. On a problem with the input, prints one
    'file:line: message' line per problem and exits 1, leaving earlier outputs untouched.
    """
    _configure_logging(verbose, debug)
    if not (project / BOOK_TOML).is_file():
        raise click.BadParameter(f"{project} has no book.toml: not a book project",
                                 param_hint="PROJECT")
    started = time.perf_counter()
    stage_started = [started]

    def progress(stage: str) -> None:
        LOG.info("luoshu: %s…", STAGE_LABELS.get(stage, stage))
        stage_started[0] = time.perf_counter()
        if stage == "pdf" and missing_harfbuzz_subset():
            LOG.warning("libharfbuzz-subset0 is not installed: WeasyPrint will subset CJK fonts "
                        "about 40× slower (Debian: apt-get install libharfbuzz-subset0)")

    from .build.typesetting import default_jobs

    try:
        with _stopped_cleanly(), _UnitsProgress() as units:
            result = build_book(project, out, formats, progress, strict=strict,
                                jobs=jobs or default_jobs(), cache=not no_cache,
                                units_progress=units.update)
    except ProjectError as error:
        for problem in error.problems:
            click.echo(str(problem), err=True)
        errors = sum(p.severity == "error" for p in error.problems)
        click.echo(f"luoshu: build failed with {errors} problem(s); nothing was changed in the "
                   "output folder", err=True)
        sys.exit(1)
    destination = (out or project / "dist")
    for line in summarized(result.warnings, destination):
        click.echo(line, err=True)  # "file:line: warning: …", like the errors
    for artifact in result.artifacts:
        LOG.info("luoshu: wrote %s (%s KB)", destination / artifact.path,
                 f"{artifact.bytes / 1024:,.0f}")
    LOG.info("luoshu: done in %.1f s", time.perf_counter() - started)


@main.command()
@click.argument("project", type=click.Path(file_okay=False, path_type=Path), default=".")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="text: one 'file:line:column: CODE severity: message' "
                                      "line per finding; json: one document for tools.")
@click.option("--strict", is_flag=True, help="Exit 1 on warnings too, not only on errors.")
@click.option("--pdf", "pdfs", multiple=True, type=click.Path(dir_okay=False, exists=True,
                                                              path_type=Path),
              help="Also audit the pages of this built print PDF (ragged lines, 孤字, holes, "
                   "photos); may be given more than once.")
def check(project: Path, output_format: str, strict: bool, pdfs: tuple[Path, ...]) -> None:
    """Check the book in PROJECT (default: the current folder) without building it.

    Reports what a build would fail on (book.toml, fonts, manuscript, characters no font
    covers) and the typography checks (codes LS…, see docs/typography-checks.md): every
    punctuation change the build makes (info) and what it cannot fix (warning, error).
    Writes nothing. Exits 1 when there is an error (with --strict, an error or a warning).
    """
    if not (project / BOOK_TOML).is_file():
        raise click.BadParameter(f"{project} has no book.toml: not a book project",
                                 param_hint="PROJECT")
    report = check_project(project)
    if pdfs:
        from .check.pages import page_findings  # reads PDFs: loaded only when asked

        report = dataclasses.replace(report, findings=report.findings + tuple(
            finding for pdf in pdfs for finding in page_findings(project, pdf)))
    if output_format == "json":
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    else:
        for finding in report.findings:
            click.echo(str(finding))
        counts = report.as_dict()
        click.echo(f"luoshu check: {counts['errors']} error(s), {counts['warnings']} warning(s), "
                   f"{counts['infos']} change(s) the build makes", err=True)
    sys.exit(1 if report.failed(strict) else 0)


@main.command("import")
@click.argument("document", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("project", type=click.Path(file_okay=False, path_type=Path), default=".")
@click.option("--split-style", metavar="STYLE",
              help="The Word paragraph style that opens each section (default: Heading 1).")
@click.option("--force", is_flag=True,
              help="Overwrite sections and photos edited since the last import.")
def import_(document: Path, project: Path, split_style: str | None, force: bool) -> None:
    """Import a Word manuscript (.docx, from Word or WPS) into PROJECT (default: the current
    folder; made when missing): a section per Heading 1, the pictures in manuscript/photos/
    with captions.toml entries, book.toml from the document's properties.

    A bad file (a .doc, an encrypted, damaged or linked document, a zip bomb) gets one line and
    exit 1; nothing is written then. Files edited since the last import are kept unless --force.
    """
    from .importer.project import import_word  # loads mammoth and python-docx only here

    try:
        result = import_word(document, project, split_style, force)
    except ProjectError as error:
        for problem in error.problems:
            click.echo(str(problem), err=True)
        sys.exit(1)
    for warning in result.warnings:
        click.echo(str(warning), err=True)
    click.echo(f"luoshu: imported {document.name} into {project}: {result.sections} section(s), "
               f"{result.photos} photo(s); {len(result.written)} file(s) written, "
               f"{len(result.unchanged)} unchanged", err=True)


@main.command()
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--no-epubcheck", is_flag=True,
              help="Skip EPUBCheck (it needs Java); the other checks still run.")
def verify(path: Path, no_epubcheck: bool) -> None:
    """Check an archive package (the bag folder or its .zip) as an archivist receives it.

    Bag checksums and completeness (BagIt, RFC 8493), the build record against the files,
    the archival PDF's PDF/A properties, and the EPUB with EPUBCheck. Prints one line per
    problem and exits 1 when there is any, 0 when the package is sound.
    """
    from .archive.verify import verify as verify_package  # loads only for this command

    problems = verify_package(path, epubcheck=not no_epubcheck)
    for problem in problems:
        click.echo(str(problem), err=True)
    errors = sum(p.severity == "error" for p in problems)
    if errors:
        click.echo(f"luoshu verify: {path}: {errors} problem(s)", err=True)
        sys.exit(1)
    click.echo(f"luoshu verify: {path}: the bag, its checksums, the build record, the PDF/A "
               "and the EPUB are sound" + (f" ({len(problems)} warning(s) above)" if problems
                                           else ""))


@main.command()
@click.argument("source", type=click.Path(exists=True, path_type=Path))
@click.option("-o", "--out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Output folder: each project builds into OUT/<project folder name>/.")
@click.option("--format", "formats", callback=_parse_formats, metavar="LIST",
              help=f"Comma-separated formats for every project: {', '.join(FORMATS)} "
                   "(default: each book.toml's [output] formats).")
@click.option("-j", "--jobs", type=click.IntRange(min=1), metavar="N",
              help="Build processes on this machine (default: one per CPU).")
@click.option("--scheduler", metavar="tcp://HOST:8786",
              help="Build on the workers of this Dask scheduler instead of this machine.")
@click.option("--force", is_flag=True, help="Rebuild every project, even those up to date.")
@click.option("--strict", is_flag=True, help="Treat warnings as errors, as 'luoshu build --strict'.")
@click.option("--debug", is_flag=True, help="Show Dask's own log lines (for bug reports).")
def batch(source: Path, out: Path, formats, jobs: int | None, scheduler: str | None,
          force: bool, strict: bool, debug: bool) -> None:
    """Build many book projects: every subfolder of SOURCE with a book.toml, or the project
    folders SOURCE (a text file) lists, one per line.

    Each builds into OUT/<name>/ exactly as 'luoshu build' would. Projects whose outputs are up
    to date are skipped; a broken project fails alone. Writes OUT/batch-report.json. Exits 1
    when any project failed.
    """
    if jobs and scheduler:
        raise click.UsageError("--jobs is for this machine; with --scheduler the workers decide")
    from .batch.console import main as run_batch  # loads Dask only for this command
    from .batch.task import Settings

    sys.exit(run_batch(source, out, Settings(formats, strict, force), jobs, scheduler, debug))


@main.command()
@click.argument("project", type=click.Path(file_okay=False, path_type=Path), default=".")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="Port to listen on (0: any free port).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Anything but loopback lets others read the book.")
def serve(project: Path, port: int, host: str) -> None:
    """Preview the book in PROJECT (default: the current folder) in a browser.

    Serves the EPUB's pages and the print PDF's pages at http://localhost:PORT/, rebuilds
    what an edit touches as soon as a file is saved, and reloads the open page. Problems are
    shown on the page and here, in the words of 'luoshu build'. Ctrl-C stops it.
    """
    if not (project / BOOK_TOML).is_file():
        raise click.BadParameter(f"{project} has no book.toml: not a book project",
                                 param_hint="PROJECT")
    from .serve.server import run  # loads only for this command

    sys.exit(run(project, host, port, report=lambda line: click.echo(line, err=True)))


if __name__ == "__main__":  # pragma: no cover
    main()


def missing_harfbuzz_subset() -> bool:
    """True when libharfbuzz-subset is absent: WeasyPrint then subsets fonts with fontTools,
    about 40× slower for CJK fonts with tens of thousands of glyphs (the build says so)."""
    return ctypes.util.find_library("harfbuzz-subset") is None
