"""Marks a role's first face draws wrong, taken from a later face of the role.

A Chinese quotation mark (“”‘’) takes a full em. Some faces draw them Latin-width — LXGW WenKai,
the default caption face, at 350/1000, so “汛” looks cramped. And a face drawn for Simplified
Chinese sets its punctuation in the lower left of the em box, where Traditional Chinese centres
it: in a Traditional book, WenKai's captions would set ，。、 unlike the body. A typesetter
takes such marks from the next face of the role that draws them right (the caption's Song or
Ming fallback). The EPUB does it when it subsets the fonts (luoshu.epub.fonts); the print
document wraps the marks in ``<span class="borrowed-mark">`` and ``borrowed_marks_css`` sets
them in that face.
"""

from __future__ import annotations

import functools

from fontTools.ttLib import TTFont

from ..model import FontFace, FontRole, FontSet
from .roles import ROLE_SELECTORS

QUOTES = "“”‘’"
# The marks Traditional Chinese centres in the em box (Simplified sets them low and left).
CENTRED_IN_HANT = "，。、；：！？"
MARK_CLASS = "borrowed-mark"
FULL_WIDTH = 0.9  # of an em: a mark this wide is full-width


def quote_widths(face: FontFace) -> dict[str, float]:
    """Advance widths (in ems) of the quotation marks *face* has, by its default glyphs."""
    return _face_facts(str(face.path), face.index, face.path.stat().st_mtime_ns)[0]


def narrow_quotes(face: FontFace) -> set[str]:
    """The Chinese quotation marks *face* draws narrower than a full em."""
    return {quote for quote, width in quote_widths(face).items() if width < FULL_WIDTH}


def drawn_for_traditional(face: FontFace) -> bool:
    """Whether *face* sets Traditional Chinese punctuation: a TC/HK face, or one with a
    Traditional language system (ZHT, ZHH) for its localized forms."""
    return _face_facts(str(face.path), face.index, face.path.stat().st_mtime_ns)[1]


@functools.lru_cache(maxsize=64)
def _face_facts(path: str, index: int, mtime_ns: int) -> tuple[dict[str, float], bool]:
    font = TTFont(path, fontNumber=index, lazy=True)
    try:
        cmap = font.getBestCmap() or {}
        em = font["head"].unitsPerEm
        widths = {quote: font["hmtx"][cmap[ord(quote)]][0] / em
                  for quote in QUOTES if ord(quote) in cmap}
        names = " ".join(str(record) for record in font["name"].names
                         if record.nameID in (1, 4, 16) and record.isUnicode())
        systems = set()
        if "GSUB" in font:
            for script in font["GSUB"].table.ScriptList.ScriptRecord:
                systems |= {record.LangSysTag for record in script.Script.LangSysRecord}
        traditional = bool(systems & {"ZHT ", "ZHH "}) or any(
            mark in names for mark in (" TC", " HK", "Traditional", "繁"))
        return widths, traditional
    finally:
        font.close()


def borrowed_marks(role: FontRole, script: str) -> tuple[str, frozenset[str]] | None:
    """(family, marks): the marks *role*'s first face draws wrong for a book in *script*, and
    the later family of the role that draws them right; None when there is nothing to borrow."""
    primary = next((face for face in role.faces if face.family == role.families[0]), None)
    if primary is None:
        return None
    for family in role.families[1:]:
        face = next((face for face in role.faces if face.family == family), None)
        if face is None:
            continue
        marks = set()
        if narrow_quotes(primary) and not narrow_quotes(face):
            marks |= narrow_quotes(primary)
        if (script == "Hant" and not drawn_for_traditional(primary)
                and drawn_for_traditional(face)):
            marks |= set(CENTRED_IN_HANT)
        if marks:
            return family, frozenset(marks)
    return None


def borrowed_marks_css(fonts: FontSet, script: str) -> str:
    """The rules that set each role's wrapped marks in the family they are borrowed from."""
    rules = []
    for role in fonts.roles:
        borrowed = borrowed_marks(role, script)
        if borrowed is not None:
            selectors = ", ".join(f"{s.strip()} .{MARK_CLASS}"
                                  for s in ROLE_SELECTORS[role.name].split(","))
            rules.append(f'{selectors} {{ font-family: "{borrowed[0]}", {role.generic}; }}')
    return "\n".join(rules) + ("\n" if rules else "")
