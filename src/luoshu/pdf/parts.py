"""Reading PDFs for the press: page boxes, dates, and every object a page draws with.

Shared by luoshu.pdf.press (which rewrites what it finds) and luoshu.pdf.pdfx_check (which reports it).
"""
from __future__ import annotations

import datetime as _dt
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import lxml.etree
import pikepdf
from pikepdf import Array, Dictionary, Name


class PdfError(Exception):
    """A PDF luoshu reads or writes is not what it must be, or a tool it needs failed; the
    message says what the user can do."""


XMP_NS = {"x": "adobe:ns:meta/", "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
          "dc": "http://purl.org/dc/elements/1.1/", "pdf": "http://ns.adobe.com/pdf/1.3/",
          "xmp": "http://ns.adobe.com/xap/1.0/", "xmpMM": "http://ns.adobe.com/xap/1.0/mm/",
          "pdfxid": "http://www.npes.org/pdfx/ns/id/"}
INFO_TEXT_KEYS = ("/Title", "/Author", "/Subject", "/Keywords", "/Creator", "/Producer")
# The PDF/A identification schema (ISO 19005): pdfaid:part and pdfaid:conformance. Kept apart
# from XMP_NS, which names every namespace the press PDF's XMP declares.
PDFAID_NS = "http://www.aiim.org/pdfa/ns/id/"


def xmp_packet(namespaces: dict[str, str],
               entries: list[tuple[str, str, str, str | None]]) -> bytes:
    """An XMP packet with one rdf:Description holding *entries*, in order: each (prefix, name,
    value, container), container None for a simple value or "Alt" (x-default), "Seq", "Bag".

    *namespaces* maps prefixes to URIs and must hold "x" and "rdf". The header has no bytes=
    or encoding= (PDF/A forbids them); the padding lets other tools update the XMP in place.
    """
    rdf = namespaces["rdf"]
    root = lxml.etree.Element(f"{{{namespaces['x']}}}xmpmeta", nsmap={"x": namespaces["x"]})
    description = lxml.etree.SubElement(
        lxml.etree.SubElement(root, f"{{{rdf}}}RDF", nsmap={"rdf": rdf}),
        f"{{{rdf}}}Description", {f"{{{rdf}}}about": ""},
        nsmap={k: v for k, v in namespaces.items() if k not in ("x", "rdf")})
    for prefix, name, value, container in entries:
        element = lxml.etree.SubElement(description, f"{{{namespaces[prefix]}}}{name}")
        if container is None:
            element.text = value
            continue
        item = lxml.etree.SubElement(lxml.etree.SubElement(element, f"{{{rdf}}}{container}"),
                                     f"{{{rdf}}}li")
        if container == "Alt":
            item.set("{http://www.w3.org/XML/1998/namespace}lang", "x-default")
        item.text = value
    body = lxml.etree.tostring(root, encoding="utf-8", pretty_print=True)
    return ('<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'.encode()
            + body + (b" " * 99 + b"\n") * 20 + b'<?xpacket end="w"?>')


_PDF_DATE = re.compile(r"D:(\d{4})(\d\d)?(\d\d)?(\d\d)?(\d\d)?(\d\d)?"
                       r"(?:([Zz])|([+-])(\d\d)'?(\d\d)?'?)?")


def parse_pdf_date(value: object) -> _dt.datetime | None:
    """A PDF date string as an aware datetime; no time zone is read as UTC."""
    match = _PDF_DATE.match(str(value or "").strip())
    if not match:
        return None
    year, month, day, hour, minute, second = (
        int(part) if part else default for part, default in zip(match.groups()[:6],
                                                                  (0, 1, 1, 0, 0, 0)))
    zone = _dt.UTC
    if match.group(8):
        delta = _dt.timedelta(hours=int(match.group(9)), minutes=int(match.group(10) or 0))
        zone = _dt.timezone(delta if match.group(8) == "+" else -delta)
    try:
        return _dt.datetime(year, month, day, hour, minute, second, tzinfo=zone)
    except ValueError:
        return None


