"""``luoshu import``: a Word manuscript into a book project, new or existing.

    check the file (safety) → read it (word) → Markdown and photos (markdown) → plan → write

Everything is planned in memory first, and written only when nothing stands in the way, each
file whole (luoshu.files.output): a refused import changes nothing. Only the project folder is
written: book.toml (when the project has none), one manuscript/NN-title.md per section, the
pictures in manuscript/photos/, their captions.toml entries, and .luoshu-import.json, the
record of what the last import of each document wrote — so a re-import replaces what it wrote
before, but never a file someone has edited since (or any file it did not write) unless
``force`` is given.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from ..errors import Problem, ProjectError
from ..files.output import write_bytes_atomically
from ..files.paths import BOOK_TOML, CAPTIONS, MANUSCRIPT
from ..zh.hant import convert
from .markdown import convert_document
from .safety import check_word_file
from .word import WordImage, read_word

RECORD = ".luoshu-import.json"
PHOTOS = f"{MANUSCRIPT}/photos"
_KEEP = {"image/jpeg": ".jpg", "image/png": ".png"}  # formats luoshu's outputs carry as they are
_SLUG = re.compile(r"[^\w\-]+")


@dataclass(frozen=True)
class ImportResult:
    written: tuple[str, ...]  # project paths, in order
    unchanged: tuple[str, ...]
    sections: int
    photos: int
    warnings: tuple[Problem, ...]


def import_word(source: Path, project: Path, split_style: str | None = None,
                force: bool = False) -> ImportResult:
    """Import the Word file *source* into *project* (created when missing)."""
    check_word_file(source)
    try:
        word = read_word(source, split_style)
    except ProjectError:
        raise
    except Exception as error:  # mammoth and python-docx raise many kinds on a damaged file
        raise ProjectError([Problem(f"the .docx cannot be read ({type(error).__name__}: "
                                    f"{error}); open it in Word or WPS and save it again",
                                    source.name, code="import-unreadable")]) from None
    project = project.resolve()
    stem = _slug(source.stem) or "word"
    converted = convert_document(word, word.title or source.stem)
    record = _read_record(project)
    previous = record.get(source.name, {})
    plan: dict[str, bytes] = {}
    warnings: list[Problem] = []

    first = _first_number(project, previous)
    ids = [f"{first + n:02d}-{_slug(s.title)[:24].strip('-') or 'section'}"
           for n, s in enumerate(converted.sections)]
    for section_id, section in zip(ids, converted.sections, strict=True):
        plan[f"{MANUSCRIPT}/{section_id}.md"] = section.markdown(converted.notes).encode()

    images = {image.number: image for image in word.images}
    entries = []
    for photo in converted.photos:
        image = images.get(photo.image)
        if image is None:
            continue
        name, data = _photo_file(image, stem)
        if data is None:
            kind = image.content_type or "of an unknown format"
            warnings.append(Problem(f"picture {image.number} is {kind}, which books cannot "
                                    "carry: export it as JPEG or PNG and add it to "
                                    "captions.toml", source.name, code="import-image-format",
                                    severity="warning"))
            continue
        plan[f"{PHOTOS}/{name}"] = data
        entries.append((f"photos/{name}", photo.caption or image.alt or "",
                        image.alt or photo.alt, ids[photo.section]))
    if entries:
        plan[CAPTIONS] = _captions(project, entries, source.name, previous).encode()
    if not (project / BOOK_TOML).is_file():
        plan[BOOK_TOML] = _book_toml(word, converted, source).encode()

    conflicts, unchanged = [], []
    for relative, data in plan.items():
        path = project / relative
        if not path.is_file():
            continue
        current = path.read_bytes()
        if current == data:
            unchanged.append(relative)
        elif not force and _digest(current) != previous.get(relative) and relative != CAPTIONS:
            conflicts.append(Problem(
                "edited since the last import of this document (or not written by it): keep "
                f"it, or import again with --force to overwrite it with {source.name}'s text",
                relative, code="import-conflict"))
    if conflicts:
        raise ProjectError(conflicts)
    written = []
    for relative, data in plan.items():
        if relative in unchanged:
            continue
        path = project / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        write_bytes_atomically(path, data)
        written.append(relative)
    record[source.name] = {relative: _digest(data) for relative, data in plan.items()}
    write_bytes_atomically(project / RECORD, (json.dumps(record, ensure_ascii=False, indent=2,
                                                         sort_keys=True) + "\n").encode())
    warnings += [Problem(notice, source.name, code="import-left-out", severity="warning")
                 for notice in word.notices]
    for file, caption, alt, _ in entries:
        if not caption:
            warnings.append(Problem(f"{file} has no caption (no 题注 or short line after the "
                                    "picture): write one in captions.toml", CAPTIONS,
                                    code="import-caption", severity="warning"))
        if not alt:
            warnings.append(Problem(f"{file} has no alt text: describe what it shows for readers "
                                    "who cannot see it (alt = \"…\" in captions.toml)", CAPTIONS,
                                    code="import-alt", severity="warning"))
    return ImportResult(tuple(written), tuple(unchanged), len(converted.sections), len(entries),
                        tuple(warnings))


def _slug(text: str) -> str:
    return _SLUG.sub("-", text).strip("-")


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _read_record(project: Path) -> dict:
    try:
        data = json.loads((project / RECORD).read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _first_number(project: Path, previous: dict) -> int:
    """Sections of another source keep their numbers: this document's come after them."""
    others = [path for path in (project / MANUSCRIPT).glob("*.md")
              if f"{MANUSCRIPT}/{path.name}" not in previous]
    numbers = [int(m.group()) for p in others if (m := re.match(r"\d+", p.name))]
    return max(numbers) + 1 if numbers else 1


