"""``luoshu check``: everything a build would complain about, plus the typography checks.

Reads the project as the build does (luoshu.project.load: book.toml, fonts, manuscript, font
coverage, the same problems) — then checks the punctuation of every section, of book.toml's displayed
metadata (title, subtitle, description) and of captions.toml's captions and credits. Writes
nothing. Every finding has a path, a line and column where known, a stable code (the build's
problem codes such as ``font-missing-glyph``, or the typography codes ``LS…`` of
``luoshu.zh.punctuation`` and ``luoshu.zh.typocheck``) and a severity:

- ``error``: the build would fail, or the text is wrong in a way no rule can repair;
- ``warning``: worth an editor's look;
- ``info``: a change the build makes by itself (LS1xx). When ``[typography]
  normalize_punctuation`` is false the build makes none, so they are warnings instead.

With ``[editions]`` in book.toml, each Traditional edition is converted as the build converts
it (luoshu.project.editions): what would stop its build, and every one-to-many conversion an
editor must confirm (LS301), in context with file:line.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ..errors import Problem, ProjectError
from ..files.paths import BOOK_TOML, CAPTIONS
from ..files.text import toml_key_line
from ..model import Config
from ..pdf.profile import output_profile
from ..project.captions import photo_entries
from ..project.config import NORMALIZED_META
from ..project.editions import REVIEW_CODE, prepare_editions
from ..project.load import load_project
from ..zh.typocheck import CODES, INFO, WARNING, TextReport, change_message, check_text

SEVERITIES = ("error", "warning", "info")


@dataclass(frozen=True)
class Finding:
    """One line of ``luoshu check``'s report."""

    path: str  # relative to the project folder
    line: int | None
    column: int | None
    code: str
    severity: str  # "error", "warning" or "info"
    message: str

    def __str__(self) -> str:
        where = self.path
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return f"{where}: {self.code} {self.severity}: {self.message}"

    def as_dict(self) -> dict:
        return {"path": self.path, "line": self.line, "column": self.column, "code": self.code,
                "severity": self.severity, "message": self.message}


@dataclass(frozen=True)
class CheckReport:
    """Every finding of a project, in reading order (book.toml, sections, captions)."""

    findings: tuple[Finding, ...]

    def count(self, severity: str) -> int:
        return sum(f.severity == severity for f in self.findings)

    @property
    def errors(self) -> int:
        return self.count("error")

    @property
    def warnings(self) -> int:
        return self.count("warning")

    def failed(self, strict: bool = False) -> bool:
        """Whether ``luoshu check`` exits 1: any error (with *strict*, any warning too)."""
        return self.errors > 0 or (strict and self.warnings > 0)

    def as_dict(self) -> dict:
        return {"findings": [f.as_dict() for f in self.findings], "errors": self.errors,
                "warnings": self.warnings, "infos": self.count("info")}


def check_project(project: Path) -> CheckReport:
    """Check *project* (a folder with book.toml) without writing anything."""
    loaded = load_project(project)  # the build's own reading, and its problems
    findings = [_from_problem(p) for p in loaded.problems]
    config = loaded.config
    if config is None:
        return CheckReport(tuple(findings))
    if config.print.press_profile or "pdf-press" in config.output.formats:
        try:  # the press PDF's profile: a file of the project, a CMYK output profile
            output_profile(project.resolve(), config.print)
        except ProjectError as error:
            findings += [_from_problem(p) for p in error.problems]
    texts = _typography(loaded.sources, config, findings)
    findings += _mixed_quotes(texts, config)
    if loaded.book is not None and config.editions:
        findings += _editions(loaded.book, config)
    order = {path: number for number, (path, *_) in reversed(list(enumerate(texts)))}
    order.setdefault(BOOK_TOML, -1)
    findings.sort(key=lambda f: (order.get(f.path, len(order)), f.path, f.line or 0,
                                 f.column or 0))
    return CheckReport(tuple(_unique(findings)))


def _editions(book, config: Config) -> list[Finding]:
    """What would stop an edition's build, and each conversion an editor must review (LS301);
    the build's count of them is this list, so it is not repeated."""
    editions = prepare_editions(book)
    found = [_from_problem(p) for p in editions.problems if p.code != "edition-unreviewed"]
    if REVIEW_CODE not in config.typography.ignore:
        found += [Finding(item.path, item.line, item.column, REVIEW_CODE,
                          CODES[REVIEW_CODE].severity, item.message) for item in editions.review]
    return found


def _from_problem(problem: Problem) -> Finding:
    return Finding(str(problem.path or "."), problem.line, problem.column, problem.code,
                   problem.severity, problem.message)


def _unique(findings: list[Finding]) -> list[Finding]:
    return list(dict.fromkeys(findings))


# --- the typography checks ------------------------------------------------------------------


_Text = tuple[str, TextReport, int, "int | None"]  # path, report, where the text starts


