"""House fonts: resolve fonts/fonts.toml to font files, write font CSS, and refuse tofu.

Roles (body, heading, caption, code) are declared in the package's default ``fonts.toml`` and
overridden per role by a project's ``fonts/fonts.toml``. A family is found in the project's
``fonts/`` folder when the role names ``files``, otherwise among the system's fonts through
fontconfig (``fc-list``), which is what WeasyPrint itself uses — so what we check is what gets
drawn.

"Never ship tofu": before anything is rendered, every character of the manuscript is looked up
in the character maps of its role's fonts; one that none of them covers is an error naming the
code point, the character and ``file:line``.

A project's own font files are untrusted like its manuscript: each is validated whole when it is
loaded (``font_damage``) — every table by the OpenType Sanitizer that Chrome and Firefox run on
web fonts (pyots: every glyph's outline, offsets, lengths), then the tables luoshu itself reads
with fontTools — so that a damaged file is refused with its name and the reason, never a
traceback halfway through the coverage check or the EPUB's subsetter. System fonts come from the
machine's packages and are trusted.
"""

from __future__ import annotations

import functools
import re
import subprocess
import tomllib
import unicodedata
from collections.abc import Iterable
from importlib import resources
from pathlib import Path

import pyots
from fontTools.ttLib import TTFont
from tinycss2.serializer import serialize_string_value

from ..errors import Problem, ProjectError
from ..files.paths import BOOK_TOML, CAPTIONS, FONTS, FONTS_TOML
from ..files.text import clipped, read_toml, toml_key_line
from ..model import Book, FontFace, FontRole, FontSet, script_of

ROLE_NAMES = ("body", "heading", "caption", "code")
ROLE_KEYS = {"family", "files", "fallback", "generic"}
GENERIC_FAMILIES = {"serif", "sans-serif", "monospace", "cursive", "fantasy", "system-ui"}

# What a family name may be: a name, never CSS or markup (it is written into stylesheets).
MAX_FAMILY_CHARACTERS = 200
# A font file larger than this is refused unread (the largest CJK collections are ~120 MB).
MAX_FONT_BYTES = 256 * 1024 * 1024
# The tables luoshu reads with fontTools (the no-tofu check, the EPUB's subsets and cover, the
# archive's licence record); each is decoded when a project font is loaded.
READ_TABLES = ("head", "hhea", "maxp", "OS/2", "name", "post", "cmap", "hmtx", "loca", "glyf",
               "CFF ", "CFF2", "vhea", "vmtx", "GDEF", "GSUB", "GPOS")
_NOT_A_NAME = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")

# fontconfig weights → CSS weights (fontconfig's scale: 80 regular, 200 bold).
_FC_TO_CSS_WEIGHT = ((0, 100), (40, 200), (50, 300), (80, 400), (100, 500), (180, 600),
                     (200, 700), (205, 800), (210, 900))


def load_fonts(project: Path, language: str) -> FontSet:
    """Resolve every role for a book in *language*; raise ProjectError listing all problems."""
    defaults = tomllib.loads(
        resources.files("luoshu").joinpath("fonts", "fonts.toml").read_text(encoding="utf-8")
    )
    problems: list[Problem] = []
    declared, text = _read_project_fonts(project, problems)
    script = script_of(language)
    roles: dict[str, FontRole] = {}
    for name in ROLE_NAMES:
        spec = {**defaults[name], **declared.get(name, {})}
        if name in declared:
            where = (FONTS_TOML, toml_key_line(text, None, name))
        else:
            where = ("luoshu default fonts.toml", None)
        role = _resolve_role(project, name, spec, script, where, problems)
        if role is not None:
            roles[name] = role
    if problems:
        raise ProjectError(problems)
    return FontSet(**roles)


