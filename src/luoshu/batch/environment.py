"""What must be the same on every machine of a batch for a book to come out as the same bytes.

A worker's output is taken only when it was made by the same software with the same fonts as
the client would use: luoshu (its version and its files — templates and the default theme
change the outputs without a release), Python and the libraries the archive's build record
lists (luoshu.archive.record.LIBRARIES), Pango and HarfBuzz (line breaking and font subsets),
Ghostscript when the press PDF is built, and every font face the book uses, by SHA-256
(luoshu.archive.record.font_records). Each side describes itself with ``environment``; the
client compares with ``differences`` and names the worker when anything differs.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import os
import platform
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from importlib import metadata

import luoshu

from ..archive.record import LIBRARIES, font_records
from ..build.cache import luoshu_digest
from ..model import Book

# The parts of a font record that decide the bytes (the licence text is read from the file).
FONT_KEYS = ("role", "family", "file", "index", "weight", "sha256")
# Formats whose bytes go through Ghostscript (the press PDF's colour conversion).
GHOSTSCRIPT_FORMATS = ("pdf-press",)
_FONT_CACHE_SIZE = 64


def environment(book: Book, formats: Sequence[str]) -> dict:
    """This machine's software and *book*'s fonts, as a JSON-able mapping (see the module
    docstring); ``ghostscript`` only when *formats* include the press PDF."""
    found = dict(software())
    if not any(name in GHOSTSCRIPT_FORMATS for name in formats):
        found.pop("ghostscript")
    found["fonts"] = fonts_of(book)
    return found


def differences(here: Mapping, there: Mapping) -> list[str]:
    """What differs between the client's environment (*here*) and a worker's (*there*), one
    short phrase each ("weasyprint 71.0 there, 70.0 here"); empty when they agree."""
    found = []
    for key in sorted(set(here) | set(there)):
        if key == "fonts" or here.get(key) == there.get(key):
            continue
        if key == "luoshu-files":
            found.append("luoshu's installed files differ (its code, templates or theme)")
        else:
            found.append(f"{key} {there.get(key) or 'missing'} there, "
                         f"{here.get(key) or 'missing'} here")
    mine = {_face_key(face): face for face in here.get("fonts", ())}
    theirs = {_face_key(face): face for face in there.get("fonts", ())}
    for key in sorted(set(mine) | set(theirs)):
        if mine.get(key, {}).get("sha256") != theirs.get(key, {}).get("sha256"):
            role, family, file, _ = key
            if key not in theirs:
                found.append(f"font {family} ({file}, {role}) missing there")
            elif key not in mine:
                found.append(f"font {family} ({file}, {role}) there but not here")
            else:
                found.append(f"font {family} ({file}, {role}) has other contents there")
    return found


def _face_key(face: Mapping) -> tuple:
    return face.get("role"), face.get("family"), face.get("file"), face.get("index")


@functools.cache
def software() -> Mapping[str, str | None]:
    """The versions that decide the outputs' bytes, looked up once per process."""
    found: dict[str, str | None] = {
        "luoshu": luoshu.__version__,
        "luoshu-files": luoshu_digest(),
        "python": platform.python_version(),
    }
    for name in LIBRARIES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    found["pango"] = _pango_version()
    found["harfbuzz"] = _harfbuzz_version()
    found["ghostscript"] = _ghostscript_version()
    return found


def fonts_of(book: Book) -> list[dict]:
    """*book*'s font faces (luoshu.archive.record.font_records), without the licences.

    Hashing the CJK collections takes a tenth of a second per book; a batch uses the same few
    faces for every book, so the records are remembered per set of files, keyed by each file's
    path, size and modification time (a replaced font is hashed again)."""
    faces = []
    for role in book.fonts.roles:
        for face in role.faces:
            status = face.path.stat()
            faces.append((role.name, face.family, str(face.path), face.index, face.weight,
                          face.in_project, status.st_size, status.st_mtime_ns, status.st_ino))
    return [dict(record) for record in _font_records(tuple(faces), book)]


def _font_records(faces: tuple, book: Book) -> tuple[tuple, ...]:
    cached = _FONT_RECORDS.get(faces)
    if cached is None:
        cached = tuple(tuple((key, record.get(key)) for key in FONT_KEYS)
                       for record in font_records(book))
        if len(_FONT_RECORDS) >= _FONT_CACHE_SIZE:
            _FONT_RECORDS.pop(next(iter(_FONT_RECORDS)))
        _FONT_RECORDS[faces] = cached
    return cached


# A memo of a pure function of the font files (see fonts_of), never of the build's inputs.
_FONT_RECORDS: dict[tuple, tuple[tuple, ...]] = {}


def _pango_version() -> str | None:
    # Pango as WeasyPrint loads it, through its own binding.
    from weasyprint.text.ffi import pango

    number = pango.pango_version()  # e.g. 15012 for 1.50.12
    return f"{number // 10000}.{number // 100 % 100}.{number % 100}"


def _harfbuzz_version() -> str | None:
    """HarfBuzz's version, and whether its subsetter (which WeasyPrint uses when present to
    subset fonts, with other bytes than fontTools) is installed."""
    name = ctypes.util.find_library("harfbuzz")
    if name is None:
        return None
    try:
        version_string = ctypes.CDLL(name).hb_version_string
    except (OSError, AttributeError):
        return None
    version_string.restype = ctypes.c_char_p
    version = version_string().decode("ascii", "replace")
    subset = ctypes.util.find_library("harfbuzz-subset") is not None
    return version + ("" if subset else " (without hb-subset)")


def _ghostscript_version() -> str | None:
    gs = shutil.which("gs")
    if gs is None:
        return None
    try:
        done = subprocess.run([gs, "--version"], capture_output=True, text=True, timeout=60,
                              env={**os.environ, "LC_ALL": "C"})
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() or None
