"""The archive package for legal deposit: the book, its metadata and its sources in one BagIt bag.

A deposit library wants one object it can check on receipt and every few years after: the
renderings of the book, what they are, and what they were made from. BagIt (RFC 8493; made
here with the Library of Congress's ``bagit`` library) is the packaging archives already
handle: a folder whose payload is listed in checksum manifests (SHA-256 and SHA-512), with a
``bag-info.txt`` naming who sent it and what it is. The bag is delivered zipped, and the build
also unpacks it beside the zip for those who want a folder (``unpack``)::

    book-archive.zip
    └── book-archive/                  named after the archive: <basename>-archive
        ├── bagit.txt                  BagIt-Version, Tag-File-Character-Encoding
        ├── bag-info.txt               Source-Organization, External-Identifier, …
        ├── manifest-sha256.txt        every payload file's checksum
        ├── manifest-sha512.txt
        ├── tagmanifest-sha256.txt     the checksums of the four files above
        ├── tagmanifest-sha512.txt
        └── data/
            ├── book.pdf               the archival PDF (PDF/A-2u)
            ├── book.epub              the EPUB 3
            ├── metadata/
            │   ├── dc.xml             Dublin Core (luoshu.archive.record.dublin_core)
            │   └── build.json         versions, timestamp, inputs, fonts, outputs
            └── source/                the files the build read, byte for byte:
                ├── book.toml          (luoshu.archive.record.project_inputs: nothing else)
                ├── manuscript/…       the sections in the book, captions.toml, the photos used
                ├── styles/…           the stylesheets and what they name
                └── fonts/…            fonts.toml and the project fonts the roles use

``bag-info.txt`` holds Source-Organization (the publisher; left out when book.toml names none,
rather than putting an author — a person — where archives expect an organisation; the authors
are in dc.xml), External-Identifier (the book's identifier), External-Description (the title,
with its subtitle), Bagging-Date, Payload-Oxum and Bag-Software-Agent (bagit's, with its
version).

Reproducibility: the package is the same bytes whenever the same sources are built with the
same software, wherever and whenever. Its one date is *modified*, which the build takes from
luoshu.build.stages.modification_time: SOURCE_DATE_EPOCH when set (the standard way to pin a release),
else the book's date from book.toml, else the newest source file's modification time. It is
the Bagging-Date (its day, in UTC — not the day the bag was made), dcterms:modified in dc.xml,
``modified`` in build.json and the date of every zip entry. Beyond that:

- bagit sorts the payload manifests, but lists the tag manifests in the order the file system
  returns the bag's top folder (``os.listdir``), which differs between file systems: their
  lines are sorted here once bagit is done (nothing checksums the tag manifests, so sorting
  them changes no other file);
- the zip lists its entries sorted by name, dated *modified*, mode 0644, without folder entries
  or extra fields, and *stored* rather than deflated: the payload is mostly compressed already
  (PDF streams, the EPUB, JPEG and PNG photos), a stored file can be read by the simplest tools
  and a damaged byte harms one file only, and the bytes do not depend on the zlib build (zlib
  and zlib-ng deflate the same data differently);
- the bag is made in a temporary folder beside *destination* (never in the project), whose
  name appears nowhere in the package.

bagit's ``make_bag`` changes the process's working folder while it runs. luoshu uses absolute
paths throughout, and bagging is serialized by a lock, so builds in parallel threads are safe;
other code of the same process that relies on the working folder is not, while a bag is made.
"""

from __future__ import annotations

import calendar
import datetime as _dt
import os
import shutil
import stat
import threading
import zipfile
from pathlib import Path, PurePosixPath

import bagit

from ..errors import Problem, ProjectError
from ..files.output import scratch_beside, sha256_file, written_beside
from ..files.text import clipped
from ..files.zips import FILE_MODE, write_zip
from ..model import Book
from .record import InputFile, build_record, dublin_core, full_title, project_inputs

CHECKSUMS = ("sha256", "sha512")
_BAGGING = threading.Lock()  # make_bag changes the working folder: one bag at a time


def bag_name(book: Book) -> str:
    """The bag's folder name, which is also the archive's file stem: ``book-archive``.

    It comes from the book, not from the destination's name: during a build the destination is
    a temporary file, and the package must not depend on what it is called."""
    return f"{book.config.output.basename}-archive"


