"""book.toml → a validated, typed Config; every problem reported at once.

Each table of book.toml maps to a frozen dataclass of ``luoshu.model``; the fields' types drive
validation, so adding an option is adding a field (with its one-line comment) in the model and
its line in ``OPTION_DOCS`` below. Unknown keys are errors that suggest the closest valid key.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import difflib
import re
import types
import typing
import uuid
from collections.abc import MutableMapping
from pathlib import Path

from ..errors import Problem, ProjectError
from ..files.paths import BOOK_TOML
from ..files.text import clipped, read_toml, toml_key_line
from ..model import (
    EDITION_VARIANTS,
    FORMATS,
    MM_PER_PT,
    TRIM_SIZES,
    WRITING_MODES,
    BookMeta,
    ColophonOptions,
    Config,
    Edition,
    EditionOptions,
    EpubOptions,
    OutputOptions,
    PrintOptions,
    TypographyOptions,
    option_choices,
    option_doc,
    option_limit,
    script_of,
)
from ..zh.punctuation import normalize
from ..zh.typocheck import CODES as CHECK_CODES

TABLES = {"book": BookMeta, "output": OutputOptions, "print": PrintOptions, "epub": EpubOptions,
          "typography": TypographyOptions, "colophon": ColophonOptions}
# One line per option, from its declaration in luoshu.model: shown in error messages and in the
# README's reference (scripts/options_reference.py).
OPTION_DOCS: dict[str, dict[str, str]] = {
    table: {f.name: f.metadata["doc"] for f in dataclasses.fields(cls)}
    for table, cls in TABLES.items()}
QUOTE_STYLES = option_choices(TypographyOptions, "quotes")
# [book] encoding: what may be written → the codec luoshu reads with. GB18030 contains GBK and
# GB2312, so files in those are read correctly as GB18030.
ENCODINGS = {"utf-8": "utf-8", "utf8": "utf-8", "gb18030": "gb18030", "gbk": "gb18030",
             "gb2312": "gb18030", "cp936": "gb18030"}
NORMALIZED_META = ("title", "subtitle", "description")  # shown as text: normalized like the text
_LANGUAGE = re.compile(r"^[a-zA-Z]{2,3}(-[a-zA-Z]{4})?(-([a-zA-Z]{2}|[0-9]{3}))?(-[a-zA-Z0-9]{5,8})*$")
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:\S+$")
_BASENAME = re.compile(r"^[A-Za-z0-9_\-.\u3400-\u9fff]+$")


def load_config(project: Path, sources: MutableMapping[str, str] | None = None) -> Config:
    """Read and validate ``project/book.toml``; raise ProjectError with every problem found.
    Its text, as read, goes to *sources* when given."""
    path = project / BOOK_TOML
    if not path.is_file():
        raise ProjectError([Problem(
            f"no {BOOK_TOML} here: is {project} a book project? Create {BOOK_TOML} with a "
            "[book] table giving title and language", BOOK_TOML, code="config-missing")])
    problems: list[Problem] = []
    loaded = read_toml(path, BOOK_TOML, problems, code="config-syntax")
    if loaded is None:
        raise ProjectError(problems)
    data, text = loaded
    if sources is not None:
        sources[BOOK_TOML] = text
    return parse_config(data, text)


def parse_config(data: dict, text: str = "") -> Config:
    """Validate parsed book.toml *data* (*text* is the source, to locate problems)."""
    problems: list[Problem] = []
    for table in data.keys() - TABLES.keys() - {EDITIONS}:
        problems.append(_unknown(table, [*TABLES, EDITIONS], text, None, "table"))
    values: dict[str, dict] = {}
    for table, cls in TABLES.items():
        raw = data.get(table, {})
        if not isinstance(raw, dict):
            problems.append(Problem(f"{table} must be a table ([{table}])", BOOK_TOML,
                                    toml_key_line(text, None, table), code="config-type"))
            raw = {}
        values[table] = _check_table(table, cls, raw, text, problems)
    book = values["book"]
    for required in ("title", "language"):
        if not book.get(required):
            problems.append(Problem(f"[book] needs {required}: {OPTION_DOCS['book'][required]}",
                                    BOOK_TOML, toml_key_line(text, None, "book"),
                                    code="config-required"))
    _check_values(values, text, problems)
    editions = _editions(data.get(EDITIONS, {}), book, text, problems)
    if problems:
        raise ProjectError(problems)
    if not book.get("identifier"):
        # Stable across rebuilds and machines: readers and stores key books on it.
        book["identifier"] = f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'luoshu:' + book['title'])}"
    typography = TypographyOptions(**values["typography"])
    meta = BookMeta(**book)
    if typography.normalize_punctuation:
        meta = dataclasses.replace(meta, **{
            key: normalize(getattr(meta, key), meta.script, markdown=False,
                           options=typography).text
            for key in NORMALIZED_META if getattr(meta, key)})
    return Config(
        book=meta,
        output=OutputOptions(**values["output"]),
        print=PrintOptions(**values["print"]),
        epub=EpubOptions(**values["epub"]),
        typography=typography,
        colophon=ColophonOptions(**values["colophon"]),
        editions=editions,
    )


def _check_table(table: str, cls: type, raw: dict, text: str, problems: list[Problem]) -> dict:
    """Keep the keys of *raw* that exist in *cls* and have the right type."""
    hints = typing.get_type_hints(cls)
    fields = {f.name for f in dataclasses.fields(cls)}
    accepted = {}
    for written, value in raw.items():
        key = written.replace("-", "_")  # writing-mode and writing_mode are the same key
        if key not in fields:
            problems.append(_unknown(written, fields, text, table, "key"))
            continue
        converted = _convert(value, hints[key])
        if converted is _INVALID:
            problems.append(Problem(
                f"[{table}] {written} must be {_describe(hints[key])}, not "
                f"{clipped(repr(value))}: {option_doc(cls, key)}", BOOK_TOML,
                toml_key_line(text, table, written), code="config-type"))
            continue
        length, limit = _text_length(converted), option_limit(cls, key)
        if length is not None and length > limit:
            # Refused before any other check reads it; kept cut short, so that no "needs
            # title" follows and no later message repeats the whole value.
            problems.append(Problem(
                f"[{table}] {written} is {length:,} characters long, more than the {limit:,} "
                "it may have: shorten it", BOOK_TOML,
                toml_key_line(text, table, written), code="config-too-long"))
            converted = (converted[:limit] if isinstance(converted, str)
                         else tuple(item[:limit] for item in converted[:limit]))
        control = _control_character(converted)
        if control:
            # Invisible, and no XML document (the EPUB) may hold one.
            problems.append(Problem(
                f"[{table}] {written} holds U+{ord(control):04X}, a control character: delete "
                "it", BOOK_TOML, toml_key_line(text, table, written), code="config-control"))
        accepted[key] = converted  # (kept, so that no "needs title" follows the problem above)
    return accepted


def _text_length(value: object) -> int | None:
    """Characters of a text option's value (a list: of its items together); None otherwise."""
    if isinstance(value, str):
        return len(value)
    if isinstance(value, tuple) and all(isinstance(item, str) for item in value):
        return sum(map(len, value))
    return None


