"""The archival PDF: the reading layout as a PDF/A-2u file, for legal deposit and archives.

A library keeps a deposited book for decades and must be able to render it without luoshu, the
fonts or the network: PDF/A (ISO 19005) is the format archives ask for. The level is
**PDF/A-2u**, because

- not PDF/A-1: it is based on PDF 1.4, which forbids transparency (WeasyPrint uses it for
  opacity and for images with alpha) and knows no OpenType font programs — WeasyPrint embeds
  the CJK house fonts, which are CFF-based OpenType, as ``FontFile3 /OpenType`` CID fonts;
- not PDF/A-4: it is based on PDF 2.0, which few archival tools and viewers validate or render
  well yet, and gains nothing for a book set in CFF-based CJK fonts;
- not PDF/A-3: it allows arbitrary embedded files, which archives usually refuse (an unknown
  format inside the deposit); the archive package carries the other files beside the PDF;
- "u", not "a": level A requires a complete, correct logical structure, which cannot be verified
  on these machines (there is no veraPDF). WeasyPrint's tags are included where it can write
  them, but only "u" is claimed: every glyph maps to Unicode, so the text can be searched and
  extracted — checked by luoshu.pdf.pdfa_check.

``write_pdfa`` takes the book's joined pages (luoshu.build.typesetting: each unit written by
WeasyPrint with its tags, then joined with pikepdf), cuts them to the trim, adds the sRGB
output intent, and ``finish_pdfa`` corrects and completes the file with pikepdf. What
WeasyPrint 70 writes, and what is changed:

- its XMP packet lists one ``dc:creator`` item per author while the Info dictionary's /Author
  is one string ("A, B"), and gives the book's date as a bare date: the XMP is replaced by one
  written from the Info dictionary, the two saying exactly the same (below);
- images carry ``/Interpolate true`` (for CSS ``image-rendering: auto``), which PDF/A forbids:
  the key is removed (interpolation is a viewer's choice anyway);
- anything PDF/A-2 forbids or that ties the file to the machine that built it is removed if
  present: JavaScript, launch and other forbidden actions, links to ``file:`` URLs (they would
  carry the build machine's paths), embedded files and the annotations that hold them,
  transfer functions and halftone phases. WeasyPrint writes none of these for a luoshu book;
  the removal guards against what a stylesheet or raw HTML might bring.

Added: the sRGB output intent (``GTS_PDFA1``, WeasyPrint's sRGB2014 profile: the pages are
drawn in DeviceRGB, which PDF/A allows with an RGB intent). Kept as written: /Lang, the
bookmarks, the table of contents' links (Link annotations are allowed, with the Print flag set,
and need no appearance stream), and the structure tree.

**Tags.** Each unit is written tagged, and the join merges their structure trees into one
(luoshu.pdf.join). Tagging makes WeasyPrint treat an image without alt text as an error, and
its tagger can fail on layouts it does not expect: such a unit is written untagged with a
warning that says why, and the joined PDF is then untagged as a whole (a tree with holes would
be worse than none). The tags are more than "u" needs, so that is a warning, not an error.

**Info and XMP.** PDF/A-1 required the Info dictionary and the XMP to agree; PDF/A-2 no longer
does (veraPDF skips the comparison for parts 2 and 3), but other validators still compare them
and a reader may show either, so they say the same. The authors are one string in both:
/Author "王晓明, 陈静" and a ``dc:creator`` sequence of one item holding that string, which is
how validators compare them ("dc:creator shall contain exactly one entry"); splitting the Info
string back into names would be a guess (a name can contain a comma), and the reading and
press PDFs already say it that way.

**Reproducible.** The same document and *modified* give the same bytes: dates come from the
build, the XMP identifiers from the SHA-256 of WeasyPrint's output, and the file identifier
from the content (pikepdf's deterministic_id).
"""

from __future__ import annotations

import importlib.resources
import logging
import uuid
from pathlib import Path

import pikepdf
from pikepdf import Array, Dictionary, Name, String

from ..files.output import scratch_beside, sha256_file, written_beside
from .parts import (
    INFO_TEXT_KEYS,
    PDFAID_NS,
    XMP_NS,
    outline_items,
    parse_pdf_date,
    parts,
    pdf_date,
    xmp_date,
    xmp_packet,
)
from .pdfa_check import ALLOWED_NAMED_ACTIONS, HIDDEN_FLAGS, PRINT
from .write import cut_to_trim

LOGGER = logging.getLogger("luoshu.pdf.pdfa")

PDFA_PART, PDFA_CONFORMANCE = 2, "U"  # PDF/A-2u: see the module docstring for why
PDF_VERSION = "1.7"  # PDF/A-2 is based on ISO 32000-1 (PDF 1.7)

# Of the actions PDF/A-2 allows (pdfa_check.ALLOWED_ACTIONS), those that make sense in a book:
# GoToE opens embedded files, Thread needs article threads, SubmitForm a form.
KEPT_ACTIONS = {"/GoTo", "/GoToR", "/URI", "/Named"}
# URI schemes that point into the build machine or run code rather than to a resource.
REFUSED_URI_SCHEMES = ("file:", "javascript:", "vbscript:", "data:")
HIDING_FLAGS = sum(HIDDEN_FLAGS)  # Invisible, Hidden, NoView, ToggleNoView


