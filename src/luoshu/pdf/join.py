"""Joining the print book's units (luoshu.layout.units), laid out and drawn on their own, into
one PDF: the pages in order with the blank versos between them, the page furniture (running
heads and folios, luoshu.layout.furniture) over the body's pages, the bookmarks, the named
destinations that links point at, and each font face embedded once.

Every part is a PDF WeasyPrint wrote with the bleed around its pages (luoshu.pdf.write), so the
joined file is the press PDF's input and, cut to the trim, the reading copy. The fonts: each
part embeds its own subset of a face, glyph ids kept (luoshu.pdf.faces); the joined file has
one font program per face, the subset of the glyphs every part uses, and one font dictionary
per font, whose widths and text map are the union of the parts'.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pikepdf
from pikepdf import Array, Dictionary, Name, String

from .faces import FontUse, face_path, subset_face


@dataclass(frozen=True)
class Part:
    """A PDF to join: its path, and the fonts it embeds (luoshu.pdf.faces.recording_faces)."""

    pdf: Path
    fonts: dict[str, FontUse]


@dataclass(frozen=True)
class Placed:
    """A page of the joined PDF: page *page* (0-based) of part *part*, or a blank page
    (*part* None); with *furniture*, that page of the furniture part drawn over it."""

    part: int | None
    page: int = 0
    furniture: int | None = None


def join(parts: Sequence[Part], furniture: Part | None, plan: Sequence[Placed],
         faces: Path, destination: Path) -> None:
    """Write the joined PDF of *parts* to *destination*, its pages as *plan* says; *faces* is
    the folder of face files the parts' fonts were recorded in. The document's metadata,
    language and viewer settings are the first part's."""
    sources = [pikepdf.open(part.pdf) for part in parts]
    furniture_pdf = pikepdf.open(furniture.pdf) if furniture is not None else None
    try:
        out = pikepdf.new()
        first = sources[0]
        # Every page of the book has the same size: a blank one is made like the first drawn.
        model = next(sources[p.part].pages[p.page] for p in plan if p.part is not None)
        where: dict[tuple[int, int], int] = {}  # (part, page) → page of the joined PDF
        for number, placed in enumerate(plan):
            if placed.part is None:
                out.pages.append(_blank_like(out, model))
                continue
            out.pages.append(sources[placed.part].pages[placed.page])
            where[(placed.part, placed.page)] = number
            if placed.furniture is not None and furniture_pdf is not None:
                _overlay(out, out.pages[number], furniture_pdf.pages[placed.furniture],
                         placed.furniture)
        _copy_document_level(first, out)
        _join_outlines(sources, out, where)
        _join_destinations(sources, out, where)
        _join_structure(sources, out, plan)
        all_parts = [*parts, *([furniture] if furniture is not None else [])]
        _merge_fonts(out, all_parts, faces)
        out.save(destination, deterministic_id=True, compress_streams=True,
                 object_stream_mode=pikepdf.ObjectStreamMode.generate)
    finally:
        for source in sources:
            source.close()
        if furniture_pdf is not None:
            furniture_pdf.close()


def _overlay(out: pikepdf.Pdf, page: pikepdf.Page, over: pikepdf.Page, number: int) -> None:
    """Draw *over*, furniture page *number* (of the same size), on top of *page*. Not
    pikepdf's add_overlay: it names the form at random, and the same book must give the same
    bytes. The name is the furniture page's own: WeasyPrint's pages share one resource
    dictionary, so one name for all would draw the last page's furniture on every page."""
    form = out.copy_foreign(over.as_form_xobject())
    name = page.add_resource(form, Name.XObject, name=Name(f"/LuoshuFurniture{number}"))
    dx = float(page.mediabox[0]) - float(over.mediabox[0])
    dy = float(page.mediabox[1]) - float(over.mediabox[1])
    page.contents_add(b"q\n", prepend=True)
    page.contents_add(f"\nQ q 1 0 0 1 {dx:g} {dy:g} cm {name} Do Q\n".encode(), prepend=False)