def _control_character(value: object) -> str | None:
    """The first control character (other than tab and line breaks) in a string or list."""
    for text in (value if isinstance(value, tuple) else (value,)):
        if isinstance(text, str):
            for char in text:
                if (ord(char) < 0x20 and char not in "\t\n\r") or 0x7F <= ord(char) < 0xA0:
                    return char
    return None


_INVALID = object()


def _convert(value: object, hint: object) -> object:
    """*value* converted to the field type *hint*, or _INVALID."""
    options = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
    for option in options:
        if option is type(None):
            continue
        if option is bool and isinstance(value, bool):
            return value
        if option is str and isinstance(value, str):
            return value.strip()
        if option is float and isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if option is int and isinstance(value, int) and not isinstance(value, bool):
            return value
        if option is _dt.date:
            if isinstance(value, _dt.date) and not isinstance(value, _dt.datetime):
                return value
            if isinstance(value, str):
                try:
                    return _dt.date.fromisoformat(value)
                except ValueError:
                    return _INVALID
        if typing.get_origin(option) is tuple and isinstance(value, list):
            if all(isinstance(item, str) for item in value):
                return tuple(item.strip() for item in value)
    return _INVALID


def _describe(hint: object) -> str:
    text = str(hint)
    if hint is int:
        return "a whole number"
    if hint is bool:
        return "true or false"
    if "tuple" in text:
        return "a list of strings"
    if "date" in text:
        return "a date (YYYY-MM-DD)"
    if "float" in text:
        return "a number"
    return "a string"


