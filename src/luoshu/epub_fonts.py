"""Embedded fonts for the EPUB: the house fonts, subset to the characters the book uses.

A full Noto Serif CJK face is over 20 MB; the characters a book really draws are a few hundred
to a few thousand, about 180 bytes each once subset and compressed. So every font the book's
CSS would use is cut down to exactly those characters (plus the punctuation the typography
needs) and stored in the EPUB as WOFF2, with ``@font-face`` rules and role rules that put the
embedded family first. Reading systems that honour publisher fonts then draw the intended
faces; the others still get the system families and the generic family after it.

How a character is assigned to a font mirrors the CSS (``styles/base.css``, ``epub.css`` and
``fonts.ROLE_SELECTORS``):

- its *role* comes from the nearest ancestor a role selector matches (``h1``–``h6`` and
  ``.heading`` → heading, ``figcaption`` and ``.caption`` → caption, ``pre``/``code``/``kbd``/
  ``samp`` → code, everything else → body);
- its *weight* is 700 inside an element the CSS (or the reading system's default style sheet)
  makes bold — ``h1``–``h6``, ``strong``, ``b``, ``th`` — and 400 otherwise. ``.heading`` only
  changes the family, not the weight, as in the CSS. ``em`` is left alone: where emphasis dots
  are drawn it inherits the surrounding font; where they are not, epub.css sets it in the
  reading system's own bold ``sans-serif``, which no embedded font could change;
- then, as CSS font matching does, the face of the role's first family closest to that weight
  draws it if its character map has it, else the next family's, and so on.

Fallback families become families of their own ("luoshu caption fallback1"), listed after the
primary one, rather than further ``@font-face`` sources of the primary name with
``unicode-range``: per-character fallback along a ``font-family`` list is CSS 2 behaviour that
every reading system has, while some older ones (Adobe RMSDK) ignore ``unicode-range`` and
would use one source for every character.

Subsets are deterministic: the same fonts and documents give the same bytes (the ``head``
table keeps the source font's dates, WOFF2's Brotli compression is deterministic).
"""

from __future__ import annotations

import functools
import io
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from fontTools import subset as ft_subset
from fontTools.ttLib import TTFont
from lxml import etree
from lxml import html as lxml_html

from .fonts import ROLE_NAMES, ROLE_SELECTORS, _invisible
from .model import FontFace, FontRole, FontSet, script_of

__all__ = [
    "FEATURES",
    "FLAVORS",
    "STYLESHEET",
    "TYPOGRAPHY_CHARACTERS",
    "EmbeddedFont",
    "EmbeddedFonts",
    "characters_by_role",
    "coverage_problems",
    "embed_fonts",
    "is_invisible",
]

XHTML_NS = "http://www.w3.org/1999/xhtml"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
# Font files by flavor: media type (EPUB 3.3 core media types all), file suffix, CSS format().
FLAVORS = ("woff2", "sfnt")
_FORMATS = {"font/woff2": (".woff2", "woff2"), "font/otf": (".otf", "opentype"),
            "font/ttf": (".ttf", "truetype")}
FOLDER = "fonts"  # inside the EPUB's package folder
STYLESHEET = "style/book.css"  # where the CSS goes; its url()s are relative to it

# What the typography needs beyond the text itself: the Chinese punctuation the punctuation
# normalizer may produce and the space and digits (page numbers, list numbers, dates). Added
# to every body, heading and caption subset, so that small edits and reader-generated text
# (list markers, page-lists) do not fall back to another face.
TYPOGRAPHY_CHARACTERS = "，。、；：？！“”‘’「」『』（）《》〈〉【】—…·％ 0123456789"
TYPOGRAPHY_ROLES = ("body", "heading", "caption")

# OpenType features kept (all others are dropped with their lookups and the glyphs only they
# reach):
#   ccmp, locl      — glyph composition and the language's glyph forms (shapers apply them
#                     by default; locl is kept for the documents' languages only, see below);
#   vert, vrt2      — vertical forms of punctuation, for vertical writing modes;
#   kern, vkrn      — kerning (Latin text, punctuation pairs) horizontal and vertical;
#   palt, vpal, halt, vhal — proportional and half-width punctuation, which reading systems
#                     use for CSS text-spacing-trim (clreq's punctuation compression);
#   chws, vchw      — contextual half-width spacing: epub.css asks for "chws" where
#                     text-spacing-trim is missing; vchw is its vertical twin.
FEATURES = ("ccmp", "locl", "vert", "vrt2", "kern", "vkrn", "palt", "vpal", "halt", "vhal",
            "chws", "vchw")

