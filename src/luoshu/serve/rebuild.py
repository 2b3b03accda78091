"""The two threads that keep ``luoshu serve``'s preview up to date.

``TextRebuilder`` polls the project (luoshu.serve.watch) and rebuilds the book's documents in its
own thread, at once: only the edited sections when a section's Markdown changed, everything
when book.toml, a stylesheet, a font, captions.toml or a photo did. Edits that arrive while it
builds are found by the next poll and built together. When a rebuild fails, the change stays
pending: once the editor fixes the problem, the rebuild covers everything changed meanwhile,
not just the fix.

``PrintWorker`` does the slow part afterwards, in the background: cutting the fonts again for
the new characters, then the print pages (a child process, luoshu.serve.print_pages). It takes
one job at a time and only ever the newest: a new request stops the child of a stale one at
once, and the results of a job that a newer one overtook are thrown away.

Neither thread ever blocks the HTTP server: they hand finished work to the PreviewState.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..errors import Problem, ProjectError
from ..model import Book
from ..project.load import load_book
from . import print_pages as preview_print
from . import text as preview
from .state import PreviewState
from .watch import Change, changed_paths, classify, snapshot

Report = Callable[[str], None]
Command = Callable[[Path, Path], list[str]]  # (project, job folder) → the child's command line


@dataclass(frozen=True)
class _Job:
    generation: int  # the text generation the job belongs to
    book: Book
    refresh_fonts: bool  # after a section edit: cut the fonts again for its characters


class PrintWorker:
    """The background stage: fonts for the new text, then the print pages."""

    def __init__(self, state: PreviewState, project: Path, scratch: Path, report: Report,
                 command: Command | None = None, print_pages: bool = True):
        self.state = state
        self.project = project
        self.scratch = scratch
        self.report = report
        self.command = command or preview_print.command
        self.print_pages = print_pages
        self._condition = threading.Condition()
        self._job: _Job | None = None
        self._process: subprocess.Popen | None = None
        self._ended = False  # the running child was ended by us, not by a crash
        self._stopping = False
        self._jobs = 0
        self._thread = threading.Thread(target=self._run, name="luoshu-print", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def request(self, generation: int, book: Book, refresh_fonts: bool) -> None:
        """Make the print pages (and, with *refresh_fonts*, the fonts) of text *generation*,
        stopping the work on an older one."""
        with self._condition:
            self._job = _Job(generation, book, refresh_fonts)
            self._end_process()
            self._condition.notify()

    def cancel(self) -> None:
        """Drop the work under way or waiting: the text it was for is no longer good."""
        with self._condition:
            self._job = None
            self._end_process()

    def stop(self, timeout: float = 10.0) -> None:
        with self._condition:
            self._stopping = True
            self._job = None
            self._end_process()
            self._condition.notify()
        self._thread.join(timeout)

    def _end_process(self) -> None:
        """End the running child (the caller holds the lock); its whole process group, so that
        the pdftoppm it may be running goes with it."""
        if self._process is not None and self._process.poll() is None:
            self._ended = True
            try:
                os.killpg(self._process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass

    def _overtaken(self) -> bool:
        with self._condition:
            return self._stopping or self._job is not None

    def _run(self) -> None:
        while True:
            with self._condition:
                while self._job is None and not self._stopping:
                    self._condition.wait()
                if self._stopping:
                    return
                job, self._job = self._job, None
            try:
                self._do(job)
            except Exception:  # noqa: BLE001 — a bug in luoshu: say so, keep the preview running
                self.report(f"luoshu: internal error in the print preview:\n"
                            f"{traceback.format_exc()}")
                self.state.print_finished(job.generation, None)

    def _do(self, job: _Job) -> None:
        if job.refresh_fonts:
            self._refresh_fonts(job)
        if not self.print_pages or self._overtaken():
            return
        self._jobs += 1
        folder = self.scratch / f"print-{self._jobs}"
        folder.mkdir()
        started = time.perf_counter()
        with self._condition:
            if self._stopping or self._job is not None:
                shutil.rmtree(folder, ignore_errors=True)
                return
            self.state.print_started(job.generation)
            self._ended = False
            with (folder / "stderr.txt").open("wb") as errors:
                self._process = subprocess.Popen(
                    self.command(self.project, folder), stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL, stderr=errors, start_new_session=True)
            process = self._process
        returncode = process.wait()
        with self._condition:
            self._process = None
            ended, overtaken = self._ended, self._stopping or self._job is not None
        if ended or overtaken:  # for a newer job, a text that broke, or the end
            shutil.rmtree(folder, ignore_errors=True)
            if not overtaken:
                self.state.print_finished(job.generation, None)
            return
        stderr = (folder / "stderr.txt").read_text(encoding="utf-8", errors="replace")
        result = preview_print.read_result(folder, returncode, stderr)
        discard = self.state.print_finished(job.generation, result)
        if discard is not None:
            shutil.rmtree(discard.folder, ignore_errors=True)
        if isinstance(result, preview_print.PrintPages):
            self.report(f"luoshu: print pages updated ({len(result.pages)} pages, "
                        f"{time.perf_counter() - started:.1f} s)")
        else:
            shutil.rmtree(folder, ignore_errors=True)
            report_problems(self.report, result, "the print pages")

    def _refresh_fonts(self, job: _Job) -> None:
        site = self.state.view.text
        if site is None or self.state.generation != job.generation:
            return
        try:
            files, stale = preview.refresh_fonts(job.book, site)
        except ProjectError as error:
            report_problems(self.report, error.problems, "the fonts")
            return
        if preview.fonts_differ(site, files, stale):
            self.state.fonts_refreshed(job.generation, files, stale)


class TextRebuilder:
    """Watches the project and rebuilds the book's documents when it changes."""

    def __init__(self, project: Path, state: PreviewState, printer: PrintWorker,
                 report: Report, interval: float = 0.5):
        self.project = project
        self.state = state
        self.printer = printer
        self.report = report
        self.interval = interval
        self._build: preview.TextBuild | None = None
        self._warnings: tuple[str, ...] = ()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="luoshu-watch", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        before = snapshot(self.project)  # taken before reading: edits made meanwhile show up
        pending = self.rebuild(Change.everything())
        while not self._stopping.wait(self.interval):
            after = snapshot(self.project)
            paths = changed_paths(before, after)
            if not paths:
                continue
            before = after
            site = self.state.view.text
            pending = self.rebuild(pending | classify(paths, site.section_ids if site else ()))

    def rebuild(self, change: Change) -> Change:
        """Rebuild what *change* touches; returns what is still to do (all of it, on failure)."""
        started = time.perf_counter()
        try:
            book, warnings = load_book(self.project)
            build, scope = None, "everything"
            site = self.state.view.text
            if not change.full and self._build is not None and site is not None:
                build = preview.update_sections(self._build, site, book, change.sections)
                scope = ", ".join(sorted(change.sections))
            if build is None:
                build, scope = preview.build_text(book), "everything"
        except ProjectError as error:
            self.printer.cancel()
            self.state.text_failed(error.problems)
            report_problems(self.report, error.problems, "the preview")
            return change
        except Exception:  # noqa: BLE001 — a bug in luoshu: show it, keep the last good preview
            self.printer.cancel()
            self.state.text_failed([Problem("internal error in luoshu (see the terminal)",
                                            code="internal")])
            self.report(f"luoshu: internal error while rebuilding:\n{traceback.format_exc()}")
            return change
        if self._stopping.is_set():  # stopped while building: nobody is looking any more
            return Change()
        self._build = build
        generation = self.state.text_built(build.site)
        self._report_warnings(warnings)
        self.report(f"luoshu: updated {scope} ({time.perf_counter() - started:.2f} s)")
        self.printer.request(generation, book, refresh_fonts=scope != "everything")
        return Change()

    def _report_warnings(self, warnings: tuple[Problem, ...]) -> None:
        """Warnings as ``luoshu build`` prints them, when they differ from the last ones."""
        lines = tuple(str(w) for w in warnings)
        if lines != self._warnings:
            for line in lines:
                self.report(line)
        self._warnings = lines


def report_problems(report: Report, problems: tuple[Problem, ...], what: str) -> None:
    """Problems in the words of ``luoshu build``, one per line, and what the preview does."""
    for problem in problems:
        report(str(problem))
    report(f"luoshu: could not update {what}: {len(problems)} problem(s); the preview shows "
           "the last good build until they are fixed")