def pdf_date(moment: _dt.datetime) -> str:
    offset = moment.utcoffset() or _dt.timedelta()
    if not offset:
        return moment.strftime("D:%Y%m%d%H%M%SZ")
    minutes = int(abs(offset).total_seconds()) // 60
    sign = "+" if offset > _dt.timedelta() else "-"
    return moment.strftime("D:%Y%m%d%H%M%S") + f"{sign}{minutes // 60:02d}'{minutes % 60:02d}'"


def xmp_date(moment: _dt.datetime) -> str:
    text = moment.isoformat(timespec="seconds")
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def parse_xmp_date(text: str | None) -> _dt.datetime | None:
    """An XMP (ISO 8601) date as an aware datetime; no time zone is read as UTC."""
    try:
        moment = _dt.datetime.fromisoformat(text or "")
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=_dt.UTC)


def fallback_time(source: Path) -> _dt.datetime:
    """When the source has no date: SOURCE_DATE_EPOCH, else the file's modification time —
    never "now", so that two runs give the same bytes."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    seconds = int(epoch) if epoch.isdigit() else int(source.stat().st_mtime)
    return _dt.datetime.fromtimestamp(seconds, tz=_dt.UTC)


# --- Walking a PDF's pages and resources ------------------------------------------------------


@dataclass(frozen=True)
class Part:
    """Something a page draws with: the page itself or an object its resources reach."""

    page: int  # 1-based number of the first page that reaches it
    label: str  # how messages name it: "" for the page, "form /Fm0 > image /Im1"
    kind: str  # page, form, pattern, image, shading, colour space, graphics state, font
    obj: pikepdf.Object


_RESOURCE_KINDS = (("/XObject", None), ("/Pattern", "pattern"), ("/Shading", "shading"),
                   ("/ColorSpace", "colour space"), ("/ExtGState", "graphics state"),
                   ("/Font", "font"))


# Operators whose name operands pick a resource: XObjects, shadings, graphics states, fonts,
# colour spaces and patterns.
_RESOURCE_OPERATORS = {"Do", "sh", "gs", "Tf", "cs", "CS", "scn", "SCN"}


def parts(pdf: pikepdf.Pdf) -> Iterator[Part]:
    """Every page, then everything its resources reach (forms, patterns, soft masks and Type3
    fonts recursively), each object once however many pages share it.

    WeasyPrint gives all pages one resource dictionary, so a resource is credited to the first
    page whose content uses it; what no page uses comes last, credited to the first page that
    lists it (it is in the file all the same).
    """
    seen: set[object] = set()
    pages = [(number, page.obj, inherited(page.obj, "/Resources"))
             for number, page in enumerate(pdf.pages, start=1)]
    for number, page, resources in pages:
        used = {str(operand) for operands, operator in pikepdf.parse_content_stream(page)
                if str(operator) in _RESOURCE_OPERATORS
                for operand in operands if isinstance(operand, Name)}
        yield Part(number, "", "page", page)
        yield from _resource_parts(number, "", resources, seen, used)
    for number, _, resources in pages:
        yield from _resource_parts(number, "", resources, seen)


def _resource_parts(number: int, prefix: str, resources: object, seen: set[object],
                    used: set[str] | None = None) -> Iterator[Part]:
    """The parts a resource dictionary reaches (only the names in *used*, when given)."""
    if not isinstance(resources, Dictionary):
        return
    # Direct objects have no object number: they are known by where they sit.
    owner = resources.objgen if resources.is_indirect else (number, prefix)
    for category, category_kind in _RESOURCE_KINDS:
        entries = resources.get(category)
        for name, obj in (entries.items() if isinstance(entries, Dictionary) else ()):
            key = obj.objgen if obj.is_indirect else (owner, category, name)
            if (used is not None and name not in used) or key in seen:
                continue
            seen.add(key)
            kind = category_kind
            if category == "/XObject":
                kind = "image" if obj.get("/Subtype") == "/Image" else "form"
            elif category == "/Pattern" and obj.get("/PatternType") == 2:
                kind = "shading pattern"
            label = f"{prefix}{kind} {name}"
            yield Part(number, label, kind, obj)
            if kind in ("form", "pattern", "font"):
                yield from _resource_parts(number, f"{label} > ", obj.get("/Resources"), seen)
            elif kind == "shading pattern" and "/Shading" in obj:
                yield Part(number, f"{label} > shading", "shading", obj.Shading)
            elif kind == "graphics state":
                mask = obj.get("/SMask")
                group = mask.get("/G") if isinstance(mask, Dictionary) else None
                if isinstance(group, pikepdf.Stream) and group.objgen not in seen:
                    seen.add(group.objgen)
                    yield Part(number, f"{label} > soft mask", "form", group)
                    yield from _resource_parts(number, f"{label} > soft mask > ",
                                               group.get("/Resources"), seen)


def inherited(page: Dictionary, key: str) -> pikepdf.Object | None:
    """A page attribute, looked up the page tree as PDF's inheritance does."""
    node, depth = page, 0
    while isinstance(node, Dictionary) and depth < 64:
        if key in node:
            return node[key]
        node, depth = node.get("/Parent"), depth + 1
    return None