def _blank_like(out: pikepdf.Pdf, model: pikepdf.Page) -> pikepdf.Page:
    """A page with nothing on it, of the size and boxes of *model*."""
    page = Dictionary(Type=Name.Page, Resources=Dictionary())
    for box in ("/MediaBox", "/TrimBox", "/BleedBox", "/CropBox", "/ArtBox"):
        if box in model.obj:
            page[box] = Array([float(value) for value in model.obj[box]])
    return pikepdf.Page(out.make_indirect(page))


def _copy_document_level(first: pikepdf.Pdf, out: pikepdf.Pdf) -> None:
    """The document information, XMP, language and viewer settings of the first part."""
    if "/Info" in first.trailer:
        out.trailer.Info = _copied(out, first.trailer.Info)
    for key in ("/Lang", "/ViewerPreferences", "/PageMode", "/PageLayout", "/Metadata",
                "/OutputIntents", "/MarkInfo"):
        if key in first.Root:
            out.Root[key] = _copied(out, first.Root[key])


def _copied(out: pikepdf.Pdf, value):
    """*value*, from another PDF, as an object of *out* (a direct one copied item by item)."""
    if isinstance(value, (Dictionary, Array, pikepdf.Stream)) and value.is_indirect:
        return out.copy_foreign(value)
    if isinstance(value, Dictionary):
        return Dictionary({key: _copied(out, item) for key, item in value.items()})
    if isinstance(value, Array):
        return Array([_copied(out, item) for item in value])
    return value


def _join_outlines(sources, out: pikepdf.Pdf, where: dict[tuple[int, int], int]) -> None:
    """The parts' bookmarks, in order, pointing at their pages in the joined PDF."""
    with out.open_outline() as joined:
        for number, source in enumerate(sources):
            pages = {page.objgen: index for index, page in enumerate(source.pages)}
            with source.open_outline() as outline:
                for item in outline.root:
                    copied = _copy_item(item, pages, number, where)
                    if copied is not None:
                        joined.root.append(copied)


def _copy_item(item, pages: dict, part: int, where: dict) -> pikepdf.OutlineItem | None:
    destination = item.destination
    if not isinstance(destination, Array) or not len(destination):
        return None
    page = pages.get(destination[0].objgen)
    if page is None or (part, page) not in where:
        return None
    left = float(destination[2]) if len(destination) > 2 and destination[2] is not None else 0
    top = float(destination[3]) if len(destination) > 3 and destination[3] is not None else 0
    copied = pikepdf.OutlineItem(str(item.title), where[(part, page)], "XYZ", left=left,
                                 top=top)
    copied.is_closed = item.is_closed
    for child in item.children:
        child_copy = _copy_item(child, pages, part, where)
        if child_copy is not None:
            copied.children.append(child_copy)
    return copied


def _join_destinations(sources, out: pikepdf.Pdf, where: dict[tuple[int, int], int]) -> None:
    """One name tree of the named destinations links point at; a name defined in a later part
    wins over an earlier one (the front matter's stand-ins for the sections' openings)."""
    found: dict[str, Array] = {}
    for number, source in enumerate(sources):
        pages = {page.objgen: index for index, page in enumerate(source.pages)}
        names = source.Root.get("/Names", Dictionary()).get("/Dests")
        if names is None:
            continue
        for name, target in pikepdf.NameTree(names).items():
            if not isinstance(target, Array) or not len(target):
                continue
            page = pages.get(target[0].objgen)
            if page is None or (number, page) not in where:
                continue
            found[name] = Array([out.pages[where[(number, page)]].obj,
                                 *[_plain(value) for value in list(target)[1:]]])
    if found:
        tree = pikepdf.NameTree.new(out)
        for name in sorted(found):
            tree[name] = found[name]
        out.Root.Names = Dictionary(Dests=tree.obj)


