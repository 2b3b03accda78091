"""The press PDF's Info dictionary and XMP packet, which PDF/X requires to say the same.

Everything comes from the source PDF's Info (WeasyPrint writes title, authors, subject,
keywords, creator and the build's dates), so that two runs on the same source give the same
bytes: dates are never "now", and the XMP identifiers are derived from the source's SHA-256.
"""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path

import pikepdf
from pikepdf import Dictionary, Name, String

from .parts import (
    INFO_TEXT_KEYS,
    XMP_NS,
    fallback_time,
    parse_pdf_date,
    pdf_date,
    xmp_date,
    xmp_packet,
)
from .profile import PressProfile


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