def _check_values(values: dict[str, dict], text: str, problems: list[Problem]) -> None:
    """Checks beyond types: language tags, identifiers, formats, sizes."""
    book, output, print_ = values["book"], values["output"], values["print"]
    typography, epub = values["typography"], values["epub"]
    if epub.get("writing_mode", "horizontal-tb") not in WRITING_MODES:
        problems.append(Problem(f"[epub] writing-mode must be one of {', '.join(WRITING_MODES)}",
                                BOOK_TOML, toml_key_line(text, "epub", "writing-mode")
                                or toml_key_line(text, "epub", "writing_mode"),
                                code="config-writing-mode"))
    if epub.get("image_max_edge", 1600) < 64:
        problems.append(Problem("[epub] image_max_edge must be at least 64 (pixels)", BOOK_TOML,
                                toml_key_line(text, "epub", "image_max_edge"),
                                code="config-range"))
    language = book.get("language")
    if language and not _LANGUAGE.match(language):
        problems.append(Problem(f"[book] language {language!r} is not a BCP 47 tag; use e.g. "
                                "zh-Hans (Simplified) or zh-Hant (Traditional)", BOOK_TOML,
                                toml_key_line(text, "book", "language"), code="config-language"))
    encoding = book.get("encoding")
    if encoding is not None:
        if encoding.lower() in ENCODINGS:
            book["encoding"] = ENCODINGS[encoding.lower()]
        else:
            problems.append(Problem(f"[book] encoding {encoding!r} is not supported: write "
                                    '"utf-8" (the default) or "gb18030" (also for GBK and '
                                    "GB2312), or convert the files to UTF-8", BOOK_TOML,
                                    toml_key_line(text, "book", "encoding"),
                                    code="config-encoding"))
    identifier = book.get("identifier")
    if identifier:
        problem = _identifier_problem(identifier)
        if problem:
            code = "config-isbn" if "ISBN" in problem else "config-identifier"
            problems.append(Problem(f"[book] identifier {identifier!r} {problem}", BOOK_TOML,
                                    toml_key_line(text, "book", "identifier"), code=code))
    for name in output.get("formats", ()):
        if name not in FORMATS:
            problems.append(Problem(f"[output] formats: unknown format {name!r}; known: "
                                    f"{', '.join(FORMATS)}", BOOK_TOML,
                                    toml_key_line(text, "output", "formats"), code="config-format"))
    basename = output.get("basename")
    if basename is not None and not _BASENAME.match(basename):
        problems.append(Problem(f"[output] basename {basename!r} must be a plain file name "
                                "(letters, digits, - _ .)", BOOK_TOML,
                                toml_key_line(text, "output", "basename"), code="config-basename"))
    _check_print(print_, text, problems)
    quotes = typography.get("quotes")
    if quotes is not None and quotes not in QUOTE_STYLES:
        problems.append(Problem(f"[typography] quotes {quotes!r} is not a quote style; use one of "
                                f"{', '.join(QUOTE_STYLES)}", BOOK_TOML,
                                toml_key_line(text, "typography", "quotes"), code="config-quotes"))
    for code in typography.get("ignore", ()):
        if code.upper() not in CHECK_CODES:
            problems.append(Problem(f"[typography] ignore: unknown check code {code!r}; codes are "
                                    f"{min(CHECK_CODES)}…{max(CHECK_CODES)} "
                                    "(see docs/typography-checks.md)",
                                    BOOK_TOML, toml_key_line(text, "typography", "ignore"),
                                    code="config-check-code"))
    if "ignore" in typography:
        typography["ignore"] = tuple(code.upper() for code in typography["ignore"])


EDITIONS = "editions"
_EDITION_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-]*$")
# Edition names that would give an edition's outputs the names of the book's own: book-press.pdf.
_RESERVED_EDITION_NAMES = ("press", "pdfa", "archive")


