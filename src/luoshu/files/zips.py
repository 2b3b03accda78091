"""Zip files that are the same bytes whenever they are built from the same contents.

Python's zipfile stamps each entry with the current time and the builder's file modes, so two
builds of one book would differ. Every zip luoshu writes (the EPUB, the archive package) is
written by ``write_zip``: one date for every entry, fixed modes, entries in the order given.
"""

from __future__ import annotations

import datetime
import io
import shutil
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path

ZIP_EPOCH = datetime.datetime(1980, 1, 1, tzinfo=datetime.timezone.utc)  # zip dates start here
FILE_MODE = 0o644


def write_zip(destination: Path, entries: Iterable[tuple[str, bytes | Path]],
              modified: datetime.datetime, *, stored: Callable[[str], bool] = lambda name: True,
              mode: int = FILE_MODE) -> None:
    """Write the zip *destination* from *entries* (name, and the bytes or the file to store), in
    that order: every entry dated *modified* (UTC), made on Unix with *mode*, and stored when
    *stored* (name) says so, else deflated at level 9. Files are copied in blocks."""
    if modified.tzinfo is None:
        modified = modified.replace(tzinfo=datetime.timezone.utc)
    date_time = max(modified.astimezone(datetime.timezone.utc), ZIP_EPOCH).timetuple()[:6]
    with zipfile.ZipFile(destination, "w") as target:
        for name, content in entries:
            info = zipfile.ZipInfo(name, date_time)
            info.create_system = 3  # Unix, wherever the build runs
            info.external_attr = mode << 16
            info.compress_type = zipfile.ZIP_STORED if stored(name) else zipfile.ZIP_DEFLATED
            if isinstance(content, bytes):
                target.writestr(info, content, compresslevel=9)
                continue
            info.file_size = content.stat().st_size  # decides ZIP64 up front, as the size needs
            with open(content, "rb") as source, target.open(info, "w") as entry:
                shutil.copyfileobj(source, entry, 1 << 20)


def rewrite_reproducibly(archive: bytes, destination: Path, modified: datetime.datetime,
                         first: tuple[str, ...] = (), stored: tuple[str, ...] = (),
                         transform: Callable[[str, bytes], bytes] | None = None) -> None:
    """Copy the zip *archive* (bytes another library wrote) to *destination* with write_zip:
    names in *first* leading (in that order) and the rest kept in order; names in *stored*
    uncompressed. *transform*, when given, may change an entry's bytes on the way (name, data →
    data)."""
    with zipfile.ZipFile(io.BytesIO(archive)) as source:
        names = source.namelist()
        names = [n for n in first if n in names] + [n for n in names if n not in first]
        entries = ((name, (transform or _same)(name, source.read(name))) for name in names)
        write_zip(destination, entries, modified, stored=lambda name: name in stored)


def _same(name: str, data: bytes) -> bytes:
    return data
