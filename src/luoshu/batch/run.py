"""A batch from start to end: the projects in, each project's outputs and the report out.

``run_batch`` locks OUT, clears what a killed batch left there, decides from the last report
which projects may be up to date (luoshu.batch.report), hands the rest to a runner (the local
pool or a Dask cluster), and as each project ends puts its outputs in place
(luoshu.batch.outputs) and records it. Whatever stops the batch — the end, a Ctrl-C, a lost
scheduler — the report is written with every project's state, so a rerun resumes.
"""

from __future__ import annotations

import datetime as _dt
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from .jobs import BUILT, FAILED, NOT_BUILT, UP_TO_DATE, Outcome
from .outputs import (
    DamagedOutputs,
    locked,
    new_staging,
    put_in_place,
    remove_staging,
    remove_stale_staging,
    write_files,
)
from .report import (
    Entry,
    error_line,
    read_previous,
    up_to_date_fingerprint,
    write_report,
)
from .sources import BatchProject
from .task import Runner, Settings, Task

REPORT_INTERVAL = 2.0  # seconds: the report is rewritten at most this often while running


class Listener(Protocol):
    """Follows a batch as it runs (luoshu.batch.console shows it on the terminal)."""

    def begin(self, total: int, where: str) -> None: ...

    def done(self, entry: Entry) -> None: ...

    def note(self, line: str) -> None: ...

    def end(self) -> None: ...


@dataclass(frozen=True)
class BatchResult:
    entries: tuple[Entry, ...]  # in the order of the projects
    seconds: float
    completed: bool  # False when the batch was stopped before every project's turn

    def count(self, status: str) -> int:
        return sum(entry.status == status for entry in self.entries)


def run_batch(projects: Sequence[BatchProject], out: Path, settings: Settings, runner: Runner,
              listener: Listener, description: dict | None = None) -> BatchResult:
    """Build every one of *projects* into OUT/<name>/ with *runner*; see the module docstring.
    *description* (source, where) goes into the report's head."""
    out = out.absolute()
    with locked(out):
        remove_stale_staging(out, (p.name for p in projects))
        previous = {} if settings.force else read_previous(out)
        entries = {p.name: Entry(p.name, str(p.path), NOT_BUILT) for p in projects}
        started_at = _dt.datetime.now(_dt.timezone.utc)
        started = time.perf_counter()
        head = {**(description or {}), "out": str(out), "formats": settings.formats,
                "strict": settings.strict, "force": settings.force}
        last_written = [time.perf_counter()]
        listener.begin(len(projects), runner.where)

        def record(entry: Entry) -> None:
            entries[entry.name] = entry
            listener.done(entry)
            if time.perf_counter() - last_written[0] >= REPORT_INTERVAL:
                write_report(out, head, list(entries.values()), started_at, finished=False)
                last_written[0] = time.perf_counter()

        def finish(task: Task, outcome: Outcome) -> None:
            record(_entry(task, outcome, previous.get(task.project.name)))

        tasks = []
        for project in projects:
            if project.problem:
                record(Entry(project.name, str(project.path), FAILED, error=project.problem,
                             problems=(project.problem,)))
                continue
            final = out / project.name
            fingerprint = up_to_date_fingerprint(previous.get(project.name), final,
                                                 settings.strict)
            tasks.append(Task(project, final, fingerprint))
        completed = False
        try:
            runner.run(tasks, settings, finish, listener.note)
            completed = True
        finally:
            listener.end()
            write_report(out, head, list(entries.values()), started_at, finished=completed)
    return BatchResult(tuple(entries.values()), time.perf_counter() - started, completed)


def _entry(task: Task, outcome: Outcome, previous: Entry | None) -> Entry:
    """The report entry for *outcome*, with a built project's outputs put in place."""
    name, project = task.project.name, str(task.project.path)
    common = dict(seconds=outcome.seconds, worker=outcome.worker, attempts=task.attempts,
                  fingerprint=outcome.fingerprint)
    if outcome.status == UP_TO_DATE and previous is not None:
        return Entry(name, project, UP_TO_DATE, warnings=previous.warnings,
                     manifest_sha256=previous.manifest_sha256, artifacts=previous.artifacts,
                     **common)
    if outcome.status != BUILT:
        return Entry(name, project, FAILED, error=error_line(outcome.problems),
                     problems=outcome.problems, detail=outcome.detail, **common)
    staging = Path(outcome.staging) if outcome.staging else new_staging(task.final)
    try:
        if outcome.files is not None:
            write_files(staging, outcome.files)
        artifacts, manifest = put_in_place(staging, task.final)
    except DamagedOutputs as error:
        problem = f"the outputs from {outcome.worker} came back damaged ({error})"
        return Entry(name, project, FAILED, error=problem, problems=(problem,), **common)
    except OSError as error:
        problem = f"cannot write {task.final}: {error.strerror or error}"
        return Entry(name, project, FAILED, error=problem, problems=(problem,), **common)
    finally:
        remove_staging(staging)
    return Entry(name, project, BUILT, warnings=outcome.warnings, manifest_sha256=manifest,
                 artifacts=tuple(artifacts), **common)