def _read_project_fonts(project: Path, problems: list[Problem]) -> tuple[dict, str]:
    """The roles a project's fonts/fonts.toml declares (valid tables only), and its text."""
    path = project / FONTS_TOML
    if not path.is_file():
        return {}, ""
    loaded = read_toml(path, FONTS_TOML, problems, code="fonts-toml")
    if loaded is None:
        return {}, ""
    data, text = loaded
    roles = {}
    for role, spec in data.items():
        if role not in ROLE_NAMES or not isinstance(spec, dict):
            problems.append(Problem(
                f"[{role}] is not a font role: fonts.toml holds tables named "
                f"{', '.join(ROLE_NAMES)}", FONTS_TOML, toml_key_line(text, None, role),
                code="fonts-unknown-role"))
            continue
        for key in sorted(spec.keys() - ROLE_KEYS):
            problems.append(Problem(f"unknown key {key!r} in [{role}]; keys are "
                                    f"{', '.join(sorted(ROLE_KEYS))}", FONTS_TOML,
                                    toml_key_line(text, role, key), code="fonts-unknown-key"))
        roles[role] = spec
    return roles, text


def _by_script(value, script: str):
    """A value given once for both scripts, or as a table {Hans = …, Hant = …}."""
    if isinstance(value, dict):
        return value.get(script, value.get("Hans"))
    return value


def _resolve_role(project, name, spec, script, where, problems) -> FontRole | None:
    family = _by_script(spec.get("family"), script)
    fallback = _by_script(spec.get("fallback", []), script) or []
    if isinstance(fallback, str):  # one name given without a list
        fallback = [fallback]
    generic = spec.get("generic", "serif")
    path, line = where
    if not isinstance(family, str) or not family:
        problems.append(Problem(f"[{name}] needs a family name", path, line, code="fonts-family"))
        return None
    if not isinstance(fallback, list):
        fallback = [fallback]  # reported below: not a name
    wrong = [(key, family_problem(value)) for key, value in
             (("family", family), *(("fallback", extra) for extra in fallback))]
    for key, why in wrong:
        if why:
            problems.append(Problem(f"[{name}] {key} {why}", path, line, code="fonts-family"))
    if any(why for _, why in wrong):
        return None
    if not isinstance(generic, str) or generic not in GENERIC_FAMILIES:
        problems.append(Problem(f"[{name}] generic must be one of {', '.join(sorted(GENERIC_FAMILIES))}",
                                path, line, code="fonts-generic"))
        generic = "serif"
    faces: list[FontFace] = []
    if spec.get("files"):
        faces += _project_faces(project, name, family, spec["files"], path, line, problems)
    else:
        found = system_faces(family)
        if not found:
            problems.append(Problem(
                f"font family {family!r} (role {name}) is not installed; install it (Debian: "
                "fonts-noto-cjk, fonts-lxgw-wenkai) or put its files in fonts/ and list them "
                f"under [{name}] files in {FONTS_TOML}", path, line, code="fonts-missing"))
        faces += found
    for extra in fallback:
        found = system_faces(extra)
        if not found:
            problems.append(Problem(f"fallback font family {extra!r} (role {name}) is not installed",
                                    path, line, code="fonts-missing"))
        faces += found
    return FontRole(name, (family, *fallback), tuple(faces), generic)


def _project_faces(project, role, family, files, path, line, problems) -> list[FontFace]:
    faces = []
    fonts_dir = (project / FONTS).resolve()
    for name in files if isinstance(files, list) else [files]:
        if not isinstance(name, str) or not name or _NOT_A_NAME.search(name):
            problems.append(Problem(f"[{role}] files lists {clipped(repr(name))}, which is not a "
                                    "file name: list the font files in fonts/ by name, e.g. "
                                    'files = ["House-Regular.otf"]', path, line,
                                    code="fonts-file-missing"))
            continue
        file = (fonts_dir / name).resolve()
        shown = f"fonts/{clipped(name)}"
        if not file.is_relative_to(fonts_dir) or not file.is_file():
            problems.append(Problem(f"font file {shown} (role {role}) not found", path, line,
                                    code="fonts-file-missing"))
            continue
        damage = font_damage(file)
        if damage:
            problems.append(Problem(f"{shown} (role {role}) is not a usable font file: {damage}; "
                                    "get a fresh copy of the font, or remove it from fonts.toml",
                                    path, line, code="fonts-file-invalid"))
            continue
        with TTFont(file, fontNumber=0, lazy=True) as font:  # every table read already
            weight = font["OS/2"].usWeightClass if "OS/2" in font else 400
        # CSS weights run from 1 to 1000; the sanitizer lets a font through with others.
        faces.append(FontFace(family, file, 0, min(max(weight, 1), 1000), in_project=True))
    return faces


