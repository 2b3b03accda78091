"""luoshu's own checker of the PDF/A-2 properties that matter for its archival PDF.

There is no veraPDF on a build machine (it needs a Java installation and a download luoshu
does not make), so the build and the tests use this. It reads the file as a validator would,
without trusting how luoshu wrote it, and checks what ISO 19005-2 requires of a file like
luoshu's, plus a few things luoshu asks of its own archives:

- here: the file's header, binary comment and end; encryption; the trailer /ID; exactly one
  GTS_PDFA1 output intent with an embedded RGB profile; the XMP packet (well formed, the
  PDF/A identification, properties only from predefined schemas unless an extension schema
  declares them) and its agreement with the Info dictionary; actions, scripts, embedded files
  (which luoshu's "u" files never carry — stricter than the standard, which allows PDF/A
  attachments), annotations and their flags, bookmarks' actions, page sizes;
- in luoshu.pdf.pdfa_content: fonts (embedded, with a ToUnicode map that covers every glyph shown —
  stricter than the standard, which lets some simple fonts with standard encodings go without
  one), images, graphics states, device colour against the output intent, content streams,
  filters.

What it does not check — so a clean result is not a certificate: glyph widths against the font
programs, whether the font programs are valid and contain every glyph shown, ICC profiles
other than the output intent's, optional content configurations, the structure tree (only
level A needs one), XMP value types, and the implementation limits other than q/Q nesting and
page size. Messages name the page (1-based) where a page is concerned, like
luoshu.pdf.pdfx_check's.
"""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import lxml.etree
import pikepdf
from pikepdf import Array, Dictionary

from .parts import PDFAID_NS, XMP_NS, page_box, parse_pdf_date, parse_xmp_date
from .pdfa_content import content_problems, stream_problems

PART = 2  # this checker checks PDF/A-2
CONFORMANCES = ("A", "B", "U")

# ISO 19005-2, 6.5.1: the actions a PDF/A-2 file may hold, and the named actions among them.
ALLOWED_ACTIONS = {"/GoTo", "/GoToR", "/GoToE", "/Thread", "/URI", "/Named", "/SubmitForm"}
ALLOWED_NAMED_ACTIONS = {"/NextPage", "/PrevPage", "/FirstPage", "/LastPage"}
# 6.3.1: the annotation types of ISO 32000-1 except 3D, Sound, Screen and Movie.
ALLOWED_ANNOTATIONS = {
    "Text", "Link", "FreeText", "Line", "Square", "Circle", "Polygon", "PolyLine", "Highlight",
    "Underline", "Squiggly", "StrikeOut", "Stamp", "Caret", "Ink", "Popup", "FileAttachment",
    "Widget", "PrinterMark", "TrapNet", "Watermark", "Redact"}
PRINT, HIDDEN_FLAGS = 4, {1: "Invisible", 2: "Hidden", 32: "NoView", 256: "ToggleNoView"}

RDF = XMP_NS["rdf"]
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
PDFA_EXTENSION = "http://www.aiim.org/pdfa/ns/extension/"
PDFA_SCHEMA = "http://www.aiim.org/pdfa/ns/schema#"
# 6.6.2.3: properties may come from the schemas XMP (2005) predefines, PDF/A's own, or an
# extension schema the packet describes.
PREDEFINED_SCHEMAS = {
    XMP_NS["dc"], XMP_NS["xmp"], XMP_NS["xmpMM"], XMP_NS["pdf"], PDFAID_NS, PDFA_EXTENSION,
    "http://ns.adobe.com/xap/1.0/rights/", "http://ns.adobe.com/xap/1.0/bj/",
    "http://ns.adobe.com/xap/1.0/t/pg/", "http://ns.adobe.com/xmp/1.0/DynamicMedia/",
    "http://ns.adobe.com/photoshop/1.0/", "http://ns.adobe.com/camera-raw-settings/1.0/",
    "http://ns.adobe.com/tiff/1.0/", "http://ns.adobe.com/exif/1.0/",
    "http://ns.adobe.com/exif/1.0/aux/"}