def _plain(value):
    return float(value) if isinstance(value, (int, float, pikepdf.Object)) and \
        not isinstance(value, (Name, String)) and value is not None else value


def _join_structure(sources, out: pikepdf.Pdf, plan: Sequence[Placed]) -> None:
    """One structure tree (tags) of the parts' trees, under one Document element, when every
    part is tagged; otherwise none (a PDF tagged in part would misinform assistive software).
    Each part numbers its pages' and annotations' entries in its parent tree from 0: they are
    numbered on, part after part."""
    tagged = all("/StructTreeRoot" in source.Root for source in sources)
    offsets, keys = [], 0
    for source in sources:
        offsets.append(keys)
        if tagged:
            nums = source.Root.StructTreeRoot.ParentTree.get("/Nums", Array())
            keys += max((int(nums[n]) for n in range(0, len(nums), 2)), default=-1) + 1
    for number, placed in enumerate(plan):
        if placed.part is None:
            continue
        page = out.pages[number].obj
        for holder in (page, *page.get("/Annots", ())):
            key = "/StructParents" if holder is page else "/StructParent"
            if key in holder:
                if tagged:
                    holder[key] = int(holder[key]) + offsets[placed.part]
                else:
                    del holder[key]
    if not tagged:
        if "/MarkInfo" in out.Root:
            del out.Root["/MarkInfo"]
        return
    root = out.make_indirect(Dictionary(Type=Name.StructTreeRoot))
    document = out.make_indirect(Dictionary(Type=Name.StructElem, S=Name.Document, P=root))
    kids, nums = Array(), Array()
    for source, offset in zip(sources, offsets):
        tree = source.Root.StructTreeRoot
        tops = tree.K if isinstance(tree.K, Array) else Array([tree.K])
        for top in tops:  # WeasyPrint's Document element: its children become the book's
            children = top.K if isinstance(top.K, Array) else Array([top.K])
            for child in children:
                copied = out.copy_foreign(child) if isinstance(child, Dictionary) else child
                if isinstance(copied, Dictionary):
                    copied.P = document
                kids.append(copied)
        part_nums = tree.ParentTree.get("/Nums", Array())
        for n in range(0, len(part_nums), 2):
            value = part_nums[n + 1]
            nums.append(int(part_nums[n]) + offset)
            nums.append(out.copy_foreign(value) if value.is_indirect else _copied(out, value))
    document.K = kids
    root.K = Array([document])
    root.ParentTree = out.make_indirect(Dictionary(Nums=nums))
    root.ParentTreeNextKey = keys
    first = sources[0].Root.StructTreeRoot
    for key in ("/Namespaces", "/RoleMap", "/ClassMap"):
        if key in first:
            root[key] = _copied(out, first[key])
    out.Root.StructTreeRoot = root


# --- Fonts --------------------------------------------------------------------------------------


def _merge_fonts(out: pikepdf.Pdf, parts: Sequence[Part], faces: Path) -> None:
    """One font dictionary per font and one font program per face, for the whole PDF."""
    uses: dict[str, FontUse] = {}
    for part in parts:
        for name, use in part.fonts.items():
            earlier = uses.get(name)
            uses[name] = use if earlier is None else FontUse(
                use.face, {**earlier.glyphs, **use.glyphs})
    by_face: dict[str, set[int]] = {}
    for use in uses.values():
        by_face.setdefault(use.face, set()).update(use.glyphs)
    programs: dict[str, pikepdf.Stream] = {}
    for face, glyphs in sorted(by_face.items()):
        data = face_path(faces, face).read_bytes()
        index = int(face.rpartition("-")[2])
        program = subset_face(data, index, glyphs)
        extra = {"Subtype": Name.OpenType} if program[:4] == b"OTTO" else {"Length1":
                                                                            len(program)}
        programs[face] = out.make_stream(program, **extra)
    chosen: dict[str, Dictionary] = {}  # BaseFont → the one font dictionary kept for it
    for resources in _all_font_resources(out):
        for key in list(resources.keys()):
            font = resources[key]
            name = str(font.get("/BaseFont", "")).lstrip("/")
            use = uses.get(name)
            if use is None or "/DescendantFonts" not in font:
                continue
            kept = chosen.get(name)
            if kept is None:
                kept = chosen[name] = font
                _rewrite_font(out, font, use, programs[use.face])
            if kept.objgen != font.objgen:
                resources[key] = kept