def page_box(page: Dictionary, key: str) -> tuple[float, ...]:
    """A page box as (x0, y0, x1, y1), with PDF's defaults (TrimBox and BleedBox default to
    the CropBox, which defaults to the MediaBox)."""
    for name in dict.fromkeys((key, "/CropBox", "/MediaBox")):
        # CropBox and MediaBox are inheritable; TrimBox and BleedBox are not.
        value = inherited(page, name) if name in ("/CropBox", "/MediaBox") else page.get(name)
        if value is not None and len(value) == 4:
            x0, y0, x1, y1 = (float(v) for v in value)
            return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)
    raise PdfError("a page of the PDF has no MediaBox")


def pdf_box(box: tuple[float, ...]) -> Array:
    return Array([round(v, 6) for v in box])


def rgb_description(space: object) -> str | None:
    """How *space* is RGB ("DeviceRGB", "ICCBased RGB", "Indexed on DeviceRGB"…), or None."""
    if isinstance(space, Name):
        return "DeviceRGB" if space in ("/DeviceRGB", "/RGB") else None
    if not isinstance(space, Array) or len(space) < 2:
        return None
    family = space[0]
    if family == "/ICCBased" and isinstance(space[1], pikepdf.Stream):
        try:
            header = space[1].read_bytes()[16:20]
        except pikepdf.PdfError:
            header = b""
        return "ICCBased RGB" if header == b"RGB " or (
            not header and int(space[1].get("/N", 0)) == 3) else None
    base = {"/Indexed": 1, "/I": 1, "/Pattern": 1, "/Separation": 2, "/DeviceN": 2}.get(
        str(family))
    inner = rgb_description(space[base]) if base is not None and len(space) > base else None
    return f"{str(family)[1:]} on {inner}" if inner else None


def outline_items(pdf: pikepdf.Pdf) -> Iterator[Dictionary]:
    """Every item of the document outline (bookmarks), depth first, each once (a damaged
    outline may loop). An item may be changed before the next is asked for."""
    outlines = pdf.Root.get("/Outlines")
    stack = [outlines.get("/First")] if isinstance(outlines, Dictionary) else []
    seen: set[tuple[int, int]] = set()
    while stack:
        item = stack.pop()
        if not isinstance(item, Dictionary) or item.objgen in seen:
            continue
        seen.add(item.objgen)
        yield item
        stack += [item[key] for key in ("/Next", "/First") if key in item]
