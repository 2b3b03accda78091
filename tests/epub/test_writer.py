"""The EPUB writer on hand-built books: valid (EPUBCheck 0/0), described, navigable, reproducible.

Books are built by hand from the model, not through the reader, so that these tests pin down
what epub.py does with a given Book. Section HTML is written the way markup.py writes it
(prefixed ids, <figure class="photo">, Python-Markdown footnotes). EPUBCheck runs once per
book variant (module-scoped fixtures). Books edited per test (dates, unusable images, file
names) are in test_epub_inputs.py.
"""

from __future__ import annotations

import posixpath
import zipfile
from pathlib import Path, PurePosixPath

import pytest
from helpers.epub_books import (
    MODIFIED,
    NS,
    XML_LANG,
    document,
    make_book,
    make_project,
    manifest_of,
    needs_java,
    opf_of,
    read_epub,
)

from luoshu.epub.validate import run_epubcheck
from luoshu.epub.writer import write_epub
from luoshu.model import (
    Book,
)


@pytest.fixture(scope="module", params=["zh-Hans", "zh-Hant"])
def built(request, tmp_path_factory) -> tuple[Book, Path, dict[str, bytes]]:
    """(book, epub path, files of the epub) for each language variant."""
    root = tmp_path_factory.mktemp(request.param)
    book = make_book(make_project(root / "project"), traditional=request.param == "zh-Hant")
    destination = root / "book.epub"
    write_epub(book, destination, MODIFIED)
    return book, destination, read_epub(destination)


# --- validity -------------------------------------------------------------------------------


@needs_java
def test_epubcheck_reports_no_errors_and_no_warnings(built):
    _, destination, _ = built
    result = run_epubcheck(destination, usage=True)
    assert result.errors == () and result.warnings == (), str(result)
    # Not even advice (e.g. about non-ASCII file names), except that fonts are embedded.
    assert [u for u in result.usages if not u.startswith("CSS-028 ")] == []
    assert result.ok


def test_mimetype_comes_first_and_uncompressed(built):
    _, destination, _ = built
    with zipfile.ZipFile(destination) as archive:
        first = archive.infolist()[0]
    assert first.filename == "mimetype"
    assert first.compress_type == zipfile.ZIP_STORED and first.extra == b""
    assert destination.read_bytes()[30:50] == b"mimetypeapplication/epub+zip"[:20]


# --- languages ------------------------------------------------------------------------------


def test_every_document_declares_the_book_language(built):
    book, _, files = built
    documents = [name for name in files if name.endswith(".xhtml")]
    assert len(documents) == 6  # cover, title page, nav, two sections, gallery
    for name in documents:
        root = document(files, name)
        assert root.get("lang") == book.meta.language, name
        assert root.get(XML_LANG) == book.meta.language, name
        assert root.get("dir") == "ltr", name


def test_labels_follow_the_script(built):
    book, _, files = built
    gallery = document(files, manifest_of(files)["gallery"]["path"])
    expected = "圖片" if book.meta.language == "zh-Hant" else "图片"
    assert gallery.findtext(".//x:h1", namespaces=NS) == expected


# --- package metadata -----------------------------------------------------------------------


def test_opf_metadata(built):
    book, _, files = built
    meta = book.meta
    _, opf = opf_of(files)
    metadata = opf.find("opf:metadata", NS)

    identifier = metadata.find(f"dc:identifier[@id='{opf.get('unique-identifier')}']", NS)
    assert identifier.text == meta.identifier
    assert metadata.findtext("dc:language", namespaces=NS) == meta.language
    assert [c.text for c in metadata.iterfind("dc:creator", NS)] == list(meta.authors)
    modified = metadata.find("opf:meta[@property='dcterms:modified']", NS)
    assert modified.text == "2024-05-01T08:00:00Z"

    titles = {t.get("id"): t.text for t in metadata.iterfind("dc:title", NS)}
    # The subtitle's words without the dash that introduces it in print (calibre shows
    # "title: subtitle").
    assert meta.subtitle.startswith("——")
    assert list(titles.values()) == [meta.title, meta.subtitle.removeprefix("——")]
    title_types = {m.get("refines"): m.text
                   for m in metadata.iterfind("opf:meta[@property='title-type']", NS)}
    assert title_types == {f"#{i}": kind for i, kind in zip(titles, ["main", "subtitle"])}

    roles = metadata.findall("opf:meta[@property='role']", NS)
    assert len(roles) == len(meta.authors) and {r.text for r in roles} == {"aut"}

    optional = {name: [e.text for e in metadata.iterfind(f"dc:{name}", NS)]
                for name in ("publisher", "date", "description", "rights", "subject")}
    if meta.date:
        assert optional == {"publisher": [meta.publisher], "date": ["2024-05-01"],
                            "description": [meta.description], "rights": [meta.rights],
                            "subject": list(meta.subjects)}
    else:
        assert optional == {"publisher": [], "date": [], "description": [], "rights": [],
                            "subject": []}
    assert b"Ebook-lib" not in files["EPUB/content.opf"]