# name table records kept: copyright (0), family/subfamily/unique/full name/version/PostScript
# name (1–6, which font sanitizers and platform font APIs expect), licence description and URL
# (13, 14: the fonts are under the SIL OFL, which travels with the font), typographic family
# and subfamily (16, 17). English records only.
NAME_IDS = (0, 1, 2, 3, 4, 5, 6, 13, 14, 16, 17)

# Elements drawn bold: base.css (h1–h6, strong) and the HTML default style sheet (b, th).
BOLD_ELEMENTS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6", "strong", "b", "th"})
# Elements whose text is never drawn.
HIDDEN_ELEMENTS = frozenset({"head", "script", "style", "template"})
# List markers a reading system draws in the list's font: decimal numbers for <ol>, disc,
# circle and square for nested <ul>. nav.toc lists have no markers (epub.css).
OL_MARKERS = "0123456789."
UL_MARKERS = "•◦▪"

# OpenType language systems for a BCP 47 language (primary subtag, or Chinese by script and
# region). Only the documents' languages keep their locl substitutions: in a Noto CJK face
# every other language system pulls in further sets of glyph forms (70% more bytes for the
# sample's body font).
_ZH_REGION_SYSTEMS = {"hk": "ZHH", "mo": "ZHTM", "tw": "ZHT"}
_LANGUAGE_SYSTEMS = {"ja": "JAN", "ko": "KOR"}


def is_invisible(char: str) -> bool:
    """Whitespace, controls, format characters and variation selectors: they need no glyph."""
    return _invisible(char)


@dataclass(frozen=True)
class EmbeddedFont:
    """One subset font file stored in the EPUB."""

    path: str  # inside the EPUB package folder, e.g. "fonts/body-400.woff2"
    data: bytes
    media_type: str  # "font/woff2" ("font/otf" or "font/ttf" with flavor="sfnt")
    family: str  # the CSS family name of its @font-face rule, e.g. "luoshu body"
    weight: int
    role: str
    characters: frozenset[str]  # what the subset covers (for tests and reports)
    source: FontFace | None = field(default=None, compare=False)  # the face it was cut from


@dataclass(frozen=True)
class EmbeddedFonts:
    """The embedded fonts of a book and the CSS that uses them."""

    fonts: tuple[EmbeddedFont, ...]
    # @font-face rules (url()s relative to style/book.css) and a font-family rule per role:
    # embedded families first, then the role's system families, then the generic family.
    # Meant to replace fonts.font_css(…, embed=False) at the end of the EPUB's stylesheet.
    css: str

    @property
    def size(self) -> int:
        """Total bytes of the font files."""
        return sum(len(font.data) for font in self.fonts)


# --- which characters each role draws ----------------------------------------------------


@dataclass
class _Scan:
    text: dict[tuple[str, int], set[str]] = field(default_factory=dict)  # what the text draws
    markers: dict[tuple[str, int], set[str]] = field(default_factory=dict)  # list markers
    languages: set[str] = field(default_factory=set)  # BCP 47 tags found on elements

    def add(self, table: dict, key: tuple[str, int], text: str) -> None:
        chars = {c for c in text if unicodedata.category(c) != "Cc"}
        if chars:
            table.setdefault(key, set()).update(chars)


def characters_by_role(documents: Iterable[str | bytes]) -> dict[tuple[str, int], set[str]]:
    """(role, weight) → the characters the documents' text draws in that role and weight.

    *documents* are the XHTML documents of the EPUB (whole documents, or fragments and plain
    text, which are read as the content of a ``<body>``). Text in ``<head>`` (the ``<title>``)
    is not drawn and not counted; the navigation document and the title page are documents
    like any other. Controls (newlines, tabs) are left out; other whitespace is kept, since
    ideographic and no-break spaces have widths of their own.
    """
    return _scan(documents).text


def _scan(documents: Iterable[str | bytes]) -> _Scan:
    scan = _Scan()
    for document in documents:
        root = _parse(document)
        _walk(root, "body", False, False, scan)
    return scan


def _parse(document: str | bytes) -> etree._Element:
    """The document as a tree: XHTML when it is well-formed, else read as an HTML fragment."""
    data = document.encode("utf-8") if isinstance(document, str) else document
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
    try:
        return etree.fromstring(data, parser)
    except etree.XMLSyntaxError:
        pass
    text = data.decode("utf-8-sig")
    text = re.sub(r"^\s*<\?xml[^>]*\?>", "", text)
    if re.search(r"<html[\s>]", text, re.IGNORECASE):  # a whole document, not well-formed
        return lxml_html.document_fromstring(text)
    try:  # a fragment with several top elements, or plain text
        return etree.fromstring(f'<body xmlns="{XHTML_NS}">{text}</body>'.encode(), parser)
    except etree.XMLSyntaxError:  # HTML entities, unclosed tags
        return lxml_html.fragment_fromstring(text, create_parent="body")


