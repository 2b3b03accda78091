"""EPUB 3 output: the spine documents (luoshu.epub.documents) and the package's files
(luoshu.epub.package), packed with ebooklib, with EPUB Accessibility 1.1 metadata.

Layout inside the container (``EPUB/`` is ebooklib's package folder)::

    META-INF/container.xml  META-INF/com.apple.ibooks.display-options.xml
    EPUB/content.opf  EPUB/toc.ncx  EPUB/nav.xhtml  EPUB/titlepage.xhtml  EPUB/gallery.xhtml
    EPUB/text/<section>.xhtml  EPUB/style/book.css  EPUB/images/<photo>  EPUB/fonts/<subset>

One file for every store and reading system: besides EPUB 3 it carries what the others read —
the NCX with the print page list (Kindle, calibre; luoshu.epub.ncx), the EPUB 2 guide (cover,
contents and start of the text: KindleGen and calibre find the cover page there and do not
add a second one), the cover image named the EPUB 2 way, and Apple Books' display options
asking for the embedded fonts (without them Apple Books sets the book in its own).

Our XHTML comes from Jinja2 templates (``templates/epub/``); ebooklib writes the OPF, the NCX
and a first zip. Where ebooklib would get in the way of a valid, reproducible book, we step
around it (see ``_Prerendered`` and ``luoshu.files.zips``).
"""

from __future__ import annotations

import datetime
import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ebooklib import epub as ebooklib_epub
from lxml import etree

from .. import __version__
from ..errors import raise_if_errors
from ..files import zips
from ..layout.pagemap import PageBreak
from ..model import Book, BookMeta, script_of
from ..zh.labels import labels
from .documents import XHTML_TYPE, Document, TocEntry, direction, render_documents
from .ncx import finish_ncx, page_targets
from .package import PackageFiles, Resource

# Apple Books sets a book in the reader's choice of font unless the book asks for its own: the
# EPUB 3 way (ibooks:specified-fonts in the OPF) and the file older versions read.
APPLE_OPTIONS = "META-INF/com.apple.ibooks.display-options.xml"
APPLE_OPTIONS_XML = (b'<?xml version="1.0" encoding="UTF-8"?>\n<display_options>\n'
                     b'<platform name="*">\n<option name="specified-fonts">true</option>\n'
                     b'</platform>\n</display_options>\n')
IBOOKS_PREFIX = ("ibooks", "http://vocabulary.itunes.apple.com/rdf/ibooks/vocabulary-extensions-1.0/")
# What introduces a subtitle in print (——写在…) is typography, not part of its words: the OPF
# gives the words, since calibre shows "title: subtitle" and stores list the two apart.
SUBTITLE_LEADERS = "—―-–~～:：·• \u3000"


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
    documents, toc = render_documents(book, package, tuple(page_breaks))
    embedded = package.finish_fonts([document.content for document in documents])
    raise_if_errors(package.problems)

    ebook = _ebooklib_book(book, documents, package.resources, toc, bool(page_breaks))
    if embedded is not None and embedded.fonts:
        ebook.add_prefix(*IBOOKS_PREFIX)
        ebook.add_metadata(None, "meta", "true", {"property": "ibooks:specified-fonts"})
    archive = io.BytesIO()
    ebooklib_epub.write_epub(archive, ebook, {
        "mtime": modified,  # without it ebooklib writes datetime.now() as dcterms:modified
        "raise_exceptions": True,  # otherwise ebooklib swallows OSError and returns False
        "epub2_guide": True,
        "epub3_landmark": False,  # our nav.xhtml has the landmarks already
        "play_order": {"enabled": True, "start_from": 1},  # renumbered by finish_ncx
    })
    first = ["mimetype", "META-INF/container.xml"]
    if embedded is not None and embedded.fonts:
        with zipfile.ZipFile(archive, "a") as container:
            container.writestr(APPLE_OPTIONS, APPLE_OPTIONS_XML)
        first.append(APPLE_OPTIONS)
    nav = next(document for document in documents if "nav" in document.properties)
    finish = _Finisher(book, [(d.path, d.content) for d in documents], page_targets(nav.content))
    # ebooklib dates entries "now"; OCF wants mimetype first and stored uncompressed.
    zips.rewrite_reproducibly(archive.getvalue(), destination, modified,
                              first=tuple(first), stored=("mimetype",), transform=finish)