def write_archive(book: Book, destination: Path, modified: _dt.datetime, pdfa: Path,
                  epub: Path) -> None:
    """Write the archive package of *book* to *destination* (a zip holding one bag): the
    archival PDF *pdfa*, the EPUB *epub*, dc.xml, build.json and the sources (see the module
    docstring). Raises ProjectError when a source file is refused or changes meanwhile."""
    destination = Path(destination).absolute()
    basename = book.config.output.basename
    inputs = project_inputs(book)
    with scratch_beside(destination) as scratch, written_beside(destination) as packed:
        bag = scratch / bag_name(book)
        bag.mkdir()
        # Everything is laid out as the payload will be; make_bag moves it into data/.
        pdf_copy, epub_copy = bag / f"{basename}.pdf", bag / f"{basename}.epub"
        shutil.copyfile(pdfa, pdf_copy)
        shutil.copyfile(epub, epub_copy)
        _copy_sources(inputs, bag / "source")
        (bag / "metadata").mkdir()
        (bag / "metadata" / "dc.xml").write_bytes(dublin_core(book, modified))
        record = build_record(book, modified, {"pdfa": pdf_copy, "epub": epub_copy}, inputs)
        (bag / "metadata" / "build.json").write_bytes(record)
        _make_bag(bag, _bag_info(book, modified))
        _zip_folder(bag, packed, modified)


def _bag_info(book: Book, modified: _dt.datetime) -> dict[str, str]:
    """bag-info.txt's fields; bagit adds Payload-Oxum and Bag-Software-Agent."""
    if modified.tzinfo is None:
        modified = modified.replace(tzinfo=_dt.timezone.utc)
    info = {
        "External-Identifier": book.meta.identifier,
        "External-Description": full_title(book),
        # bagit would write today's date: the package would change every day.
        "Bagging-Date": modified.astimezone(_dt.timezone.utc).date().isoformat(),
    }
    if book.meta.publisher:
        info["Source-Organization"] = book.meta.publisher
    return info


def _copy_sources(inputs: tuple[InputFile, ...], folder: Path) -> None:
    """Copy each input file under *folder*, checking it is still what build.json records."""
    changed = []
    for item in inputs:
        target = folder / PurePosixPath(item.path)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(item.source, target)
        if target.stat().st_size != item.bytes or sha256_file(target) != item.sha256:
            changed.append(Problem("the file changed while the archive was being written: "
                                   "build again once nothing is editing the project",
                                   item.path, code="archive-changed"))
    if changed:
        raise ProjectError(changed)


def _make_bag(folder: Path, info: dict[str, str]) -> None:
    """Turn *folder* into a bag (its contents become data/), with reproducible tag files."""
    with _BAGGING:
        bagit.make_bag(str(folder), bag_info=dict(info), checksums=list(CHECKSUMS))
    for algorithm in CHECKSUMS:
        _sort_manifest(folder / f"tagmanifest-{algorithm}.txt")


