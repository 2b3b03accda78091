"""The press PDF: the RGB print PDF made ready for an offset press, as a PDF/X-4 file.

WeasyPrint writes everything in DeviceRGB, which a printing house cannot plate. Three stages
turn the print PDF into a press-ready file:

1. ``_neutral_greys_to_gray``: every neutral RGB colour (r = g = b) becomes DeviceGray. Converted
   through an ICC profile, RGB black turns into four-colour "rich black" (about 72/68/67/88),
   and body text in four inks blurs as soon as the plates are a hair out of register.
   Ghostscript leaves DeviceGray as it is, so black text then prints on the K plate alone.
2. ``_convert_to_cmyk``: Ghostscript's pdfwrite converts the remaining colour through the CMYK
   profile (linework, images; gradients are rendered to CMYK images).
3. ``_finish_pdfx``: pikepdf adds what PDF/X-4 asks and Ghostscript does not write — the
   output intent, page boxes with room for crop marks, the marks, Info and XMP metadata that
   agree — and removes what PDF/X forbids (annotations, actions). Metadata is taken from the
   *source*: Ghostscript drops the catalog's /Lang and would stamp the current time.

Two runs on the same source give the same bytes: dates come from the source, the XMP UUIDs
from its SHA-256, and the file identifier from the content (pikepdf's deterministic_id).

``write_press_pdf`` is the ``pdf-press`` renderer: it finds the output profile book.toml names
(inside the project, like every other input, luoshu.pdf.profile), writes the laid-out pages with
their bleed to a scratch file beside the destination, runs the three stages, and turns what can
go wrong into problems the editor can act on. The finished file is checked with
luoshu.pdf.pdfx_check before it is accepted: a press PDF that fails the PDF/X-4 properties
luoshu can verify is never handed over.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import subprocess
import uuid
from decimal import Decimal
from pathlib import Path

import pikepdf
from pikepdf import Array, Dictionary, Name, String

from ..errors import Problem, ProjectError
from ..files.output import scratch_beside, sha256_file, written_beside
from ..model import Book
from . import tounicode
from .parts import (
    INFO_TEXT_KEYS,
    XMP_NS,
    PdfError,
    fallback_time,
    inherited,
    outline_items,
    page_box,
    parse_pdf_date,
    parts,
    pdf_box,
    pdf_date,
    rgb_description,
    xmp_date,
    xmp_packet,
)
from .pdfx_check import pdfx_problems
from .profile import PressError, PressProfile, output_profile

LOGGER = logging.getLogger("luoshu.pdf.press")

MM = 72 / 25.4  # PDF points per millimetre
MARK_LENGTH_MM = 5.0
MARK_CLEARANCE_MM = 2.0  # paper beyond the end of the marks, so a RIP never clips them
MIN_MARK_OFFSET_MM = 3.0  # marks right at the trim corner would show on a sheet cut wide
MARK_WIDTH_PT = 0.25
REGISTRY = "http://www.color.org"
GS_MISSING = ("Ghostscript (gs) is needed for --format pdf-press: on Debian, "
              "apt-get install ghostscript")




# --- The renderer ------------------------------------------------------------------------------


def write_press_pdf(book: Book, joined: Path, destination: Path) -> None:
    """Write *book*'s typeset pages *joined* (one PDF, with their bleed: luoshu.pdf.join) as a
    press-ready PDF/X-4 file at *destination*."""
    profile = output_profile(book.project, book.config.print)
    LOGGER.info("press PDF: converting to CMYK for %s (%s)", profile.info, profile.condition)
    try:
        make_press_pdf(joined, destination, profile, crop_marks=book.config.print.crop_marks)
    except PdfError as error:
        raise ProjectError([Problem(f"press PDF: {error}", code="press")]) from None
    problems = pdfx_problems(destination)
    if problems:
        raise ProjectError([Problem(f"press PDF is not PDF/X-4: {problem}", code="pdfx")
                            for problem in problems])


# --- The press PDF ----------------------------------------------------------------------------


def make_press_pdf(source: Path, destination: Path, profile: PressProfile, *,
                   crop_marks: bool = True, mark_offset_mm: float | None = None) -> None:
    """Write *source* (luoshu's print PDF) as the PDF/X-4 file *destination* for *profile*.

    With *crop_marks*, every page gets a slug around its bleed with crop marks in it, starting
    *mark_offset_mm* from the trim (default: the bleed width, at least 3 mm). Raises PressError
    for what the user can fix; *destination* is replaced only when everything succeeded.
    """
    source, destination = Path(source), Path(destination)
    gs = _ghostscript()  # before any work: the commonest problem, and the quickest to report
    if crop_marks and mark_offset_mm is not None:
        _check_mark_offset(source, mark_offset_mm)
    # The scratch folder's path is absolute, so that no file name can read as a Ghostscript
    # option.
    with scratch_beside(destination) as work, written_beside(destination) as finished:
        grey, cmyk = work / "grey.pdf", work / "cmyk.pdf"
        pages = _neutral_greys_to_gray(source, grey)
        _convert_to_cmyk(gs, grey, cmyk, profile, pages)
        _finish_pdfx(source, cmyk, finished, profile, crop_marks, mark_offset_mm)


def _open_source(source: Path) -> pikepdf.Pdf:
    try:
        return pikepdf.open(source)
    except (pikepdf.PdfError, OSError) as error:
        raise PressError(f"cannot read the print PDF {source}: {error}") from None


# Stage 1 ---------------------------------------------------------------------------------------

_GREY_OPERATORS = {"rg": pikepdf.Operator("g"), "RG": pikepdf.Operator("G")}


def _neutral_greys_to_gray(source: Path, target: Path) -> int:
    """Copy *source* to *target* with every ``r g b rg``/``RG`` where r = g = b written as
    ``r g``/``G``, in pages, form XObjects and tiling patterns. Returns the page count."""
    with _open_source(source) as pdf:
        for part in parts(pdf):
            if part.kind not in ("page", "form", "pattern"):
                continue
            operations = pikepdf.parse_content_stream(part.obj)
            changed = False
            for index, (operands, operator) in enumerate(operations):
                if str(operator) in _GREY_OPERATORS and _is_neutral(operands):
                    operations[index] = pikepdf.ContentStreamInstruction(
                        [operands[0]], _GREY_OPERATORS[str(operator)])
                    changed = True
            if changed:
                data = pikepdf.unparse_content_stream(operations)
                if part.kind == "page":
                    part.obj.Contents = pdf.make_stream(data)
                else:
                    part.obj.write(data)
        pdf.save(target)
        return len(pdf.pages)


def _is_neutral(operands: list) -> bool:
    """Whether three colour operands are one grey (r = g = b)."""
    if len(operands) != 3 or not all(isinstance(v, (int, Decimal)) for v in operands):
        return False
    return operands[0] == operands[1] == operands[2]


# Stage 2 ---------------------------------------------------------------------------------------

# pdfwrite re-encodes the images it converts; its default JPEG quality (QFactor 0.9, chroma
# halved) is a screen setting. These are Acrobat Distiller's "maximum quality" values.
_IMAGE_QUALITY = "<< /QFactor 0.15 /Blend 1 /HSamples [1 1 1 1] /VSamples [1 1 1 1] >>"
_DISTILLER_PARAMS = ("<< " + " ".join(f"/{key} {_IMAGE_QUALITY}" for key in (
    "ColorACSImageDict", "ColorImageDict", "GrayACSImageDict", "GrayImageDict"))
    + " >> setdistillerparams")


def _ghostscript() -> str:
    """The path of the gs command."""
    gs = shutil.which("gs")
    if gs is None:
        raise PressError(GS_MISSING)
    return gs


def _convert_to_cmyk(gs: str, source: Path, target: Path, profile: PressProfile,
                     pages: int) -> None:
    """Ghostscript's pdfwrite: all colour but DeviceGray converted to CMYK through *profile*."""
    command = [
        gs, "-q", "-dSAFER", "-dBATCH", "-dNOPAUSE", "-sDEVICE=pdfwrite",
        "-dCompatibilityLevel=1.6",  # PDF/X-4 is based on PDF 1.6
        "-sColorConversionStrategy=CMYK", "-sProcessColorModel=DeviceCMYK",
        f"-sOutputICCProfile={profile.path}", f"--permit-file-read={profile.path}",
        # Never turn a page: the heuristic reads 竖排 (vertical) text as a landscape page.
        "-dAutoRotatePages=/None",
        # Gradients change colour space, so pdfwrite renders them to images, within this many
        # bytes: the default 256 kB gives 90 dpi for an 11 × 3 cm box; 16 MB keeps about
        # 300 dpi up to a full 16开 page.
        "-dMaxShadingBitmapSize=16000000",
        # Device-dependent extras pdfwrite would otherwise add (TR is forbidden in PDF/X).
        "-dTransferFunctionInfo=/Remove", "-dUCRandBGInfo=/Remove",
        # No clock time, no random UUIDs: stage 3 writes the metadata from the source.
        "-dOmitXMP=true", "-dOmitInfoDate=true", "-dOmitID=true",
        # In an output file name, % starts a page-number format: %% is a plain %.
        "-o", str(target).replace("%", "%%"), "-c", _DISTILLER_PARAMS, "-f", str(source),
    ]
    try:
        completed = subprocess.run(command, capture_output=True, text=True, errors="replace",
                                   timeout=120 + 10 * pages, check=False)
    except subprocess.TimeoutExpired:
        raise PressError(f"Ghostscript took more than {120 + 10 * pages} s; gave up") from None
    except OSError as error:
        raise PressError(f"cannot run Ghostscript ({gs}): {error.strerror}") from None
    output = (completed.stdout + completed.stderr).strip()
    if completed.returncode != 0 or not target.is_file():
        tail = "\n".join(output.splitlines()[-8:]) or "(no output)"
        raise PressError(f"Ghostscript failed (exit status {completed.returncode}):\n{tail}")
    if output:
        LOGGER.warning("Ghostscript: %s", output)


# Stage 3 ---------------------------------------------------------------------------------------


def _finish_pdfx(source: Path, converted: Path, target: Path, profile: PressProfile,
                 crop_marks: bool, mark_offset_mm: float | None) -> None:
    """The PDF/X-4 file *target*: *converted* (Ghostscript's output) with boxes, marks, output
    intent and metadata, the metadata and page geometry read from *source*."""
    digest = sha256_file(source)
    with _open_source(source) as original, pikepdf.open(converted) as pdf:
        if len(original.pages) != len(pdf.pages):
            raise PressError(f"Ghostscript wrote {len(pdf.pages)} pages for "
                             f"{len(original.pages)}: the print PDF may be damaged")
        registration = _registration_colour(pdf) if crop_marks else None
        for page, original_page in zip(pdf.pages, original.pages):
            _place_page(pdf, page.obj, original_page.obj, registration, mark_offset_mm)
        _strip_forbidden(pdf)
        _fix_colour_leftovers(pdf)
        tounicode.restore(original, pdf)  # Ghostscript garbles multi-character entries
        intent = Dictionary(Type=Name.OutputIntent, S=Name.GTS_PDFX, Info=String(profile.info),
                            OutputConditionIdentifier=String(profile.condition),
                            RegistryName=String(REGISTRY),
                            DestOutputProfile=pdf.make_stream(profile.icc, N=4))
        pdf.Root.OutputIntents = Array([pdf.make_indirect(intent)])
        if "/Lang" in original.Root:
            pdf.Root.Lang = String(str(original.Root.Lang))
        info, xmp = press_metadata(original, source, digest, profile, crop_marks, mark_offset_mm)
        pdf.trailer.Info = pdf.make_indirect(info)
        pdf.Root.Metadata = pdf.make_stream(xmp, Type=Name.Metadata, Subtype=Name.XML)
        pdf.save(target, min_version="1.6", deterministic_id=True, fix_metadata_version=False)


def _place_page(pdf: pikepdf.Pdf, page: Dictionary, original: Dictionary,
                registration: pikepdf.Object | None, mark_offset_mm: float | None) -> None:
    """Give *page* a MediaBox at 0,0 holding its bleed and, with *registration*, a slug with
    crop marks; TrimBox and BleedBox exactly as in the *original* page (the source's)."""
    trim = page_box(original, "/TrimBox")
    width, height = trim[2] - trim[0], trim[3] - trim[1]
    bleeds = _source_bleeds(original)
    if registration is None:
        margins = bleeds  # the MediaBox is the BleedBox
    else:
        offset = (mark_offset_mm * MM if mark_offset_mm is not None
                  else max(*bleeds, MIN_MARK_OFFSET_MM * MM))
        slug = offset + (MARK_LENGTH_MM + MARK_CLEARANCE_MM) * MM
        margins = tuple(max(bleed, slug) for bleed in bleeds)
    left, bottom, right, top = margins
    # Ghostscript moves the page to the origin and rounds the boxes it writes: its TrimBox says
    # where the trim now is; the source says exactly how large it and the bleed are.
    converted_trim = page_box(page, "/TrimBox")
    dx, dy = round(left - converted_trim[0], 4), round(bottom - converted_trim[1], 4)
    new_trim = (left, bottom, left + width, bottom + height)
    page.MediaBox = pdf_box((0, 0, left + width + right, bottom + height + top))
    page.TrimBox = pdf_box(new_trim)
    page.BleedBox = pdf_box((left - bleeds[0], bottom - bleeds[1],
                              new_trim[2] + bleeds[2], new_trim[3] + bleeds[3]))
    for key in ("/CropBox", "/ArtBox", "/Annots", "/AA"):
        if key in page:
            del page[key]
    contents = page.get("/Contents")
    if contents is None:
        old = []
    else:
        old = list(contents) if isinstance(contents, Array) else [contents]
    ending = b"\nQ\n"
    if registration is not None:
        resources = Dictionary(inherited(page, "/Resources") or Dictionary())  # page-local
        spaces = Dictionary(resources.get("/ColorSpace", Dictionary()))
        name = next(f"/LuoshuAll{n or ''}" for n in range(len(spaces) + 1)
                    if f"/LuoshuAll{n or ''}" not in spaces)
        spaces[name] = registration
        resources.ColorSpace = spaces
        page.Resources = resources
        ending += _crop_marks(new_trim, offset, MARK_LENGTH_MM * MM, name)
    page.Contents = Array([pdf.make_stream(f"q 1 0 0 1 {dx:.4f} {dy:.4f} cm\n".encode()),
                           *old, pdf.make_stream(ending)])


def _source_bleeds(page: Dictionary) -> tuple[float, ...]:
    """The bleed of a source page: how far its MediaBox reaches beyond its TrimBox (left,
    bottom, right, top). WeasyPrint's MediaBox is the whole CSS bleed area, while the BleedBox
    it writes stops 10 pt from the trim at most, less than a 5 mm bleed."""
    trim, media = page_box(page, "/TrimBox"), page_box(page, "/MediaBox")
    return tuple(max(0.0, w) for w in (trim[0] - media[0], trim[1] - media[1],
                                       media[2] - trim[2], media[3] - trim[3]))


def _check_mark_offset(source: Path, mark_offset_mm: float) -> None:
    """Refuse an offset that would put crop marks on the bleed (before Ghostscript runs)."""
    with _open_source(source) as pdf:
        bleed = max((max(_source_bleeds(page.obj)) for page in pdf.pages), default=0)
    if mark_offset_mm < 0 or mark_offset_mm * MM < bleed - 1e-6:
        raise PressError(f"crop marks {mark_offset_mm:g} mm from the trim would print in the "
                         f"{bleed / MM:.3g} mm bleed: the offset must be at least the bleed")


def _crop_marks(trim: tuple[float, ...], offset: float, length: float, space: str) -> bytes:
    """Eight hairlines continuing the trim lines outward at the four corners, in *space*."""
    lines = []
    for x, out_x in ((trim[0], -1), (trim[2], 1)):
        for y, out_y in ((trim[1], -1), (trim[3], 1)):
            lines.append((x + out_x * offset, y, x + out_x * (offset + length), y))
            lines.append((x, y + out_y * offset, x, y + out_y * (offset + length)))
    path = "".join(f"{a:.3f} {b:.3f} m {c:.3f} {d:.3f} l\n" for a, b, c, d in lines)
    return f"q\n{space} CS 1 SCN\n{MARK_WIDTH_PT} w 0 J [] 0 d\n{path}S\nQ\n".encode()


def _registration_colour(pdf: pikepdf.Pdf) -> pikepdf.Object:
    """Separation /All: every plate, full strength — what crop marks are printed in."""
    tint = Dictionary(FunctionType=2, Domain=[0, 1], C0=[0, 0, 0, 0], C1=[1, 1, 1, 1], N=1)
    return pdf.make_indirect(Array([Name.Separation, Name.All, Name.DeviceCMYK,
                                    pdf.make_indirect(tint)]))


def _strip_forbidden(pdf: pikepdf.Pdf) -> None:
    """Remove actions, scripts and forms; outline items keep only plain destinations."""
    for key in ("/OpenAction", "/AA", "/AcroForm"):
        if key in pdf.Root:
            del pdf.Root[key]
    names = pdf.Root.get("/Names")
    if isinstance(names, Dictionary) and "/JavaScript" in names:
        del names["/JavaScript"]
    for item in outline_items(pdf):
        action = item.get("/A")
        if action is not None:
            if action.get("/S") == "/GoTo" and "/D" in action:
                item.Dest = action.D
            del item["/A"]


def _fix_colour_leftovers(pdf: pikepdf.Pdf) -> None:
    """What pdfwrite leaves in RGB: transparency groups' blending space. Also drops transfer
    functions and halftone phases from graphics states (PDF/X forbids them)."""
    for part in parts(pdf):
        group = part.obj.get("/Group") if part.kind in ("page", "form") else None
        if isinstance(group, Dictionary) and rgb_description(group.get("/CS")):
            group.CS = Name.DeviceCMYK
        if part.kind == "graphics state":
            for key in ("/TR", "/HTP"):
                if key in part.obj:
                    del part.obj[key]
            if "/TR2" in part.obj:
                part.obj.TR2 = Name.Default
            mask = part.obj.get("/SMask")
            if isinstance(mask, Dictionary) and len(mask.get("/BC", ())) == 3:
                del mask["/BC"]  # an RGB backdrop; the group is CMYK now (default: black)


# --- Metadata -----------------------------------------------------------------------------------
# PDF/X requires the Info dictionary and the XMP packet to say the same. Everything comes from the
# source PDF's Info (WeasyPrint writes title, authors, subject, keywords, creator and the build's
# dates), so that two runs on the same source give the same bytes: dates are never "now", and the
# XMP identifiers are derived from the source's SHA-256.


def press_metadata(original: pikepdf.Pdf, source: Path, digest: str, profile: PressProfile,
              crop_marks: bool, mark_offset_mm: float | None) -> tuple[Dictionary, bytes]:
    """The Info dictionary and the XMP packet saying the same, both from the source's Info."""
    docinfo = original.trailer.get("/Info") or Dictionary()
    text = {key: str(docinfo[key]) for key in INFO_TEXT_KEYS if str(docinfo.get(key, ""))}
    text.setdefault("/Title", source.stem)  # PDF/X requires a title
    created = parse_pdf_date(docinfo.get("/CreationDate")) or fallback_time(source)
    modified = parse_pdf_date(docinfo.get("/ModDate")) or created
    info = Dictionary({key: String(value) for key, value in text.items()})
    info.CreationDate, info.ModDate = String(pdf_date(created)), String(pdf_date(modified))
    info.Trapped = Name("/False")  # luoshu does no trapping; the printer's RIP may
    # DocumentID names the document (the same source); InstanceID this rendition of it.
    rendition = f"{digest} {hashlib.sha256(profile.icc).hexdigest()} {crop_marks} {mark_offset_mm}"
    document_id = uuid.uuid5(uuid.NAMESPACE_URL, f"urn:sha256:{digest}")
    instance_id = uuid.uuid5(uuid.NAMESPACE_URL, f"urn:luoshu:press:{rendition}")

    entries = [("dc", "format", "application/pdf", None), ("dc", "title", text["/Title"], "Alt")]
    if "/Author" in text:  # one item, the whole Author string: the two must say the same
        entries.append(("dc", "creator", text["/Author"], "Seq"))
    if "/Subject" in text:
        entries.append(("dc", "description", text["/Subject"], "Alt"))
    if "/Keywords" in text:
        entries.append(("pdf", "Keywords", text["/Keywords"], None))
    if "/Producer" in text:
        entries.append(("pdf", "Producer", text["/Producer"], None))
    entries.append(("pdf", "Trapped", "False", None))
    if "/Creator" in text:
        entries.append(("xmp", "CreatorTool", text["/Creator"], None))
    entries += [("xmp", "CreateDate", xmp_date(created), None),
                ("xmp", "ModifyDate", xmp_date(modified), None),
                ("xmp", "MetadataDate", xmp_date(modified), None),
                # PDF/X-4 preflights (Acrobat's) also ask for a version and a rendition class.
                ("xmpMM", "DocumentID", f"uuid:{document_id}", None),
                ("xmpMM", "InstanceID", f"uuid:{instance_id}", None),
                ("xmpMM", "VersionID", "1", None),
                ("xmpMM", "RenditionClass", "default", None),
                ("pdfxid", "GTS_PDFXVersion", "PDF/X-4", None)]
    packet = xmp_packet(XMP_NS, entries)
    return info, packet
