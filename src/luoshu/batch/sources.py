"""The projects of a batch: the book projects in a folder, or those a list file names.

A folder: every visible subfolder holding a ``book.toml``, in name order. A list file: one
project folder per line, relative to the list file's own folder (or absolute); blank lines and
lines starting with ``#`` are left out. A listed path that is no book project fails alone in
the report; what would make the batch itself wrong — no projects, two projects that would
build into the same output folder, an output folder that is a project's own — stops it before
anything is built, with one line per problem.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import Problem, ProjectError
from ..files.paths import BOOK_TOML
from ..files.text import read_text

COMMENT = "#"


@dataclass(frozen=True)
class BatchProject:
    """One project of a batch."""

    name: str  # the folder under OUT it builds into: the project folder's own name
    path: Path  # the project folder, absolute
    origin: str  # where the batch found it, for messages: the folder, or "list.txt:4"
    problem: str | None = None  # why it cannot be built at all (a listed path without book.toml)


def find_projects(source: Path, out: Path) -> tuple[BatchProject, ...]:
    """The projects of *source* (a folder of projects or a list file) building into *out*.

    Raises ProjectError when the batch cannot run as given (see the module docstring)."""
    if source.is_dir():
        projects = _folder_projects(source)
    elif source.is_file():
        projects = _listed_projects(source)
    else:
        raise ProjectError([Problem(f"{source}: no such folder or file; give a folder of book "
                                    "projects or a text file listing them", code="batch-source")])
    problems = _clashes(projects) + _overlaps(projects, out)
    if problems:
        raise ProjectError(problems)
    return projects


def _folder_projects(source: Path) -> tuple[BatchProject, ...]:
    if (source / BOOK_TOML).is_file():
        raise ProjectError([Problem(f"{source} is itself a book project: build it with "
                                    "'luoshu build', or give the folder that holds the projects",
                                    code="batch-source")])
    projects = tuple(BatchProject(entry.name, entry.resolve(), str(entry))
                     for entry in sorted(source.iterdir(), key=lambda p: p.name)
                     if not entry.name.startswith(".") and (entry / BOOK_TOML).is_file())
    if not projects:
        raise ProjectError([Problem(f"{source} holds no book projects (subfolders with a "
                                    "book.toml)", code="batch-source")])
    return projects


def _listed_projects(listing: Path) -> tuple[BatchProject, ...]:
    problems: list[Problem] = []
    text = read_text(listing, str(listing), problems)
    if text is None:  # not UTF-8: the problem names the line of the first bad byte
        raise ProjectError(problems)
    projects = []
    for number, line in enumerate(text.splitlines(), start=1):
        entry = line.strip()
        if not entry or entry.startswith(COMMENT):
            continue
        path = Path(os.path.normpath(listing.parent / Path(entry).expanduser()))
        origin = f"{listing}:{number}"
        problem = None
        if not path.is_dir():
            problem = f"{origin}: {entry}: no such project folder"
        elif not (path / BOOK_TOML).is_file():
            problem = f"{origin}: {entry} has no book.toml: not a book project"
        projects.append(BatchProject(path.name or entry, path.resolve(), origin, problem))
    if not projects:
        raise ProjectError([Problem("lists no project folders (one per line)", str(listing),
                                    code="batch-source")])
    return tuple(projects)


def _clashes(projects: tuple[BatchProject, ...]) -> list[Problem]:
    """Two projects that would build into one output folder (names are compared as the file
    system may: without regard to case)."""
    first: dict[str, BatchProject] = {}
    problems = []
    for project in projects:
        earlier = first.setdefault(project.name.casefold(), project)
        if earlier is not project:
            what = ("is listed twice" if earlier.path == project.path else
                    f"has the same name as {earlier.path}")
            problems.append(Problem(
                f"{project.path} {what} ({earlier.origin}): both would build into "
                f"{project.name}/; list each project once, under distinct folder names",
                *_where(project.origin), code="batch-clash"))
    return problems


def _overlaps(projects: tuple[BatchProject, ...], out: Path) -> list[Problem]:
    """Output folders that are, hold or lie inside a project folder: replacing them would
    replace the project's own files."""
    problems = []
    for project in projects:
        final = (out / project.name).resolve()
        if final == project.path or final.is_relative_to(project.path) or \
                project.path.is_relative_to(final):
            problems.append(Problem(
                f"the outputs of {project.path} would go to {final}, over the project itself; "
                "choose an output folder outside the projects' folders", code="batch-out"))
    return problems


def _where(origin: str) -> tuple[str, int | None]:
    """A list file's "path:line" as (path, line); a folder as (folder, None)."""
    path, _, line = origin.rpartition(":")
    return (path, int(line)) if path and line.isdigit() else (origin, None)