def _simple_selectors() -> list[tuple[int, int, str, str, str]]:
    """(specificity, rule order, "tag"/"class", name, role) for each selector of ROLE_SELECTORS."""
    selectors = []
    for order, role in enumerate(ROLE_NAMES):
        for selector in ROLE_SELECTORS[role].split(","):
            selector = selector.strip()
            if re.fullmatch(r"\.[A-Za-z_][\w-]*", selector):
                selectors.append((10, order, "class", selector[1:], role))
            elif re.fullmatch(r"[A-Za-z][\w-]*", selector):
                selectors.append((1, order, "tag", selector.lower(), role))
            else:  # tests/test_epub_fonts.py keeps ROLE_SELECTORS within what is read here
                raise ValueError(f"role selector {selector!r} is not a plain element or class")
    return selectors


_SELECTORS = _simple_selectors()


def element_role(name: str, classes: Iterable[str] = ()) -> str | None:
    """The role whose font-family rule applies to an element itself (None: it inherits).

    Of several matching rules the most specific wins, then the later one (the cascade).
    """
    classes = set(classes)
    best = None
    for specificity, order, kind, value, role in _SELECTORS:
        matches = (value == name) if kind == "tag" else (value in classes)
        if matches and (best is None or (specificity, order) >= best[:2]):
            best = (specificity, order, role)
    return best[2] if best else None


def _walk(element: etree._Element, role: str, bold: bool, in_toc: bool, scan: _Scan) -> None:
    name = etree.QName(element).localname.lower()
    if name in HIDDEN_ELEMENTS:
        return
    language = element.get(XML_LANG) or element.get("lang")
    if language:
        scan.languages.add(language)
    role = element_role(name, (element.get("class") or "").split()) or role
    bold = bold or name in BOLD_ELEMENTS
    in_toc = in_toc or (name == "nav" and "toc" in (element.get("class") or "").split())
    key = (role, 700 if bold else 400)
    if name == "ol" and not in_toc:
        scan.add(scan.markers, key, OL_MARKERS)
    elif name == "ul" and not in_toc:
        scan.add(scan.markers, key, UL_MARKERS)
    if element.text:
        scan.add(scan.text, key, element.text)
    for child in element:
        if isinstance(child.tag, str):
            _walk(child, role, bold, in_toc, scan)
        if child.tail:  # the tail is the parent's text, also after comments and PIs
            scan.add(scan.text, key, child.tail)


# --- embedding ---------------------------------------------------------------------------


def embed_fonts(fonts: FontSet, documents: Iterable[str | bytes], *,
                flavor: str = "woff2") -> EmbeddedFonts:
    """The subset fonts that draw every character of *documents*, and the CSS using them.

    For each (role, weight) the documents use, the face of each of the role's families closest
    to that weight (as CSS font matching picks it) takes the characters its character map has
    and no earlier family took; each face that takes any becomes one WOFF2 subset. A character
    no family has is left out (``coverage_problems`` reports it; ``fonts.check_coverage``
    stops a build before that). Roles without text get no font, only their CSS rule.

    *flavor* "woff2" (the default: about 12% smaller inside the zip) or "sfnt" (plain
    OpenType/TrueType, ``font/otf`` or ``font/ttf``, for reading systems older than WOFF2).
    """
    if flavor not in FLAVORS:
        raise ValueError(f"flavor must be one of {', '.join(FLAVORS)}, not {flavor!r}")
    scan = _scan(documents)
    systems = _language_systems(scan.languages)
    cmaps = _Cmaps()
    embedded = []
    try:
        plan = _plan(fonts, scan, cmaps)
        for (_, index, face), (role, characters) in sorted(
                plan.items(), key=lambda item: (item[0][0], item[0][1], item[0][2].weight)):
            family, stem = _names(role.name, index)
            data, covered, media_type = _subset_face(
                str(face.path), face.index, face.path.stat().st_mtime_ns, frozenset(characters),
                frozenset(systems) if systems is not None else None, flavor)
            suffix = _FORMATS[media_type][0]
            embedded.append(EmbeddedFont(
                path=f"{FOLDER}/{stem}-{face.weight}{suffix}", data=data,
                media_type=media_type, family=family, weight=face.weight, role=role.name,
                characters=covered, source=face))
    finally:
        cmaps.close()
    return EmbeddedFonts(tuple(embedded), _css(fonts, embedded))