# Info keys and the XMP properties that must say the same (PDF/A TechNote 0003).
INFO_IN_XMP = {"/Title": ("dc", "title"), "/Author": ("dc", "creator"),
               "/Subject": ("dc", "description"), "/Keywords": ("pdf", "Keywords"),
               "/Creator": ("xmp", "CreatorTool"), "/Producer": ("pdf", "Producer")}
DATES_IN_XMP = {"/CreationDate": "CreateDate", "/ModDate": "ModifyDate"}

_HEADER = re.compile(rb"%PDF-(\d)\.(\d)(\r\n|\r|\n)")


def pdfa_problems(path: Path) -> list[str]:
    """luoshu's own checker of the PDF/A-2 properties that matter (no veraPDF on these
    machines): what keeps the file at *path* from being PDF/A-2u, one message per problem."""
    path = Path(path)
    problems = _file_problems(path)
    try:
        pdf = pikepdf.open(path)
    except pikepdf.PasswordError:
        return problems + ["the file is encrypted (PDF/A forbids encryption)"]
    with pdf:
        if pdf.is_encrypted:
            problems.append("the file is encrypted (PDF/A forbids encryption)")
        identifier = pdf.trailer.get("/ID")
        if not isinstance(identifier, Array) or len(identifier) != 2:
            problems.append("the trailer has no file identifier (/ID)")
        intent_space, intent_problems = _output_intent(pdf)
        problems += intent_problems + _metadata_problems(pdf) + _catalog_problems(pdf)
        problems += _outline_problems(pdf) + _page_problems(pdf)
        problems += content_problems(pdf, intent_space) + stream_problems(pdf)
    return problems


def _file_problems(path: Path) -> list[str]:
    """The header (version 1.4 to 1.7, then a comment of four bytes above 127) and the end."""
    with path.open("rb") as file:
        head = file.read(64)
        file.seek(max(0, path.stat().st_size - 64))
        tail = file.read()
    match = _HEADER.match(head)
    if match is None:
        return ["the file does not begin with a PDF header (%PDF-1.n and an end of line)"]
    problems = []
    version = (int(match.group(1)), int(match.group(2)))
    if not (1, 4) <= version <= (1, 7):
        problems.append(f"PDF version {version[0]}.{version[1]} in the header "
                        "(PDF/A-2 needs 1.4 to 1.7)")
    comment = head[match.end():match.end() + 5]
    if len(comment) < 5 or comment[0:1] != b"%" or any(byte < 128 for byte in comment[1:]):
        problems.append("the header line is not followed by a comment of four bytes above 127")
    if not re.search(rb"%%EOF(\r\n|\r|\n)?\Z", tail):
        problems.append("the file does not end with %%EOF (data follows it)")
    return problems


def _output_intent(pdf: pikepdf.Pdf) -> tuple[str | None, list[str]]:
    """The colour space of the PDF/A output intent's profile ("RGB", "CMYK", "GRAY"; None
    without a usable intent) and the intent's problems."""
    intents = [i for i in pdf.Root.get("/OutputIntents", ()) if isinstance(i, Dictionary)]
    ours = [i for i in intents if i.get("/S") == "/GTS_PDFA1"]
    if len(ours) != 1:
        return None, [f"{len(ours) or 'no'} GTS_PDFA1 output intents (PDF/A needs exactly one)"]
    profile = ours[0].get("/DestOutputProfile")
    if not isinstance(profile, pikepdf.Stream):
        return None, ["the PDF/A output intent has no embedded ICC profile (DestOutputProfile)"]
    problems = []
    for other in intents:
        shared = other.get("/DestOutputProfile")
        if shared is not None and (not shared.is_indirect or shared.objgen != profile.objgen):
            problems.append(f"the {other.get('/S')} output intent has another profile than the "
                            "PDF/A one (all must share the same profile object)")
        if "/DestOutputProfileRef" in other:
            problems.append(f"the {other.get('/S')} output intent has a DestOutputProfileRef")
    header = profile.read_bytes()[:128]
    space = header[16:20].decode("latin-1").strip() or "?"
    if space != "RGB":
        problems.append(f"the output intent's profile is {space}, not RGB "
                        "(luoshu's archival PDF is drawn in RGB)")
    if profile.get("/N") != 3:
        problems.append(f"the output intent's profile has /N {profile.get('/N')}, not 3 (RGB)")
    if header[12:16] not in (b"mntr", b"prtr"):
        problems.append("the output intent's profile is not a monitor or printer profile")
    if len(header) < 128 or header[8] >= 5:
        problems.append("the output intent's profile is not an ICC profile of version 2 to 4")
    return (space if space in ("RGB", "CMYK", "GRAY") else None), problems


