"""An own checker of the PDF/X-4 properties that matter for luoshu's press PDF.

There is no veraPDF or Acrobat preflight on a build machine, so the build and the tests use
this: declared version and output intent, page boxes, no RGB anywhere, every font embedded,
Info and XMP in agreement, nothing interactive. It is not a full ISO 15930-7 validator.
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import lxml.etree
import pikepdf
from pikepdf import Dictionary, Name

from .parts import (
    XMP_NS,
    page_box,
    parse_pdf_date,
    parse_xmp_date,
    parts,
    rgb_description,
)


def pdfx_problems(path: Path) -> list[str]:
    """What keeps the PDF at *path* from being a PDF/X-4 file, one message per problem.

    Checks what matters for luoshu's press PDF, not all of ISO 15930-7: version, encryption,
    the output intent, Info and XMP (present, consistent), page boxes, RGB anywhere a page
    reaches, font embedding, annotations, actions, transfer functions. Stricter than the
    standard in one way: ICC-based RGB counts as RGB (the press file should be all CMYK).
    """
    try:
        pdf = pikepdf.open(path)
    except pikepdf.PasswordError:
        return ["the file is encrypted (PDF/X forbids encryption)"]
    with pdf:
        problems = []
        if tuple(int(n) for n in pdf.pdf_version.split(".")) < (1, 6):
            problems.append(f"PDF version {pdf.pdf_version} (PDF/X-4 needs 1.6 or later)")
        if pdf.is_encrypted:
            problems.append("the file is encrypted (PDF/X forbids encryption)")
        problems += _intent_problems(pdf) + _metadata_problems(pdf) + _action_problems(pdf)
        problems += _part_problems(pdf)
        return problems


def unembedded_fonts(path: Path) -> list[str]:
    """The fonts a PDF's pages use without carrying them, one message each: the preflight
    of every print PDF (a printer substitutes a font that is not embedded)."""
    with pikepdf.open(path) as pdf:
        return [f"page {part.page}: font {part.obj.get('/BaseFont', '?')} is not embedded"
                for part in parts(pdf) if part.kind == "font" and not _font_embedded(part.obj)]


def _intent_problems(pdf: pikepdf.Pdf) -> list[str]:
    intents = [i for i in pdf.Root.get("/OutputIntents", ()) if i.get("/S") == "/GTS_PDFX"]
    if len(intents) != 1:
        return [f"{len(intents) or 'no'} GTS_PDFX output intents (PDF/X needs exactly one)"]
    profile = intents[0].get("/DestOutputProfile")
    if not isinstance(profile, pikepdf.Stream):
        return ["the output intent has no DestOutputProfile (ICC profile)"]
    problems = [] if profile.get("/N") == 4 else ["the output profile's /N is not 4"]
    if profile.read_bytes()[16:20] != b"CMYK":
        problems.append("the output profile is not a CMYK profile")
    if not str(intents[0].get("/OutputConditionIdentifier", "")):
        problems.append("the output intent has no OutputConditionIdentifier")
    return problems


def _metadata_problems(pdf: pikepdf.Pdf) -> list[str]:
    info = pdf.trailer.get("/Info") or Dictionary()
    stream = pdf.Root.get("/Metadata")
    if not isinstance(stream, pikepdf.Stream):
        return ["no XMP metadata (PDF/X-4 requires it)"]
    try:  # XMP from any PDF: no entities, no network
        xmp = lxml.etree.fromstring(stream.read_bytes(), lxml.etree.XMLParser(
            resolve_entities=False, no_network=True))
    except lxml.etree.XMLSyntaxError as error:
        return [f"the XMP metadata is not well-formed XML: {error}"]
    problems = []
    version = _xmp_value(xmp, "pdfxid", "GTS_PDFXVersion")
    if not (version or "").startswith("PDF/X-4"):
        problems.append(f"XMP pdfxid:GTS_PDFXVersion is {version!r}, not PDF/X-4")
    trapped = info.get("/Trapped")
    if trapped not in (Name("/True"), Name("/False")):
        problems.append(f"Info /Trapped is {trapped}, not /True or /False")
    elif _xmp_value(xmp, "pdf", "Trapped") != str(trapped)[1:]:
        problems.append(f"XMP pdf:Trapped does not match Info /Trapped {trapped}")
    title = str(info.get("/Title", ""))
    if not title:
        problems.append("Info /Title is missing or empty")
    elif _xmp_value(xmp, "dc", "title") != title:
        problems.append("XMP dc:title does not match Info /Title")
    for key, name in (("/CreationDate", "CreateDate"), ("/ModDate", "ModifyDate")):
        date = parse_pdf_date(info.get(key))
        if date is None:
            problems.append(f"Info {key} is missing or not a date")
        elif parse_xmp_date(_xmp_value(xmp, "xmp", name)) != date:
            problems.append(f"XMP xmp:{name} does not match Info {key}")
    problems += [f"XMP xmpMM:{name} is missing" for name in (
        "DocumentID", "VersionID", "RenditionClass") if not _xmp_value(xmp, "xmpMM", name)]
    return problems


def _xmp_value(xmp: lxml.etree._Element, prefix: str, name: str) -> str | None:
    """A property's value, written as an element (the first rdf:li of a container) or as an
    attribute of rdf:Description."""
    tag = f"{{{XMP_NS[prefix]}}}{name}"
    for element in xmp.iter(tag):
        items = list(element.iter(f"{{{XMP_NS['rdf']}}}li"))
        return (items[0].text if items else element.text) or ""
    for description in xmp.iter(f"{{{XMP_NS['rdf']}}}Description"):
        if tag in description.attrib:
            return description.attrib[tag]
    return None


def _action_problems(pdf: pikepdf.Pdf) -> list[str]:
    problems = [f"the catalog has {key}" for key in ("/OpenAction", "/AA", "/AcroForm")
                if key in pdf.Root]
    names = pdf.Root.get("/Names")
    if isinstance(names, Dictionary) and "/JavaScript" in names:
        problems.append("the document has JavaScript")
    return problems


def _part_problems(pdf: pikepdf.Pdf) -> list[str]:
    """Problems of the pages and what they draw with: boxes, annotations, RGB, fonts."""
    problems = []
    for part in parts(pdf):
        # "page 3: image /Im1 is DeviceRGB", "page 3: form /Fm0: transparency group is …"
        named = f"page {part.page}: {part.label}".rstrip()
        about = f"{named}: " if part.label else f"{named} "
        if part.kind == "page":
            problems += [about + p for p in _page_problems(part.obj)]
        if part.kind in ("page", "form", "pattern"):
            group = part.obj.get("/Group")
            space = rgb_description(group.get("/CS")) if isinstance(group, Dictionary) else None
            if space:
                problems.append(f"{about}transparency group is {space}")
            problems += [about + p for p in _content_problems(part.obj)]
        elif part.kind in ("image", "shading", "colour space"):
            space = rgb_description(part.obj if part.kind == "colour space"
                                     else part.obj.get("/ColorSpace"))
            if space:
                problems.append(f"{named} is {space}")
        elif part.kind == "font" and not _font_embedded(part.obj):
            problems.append(f"{named} ({part.obj.get('/BaseFont', '?')}) is not embedded")
        elif part.kind == "graphics state":
            if "/TR" in part.obj or part.obj.get("/TR2", Name.Default) != Name.Default:
                problems.append(f"{about}has a transfer function")
            if "/HTP" in part.obj:
                problems.append(f"{about}has a halftone phase (HTP)")
    return problems


def _page_problems(page: Dictionary) -> list[str]:
    problems = []
    media = page_box(page, "/MediaBox")
    if "/TrimBox" not in page or "/BleedBox" not in page:
        problems.append("has no " + " and no ".join(k for k in ("TrimBox", "BleedBox")
                                                    if f"/{k}" not in page))
    elif not (_inside(page_box(page, "/TrimBox"), page_box(page, "/BleedBox"))
              and _inside(page_box(page, "/BleedBox"), media)):
        problems.append("boxes are not nested (TrimBox ⊆ BleedBox ⊆ MediaBox)")
    if "/ArtBox" in page and "/TrimBox" in page:
        problems.append("has both ArtBox and TrimBox")
    kinds = Counter(str(a.get("/Subtype", "/?"))[1:] for a in page.get("/Annots", ())
                    if isinstance(a, Dictionary))
    problems += [f"has {count} {kind} annotation{'s' if count > 1 else ''}"
                 for kind, count in sorted(kinds.items())
                 if kind not in ("PrinterMark", "TrapNet")]
    if "/AA" in page:
        problems.append("has additional actions (AA)")
    return problems


def _inside(inner: tuple[float, ...], outer: tuple[float, ...], slack: float = 1e-3) -> bool:
    return (inner[0] >= outer[0] - slack and inner[1] >= outer[1] - slack
            and inner[2] <= outer[2] + slack and inner[3] <= outer[3] + slack)


def _content_problems(obj: pikepdf.Object) -> list[str]:
    rgb_operators, rgb_images = 0, 0
    for operands, operator in pikepdf.parse_content_stream(obj):
        name = str(operator)
        if name in ("rg", "RG") or (name in ("cs", "CS") and operands
                                    and rgb_description(operands[0])):
            rgb_operators += 1
        elif name == "INLINE IMAGE":
            image = operands[0].obj
            if rgb_description(image.get("/CS", image.get("/ColorSpace"))):
                rgb_images += 1
    return ([f"draws in DeviceRGB ({_count(rgb_operators, 'colour operator')})"]
            if rgb_operators else []) + (
        [f"has {_count(rgb_images, 'DeviceRGB inline image')}"] if rgb_images else [])


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _font_embedded(font: Dictionary) -> bool:
    if font.get("/Subtype") == "/Type3":
        return True  # its glyphs are content streams in the file
    if font.get("/Subtype") == "/Type0":
        font = (font.get("/DescendantFonts") or [Dictionary()])[0]
    descriptor = font.get("/FontDescriptor")
    return isinstance(descriptor, Dictionary) and any(
        key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))