def _typography(sources: Mapping[str, str], config: Config,
                findings: list[Finding]) -> list[_Text]:
    """Check book.toml, the sections and captions.toml (their *sources*, as the build read
    them); return what was checked, in order."""
    script, options = config.book.script, config.typography
    texts: list[_Text] = []

    def add(path: str, report: TextReport, line: int = 1, column: int | None = 1) -> None:
        """Findings of *report*, a text that starts at (*line*, *column*) of *path*."""
        for change in report.changes:
            findings.append(_located(path, line, column, change.line, change.column,
                                     change.code, _change_severity(config),
                                     _change_text(change, config)))
        for found in report.findings:
            findings.append(_located(path, line, column, found.line, found.column, found.code,
                                     found.severity, found.message))
        texts.append((path, report, line, column))

    ignore = set(options.ignore)
    text = sources.get(BOOK_TOML)
    if text is not None:
        data = tomllib.loads(text)
        for key in NORMALIZED_META:
            value = data.get("book", {}).get(key)
            if isinstance(value, str) and value:
                line, column = _value_start(text, "book", key, None)
                add(BOOK_TOML, check_text(value, script, markdown=False, options=options),
                    line or 1, column)
    for path, text in sources.items():
        if path not in (BOOK_TOML, CAPTIONS):  # the sections, in reading order
            add(path, check_text(text, script, options=options))
    text = sources.get(CAPTIONS)
    data = tomllib.loads(text) if text is not None else {}
    if isinstance(data.get("photo"), list):
        for header, entry in photo_entries(data["photo"], text):
            for key in ("caption", "credit"):
                value = entry.get(key) if isinstance(entry, dict) else None
                if isinstance(value, str) and value and header is not None:
                    line, column = _value_start(text, None, key, header)
                    add(CAPTIONS, check_text(value, script, markdown=False, options=options),
                        line or header, column)
    findings[:] = [f for f in findings if f.code not in ignore]
    return texts


def _change_severity(config: Config) -> str:
    return INFO if config.typography.normalize_punctuation else WARNING


def _change_text(change, config: Config) -> str:
    message = change_message(change.before, change.after, change.code)
    if not config.typography.normalize_punctuation:
        message += "; [typography] normalize_punctuation is off, so the build keeps it"
    return message


def _located(path, line, column, inner_line, inner_column, code, severity, message) -> Finding:
    """A finding at (*inner_line*, *inner_column*) of a text that starts at (*line*, *column*)."""
    if inner_line == 1 and column is not None:
        return Finding(path, line, column + inner_column - 1, code, severity, message)
    return Finding(path, line + inner_line - 1, inner_column if column is not None else None,
                   code, severity, message)


def _value_start(text: str, table: str | None, key: str,
                 after: int | None) -> tuple[int | None, int | None]:
    """(line, column) of the first character of a TOML string value: *key* in [*table*], or
    the first *key* after line *after* (for [[photo]] entries). Column is None when the
    value's characters cannot be mapped one to one (escapes, multi-line strings)."""
    lines = text.split("\n")
    if after is None:
        line = toml_key_line(text, table, key)
    else:
        line = next((n for n in range(after + 1, len(lines) + 1)
                     if re.match(r"^\s*\[", lines[n - 1]) is None
                     and re.match(rf"^\s*{re.escape(key)}\s*=", lines[n - 1])), None)
    if line is None:
        return None, None
    assignment = rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=\s*"
    if re.match(assignment + r"(\"\"\"|''')\s*$", lines[line - 1]):
        return line + 1, None  # a multi-line string starts on the next line
    match = re.match(assignment + r"(\"(?!\"\")|'(?!''))", lines[line - 1])
    if not match:
        return line, None
    quote = match.group(1)
    rest = lines[line - 1][match.end():]
    if quote == '"' and "\\" in rest.split('"')[0]:
        return line, None
    return line, match.end() + 1


def _mixed_quotes(texts: list[_Text], config: Config) -> list[Finding]:
    """LS210: the first quote per file of the style the book does not use, when the book
    uses its own style too."""
    if "LS210" in config.typography.ignore:
        return []
    style = config.typography.quote_style(config.book.script)
    own, other = ("curly_quotes", "corner_quotes") if style == "curly" else (
        "corner_quotes", "curly_quotes")
    shown = {"curly_quotes": "“”", "corner_quotes": "「」"}

    def first(attribute: str) -> list[Finding]:
        located: dict[str, Finding] = {}
        for path, report, line, column in texts:
            position = getattr(report, attribute)
            if position and path not in located:
                located[path] = _located(path, line, column, *position, "LS210",
                                         CODES["LS210"].severity, "")
        return list(located.values())

    own_first, others = first(own), first(other)
    if not own_first:
        return []
    example = f"{own_first[0].path}:{own_first[0].line}"
    return [Finding(f.path, f.line, f.column, f.code, f.severity,
                    f"{shown[other]} quotes here, while the book uses {shown[own]} (e.g. "
                    f"{example}): use one style, or set [typography] quotes")
            for f in others]