def family_problem(name: object) -> str | None:
    """What makes *name* unusable as a font family name, or None. A family name ends up in
    stylesheets and in fontconfig's queries: a name, never a line break, a control character or
    a page of text (escaping keeps anything else harmless: ``css_string``)."""
    if not isinstance(name, str) or not name.strip():
        return f"{clipped(repr(name))} is not a family name (a non-empty string)"
    if len(name) > MAX_FAMILY_CHARACTERS:
        return (f"is {len(name):,} characters long; a family name has at most "
                f"{MAX_FAMILY_CHARACTERS}")
    bad = _NOT_A_NAME.search(name)
    if bad:
        return (f"{clipped(repr(name))} holds U+{ord(bad.group()):04X}, a control character: "
                "write the family name as fc-list shows it")
    return None


def font_damage(path: Path, index: int = 0) -> str | None:
    """Why the font file at *path* (face *index* of a collection) cannot be used, or None.

    The OpenType Sanitizer checks every table, every glyph's outline included, as browsers do
    before they use a web font; then the tables luoshu reads with fontTools (READ_TABLES) are
    decoded. A font file is large and read by several stages: the verdict is remembered per
    process, by path, size and modification time (a pure memo)."""
    stat = path.stat()
    return _font_damage(str(path), index, stat.st_size, stat.st_mtime_ns)


@functools.lru_cache(maxsize=64)
def _font_damage(path: str, index: int, size: int, mtime_ns: int) -> str | None:
    if size > MAX_FONT_BYTES:
        return f"it is {size / 1e6:,.0f} MB, more than luoshu reads ({MAX_FONT_BYTES >> 20} MB)"
    result = pyots.sanitize(path, quiet=False, font_index=index)
    if not result.sanitized:
        # "ERROR: cmap: Bad subtable offset in cmap subtable 0", then "cmap: Failed to parse
        # table": the first says why.
        errors = [m.removeprefix("ERROR: ") for m in result.messages if m.startswith("ERROR")]
        return f"the OpenType Sanitizer refuses it ({(errors or ['not a font'])[0]})"
    try:
        with TTFont(path, fontNumber=index, lazy=True) as font:
            for tag in READ_TABLES:
                if tag in font:
                    font[tag]  # decoded on access
            font.getBestCmap()
    except Exception as error:  # noqa: BLE001 - untrusted file: any parser failure is the file's
        return f"its tables cannot be read ({str(error)[:120] or type(error).__name__})"
    return None


