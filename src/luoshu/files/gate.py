"""The one gate through which outputs read files: only regular files inside the project.

Manuscripts are untrusted. Every resource the EPUB writer or WeasyPrint loads (photos,
stylesheets, fonts in ``fonts/``) is resolved here: relative references are resolved against
the referring document, symlinks are followed *before* the containment check, and anything that
ends up outside the project folder, or names a network scheme, is refused with a Problem.
``data:`` URIs are the one non-file form allowed (they carry their bytes inline).
"""

from __future__ import annotations

import base64
import mimetypes
import os
import re
import shlex
import tomllib
import urllib.parse
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ..errors import Problem, ProjectError

MEDIA_TYPES = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".gif": "image/gif",
    ".svg": "image/svg+xml",
    ".webp": "image/webp",
    ".css": "text/css",
    ".otf": "font/otf",
    ".ttf": "font/ttf",
    ".ttc": "font/collection",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
}


def media_type(path: str | PurePosixPath) -> str:
    """The media type of a file, by its extension."""
    suffix = PurePosixPath(str(path)).suffix.lower()
    return MEDIA_TYPES.get(suffix) or mimetypes.guess_type(str(path))[0] or "application/octet-stream"


class RefusedResource(ProjectError):
    """A reference that points outside the project or to the network."""


@dataclass(frozen=True)
class ProjectFiles:
    """Read-only, contained access to the files of one project folder."""

    root: Path  # absolute, resolved

    @classmethod
    def of(cls, project: Path) -> ProjectFiles:
        return cls(project.resolve())

    def resolve(self, reference: str, base: str = "", referrer: str | None = None) -> Path:
        """The absolute path of *reference*, relative to the project-relative folder *base*.

        Raises RefusedResource (naming *referrer*) for URLs, absolute paths, escapes through
        ``..`` or symlinks, and files that do not exist.
        """
        where = referrer or base or "."
        if "\0" in reference or "%00" in reference:  # no file name holds NUL; the OS refuses it
            raise RefusedResource([Problem(f"refused {reference!r}: a file name cannot contain "
                                           "NUL", where, code="resource-invalid")])
        parsed = urllib.parse.urlsplit(reference)
        if parsed.scheme or parsed.netloc or reference.startswith(("/", "\\")):
            raise RefusedResource(
                [Problem(f"refused {reference!r}: only files inside the project folder can be "
                         "used (no URLs, no absolute paths)", where, code="resource-outside")]
            )
        relative = urllib.parse.unquote(parsed.path)
        candidate = (self.root / base / relative).resolve()
        if not candidate.is_relative_to(self.root):
            raise RefusedResource(
                [Problem(f"refused {reference!r}: it points outside the project folder",
                         where, code="resource-outside")]
            )
        if not candidate.is_file():
            raise RefusedResource(
                [Problem(f"file not found: {reference!r} (looked for "
                         f"{candidate.relative_to(self.root).as_posix()})",
                         where, code="resource-missing")]
            )
        return candidate

    def relative(self, path: Path) -> str:
        """A path inside the project as a POSIX path relative to the project folder."""
        return path.resolve().relative_to(self.root).as_posix()

    def read_bytes(self, reference: str, base: str = "", referrer: str | None = None) -> bytes:
        """The bytes of a contained file, or of a ``data:`` URI."""
        if reference.startswith("data:"):
            return decode_data_uri(reference)[1]
        return self.resolve(reference, base, referrer).read_bytes()


def decode_data_uri(uri: str) -> tuple[str, bytes]:
    """(media type, bytes) of a ``data:`` URI."""
    header, _, payload = uri[5:].partition(",")
    kind = header.split(";")[0] or "text/plain"
    if header.endswith(";base64"):
        return kind, base64.b64decode(payload)
    return kind, urllib.parse.unquote_to_bytes(payload)


