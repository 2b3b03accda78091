"""EPUB 3 output: a title page, the navigation document, one XHTML document per section and a
gallery of the photos that belong to no section, packaged with ebooklib.

Layout inside the container (``EPUB/`` is ebooklib's package folder)::

    EPUB/content.opf  EPUB/toc.ncx  EPUB/nav.xhtml  EPUB/titlepage.xhtml  EPUB/gallery.xhtml
    EPUB/text/<section>.xhtml  EPUB/style/book.css  EPUB/images/<photo>

Our XHTML comes from Jinja2 templates (``templates/epub/``); ebooklib writes the OPF, the NCX
and a first zip. Where ebooklib would get in the way of a valid, reproducible book, we step
around it (see ``_Prerendered`` and ``luoshu.zipfiles``).
"""

from __future__ import annotations

import datetime
import io
import posixpath
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path

from ebooklib import epub as ebooklib_epub
from lxml import etree

from .. import __version__, zipfiles
from . import accessibility
from ..markup import convert as markup
from .package import PackageFiles, Resource, unique_ascii_path
from ..errors import raise_if_errors
from ..model import Book, BookMeta, Photo, Section, SourceRef
from ..layout.pagemap import GALLERY_SECTION, PageBreak, insert_page_breaks, page_list
from ..templates import environment

XHTML_NS = "http://www.w3.org/1999/xhtml"
XHTML_TYPE = "application/xhtml+xml"

# Primary language subtags written right to left (Uyghur, ug, matters to Chinese publishers).
RTL_LANGUAGES = {"ar", "arc", "ckb", "dv", "fa", "he", "ks", "ps", "sd", "ug", "ur", "yi"}

# Words the book itself shows (headings, navigation labels), by Han script.
LABELS = {
    "Hans": {"toc": "目录", "landmarks": "导览", "titlepage": "扉页", "gallery": "图片",
             "bodymatter": "正文", "author_separator": "、", "cover": "封面",
             "pages": "印刷版页码"},
    "Hant": {"toc": "目錄", "landmarks": "導覽", "titlepage": "扉頁", "gallery": "圖片",
             "bodymatter": "正文", "author_separator": "、", "cover": "封面",
             "pages": "印刷版頁碼"},
}



def write_epub(book: Book, destination: Path, modified: datetime.datetime,
               page_breaks: Sequence[PageBreak] = ()) -> None:
    """Write *book* as an EPUB 3 file at *destination*, dated *modified* (dcterms:modified).

    *page_breaks* are where the print edition's pages begin (luoshu.layout.pagemap): they become
    page-break markers in the text and the navigation document's page-list. Identical inputs
    give byte-identical files. Raises ProjectError listing every resource (photo, stylesheet)
    that could not be used; nothing is written in that case.
    """
    modified = _as_utc(modified)
    package = PackageFiles(book)
    documents, toc = _render_documents(book, package, tuple(page_breaks))
    package.finish_fonts([document.content for document in documents])
    raise_if_errors(package.problems)

    ebook = _ebooklib_book(book, documents, package.resources, toc, bool(page_breaks))
    archive = io.BytesIO()
    ebooklib_epub.write_epub(archive, ebook, {
        "mtime": modified,  # without it ebooklib writes datetime.now() as dcterms:modified
        "raise_exceptions": True,  # otherwise ebooklib swallows OSError and returns False
        "epub2_guide": False,
        "play_order": {"enabled": True, "start_from": 1},  # NCX navPoints in reading order
    })
    # ebooklib dates entries "now"; OCF wants mimetype first and stored uncompressed.
    zipfiles.rewrite_reproducibly(archive.getvalue(), destination, modified,
                                  first=("mimetype",), stored=("mimetype",),
                                  transform=lambda name, data: _finish_file(book, name, data))


def _finish_file(book: Book, name: str, data: bytes) -> bytes:
    """What ebooklib cannot write: the package's xml:lang (Ace and EPUB Accessibility ask for
    it; ebooklib puts the language only in dc:language)."""
    if not name.endswith(".opf"):
        return data
    root = etree.fromstring(data)
    root.set("{http://www.w3.org/XML/1998/namespace}lang", book.meta.language)
    return etree.tostring(root, xml_declaration=True, encoding="utf-8")


# --- the documents --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Document:
    """An XHTML document of the spine, rendered and ready to store."""

    path: str  # inside EPUB/, e.g. "text/01-reform.xhtml"
    manifest_id: str
    title: str
    content: bytes
    properties: tuple[str, ...] = ()


# --- rendering -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _TocEntry:
    """An entry of the table of contents, shared by the navigation document and the NCX."""

    title: str
    href: str  # relative to EPUB/, where both nav.xhtml and toc.ncx live
    uid: str  # the NCX navPoint id
    children: tuple[_TocEntry, ...] = ()