# --- navigation -----------------------------------------------------------------------------


def test_nav_document_lists_sections_and_their_subheadings(built):
    book, _, files = built
    items = manifest_of(files)
    navs = [item for item in items.values() if item.get("properties") == "nav"]
    assert len(navs) == 1
    nav = document(files, navs[0]["path"])
    toc = nav.find(".//x:nav[@epub:type='toc']", NS)
    top = [li.findtext("x:a", namespaces=NS) for li in toc.iterfind("x:ol/x:li", NS)]
    gallery = "圖片" if book.meta.language == "zh-Hant" else "图片"
    assert top == [s.title for s in book.sections] + [gallery]
    nested = [a.text for a in toc.iterfind("x:ol/x:li[1]/x:ol/x:li/x:a", NS)]
    assert nested == ["开放", "创新"]
    landmarks = nav.find(".//x:nav[@epub:type='landmarks']", NS)
    types = [a.get(f"{{{NS['epub']}}}type") for a in landmarks.iterfind(".//x:a", NS)]
    assert types == ["cover", "titlepage", "toc", "bodymatter"]


def test_ncx_mirrors_the_table_of_contents(built):
    book, _, files = built
    items = manifest_of(files)
    _, opf = opf_of(files)
    ncx_items = [i for i in items.values() if i["media-type"] == "application/x-dtbncx+xml"]
    assert len(ncx_items) == 1
    assert items[opf.find("opf:spine", NS).get("toc")] == ncx_items[0]
    ncx = document(files, ncx_items[0]["path"])
    assert ncx.find("ncx:head/ncx:meta[@name='dtb:uid']", NS).get("content") == book.meta.identifier
    labels = [t.text for t in ncx.iterfind("ncx:navMap/ncx:navPoint/ncx:navLabel/ncx:text", NS)]
    assert labels[:2] == [s.title for s in book.sections]
    nested = ncx.findall("ncx:navMap/ncx:navPoint[1]/ncx:navPoint/ncx:content", NS)
    assert [c.get("src").split("#")[1] for c in nested] == ["sec-01-reform--h-2",
                                                            "sec-01-reform--h-3"]


def test_spine_order_and_semantics(built):
    _, _, files = built
    items = manifest_of(files)
    _, opf = opf_of(files)
    spine = [i.get("idref") for i in opf.iterfind("opf:spine/opf:itemref", NS)]
    assert spine == ["cover", "titlepage", "nav", "sec-01-reform", "sec-02-ecology", "gallery"]
    epub_type = f"{{{NS['epub']}}}type"
    titlepage = document(files, items["titlepage"]["path"])
    assert titlepage.find(".//x:section", NS).get(epub_type) == "titlepage"
    chapter = document(files, items["sec-01-reform"]["path"])
    assert chapter.find("x:body", NS).get(epub_type) == "bodymatter"
    wrapper = chapter.find("x:body/x:section", NS)
    assert (wrapper.get("id"), wrapper.get(epub_type), wrapper.get("role")) == (
        "sec-01-reform", "chapter", "doc-chapter")
    assert wrapper.get("aria-labelledby") == "sec-01-reform--title"


def test_title_page_shows_title_subtitle_and_authors(built):
    book, _, files = built
    page = document(files, manifest_of(files)["titlepage"]["path"])
    text = "".join(page.find("x:body", NS).itertext())
    for part in (book.meta.title, book.meta.subtitle, *book.meta.authors):
        assert part in text
    assert ("洛书出版社" in text) == (book.meta.publisher is not None)


# --- photos and styles ----------------------------------------------------------------------