def _photo_file(image: WordImage, stem: str) -> tuple[str, bytes | None]:
    """The picture's file name in photos/ and its bytes: JPEG and PNG as they are, GIF, BMP
    and TIFF as PNG; None for what Pillow cannot read (EMF, WMF)."""
    name = f"{stem}-{image.number:02d}"
    if image.content_type in _KEEP:
        return name + _KEEP[image.content_type], image.data
    try:
        with Image.open(io.BytesIO(image.data)) as picture:
            buffer = io.BytesIO()
            picture.convert("RGBA" if "A" in picture.getbands() else "RGB").save(buffer, "PNG")
        return name + ".png", buffer.getvalue()
    except (OSError, ValueError, Image.DecompressionBombError):
        return name, None


def _toml_string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a TOML basic string


def _captions(project: Path, entries: list, document: str, previous: dict) -> str:
    """captions.toml with an entry per imported photo: a new file, or the existing one with
    entries for the photos it does not list yet (the editor's entries are never touched)."""
    path = project / CAPTIONS
    existing = path.read_text(encoding="utf-8") if path.is_file() else ""
    try:
        listed = {e.get("file") for e in tomllib.loads(existing).get("photo", [])
                  if isinstance(e, dict)}
    except tomllib.TOMLDecodeError:
        listed = set()
    text = existing or (f"# captions.toml — the photos of {document}, imported by luoshu import.\n"
                        "# Each needs alt text: what the photo shows, for readers who cannot "
                        "see it.\n")
    for file, caption, alt, section in entries:
        if file in listed:
            continue
        text += (f"\n[[photo]]\nfile = {_toml_string(file)}\ncaption = {_toml_string(caption)}\n"
                 + (f"alt = {_toml_string(alt)}\n" if alt else
                    'alt = ""  # to write: what the photo shows\n')
                 + f"section = {_toml_string(section)}\n")
    return text


def _book_toml(word, converted, source: Path) -> str:
    """book.toml of a new project, from the document's properties and its Title paragraph."""
    title = word.title or converted.title or source.stem
    lines = ["# book.toml — made by luoshu import from " + source.name, "", "[book]",
             f"title = {_toml_string(title)}"]
    if converted.subtitle:
        lines.append(f"subtitle = {_toml_string(converted.subtitle)}")
    lines.append(f"language = {_toml_string(_language(converted))}")
    if word.authors:
        lines.append("authors = [" + ", ".join(map(_toml_string, word.authors)) + "]")
    if word.date:
        lines.append(f"date = {word.date.isoformat()}")
    return "\n".join(lines) + "\n"


def _language(converted) -> str:
    """zh-Hant when the text reads as Traditional (converting it to Traditional changes little
    of it), zh-Hans otherwise."""
    text = "".join(block for s in converted.sections for block in s.blocks)[:20000]
    han = sum("\u4e00" <= c <= "\u9fff" for c in text)
    if not han:
        return "zh-Hans"
    changed = sum(a != b for a, b in zip(text, convert(text, "s2t"), strict=False))
    return "zh-Hant" if changed < han * 0.02 else "zh-Hans"
