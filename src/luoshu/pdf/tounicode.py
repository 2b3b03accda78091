"""Keep the press PDF's text extractable: the source's ToUnicode maps, put back after Ghostscript.

A font's /ToUnicode CMap says which characters each glyph stands for; it is what copy and
paste, search and accessibility tools read. WeasyPrint writes one per font, and maps a glyph
that stands for several characters (the ``ff`` ligature, a ``——`` that the font draws as one
glyph) to all of them. Ghostscript 10.00's pdfwrite rewrites those entries wrongly — "——"
comes out as U+1414 U+1414 ("ᐔ") — while it keeps the glyph identifiers (CIDs) of the fonts it
re-embeds. So the source's maps are still right for the converted fonts: ``restore`` finds,
for each composite font of the converted PDF, the source font whose map agrees with it on the
glyphs both define, and gives it a copy of that source map.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pikepdf
from pikepdf import Name

_BFCHAR = re.compile(rb"beginbfchar(.*?)endbfchar", re.S)
_BFRANGE = re.compile(rb"beginbfrange(.*?)endbfrange", re.S)
_PAIR = re.compile(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>")
_RANGE = re.compile(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>")
MIN_AGREEMENT = 0.9  # share of a source map's glyphs that must map the same in the converted


def glyph_map(cmap: bytes) -> dict[int, str]:
    """A ToUnicode CMap's entries, glyph code → hex UTF-16 (bfchar, and bfrange with a start
    value; the rare array form of bfrange is not read)."""
    entries: dict[int, str] = {}
    for block in _BFCHAR.findall(cmap):
        for code, text in _PAIR.findall(block):
            entries[int(code, 16)] = text.decode().upper()
    for block in _BFRANGE.findall(cmap):
        for first, last, start in _RANGE.findall(block):
            width = len(start)
            base, low = int(start, 16), int(first, 16)
            for code in range(low, int(last, 16) + 1):
                entries[code] = f"{base + code - low:0{width}X}"
    return entries


def restore(source: pikepdf.Pdf, converted: pikepdf.Pdf) -> int:
    """Give the composite fonts of *converted* the ToUnicode maps of the matching fonts of
    *source*; return how many fonts were given one. A font without a clear match is left."""
    candidates = [(font, glyph_map(font.ToUnicode.read_bytes())) for font in _fonts(source)]
    candidates = [(font, entries) for font, entries in candidates if entries]
    restored = 0
    for font in _fonts(converted):
        entries = glyph_map(font.ToUnicode.read_bytes())
        # The most glyphs in agreement wins: the faces of one family share glyph ids, so a
        # bold face's few glyphs agree entirely with the regular face's map as well.
        best, best_same, best_share = None, 0, 0.0
        for candidate, source_entries in candidates:
            same = sum(1 for code, text in source_entries.items() if entries.get(code) == text)
            if same > best_same:
                best, best_same, best_share = candidate, same, same / len(source_entries)
        if best is not None and best_share >= MIN_AGREEMENT:
            font.ToUnicode = converted.make_stream(best.ToUnicode.read_bytes())
            restored += 1
    return restored


def _fonts(pdf: pikepdf.Pdf) -> Iterator[pikepdf.Dictionary]:
    """Each Type0 font with a ToUnicode map that the pages (or their forms) use, once."""
    seen: set[tuple[int, int]] = set()

    def visit(resources) -> Iterator[pikepdf.Dictionary]:
        if not isinstance(resources, pikepdf.Dictionary):
            return
        for font in resources.get(Name.Font, {}).values():
            key = font.objgen
            if key in seen or font.get(Name.Subtype) != Name.Type0:
                continue
            seen.add(key)
            if Name.ToUnicode in font:
                yield font
        for xobject in resources.get(Name.XObject, {}).values():
            if xobject.objgen in seen or xobject.get(Name.Subtype) != Name.Form:
                continue
            seen.add(xobject.objgen)
            yield from visit(xobject.get(Name.Resources))

    for page in pdf.pages:
        yield from visit(page.obj.get(Name.Resources))
