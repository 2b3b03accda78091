"""captions.toml: the photos of a book with their captions, each a ``[[photo]]`` entry.

A photo names its file (relative to manuscript/), its caption, and optionally a credit, alt
text, the section it belongs to (without one it goes to the gallery at the end of the book),
its printed width and whether it is a full-bleed plate. Captions and credits are plain text,
punctuation-normalized like the sections. Every entry is located by the line of its
``[[photo]]`` header, so each problem names its line.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import MutableMapping
from dataclasses import replace
from pathlib import Path

from ..errors import Problem
from ..files.paths import CAPTIONS
from ..files.text import read_toml, toml_key_line
from ..model import Config, Photo, PrintOptions, SourceRef
from ..zh.punctuation import normalize
from .sections import DECLARE_GB18030

PHOTO_KEYS = ("file", "caption", "credit", "alt", "section", "width", "full_bleed", "after",
              "position")
POSITIONS = ("auto", "top", "bottom", "here", "page")
_AFTER = re.compile(r"^\s*(?:paragraph\s+([1-9][0-9]*)|#([\w\-.]+))\s*$")
_WIDTH = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(%|mm)\s*$")
_PHOTO_HEADER = re.compile(r"^\s*\[\[\s*photo\s*\]\]\s*(#.*)?$")


def photo_entries(entries: list, text: str) -> list[tuple[int | None, object]]:
    """Each ``[[photo]]`` entry of captions.toml (*entries*, parsed from *text*) with the line
    of its header (None when it cannot be found)."""
    headers = [i + 1 for i, line in enumerate(text.split("\n")) if _PHOTO_HEADER.match(line)]
    return [(headers[number] if number < len(headers) else None, entry)
            for number, entry in enumerate(entries)]


def read_captions(project: Path, section_ids: set[str], config: Config, problems: list[Problem],
                  sources: MutableMapping[str, str]) -> list[Photo]:
    """The photos captions.toml lists (none without the file); its text goes to *sources*."""
    path = project / CAPTIONS
    if not path.is_file():
        return []
    loaded = read_toml(path, CAPTIONS, problems, "captions-syntax", config.book.encoding,
                       DECLARE_GB18030)
    if loaded is None:
        return []
    data, text = loaded
    sources[CAPTIONS] = text
    entries = data.pop("photo", [])
    for key in data:
        problems.append(Problem(f"unknown table {key!r}: captions.toml holds [[photo]] entries",
                                CAPTIONS, toml_key_line(text, None, key), code="captions-unknown-key"))
    if not isinstance(entries, list):
        problems.append(Problem("photo must be written as [[photo]] tables", CAPTIONS,
                                code="captions-type"))
        return []
    photos = []
    for line, entry in photo_entries(entries, text):
        photo = _photo_entry(entry, line, section_ids, config.print, problems)
        if photo:
            photos.append(normalized_photo(photo, config))
    return photos


def _photo_entry(entry: dict, line: int | None, section_ids, print_options: PrintOptions,
                 problems) -> Photo | None:
    ok = True
    for key in entry.keys() - set(PHOTO_KEYS):
        close = difflib.get_close_matches(key, PHOTO_KEYS, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else f"; keys are {', '.join(PHOTO_KEYS)}"
        problems.append(Problem(f"unknown key {key!r} in [[photo]]{hint}", CAPTIONS, line,
                                code="captions-unknown-key"))
        ok = False
    for key in PHOTO_KEYS:
        wanted = bool if key == "full_bleed" else str
        if key in entry and not isinstance(entry[key], wanted):
            kind = "true or false" if wanted is bool else "a string"
            problems.append(Problem(f"[[photo]] {key} must be {kind}", CAPTIONS, line,
                                    code="captions-type"))
            ok = False
    for key in ("file", "caption"):
        if not entry.get(key):
            problems.append(Problem(f"[[photo]] needs {key}", CAPTIONS, line,
                                    code="captions-required"))
            ok = False
    section = entry.get("section")
    if isinstance(section, str) and section not in section_ids:
        problems.append(Problem(f"[[photo]] section {section!r} is not a section id (ids are the "
                                f"file names without .md: {', '.join(sorted(section_ids))})",
                                CAPTIONS, line, code="captions-section"))
        ok = False
    width = None
    if isinstance(entry.get("width"), str):
        width = _photo_width(entry["width"], print_options)
        if width is None:
            problems.append(Problem(f"[[photo]] width {entry['width']!r} must be a share of the "
                                    'text width ("60%") or a size in millimetres ("80mm")',
                                    CAPTIONS, line, code="captions-width"))
            ok = False
    position = entry.get("position", "auto")
    if isinstance(position, str) and position not in POSITIONS:
        problems.append(Problem(f"[[photo]] position {position!r} is not a position: write one of "
                                f"{', '.join(POSITIONS)}", CAPTIONS, line,
                                code="captions-position"))
        ok = False
    after = entry.get("after")
    if isinstance(after, str) and not _AFTER.match(after):
        problems.append(Problem(f'[[photo]] after {after!r} must be "paragraph N" (the N-th '
                                'paragraph of its section) or "#id" (an element of the Markdown '
                                "with {: #id })", CAPTIONS, line, code="captions-after"))
        ok = False
    if isinstance(after, str) and not isinstance(section, str):
        problems.append(Problem("[[photo]] after needs section: the paragraph is one of that "
                                "section's", CAPTIONS, line, code="captions-after"))
        ok = False
    if not ok:
        return None
    return Photo(entry["file"].strip(), entry["caption"].strip(), entry.get("credit"),
                 entry.get("alt"), section, SourceRef(CAPTIONS, line), width=width,
                 full_bleed=entry.get("full_bleed", False),
                 after=after.strip() if isinstance(after, str) else None,
                 position=position if isinstance(position, str) else "auto")


def _photo_width(written: str, print_options: PrintOptions) -> float | None:
    """A [[photo]] width as a share (0–1] of the text width; None when it cannot be read.

    Millimetres are converted against the print text block, so the EPUB shows the photo at
    the same share of its column; a width beyond the text block is the text block.
    """
    match = _WIDTH.match(written)
    if not match:
        return None
    number = float(match.group(1))
    share = number / 100 if match.group(2) == "%" else number / print_options.text_width_mm
    return min(share, 1.0) if share > 0 else None


def normalized_photo(photo: Photo, config: Config) -> Photo:
    """Caption and credit (plain text, not Markdown) with normalized punctuation."""
    if not config.typography.normalize_punctuation:
        return photo

    def fix(value: str | None) -> str | None:
        return value and normalize(value, config.book.script, markdown=False,
                                   options=config.typography).text

    return replace(photo, caption=fix(photo.caption), credit=fix(photo.credit))
