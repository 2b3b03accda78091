"""Writing outputs whole or not at all, and the one way luoshu hashes a file.

Every output (a PDF, the EPUB, the archive zip, manifest.json, the bag folder) is written
under a temporary name *beside* its destination and renamed over it only when it is complete:
a rename within one folder is atomic, so a reader, a web server or a crashed build sees either
the earlier file or the new one, never half of one.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

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
