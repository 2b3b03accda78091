"""A project as a batch sees it: the files a build reads, their fingerprint, and the bundle a
worker builds from.

``plan_project`` reads a project as ``luoshu build`` does (luoshu.project.load) and lists the
files its build uses — the same list the archive package's build record holds
(luoshu.archive.record.project_inputs). The *fingerprint* hashes those files with everything
else that decides the outputs' bytes: the timestamp the build will use, the formats, and the
software and fonts (luoshu.batch.environment). A batch skips a project whose fingerprint is
the one its outputs were built from.

Workers on other machines share no file system with the client, so a project travels as a
*bundle*: a zip of exactly those files (luoshu.files.zips, one date for every entry: the same
files give the same bytes), plus a small index holding each file's modification time, which
is the build's timestamp when neither SOURCE_DATE_EPOCH nor the book's date is set.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import io
import json
import os
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ..archive.record import InputFile, project_inputs, utc_timestamp
from ..build.stages import modification_time
from ..errors import Problem
from ..files.gate import ProjectFiles, RefusedResource
from ..files.output import sha256_file
from ..files.paths import MANUSCRIPT
from ..files.zips import ZIP_EPOCH, write_zip
from ..model import Book
from ..project.load import load_book
from .environment import environment

# The bundle's own entry: hidden, so never taken for one of the project's files.
BUNDLE_INDEX = ".luoshu-bundle.json"


@dataclass(frozen=True)
class Plan:
    """A project read and ready to build."""

    project: Path  # absolute
    book: Book
    formats: tuple[str, ...]  # what the build makes: the ones asked for, or book.toml's
    inputs: tuple[InputFile, ...]  # every project file the build reads, sorted by path
    modified: _dt.datetime  # the outputs' timestamp (luoshu.build.stages.modification_time)
    environment: Mapping  # this machine's software and the book's fonts
    fingerprint: str  # SHA-256 of all of the above that decides the outputs' bytes
    warnings: tuple[Problem, ...]


def plan_project(project: Path, formats: Sequence[str] | None) -> Plan:
    """Read *project* for a build of *formats* (None: book.toml's [output] formats).

    Raises ProjectError with every problem, as ``luoshu build`` would report them."""
    book, warnings = load_book(project)
    formats = tuple(dict.fromkeys(formats or book.config.output.formats))
    inputs = _with_cover(book, project_inputs(book))
    modified = modification_time(book)
    here = environment(book, formats)
    fingerprint = hashlib.sha256(json.dumps({
        "inputs": [[item.path, item.sha256] for item in inputs],
        "modified": utc_timestamp(modified),
        "formats": formats,
        "environment": here,
    }, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()
    return Plan(book.project, book, formats, inputs, modified, here, fingerprint, warnings)


def _with_cover(book: Book, inputs: tuple[InputFile, ...]) -> tuple[InputFile, ...]:
    """*inputs* and the EPUB's cover image: ``[epub] cover`` may name a file outside
    manuscript/ ("../cover.jpg"), which the build record's list does not look for."""
    cover = book.config.epub.cover
    if not cover or cover.startswith("data:"):
        return inputs
    files = ProjectFiles.of(book.project)
    try:
        path = files.resolve(cover, MANUSCRIPT)
    except RefusedResource:  # the build reports it, in its own words
        return inputs
    relative = files.relative(path)
    if any(item.path == relative for item in inputs):
        return inputs
    extra = InputFile(relative, path.stat().st_size, sha256_file(path), path)
    return tuple(sorted((*inputs, extra), key=lambda item: item.path))


def bundle(plan: Plan) -> bytes:
    """The zip a worker builds *plan*'s project from (see the module docstring)."""
    index = {"mtimes": {item.path: item.source.stat().st_mtime_ns for item in plan.inputs}}
    entries: list[tuple[str, bytes | Path]] = [
        (BUNDLE_INDEX, json.dumps(index, sort_keys=True).encode("utf-8"))]
    entries += [(item.path, item.source) for item in plan.inputs]
    buffer = io.BytesIO()
    # Photos and fonts are compressed already and the text is small: stored, the zip is
    # quick to make and to read.
    write_zip(buffer, entries, ZIP_EPOCH)  # type: ignore[arg-type]  # zipfile takes a stream
    return buffer.getvalue()


def unpack(data: bytes, folder: Path) -> Path:
    """Write the project of the bundle *data* into the new folder *folder*, every file with
    its modification time; returns *folder*. A name that would land outside it (the bundle
    came over the network) raises ValueError."""
    folder.mkdir(parents=True)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        index = json.loads(archive.read(BUNDLE_INDEX))
        for entry in archive.infolist():
            if entry.filename == BUNDLE_INDEX:
                continue
            name = PurePosixPath(entry.filename)
            if (name.is_absolute() or "\\" in entry.filename
                    or any(part in ("", ".", "..") for part in name.parts)):
                raise ValueError(f"unsafe name in a project bundle: {entry.filename!r}")
            target = folder.joinpath(*name.parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(archive.read(entry))
            moment = index["mtimes"].get(entry.filename)
            if moment is not None:
                os.utime(target, ns=(moment, moment))
    return folder