# --- XMP ----------------------------------------------------------------------------------------


def _metadata_problems(pdf: pikepdf.Pdf) -> list[str]:
    stream = pdf.Root.get("/Metadata")
    if not isinstance(stream, pikepdf.Stream):
        return ["no XMP metadata (PDF/A requires it)"]
    data = stream.read_bytes()
    problems = []
    header = re.match(rb"\s*<\?xpacket ([^?]*)\?>", data)
    if header and re.search(rb"\b(bytes|encoding)\s*=", header.group(1)):
        problems.append("the XMP packet header has a bytes or encoding attribute")
    try:  # XMP from any PDF: no entities, no network
        xmp = lxml.etree.fromstring(data, lxml.etree.XMLParser(
            resolve_entities=False, no_network=True))
    except lxml.etree.XMLSyntaxError as error:
        return problems + [f"the XMP metadata is not well-formed XML: {error}"]
    part = _xmp_values(xmp, PDFAID_NS, "part")
    conformance = _xmp_values(xmp, PDFAID_NS, "conformance")
    if not part:
        problems.append("the XMP has no PDF/A identification (pdfaid:part)")
    else:
        declared = f"PDF/A-{part[0]}{(conformance or ['?'])[0].lower()}"
        if part[0].strip() != str(PART):
            problems.append(f"the XMP declares {declared} (pdfaid:part {part[0]}), "
                            f"not PDF/A-{PART}")
        if not conformance or conformance[0] not in CONFORMANCES:
            problems.append(f"the XMP declares {declared}: pdfaid:conformance is "
                            f"{(conformance or [None])[0]!r}, not A, B or U")
    return problems + _undeclared_properties(xmp) + _info_problems(pdf, xmp)


def _xmp_values(xmp: lxml.etree._Element, namespace: str, name: str) -> list[str] | None:
    """A property's values: the items of its array (of a language alternative, the x-default
    one) or its one simple value, written as an element or as an attribute; None if absent."""
    tag = f"{{{namespace}}}{name}"
    for description in xmp.iter(f"{{{RDF}}}Description"):
        if tag in description.attrib:
            return [description.attrib[tag]]
        element = description.find(tag)
        if element is None:
            continue
        items = element.findall(f"{{{RDF}}}*/{{{RDF}}}li")
        if not items:
            return [element.text or ""]
        default = [item for item in items if item.get(XML_LANG) == "x-default"]
        return [item.text or "" for item in (default[:1] or items)]
    return None


def _undeclared_properties(xmp: lxml.etree._Element) -> list[str]:
    """Properties from schemas neither predefined nor described by a PDF/A extension schema."""
    declared = {(element.text or "").strip()
                for element in xmp.iter(f"{{{PDFA_SCHEMA}}}namespaceURI")}
    found = set()
    for description in xmp.iter(f"{{{RDF}}}Description"):
        if description.getparent() is None or description.getparent().tag != f"{{{RDF}}}RDF":
            continue  # a structure's fields, not top-level properties
        prefixes = {uri: prefix for prefix, uri in description.nsmap.items()}
        names = [*description.attrib, *(child.tag for child in description
                                        if isinstance(child.tag, str))]
        for name in names:
            qualified = lxml.etree.QName(name)
            if qualified.namespace in (RDF, None) or name.startswith("{http://www.w3.org/XML"):
                continue
            if qualified.namespace not in PREDEFINED_SCHEMAS | declared:
                prefix = prefixes.get(qualified.namespace, qualified.namespace)
                found.add(f"{prefix}:{qualified.localname}")
    if not found:
        return []
    return [("XMP properties from schemas that are not predefined and that no PDF/A extension "
             f"schema describes: {', '.join(sorted(found))}")]