def _plan(fonts: FontSet, scan: _Scan, cmaps: _Cmaps
          ) -> dict[tuple[int, int, FontFace], tuple[FontRole, set[str]]]:
    """(role order, family index, face) → (role, characters to cut from that face).

    Text characters (visible ones) decide which faces are embedded; the optional ones
    (whitespace, list markers, the typography's punctuation) go along into the first embedded
    face that has them, never into a face of their own.
    """
    roles = {role.name: role for role in fonts.roles}
    plan: dict[tuple[int, int, FontFace], tuple[FontRole, set[str]]] = {}
    keys = sorted(scan.text.keys() | scan.markers.keys(),
                  key=lambda k: (ROLE_NAMES.index(k[0]), k[1]))
    for key in keys:
        role_name, weight = key
        role = roles[role_name]
        text = scan.text.get(key, set())
        required = {c for c in text if not _invisible(c)}
        optional = (text - required) | scan.markers.get(key, set())
        if role_name in TYPOGRAPHY_ROLES:
            optional |= set(TYPOGRAPHY_CHARACTERS)
        optional -= required
        for index, family in enumerate(role.families):
            faces = [face for face in role.faces if face.family == family]
            if not faces or not required:
                continue
            face = match_weight(weight, faces)
            cmap = cmaps.get(face)
            taken = {c for c in required if ord(c) in cmap}
            if not taken:
                continue
            required -= taken
            extra = {c for c in optional if ord(c) in cmap}
            optional -= extra
            entry = plan.setdefault((ROLE_NAMES.index(role_name), index, face), (role, set()))
            entry[1].update(taken | extra)
    return plan


def _names(role: str, index: int) -> tuple[str, str]:
    """The CSS family name and the file name stem of a role's *index*-th family's subset."""
    if index == 0:
        return f"luoshu {role}", role
    return f"luoshu {role} fallback{index}", f"{role}-fallback{index}"


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


class _Cmaps:
    """Loads each face once: its character map for the plan, then the same font to subset."""

    def __init__(self):
        self._fonts: dict[tuple[str, int], TTFont] = {}
        self._cmaps: dict[tuple[str, int], frozenset[int]] = {}

    @staticmethod
    def _key(face: FontFace) -> tuple[str, int]:
        return (str(face.path), face.index)

    @staticmethod
    def _open(face: FontFace) -> TTFont:
        # lazy: tables are read when first used, so only what the subset needs is parsed.
        # recalcBBoxes=False: the bounding boxes of hhea, vhea and CFF stay those of the full
        # font (still true bounds for a subset); recomputing them draws every glyph, which is
        # a third of the time. recalcTimestamp=False keeps head.modified: deterministic bytes.
        return TTFont(face.path, fontNumber=face.index, lazy=True, recalcBBoxes=False,
                      recalcTimestamp=False)

    def get(self, face: FontFace) -> frozenset[int]:
        key = self._key(face)
        if key not in self._cmaps:
            if key not in self._fonts:
                self._fonts[key] = self._open(face)
            self._cmaps[key] = frozenset(self._fonts[key].getBestCmap() or {})
        return self._cmaps[key]

    def take(self, face: FontFace) -> TTFont:
        """The loaded font, handed over for subsetting (which changes it); reloaded if taken."""
        font = self._fonts.pop(self._key(face), None)
        return font if font is not None else self._open(face)

    def close(self) -> None:
        for font in self._fonts.values():
            font.close()
        self._fonts.clear()


def _language_systems(languages: set[str]) -> set[str] | None:
    """The OpenType language systems to keep for BCP 47 *languages*; None keeps them all
    (documents that declare no language)."""
    if not languages:
        return None
    systems = set()
    for language in languages:
        parts = [p.lower() for p in language.replace("_", "-").split("-")]
        if parts[0] == "zh":
            region = next((p for p in parts[1:] if p in _ZH_REGION_SYSTEMS), None)
            if region:
                systems.add(_ZH_REGION_SYSTEMS[region])
                if region == "mo":  # older fonts know Macao only as Traditional Chinese
                    systems.add("ZHT")
            else:
                systems.add("ZHT" if script_of(language) == "Hant" else "ZHS")
        elif parts[0] in _LANGUAGE_SYSTEMS:
            systems.add(_LANGUAGE_SYSTEMS[parts[0]])
    return systems


def _keep_language_systems(font: TTFont, systems: set[str] | None) -> None:
    """Drop the GSUB/GPOS language systems not in *systems* (each script's default stays)."""
    if systems is None:
        return
    for tag in ("GSUB", "GPOS"):
        if tag not in font:
            continue
        table = font[tag].table
        if table.ScriptList is None:
            continue
        for record in table.ScriptList.ScriptRecord:
            script = record.Script
            script.LangSysRecord = [r for r in script.LangSysRecord
                                    if r.LangSysTag.strip() in systems]
            script.LangSysCount = len(script.LangSysRecord)


