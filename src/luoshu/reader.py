"""Read a project's manuscript: sections from Markdown, photos from captions.toml, styles.

Unless ``[typography] normalize_punctuation = false``, the Markdown of each section and the
captions and credits are punctuation-normalized (``luoshu.punctuation``) before conversion;
``Section.text`` is that normalized Markdown, line for line with the source.

Every problem found is collected (a missing photo, a section without a title, a bad caption
entry…) and raised together, so one run shows the editor everything to fix.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, replace
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from .errors import Problem, ProjectError
from .photos import preflight as print_preflight
from .markup import convert_section, figure_html, section_anchor
from .model import Config, Photo, PrintOptions, Section, SourceRef
from .punctuation import normalize
from .resources import ProjectFiles, RefusedResource, read_text, read_toml, toml_key_line

MANUSCRIPT = "manuscript"
CAPTIONS = "manuscript/captions.toml"
PHOTO_KEYS = ("file", "caption", "credit", "alt", "section", "width", "full_bleed")
_WIDTH = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(%|mm)\s*$")
FRONT_MATTER_KEYS = ("title",)
IMAGE_FORMATS = {"JPEG", "PNG"}
_PHOTO_HEADER = re.compile(r"^\s*\[\[\s*photo\s*\]\]\s*(#.*)?$")
_SECTION_ID = re.compile(r"^[\w\-.]+$")  # \w includes Han characters


@dataclass(frozen=True)
class Manuscript:
    """What the reader found: sections in order, gallery photos, project stylesheets."""

    sections: tuple[Section, ...]
    gallery: tuple[Photo, ...]
    stylesheets: tuple[str, ...]
    warnings: tuple[Problem, ...] = ()


def read_manuscript(project: Path, config: Config) -> Manuscript:
    """Read sections, captions and styles of *project*; raise ProjectError with all problems."""
    files = ProjectFiles.of(project)
    problems: list[Problem] = []
    paths = section_files(project, config, problems)
    sections = [s for s in (_read_section(project, path, config, problems) for path in paths) if s]
    ids = [s.id for s in sections]
    photos = [_normalized_photo(p, config) for p in _read_captions(project, set(ids), config.print,
                                                                   problems)]
    for photo in [p for s in sections for p in s.photos] + photos:
        _check_photo(files, photo, config.print, problems)
    sections = [_attach_photos(s, [p for p in photos if p.section == s.id]) for s in sections]
    gallery = tuple(p for p in photos if p.section is None)
    if not paths and (project / MANUSCRIPT).is_dir():
        problems.append(Problem("the manuscript is empty: add Markdown files (e.g. 01-intro.md) "
                                "to manuscript/", MANUSCRIPT, code="manuscript-empty"))
    if any(p.severity == "error" for p in problems):
        raise ProjectError(problems)
    styles = sorted(p.relative_to(project).as_posix() for p in (project / "styles").glob("*.css"))
    return Manuscript(tuple(sections), gallery, tuple(styles), tuple(problems))


def section_files(project: Path, config: Config, problems: list[Problem]) -> list[Path]:
    """Section files in reading order: [book].sections when given, else by file name."""
    folder = project / MANUSCRIPT
    if not folder.is_dir():
        problems.append(Problem("no manuscript/ folder: put the book's Markdown sections there",
                                MANUSCRIPT, code="manuscript-missing"))
        return []
    found = sorted((p for p in folder.glob("*.md") if p.is_file()), key=lambda p: p.name)
    order = config.book.sections
    if not order:
        return found
    by_id = {p.stem: p for p in found}
    line = toml_key_line((project / "book.toml").read_text(encoding="utf-8-sig"), "book", "sections")
    for index, section_id in enumerate(order):
        if section_id not in by_id:
            problems.append(Problem(f"[book] sections names {section_id!r}, but there is no "
                                    f"manuscript/{section_id}.md", "book.toml", line,
                                    code="sections-unknown"))
        elif section_id in order[:index]:
            problems.append(Problem(f"[book] sections lists {section_id!r} twice", "book.toml",
                                    line, code="sections-duplicate"))
    for path in found:
        if path.stem not in order:
            problems.append(Problem(f"manuscript/{path.name} is not listed in [book] sections and "
                                    "is left out of the book", "book.toml", line,
                                    code="sections-unlisted",
                                    severity="warning"))
    return [by_id[i] for i in dict.fromkeys(order) if i in by_id]


def _read_section(project: Path, path: Path, config: Config,
                  problems: list[Problem]) -> Section | None:
    relative = path.relative_to(project).as_posix()
    section_id = path.stem
    if not _SECTION_ID.match(section_id):
        problems.append(Problem("section file names may hold only letters, digits, Han "
                                "characters, '-', '_' and '.' (the name becomes the section id)",
                                relative, code="section-id"))
        return None
    text = read_text(path, relative, problems)
    if text is None:
        return None
    # Normalized punctuation is what gets typeset, so it is also what Section.text keeps for the
    # font check: normalization keeps every line, so file:line still points at the source.
    source = text
    if config.typography.normalize_punctuation:
        source = normalize(text, config.book.script, options=config.typography).text
    front, body, body_line = _split_front_matter(source, relative, problems)
    converted = convert_section(body, section_id, relative, body_line, front.get("title"))
    problems.extend(converted.problems)
    title = front.get("title") or converted.title
    if not title:
        problems.append(Problem("the section has no title: start it with a '# heading' or add "
                                "'title:' front matter", relative, 1, code="section-title"))
        return None
    return Section(section_id, title, SourceRef(relative, 1), converted.html, source,
                   converted.headings, converted.photos)


def _split_front_matter(text: str, relative: str, problems: list[Problem]):
    """({key: value}, body, line where body starts) for ``---`` delimited front matter."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        return {}, text, 1
    for end in range(1, len(lines)):
        if lines[end].strip() in ("---", "..."):
            break
    else:
        problems.append(Problem("front matter opened with '---' is never closed", relative, 1,
                                code="front-matter"))
        return {}, text, 1
    values = {}
    for number in range(1, end):
        line = lines[number]
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key, sep, value = line.partition(":")
        key = key.strip()
        if not sep or key not in FRONT_MATTER_KEYS:
            problems.append(Problem(f"unknown front matter line {line.strip()!r}; allowed keys: "
                                    f"{', '.join(FRONT_MATTER_KEYS)}", relative, number + 1,
                                    code="front-matter"))
            continue
        values[key] = value.strip().strip("\"'")
    return values, "\n".join(lines[end + 1:]), end + 2


