"""One project's build, as a pool process or a Dask worker runs it, and what comes back.

``build_local`` runs in a process of the local pool: it reads the project where it is, skips
it when its outputs are up to date, and builds it into a staging folder beside its output
folder, which the client then puts in place. ``build_remote`` runs on a Dask worker: it
unpacks the project's bundle (luoshu.batch.inputs) into a private folder, builds it there and
returns the output folder's files with the worker's environment, for the client to check and
write. Both are ``luoshu build`` (luoshu.build.build_book) with the same formats and options,
and neither raises: every failure comes back as an Outcome with its one-line problems.

A build reads SOURCE_DATE_EPOCH from the environment, which a process shares with all its
threads: each job sets the client's value (or its absence) for the time of its build, and a
process builds one project at a time (a Dask worker may run several tasks in threads; the
builds are CPU-bound Python, so threads would not make them faster anyway).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
import time
import traceback
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..build.stages import build_book
from ..errors import Problem, ProjectError
from .inputs import plan_project, unpack

BUILT = "built"
UP_TO_DATE = "up to date"
FAILED = "failed"
NOT_BUILT = "not built"  # the batch was interrupted before this project's turn

_ONE_BUILD_AT_A_TIME = threading.Lock()


@dataclass(frozen=True)
class Outcome:
    """What became of one project."""

    name: str
    status: str  # BUILT, UP_TO_DATE or FAILED
    problems: tuple[str, ...] = ()  # FAILED: every problem, one line each, errors first
    warnings: tuple[str, ...] = ()  # "file:line: warning: …" lines of a build that went through
    seconds: float = 0.0  # the build's own time, where it ran
    worker: str = "local"  # the Dask worker's address, "client", or "local"
    fingerprint: str | None = None  # of the inputs the outputs were built from
    environment: Mapping | None = field(default=None, compare=False)  # the worker's
    files: tuple[tuple[str, bytes], ...] | None = field(default=None, repr=False)  # remote
    staging: str | None = None  # local: the folder the outputs were written into
    detail: str | None = None  # a crash's traceback, for a bug report (never printed)


@dataclass(frozen=True)
class LocalJob:
    """A project on this machine's file system, built by the local pool."""

    name: str
    project: Path
    staging: Path  # an empty folder beside the project's output folder
    formats: tuple[str, ...] | None  # None: book.toml's [output] formats
    strict: bool
    source_date_epoch: str | None  # the client's, or None when it has none
    up_to_date: str | None = None  # the fingerprint the outputs in place were built from


@dataclass(frozen=True)
class RemoteJob:
    """A project travelling as a bundle to a worker that shares no files with the client."""

    name: str
    bundle: bytes = field(repr=False)
    formats: tuple[str, ...]
    strict: bool
    source_date_epoch: str | None


def build_local(job: LocalJob) -> Outcome:
    """Build *job* into its staging folder; UP_TO_DATE when its fingerprint is unchanged."""
    with _building(job.source_date_epoch):
        started = time.perf_counter()
        try:
            plan = plan_project(job.project, job.formats)
            if plan.fingerprint == job.up_to_date:
                return Outcome(job.name, UP_TO_DATE, fingerprint=plan.fingerprint,
                               seconds=time.perf_counter() - started)
            result = build_book(job.project, job.staging, plan.formats, strict=job.strict)
        except ProjectError as error:
            return failed(job.name, error.problems, time.perf_counter() - started)
        except Exception as error:  # a bug: this project's failure, not the batch's
            return crashed(job.name, error, time.perf_counter() - started)
        return Outcome(job.name, BUILT, warnings=tuple(str(w) for w in result.warnings),
                       seconds=time.perf_counter() - started, fingerprint=plan.fingerprint,
                       staging=str(job.staging))


def build_remote(job: RemoteJob) -> Outcome:
    """Build *job*'s bundle in a private folder and return the outputs' files."""
    worker = _worker_address()
    with _building(job.source_date_epoch), tempfile.TemporaryDirectory(
            prefix="luoshu-batch-", dir=_scratch_root()) as scratch:
        started = time.perf_counter()
        try:
            project = unpack(job.bundle, Path(scratch) / "project")
            out = Path(scratch) / "out"
            plan = plan_project(project, job.formats)
            result = build_book(project, out, job.formats, strict=job.strict)
            files = tuple((path.relative_to(out).as_posix(), path.read_bytes())
                          for path in sorted(out.rglob("*")) if path.is_file())
        except ProjectError as error:
            return failed(job.name, error.problems, time.perf_counter() - started, worker)
        except Exception as error:  # a bug, or this worker's disk: the project's failure
            return crashed(job.name, error, time.perf_counter() - started, worker)
        return Outcome(job.name, BUILT, warnings=tuple(str(w) for w in result.warnings),
                       seconds=time.perf_counter() - started, worker=worker,
                       fingerprint=plan.fingerprint, environment=plan.environment, files=files)


def failed(name: str, problems: tuple[Problem, ...] | list[Problem], seconds: float = 0.0,
           worker: str = "local") -> Outcome:
    """A FAILED outcome with *problems* as `luoshu build` prints them, errors first."""
    ordered = sorted(problems, key=lambda p: p.severity != "error")
    return Outcome(name, FAILED, problems=tuple(str(p) for p in ordered), seconds=seconds,
                   worker=worker)


def crashed(name: str, error: BaseException, seconds: float = 0.0,
            worker: str = "local") -> Outcome:
    """A FAILED outcome for an exception that is luoshu's fault, not the project's."""
    return Outcome(name, FAILED, problems=(
        f"luoshu failed on this project ({type(error).__name__}: {error}); please report it "
        "with batch-report.json's detail",), seconds=seconds, worker=worker,
        detail="".join(traceback.format_exception(error)))


@contextlib.contextmanager
def _building(source_date_epoch: str | None) -> Iterator[None]:
    """One build at a time in this process, with SOURCE_DATE_EPOCH as the client has it."""
    with _ONE_BUILD_AT_A_TIME:
        previous = os.environ.get("SOURCE_DATE_EPOCH")
        _set_epoch(source_date_epoch)
        try:
            yield
        finally:
            _set_epoch(previous)


def _set_epoch(value: str | None) -> None:
    if value is None:
        os.environ.pop("SOURCE_DATE_EPOCH", None)
    else:
        os.environ["SOURCE_DATE_EPOCH"] = value


def _worker_address() -> str:
    """The address of the Dask worker running this task ("local" outside one)."""
    try:
        from distributed import get_worker

        return get_worker().address
    except (ImportError, ValueError):
        return "local"


def _scratch_root() -> str | None:
    """The Dask worker's own scratch folder (cleaned up when the worker goes), else the
    system's temporary folder."""
    try:
        from distributed import get_worker

        return get_worker().local_directory
    except (ImportError, ValueError):
        return None
