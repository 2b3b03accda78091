"""Problems with a user's input, reported as ``file:line: message`` lines.

A *problem* is the user's to fix (a bad key, a missing photo, a character no font covers); it
never shows a traceback. Everything else is a bug in luoshu and is allowed to raise normally.
Stages collect every problem they find and raise them together, so that one run reports them
all (as MkDocs does for config errors).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input, with where it is and what to do."""

    message: str
    path: PurePosixPath | str | None = None  # relative to the project folder
    line: int | None = None
    column: int | None = None
    code: str = "input"  # stable identifier, e.g. "config-unknown-key"
    severity: str = "error"  # "error" or "warning"

    def __str__(self) -> str:
        where = ""
        if self.path is not None:
            where = str(self.path)
            if self.line is not None:
                where += f":{self.line}"
                if self.column is not None:
                    where += f":{self.column}"
            where += ": "
        prefix = "warning: " if self.severity == "warning" else ""
        return f"{where}{prefix}{self.message}"


class ProjectError(Exception):
    """Raised with every problem a stage found; the CLI prints them and exits 1."""

    def __init__(self, problems: list[Problem] | tuple[Problem, ...]):
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def raise_if_errors(problems: list[Problem]) -> None:
    """Raise a ProjectError when any of *problems* is an error (warnings pass)."""
    if any(p.severity == "error" for p in problems):
        raise ProjectError(problems)