def write_pdfa(joined: Path, destination: Path) -> None:
    """The archival PDF of the typeset book *joined* (one PDF of its pages with their bleed,
    luoshu.pdf.join): the reading layout (cut to the trim, no crop marks), PDF/A-2u, with an
    sRGB output intent, bookmarks, XMP matching the Info dictionary; byte-identical for the
    same *joined*. *destination* is replaced only when everything succeeded."""
    destination = Path(destination)
    with scratch_beside(destination) as work, written_beside(destination) as finished:
        reading = work / "reading.pdf"
        cut_to_trim(joined, reading)
        with pikepdf.open(reading) as pdf:
            _add_srgb_intent(pdf)
            pdf.save(work / "intent.pdf", deterministic_id=True)
        finish_pdfa(work / "intent.pdf", finished)


def _add_srgb_intent(pdf: pikepdf.Pdf) -> None:
    """The output intent PDF/A asks of a file drawn in DeviceRGB: sRGB, with the ICC profile
    WeasyPrint ships (sRGB2014), as WeasyPrint's own PDF/A variant writes it."""
    profile = (importlib.resources.files("weasyprint.pdf") / "sRGB2014.icc").read_bytes()
    intent = Dictionary(Type=Name.OutputIntent, S=Name.GTS_PDFA1,
                        OutputConditionIdentifier=String("sRGB2014.icc"),
                        Info=String("sRGB2014.icc"),
                        DestOutputProfile=pdf.make_stream(profile, N=3))
    pdf.Root.OutputIntents = Array([pdf.make_indirect(intent)])


# --- Finishing ----------------------------------------------------------------------------------


def finish_pdfa(source: Path, destination: Path) -> None:
    """Write *source*, WeasyPrint's ``pdf/a-2u`` output, as the PDF/A-2u file *destination*:
    forbidden things removed, images without interpolation, the Info dictionary and a new XMP
    packet that say the same. The same source gives the same bytes."""
    source = Path(source)
    digest = sha256_file(source)
    with pikepdf.open(source) as pdf:
        _strip_document_actions(pdf)
        for page in pdf.pages:
            _clean_page(page.obj)
        _clean_outline(pdf)
        _clean_objects(pdf)
        info, xmp = _metadata(pdf, digest)
        pdf.trailer.Info = pdf.make_indirect(info)
        # Left uncompressed (qpdf does not compress metadata): readable without a PDF library.
        pdf.Root.Metadata = pdf.make_stream(xmp, Type=Name.Metadata, Subtype=Name.XML)
        pdf.save(destination, deterministic_id=True, force_version=PDF_VERSION,
                 fix_metadata_version=False)


def _strip_document_actions(pdf: pikepdf.Pdf) -> None:
    """Remove from the catalog what PDF/A-2 forbids (additional actions, scripts, alternate
    presentations, Requirements, NeedsRendering) and, for level 2u, embedded files and forms
    (luoshu writes no forms; a form's widgets would be removed with the other annotations)."""
    for key in ("/AA", "/AcroForm", "/AF", "/Requirements", "/NeedsRendering"):
        if key in pdf.Root:
            del pdf.Root[key]
    opening = pdf.Root.get("/OpenAction")
    if isinstance(opening, Dictionary) and not _action_kept(opening):
        del pdf.Root["/OpenAction"]  # a destination array (where to open) is harmless
    names = pdf.Root.get("/Names")
    if isinstance(names, Dictionary):
        for key in ("/JavaScript", "/EmbeddedFiles", "/AlternatePresentations"):
            if key in names:
                del names[key]


def _clean_page(page: Dictionary) -> None:
    """Keep only Link annotations, printable and visible, with allowed actions; drop the
    page's additional actions and presentation steps."""
    for key in ("/AA", "/PresSteps"):
        if key in page:
            del page[key]
    annotations = page.get("/Annots")
    if not isinstance(annotations, Array):
        return
    kept = [a for a in annotations if isinstance(a, Dictionary) and a.get("/Subtype") == "/Link"]
    for link in kept:
        flags = int(link.get("/F", 0))
        link.F = (flags | PRINT) & ~HIDING_FLAGS
        if "/AA" in link:
            del link["/AA"]
        action = link.get("/A")
        if isinstance(action, Dictionary) and not _action_kept(action):
            # A link that goes nowhere is still a valid Link annotation, and its structure
            # element (when tagged) keeps pointing at it.
            del link["/A"]
    if len(kept) != len(annotations):
        page.Annots = Array(kept)


def _clean_outline(pdf: pikepdf.Pdf) -> None:
    """Bookmarks keep their destinations; an action PDF/A forbids is removed."""
    for item in outline_items(pdf):
        action = item.get("/A")
        if isinstance(action, Dictionary) and not _action_kept(action):
            del item["/A"]