def _all_font_resources(out: pikepdf.Pdf):
    """Every /Font resource dictionary of the pages and the forms they draw, once each."""
    seen: set[tuple[int, int]] = set()
    stack = [page.obj.get("/Resources") for page in out.pages]
    while stack:
        resources = stack.pop()
        if not isinstance(resources, Dictionary) or (
                resources.is_indirect and resources.objgen in seen):
            continue
        if resources.is_indirect:
            seen.add(resources.objgen)
        fonts = resources.get("/Font")
        if isinstance(fonts, Dictionary):
            yield fonts
        for xobject in (resources.get("/XObject") or Dictionary()).values():
            if isinstance(xobject, pikepdf.Stream) and xobject.get("/Subtype") == Name.Form:
                stack.append(xobject.get("/Resources"))


def _rewrite_font(out: pikepdf.Pdf, font: Dictionary, use: FontUse,
                  program: pikepdf.Stream) -> None:
    """*font* (a Type0 font dictionary) given the glyphs of *use*: widths, text map, the
    face's one program."""
    descendant = font.DescendantFonts[0]
    widths = Array()
    run: Array | None = None
    for gid in sorted(use.glyphs):
        if gid - 1 not in use.glyphs or run is None:
            run = Array()
            widths.append(gid)
            widths.append(run)
        run.append(use.glyphs[gid][0])
    descendant.W = widths
    descriptor = descendant.FontDescriptor
    for key in ("/FontFile", "/FontFile2", "/FontFile3"):
        if key in descriptor:
            del descriptor[key]
    descriptor[Name.FontFile3 if "/Subtype" in program else Name.FontFile2] = program
    if "/FontBBox" in descriptor and use.glyphs:
        box = [float(value) for value in descriptor.FontBBox]
        box[2] = max(width for width, _ in use.glyphs.values())
        descriptor.FontBBox = Array(box)
    if "/CIDSet" in descriptor:
        top = max(use.glyphs)
        bits = bytearray(math.ceil((top + 1) / 8))
        for gid in use.glyphs:
            bits[gid // 8] |= 0x80 >> (gid % 8)
        descriptor.CIDSet = out.make_stream(bytes(bits))
    font.ToUnicode = out.make_stream(_to_unicode(use))


def _to_unicode(use: FontUse) -> bytes:
    """A ToUnicode CMap of the glyphs of *use*, in the form WeasyPrint writes."""
    lines = [b"/CIDInit /ProcSet findresource begin", b"12 dict begin", b"begincmap",
             b"/CIDSystemInfo", b"<< /Registry (Adobe)", b"/Ordering (UCS)", b"/Supplement 0",
             b">> def", b"/CMapName /Adobe-Identity-UCS def", b"/CMapType 2 def",
             b"1 begincodespacerange", b"<0000> <ffff>", b"endcodespacerange"]
    mapped = [(gid, text) for gid, (_, text) in sorted(use.glyphs.items()) if text]
    for start in range(0, len(mapped), 100):
        batch = mapped[start:start + 100]
        lines.append(f"{len(batch)} beginbfchar".encode())
        for gid, text in batch:
            lines.append(f"<{gid:04x}> <{text.encode('utf-16-be').hex()}>".encode())
        lines.append(b"endbfchar")
    lines += [b"endcmap", b"CMapName currentdict /CMap defineresource pop", b"end", b"end"]
    return b"\n".join(lines)
