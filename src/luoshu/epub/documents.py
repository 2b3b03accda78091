"""The EPUB's spine documents, rendered from Jinja2 templates (``templates/epub/``): the cover,
the title page, the navigation document, one XHTML document per section and the gallery of the
photos that belong to no section.

This is the public rendering API: luoshu.epub.writer packs what ``render_documents`` renders,
and the preview (luoshu.serve.text) serves the same documents, re-rendering one section at a
time with ``render_section``. Sections live in ``text/``, front and back matter beside
``nav.xhtml``; every image is pointed at its copy in the package (luoshu.epub.package).
"""

from __future__ import annotations

import posixpath
from collections.abc import Sequence
from dataclasses import dataclass

from lxml import etree

from ..files.paths import BOOK_TOML, CAPTIONS
from ..layout.pagemap import (
    GALLERY_SECTION,
    GALLERY_TITLE_ID,
    PageBreak,
    insert_page_breaks,
    page_list,
)
from ..markup.convert import section_anchor
from ..markup.xhtml import escape_text
from ..model import Book, Photo, Section, SourceRef
from ..templates import environment
from ..zh.labels import labels
from .package import PackageFiles, unique_ascii_path

XHTML_NS = "http://www.w3.org/1999/xhtml"
SVG_NS = "http://www.w3.org/2000/svg"
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
XHTML_TYPE = "application/xhtml+xml"

# Primary language subtags written right to left (Uyghur, ug, matters to Chinese publishers).
RTL_LANGUAGES = {"ar", "arc", "ckb", "dv", "fa", "he", "ks", "ps", "sd", "ug", "ur", "yi"}


@dataclass(frozen=True)
class Document:
    """An XHTML document of the spine, rendered and ready to store."""

    path: str  # inside EPUB/, e.g. "text/01-reform.xhtml"
    manifest_id: str
    title: str
    content: bytes
    properties: tuple[str, ...] = ()



@dataclass(frozen=True)
class TocEntry:
    """An entry of the table of contents, shared by the navigation document and the NCX."""

    title: str
    href: str  # relative to EPUB/, where both nav.xhtml and toc.ncx live
    uid: str  # the NCX navPoint id
    children: tuple[TocEntry, ...] = ()


class DocumentRenderer:
    """Renders the documents of one book: same language, labels and stylesheets for all."""

    def __init__(self, book: Book, package: PackageFiles):
        self.book = book
        self.package = package
        self.labels = labels(book.meta.language)
        self.templates = environment()
        self.stylesheets = package.stylesheets()

    def document(self, template: str, path: str, manifest_id: str, title: str, body_type: str,
                 photos: tuple[Photo, ...] = (), source: SourceRef = SourceRef(BOOK_TOML),
                 properties: tuple[str, ...] = (), **context: object) -> Document:
        """Render ``templates/epub/<template>`` as the document *path* (inside EPUB/)."""
        folder = posixpath.dirname(path) or "."
        language = self.book.meta.language
        xhtml = self.templates.get_template(f"epub/{template}").render(
            lang=language, dir=direction(language), title=title, body_type=body_type,
            stylesheets=[posixpath.relpath(css, folder) for css in self.stylesheets],
            labels=self.labels, **context)
        content = _localize_images(xhtml, folder, self.package, photos, source)
        return Document(path, manifest_id, title, content, properties)