class _Renderer:
    """Renders the documents of one book: same language, labels and stylesheets for all."""

    def __init__(self, book: Book, package: PackageFiles):
        self.book = book
        self.package = package
        self.labels = LABELS[book.meta.script]
        self.templates = environment()
        self.stylesheets = package.stylesheets()

    def document(self, template: str, path: str, manifest_id: str, title: str, body_type: str,
                 photos: tuple[Photo, ...] = (), source: SourceRef = SourceRef("book.toml"),
                 properties: tuple[str, ...] = (), **context: object) -> _Document:
        """Render ``templates/epub/<template>`` as the document *path* (inside EPUB/)."""
        folder = posixpath.dirname(path) or "."
        language = self.book.meta.language
        xhtml = self.templates.get_template(f"epub/{template}").render(
            lang=language, dir=_direction(language), title=title, body_type=body_type,
            stylesheets=[posixpath.relpath(css, folder) for css in self.stylesheets],
            labels=self.labels, **context)
        content = _localize_images(xhtml, folder, self.package, photos, source)
        return _Document(path, manifest_id, title, content, properties)


def _render_documents(book: Book, package: PackageFiles, page_breaks: tuple[PageBreak, ...]
                      ) -> tuple[list[_Document], list[_TocEntry]]:
    """Every spine document in reading order (cover, title page, contents, sections, gallery),
    and the table of contents."""
    renderer = _Renderer(book, package)
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
        toc.append(_TocEntry(labels["gallery"], "gallery.xhtml", "gallery"))
    landmarks = [{"type": "cover", "href": "cover.xhtml", "title": labels["cover"]},
                 {"type": "titlepage", "href": "titlepage.xhtml", "title": labels["titlepage"]},
                 {"type": "toc", "href": "nav.xhtml#toc", "title": labels["toc"]}]
    if section_paths:
        landmarks.append({"type": "bodymatter", "href": section_paths[0],
                          "title": labels["bodymatter"]})

    documents = []
    cover = package.cover()
    if cover is not None:
        documents.append(renderer.document(
            "cover.xhtml.j2", "cover.xhtml", "cover", labels["cover"], "cover", image=cover,
            alt=f"{labels['cover']}：{book.meta.title}"))
    documents += [
        renderer.document("titlepage.xhtml.j2", "titlepage.xhtml", "titlepage", book.meta.title,
                          "frontmatter", meta=book.meta),
        renderer.document("nav.xhtml.j2", "nav.xhtml", "nav", labels["toc"], "frontmatter",
                          properties=("nav",), toc=toc, landmarks=landmarks,
                          pages=page_list(page_breaks, href_of)),
    ]
    for section, path in zip(book.sections, section_paths):
        title_anchor = next((h.anchor for h in section.headings if h.level == 1), None)
        documents.append(renderer.document(
            "section.xhtml.j2", path, _section_id(section), section.title, "bodymatter",
            photos=section.photos, source=section.source,
            anchor=_section_id(section), labelled_by=title_anchor,
            section_html=insert_page_breaks(section.id, section.html, page_breaks)))
    if book.gallery:
        heading = f'<h1 id="gallery--title">{escape(labels["gallery"])}</h1>'
        figures = "".join(markup.figure_html(photo, f"gallery--fig-{number}")
                          for number, photo in enumerate(book.gallery, start=1))
        documents.append(renderer.document(
            "gallery.xhtml.j2", "gallery.xhtml", "gallery", labels["gallery"], "backmatter",
            photos=book.gallery, source=SourceRef("manuscript/captions.toml"),
            gallery_html=insert_page_breaks(GALLERY_SECTION, heading + figures, page_breaks)))
    return documents, toc


def _section_id(section: Section) -> str:
    # Section ids ("01-reform") may start with a digit; XML ids may not.
    return markup.section_anchor(section.id)


def _toc_entry(section: Section, path: str) -> _TocEntry:
    """The section's entry, with its level-2 headings nested under it."""
    children = tuple(_TocEntry(h.text, f"{path}#{h.anchor}", f"ncx-{h.anchor}")
                     for h in section.headings if h.level == 2)
    return _TocEntry(section.title, path, _section_id(section), children)


def _localize_images(xhtml: str, folder: str, package: PackageFiles, photos: tuple[Photo, ...],
                     fallback: SourceRef) -> bytes:
    """Point every <img> of a rendered document at its copy inside the EPUB.

    Image sources are relative to manuscript/, not to the document. Parsing the document here
    also proves it well-formed before EPUBCheck (or a reader) would find out.
    """
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    tree = etree.fromstring(xhtml.encode("utf-8"), parser).getroottree()
    sources = {photo.file: photo.source for photo in photos if photo.source}
    for img in tree.iter(f"{{{XHTML_NS}}}img"):
        src = img.get("src", "")
        stored = package.image(src, sources.get(src, fallback))
        if stored is not None:
            img.set("src", posixpath.relpath(stored, folder))
    return etree.tostring(tree, xml_declaration=True, encoding="utf-8")


def _direction(language: str) -> str:
    return "rtl" if language.split("-")[0].lower() in RTL_LANGUAGES else "ltr"


# --- packaging with ebooklib ---------------------------------------------------------------


