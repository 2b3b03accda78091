"""What an archive package says about itself: a Dublin Core record and a build record.

A library that takes a book on legal deposit keeps it for decades, long after the machine, the
fonts and luoshu itself have changed. Two files travel with the book so that it can be
catalogued and, if need be, rebuilt:

- ``metadata/dc.xml``: the book described in Dublin Core (the element set every catalogue and
  repository reads), with DCMI's encoding schemes named by ``xsi:type`` where a value follows
  one (W3CDTF dates, RFC 5646 language tags, media types);
- ``metadata/build.json``: how the outputs were made — luoshu, Python and library versions, the
  timestamp and where it came from, every project file the build read (with its SHA-256), the
  fonts with their licences, and the outputs themselves.

Both are pure functions of the book, the timestamp and the files: no absolute path, no host
name, no "now", so two builds of the same sources with the same software give the same bytes
on any machine. Project files are listed and read only through ``ProjectFiles``: a symlink that
leads out of the project is refused here as everywhere else in luoshu.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import posixpath
import re
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from lxml import etree

import luoshu

from ..errors import Problem, ProjectError
from ..files.gate import ProjectFiles, RefusedResource
from ..files.output import sha256_file
from ..files.paths import BOOK_TOML, CAPTIONS, FONTS_TOML, MANUSCRIPT
from ..markup.untrusted import named_file, project_stylesheets, stylesheet_references
from ..model import Book
from ..project.editions import overrides_path

DC = "http://purl.org/dc/elements/1.1/"
DCTERMS = "http://purl.org/dc/terms/"
XSI = "http://www.w3.org/2001/XMLSchema-instance"

RECORD_VERSION = 1  # bump when build.json changes shape, so readers can tell records apart

# The libraries whose versions decide the outputs' bytes (layout, PDF writing, EPUB packaging,
# fonts, images, Markdown) and the package itself. Looked up by distribution name.
LIBRARIES = ("weasyprint", "pydyf", "tinycss2", "ebooklib", "fonttools", "Pillow", "lxml",
             "Markdown", "pymdown-extensions", "Jinja2", "pikepdf", "bagit")

LICENCE_CHARACTERS = 200  # the licence description is kept short: its start says which licence

# Characters XML 1.0 cannot carry at all (C0 controls other than tab and line ends, and the
# two non-characters U+FFFE/U+FFFF): dropped from metadata rather than failing the build.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass(frozen=True)
class InputFile:
    """One project file the build used."""

    path: str  # relative to the project, POSIX, e.g. "manuscript/photos/street.jpg"
    bytes: int
    sha256: str
    source: Path  # where it was read, resolved by ProjectFiles (never written to a record)


# --- dc.xml -------------------------------------------------------------------------------------


def dublin_core(book: Book, modified: _dt.datetime) -> bytes:
    """``metadata/dc.xml``: the book's metadata as a Dublin Core record (UTF-8, indented).

    Dublin Core has no subtitle: dc:title is the title alone (what catalogues match on) and,
    when there is a subtitle, dcterms:alternative is the full title as the copyright page
    prints it ("title subtitle"). An ISBN identifier is given twice, as the URN book.toml
    holds and in the "ISBN …" form printed on the book.
    """
    meta = book.meta
    root = etree.Element("metadata", nsmap={"dc": DC, "dcterms": DCTERMS, "xsi": XSI})

    def add(namespace: str, name: str, value: str | None, scheme: str | None = None) -> None:
        if value is None or not str(value).strip():
            return
        element = etree.SubElement(root, f"{{{namespace}}}{name}")
        element.text = _NOT_XML.sub("", str(value))
        if scheme:
            element.set(f"{{{XSI}}}type", f"dcterms:{scheme}")

    add(DC, "title", meta.title)
    if meta.subtitle:
        add(DCTERMS, "alternative", full_title(book))
    for author in meta.authors:
        add(DC, "creator", author)
    add(DC, "publisher", meta.publisher)
    add(DC, "date", meta.date.isoformat() if meta.date else None, "W3CDTF")
    add(DC, "identifier", meta.identifier, "URI")
    isbn = isbn_of(meta.identifier)
    if isbn:
        add(DC, "identifier", f"ISBN {isbn}")
    add(DC, "language", meta.language, "RFC5646")
    add(DC, "description", meta.description)
    for subject in meta.subjects:
        add(DC, "subject", subject)
    add(DC, "rights", meta.rights)
    add(DC, "type", "Text", "DCMIType")
    # The package always holds both renderings of the book: the archival PDF and the EPUB.
    add(DC, "format", "application/pdf", "IMT")
    add(DC, "format", "application/epub+zip", "IMT")
    add(DCTERMS, "modified", utc_timestamp(modified), "W3CDTF")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def full_title(book: Book) -> str:
    """The title with its subtitle, joined as the copyright page joins them."""
    meta = book.meta
    return meta.title + (f" {meta.subtitle}" if meta.subtitle else "")


def isbn_of(identifier: str) -> str | None:
    """The ISBN of a ``urn:isbn:`` identifier, as written there; None for other identifiers."""
    if identifier.lower().startswith("urn:isbn:"):
        return identifier[len("urn:isbn:"):] or None
    return None


def utc_timestamp(moment: _dt.datetime) -> str:
    """``2024-05-01T00:00:00Z``: the form of dcterms:modified in the EPUB (naive means UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_dt.timezone.utc)
    return moment.astimezone(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- build.json ---------------------------------------------------------------------------------


def build_record(book: Book, modified: _dt.datetime, outputs: Mapping[str, Path],
                 inputs: Sequence[InputFile] | None = None) -> bytes:
    """``metadata/build.json``: what made the outputs, and from what (see the module docstring).

    *outputs* maps format names ("pdfa", "epub") to the files as they are named in the
    package: only their names are recorded. *inputs* is ``project_inputs(book)`` when the
    caller has it already (the archive copies exactly those files); otherwise it is read here.
    Raises ProjectError when a project file is refused (a symlink out of the project).
    """
    if inputs is None:
        inputs = project_inputs(book)
    record = {
        "record_version": RECORD_VERSION,
        "luoshu": luoshu.__version__,
        "python": platform.python_version(),
        "libraries": {name: _version(name) for name in LIBRARIES},
        "identifier": book.meta.identifier,
        "modified": utc_timestamp(modified),
        "modified_from": modified_from(book, modified),
        "inputs": [{"path": item.path, "bytes": item.bytes, "sha256": item.sha256}
                   for item in inputs],
        "fonts": font_records(book),
        "outputs": [{"format": name, "file": path.name, "bytes": path.stat().st_size,
                     "sha256": sha256_file(path)}
                    for name, path in sorted(outputs.items(), key=lambda kv: kv[1].name)],
    }
    text = json.dumps(record, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    return text.encode("utf-8")


def modified_from(book: Book, modified: _dt.datetime) -> str:
    """Where the build's timestamp came from, as luoshu.build.stages.modification_time chooses it:
    "SOURCE_DATE_EPOCH", "book date" (book.toml's [book] date), or "other" (the newest source
    file, or a time the caller chose). Recorded so that an archivist knows whether the date
    means something (a release pinned it) or is incidental."""
    if modified.tzinfo is None:
        modified = modified.replace(tzinfo=_dt.timezone.utc)
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit() and int(epoch) == int(modified.timestamp()):
        return "SOURCE_DATE_EPOCH"
    if book.meta.date and modified == _dt.datetime.combine(
            book.meta.date, _dt.time(), tzinfo=_dt.timezone.utc):
        return "book date"
    return "other"


def _version(distribution: str) -> str | None:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


# --- inputs -------------------------------------------------------------------------------------


def project_inputs(book: Book) -> tuple[InputFile, ...]:
    """Every project file the build read, sorted by path, and nothing else: book.toml, the
    sections in the book, captions.toml, fonts/fonts.toml and each edition's overrides (when
    there), the photos used and the EPUB's cover, the stylesheets with the project files they
    name (@import, images, fonts), the project's font files the roles use, and the press
    profile. Not a folder's every file: notes beside the manuscript, a stray photo, an output
    folder inside the project (``-o manuscript/out``) are no source of the book, and would make
    the deposit grow with each build and differ between two checkouts.

    Raises ProjectError naming every refused file (symlinks out of the project, dangling ones).
    """
    files = ProjectFiles.of(book.project)
    problems: list[Problem] = []
    found: dict[str, Path] = {}

    def take(reference: str, base: str = "", referrer: str | None = None) -> Path | None:
        try:
            resolved = files.resolve(reference, base, referrer)
        except RefusedResource as refused:
            problems.extend(refused.problems)
            return None
        # Under the name the build asked for (a link inside the project keeps its name: a
        # rebuild from the deposit asks for it again), as the file system spells it.
        name = urllib.parse.unquote(urllib.parse.urlsplit(reference).path)
        found[posixpath.normpath(posixpath.join(base, name))] = resolved
        return resolved

    take(BOOK_TOML)
    for section in book.sections:
        take(section.source.path)
    optional = (CAPTIONS, FONTS_TOML, *(overrides_path(e.name) for e in book.config.editions))
    for relative in optional:
        if (book.project / relative).is_file():
            take(relative)
    for reference in (*(photo.file for photo in book.photos), book.config.epub.cover):
        if reference and not reference.startswith("data:"):  # inline bytes travel inline
            take(reference, MANUSCRIPT)
    _take_stylesheets(files, book.stylesheets, take)
    for face in (face for role in book.fonts.roles for face in role.faces if face.in_project):
        take(files.relative(face.path))
    if book.config.print.press_profile:
        take(book.config.print.press_profile, referrer=BOOK_TOML)
    if problems:
        raise ProjectError(problems)
    return tuple(InputFile(path, resolved.stat().st_size, sha256_file(resolved), resolved)
                 for path, resolved in sorted(found.items()))


def _take_stylesheets(files: ProjectFiles, stylesheets: Sequence[str], take) -> None:
    """*take* each stylesheet and every project file it names, @imported stylesheets followed
    (what the reader checked, luoshu.markup.untrusted: nothing outside the project; a name that
    leads nowhere is no input)."""
    for relative, data, _ in project_stylesheets(files, stylesheets):
        take(relative, referrer=relative)
        for reference in stylesheet_references(data or b""):
            target = named_file(files, reference.value, relative)
            if target and reference.context != "import":  # imports come as stylesheets
                take(target)


# --- fonts --------------------------------------------------------------------------------------


def font_records(book: Book) -> list[dict]:
    """Every face of every role: role, family, file name, face index, weight, SHA-256 and
    licence. Only the file's name is kept — the folder is this machine's — plus the
    project-relative path of a font that lives in the project's fonts/."""
    files = ProjectFiles.of(book.project)
    digests: dict[Path, str] = {}  # one file serves several roles: hash it once
    licences: dict[tuple[Path, int], dict] = {}
    records = []
    for role in book.fonts.roles:
        for face in role.faces:
            path = face.path
            if face.in_project:  # read through the gate, like every project file
                path = files.resolve(files.relative(face.path))
            if path not in digests:
                digests[path] = sha256_file(path)
            key = (path, face.index)
            if key not in licences:
                licences[key] = font_licence(path, face.index)
            record = {"role": role.name, "family": face.family, "file": path.name,
                      "index": face.index, "weight": face.weight, "sha256": digests[path],
                      "licence": licences[key]}
            if face.in_project:
                record["project_path"] = files.relative(path)
            records.append(record)
    return records


def font_licence(path: Path, index: int = 0) -> dict:
    """The licence a font declares in its name table: the start of its description (nameID
    13) and its URL (nameID 14); None where the font says nothing or cannot be read."""
    from fontTools.ttLib import (  # imported late: only archives need it
        TTFont,
        TTLibError,
    )

    try:
        # fontNumber picks the face of a .ttc collection and is ignored for single fonts.
        with TTFont(path, fontNumber=index, lazy=True) as font:
            names = font.get("name")
            description = names.getDebugName(13) if names else None
            url = names.getDebugName(14) if names else None
    except (TTLibError, OSError, KeyError, ValueError):
        return {"description": None, "url": None}
    if description:
        description = " ".join(description.split())
        if len(description) > LICENCE_CHARACTERS:
            description = description[:LICENCE_CHARACTERS].rstrip() + "…"
    return {"description": description or None, "url": (url or "").strip() or None}