def read_text(path: Path, relative: str, problems: list[Problem], encoding: str = "utf-8",
              declare: str | None = None) -> str | None:
    """A project text file as text with LF line ends (a BOM and CRLF are fine), else a problem.

    Files are UTF-8. With *encoding* "gb18030" (which includes GBK and GB2312), a file that is
    not valid UTF-8 is read as GB18030 instead; one that is valid UTF-8 is still read as UTF-8,
    so a project converted file by file never turns into mojibake (GB18030 text of any length
    is practically never valid UTF-8, while UTF-8 often decodes as GB18030 without an error).
    A file that cannot be read gets a problem naming the line of its first bad byte; when it
    looks like GB18030, the problem gives the command that converts it and *declare*, the
    other way out (how the project says it uses GB18030), when there is one.
    """
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        text = _legacy_text(data, relative, problems, error, encoding, declare)
        if text is None:
            return None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _legacy_text(data: bytes, relative: str, problems: list[Problem], error: UnicodeDecodeError,
                 encoding: str, declare: str | None) -> str | None:
    """*data*, which is not UTF-8, decoded as the declared *encoding*, or None with a problem."""
    def line_of(position: int) -> int:
        return data[:position].count(b"\n") + 1

    if encoding == "gb18030":
        try:
            return data.decode("gb18030").removeprefix("\ufeff")  # GB18030's own BOM
        except UnicodeDecodeError as gb_error:
            # The later of the two failures is where the file's own encoding breaks: a GB18030
            # file stops being UTF-8 at its first Chinese character, and the other way round.
            problems.append(Problem("neither UTF-8 nor GB18030 text: save it as UTF-8", relative,
                                    line_of(max(error.start, gb_error.start)), code="encoding"))
            return None
    hint = "save it as UTF-8"
    try:
        data.decode("gb18030")
        name = shlex.quote(relative)
        hint = (f"it looks like GB18030/GBK: convert it, in the project folder, with "
                f"`iconv -f GB18030 -t UTF-8 {name} > {name}.utf8 && mv {name}.utf8 {name}`")
        if declare:
            hint += f", or {declare}"
    except UnicodeDecodeError:
        pass
    problems.append(Problem(f"not UTF-8 text: {hint}", relative, line_of(error.start),
                            code="encoding"))
    return None


def read_toml(path: Path, relative: str, problems: list[Problem], code: str = "toml-syntax",
              encoding: str = "utf-8", declare: str | None = None) -> tuple[dict, str] | None:
    """(data, text) of a project TOML file, or None with a problem (*code*) naming line and column.

    *encoding* and *declare* are read_text's."""
    text = read_text(path, relative, problems, encoding, declare)
    if text is None:
        return None
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as error:
        # Python < 3.14 has no lineno attribute: the position is only in the message.
        message = str(error)
        line = column = None
        match = re.search(r"\s*\(at line (\d+), column (\d+)\)", message)
        if match:
            message, line, column = message.replace(match[0], ""), int(match[1]), int(match[2])
        elif message.endswith(" (at end of document)"):
            message, line = message.removesuffix(" (at end of document)"), text.count("\n") or 1
        hint = next((h for start, h in _TOML_HINTS.items() if message.startswith(start)), None)
        problems.append(Problem(f"not valid TOML: {message}" + (f"; {hint}" if hint else ""),
                                relative, line, column, code=code))
        return None


# What the commonest TOML mistakes of book editors mean (tomllib's message starts → a hint).
_TOML_HINTS = {
    "Invalid value": 'write text in quotes and lists in brackets, e.g. language = "zh-Hans", '
                     'authors = ["甲", "乙"]',
    "Cannot overwrite a value": "a key is set twice (or is also a table): keep one",
    "Cannot declare": "a table is declared twice: keep one",
    "Illegal character '\\n'": 'a string is not closed: end it with " on the same line',
}


def toml_key_line(text: str, table: str | None, key: str) -> int | None:
    """The line where *key* is set inside [*table*] (or where [*key*] starts, for a table)."""
    lines = text.split("\n")
    in_table = table is None
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        header = re.match(r"^\[+\s*([^\]]+?)\s*\]+", stripped)
        if header:
            if table is None and header.group(1) == key:
                return number
            in_table = table is not None and header.group(1) == table
            continue
        if in_table and re.match(rf'^["\']?{re.escape(key)}["\']?\s*=', stripped):
            return number
    return None


# What luoshu reads by path, before any output's gate (ProjectFiles) is involved: book.toml,
# the manuscript (sections, captions.toml), styles/ and fonts/ (fonts.toml, project fonts).
READ_BY_PATH = ("book.toml", "manuscript", "styles", "fonts")


def links_out_of(project: Path) -> list[Problem]:
    """A problem for each of the project's inputs that is a link leading out of the project.

    Sections, captions.toml, book.toml, stylesheets and fonts are opened by path. A symlink
    among them (or a linked folder) would bring a file from elsewhere on the machine into the
    book — an untrusted manuscript could name ~/.ssh/id_rsa — so the build refuses them all,
    before anything is read.
    """
    root = project.resolve()
    problems = []
    for name in READ_BY_PATH:
        top = project / name
        candidates = [top]
        if top.is_dir() and not top.is_symlink():
            candidates += sorted(top.rglob("*"))
        for path in candidates:
            if not path.is_symlink() and path != top:
                continue
            if not (path.is_symlink() or path.exists()):
                continue
            try:
                inside = path.resolve().is_relative_to(root)
            except (OSError, RuntimeError):  # a loop of links
                inside = False
            if not inside:
                relative = path.relative_to(project).as_posix()
                problems.append(Problem(
                    f"{relative} is a link to {os.readlink(path)!r}, outside the project folder: "
                    "luoshu reads only files inside the project; copy the file in instead",
                    relative, code="resource-outside"))
    return problems
