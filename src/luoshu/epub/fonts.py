"""Embedded fonts for the EPUB: the house fonts, subset to the characters the book uses.

A full Noto Serif CJK face is over 20 MB; the characters a book really draws are a few hundred
to a few thousand, about 180 bytes each once subset and compressed. So every font the book's
CSS would use is cut down to exactly those characters (plus the punctuation the typography
needs) and stored in the EPUB as plain OpenType (CFF outlines, ``.otf``) or TrueType (``.ttf``),
as the source face is, with ``@font-face`` rules and role rules that put the embedded family
first. Reading systems that honour publisher fonts then draw the intended faces; the others
still get the system families and the generic family after it.

Why not WOFF2 or WOFF: Kindle (KindleGen, Kindle Previewer) reads OpenType and TrueType only;
calibre's AZW3 conversion drops WOFF2 and WOFF 1.0 fonts alike (measured: no font left in the
AZW3), and Kobo's reader fails on WOFF2. Inside the EPUB's zip, deflate takes most of what WOFF
would save: the sample's fonts are 12% larger as OpenType than as WOFF2 and the same size as
WOFF 1.0 (see docs/epub.md), so the format every target reads costs a few kilobytes.

Which role and weight each character is drawn in is read from the documents as the CSS
assigns them (``font_usage``). Then, as CSS font matching does, the face of the role's first
family closest to that weight draws it if its character map has it, else the next family's,
and so on.

Fallback families become families of their own ("luoshu caption fallback1"), listed after the
primary one, rather than further ``@font-face`` sources of the primary name with
``unicode-range``: per-character fallback along a ``font-family`` list is CSS 2 behaviour that
every reading system has, while some older ones (Adobe RMSDK) ignore ``unicode-range`` and
would use one source for every character.

Subsets are deterministic: the same fonts and documents give the same bytes (the ``head``
table keeps the source font's dates).
"""

from __future__ import annotations

import functools
import io
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from fontTools import subset as ft_subset
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTFont, newTable

from ..fonts.quotes import borrowed_marks
from ..fonts.roles import (
    ROLE_NAMES,
    ROLE_SELECTORS,
    _invisible,
    character_map,
    closest_weight,
    match_weight,
)

# characters_by_role, element_role and is_invisible are re-exported: callers import them here.
from ..fonts.usage import (
    FontUsage,
    characters_by_role,
    element_role,
    is_invisible,
    language_systems,
    scan_documents,
)
from ..model import FontFace, FontRole, FontSet, script_of

__all__ = [
    "FEATURES",
    "STYLESHEET",
    "TYPOGRAPHY_CHARACTERS",
    "EmbeddedFont",
    "EmbeddedFonts",
    "characters_by_role",
    "coverage_problems",
    "element_role",
    "embed_fonts",
    "is_invisible",
]

# Font files by outline format: media type (EPUB 3.3 core media types both), file suffix, CSS
# format().
_FORMATS = {"font/otf": (".otf", "opentype"), "font/ttf": (".ttf", "truetype")}
FOLDER = "fonts"  # inside the EPUB's package folder
STYLESHEET = "style/book.css"  # where the CSS goes; its url()s are relative to it

# What the typography needs beyond the text itself: the Chinese punctuation the punctuation
# normalizer may produce and the space and digits (page numbers, list numbers, dates). Added
# to every body, heading and caption subset, so that small edits and reader-generated text
# (list markers, page-lists) do not fall back to another face.
# EMPHASIS_MARK is the glyph of the emphasis dots (着重号): a reading system draws it from the
# emphasized text's font, so the face must carry it or the dots come from a system font (or
# not at all).
EMPHASIS_MARK = "●"
TYPOGRAPHY_CHARACTERS = "，。、；：？！“”‘’「」『』（）《》〈〉【】—…·％ 0123456789" + EMPHASIS_MARK
TYPOGRAPHY_ROLES = ("body", "heading", "caption")

