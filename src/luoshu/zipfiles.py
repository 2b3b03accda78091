"""Zip files that are the same bytes whenever they are built from the same contents.

Python's zipfile stamps each entry with the current time and the builder's file modes, so two
builds of one book would differ. Outputs that are zips (the EPUB now, the archive package
later) are rewritten here with a fixed date, fixed modes and a stable entry order.
"""

from __future__ import annotations

import datetime
import io
import zipfile
from collections.abc import Callable
from pathlib import Path

ZIP_EPOCH = datetime.datetime(1980, 1, 1, tzinfo=datetime.timezone.utc)  # zip dates start here


def rewrite_reproducibly(archive: bytes, destination: Path, modified: datetime.datetime,
                         first: tuple[str, ...] = (), stored: tuple[str, ...] = (),
                         transform: Callable[[str, bytes], bytes] | None = None) -> None:
    """Copy the zip *archive* to *destination*: entries dated *modified*, mode 0644, names in
    *first* leading (in that order) and the rest kept in order; names in *stored* uncompressed.
    *transform*, when given, may change an entry's bytes on the way (name, data → data).
    """
    date_time = max(modified, ZIP_EPOCH).timetuple()[:6]
    with zipfile.ZipFile(io.BytesIO(archive)) as source, \
            zipfile.ZipFile(destination, "w") as target:
        names = source.namelist()
        names = [n for n in first if n in names] + [n for n in names if n not in first]
        for name in names:
            info = zipfile.ZipInfo(name, date_time)
            info.create_system = 3  # Unix, wherever the build runs
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_STORED if name in stored else zipfile.ZIP_DEFLATED
            data = source.read(name)
            if transform is not None:
                data = transform(name, data)
            target.writestr(info, data, compresslevel=9)
