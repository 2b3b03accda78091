"""The press PDF's Info dictionary and XMP packet, which PDF/X requires to say the same.

Everything comes from the source PDF's Info (WeasyPrint writes title, authors, subject,
keywords, creator and the build's dates), so that two runs on the same source give the same
bytes: dates are never "now", and the XMP identifiers are derived from the source's SHA-256.
"""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path

import lxml.etree
import pikepdf
from pikepdf import Dictionary, Name, String

from .pdf_parts import (
    INFO_TEXT_KEYS,
    XMP_NS,
    fallback_time,
    parse_pdf_date,
    pdf_date,
    xmp_date,
)
from .press_profile import PressProfile


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

    rdf = XMP_NS["rdf"]
    root = lxml.etree.Element(f"{{{XMP_NS['x']}}}xmpmeta", nsmap={"x": XMP_NS["x"]})
    description = lxml.etree.SubElement(
        lxml.etree.SubElement(root, f"{{{rdf}}}RDF", nsmap={"rdf": rdf}),
        f"{{{rdf}}}Description", {f"{{{rdf}}}about": ""},
        nsmap={k: v for k, v in XMP_NS.items() if k not in ("x", "rdf")})

    def add(prefix: str, name: str, value: str, container: str | None = None) -> None:
        element = lxml.etree.SubElement(description, f"{{{XMP_NS[prefix]}}}{name}")
        if container is None:
            element.text = value
            return
        item = lxml.etree.SubElement(lxml.etree.SubElement(element, f"{{{rdf}}}{container}"),
                                     f"{{{rdf}}}li")
        if container == "Alt":
            item.set("{http://www.w3.org/XML/1998/namespace}lang", "x-default")
        item.text = value

    add("dc", "format", "application/pdf")
    add("dc", "title", text["/Title"], "Alt")
    if "/Author" in text:  # one item, the whole Author string: the two must say the same
        add("dc", "creator", text["/Author"], "Seq")
    if "/Subject" in text:
        add("dc", "description", text["/Subject"], "Alt")
    if "/Keywords" in text:
        add("pdf", "Keywords", text["/Keywords"])
    if "/Producer" in text:
        add("pdf", "Producer", text["/Producer"])
    add("pdf", "Trapped", "False")
    if "/Creator" in text:
        add("xmp", "CreatorTool", text["/Creator"])
    add("xmp", "CreateDate", xmp_date(created))
    add("xmp", "ModifyDate", xmp_date(modified))
    add("xmp", "MetadataDate", xmp_date(modified))
    # PDF/X-4 preflights (Acrobat's) also ask for a version and a rendition class.
    add("xmpMM", "DocumentID", f"uuid:{document_id}")
    add("xmpMM", "InstanceID", f"uuid:{instance_id}")
    add("xmpMM", "VersionID", "1")
    add("xmpMM", "RenditionClass", "default")
    add("pdfxid", "GTS_PDFXVersion", "PDF/X-4")
    body = lxml.etree.tostring(root, encoding="utf-8", pretty_print=True)
    # The packet wrapper and padding let other tools update the XMP in place.
    packet = ('<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'.encode()
              + body + (b" " * 99 + b"\n") * 20 + b'<?xpacket end="w"?>')
    return info, packet