# OpenType features kept (all others are dropped with their lookups and the glyphs only they
# reach):
#   ccmp, locl      — glyph composition and the language's glyph forms (shapers apply them
#                     by default; locl is kept for the documents' languages only, see
#                     font_usage.language_systems);
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

@dataclass(frozen=True)
class EmbeddedFont:
    """One subset font file stored in the EPUB."""

    path: str  # inside the EPUB package folder, e.g. "fonts/body-400.otf"
    data: bytes
    media_type: str  # "font/otf" (CFF outlines) or "font/ttf" (TrueType outlines)
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


# --- embedding ---------------------------------------------------------------------------


def embed_fonts(fonts: FontSet, documents: Iterable[str | bytes]) -> EmbeddedFonts:
    """The subset fonts that draw every character of *documents*, and the CSS using them.

    For each (role, weight) the documents use, the face of each of the role's families closest
    to that weight (as CSS font matching picks it) takes the characters its character map has
    and no earlier family took; each face that takes any becomes one OpenType subset. A
    character no family has is left out (``coverage_problems`` reports it;
    ``fonts.check_coverage`` stops a build before that). Roles without text get no font, only
    their CSS rule.
    """
    scan = scan_documents(documents)
    systems = language_systems(scan.languages)
    embedded = []
    plan = _plan(fonts, scan)
    for (_, index, face), (role, characters) in sorted(
            plan.items(), key=lambda item: (item[0][0], item[0][1], item[0][2].weight)):
        family, stem = _names(role.name, index)
        data, covered, media_type = _subset_face(
            str(face.path), face.index, face.path.stat().st_mtime_ns, frozenset(characters),
            frozenset(systems) if systems is not None else None)
        suffix = _FORMATS[media_type][0]
        embedded.append(EmbeddedFont(
            path=f"{FOLDER}/{stem}-{face.weight}{suffix}", data=data,
            media_type=media_type, family=family, weight=face.weight, role=role.name,
            characters=covered, source=face))
    return EmbeddedFonts(tuple(embedded), _css(fonts, embedded))


def _plan(fonts: FontSet, scan: FontUsage) -> dict[tuple[int, int, FontFace], tuple[FontRole, set[str]]]:
    """(role order, family index, face) → (role, characters to cut from that face).

    Text characters (visible ones) decide which faces are embedded; the optional ones
    (whitespace, list markers, the typography's punctuation) go along into the first embedded
    face that has them, never into a face of their own.
    """
    roles = {role.name: role for role in fonts.roles}
    plan: dict[tuple[int, int, FontFace], tuple[FontRole, set[str]]] = {}
    # The documents' script (their languages): a Traditional book borrows centred punctuation.
    script = "Hant" if scan.languages and all(
        script_of(language) == "Hant" for language in scan.languages) else "Hans"
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
        chosen = [(index, match_weight(weight, faces))
                  for index, faces in _faces_by_family(role)]
        borrowed = borrowed_marks(role, script)
        for position, (index, face) in enumerate(chosen):
            if not required:
                break
            cmap = character_map(face)
            # Marks the role's first face draws wrong — Latin-width quotes (LXGW WenKai's are
            # 350/1000: “汛” looks cramped), Simplified-style punctuation in a Traditional
            # book — are left to the later family that draws them right (the Kai caption's
            # Song or Ming fallback, as a typesetter would; luoshu.fonts.quotes).
            withheld = borrowed[1] if borrowed is not None and position == 0 else frozenset()
            taken = {c for c in required if ord(c) in cmap} - withheld
            if not taken:
                continue
            required -= taken
            extra = {c for c in optional if ord(c) in cmap} - withheld
            optional -= extra
            entry = plan.setdefault((ROLE_NAMES.index(role_name), index, face), (role, set()))
            entry[1].update(taken | extra)
    return plan