def _action_kept(action: object, depth: int = 0) -> bool:
    """Whether *action*, and every action chained after it (/Next), may stay in the file."""
    if not isinstance(action, Dictionary) or depth > 32:  # a chain that long is not a link
        return False
    following = action.get("/Next")
    chained = ([] if following is None
               else list(following) if isinstance(following, Array) else [following])
    if not all(_action_kept(item, depth + 1) for item in chained):
        return False
    kind = action.get("/S")
    if kind == "/Named":
        return action.get("/N") in ALLOWED_NAMED_ACTIONS
    if kind == "/URI":
        # A reference without a scheme is relative to the file: a file on some disk.
        target = str(action.get("/URI", "")).strip().lower()
        return ":" in target and not target.startswith(REFUSED_URI_SCHEMES)
    return kind in KEPT_ACTIONS


def _clean_objects(pdf: pikepdf.Pdf) -> None:
    """Images without interpolation, fonts without a CIDSet, graphics states without transfer
    functions or halftone phases."""
    for obj in pdf.objects:
        if isinstance(obj, pikepdf.Stream) and obj.get("/Subtype") == "/Image":
            # Soft masks are images too, reached from their image rather than from a page.
            for key in ("/Interpolate", "/Alternates", "/OPI"):
                if key in obj:
                    del obj[key]
        elif (isinstance(obj, Dictionary) and obj.get("/Type") == "/FontDescriptor"
              and "/CIDSet" in obj):
            # Optional in PDF/A-2; if present it must list every glyph of the subset exactly,
            # which luoshu does not verify: better absent than wrong.
            del obj["/CIDSet"]
    for part in parts(pdf):
        if part.kind == "graphics state":
            for key in ("/TR", "/HTP"):
                if key in part.obj:
                    del part.obj[key]
            if part.obj.get("/TR2", Name.Default) != Name.Default:
                part.obj.TR2 = Name.Default


# --- Metadata -----------------------------------------------------------------------------------

# Schemas the packet uses: XMP 2005's predefined ones and PDF/A identification.
_NAMESPACES = {**{key: XMP_NS[key] for key in ("x", "rdf", "dc", "pdf", "xmp", "xmpMM")},
               "pdfaid": PDFAID_NS}


def _metadata(pdf: pikepdf.Pdf, digest: str) -> tuple[Dictionary, bytes]:
    """The Info dictionary and the XMP packet of the archival PDF, both from *pdf*'s Info
    (WeasyPrint writes title, authors, subject, keywords, creator, producer and the build's
    dates), saying exactly the same; the XMP identifiers from *digest* (of WeasyPrint's file)."""
    docinfo = pdf.trailer.get("/Info") or Dictionary()
    text = {key: str(docinfo[key]) for key in INFO_TEXT_KEYS if str(docinfo.get(key, ""))}
    modified = parse_pdf_date(docinfo.get("/ModDate"))
    created = parse_pdf_date(docinfo.get("/CreationDate")) or modified
    info = Dictionary({key: String(value) for key, value in text.items()})
    # Written again in full (WeasyPrint gives the book's date as D:20240501): the same instant
    # as the XMP dates below, to the second and with its time zone.
    if created is not None:
        info.CreationDate = String(pdf_date(created))
    if modified is not None:
        info.ModDate = String(pdf_date(modified))

    entries = [("pdfaid", "part", str(PDFA_PART), None),
               ("pdfaid", "conformance", PDFA_CONFORMANCE, None),
               ("dc", "format", "application/pdf", None)]
    if "/Title" in text:
        entries.append(("dc", "title", text["/Title"], "Alt"))
    if "/Author" in text:  # one item, the whole Author string (see the module docstring)
        entries.append(("dc", "creator", text["/Author"], "Seq"))
    if "/Subject" in text:
        entries.append(("dc", "description", text["/Subject"], "Alt"))
    language = str(pdf.Root.get("/Lang", ""))
    if language:
        entries.append(("dc", "language", language, "Bag"))
    if "/Keywords" in text:
        entries.append(("pdf", "Keywords", text["/Keywords"], None))
    if "/Producer" in text:
        entries.append(("pdf", "Producer", text["/Producer"], None))
    if "/Creator" in text:
        entries.append(("xmp", "CreatorTool", text["/Creator"], None))
    if created is not None:
        entries.append(("xmp", "CreateDate", xmp_date(created), None))
    if modified is not None:
        entries += [("xmp", "ModifyDate", xmp_date(modified), None),
                    ("xmp", "MetadataDate", xmp_date(modified), None)]
    # DocumentID names the document (WeasyPrint's file); InstanceID this archival rendition.
    document_id = uuid.uuid5(uuid.NAMESPACE_URL, f"urn:sha256:{digest}")
    instance_id = uuid.uuid5(uuid.NAMESPACE_URL, f"urn:luoshu:pdfa:{digest}")
    entries += [("xmpMM", "DocumentID", f"uuid:{document_id}", None),
                ("xmpMM", "InstanceID", f"uuid:{instance_id}", None)]
    packet = xmp_packet(_NAMESPACES, entries)
    return info, packet
