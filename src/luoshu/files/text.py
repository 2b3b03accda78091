"""Reading the project's text files: UTF-8 (or GB18030 when declared), TOML, line numbers.

Every text file luoshu reads from a project — book.toml, the sections, captions.toml,
fonts/fonts.toml — is read here, so that a BOM, CRLF line ends, a legacy encoding or a TOML
mistake gets the same one-line problem with its file and line wherever it happens.
"""

from __future__ import annotations

import functools
import re
import shlex
import tomllib
from pathlib import Path

from ..errors import Problem


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
    try:
        data = path.read_bytes()
    except OSError as error:  # no permission, a folder of that name, a failing disk
        problems.append(Problem(f"cannot be read ({error.strerror or error}): check the file's "
                                "permissions, or save it again", relative, code="unreadable"))
        return None
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


# book.toml, captions.toml, fonts.toml and an edition's overrides are settings: a few
# kilobytes, a few hundred for a photo book's captions. Larger is a mistake, and reading it
# (and reporting each of its keys) would cost without bound.
MAX_TOML_BYTES = 4 << 20


def read_toml(path: Path, relative: str, problems: list[Problem], code: str = "toml-syntax",
              encoding: str = "utf-8", declare: str | None = None) -> tuple[dict, str] | None:
    """(data, text) of a project TOML file, or None with a problem (*code*) naming line and column.

    *encoding* and *declare* are read_text's. A file over MAX_TOML_BYTES is refused unread."""
    size = path.stat().st_size if path.is_file() else 0  # an unreadable one: read_text says so
    if size > MAX_TOML_BYTES:
        problems.append(Problem(
            f"the file is {size / 1e6:,.1f} MB, more than a TOML file of a book project may be "
            f"({MAX_TOML_BYTES >> 20} MB): is it the right file?", relative, code=code))
        return None
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


def clipped(text: str, keep: int = 50) -> str:
    """*text* as a one-line message shows a value the user wrote: whole when it is short, else
    its first *keep* characters, "…" and its length — never a page of it."""
    if len(text) <= keep + 10:
        return text
    return f"{text[:keep]}… ({len(text):,} characters)"


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
    return _key_lines(text).get((table, key))


_HEADER = re.compile(r"^\[+\s*([^\]]+?)\s*\]+")
_KEY = re.compile(r"""^["']?([^"'=]*?)["']?\s*=""")


@functools.lru_cache(maxsize=16)
def _key_lines(text: str) -> dict[tuple[str | None, str], int]:
    """(table, key) → the line of its first setting, and (None, table) → the line of the first
    [table] header: the whole file read once, so that a book.toml with thousands of problems
    is located in linear time (a TOML text is a pure input: remembered per process)."""
    found: dict[tuple[str | None, str], int] = {}
    table = None
    for number, line in enumerate(text.split("\n"), start=1):
        stripped = line.strip()
        header = _HEADER.match(stripped)
        if header:
            table = header.group(1)
            found.setdefault((None, table), number)
            continue
        key = _KEY.match(stripped)
        if key:
            found.setdefault((table, key.group(1).strip()), number)
    return found
