"""Writing outputs whole or not at all, and the one way luoshu hashes a file.

Every output (a PDF, the EPUB, the archive zip, manifest.json, the bag folder) is written
under a temporary name *beside* its destination and renamed over it only when it is complete:
a rename within one folder is atomic, so a reader, a web server or a crashed build sees either
the earlier file or the new one, never half of one.

A build holds its output folder (``OutputFolder``): one build writes into a folder at a time,
and what a killed build left there (its temporary files and scratch folders, which a SIGKILL
gives no chance to remove) is swept when the next one starts. An OSError of the folder's — a
read-only file system, a full disk, no permission — becomes one line naming the folder and
what to do (``output_problem``).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from ..errors import Problem, ProjectError

TEMPORARY_SUFFIX = ".tmp"


def temporary_beside(final: Path) -> Path:
    """A fresh, empty temporary file in *final*'s folder (so that renaming it over *final* is
    atomic), readable as any other new file of the user's is."""
    handle, name = tempfile.mkstemp(dir=final.parent, prefix=f".{final.name}.",
                                    suffix=TEMPORARY_SUFFIX)
    os.close(handle)
    # mkstemp makes the file private (0600) and os.replace keeps that: give outputs the mode
    # any other new file would get, so colleagues and web servers can read them.
    os.chmod(name, 0o666 & ~umask())
    return Path(name)


@contextlib.contextmanager
def written_beside(final: Path) -> Iterator[Path]:
    """Yields a temporary path beside *final* to write the file into; when the block ends
    without an exception, that file replaces *final* in one rename, otherwise it is removed."""
    temporary = temporary_beside(final)
    try:
        yield temporary
        os.replace(temporary, final)
    finally:
        temporary.unlink(missing_ok=True)


def write_bytes_atomically(final: Path, data: bytes) -> None:
    """Write *data* as *final*, whole or not at all."""
    with written_beside(final) as temporary:
        temporary.write_bytes(data)


@contextlib.contextmanager
def scratch_beside(final: Path) -> Iterator[Path]:
    """A private scratch folder beside *final*, removed when the block ends whatever happens.

    Intermediate files go there: on the destination's file system, a finished one can be
    renamed into place, and no scratch file is ever left among the outputs."""
    folder = Path(tempfile.mkdtemp(dir=final.parent, prefix=f".{final.name}.")).absolute()
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def replace_folder(new: Path, final: Path) -> None:
    """Put the folder *new* (beside *final*, on the same file system) in *final*'s place; an
    earlier *final* is moved aside first and removed once the new one stands there."""
    with scratch_beside(final) as scratch:
        if final.exists():
            os.replace(final, scratch / "previous")
        os.replace(new, final)


# --- the output folder: held by one build, swept of what a killed one left, its errors -------

# A temporary file or scratch folder of luoshu's beside an output NAME: ".NAME.<8 random>"
# (tempfile's names), ".tmp" for a file; one beside such a file has two leading dots.
_LEFTOVER = re.compile(r"^\.\.?(?P<name>.+?)\.[a-z0-9_]{8}(\.tmp)?(\.[a-z0-9_]{8}(\.tmp)?)?$")
# OSErrors that are the output folder's, whatever file they name: the user's to fix.
FOLDER_ERRORS = {
    errno.EROFS: "it is on a read-only file system",
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is used up",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.EFBIG: "a file would be larger than the file system allows",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.EEXIST: "it is a file, not a folder",
    errno.EIO: "the disk reported an input/output error",
}
_ADVICE = {errno.ENOSPC: "free some space, or build into another folder with -o",
           errno.EDQUOT: "free some space, or build into another folder with -o",
           errno.EROFS: "build into a writable folder with -o"}


class OutputFolder:
    """An output folder a build holds: made, locked against a second build writing into it at
    the same time (an advisory lock on the folder itself, gone with the process however it
    ends), and swept of what a killed build left there."""

    def __init__(self, out: Path, names: Iterable[str]):
        self.out = out
        try:
            out.mkdir(parents=True, exist_ok=True)
            self._handle: int | None = os.open(out, os.O_RDONLY | os.O_DIRECTORY)
        except OSError as error:
            raise output_problem(error, out) from None
        try:
            fcntl.flock(self._handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.release()
            raise ProjectError([Problem(
                "another luoshu build is writing into this folder now: wait for it to finish, "
                "or build into another folder with -o", str(out), code="output-busy")]) from None
        except OSError:
            pass  # a file system without locks (some network mounts): build unlocked
        sweep_leftovers(out, names)

    def release(self) -> None:
        if self._handle is not None:
            os.close(self._handle)  # and with it the lock
            self._handle = None


def sweep_leftovers(out: Path, names: Iterable[str]) -> list[str]:
    """Remove from *out* the temporary files and scratch folders an earlier build was killed
    before it could remove (SIGKILL, a power cut): luoshu's own only — a hidden name made
    from one of the output *names* (or its stem: the bag folder's) and tempfile's random
    part. Call it holding the folder (OutputFolder): no other build is using them then.
    Returns the names removed."""
    known = {n for name in names for n in (name, name.rsplit(".", 1)[0])}
    removed = []
    for entry in os.scandir(out):
        match = _LEFTOVER.match(entry.name)
        if not match or match.group("name").lstrip(".") not in known:
            continue
        if entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path, ignore_errors=True)
        else:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(entry.path)
        removed.append(entry.name)
    return sorted(removed)


def output_problem(error: OSError, out: Path) -> Exception:
    """What to raise for *error*, met writing the outputs into *out*: a ProjectError with one
    line naming the path and what to do when it is the output folder's (read-only, full,
    not permitted — the PDF writer's ENOSPC names no file), else *error* itself (a bug, or
    a project file that could not be read: not the output folder's)."""
    named = next((Path(os.fsdecode(n)) for n in (error.filename, error.filename2) if n), None)
    if error.errno not in FOLDER_ERRORS:
        return error
    if named is not None and not named.absolute().is_relative_to(out.absolute()) and not (
            out.absolute().is_relative_to(named.absolute())):
        return error
    where = named if named is not None and named != out else out
    if where.name.startswith("."):  # a temporary file: the folder is what the user named
        where = where.parent
    advice = _ADVICE.get(error.errno, "build into another folder with -o, or make this one "
                                      "writable")
    return ProjectError([Problem(
        f"cannot write the outputs here: {FOLDER_ERRORS[error.errno]} "
        f"({errno.errorcode[error.errno]}); {advice}", str(where), code="output-folder")])


def sha256_file(path: Path) -> str:
    """The SHA-256 of the file at *path*, as hexadecimal."""
    return file_digests(path, ("sha256",))["sha256"]


def file_digests(path: Path, algorithms: Iterable[str]) -> dict[str, str]:
    """The file at *path* hashed with each of *algorithms* (hashlib names) in one reading, in
    blocks (fonts, PDFs and packages can be large): name → hexadecimal digest."""
    digests = {name: hashlib.new(name) for name in algorithms}
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            for digest in digests.values():
                digest.update(block)
    return {name: digest.hexdigest() for name, digest in digests.items()}


def umask() -> int:
    """The process umask, read without os.umask (which would change it, racing other threads)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    return 0o022
