"""``luoshu verify PATH``: what an archivist runs on an archive package when it arrives.

A deposit is accepted once it is shown to be whole and to be what it says it is, and checked
again every few years (bit rot, careless copies). One run reports every problem it finds, each
naming a file relative to the bag, so that a failed transfer can be answered in one message:

1. the bag is valid BagIt: every payload file and tag file has the checksums its manifests
   give, Payload-Oxum matches, nothing is missing or extra (``bagit.Bag.validate``; bagit
   stops at its first failing stage, so the later stages are carried on here);
2. the package holds what luoshu puts in it: one PDF and one EPUB under data/,
   data/metadata/dc.xml and data/metadata/build.json;
3. the records agree with the payload: dc.xml has a title, an identifier and a language;
   build.json's ``inputs`` are exactly the files under data/source/ (SHA-256 and size), its
   ``outputs`` the PDF and the EPUB;
4. the PDF is PDF/A-2 (luoshu.pdf.pdfa_check) and the EPUB passes EPUBCheck.

A zip is checked before anything is extracted (luoshu.archive.bag.unpack): its names, and the
sizes its directory declares — every entry inflating at most 100 times, 64 GiB and 100,000
entries at most, and no more than the temporary folder has room for — so a zip bomb is refused
without a byte written; each entry is then copied no further than the size it declared.

Problem codes: ``verify-bag`` (BagIt, or a zip that cannot be read), ``verify-missing``,
``verify-record`` (dc.xml, build.json and their agreement with the files), ``verify-pdfa``,
``verify-epub``, ``archive-unsafe`` (names or sizes no package has), ``verify-space`` (no room
to unpack); and, as warnings, ``verify-unlisted``: a file the package holds that no build
record lists.
"""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import subprocess
import tempfile
import zipfile
from pathlib import Path

import bagit
from lxml import etree

from ..errors import Problem, ProjectError
from ..files.output import file_digests, sha256_file
from .record import DC

DC_REQUIRED = ("title", "identifier", "language")
# Unpacking fails for want of room or rights in the temporary folder: the machine's to fix.
ROOM_ERRORS = (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM)
METADATA = ("data/metadata/dc.xml", "data/metadata/build.json")

# bagit logs each failure it finds as a warning, and Python prints warnings of loggers without
# a handler on stderr: the same findings would appear twice, once without context. A program
# that configures logging still gets them.
logging.getLogger("bagit").addHandler(logging.NullHandler())


def verify(path: Path, epubcheck: bool = True) -> list[Problem]:
    """Every problem with the archive package at *path*: a bag folder or its zip. An empty list
    means the package is whole and conforming. *epubcheck* False skips EPUBCheck (it needs
    Java and takes seconds)."""
    path = Path(path)
    if path.is_dir():
        return _verify_bag(path, epubcheck)
    if not path.is_file():
        return [Problem(f"no such file or folder: {path}", code="verify-missing")]
    from .bag import unpack

    with tempfile.TemporaryDirectory(prefix="luoshu-verify-") as scratch:
        try:
            bag = unpack(path, Path(scratch))
        except ProjectError as error:
            return list(error.problems)
        except OSError as error:
            if error.errno in ROOM_ERRORS:  # the machine's, not the package's
                return [Problem(f"cannot unpack it into {scratch}: {error.strerror}; make room "
                                "(or set TMPDIR to another folder) and verify it again",
                                path.name, code="verify-space")]
            return [_damaged(path, error)]
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError) as error:
            return [_damaged(path, error)]
        return _verify_bag(bag, epubcheck)


def _damaged(path: Path, error: Exception) -> Problem:
    return Problem(f"not a readable zip file ({error}): the package is damaged or incomplete; "
                   "ask for it again", path.name, code="verify-bag")



def _verify_bag(folder: Path, epubcheck: bool) -> list[Problem]:
    if not (folder / "bagit.txt").is_file():
        return [Problem("not a bag: there is no bagit.txt (give the bag folder, the one "
                        "holding bagit.txt and data/, or its .zip)", "bagit.txt",
                        code="verify-bag")]
    problems = bag_problems(folder)
    pdf, epub = _renderings(folder, problems)
    for relative in METADATA:
        if not (folder / relative).is_file():
            problems.append(Problem("missing: every archive package carries it",
                                    relative, code="verify-missing"))
    problems += dublin_core_problems(folder)
    problems += build_record_problems(folder)
    if pdf is not None:
        problems += pdf_problems(folder, pdf)
    if epub is not None and epubcheck:
        problems += epub_problems(folder, epub)
    return problems


# --- BagIt --------------------------------------------------------------------------------------