def _info_problems(pdf: pikepdf.Pdf, xmp: lxml.etree._Element) -> list[str]:
    """The Info dictionary's entries against their XMP equivalents (dates as instants)."""
    info = pdf.trailer.get("/Info")
    if not isinstance(info, Dictionary):
        return []
    problems = []
    for key, (prefix, name) in INFO_IN_XMP.items():
        if key not in info:
            continue
        value, values = str(info[key]), _xmp_values(xmp, XMP_NS[prefix], name)
        if values is None:
            problems.append(f"Info {key[1:]} is set but the XMP has no {prefix}:{name}")
        elif key == "/Author" and len(values) != 1:
            problems.append(f"XMP dc:creator has {len(values)} items for Info Author "
                            f"{value!r}: validators expect one item equal to it")
        elif values[0] != value:
            problems.append(f"Info {key[1:]} {value!r} differs from XMP {prefix}:{name} "
                            f"{values[0]!r}")
    for key, name in DATES_IN_XMP.items():
        if key not in info:
            continue
        date, values = parse_pdf_date(info[key]), _xmp_values(xmp, XMP_NS["xmp"], name)
        if date is None:
            problems.append(f"Info {key[1:]} {str(info[key])!r} is not a PDF date")
        elif values is None:
            problems.append(f"Info {key[1:]} is set but the XMP has no xmp:{name}")
        elif parse_xmp_date(values[0]) != date:
            problems.append(f"Info {key[1:]} {str(info[key])!r} is not the same time as "
                            f"XMP xmp:{name} {values[0]!r}")
    return problems


# --- Catalog, bookmarks, pages, annotations -----------------------------------------------------


def _catalog_problems(pdf: pikepdf.Pdf) -> list[str]:
    root, problems = pdf.Root, []
    version = str(root.get("/Version", "1.7"))[-3:]
    if version > "1.7":
        problems.append(f"the catalog's /Version is {version} (PDF/A-2 needs 1.7 at most)")
    if "/AA" in root:
        problems.append("the catalog has additional actions (AA)")
    opening = root.get("/OpenAction")
    if isinstance(opening, Dictionary):
        problems += _action_problems(opening, "the open action (OpenAction)")
    names = root.get("/Names")
    if isinstance(names, Dictionary):
        if "/JavaScript" in names:
            problems.append("the document has JavaScript (a JavaScript name tree)")
        if "/EmbeddedFiles" in names:
            problems.append("the document has embedded files (an EmbeddedFiles name tree): "
                            "luoshu's PDF/A-2u carries none")
        if "/AlternatePresentations" in names:
            problems.append("the document has alternate presentations")
    if "/Requirements" in root:
        problems.append("the catalog has Requirements")
    if "/NeedsRendering" in root:
        problems.append("the catalog has NeedsRendering (an XFA form)")
    form = root.get("/AcroForm")
    if isinstance(form, Dictionary):
        if "/XFA" in form:
            problems.append("the form is an XFA form")
        if form.get("/NeedAppearances") is True:
            problems.append("the form has NeedAppearances true")
    return problems


def _action_problems(action: object, where: str, depth: int = 0) -> list[str]:
    """What PDF/A forbids in *action* and the actions chained after it (/Next)."""
    if not isinstance(action, Dictionary) or depth > 32:
        return []
    problems = []
    kind = action.get("/S")
    if kind not in ALLOWED_ACTIONS:
        problems.append(f"{where} is a {str(kind)[1:] or 'typeless'} action "
                        "(PDF/A forbids it)")
    elif kind == "/Named" and action.get("/N") not in ALLOWED_NAMED_ACTIONS:
        problems.append(f"{where} is the named action {action.get('/N')} (PDF/A allows only "
                        "NextPage, PrevPage, FirstPage and LastPage)")
    following = action.get("/Next")
    for item in (following if isinstance(following, Array) else [following]):
        problems += _action_problems(item, f"{where}, then", depth + 1)
    return problems