def _read_captions(project: Path, section_ids: set[str], print_options: PrintOptions,
                   problems: list[Problem]) -> list[Photo]:
    path = project / CAPTIONS
    if not path.is_file():
        return []
    loaded = read_toml(path, CAPTIONS, problems, code="captions-syntax")
    if loaded is None:
        return []
    data, text = loaded
    entries = data.pop("photo", [])
    for key in data:
        problems.append(Problem(f"unknown table {key!r}: captions.toml holds [[photo]] entries",
                                CAPTIONS, toml_key_line(text, None, key), code="captions-unknown-key"))
    if not isinstance(entries, list):
        problems.append(Problem("photo must be written as [[photo]] tables", CAPTIONS,
                                code="captions-type"))
        return []
    photos = []
    headers = [i + 1 for i, line in enumerate(text.split("\n")) if _PHOTO_HEADER.match(line)]
    for number, entry in enumerate(entries):
        line = headers[number] if number < len(headers) else None
        photo = _photo_entry(entry, line, section_ids, print_options, problems)
        if photo:
            photos.append(photo)
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
    if not ok:
        return None
    return Photo(entry["file"].strip(), entry["caption"].strip(), entry.get("credit"),
                 entry.get("alt"), section, SourceRef(CAPTIONS, line), width=width,
                 full_bleed=entry.get("full_bleed", False))


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


def _normalized_photo(photo: Photo, config: Config) -> Photo:
    """Caption and credit (plain text, not Markdown) with normalized punctuation."""
    if not config.typography.normalize_punctuation:
        return photo

    def fix(value: str | None) -> str | None:
        return value and normalize(value, config.book.script, markdown=False,
                                   options=config.typography).text

    return replace(photo, caption=fix(photo.caption), credit=fix(photo.credit))


def _check_photo(files: ProjectFiles, photo: Photo, print_options: PrintOptions,
                 problems: list[Problem]) -> None:
    """The photo must be an image file inside the project, in a format outputs can carry."""
    where = photo.source or SourceRef(CAPTIONS)
    if not photo.alt:
        how = ('add alt = "…" to its [[photo]] entry' if where.path == CAPTIONS
               else "write it between the brackets: ![what the photo shows](…)")
        problems.append(Problem(
            f"{photo.file} has no alt text, a description for readers who cannot see it: {how}",
            where.path, where.line, code="photo-alt", severity="warning"))
    if photo.file.startswith("data:"):
        return  # inline bytes: nothing to find, and writers decode them themselves
    try:
        path = files.resolve(photo.file, base=MANUSCRIPT, referrer=where.path)
    except RefusedResource as refused:
        problems.extend(replace(p, line=where.line) for p in refused.problems)
        return
    try:
        with Image.open(path) as image:
            kind = image.format
            if kind in IMAGE_FORMATS:
                problems.extend(print_preflight(photo, image, print_options))
    except (UnidentifiedImageError, OSError):
        problems.append(Problem(f"{photo.file} is not a readable image (corrupt, or not an "
                                "image): re-export it as JPEG or PNG", where.path, where.line,
                                code="photo-unreadable"))
        return
    if kind not in IMAGE_FORMATS:
        problems.append(Problem(f"{photo.file} is a {kind} image; use JPEG or PNG", where.path,
                                where.line, code="photo-format"))


def _attach_photos(section: Section, photos: list[Photo]) -> Section:
    """Place captions.toml photos at the end of their section."""
    if not photos:
        return section
    anchor = section_anchor(section.id)
    figures = "".join(figure_html(p, f"{anchor}--photo-{n}", placed=True)
                      for n, p in enumerate(photos, 1))
    return replace(section, html=section.html + figures, photos=section.photos + tuple(photos))