def _editions(raw: object, book: dict, text: str, problems: list[Problem]) -> tuple[Edition, ...]:
    """The [editions.NAME] tables: Traditional editions converted from a Simplified book."""
    def problem(message: str, line: int | None, code: str = "config-edition") -> None:
        problems.append(Problem(message, BOOK_TOML, line, code=code))

    if not isinstance(raw, dict):
        problem('[editions] holds one table per edition: write [editions.zh-Hant] with '
                'variant = "s2t"', toml_key_line(text, None, EDITIONS), "config-type")
        return ()
    editions = []
    for name, table in raw.items():
        header = f"{EDITIONS}.{name}"
        line = toml_key_line(text, None, header)
        if not isinstance(table, dict):
            problem(f'[editions] {name} must be a table: write [editions.{name}] with variant = '
                    '"s2t"', toml_key_line(text, EDITIONS, name), "config-type")
            continue
        if not _EDITION_NAME.match(name) or name.lower() in _RESERVED_EDITION_NAMES:
            problem(f"edition name {name!r} names its outputs (book-{name}.epub): use letters, "
                    "digits and '-', e.g. [editions.zh-Hant]", line)
            continue
        before = len(problems)
        values = _check_table(header, EditionOptions, table, text, problems)
        variant, language = values.get("variant"), values.get("language")
        if "variant" not in table:
            problem(f"[{header}] needs variant: {option_doc(EditionOptions, 'variant')}", line)
        elif variant is not None and variant not in EDITION_VARIANTS:
            problem(f"[{header}] variant {variant!r} is not an OpenCC conversion; use one of "
                    f"{', '.join(EDITION_VARIANTS)}", toml_key_line(text, header, "variant"))
        if language and (not _LANGUAGE.match(language) or script_of(language) != "Hant"):
            problem(f"[{header}] language {language!r} must be a Traditional Chinese BCP 47 tag "
                    "(zh-Hant, zh-Hant-TW, zh-Hant-HK)", toml_key_line(text, header, "language"))
        identifier = values.get("identifier")
        if identifier and _identifier_problem(identifier):
            problem(f"[{header}] identifier {identifier!r} {_identifier_problem(identifier)}",
                    toml_key_line(text, header, "identifier"), "config-identifier")
        if script_of(book.get("language") or "zh-Hans") == "Hant":
            problem(f"[{header}]: the book is already Traditional Chinese (language = "
                    f"{book.get('language')!r}); editions convert a Simplified manuscript", line)
        if len(problems) == before:
            editions.append(Edition(name, EditionOptions(**values)))
    return tuple(editions)


def _check_print(print_: dict, text: str, problems: list[Problem]) -> None:
    """Sizes: positive, a known trim preset, and a text block that fits the page. Resolves the
    trim preset into ``print_``'s trim_width_mm/trim_height_mm."""
    def problem(message: str, key: str | None, code: str = "config-range") -> None:
        problems.append(Problem(f"[print] {message}", BOOK_TOML,
                                toml_key_line(text, "print", key) if key else
                                toml_key_line(text, None, "print"), code=code))

    before = len(problems)
    for key, value in print_.items():
        if isinstance(value, float) and key != "bleed_mm" and value <= 0:
            problem(f"{key} must be positive", key)
    if not 0 <= print_.get("bleed_mm", 3.0) <= 10:
        problem("bleed_mm must be between 0 and 10 (printers ask for 3)", "bleed_mm")
    if len(problems) > before:
        return  # the checks below would only repeat these in other words
    custom = [key for key in ("trim_width_mm", "trim_height_mm") if key in print_]
    trim = print_.setdefault("trim", "custom" if custom else "16k").lower()
    print_["trim"] = trim
    if trim == "custom":
        if len(custom) < 2:
            problem("a custom trim size needs both trim_width_mm and trim_height_mm",
                    custom[0] if custom else "trim", "config-trim")
    elif trim not in TRIM_SIZES:
        close = difflib.get_close_matches(trim, TRIM_SIZES, n=1, cutoff=0.5)
        hint = f"did you mean {close[0]!r}? " if close else ""
        problem(f"trim {trim!r} is not a trim size; {hint}use one of {', '.join(TRIM_SIZES)}, "
                "or custom with trim_width_mm and trim_height_mm", "trim", "config-trim")
    elif custom:
        problem(f"trim = {trim!r} fixes the size: remove {' and '.join(custom)}, or write "
                'trim = "custom"', custom[0], "config-trim")
    else:
        print_["trim_width_mm"], print_["trim_height_mm"] = TRIM_SIZES[trim]
    defaults = PrintOptions()
    option = lambda key: print_.get(key, getattr(defaults, key))  # noqa: E731
    text_width = option("trim_width_mm") - option("margin_inner_mm") - option("margin_outer_mm")
    text_height = option("trim_height_mm") - option("margin_top_mm") - option("margin_bottom_mm")
    # Below these the text block cannot hold a line of a dozen characters or a photo.
    if text_width < 40 or text_height < 60:
        problem(f"the margins leave a text block of {text_width:g} × {text_height:g} mm on a "
                f"{option('trim_width_mm'):g} × {option('trim_height_mm'):g} mm page: make "
                "them smaller (at least 40 × 60 mm must remain)", None, "config-margins")
    elif option("grid"):
        _snap_to_grid(print_, option, text_width, text_height)


