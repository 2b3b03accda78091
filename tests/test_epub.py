"""The EPUB writer on hand-built books: valid (EPUBCheck 0/0), described, navigable, reproducible.

Books are built by hand from the model, not through the reader, so that these tests pin down
what epub.py does with a given Book. Section HTML is written the way markup.py writes it
(prefixed ids, <figure class="photo">, Python-Markdown footnotes). EPUBCheck runs once per
book variant (module-scoped fixtures). Books edited per test (dates, unusable images, file
names) are in test_epub_inputs.py.
"""

from __future__ import annotations

import datetime
import posixpath
import shutil
import zipfile
from pathlib import Path, PurePosixPath

import pytest
from lxml import etree
from PIL import Image

from luoshu.epub.writer import write_epub
from luoshu.markup.figures import gallery_html
from luoshu.model import (
    Book, BookMeta, Config, FontFace, FontRole, FontSet, Heading, Photo, Section, SourceRef,
)
from luoshu.epub.validate import run_epubcheck

MODIFIED = datetime.datetime(2024, 5, 1, 8, 0, 0, tzinfo=datetime.timezone.utc)
NS = {
    "opf": "http://www.idpf.org/2007/opf",
    "dc": "http://purl.org/dc/elements/1.1/",
    "x": "http://www.w3.org/1999/xhtml",
    "epub": "http://www.idpf.org/2007/ops",
    "ncx": "http://www.daisy.org/z3986/2005/ncx/",
    "c": "urn:oasis:names:tc:opendocument:xmlns:container",
}
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
NOTO = Path("/usr/share/fonts/opentype/noto")

needs_java = pytest.mark.skipif(shutil.which("java") is None, reason="EPUBCheck needs Java")


# --- building the books ----------------------------------------------------------------------


def make_project(root: Path) -> Path:
    """A project folder with two photos (one with a Chinese file name) and a house stylesheet."""
    photos = root / "manuscript" / "photos"
    photos.mkdir(parents=True)
    Image.new("RGB", (64, 48), (180, 40, 40)).save(photos / "harbour.jpg", "JPEG", quality=80)
    Image.new("RGB", (48, 64), (40, 90, 160)).save(photos / "长城.png", "PNG")
    (root / "styles").mkdir()
    (root / "styles" / "house.css").write_text("h1 { color: #8b0000; }\n", encoding="utf-8")
    return root


def font_set() -> FontSet:
    def role(name: str, family: str, file: str, generic: str) -> FontRole:
        face = FontFace(family, NOTO / file)
        return FontRole(name, (family,), (face,), generic=generic)

    return FontSet(
        body=role("body", "Noto Serif CJK SC", "NotoSerifCJK-Regular.ttc", "serif"),
        heading=role("heading", "Noto Sans CJK SC", "NotoSansCJK-Bold.ttc", "sans-serif"),
        caption=role("caption", "Noto Sans CJK SC", "NotoSansCJK-Regular.ttc", "sans-serif"),
        code=role("code", "Noto Sans Mono CJK SC", "NotoSansCJK-Regular.ttc", "monospace"),
    )


def section(section_id: str, title: str, body: str, subheadings: tuple[str, ...] = (),
            photos: tuple[Photo, ...] = ()) -> Section:
    """A section as markup.py makes it: ids prefixed with ``sec-<id>--``."""
    anchor = f"sec-{section_id}"
    html = f'<h1 id="{anchor}--title">{title}</h1>\n{body}'
    headings = [Heading(1, title, f"{anchor}--title")]
    for number, text in enumerate(subheadings, start=2):
        html += f'\n<h2 id="{anchor}--h-{number}">{text}</h2>\n<p>{text}的正文。</p>'
        headings.append(Heading(2, text, f"{anchor}--h-{number}"))
    source = SourceRef(f"manuscript/{section_id}.md", 1)
    return Section(section_id, title, source, html, "", tuple(headings), photos)


def footnote(anchor: str, text: str) -> str:
    return (f'<div class="footnote">\n<hr/>\n<ol>\n<li id="{anchor}--fn-1">\n<p>{text} '
            f'<a class="footnote-backref" href="#{anchor}--fnref-1" title="返回正文">↑</a></p>\n'
            "</li>\n</ol>\n</div>")


def make_book(project: Path, traditional: bool = False) -> Book:
    if traditional:
        title, subtitle, gallery_caption = "新藍圖", "——寫在黨代會召開之際", "長城遠眺"
        lead, reform = "時代大潮，滾滾向前", "改革創新釋放強勁活力"
        meta = BookMeta(title, "zh-Hant", "urn:uuid:0b9f3c52-7f3e-4a3e-9c43-1d2a4b5c6d7e",
                        subtitle=subtitle, authors=("白雲飛", "李迎博", "孫小蕊"))
    else:
        title, subtitle, gallery_caption = "新蓝图", "——写在党代会召开之际", "长城远眺"
        lead, reform = "时代大潮，滚滚向前", "改革创新释放强劲活力"
        meta = BookMeta(
            title, "zh-Hans", "urn:isbn:9787000000000", subtitle=subtitle,
            authors=("白云飞", "李迎博", "孙小蕊"), publisher="洛书出版社",
            date=datetime.date(2024, 5, 1), description="示例出版物。", rights="© 2024 洛书",
            subjects=("时政", "城市发展"),
        )
    harbour = Photo("photos/harbour.jpg", "孟津港航中心码头", credit="摄影：张三",
                    alt="码头全景", section="01-reform",
                    source=SourceRef("manuscript/captions.toml", 2))
    figure = ('<figure class="photo" id="sec-01-reform--fig-1">'
              '<img src="photos/harbour.jpg" alt="码头全景"/><figcaption>'
              '<span class="caption">孟津港航中心码头</span>'
              '<span class="credit">摄影：张三</span></figcaption></figure>')
    first = section(
        "01-reform", reform,
        f'<p>{lead}<sup id="sec-01-reform--fnref-1"><a class="footnote-ref" '
        f'href="#sec-01-reform--fn-1">1</a></sup>。</p>\n{figure}\n'
        + footnote("sec-01-reform", "见市第十二次党代会报告。"),
        subheadings=("开放", "创新"), photos=(harbour,),
    )
    # The same photo again: it must be stored once.
    second = section("02-ecology", "生态", "<p>黄河安澜。</p>\n"
                     + figure.replace("sec-01-reform--fig-1", "sec-02-ecology--fig-1"),
                     photos=(harbour,))
    gallery = (Photo("photos/长城.png", gallery_caption, credit="摄影：王五", alt="长城在群山之间",
                     source=SourceRef("manuscript/captions.toml", 8)),)
    return Book(project, Config(meta), (first, second), gallery, font_set(),
                stylesheets=("styles/house.css",), gallery_html=gallery_html(gallery))


def read_epub(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def opf_of(files: dict[str, bytes]) -> tuple[str, etree._Element]:
    container = etree.fromstring(files["META-INF/container.xml"])
    path = container.find(".//c:rootfile", NS).get("full-path")
    return path, etree.fromstring(files[path])


def manifest_of(files: dict[str, bytes]) -> dict[str, dict[str, str]]:
    """Manifest items by id, with their full path in the zip."""
    opf_path, opf = opf_of(files)
    folder = PurePosixPath(opf_path).parent
    items = {}
    for item in opf.iterfind("opf:manifest/opf:item", NS):
        items[item.get("id")] = {**item.attrib, "path": str(folder / item.get("href"))}
    return items


def document(files: dict[str, bytes], path: str) -> etree._Element:
    return etree.fromstring(files[path])


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
    assert list(titles.values()) == [meta.title, meta.subtitle]
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