def _outline_problems(pdf: pikepdf.Pdf) -> list[str]:
    problems = []
    for item in _outline_items(pdf):
        if "/A" in item:
            problems += _action_problems(item.A, f"bookmark {str(item.get('/Title', ''))!r}")
    return problems


def _outline_items(pdf: pikepdf.Pdf) -> Iterator[Dictionary]:
    outlines = pdf.Root.get("/Outlines")
    stack = [outlines.get("/First")] if isinstance(outlines, Dictionary) else []
    seen: set[tuple[int, int]] = set()
    while stack:  # depth-first, each item once (a damaged outline may loop)
        item = stack.pop()
        if not isinstance(item, Dictionary) or item.objgen in seen:
            continue
        seen.add(item.objgen)
        yield item
        stack += [item[key] for key in ("/Next", "/First") if key in item]


def _page_problems(pdf: pikepdf.Pdf) -> list[str]:
    problems = []
    for number, page in enumerate(pdf.pages, start=1):
        page = page.obj
        for key, what in (("/AA", "additional actions (AA)"), ("/PresSteps", "PresSteps")):
            if key in page:
                problems.append(f"page {number} has {what}")
        x0, y0, x1, y1 = page_box(page, "/MediaBox")
        if not (3 <= x1 - x0 <= 14400 and 3 <= y1 - y0 <= 14400):
            problems.append(f"page {number} is {x1 - x0:g} × {y1 - y0:g} pt "
                            "(PDF/A allows 3 to 14 400)")
        # The same fault in many links (a table of contents) is one message with a count.
        found = Counter(problem for annotation in page.get("/Annots", ())
                        if isinstance(annotation, Dictionary)
                        for problem in _annotation_problems(annotation, number))
        problems += [problem if count == 1 else f"{problem} ({count} annotations)"
                     for problem, count in found.items()]
    return problems


def _annotation_problems(annotation: Dictionary, page: int) -> list[str]:
    kind = str(annotation.get("/Subtype", "/?"))[1:]
    where = f"page {page}: {kind} annotation"
    if kind not in ALLOWED_ANNOTATIONS:
        return [f"{where} is not allowed in PDF/A-2"]
    problems = []
    if kind == "FileAttachment":
        problems.append(f"{where} embeds a file: luoshu's PDF/A-2u carries none")
    if kind != "Popup":
        flags = annotation.get("/F")
        if flags is None:
            problems.append(f"{where} has no flags (F): it must be set to print")
        else:
            flags = int(flags)
            if not flags & PRINT:
                problems.append(f"{where} is not set to print (F Print flag off)")
            hidden = [name for bit, name in HIDDEN_FLAGS.items() if flags & bit]
            if hidden:
                problems.append(f"{where} is hidden (F flags {', '.join(hidden)})")
    rect = [float(v) for v in annotation.get("/Rect", ())]
    empty = len(rect) == 4 and rect[0] == rect[2] and rect[1] == rect[3]
    appearance = annotation.get("/AP")
    if appearance is None and kind not in ("Popup", "Link") and not empty:
        problems.append(f"{where} has no appearance stream (AP)")
    elif isinstance(appearance, Dictionary) and set(appearance.keys()) != {"/N"}:
        problems.append(f"{where}: its appearance dictionary has other entries than N")
    if kind == "Widget" and ("/A" in annotation or "/AA" in annotation):
        problems.append(f"{where} has actions (A or AA)")
    elif "/A" in annotation:
        problems += _action_problems(annotation.A, where)
    additional = annotation.get("/AA")
    if kind != "Widget" and isinstance(additional, Dictionary):
        for trigger, action in additional.items():
            problems += _action_problems(action, f"{where} ({trigger[1:]} trigger)")
    return problems