@dataclass(frozen=True)
class _Finisher:
    """What ebooklib cannot write, done to its files on the way into the final zip."""

    book: Book
    spine: list[tuple[str, bytes]]  # (path inside EPUB/, content) in reading order
    pages: list[tuple[str, str]]  # the page list: (label, href relative to EPUB/)

    def __call__(self, name: str, data: bytes) -> bytes:
        if name.endswith(".opf"):
            # The package's xml:lang (Ace and EPUB Accessibility ask for it; ebooklib puts the
            # language only in dc:language).
            root = etree.fromstring(data)
            root.set("{http://www.w3.org/XML/1998/namespace}lang", self.book.meta.language)
            return etree.tostring(root, xml_declaration=True, encoding="utf-8")
        if name.endswith(".ncx"):
            return finish_ncx(data, self.book.meta.language, self.spine, self.pages,
                              labels(self.book.meta.language)["page_list"])
        return data


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


def _ebooklib_book(book: Book, documents: list[Document], resources: list[Resource],
                   toc: list[TocEntry], has_page_list: bool) -> ebooklib_epub.EpubBook:
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
    _add_accessibility(ebook, book, Features(
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
    cover_image = next((r for r in resources if "cover-image" in r.properties), None)
    if cover_image is not None:
        # The EPUB 2 way of naming the cover image, which older Kobo and Adobe readers use.
        ebook.add_metadata(None, "meta", "", {"name": "cover",
                                               "content": cover_image.manifest_id})
    # The EPUB 2 guide: KindleGen takes the cover and the start of reading from it, and calibre
    # recognises the cover page by it (and then does not add a cover page of its own).
    labels_ = labels(book.meta.language)
    guide = [("cover", "cover.xhtml", labels_["cover"]), ("toc", "nav.xhtml#toc", labels_["toc"])]
    sections = [d for d in documents if d.path.startswith("text/")]
    if sections:
        guide.append(("text", sections[0].path, labels_["bodymatter"]))
    ebook.guide = [{"type": kind, "href": href, "title": title} for kind, href, title in guide
                   if href.partition("#")[0] in items]
    return ebook


def _add_metadata(ebook: ebooklib_epub.EpubBook, meta: BookMeta) -> None:
    """The OPF metadata: identifier, language, titles, creators and the optional fields."""
    # EpubBook() starts with a random uuid4 identifier (id "id") and an "Ebook-lib" generator;
    # both are replaced so that the OPF depends on the book only.
    ebook.IDENTIFIER_ID = "pub-id"
    ebook.set_identifier(meta.identifier)
    isbn = _isbn_digits(meta.identifier)
    if isbn:
        # ONIX code list 5: 15 is an ISBN-13, 02 an ISBN-10 (stores read the type from here).
        ebook.add_metadata(None, "meta", "15" if len(isbn) == 13 else "02",
                           {"refines": "#pub-id", "property": "identifier-type",
                            "scheme": "onix:codelist5"})
    ebook.set_unique_metadata("OPF", "generator", "",
                              {"name": "generator", "content": f"luoshu {__version__}"})
    ebook.set_language(meta.language)
    if direction(meta.language) == "rtl":
        ebook.set_direction("rtl")  # becomes the spine's page-progression-direction

    ebook.title = meta.title  # the NCX's docTitle; set_title would add a dc:title without an id
    ebook.add_metadata("DC", "title", meta.title, {"id": "title"})
    ebook.add_metadata(None, "meta", "main", {"refines": "#title", "property": "title-type"})
    subtitle = (meta.subtitle or "").lstrip(SUBTITLE_LEADERS).strip()
    if subtitle:
        ebook.add_metadata("DC", "title", subtitle, {"id": "subtitle"})
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


def _add_accessibility(ebook: ebooklib_epub.EpubBook, book: Book, features: Features) -> None:
    """EPUB Accessibility 1.1 metadata (accessibility_metadata decides what holds)."""
    ebook.namespaces["a11y"] = "http://www.idpf.org/epub/vocab/package/a11y/#"
    for name, value in accessibility_metadata(book, features):
        ebook.add_metadata(None, "meta", value, {"property": name})


def _isbn_digits(identifier: str) -> str | None:
    """The ISBN of a ``urn:isbn:`` identifier, digits only (the check was made on loading)."""
    if not identifier.lower().startswith("urn:isbn:"):
        return None
    digits = "".join(c for c in identifier[9:] if c.isalnum()).upper()
    return digits if len(digits) in (10, 13) else None


def _ncx_entry(entry: TocEntry, items: dict[str, _Prerendered]) -> object:
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


# --- accessibility ------------------------------------------------------------------------------
# EPUB Accessibility 1.1 metadata, stated from what the book actually contains. Each property is
# derived, not asserted: "alternativeText" only when every photo has alt text,
# "printPageNumbers" only when the EPUB carries the print edition's page list, and so on. The
# summary is written in the book's own script, for the readers who will hear it.

CONFORMS_TO = "EPUB Accessibility 1.1 - WCAG 2.1 Level AA"


@dataclass(frozen=True)
class Features:
    """What the EPUB writer put in the book, as far as accessibility is concerned."""

    images: int  # photos and the cover
    images_without_alt: int
    page_list: bool  # a page-list of the print edition


def accessibility_metadata(book: Book, features: Features) -> list[tuple[str, str]]:
    """(property, value) pairs for OPF ``<meta property=…>`` elements, in a stable order."""
    all_alt = features.images_without_alt == 0
    pairs = [("schema:accessMode", "textual")]
    if features.images:
        pairs.append(("schema:accessMode", "visual"))
        pairs.append(("schema:accessModeSufficient", "textual,visual"))
        if all_alt:
            pairs.append(("schema:accessModeSufficient", "textual"))
    else:
        pairs.append(("schema:accessModeSufficient", "textual"))
    # The templates mark chapters, the TOC and page breaks with DPUB-ARIA roles ("ARIA").
    feature_list = ["structuralNavigation", "tableOfContents", "readingOrder",
                    "displayTransformability", "ARIA"]
    if features.images and all_alt:
        feature_list.append("alternativeText")
    if features.page_list:
        feature_list += ["printPageNumbers", "pageNavigation"]
    pairs += [("schema:accessibilityFeature", name) for name in dict.fromkeys(feature_list)]
    pairs.append(("schema:accessibilityHazard", "none"))
    pairs.append(("schema:accessibilitySummary", accessibility_summary(book, features)))
    if all_alt:
        pairs.append(("dcterms:conformsTo", CONFORMS_TO))
        pairs.append(("a11y:certifiedBy", book.meta.publisher or "luoshu"))
    return pairs


def accessibility_summary(book: Book, features: Features) -> str:
    """A short accessibility summary in the book's script."""
    hant = script_of(book.meta.language) == "Hant"
    parts = ["本書" if hant else "本书"]
    parts.append("提供目錄與語義結構導覽" if hant else "提供目录与语义结构导览")
    if features.images:
        if features.images_without_alt == 0:
            parts.append("所有圖片均附文字說明" if hant else "所有图片均附文字说明")
        else:
            parts.append(f"有{features.images_without_alt}張圖片缺少文字說明" if hant
                         else f"有{features.images_without_alt}张图片缺少文字说明")
    if features.page_list:
        parts.append("並標註印刷版頁碼" if hant else "并标注印刷版页码")
    parts.append("文字可由閱讀器調整字型與大小，無閃爍、聲音或動態危害" if hant
                 else "文字可由阅读器调整字体与大小，无闪烁、声音或动态危害")
    return parts[0] + "，".join(parts[1:]) + "。"
