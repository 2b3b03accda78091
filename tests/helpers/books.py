"""A small print book built in the tests' own project (make_book), and reading its PDF."""

from __future__ import annotations

import datetime as dt
import html
import shutil
import subprocess
from pathlib import Path

import pypdf
import pytest
from PIL import Image, ImageDraw

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
    PrintOptions,
    Section,
    SourceRef,
)

MM = 72 / 25.4  # PDF points per millimetre



# --- The test book ----------------------------------------------------------------------------

TITLE = "洛水春深"
SUBTITLE = "——一座古城的新篇章"
AUTHORS = ("王晓明", "陈静")
SECTION_TITLES = {
    "01-spring": "春风吹拂洛河两岸",
    "02-city": "城市更新与文化传承",
    "03-future": "面向未来的新征程",
}
GALLERY_TITLE = "图片"
CAPTION = "孟津港航中心码头建成"
CREDIT = "摄影：刘红"
GALLERY_CAPTION = "牡丹花开时节的王城公园"

SPRING = [
    "清晨的洛河水面上泛起薄雾，沿岸的柳树已经吐出新芽，晨练的市民三三两两走过滨河步道。",
    "近年来，沿河生态廊道持续延伸，昔日杂草丛生的滩地变成了绿意盎然的湿地公园。",
    "一位在河边住了四十多年的老人说：“水清了，鸟多了，日子也越过越有滋味。”",
]
CITY_INTRO = "老城的街巷里，青砖灰瓦与新开的书店、咖啡馆比邻而居，历史与当下在这里相遇。"
CITY = [
    f"第{n}个街区的改造从倾听居民开始：哪里需要加装电梯，哪里应该留出晾晒的空间，"
    f"哪棵老槐树必须保留，设计师挨家挨户记在本子上，前后修改了{n + 2}稿方案。"
    "改造完成后，街坊们在巷口摆上桌椅，下棋、聊天、看孩子们追逐嬉戏，烟火气又回来了。"
    for n in range(1, 25)
]
FUTURE = [
    "站在新的起点上，这座城市正在谋划更长远的发展蓝图，把人民对美好生活的向往变为现实。",
]
ALL_PARAGRAPHS = SPRING + [CITY_INTRO] + CITY + FUTURE


def text_section(section_id: str, body: str, photos: tuple[Photo, ...] = ()) -> Section:
    title = SECTION_TITLES[section_id]
    anchor = f"sec-{section_id}--title"
    return Section(
        id=section_id,
        title=title,
        source=SourceRef(f"manuscript/{section_id}.md", 1),
        html=f'<h1 id="{anchor}">{html.escape(title)}</h1>\n{body}',
        text=f"# {title}\n",
        headings=(Heading(1, title, anchor),),
        photos=photos,
    )


def paragraphs_html(paragraphs: list[str]) -> str:
    return "\n".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)


def font_face(family: str) -> FontFace:
    found = subprocess.run(["fc-match", "-f", "%{file}:%{index}", family],
                           capture_output=True, text=True, check=True).stdout
    path, index = found.rsplit(":", 1)
    return FontFace(family=family, path=Path(path), index=int(index))


PROJECT_FONT = "LXGWWenKai-Regular.ttf"  # copied into the test project's fonts/
PROJECT_FAMILY = "Luoshu Test Kai"  # a name only the project's @font-face can resolve


def house_fonts(project: Path | None = None) -> FontSet:
    """The system CJK fonts; with *project*, captions use the Kai copied into its fonts/."""
    def role(name: str, family: str, generic: str) -> FontRole:
        return FontRole(name, (family,), (font_face(family),), generic)
    caption = role("caption", "LXGW WenKai", "serif")
    if project is not None:
        face = FontFace(PROJECT_FAMILY, project / "fonts" / PROJECT_FONT, in_project=True)
        caption = FontRole("caption", (PROJECT_FAMILY,), (face,), "serif")
    return FontSet(
        body=role("body", "Noto Serif CJK SC", "serif"),
        heading=role("heading", "Noto Sans CJK SC", "sans-serif"),
        caption=caption,
        code=role("code", "Noto Sans Mono CJK SC", "monospace"),
    )


