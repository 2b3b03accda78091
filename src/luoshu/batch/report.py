"""``OUT/batch-report.json``: what became of every project of a batch, and what a rerun skips.

One entry per project: its status (built, up to date, failed, not built), the error (the
first problem, one line) and every problem line, the warnings, the build's seconds, the
worker that built it, how many times it was sent out, the fingerprint of the inputs its
outputs come from (luoshu.batch.inputs) and the artifacts with their SHA-256, as the
project's manifest.json lists them. The report is rewritten (atomically) while the batch runs,
so a batch that is stopped can be resumed from it: a project whose entry says it was built
from the inputs it has now, and whose output folder still holds those outputs, is skipped.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import luoshu

from ..files.output import write_bytes_atomically
from .jobs import BUILT, FAILED, NOT_BUILT, UP_TO_DATE
from .outputs import intact

REPORT = "batch-report.json"
REPORT_VERSION = 1
STATUSES = (BUILT, UP_TO_DATE, FAILED, NOT_BUILT)


@dataclass(frozen=True)
class Entry:
    """One project's line in the report."""

    name: str  # its folder under OUT
    project: str  # the project folder
    status: str
    error: str | None = None  # the first problem: what to fix
    problems: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    seconds: float | None = None
    worker: str | None = None
    attempts: int = 0  # how many times it was sent to be built (more after a worker died)
    fingerprint: str | None = None
    manifest_sha256: str | None = None
    artifacts: tuple[Mapping, ...] = ()
    detail: str | None = None  # a crash's traceback

    def as_dict(self) -> dict:
        data = dataclasses.asdict(self)
        data["seconds"] = None if self.seconds is None else round(self.seconds, 3)
        data["artifacts"] = [dict(a) for a in self.artifacts]
        return data

    @classmethod
    def from_dict(cls, data: Mapping) -> Entry:
        known = {f.name for f in dataclasses.fields(cls)}
        values = {key: value for key, value in data.items() if key in known}
        for key in ("problems", "warnings", "artifacts"):
            values[key] = tuple(values.get(key) or ())
        return cls(**values)


def error_line(problems: Sequence[str]) -> str | None:
    """The report's one-line error: the first problem, and how many more there are."""
    if not problems:
        return None
    more = len(problems) - 1
    return problems[0] + (f" (and {more} more problem{'s' if more > 1 else ''})" if more else "")


def read_previous(out: Path) -> dict[str, Entry]:
    """The entries of an earlier batch into *out*, by project name ({} when there is none or it
    cannot be read: everything is then built)."""
    try:
        data = json.loads((out / REPORT).read_text(encoding="utf-8"))
        return {entry["name"]: Entry.from_dict(entry) for entry in data["projects"]}
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def up_to_date_fingerprint(entry: Entry | None, final: Path, strict: bool) -> str | None:
    """The fingerprint *entry*'s outputs were built from, when they are all still in *final*;
    None when the project must be built whatever its inputs. A strict batch rebuilds a
    project whose last build had warnings (a strict build would have stopped on them)."""
    if entry is None or entry.status not in (BUILT, UP_TO_DATE) or entry.fingerprint is None:
        return None
    if strict and entry.warnings:
        return None
    if not intact(final, entry.manifest_sha256, entry.artifacts):
        return None
    return entry.fingerprint


def write_report(out: Path, settings: Mapping, entries: Sequence[Entry],
                 started: _dt.datetime, finished: bool) -> dict:
    """Write OUT/batch-report.json; returns what it wrote."""
    now = _dt.datetime.now(_dt.timezone.utc)
    counts = Counter(entry.status for entry in entries)
    report = {
        "report_version": REPORT_VERSION,
        "luoshu": luoshu.__version__,
        **settings,
        "started": started.isoformat(timespec="seconds"),
        "finished": now.isoformat(timespec="seconds") if finished else None,
        "seconds": round((now - started).total_seconds(), 3),
        "counts": {status: counts.get(status, 0) for status in STATUSES},
        "projects": [entry.as_dict() for entry in entries],
    }
    text = json.dumps(report, ensure_ascii=False, indent=2) + "\n"
    write_bytes_atomically(out / REPORT, text.encode("utf-8"))
    return report