def _snap_to_grid(print_: dict, option, text_width: float, text_height: float) -> None:
    """The text block (版心) made a whole number of body characters wide and of lines high, as
    a Chinese page is designed: every full line holds the same characters, every page the same
    lines. The margins take the difference, the inner and outer in proportion to each other,
    the top and bottom likewise (values rounded to a thousandth of a millimetre)."""
    em = option("font_size_pt") * MM_PER_PT
    pitch = em * option("line_height")
    width = int(text_width / em + 1e-6) * em
    height = int(text_height / pitch + 1e-6) * pitch
    for (first, second), spare in ((("margin_inner_mm", "margin_outer_mm"), text_width - width),
                                   (("margin_top_mm", "margin_bottom_mm"), text_height - height)):
        a, b = option(first), option(second)
        share = a / (a + b) if a + b else 0.5
        print_[first] = a + spare * share
        print_[second] = b + spare * (1 - share)


def _identifier_problem(identifier: str) -> str | None:
    """What is wrong with a book identifier, or None. It must be a URI: urn:isbn:…, urn:uuid:…,
    or another scheme (urn:issn:…, doi:…) that catalogues understand."""
    lowered = identifier.lower()
    if lowered.startswith("urn:isbn:"):
        return None if _isbn_ok(identifier[9:]) else "is not a valid ISBN (check digit or length)"
    if lowered.startswith("urn:uuid:"):
        try:
            uuid.UUID(identifier[9:])
        except ValueError:
            return "is not a valid UUID"
        return None
    if not _URI.match(identifier):
        return "is not a URI: write urn:isbn:978…, urn:uuid:…, or leave it out to derive one"
    return None


def _isbn_ok(isbn: str) -> bool:
    digits = isbn.replace("-", "").replace(" ", "").upper()
    if len(digits) == 13 and digits.isdigit():
        return sum(int(d) * (1 if i % 2 == 0 else 3) for i, d in enumerate(digits)) % 10 == 0
    if len(digits) == 10 and digits[:9].isdigit() and (digits[9].isdigit() or digits[9] == "X"):
        total = sum((10 - i) * (10 if d == "X" else int(d)) for i, d in enumerate(digits))
        return total % 11 == 0
    return False


def _unknown(key: str, valid, text: str, table: str | None, kind: str) -> Problem:
    """An unknown key or table, with the closest valid name suggested."""
    close = difflib.get_close_matches(key, sorted(valid), n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]!r}?" if close else f"; valid: {', '.join(sorted(valid))}"
    where = f" in [{table}]" if table else ""
    return Problem(f"unknown {kind} {clipped(repr(key))}{where}{hint}", BOOK_TOML,
                   toml_key_line(text, table, key), code="config-unknown-key")


# --- The reference ------------------------------------------------------------------------------

README_START = "<!-- options: generated by scripts/options_reference.py from luoshu.model -->"
README_END = "<!-- /options -->"


def options_reference() -> str:
    """Every book.toml option as Markdown tables, one per table: key, default, meaning. The
    README carries this text between README_START and README_END (a test keeps it true)."""
    parts = []
    for table, cls in {**TABLES, f"{EDITIONS}.NAME": EditionOptions}.items():
        rows = [f"| `{f.name.replace('_', '-') if f.name == 'writing_mode' else f.name}` "
                f"| {_default_text(f)} | {f.metadata['doc'].replace('|', '¦')}{_limit_text(f)} |"
                for f in dataclasses.fields(cls)]
        parts.append(f"`[{table}]`\n\n| key | default | meaning |\n|---|---|---|\n"
                     + "\n".join(rows))
    return "\n\n".join(parts) + "\n"


def _limit_text(declared: dataclasses.Field) -> str:
    """" At most 1,000 characters." for a text option (whose choices do not bound it already)."""
    hint = str(declared.type)
    if "str" not in hint or declared.metadata["choices"]:
        return ""
    return (f" At most {declared.metadata['limit']:,} characters"
            f"{' in all' if 'tuple' in hint else ''}.")


def _default_text(declared: dataclasses.Field) -> str:
    value = declared.default
    if value is dataclasses.MISSING or value is None:
        return "—"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, str):
        return f'`"{value}"`'
    if isinstance(value, tuple):
        return "`[" + ", ".join(f'"{item}"' for item in value) + "]`"
    return f"`{value:g}`" if isinstance(value, float) else f"`{value}`"