def write_jpeg(path: Path, size: tuple[int, int], colour: tuple[int, int, int]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    image = Image.new("RGB", size, colour)
    ImageDraw.Draw(image).rectangle((10, 10, size[0] - 10, size[1] - 10), outline=(40, 40, 40))
    image.save(path, "JPEG", quality=80)


def make_book(project: Path, language: str = "zh-Hans", stylesheets: tuple[str, ...] = (),
              fonts: FontSet | None = None) -> Book:
    """A three-section book in *project* (photos are written there)."""
    write_jpeg(project / "manuscript/photos/harbour.jpg", (360, 240), (120, 150, 180))
    write_jpeg(project / "manuscript/photos/peony.jpg", (300, 300), (200, 120, 140))
    harbour = Photo("photos/harbour.jpg", CAPTION, credit=CREDIT, alt="码头", section="01-spring")
    figure = (f'<figure class="photo" id="sec-01-spring--fig-1"><img src="photos/harbour.jpg" '
              f'alt="码头"/><figcaption>{CAPTION}<span class="credit">{CREDIT}</span>'
              "</figcaption></figure>")
    sections = (
        text_section("01-spring", paragraphs_html(SPRING[:2]) + figure + paragraphs_html(SPRING[2:]),
                 photos=(harbour,)),
        # An XHTML self-closed <a/>: the HTML parser must not swallow the rest of the section.
        text_section("02-city", f'<a id="sec-02-city--top"/><p>{CITY_INTRO}</p>'
                            '<h2 id="sec-02-city--lanes">老城街巷</h2>' + paragraphs_html(CITY)),
        text_section("03-future", paragraphs_html(FUTURE)),
    )
    meta = BookMeta(title=TITLE, language=language, identifier="urn:uuid:0b7e6d3c-luoshu-test",
                    subtitle=SUBTITLE, authors=AUTHORS, publisher="河洛出版社",
                    date=dt.date(2024, 5, 1), description="测试用书")
    gallery = (Photo("photos/peony.jpg", GALLERY_CAPTION, credit="摄影：李华"),)
    return Book(
        project=project,
        config=Config(book=meta),
        sections=sections,
        gallery=gallery,
        fonts=fonts or house_fonts(),
        stylesheets=stylesheets,
        gallery_html=gallery_html(gallery),
    )


# --- Reading the PDF ----------------------------------------------------------------------------


def page_count(path: Path) -> int:
    return len(pypdf.PdfReader(path).pages)


def crop_text(path: Path, page: int, top_mm: float, height_mm: float) -> str:
    """pdftotext of one horizontal band of a (1-based) page; poppler's -r 72 units are points."""
    width = PrintOptions().trim_width_mm
    args = ["pdftotext", "-enc", "UTF-8", "-r", "72", "-f", str(page), "-l", str(page),
            "-x", "0", "-y", str(int(top_mm * MM)), "-W", str(int(width * MM) + 1),
            "-H", str(int(height_mm * MM)), str(path), "-"]
    return subprocess.run(args, capture_output=True, text=True, check=True).stdout


def text_area(path: Path, page: int) -> str:
    """The text block of a page, without running head and folio."""
    o = PrintOptions()
    return crop_text(path, page, o.margin_top_mm, o.trim_height_mm - o.margin_top_mm
                     - o.margin_bottom_mm)


def folio(path: Path, page: int) -> str:
    o = PrintOptions()
    return crop_text(path, page, o.trim_height_mm - o.margin_bottom_mm, o.margin_bottom_mm).strip()


# --- Fixtures -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    if shutil.which("fc-match") is None or shutil.which("pdftotext") is None:
        pytest.skip("fontconfig and poppler-utils are needed")
    root = tmp_path_factory.mktemp("pdf") / "书稿 project"  # a path that needs %-encoding
    (root / "styles").mkdir(parents=True)
    (root / "styles/house.css").write_text('@import url("extra.css");\n'
                                           ".book-title { color: #111; }\n",
                                           encoding="utf-8")
    (root / "styles/extra.css").write_text("figcaption .credit { color: #333; }\n",
                                           encoding="utf-8")
    (root / "fonts").mkdir()
    shutil.copyfile(font_face("LXGW WenKai").path.with_name(PROJECT_FONT),
                    root / "fonts" / PROJECT_FONT)
    return root


@pytest.fixture(scope="module")
def book(project: Path) -> Book:
    return make_book(project, stylesheets=("styles/house.css",), fonts=house_fonts(project))


def write_pdf(book: Book, destination: Path, jobs: int = 1) -> None:
    """Typeset *book* as a build does (luoshu.build.typesetting: its units laid out, drawn and
    joined) and write its reading copy to *destination*."""
    import tempfile

    from luoshu.build.typesetting import typeset
    from luoshu.pdf.write import cut_to_trim

    with tempfile.TemporaryDirectory() as scratch:
        typeset_book = typeset(book, Path(scratch), draw=True, jobs=jobs)
        cut_to_trim(typeset_book.pdf, destination)
