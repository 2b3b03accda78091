"""Where a batch writes: one output folder per project, put in place whole or not at all.

Each project's outputs are written into a hidden staging folder beside ``OUT/<name>``
(``.<name>.….batch``), checked against the manifest the build wrote (every artifact present
with its SHA-256), and only then put in place of the earlier folder
(luoshu.files.output.replace_folder: two renames on one file system). A batch that stops at
any moment leaves each project's folder as it was or as built, never half of each; the
staging folders of a batch that was killed are removed by the next one. A lock file keeps two
batches from writing into one OUT at the same time.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path, PurePosixPath

from ..build.stages import MANIFEST
from ..errors import Problem, ProjectError
from ..files.output import replace_folder, sha256_file, umask

LOCK = ".luoshu-batch.lock"
STAGING_SUFFIX = ".batch"


class DamagedOutputs(Exception):
    """The files that came back do not agree with their own manifest."""


@contextlib.contextmanager
def locked(out: Path) -> Iterator[None]:
    """Hold *out*'s batch lock for the block; ProjectError when another batch holds it."""
    out.mkdir(parents=True, exist_ok=True)
    with open(out / LOCK, "a+b") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ProjectError([Problem(
                "another luoshu batch is writing into this folder; wait until it ends, or give "
                "another output folder", str(out / LOCK), code="batch-locked")]) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def new_staging(final: Path) -> Path:
    """A fresh, empty staging folder beside *final* (see the module docstring)."""
    folder = Path(tempfile.mkdtemp(dir=final.parent, prefix=f".{final.name}.",
                                   suffix=STAGING_SUFFIX))
    # mkdtemp makes the folder private, and it becomes OUT/<name>: give it the mode any new
    # folder gets, as 'luoshu build' does its output folder.
    folder.chmod(0o777 & ~umask())
    return folder


def remove_staging(folder: str | Path | None) -> None:
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)


def remove_stale_staging(out: Path, names: Iterable[str]) -> None:
    """Remove what an earlier, killed batch left beside these projects' folders: staging
    folders, and the scratch folder an earlier output folder is moved into while it is
    replaced (luoshu.files.output.scratch_beside). Both are hidden and named after the
    project; no batch is using them, since this one holds the lock."""
    for name in names:
        for folder in out.glob(f".{_glob_escape(name)}.*"):
            if folder.is_dir() and not folder.is_symlink():
                remove_staging(folder)


def _glob_escape(name: str) -> str:
    return "".join(f"[{c}]" if c in "*?[" else c for c in name)


def write_files(staging: Path, files: Iterable[tuple[str, bytes]]) -> None:
    """Write a worker's output files (folder-relative POSIX names) into *staging*."""
    for name, data in files:
        relative = PurePosixPath(name)
        if relative.is_absolute() or any(part in ("", ".", "..") for part in relative.parts):
            raise DamagedOutputs(f"an output file named {name!r}")
        target = staging.joinpath(*relative.parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def put_in_place(staging: Path, final: Path) -> tuple[list[dict], str]:
    """Check *staging* against its manifest.json, then make it *final*.

    Returns the manifest's artifacts and the manifest's own SHA-256; raises DamagedOutputs
    (and leaves *final* as it was) when an artifact is missing or differs."""
    manifest = staging / MANIFEST
    try:
        artifacts = json.loads(manifest.read_text(encoding="utf-8"))["artifacts"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise DamagedOutputs(f"no readable {MANIFEST} ({error})") from None
    for artifact in artifacts:
        path = staging / str(artifact.get("path", ""))
        if not path.is_file() or sha256_file(path) != artifact.get("sha256"):
            raise DamagedOutputs(f"{artifact.get('path')} is missing or differs from "
                                 f"{MANIFEST}")
    digest = sha256_file(manifest)
    replace_folder(staging, final)
    return artifacts, digest


def intact(final: Path, manifest_sha256: str | None, artifacts: Iterable[dict]) -> bool:
    """Whether *final* still holds the outputs a report entry lists: the same manifest.json,
    and each artifact present with its size (re-hashing every PDF of a large batch on each
    resume would take long; a changed manifest or size means a changed folder)."""
    manifest = final / MANIFEST
    if manifest_sha256 is None or not manifest.is_file():
        return False
    if sha256_file(manifest) != manifest_sha256:
        return False
    for artifact in artifacts:
        path = final / str(artifact.get("path", ""))
        if not path.is_file() or path.stat().st_size != artifact.get("bytes"):
            return False
    return True