def bag_problems(folder: Path) -> list[Problem]:
    """The bag's own checks: structure, Payload-Oxum, completeness and every checksum."""
    try:
        bag = bagit.Bag(str(folder))
    except (bagit.BagError, OSError, UnicodeError, ValueError) as error:
        return [Problem(f"not a valid bag: {error}", code="verify-bag")]
    try:
        bag.validate()
        return []
    except bagit.BagValidationError as error:
        problems = [_detail_problem(detail) for detail in error.details]
        if not error.details:
            where = "bag-info.txt" if "Payload-Oxum" in error.message else None
            problems.append(Problem(f"BagIt: {error.message}", where, code="verify-bag"))
        # bagit checks in stages — Payload-Oxum, then missing or extra files, then checksums —
        # and stops at the first that fails: go on, so that one run names every damaged file.
        if not any(isinstance(d, bagit.ChecksumMismatch) for d in error.details):
            if not error.details:
                problems += _completeness_problems(bag)
            problems += _checksum_problems(folder, bag)
        return problems
    except (bagit.BagError, OSError, UnicodeError, ValueError) as error:
        return [Problem(f"not a valid bag: {error}", code="verify-bag")]


def _detail_problem(detail: Exception) -> Problem:
    path = Path(getattr(detail, "path", "") or "").as_posix() or None
    if isinstance(detail, bagit.ChecksumMismatch):
        if str(detail.found).startswith("Could not read"):
            return Problem("cannot be read", path, code="verify-bag")
        return _mismatch(path, detail.algorithm, detail.expected, detail.found)
    if isinstance(detail, bagit.FileMissing):
        return Problem("listed in the bag's manifests but missing", path, code="verify-bag")
    if isinstance(detail, bagit.UnexpectedFile):
        return Problem("in the bag but in none of its manifests (added after bagging?)", path,
                       code="verify-bag")
    return Problem(f"BagIt: {detail}", path, code="verify-bag")


def _mismatch(path: str | None, algorithm: str, expected: str, found: str) -> Problem:
    return Problem(f"{algorithm} checksum differs from the manifest: the file changed after "
                   f"bagging (manifest {expected[:16]}…, file {found[:16]}…)", path,
                   code="verify-bag")


def _completeness_problems(bag: bagit.Bag) -> list[Problem]:
    missing, extra = bag.compare_manifests_with_fs()
    return ([_detail_problem(bagit.FileMissing(p)) for p in sorted(missing)]
            + [_detail_problem(bagit.UnexpectedFile(p)) for p in sorted(extra)])


def _checksum_problems(folder: Path, bag: bagit.Bag) -> list[Problem]:
    """Each file the manifests list and the bag has, checked against every listed checksum
    (what bagit's last stage does, when an earlier stage stopped it)."""
    problems = []
    for relative, expected in sorted(bag.entries.items()):
        path = folder / relative  # bagit refused manifest paths leading out of the bag
        if not path.is_file():
            continue  # reported as missing
        digests = file_digests(path, [name for name in expected
                                      if name in hashlib.algorithms_available])
        for name, digest in sorted(digests.items()):
            if digest != expected[name].lower():
                problems.append(_mismatch(Path(relative).as_posix(), name, expected[name],
                                          digest))
    return problems


# --- what the package holds ---------------------------------------------------------------------


def _renderings(folder: Path, problems: list[Problem]) -> tuple[Path | None, Path | None]:
    """The PDF and the EPUB directly under data/, with a problem unless there is one of each."""
    found = []
    for suffix, what in ((".pdf", "PDF"), (".epub", "EPUB")):
        data = folder / "data"
        files = sorted(p for p in data.glob(f"*{suffix}") if p.is_file()) if data.is_dir() else []
        if len(files) != 1:
            names = ", ".join(p.name for p in files)
            problems.append(Problem(
                f"the package should hold one {what} under data/, and holds "
                f"{len(files)}{f' ({names})' if names else ''}", "data", code="verify-missing"))
        found.append(files[0] if len(files) == 1 else None)
    return found[0], found[1]


def dublin_core_problems(folder: Path) -> list[Problem]:
    """dc.xml parses and gives the book's title, identifier and language."""
    relative = METADATA[0]
    path = folder / relative
    if not path.is_file():
        return []  # reported as missing
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        root = etree.parse(str(path), parser).getroot()
    except etree.XMLSyntaxError as error:
        return [Problem(f"not well-formed XML: {error}", relative, code="verify-record")]
    problems = []
    for name in DC_REQUIRED:
        values = [e.text for e in root.iter(f"{{{DC}}}{name}") if (e.text or "").strip()]
        if not values:
            problems.append(Problem(f"no dc:{name}: a catalogue needs it", relative,
                                    code="verify-record"))
    return problems