@functools.lru_cache(maxsize=32)
def _subset_face(path: str, index: int, mtime_ns: int, characters: frozenset[str],
                 systems: frozenset[str] | None, flavor: str) -> tuple[bytes, frozenset[str], str]:
    """The face at *path*/*index* cut down to *characters*.

    A pure function of the font file (its path and modification time name it) and the
    arguments, so results are remembered: building many books, or one book again, in one
    process subsets each distinct cut once. (Subsetting a CJK font takes seconds.)
    """
    font = TTFont(path, fontNumber=index, lazy=True, recalcBBoxes=False, recalcTimestamp=False)
    return _subset(font, set(characters), set(systems) if systems is not None else None, flavor)


def _subset(font: TTFont, characters: set[str], systems: set[str] | None, flavor: str
            ) -> tuple[bytes, frozenset[str], str]:
    """*font* cut down to *characters*: its bytes, the characters it covers, its media type."""
    try:
        _keep_language_systems(font, systems)
        options = ft_subset.Options()
        options.layout_features = list(FEATURES)
        options.hinting = False  # readers rasterize at screen sizes with their own hinting
        options.desubroutinize = True  # flat CFF charstrings compress about 13% better
        options.glyph_names = False
        options.name_IDs = list(NAME_IDS)
        options.name_languages = [0x0409]
        options.name_legacy = False
        options.notdef_outline = False
        options.recalc_bounds = False
        options.recalc_timestamp = False
        options.flavor = flavor if flavor == "woff2" else None
        subsetter = ft_subset.Subsetter(options)
        subsetter.populate(unicodes=sorted(ord(c) for c in characters))
        subsetter.subset(font)
        covered = frozenset(chr(u) for u in (font.getBestCmap() or {}))
        if flavor == "woff2":
            font.flavor, media_type = "woff2", "font/woff2"
        else:
            font.flavor = None
            media_type = "font/otf" if ("CFF " in font or "CFF2" in font) else "font/ttf"
        buffer = io.BytesIO()
        font.save(buffer)
        return buffer.getvalue(), covered, media_type
    finally:
        font.close()


# --- CSS -----------------------------------------------------------------------------------


def _quote(family: str) -> str:
    return '"' + family.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _css(fonts: FontSet, embedded: list[EmbeddedFont]) -> str:
    lines = ["/* Embedded fonts: the house fonts subset to the characters of this book. */"]
    for font in embedded:
        url = "../" * STYLESHEET.count("/") + font.path
        lines.append(f"@font-face {{ font-family: {_quote(font.family)}; font-style: normal; "
                     f"font-weight: {font.weight}; src: url(\"{url}\") "
                     f"format(\"{_FORMATS[font.media_type][1]}\"); }}")
    for role in fonts.roles:
        families = list(dict.fromkeys(f.family for f in embedded if f.role == role.name))
        families += role.families
        listed = ", ".join(_quote(family) for family in families)
        lines.append(f"{ROLE_SELECTORS[role.name]} {{ font-family: {listed}, {role.generic}; }}")
    return "\n".join(lines) + "\n"


# --- checking ----------------------------------------------------------------------------


def coverage_problems(embedded: EmbeddedFonts, documents: Iterable[str | bytes]) -> list[str]:
    """Characters of *documents* that the embedded fonts of their role and weight lack.

    Read from the font files themselves (their character maps), with the family order and
    weight matching a reading system would use. Invisible characters are not checked. An
    empty list means every visible character is drawn by an embedded font.
    """
    maps = {font.path: frozenset(chr(u) for u in
                                 (TTFont(io.BytesIO(font.data)).getBestCmap() or {}))
            for font in embedded.fonts}
    problems = []
    for (role, weight), text in sorted(characters_by_role(documents).items()):
        families: dict[str, dict[int, EmbeddedFont]] = {}
        for font in embedded.fonts:
            if font.role == role:
                families.setdefault(font.family, {}).setdefault(font.weight, font)
        covered: set[str] = set()
        for by_weight in families.values():
            covered |= maps[by_weight[closest_weight(weight, by_weight)].path]
        for char in sorted(c for c in text - covered if not _invisible(c)):
            problems.append(f"U+{ord(char):04X} {char!r} "
                            f"({unicodedata.name(char, 'unnamed character')}) in {role} text, "
                            f"weight {weight}: no embedded font has it")
    return problems

