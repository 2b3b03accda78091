"""``luoshu batch`` on the terminal: finding the projects, a progress bar, a summary table.

On a terminal (stderr) the batch shows a live bar — projects done of all, how many built, up to
date and failed, time taken and an estimate of the time left — with each failure printed above
it as it happens; anywhere else (a log file, CI) one plain line per project. At the end a
summary table goes to stdout: the count per status, the failures with their one-line errors,
and where the report is. Exit status 0 when every project is built or up to date, 1 when any
failed (or the batch could not start), 130 after Ctrl-C.
"""

from __future__ import annotations

import logging
from pathlib import Path

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from ..errors import ProjectError
from .cluster import ClusterUnavailable, DaskCluster
from .jobs import BUILT, FAILED, NOT_BUILT, UP_TO_DATE
from .pool import LocalPool
from .report import REPORT, Entry
from .run import BatchResult, run_batch
from .sources import find_projects
from .task import Settings

FAILURES_SHOWN = 20  # in the summary; the report has them all
PLAIN_WIDTH = 160  # columns of the summary when stdout is no terminal


def main(source: Path, out: Path, settings: Settings, jobs: int | None, scheduler: str | None,
         debug: bool = False) -> int:
    """Run ``luoshu batch`` and return its exit status."""
    errors = Console(stderr=True, highlight=False, soft_wrap=True)
    if not debug:  # Dask's log lines would break into the bar; what matters is said in our words
        logging.getLogger("distributed").setLevel(logging.CRITICAL)
    try:
        projects = find_projects(source, out)
    except ProjectError as error:
        for problem in error.problems:
            errors.print(escape(str(problem)))
        return 1
    runner = DaskCluster(scheduler) if scheduler else LocalPool(jobs)
    display = Display(errors)
    description = {"source": str(source.absolute()),
                   "scheduler": scheduler, "jobs": None if scheduler else runner.jobs}
    try:
        result = run_batch(projects, out, settings, runner, display, description)
    except ProjectError as error:  # another batch holds OUT
        for problem in error.problems:
            errors.print(escape(str(problem)))
        return 1
    except ClusterUnavailable as error:
        errors.print(f"luoshu batch: {escape(str(error))}")
        return 1
    except KeyboardInterrupt:
        again = "without --force " if settings.force else ""
        errors.print(f"luoshu batch: stopped; {escape(str(out / REPORT))} says what was built "
                     f"— run the same command {again}again to go on")
        return 130
    summarize(result, out, runner.where)
    return 1 if result.count(FAILED) or not result.completed else 0


class Display:
    """The batch's progress on stderr: a live bar on a terminal, plain lines elsewhere."""

    def __init__(self, console: Console):
        self.console = console
        self.live = console.is_terminal
        self.progress: Progress | None = None
        self.counts = {BUILT: 0, UP_TO_DATE: 0, FAILED: 0}
        self.total = 0
        self.task = None

    def begin(self, total: int, where: str) -> None:
        self.total = total
        if not self.live:
            self.console.print(f"luoshu batch: {total} projects on {escape(where)}")
            return
        self.progress = Progress(
            TextColumn("[bold]luoshu batch"), BarColumn(), MofNCompleteColumn(),
            TextColumn("{task.fields[counts]}"), TimeElapsedColumn(),
            TextColumn("left"), TimeRemainingColumn(),
            console=self.console, transient=True)
        self.progress.start()
        self.task = self.progress.add_task("batch", total=total, counts=self._counts())
        self.progress.console.print(f"luoshu batch: {total} projects on {escape(where)}")

    def done(self, entry: Entry) -> None:
        self.counts[entry.status] = self.counts.get(entry.status, 0) + 1
        finished = sum(self.counts.values())
        if entry.status == FAILED:
            line = f"[red]failed[/] {escape(entry.name)}: {escape(entry.error or '')}"
        elif self.live:
            line = None
        else:
            where = f" on {entry.worker}" if entry.worker not in (None, "local", "client") else ""
            seconds = f" in {entry.seconds:.1f} s" if entry.status == BUILT else ""
            warnings = (f" ({len(entry.warnings)} warning{'s' if len(entry.warnings) > 1 else ''}"
                        " in the report)" if entry.warnings else "")
            line = f"{entry.status} {escape(entry.name)}{seconds}{escape(where)}{warnings}"
        if self.progress is not None:
            self.progress.update(self.task, completed=finished, counts=self._counts())
            if line:
                self.progress.console.print(line)
        elif line:
            self.console.print(f"luoshu batch: [{finished}/{self.total}] {line}")

    def note(self, line: str) -> None:
        self.console.print(f"luoshu batch: [yellow]{escape(line)}[/]")

    def end(self) -> None:
        if self.progress is not None:
            self.progress.stop()
            self.progress = None

    def _counts(self) -> str:
        return (f"{self.counts[BUILT]} built · {self.counts[UP_TO_DATE]} up to date · "
                f"{self.counts[FAILED]} failed")


def summarize(result: BatchResult, out: Path, where: str) -> None:
    """The summary table, on stdout."""
    console = Console(highlight=False)
    plain = not console.is_terminal
    if plain:  # a log file: room for the errors, without a terminal's width to fit
        console.width = PLAIN_WIDTH
    per_minute = 60 * (result.count(BUILT) / result.seconds) if result.seconds else 0.0
    console.print(f"luoshu batch: {len(result.entries)} projects in {result.seconds:.1f} s on "
                  f"{escape(where)} ({per_minute:.1f} built per minute)", soft_wrap=True)
    table = Table(box=box.ASCII if plain else box.SIMPLE_HEAD)
    table.add_column("status")
    table.add_column("projects", justify="right")
    table.add_column("seconds", justify="right")  # spent on them, where they ran
    table.add_column("warnings", justify="right")  # each project's are in the report
    for status in (BUILT, UP_TO_DATE, FAILED, NOT_BUILT):
        chosen = [e for e in result.entries if e.status == status]
        if chosen or status != NOT_BUILT:
            seconds = sum(e.seconds or 0.0 for e in chosen)
            warnings = sum(len(e.warnings) for e in chosen)
            table.add_row(status, str(len(chosen)), f"{seconds:.1f}", str(warnings))
    console.print(table)
    failures = [e for e in result.entries if e.status == FAILED]
    if failures:
        listing = Table(box=box.ASCII if plain else box.SIMPLE_HEAD)
        listing.add_column("failed project")
        listing.add_column("error", overflow="fold")
        for entry in failures[:FAILURES_SHOWN]:
            listing.add_row(escape(entry.name), escape(entry.error or ""))
        if len(failures) > FAILURES_SHOWN:
            listing.add_row("…", f"{len(failures) - FAILURES_SHOWN} more in the report")
        console.print(listing)
    console.print(f"report: {escape(str(out / REPORT))}", soft_wrap=True)