def build_record_problems(folder: Path) -> list[Problem]:
    """build.json parses, and its inputs and outputs are the package's files."""
    relative = METADATA[1]
    path = folder / relative
    if not path.is_file():
        return []  # reported as missing
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeError) as error:
        return [Problem(f"not valid JSON: {error}", relative, code="verify-record")]
    if not isinstance(record, dict):
        return [Problem("not a JSON object", relative, code="verify-record")]
    problems: list[Problem] = []
    source = folder / "data" / "source"
    on_disk = {p.relative_to(source).as_posix(): p
               for p in (source.rglob("*") if source.is_dir() else ()) if p.is_file()}
    problems += _compare(relative, "inputs", "path", record.get("inputs"), on_disk,
                         "data/source/")
    data = folder / "data"
    renderings = {p.name: p for p in (data.iterdir() if data.is_dir() else ())
                  if p.is_file() and p.suffix in (".pdf", ".epub")}
    problems += _compare(relative, "outputs", "file", record.get("outputs"), renderings,
                         "data/")
    known = {*METADATA, *(f"data/{name}" for name in renderings)}
    for path in sorted(data.rglob("*") if data.is_dir() else ()):
        name = path.relative_to(folder).as_posix()
        if path.is_file() and name not in known and not name.startswith("data/source/"):
            problems.append(Problem(_UNLISTED, name, code="verify-unlisted", severity="warning"))
    return problems


# A file a package holds that its build record does not list is no part of the book as built:
# a warning (the bag's checksums still vouch for its bytes), for the archivist to ask about.
_UNLISTED = ("in the package, but no build record lists it (build.json names the sources and "
             "the renderings): not what the build made; ask the sender what it is")


def _compare(record_path: str, key: str, name_key: str, entries: object,
             files: dict[str, Path], prefix: str) -> list[Problem]:
    """Problems where build.json's list *key* and *files* (name → path) disagree: a listed file
    missing, a file not listed, a size or SHA-256 that differs."""
    if not isinstance(entries, list) or not all(
            isinstance(e, dict) and isinstance(e.get(name_key), str) for e in entries):
        return [Problem(f"build.json has no valid {key!r} list (objects with {name_key!r}, "
                        "'bytes' and 'sha256')", record_path, code="verify-record")]
    problems = []
    listed = set()
    for entry in entries:
        name = entry[name_key]
        listed.add(name)
        path = files.get(name)
        if path is None:
            problems.append(Problem(f"listed in build.json's {key} but not in the package",
                                    prefix + name, code="verify-record"))
            continue
        size, digest = path.stat().st_size, sha256_file(path)
        if entry.get("sha256") != digest or entry.get("bytes") != size:
            problems.append(Problem(
                f"differs from build.json's {key}: recorded {entry.get('bytes')} bytes, SHA-256 "
                f"{str(entry.get('sha256'))[:16]}…; found {size} bytes, {digest[:16]}…",
                prefix + name, code="verify-record"))
    for name in sorted(set(files) - listed):
        problems.append(Problem(f"not listed in build.json's {key}: {_UNLISTED}", prefix + name,
                                code="verify-unlisted", severity="warning"))
    return problems


# --- the renderings -----------------------------------------------------------------------------


def pdf_problems(folder: Path, pdf: Path) -> list[Problem]:
    """The PDF checked by luoshu's own PDF/A-2 checker."""
    relative = pdf.relative_to(folder).as_posix()
    try:
        from ..pdf.pdfa_check import pdfa_problems as check
    except ImportError as error:
        return [Problem(f"cannot check PDF/A-2 conformance: {error}", relative,
                        code="verify-pdfa")]
    try:
        found = check(pdf)
    except Exception as error:  # noqa: BLE001 - a damaged PDF may break any parser: report it
        detail = str(error).replace(str(pdf), relative)  # the scratch folder means nothing
        return [Problem(f"cannot be read as a PDF: {detail}", relative, code="verify-pdfa")]
    return [Problem(f"not PDF/A-2: {message}", relative, code="verify-pdfa") for message in found]


def epub_problems(folder: Path, epub: Path) -> list[Problem]:
    """The EPUB checked by EPUBCheck: its errors are problems, its warnings warnings. When
    EPUBCheck cannot run, that is a problem too: an unchecked EPUB is not a verified one."""
    from ..epub.validate import EpubCheckUnavailable, run_epubcheck

    relative = epub.relative_to(folder).as_posix()
    try:
        result = run_epubcheck(epub)
    except (EpubCheckUnavailable, RuntimeError, OSError, subprocess.TimeoutExpired) as error:
        return [Problem(f"EPUBCheck could not check it: {error}", relative, code="verify-epub")]
    return ([Problem(f"EPUBCheck: {m}", relative, code="verify-epub") for m in result.errors]
            + [Problem(f"EPUBCheck: {m}", relative, code="verify-epub", severity="warning")
               for m in result.warnings])