class _Prerendered(ebooklib_epub.EpubHtml):
    """An XHTML document stored byte for byte.

    ebooklib's EpubHtml.get_content re-parses content with an *HTML* parser, builds a new <head>
    and copies only the children of <body>: attributes of <html> and <body> (dir, epub:type)
    and our <head> would be lost. Being an EpubHtml still lets ebooklib put it in the spine
    and the NCX.
    """

    def get_content(self, default=None):
        return self.content


def _ebooklib_book(book: Book, documents: list[_Document], resources: list[Resource],
                   toc: list[_TocEntry], has_page_list: bool) -> ebooklib_epub.EpubBook:
    ebook = ebooklib_epub.EpubBook()
    _add_metadata(ebook, book.meta)
    if book.config.epub.writing_mode == "vertical-rl":
        ebook.set_direction("rtl")  # the spine's page-progression-direction: pages turn leftward
        ebook.add_metadata(None, "meta", "", {"name": "primary-writing-mode",
                                               "content": "vertical-rl"})  # Kindle reads this
    if has_page_list:
        # Which edition the page numbers are from (EPUB Accessibility 1.1).
        ebook.add_metadata(None, "meta", book.meta.identifier, {"property": "pageBreakSource"})
    images = [r for r in resources if r.media_type.startswith("image/")]
    _add_accessibility(ebook, book, accessibility.Features(
        images=len(images), images_without_alt=sum(not p.alt for p in book.photos),
        page_list=has_page_list))
    items = {}
    for document in documents:
        item = _Prerendered(uid=document.manifest_id, file_name=document.path,
                            media_type=XHTML_TYPE, title=document.title, lang=book.meta.language)
        item.content = document.content
        item.properties = list(document.properties)  # "nav" marks the navigation document
        items[document.path] = ebook.add_item(item)
    for resource in resources:
        item = ebooklib_epub.EpubItem(uid=resource.manifest_id, file_name=resource.path,
                                      media_type=resource.media_type, content=resource.content)
        item.properties = list(resource.properties)  # "cover-image"
        ebook.add_item(item)
    ebook.add_item(ebooklib_epub.EpubNcx())  # EPUB 2 reading systems still use toc.ncx

    ebook.spine = list(items.values())
    ebook.toc = [_ncx_entry(entry, items) for entry in toc]
    return ebook


def _add_metadata(ebook: ebooklib_epub.EpubBook, meta: BookMeta) -> None:
    """The OPF metadata: identifier, language, titles, creators and the optional fields."""
    # EpubBook() starts with a random uuid4 identifier (id "id") and an "Ebook-lib" generator;
    # both are replaced so that the OPF depends on the book only.
    ebook.IDENTIFIER_ID = "pub-id"
    ebook.set_identifier(meta.identifier)
    ebook.set_unique_metadata("OPF", "generator", "",
                              {"name": "generator", "content": f"luoshu {__version__}"})
    ebook.set_language(meta.language)
    if _direction(meta.language) == "rtl":
        ebook.set_direction("rtl")  # becomes the spine's page-progression-direction

    ebook.title = meta.title  # the NCX's docTitle; set_title would add a dc:title without an id
    ebook.add_metadata("DC", "title", meta.title, {"id": "title"})
    ebook.add_metadata(None, "meta", "main", {"refines": "#title", "property": "title-type"})
    if meta.subtitle:
        ebook.add_metadata("DC", "title", meta.subtitle, {"id": "subtitle"})
        ebook.add_metadata(None, "meta", "subtitle",
                           {"refines": "#subtitle", "property": "title-type"})
    for number, author in enumerate(meta.authors, start=1):
        # add_author would give every creator the same id "creator".
        ebook.add_metadata("DC", "creator", author, {"id": f"creator-{number}"})
        ebook.add_metadata(None, "meta", "aut", {"refines": f"#creator-{number}",
                                                  "property": "role", "scheme": "marc:relators"})
    optional = [("publisher", meta.publisher), ("description", meta.description),
                ("rights", meta.rights),
                ("date", meta.date.isoformat() if meta.date else None)]
    for name, value in optional:
        if value:
            ebook.add_metadata("DC", name, value)
    for subject in meta.subjects:
        ebook.add_metadata("DC", "subject", subject)


def _add_accessibility(ebook: ebooklib_epub.EpubBook, book: Book, features) -> None:
    """EPUB Accessibility 1.1 metadata (luoshu.epub.accessibility decides what holds)."""
    ebook.namespaces["a11y"] = "http://www.idpf.org/epub/vocab/package/a11y/#"
    for name, value in accessibility.metadata(book, features):
        ebook.add_metadata(None, "meta", value, {"property": name})


def _ncx_entry(entry: _TocEntry, items: dict[str, _Prerendered]) -> object:
    """An entry of ebooklib's toc: the document item itself, or (item, [Link…]) with headings.

    Links need explicit uids: ebooklib has no default for a navPoint's id.
    """
    item = items[entry.href]
    if not entry.children:
        return item
    return (item, [ebooklib_epub.Link(child.href, child.title, child.uid)
                   for child in entry.children])


def _as_utc(moment: datetime.datetime) -> datetime.datetime:
    """*moment* in UTC, whole seconds (a naive datetime is taken to be UTC already)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return moment.astimezone(datetime.timezone.utc).replace(microsecond=0)
