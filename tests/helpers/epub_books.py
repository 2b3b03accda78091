"""A small EPUB book made in the tests, and reading EPUB files."""

from __future__ import annotations

import datetime
import shutil
import zipfile
from pathlib import Path, PurePosixPath

import pytest
from lxml import etree
from PIL import Image

from luoshu.markup.figures import gallery_html
from luoshu.model import (
    Book,
    BookMeta,
    Config,
    FontFace,
    FontRole,
    FontSet,
    Heading,
    Photo,
    Section,
    SourceRef,
)

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


def wrap(body: str, title: str = "不画的标题") -> str:
    """A whole XHTML document as the EPUB writer makes them."""
    return ('<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE html>\n'
            '<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops"'
            ' xml:lang="zh-Hans" lang="zh-Hans" dir="ltr">\n'
            f'<head>\n<meta charset="utf-8"/>\n<title>{title}</title>\n'
            '<link rel="stylesheet" type="text/css" href="style/book.css"/>\n</head>\n'
            f'<body epub:type="bodymatter">\n{body}\n</body>\n</html>\n')