def _sort_manifest(path: Path) -> None:
    """Sort a manifest's lines by file path (bagit writes tag manifests in os.listdir order)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    lines.sort(key=lambda line: line.split(maxsplit=1)[-1])
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8", newline="\n")


def _zip_folder(folder: Path, target: Path, modified: _dt.datetime) -> None:
    """Zip *folder* as a single top folder of its name into *target*, reproducibly (see the
    module docstring): sorted names, one date, fixed modes, stored."""
    files = sorted((path.relative_to(folder.parent).as_posix(), path)
                   for path in folder.rglob("*") if path.is_file())
    write_zip(target, files, modified, mode=stat.S_IFREG | FILE_MODE)


# --- unpacking ----------------------------------------------------------------------------------


def unpack(archive: Path, folder: Path) -> Path:
    """Extract the zip *archive* into *folder* and return the bag folder it holds.

    The zip may come from anywhere (an archivist verifies what was sent), so it is checked
    before anything is written: one top folder, no absolute names, no ``..``, no backslashes,
    no symlinks or other special files, no name twice; and its sizes (``_check_sizes``), so
    that a zip bomb is refused from its directory, not after gigabytes are written — and each
    entry is copied no further than the size it declares. Raises ProjectError naming every
    such entry, zipfile.BadZipFile for a damaged zip (a checksum that fails while extracting,
    too), and FileExistsError when *folder* already holds a folder of the bag's name.
    """
    archive, folder = Path(archive), Path(folder)
    with zipfile.ZipFile(archive) as package:
        entries = package.infolist()
        top = _check_entries(archive.name, entries)
        folder.mkdir(parents=True, exist_ok=True)
        _check_sizes(archive.name, entries, folder)
        bag = folder / top
        bag.mkdir()
        root = bag.resolve()
        for entry in entries:
            target = folder / PurePosixPath(entry.filename)
            if not target.resolve().is_relative_to(root):  # names were checked: never expected
                raise ProjectError([Problem("refused: it would land outside the bag folder",
                                            entry.filename, code="archive-unsafe")])
            if entry.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            with package.open(entry) as source, open(target, "wb") as copy:
                _copy_at_most(source, copy, entry, archive.name)  # the CRC is checked at the end
            moment = calendar.timegm((*entry.date_time, 0, 0, 0))
            os.utime(target, (moment, moment))
    return bag


# What a package may unpack to. luoshu's own packages are stored, not compressed (ratio 1), and
# even a re-zipped one compresses its PDF, EPUB and photos barely: an entry that inflates more
# than MAX_RATIO times (beyond a first RATIO_GRACE bytes, where text and metadata files may) is
# a zip bomb. MAX_ENTRIES and MAX_UNPACKED_BYTES bound the rest; the free space of the folder
# it unpacks into is asked for too.
MAX_RATIO = 100
RATIO_GRACE = 1 << 20
MAX_ENTRIES = 100_000
MAX_UNPACKED_BYTES = 64 << 30


def _check_sizes(where: str, entries: list[zipfile.ZipInfo], folder: Path) -> None:
    """ProjectError when the sizes the zip's directory declares are those of a zip bomb, or
    more than *folder*'s file system has room for; nothing is decompressed to tell."""
    problems = []
    for entry in entries:
        if entry.file_size > RATIO_GRACE and entry.file_size > MAX_RATIO * max(
                entry.compress_size, 1):
            problems.append(Problem(
                f"refused zip entry {clipped(entry.filename)!r}: it would inflate "
                f"{entry.compress_size:,} bytes to {entry.file_size:,} "
                f"({entry.file_size // max(entry.compress_size, 1):,} times; a package's "
                f"entries inflate at most {MAX_RATIO} times): a zip bomb, or not a luoshu "
                "package", where, code="archive-unsafe"))
    total = sum(entry.file_size for entry in entries)
    if len(entries) > MAX_ENTRIES:
        problems.append(Problem(f"the zip holds {len(entries):,} entries, more than a package "
                                f"has ({MAX_ENTRIES:,})", where, code="archive-unsafe"))
    elif total > MAX_UNPACKED_BYTES:
        problems.append(Problem(f"the zip would unpack to {total / 2**30:,.1f} GiB, more than a "
                                f"package may ({MAX_UNPACKED_BYTES >> 30} GiB)", where,
                                code="archive-unsafe"))
    elif not problems and total > shutil.disk_usage(folder).free:
        problems.append(Problem(
            f"the zip unpacks to {total / 2**30:,.1f} GiB, and {folder} has "
            f"{shutil.disk_usage(folder).free / 2**30:,.1f} GiB free: make room (or set TMPDIR "
            "to a larger folder) and verify it again", where, code="archive-space"))
    if problems:
        raise ProjectError(problems)


def _copy_at_most(source, target, entry: zipfile.ZipInfo, where: str) -> None:
    """Copy the entry *source* to *target* in blocks, never past the size it declares (zipfile
    stops there too; this does not rely on it)."""
    left = entry.file_size
    for block in iter(lambda: source.read(1 << 20), b""):
        left -= len(block)
        if left < 0:
            raise ProjectError([Problem(f"refused zip entry {clipped(entry.filename)!r}: it "
                                        "holds more than it declares", where,
                                        code="archive-unsafe")])
        target.write(block)


def _check_entries(where: str, entries: list[zipfile.ZipInfo]) -> str:
    """The single top folder of a zip's *entries*; ProjectError naming every unsafe entry."""
    problems: list[Problem] = []
    tops: set[str] = set()
    seen: set[str] = set()

    def refuse(entry: zipfile.ZipInfo, why: str) -> None:
        problems.append(Problem(f"refused zip entry {entry.filename!r}: {why}", where,
                                code="archive-unsafe"))

    for entry in entries:
        name = entry.filename
        parts = name.rstrip("/").split("/")
        kind = stat.S_IFMT(entry.external_attr >> 16) if entry.create_system == 3 else 0
        if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
            refuse(entry, "an absolute name")
        elif "\\" in name or "\0" in name:
            refuse(entry, "a backslash or NUL in the name")
        elif any(part in ("", ".", "..") for part in parts):
            refuse(entry, "'..', '.' or an empty part in the name")
        elif kind == stat.S_IFLNK:
            refuse(entry, "a symbolic link")
        elif kind not in (0, stat.S_IFREG, stat.S_IFDIR):
            refuse(entry, "not a regular file or folder")
        elif entry.flag_bits & 0x1:
            refuse(entry, "encrypted")
        elif name.rstrip("/") in seen:
            refuse(entry, "the name appears twice")
        elif len(parts) == 1 and not entry.is_dir():
            refuse(entry, "a file beside the bag folder")
        else:
            seen.add(name.rstrip("/"))
            tops.add(parts[0])
    if not problems and len(tops) != 1:
        problems.append(Problem(f"the zip holds {len(tops)} top-level folders "
                                f"({', '.join(sorted(tops)) or 'none'}); an archive package "
                                "holds exactly one, the bag", where, code="archive-unsafe"))
    if problems:
        raise ProjectError(problems)
    return tops.pop()