def _faces_by_family(role: FontRole) -> list[tuple[int, list[FontFace]]]:
    """(index of the family in the role, its faces) for each family that has faces."""
    families = [(index, [face for face in role.faces if face.family == family])
                for index, family in enumerate(role.families)]
    return [(index, faces) for index, faces in families if faces]


def _names(role: str, index: int) -> tuple[str, str]:
    """The CSS family name and the file name stem of a role's *index*-th family's subset."""
    if index == 0:
        return f"luoshu {role}", role
    return f"luoshu {role} fallback{index}", f"{role}-fallback{index}"


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
                 systems: frozenset[str] | None) -> tuple[bytes, frozenset[str], str]:
    """The face at *path*/*index* cut down to *characters*.

    A pure function of the font file (its path and modification time name it) and the
    arguments, so results are remembered: building many books, or one book again, in one
    process subsets each distinct cut once. (Subsetting a CJK font takes seconds.)
    """
    font = TTFont(path, fontNumber=index, lazy=True, recalcBBoxes=False, recalcTimestamp=False)
    return _subset(font, set(characters), set(systems) if systems is not None else None)


def _subset(font: TTFont, characters: set[str], systems: set[str] | None
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
        options.flavor = None
        subsetter = ft_subset.Subsetter(options)
        subsetter.populate(unicodes=sorted(ord(c) for c in characters))
        subsetter.subset(font)
        if "CFF " in font:
            _to_truetype(font)
        covered = frozenset(chr(u) for u in (font.getBestCmap() or {}))
        font.flavor = None  # plain sfnt, whatever the source was (a WOFF in fonts/)
        media_type = "font/otf" if "CFF2" in font else "font/ttf"
        buffer = io.BytesIO()
        font.save(buffer)
        return buffer.getvalue(), covered, media_type
    finally:
        font.close()


def _to_truetype(font: TTFont) -> None:
    """Redraw a CFF (PostScript-outline) font's glyphs as TrueType quadratic outlines.

    KindleGen warns that CFF fonts "may not render clearly on all Kindle readers" (W14029),
    and some older readers' rasterizers handle TrueType only. Cubic curves become quadratic
    ones within a thousandth of an em (cu2qu); the subset has no hinting to lose. VORG, the
    CFF-only vertical origins, goes: vertical text takes them from vmtx, which agrees.
    """
    glyph_set = font.getGlyphSet()
    order = font.getGlyphOrder()
    glyphs = {}
    for name in order:
        pen = TTGlyphPen(glyph_set)
        glyph_set[name].draw(Cu2QuPen(pen, max_err=1.0, reverse_direction=True))
        glyphs[name] = pen.glyph()
    font["loca"] = newTable("loca")
    font["glyf"] = glyf = newTable("glyf")
    glyf.glyphOrder, glyf.glyphs = order, glyphs
    del font["CFF "]
    if "VORG" in font:
        del font["VORG"]
    font.recalcBBoxes = True  # glyph, maxp, head and hhea boxes follow the new outlines
    glyf.compile(font)  # computes each glyph's bounding box
    metrics = font["hmtx"].metrics
    for name in order:  # left side bearings follow the new outlines' boxes
        metrics[name] = (metrics[name][0], getattr(glyphs[name], "xMin", 0))
    maxp = font["maxp"]
    maxp.tableVersion = 0x00010000
    for name in ("maxZones", "maxTwilightPoints", "maxStorage", "maxFunctionDefs",
                  "maxInstructionDefs", "maxStackElements", "maxSizeOfInstructions",
                  "maxComponentElements", "maxComponentDepth", "maxPoints", "maxContours",
                  "maxCompositePoints", "maxCompositeContours"):
        setattr(maxp, name, 0)
    maxp.maxZones = 1
    font["head"].glyphDataFormat = 0
    font["post"].formatType = 3.0  # no glyph names, as the subset asked
    font.sfntVersion = "\x00\x01\x00\x00"


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