def system_faces(family: str) -> list[FontFace]:
    """Every installed face of *family*, via fontconfig (an exact family-name match)."""
    # fontconfig's pattern syntax gives "\", "-", ":" and "," meanings: escaped, they are the name.
    pattern = re.sub(r"([\\\-:,])", r"\\\1", family)
    try:
        listing = subprocess.run(
            ["fc-list", "--format", "%{file}\t%{index}\t%{weight}\n", f":family={pattern}"],
            capture_output=True, text=True, check=True, timeout=60,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    faces = []
    for row in sorted(set(listing.splitlines())):
        file, index, weight = (row.split("\t") + ["0", "80"])[:3]
        faces.append(FontFace(family, Path(file), int(index or 0), _css_weight(weight)))
    return faces


def _css_weight(fc_weight: str) -> int:
    try:
        value = float(fc_weight.split()[0].strip("[]"))
    except (ValueError, IndexError):
        return 400
    return min(_FC_TO_CSS_WEIGHT, key=lambda pair: abs(pair[0] - value))[1]


# --- CSS ---------------------------------------------------------------------------------

ROLE_SELECTORS = {
    "body": "body",
    "heading": "h1, h2, h3, h4, h5, h6, .heading",
    "caption": "figcaption, .caption",
    "code": "pre, code, kbd, samp",
}


def font_css(fonts: FontSet, embed: bool, base: str = "") -> str:
    """CSS giving each role its families; with *embed*, @font-face rules for project fonts.

    *base* is prefixed to project-relative font paths in ``url()`` (e.g. ``"../"`` when the
    stylesheet's base URL is the ``manuscript/`` folder).
    """
    rules = []
    if embed:
        for role in fonts.roles:
            for face in role.faces:
                if face.in_project:
                    url = f"{base}fonts/{face.path.name}"
                    rules.append(f'@font-face {{ font-family: {css_string(face.family)}; '
                                 f'src: url({css_string(url)}); font-weight: {face.weight}; }}')
    for role in fonts.roles:
        families = ", ".join(css_string(family) for family in role.families)
        rules.append(f"{ROLE_SELECTORS[role.name]} {{ font-family: {families}, {role.generic}; }}")
    return "\n".join(rules) + "\n"


def css_string(text: str) -> str:
    """*text* as a quoted CSS string: quotes, backslashes and line breaks escaped (tinycss2), and
    "<" too, so that the stylesheet can sit in an HTML <style> element whatever the text."""
    return f'"{serialize_string_value(text)}"'.replace("<", "\\3c ")


# --- coverage ("never ship tofu") ---------------------------------------------------------


def character_map(face: FontFace) -> frozenset[int]:
    """The code points *face* has glyphs for.

    Reading the map of a Noto CJK collection takes a few tenths of a second, and the no-tofu
    check, the EPUB font subsetter and the cover all need the same maps; the file's path and
    modification time name it, so the answer is remembered per process (a pure memo).
    """
    return _character_map(str(face.path), face.index, face.path.stat().st_mtime_ns)


@functools.lru_cache(maxsize=64)
def _character_map(path: str, index: int, mtime_ns: int) -> frozenset[int]:
    font = TTFont(path, fontNumber=index, lazy=True)
    try:
        return frozenset(font.getBestCmap() or {})
    finally:
        font.close()


class Coverage:
    """Which characters each role's fonts can draw; built once per build, never shared."""

    def __init__(self, fonts: FontSet):
        self.roles = {role.name: role for role in fonts.roles}
        self._covered: dict[str, frozenset[int]] = {}

    def covered(self, role: str) -> frozenset[int]:
        if role not in self._covered:
            points: set[int] = set()
            # Per family the regular face: bold faces cover the same characters.
            for face in faces_per_family(self.roles[role].faces, 400):
                points |= character_map(face)
            self._covered[role] = frozenset(points)
        return self._covered[role]

    def missing(self, text: str, role: str) -> list[str]:
        """Characters of *text* that the role's fonts lack, in order of appearance, once each."""
        covered = self.covered(role)
        seen: dict[str, None] = {}
        for char in text:
            if ord(char) not in covered and char not in seen and not _invisible(char):
                seen[char] = None
        return list(seen)


def closest_weight(weight: int, available: Iterable[int]) -> int:
    """The weight CSS font matching picks for *weight* among a family's *available* weights.

    CSS Fonts 4, §5.2: for 400, 500 is tried first, then lighter weights, then heavier; for
    500, 400 then lighter then heavier; above 500, heavier weights first, then lighter; below
    400, lighter first, then heavier.
    """

    def rank(w: int) -> tuple[int, int]:
        if w == weight:
            return (0, 0)
        if 400 <= weight <= 500:
            if weight < w <= 500:
                return (1, w - weight)
            if w < weight:
                return (2, weight - w)
            return (3, w - weight)
        if weight > 500:
            return (1, w - weight) if w > weight else (2, weight - w)
        return (1, weight - w) if w < weight else (2, w - weight)

    return min(available, key=rank)


def match_weight(weight: int, faces: Iterable[FontFace]) -> FontFace:
    """The face of one family CSS font matching picks for *weight* (the first of equals)."""
    faces = list(faces)
    best = closest_weight(weight, [face.weight for face in faces])
    return next(face for face in faces if face.weight == best)


def faces_per_family(faces: Iterable[FontFace], weight: int) -> list[FontFace]:
    """Per family, in order, the face CSS font matching picks for *weight*."""
    faces = list(faces)
    families = dict.fromkeys(face.family for face in faces)
    return [match_weight(weight, [f for f in faces if f.family == family]) for family in families]


def _invisible(char: str) -> bool:
    """Whitespace, controls, format characters and variation selectors need no glyph."""
    if char.isspace() or unicodedata.category(char) in ("Cc", "Cf"):
        return True
    return 0xFE00 <= ord(char) <= 0xFE0F or 0xE0100 <= ord(char) <= 0xE01EF


def check_coverage(book: Book, captions_path: str = CAPTIONS) -> list[Problem]:
    """Every character of the book checked against the fonts of the role that draws it."""
    coverage = Coverage(book.fonts)
    problems: list[Problem] = []

    def report(text: str, role: str, path: str, line: int | None) -> None:
        for char in coverage.missing(text, role):
            families = ", ".join(coverage.roles[role].families)
            problems.append(Problem(
                f"no configured font covers U+{ord(char):04X} {char!r} "
                f"({unicodedata.name(char, 'unnamed character')}); the {role} fonts are "
                f"{families}: add a font that has it in fonts/fonts.toml, or replace the character",
                path, line, code="font-missing-glyph"))

    for section in book.sections:
        for number, role, text in _markdown_lines(section.text):
            report(text, role, section.source.path, number)
    for photo in book.photos:
        where = photo.source or None
        report(photo.caption + (photo.credit or ""), "caption",
               where.path if where else captions_path, where.line if where else None)
    meta = book.meta
    toml = (book.project / BOOK_TOML).read_text(encoding="utf-8-sig")
    for key, value, role in (("title", meta.title, "heading"), ("subtitle", meta.subtitle, "heading"),
                             ("authors", " ".join(meta.authors), "body"),
                             ("publisher", meta.publisher, "body")):
        report(value or "", role, BOOK_TOML, toml_key_line(toml, "book", key))
    return _first_per_character(problems)


def _markdown_lines(text: str) -> Iterable[tuple[int, str, str]]:
    """(line number, role, line) for each line of a section's Markdown source."""
    in_fence = False
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.lstrip()
        if stripped.startswith(("```", "~~~")):
            in_fence = not in_fence
            continue
        if in_fence:
            yield number, "code", line
        elif stripped.startswith("#"):
            yield number, "heading", line
        elif stripped.startswith("!["):
            yield number, "caption", line
        else:
            yield number, "body", line


def _first_per_character(problems: list[Problem]) -> list[Problem]:
    """One problem per character and file: the first place, with a count of the others."""
    first: dict[tuple[str, str], Problem] = {}
    counts: dict[tuple[str, str], int] = {}
    for problem in problems:
        key = (problem.message, str(problem.path))
        counts[key] = counts.get(key, 0) + 1
        first.setdefault(key, problem)
    result = []
    for key, problem in first.items():
        more = counts[key] - 1
        if more:
            problem = Problem(f"{problem.message} (and {more} more line(s) in this file)",
                              problem.path, problem.line, code=problem.code)
        result.append(problem)
    return result