def render_documents(book: Book, package: PackageFiles, page_breaks: tuple[PageBreak, ...]
                      ) -> tuple[list[Document], list[TocEntry]]:
    """Every spine document in reading order (cover, title page, contents, sections, gallery),
    and the table of contents."""
    renderer = DocumentRenderer(book, package)
    labels = renderer.labels
    # Front and back matter live beside nav.xhtml, sections in text/: a section file called
    # gallery.md cannot collide with the gallery.
    taken = {"cover.xhtml", "titlepage.xhtml", "nav.xhtml", "gallery.xhtml"}
    section_paths = [unique_ascii_path(f"text/{s.id}.xhtml", taken, fallback="section")
                     for s in book.sections]
    href_of = dict(zip((s.id for s in book.sections), section_paths))
    href_of[GALLERY_SECTION] = "gallery.xhtml"

    toc = [_toc_entry(section, path) for section, path in zip(book.sections, section_paths)]
    if book.gallery:
        toc.append(TocEntry(labels["gallery"], "gallery.xhtml", "gallery"))
    landmarks = [{"type": "cover", "href": "cover.xhtml", "title": labels["cover"]},
                 {"type": "titlepage", "href": "titlepage.xhtml", "title": labels["titlepage"]},
                 {"type": "toc", "href": "nav.xhtml#toc", "title": labels["toc"]}]
    if section_paths:
        landmarks.append({"type": "bodymatter", "href": section_paths[0],
                          "title": labels["bodymatter"]})

    documents = []
    cover = package.cover()
    if cover is not None:
        width, height = package.cover_size()
        documents.append(renderer.document(
            "cover.xhtml.j2", "cover.xhtml", "cover", labels["cover"], "cover",
            properties=("svg",), image=cover, width=width, height=height,
            alt=f"{labels['cover']}：{book.meta.title}"))
    documents += [
        renderer.document("titlepage.xhtml.j2", "titlepage.xhtml", "titlepage", book.meta.title,
                          "frontmatter", meta=book.meta),
        renderer.document("nav.xhtml.j2", "nav.xhtml", "nav", labels["toc"], "frontmatter",
                          properties=("nav",), toc=toc, landmarks=landmarks,
                          pages=page_list(page_breaks, href_of)),
    ]
    documents += [render_section(renderer, section, path, page_breaks)
                  for section, path in zip(book.sections, section_paths)]
    if book.gallery:
        heading = f'<h1 id="{GALLERY_TITLE_ID}">{escape_text(labels["gallery"])}</h1>'
        documents.append(renderer.document(
            "gallery.xhtml.j2", "gallery.xhtml", "gallery", labels["gallery"], "backmatter",
            photos=book.gallery, source=SourceRef(CAPTIONS),
            gallery_html=insert_page_breaks(GALLERY_SECTION, heading + book.gallery_html,
                                            page_breaks)))
    return documents, toc


def render_section(renderer: DocumentRenderer, section: Section, path: str,
                   page_breaks: Sequence[PageBreak] = ()) -> Document:
    """One section's XHTML document at *path* (inside EPUB/), with the print edition's page
    breaks of *page_breaks* marked in it (the preview renders sections without them)."""
    anchor = section_anchor(section.id)
    title_anchor = next((h.anchor for h in section.headings if h.level == 1), None)
    return renderer.document(
        "section.xhtml.j2", path, anchor, section.title, "bodymatter", photos=section.photos,
        source=section.source, anchor=anchor, labelled_by=title_anchor,
        section_html=insert_page_breaks(section.id, section.html, page_breaks))


def _toc_entry(section: Section, path: str) -> TocEntry:
    """The section's entry, with its level-2 headings nested under it."""
    children = tuple(TocEntry(h.text, f"{path}#{h.anchor}", f"ncx-{h.anchor}")
                     for h in section.headings if h.level == 2)
    return TocEntry(section.title, path, section_anchor(section.id), children)


def _localize_images(xhtml: str, folder: str, package: PackageFiles, photos: tuple[Photo, ...],
                     fallback: SourceRef) -> bytes:
    """Point every <img> (and the cover's SVG <image>) of a rendered document at its copy
    inside the EPUB.

    Image sources are relative to manuscript/, not to the document. Parsing the document here
    also proves it well-formed before EPUBCheck (or a reader) would find out.
    """
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    tree = etree.fromstring(xhtml.encode("utf-8"), parser).getroottree()
    sources = {photo.file: photo.source for photo in photos if photo.source}
    for img in tree.iter(f"{{{XHTML_NS}}}img", f"{{{SVG_NS}}}image"):
        attribute = "src" if img.tag == f"{{{XHTML_NS}}}img" else XLINK_HREF
        src = img.get(attribute, "")
        stored = package.image(src, sources.get(src, fallback))
        if stored is not None:
            img.set(attribute, posixpath.relpath(stored, folder))
    return etree.tostring(tree, xml_declaration=True, encoding="utf-8")


def direction(language: str) -> str:
    return "rtl" if language.split("-")[0].lower() in RTL_LANGUAGES else "ltr"
