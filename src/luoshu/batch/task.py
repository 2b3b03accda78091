"""What the batch hands a runner (the local pool or a Dask cluster), and what it gets back.

A runner builds each Task somewhere and calls ``finish(task, outcome)`` in the client's main
thread as each one ends (luoshu.batch.run writes the outputs and the report there). It may
send a task out more than once — after a worker died, or refused a worker's result — and
counts the sendings in ``attempts``; it calls ``note`` with a line the user should see while
the batch runs (a refused worker).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from .jobs import Outcome
from .sources import BatchProject

# As Dask's scheduler does (distributed.scheduler.allowed-failures): a project whose build
# process or worker dies this many times is failed rather than tried again.
MAX_ATTEMPTS = 3


@dataclass(frozen=True)
class Settings:
    """How every project of the batch is built."""

    formats: tuple[str, ...] | None = None  # None: each project's book.toml [output] formats
    strict: bool = False
    force: bool = False  # build even what is up to date
    # The client's SOURCE_DATE_EPOCH, which every build of the batch uses wherever it runs.
    source_date_epoch: str | None = field(
        default_factory=lambda: os.environ.get("SOURCE_DATE_EPOCH"))


@dataclass
class Task:
    """One project on its way through a runner."""

    project: BatchProject
    final: Path  # OUT/<name>
    up_to_date: str | None  # the fingerprint of the outputs in place, unless rebuilding all
    attempts: int = 0


Finish = Callable[[Task, Outcome], None]
Note = Callable[[str], None]


class Runner(Protocol):
    """Builds tasks somewhere: luoshu.batch.pool.LocalPool or luoshu.batch.cluster.DaskCluster."""

    where: str  # for the progress display, e.g. "4 local processes"

    def run(self, tasks: list[Task], settings: Settings, finish: Finish, note: Note) -> None:
        ...