def test_figures_keep_alt_and_caption_and_images_are_stored_once(built):
    _, _, files = built
    items = manifest_of(files)
    images = {i["path"]: i["media-type"] for i in items.values()
              if i["media-type"].startswith("image/") and i.get("properties") != "cover-image"}
    assert sorted(images.values()) == ["image/jpeg", "image/png"]
    assert all(PurePosixPath(p).name.isascii() for p in images)  # 长城.png renamed

    for item_id in ("sec-01-reform", "sec-02-ecology", "gallery"):
        path = items[item_id]["path"]
        figure = document(files, path).find(".//x:figure", NS)
        img = figure.find("x:img", NS)
        assert img.get("alt")
        assert posixpath.normpath(posixpath.join(posixpath.dirname(path), img.get("src"))) \
            in images
        caption = "".join(figure.find("x:figcaption", NS).itertext())
        assert "摄影" in caption
    assert files[next(p for p, t in images.items() if t == "image/png")][:4] == b"\x89PNG"


def test_theme_and_project_stylesheets_are_linked_in_order(built):
    _, _, files = built
    items = manifest_of(files)
    css = {i["path"]: files[i["path"]].decode() for i in items.values()
           if i["media-type"] == "text/css"}
    theme, house = sorted(css, key=lambda p: "house" in p)
    assert "text-indent: 2em" in css[theme] and "line-break: strict" in css[theme]
    assert "nav.toc" in css[theme]  # epub.css
    assert '"Noto Serif CJK SC"' in css[theme]  # font rules
    assert css[house] == "h1 { color: #8b0000; }\n"
    chapter = document(files, items["sec-01-reform"]["path"])
    links = [link.get("href") for link in chapter.iterfind("x:head/x:link", NS)]
    assert links == ["../style/book.css", "../style/house.css"]


# --- reproducibility ------------------------------------------------------------------------


def test_two_writes_are_byte_identical(built, tmp_path):
    book, destination, _ = built
    again = tmp_path / "again.epub"
    write_epub(book, again, MODIFIED)
    assert again.read_bytes() == destination.read_bytes()
    # The same book built from another folder: no path of the build machine leaks in.
    moved = make_book(make_project(tmp_path / "elsewhere"), book.meta.language == "zh-Hant")
    write_epub(moved, tmp_path / "moved.epub", MODIFIED)
    assert (tmp_path / "moved.epub").read_bytes() == destination.read_bytes()
    with zipfile.ZipFile(again) as archive:
        assert {info.date_time for info in archive.infolist()} == {(2024, 5, 1, 8, 0, 0)}


def test_every_store_finds_what_it_reads(built):
    """Kindle, calibre, Apple Books and older readers: the EPUB 2 guide, the cover image named
    the EPUB 2 way, Apple's specified-fonts, the NCX page list in reading order."""
    book, _, files = built
    opf_path, opf = opf_of(files)
    folder = PurePosixPath(opf_path).parent
    guide = {r.get("type"): r.get("href") for r in opf.iterfind("opf:guide/opf:reference", NS)}
    assert guide["cover"] == "cover.xhtml" and guide["toc"] == "nav.xhtml#toc"
    assert guide["text"].startswith("text/")
    cover_id = opf.find("opf:metadata/opf:meta[@name='cover']", NS).get("content")
    cover = opf.find(f"opf:manifest/opf:item[@id='{cover_id}']", NS)
    assert cover.get("properties") == "cover-image"
    assert opf.findtext("opf:metadata/opf:meta[@property='ibooks:specified-fonts']",
                        namespaces=NS) == "true"
    assert "ibooks: http://vocabulary.itunes.apple.com/" in opf.get("prefix")
    assert b'<option name="specified-fonts">true</option>' in \
        files["META-INF/com.apple.ibooks.display-options.xml"]
    if book.meta.identifier.startswith("urn:isbn:"):
        kind = opf.find("opf:metadata/opf:meta[@property='identifier-type']", NS)
        assert (kind.get("refines"), kind.get("scheme"), kind.text) == \
            ("#pub-id", "onix:codelist5", "15")
    ncx = document(files, str(folder / "toc.ncx"))
    orders = [int(e.get("playOrder")) for e in ncx.iter(f"{{{NS['ncx']}}}navPoint",
                                                        f"{{{NS['ncx']}}}pageTarget")]
    assert sorted(set(orders)) == list(range(1, len(set(orders)) + 1))
    assert ncx.get(XML_LANG) == book.meta.language
