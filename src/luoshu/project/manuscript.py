"""Read a project's manuscript: sections from Markdown, photos from captions.toml, styles.

Unless ``[typography] normalize_punctuation = false``, the Markdown of each section and the
captions and credits are punctuation-normalized (``luoshu.zh.punctuation``) before conversion;
``Section.text`` is that normalized Markdown, line for line with the source.

Every problem found is collected (a missing photo, a section without a title, a bad caption
entry, a footnote without its definition…) and raised together, so one run shows the editor
everything to fix.

Sections and captions.toml are UTF-8, or GB18030 when ``[book] encoding = "gb18030"`` says so
(luoshu.files.gate.read_text); book.toml is read before that setting is known, so it is UTF-8.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass, replace
from pathlib import Path

from ..errors import Problem, ProjectError
from ..markup.convert import convert_section, figure_html, section_anchor
from ..model import Config, Photo, PrintOptions, Section, SourceRef
from ..images.photos import inspect as inspect_photo
from ..zh.punctuation import normalize
from ..files.gate import ProjectFiles, RefusedResource, read_text, read_toml, toml_key_line
from ..zh.textmask import OPAQUE, protect

MANUSCRIPT = "manuscript"
CAPTIONS = "manuscript/captions.toml"
PHOTO_KEYS = ("file", "caption", "credit", "alt", "section", "width", "full_bleed")
_WIDTH = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(%|mm)\s*$")
FRONT_MATTER_KEYS = ("title",)
# How a file in a legacy encoding can be read without converting it (see read_text).
DECLARE_GB18030 = 'set [book] encoding = "gb18030" in book.toml'
_PHOTO_HEADER = re.compile(r"^\s*\[\[\s*photo\s*\]\]\s*(#.*)?$")
_SECTION_ID = re.compile(r"^[\w\-.]+$")  # \w includes Han characters
# Footnotes as Python-Markdown's footnote extension reads them: a reference [^label] anywhere
# in the text, a definition "[^label]:" at the start of a line.
_FOOTNOTE_REF = re.compile(r"\[\^([^\]\n]*)\]")
_FOOTNOTE_DEF = re.compile(r"^[ \t]*\[\^([^\]\n]*)\]:", re.MULTILINE)


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
    problems.extend(_id_clashes(paths, project))
    sections = [s for s in (_read_section(project, path, config, problems) for path in paths) if s]
    ids = [s.id for s in sections]
    photos = [_normalized_photo(p, config) for p in _read_captions(project, set(ids), config,
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


def _id_clashes(paths: list[Path], project: Path) -> list[Problem]:
    """Section files whose ids differ only in letter case (01-a.md and 01-A.md) or Unicode
    normalization (a CJK compatibility ideograph such as U+F900 and its unified twin U+8C48):
    Windows and macOS cannot hold both in one folder, and EPUB requires file names that stay
    distinct after normalization and case folding, so one of them must be renamed."""
    problems = []
    seen: dict[str, Path] = {}
    for path in paths:
        key = unicodedata.normalize("NFC", path.stem).casefold()
        other = seen.setdefault(key, path)
        if other is path:
            continue
        if path.stem.casefold() == other.stem.casefold():
            how = "only in letter case"
        else:
            how = "only in Unicode normalization (the same characters, encoded differently)"
        problems.append(Problem(
            f"the section id {path.stem!r} differs from {other.stem!r} ({other.name}) {how}: "
            "other systems and e-readers cannot tell the two apart; rename one of the files",
            path.relative_to(project).as_posix(), code="section-id-clash"))
    return problems


def _read_section(project: Path, path: Path, config: Config,
                  problems: list[Problem]) -> Section | None:
    relative = path.relative_to(project).as_posix()
    section_id = path.stem
    if not _SECTION_ID.match(section_id):
        problems.append(Problem("section file names may hold only letters, digits, Han "
                                "characters, '-', '_' and '.' (the name becomes the section id)",
                                relative, code="section-id"))
        return None
    text = read_text(path, relative, problems, config.book.encoding, DECLARE_GB18030)
    if text is None:
        return None
    # Normalized punctuation is what gets typeset, so it is also what Section.text keeps for the
    # font check: normalization keeps every line, so file:line still points at the source.
    source = text
    if config.typography.normalize_punctuation:
        source = normalize(text, config.book.script, options=config.typography).text
    front, body, body_line = _split_front_matter(source, relative, problems)
    problems.extend(_undefined_footnotes(text, body_line, relative))
    converted = convert_section(body, section_id, relative, body_line, front.get("title"))
    problems.extend(converted.problems)
    title = front.get("title") or converted.title
    if not title:
        problems.append(Problem("the section has no title: start it with a '# heading' or add "
                                "'title:' front matter", relative, 1, code="section-title"))
        return None
    return Section(section_id, title, SourceRef(relative, 1), converted.html, source,
                   converted.headings, converted.photos)


def _undefined_footnotes(text: str, body_line: int, relative: str) -> list[Problem]:
    """Footnote references without a definition: Python-Markdown leaves them as literal
    "[^1]" in the text, which would be typeset. The source *text* is searched as written (so
    columns are the author's) from *body_line* on, past the front matter; code and escapes
    (\\[^1]) are not Markdown text, so references and definitions there do not count."""
    mask = protect(text)
    defined = set()
    definitions = set()  # where each definition's "[" is: not a reference
    for match in _FOOTNOTE_DEF.finditer(text):
        bracket = match.start(1) - 2
        if mask[bracket] != OPAQUE:
            defined.add(match.group(1))
            definitions.add(bracket)
    problems = []
    for match in _FOOTNOTE_REF.finditer(text):
        start, label = match.start(), match.group(1)
        if label in defined or start in definitions or mask[start] == OPAQUE:
            continue
        line = text.count("\n", 0, start) + 1
        if line < body_line:
            continue
        column = start - (text.rfind("\n", 0, start) + 1) + 1
        problems.append(Problem(f'footnote [^{label}] has no definition: add a line '
                                f'"[^{label}]: …"', relative, line, column,
                                code="footnote-undefined"))
    return problems


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


def _read_captions(project: Path, section_ids: set[str], config: Config,
                   problems: list[Problem]) -> list[Photo]:
    path = project / CAPTIONS
    if not path.is_file():
        return []
    loaded = read_toml(path, CAPTIONS, problems, "captions-syntax", config.book.encoding,
                       DECLARE_GB18030)
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
        photo = _photo_entry(entry, line, section_ids, config.print, problems)
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
    """The photo must be an image file inside the project, whole, of a size luoshu decodes, in a
    format outputs can carry (luoshu.images.photos.inspect), and should have alt text."""
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
        data = files.read_bytes(photo.file, base=MANUSCRIPT, referrer=where.path)
    except RefusedResource as refused:
        problems.extend(replace(p, line=where.line) for p in refused.problems)
        return
    except OSError as error:  # e.g. no permission to read it
        problems.append(Problem(f"{photo.file} cannot be read ({error.strerror})", where.path,
                                where.line, code="photo-unreadable"))
        return
    problems.extend(inspect_photo(replace(photo, source=where), data, print_options))


def _attach_photos(section: Section, photos: list[Photo]) -> Section:
    """Place captions.toml photos at the end of their section."""
    if not photos:
        return section
    anchor = section_anchor(section.id)
    figures = "".join(figure_html(p, f"{anchor}--photo-{n}", placed=True)
                      for n, p in enumerate(photos, 1))
    return replace(section, html=section.html + figures, photos=section.photos + tuple(photos))
