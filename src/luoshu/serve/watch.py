"""What changed in a book project since the last look, and how much of the preview that touches.

``luoshu serve`` polls rather than subscribing to file-system events: reading the size and
modification time of every watched file twice a second is cheap for a book (tens of files),
needs no new dependency and works the same on every system and file system (network shares,
containers' bind mounts, editors that replace files rather than write them).

Only what a build reads is watched: ``book.toml``, ``manuscript/``, ``styles/`` and ``fonts/``.
Editors' scratch files (``.01-intro.md.swp``, ``01-intro.md~``) are not: they come and go with
every keystroke and are never part of a book.

A change is classified by how much of the preview it can affect (``classify``): the Markdown
file of a section already in the book touches that section only; anything else (book.toml, a
stylesheet, a font, captions.toml, a photo, a section added or removed) may touch every page.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from ..files.paths import MANUSCRIPT, READ_BY_PATH

WATCHED = READ_BY_PATH

# A file's identity as polling sees it: (modification time in ns, size in bytes).
Stamp = tuple[int, int]


def snapshot(project: Path) -> dict[str, Stamp]:
    """Every watched file of *project*, by POSIX path relative to it, with its stamp.

    Files that vanish while being listed are simply absent: the next snapshot will agree.
    """
    found: dict[str, Stamp] = {}
    for name in WATCHED:
        _scan(project / name, name, found)
    return found


def _scan(path: Path, relative: str, found: dict[str, Stamp]) -> None:
    try:
        if path.is_dir():
            with os.scandir(path) as entries:
                for entry in entries:
                    if not _is_scratch(entry.name):
                        _scan(Path(entry.path), f"{relative}/{entry.name}", found)
        elif path.is_file():
            status = path.stat()
            found[relative] = (status.st_mtime_ns, status.st_size)
    except OSError:
        pass  # gone or unreadable right now; the build itself will say what is wrong


def _is_scratch(name: str) -> bool:
    """Hidden files, editors' swap and backup files: never read by a build."""
    return name.startswith((".", "#")) or name.endswith("~")


def changed_paths(before: Mapping[str, Stamp], after: Mapping[str, Stamp]) -> frozenset[str]:
    """The paths added, removed or modified between two snapshots."""
    return frozenset(path for path in before.keys() | after.keys()
                     if before.get(path) != after.get(path))


@dataclass(frozen=True)
class Change:
    """How much of the preview a set of changed files touches.

    ``full``: everything (book.toml, styles, fonts, captions, photos, the list of sections);
    otherwise only the sections in ``sections``. ``paths`` are the files behind it, for the
    terminal's "updated …" line.
    """

    full: bool = False
    sections: frozenset[str] = frozenset()
    paths: frozenset[str] = frozenset()

    @classmethod
    def everything(cls, reason: str = "") -> Change:
        return cls(full=True, paths=frozenset({reason} if reason else ()))

    def __or__(self, other: Change) -> Change:
        """Both changes: what a rebuild must cover when a second arrives before the first is
        built (or while the first cannot be built)."""
        full = self.full or other.full
        return Change(full, frozenset() if full else self.sections | other.sections,
                      self.paths | other.paths)

    def __bool__(self) -> bool:
        return self.full or bool(self.sections)


def classify(paths: Iterable[str], sections: Collection[str]) -> Change:
    """The Change that *paths* (project-relative, POSIX) make to a book whose sections have the
    ids *sections*.

    Only ``manuscript/<id>.md`` of a section the book already has stays a section change: a
    new Markdown file adds a section (the contents change), and every other file can reach
    every page (a stylesheet, a font, book.toml) or several sections (captions.toml, a photo).
    """
    paths = frozenset(paths)
    touched = set()
    for path in paths:
        folder, _, name = path.rpartition("/")
        section = name[:-3] if name.endswith(".md") else None
        if folder != MANUSCRIPT or section not in sections:
            return Change(full=True, paths=paths)
        touched.add(section)
    return Change(sections=frozenset(touched), paths=paths)
