"""The manuscript's sections: which Markdown files, in which order, each read into a Section.

A section is one ``manuscript/*.md`` file (or the files ``[book] sections`` lists, in that
order). Its text is read as UTF-8, or GB18030 when ``[book] encoding`` says so
(luoshu.files.text.read_text), punctuation-normalized unless ``[typography]
normalize_punctuation = false`` (luoshu.zh.punctuation; ``Section.text`` is that normalized
Markdown, line for line with the source), and converted to XHTML (luoshu.markup.convert).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import MutableMapping
from pathlib import Path

from ..errors import Problem
from ..files.paths import BOOK_TOML, MANUSCRIPT
from ..files.text import read_text, toml_key_line
from ..markup.convert import convert_section
from ..model import Config, Section, SourceRef
from ..zh.punctuation import normalize
from ..zh.textmask import OPAQUE, protect

FRONT_MATTER_KEYS = ("title",)
# How a file in a legacy encoding can be read without converting it (see read_text).
DECLARE_GB18030 = 'set [book] encoding = "gb18030" in book.toml'
_SECTION_ID = re.compile(r"^[\w\-.]+$")  # \w includes Han characters
# Footnotes as Python-Markdown's footnote extension reads them: a reference [^label] anywhere
# in the text, a definition "[^label]:" at the start of a line.
_FOOTNOTE_REF = re.compile(r"\[\^([^\]\n]*)\]")
_FOOTNOTE_DEF = re.compile(r"^[ \t]*\[\^([^\]\n]*)\]:", re.MULTILINE)


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
    line = toml_key_line((project / BOOK_TOML).read_text(encoding="utf-8-sig"), "book", "sections")
    for index, section_id in enumerate(order):
        if section_id not in by_id:
            problems.append(Problem(f"[book] sections names {section_id!r}, but there is no "
                                    f"{MANUSCRIPT}/{section_id}.md", BOOK_TOML, line,
                                    code="sections-unknown"))
        elif section_id in order[:index]:
            problems.append(Problem(f"[book] sections lists {section_id!r} twice", BOOK_TOML,
                                    line, code="sections-duplicate"))
    for path in found:
        if path.stem not in order:
            problems.append(Problem(f"{MANUSCRIPT}/{path.name} is not listed in [book] sections and "
                                    "is left out of the book", BOOK_TOML, line,
                                    code="sections-unlisted",
                                    severity="warning"))
    return [by_id[i] for i in dict.fromkeys(order) if i in by_id]


def id_clashes(paths: list[Path], project: Path) -> list[Problem]:
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


def read_section(project: Path, path: Path, config: Config, problems: list[Problem],
                 sources: MutableMapping[str, str]) -> Section | None:
    """The section in *path*, or None with problems; its text as read goes to *sources*."""
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
    sources[relative] = text
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
