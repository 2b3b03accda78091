"""The print PDF: layout checked from the outside, with poppler, pypdf and pikepdf.

One small book (three Chinese sections, a captioned photo, a gallery photo, a project
stylesheet that @imports another, a caption font in the project's fonts/) is written once per
module; the tests read that PDF. What goes into WeasyPrint (the HTML document, its stylesheets,
and the sandbox that decides what may be fetched) is tested in test_pdf_input.py, which
imports the book and its fixtures from here.
"""

from __future__ import annotations

import dataclasses
import re
import subprocess
from pathlib import Path

import pikepdf
import pypdf
import pytest
import weasyprint
from helpers.books import (
    ALL_PARAGRAPHS,
    AUTHORS,
    CAPTION,
    CREDIT,
    GALLERY_CAPTION,
    GALLERY_TITLE,
    MM,
    PROJECT_FAMILY,
    SECTION_TITLES,
    SUBTITLE,
    TITLE,
    crop_text,
    folio,
    make_book,
    page_count,
    text_area,
    text_section,
    write_jpeg,
    write_pdf,
)

from luoshu.layout import document as pdf
from luoshu.markup.figures import gallery_html
from luoshu.model import (
    Book,
    PrintOptions,
)
from luoshu.pdf.write import write_document


@pytest.fixture(scope="module")
def rendered(book: Book, tmp_path_factory) -> Path:
    destination = tmp_path_factory.mktemp("out") / "book.pdf.tmp"
    write_pdf(book, destination)
    return destination


@pytest.fixture(scope="module")
def page_texts(rendered: Path) -> list[str]:
    return [text_area(rendered, n) for n in range(1, page_count(rendered) + 1)]


# --- The PDF ----------------------------------------------------------------------------------


def test_harfbuzz_subsetting_is_available():
    # Without libharfbuzz-subset WeasyPrint falls back to fontTools: ~40x slower on CJK fonts.
    from weasyprint.text.ffi import harfbuzz_subset
    assert harfbuzz_subset is not None


def test_pages_are_16kai(rendered: Path):
    for page in pypdf.PdfReader(rendered).pages:
        box = page.mediabox
        assert abs(float(box.width) - 185 * MM) < 0.5
        assert abs(float(box.height) - 260 * MM) < 0.5


def test_text_is_extractable_without_spurious_breaks(rendered: Path, page_texts: list[str]):
    # Line ends are the only breaks pdftotext may add inside a paragraph: with them removed,
    # every paragraph must appear exactly (no spaces between Chinese characters).
    flowing = "".join(page_texts).replace("\n", "").replace("\f", "")
    for paragraph in ALL_PARAGRAPHS:
        assert paragraph in flowing
    for text in (CAPTION, CREDIT, GALLERY_CAPTION, *SECTION_TITLES.values()):
        assert text in flowing


def test_fonts_are_embedded_subsets_and_cjk(rendered: Path):
    listing = subprocess.run(["pdffonts", str(rendered)], capture_output=True, text=True,
                             check=True).stdout.splitlines()[2:]
    assert listing
    for row in listing:
        columns = row.split()
        emb, sub = columns[-5], columns[-4]
        assert (emb, sub) == ("yes", "yes"), row
        assert re.match(r"[A-Z]{6}\+", row), row  # subset tag
        assert "DejaVu" not in row
    names = " ".join(row.split()[0] for row in listing)
    # The caption font can only come from the project's fonts/ (served by the fetcher): no
    # system font has that family name. WeasyPrint names embedded fonts after the family.
    for family in ("Noto-Serif-CJK-SC", "Noto-Sans-CJK-SC", PROJECT_FAMILY.replace(" ", "-")):
        assert family in names


def test_folios_use_the_body_font(rendered: Path):
    reader = pypdf.PdfReader(rendered)
    bottom_margin = PrintOptions().margin_bottom_mm * MM
    folios = []
    for page in reader.pages:
        def visit(text, cm, tm, font, size):
            # Text position in page space: the text matrix's origin through the CTM.
            y = cm[1] * tm[4] + cm[3] * tm[5] + cm[5]
            if text.strip() and y < bottom_margin:
                folios.append((text.strip(), str(font.get("/BaseFont"))))
        page.extract_text(visitor_text=visit)
    assert folios, "no folios found"
    for number, font in folios:
        assert number.isdigit()
        assert "Noto-Serif-CJK-SC" in font, font


def test_metadata(rendered: Path):
    reader = pypdf.PdfReader(rendered)
    assert reader.metadata.title == TITLE
    assert reader.metadata.author == ", ".join(AUTHORS)
    with pikepdf.open(rendered) as document:
        assert str(document.Root.Lang) == "zh-Hans"


def test_bookmarks_are_the_sections(rendered: Path):
    outline = pypdf.PdfReader(rendered).outline
    top_level = [item.title for item in outline if not isinstance(item, list)]
    assert top_level == [*SECTION_TITLES.values(), GALLERY_TITLE]
    # h2 headings nest under their section.
    nested = [item for item in outline if isinstance(item, list)]
    assert [child.title for child in nested[0]] == ["老城街巷"]


def test_table_of_contents_points_to_the_right_pages(rendered: Path, page_texts: list[str]):
    toc_page = next(n for n, text in enumerate(page_texts) if text.startswith("目录"))
    entries = dict(re.findall(r"^(.+?)\s*(?:\.\s*){3,}\s*(\d+)$", page_texts[toc_page], re.MULTILINE))
    assert list(entries) == [*SECTION_TITLES.values(), GALLERY_TITLE]
    starts = {}
    for title in entries:
        index = next(n for n, text in enumerate(page_texts)
                     if n > toc_page and text.startswith(title))
        starts[title] = index
        # The number in the TOC is the folio printed on the page the section starts on.
        assert entries[title] == folio(rendered, index + 1), title
    # The body is numbered from 1 on its first (recto, odd physical) page.
    first = starts[SECTION_TITLES["01-spring"]]
    assert entries[SECTION_TITLES["01-spring"]] == "1" and first % 2 == 0
    # A long section really spans pages, so the numbers are not trivially consecutive.
    assert int(entries["面向未来的新征程"]) - int(entries["城市更新与文化传承"]) >= 2


def test_title_page_and_running_heads(rendered: Path, page_texts: list[str]):
    title_page = page_texts[0]
    for text in (TITLE, SUBTITLE, "河洛出版社", "2024年5月1日", *AUTHORS):
        assert text in title_page
    city = next(n for n, text in enumerate(page_texts) if text.startswith("城市更新"))
    head = crop_text(rendered, city + 2, 0, PrintOptions().margin_top_mm).strip()
    # The page after a section's opening page carries a head; the opening page does not.
    assert head in (TITLE, SECTION_TITLES["02-city"])
    assert crop_text(rendered, city + 1, 0, PrintOptions().margin_top_mm).strip() == ""


def test_emphasis_is_dots_under_the_characters_never_a_slant(tmp_path: Path):
    book = make_book(tmp_path)
    section = text_section("03-future", "<p>站在<em>新的起点</em>上。</p>")
    book = dataclasses.replace(book, sections=(section,), gallery=())
    document = weasyprint.HTML(string=pdf.print_html(book),
                               base_url=(tmp_path / "manuscript").as_uri() + "/").render()

    def find_em(box):
        if getattr(box, "element_tag", None) == "em":
            return box
        for child in getattr(box, "children", []):
            if (found := find_em(child)) is not None:
                return found
        return None

    em = next(e for page in document.pages if (e := find_em(page._page_box)) is not None)
    assert em.style["font_style"] == "normal"
    ((kind, _),) = em.style["background_image"]
    assert kind == "radial-gradient"
    assert em.style["background_repeat"][0] == ("round", "no-repeat")
    assert document.write_pdf().startswith(b"%PDF")  # the dots draw (currentColor would crash)


# --- Press geometry and book structure ------------------------------------------------------


def test_reading_copy_is_the_trim_size_and_says_so(rendered: Path):
    with pikepdf.open(rendered) as document:
        for page in document.pages:
            media = [float(v) for v in page.MediaBox]
            assert media == pytest.approx([0, 0, 185 * MM, 260 * MM], abs=0.01)
            assert [float(v) for v in page.TrimBox] == pytest.approx(media, abs=0.01)
            assert [float(v) for v in page.BleedBox] == pytest.approx(media, abs=0.01)


def test_sections_open_on_rectos_and_the_versos_left_over_are_blank(rendered: Path,
                                                                     page_texts: list[str]):
    whole_pages = [subprocess.run(["pdftotext", "-f", str(n), "-l", str(n), str(rendered), "-"],
                                  capture_output=True, text=True, check=True).stdout.strip()
                   for n in range(1, len(page_texts) + 1)]
    for title in [*SECTION_TITLES.values(), GALLERY_TITLE]:
        opening = next(n for n, text in enumerate(page_texts) if n > 2 and text.startswith(title))
        assert opening % 2 == 0, f"{title} opens on page {opening + 1}, a verso"
    blanks = [n for n, text in enumerate(whole_pages) if not text]
    assert blanks, "the test book needs a blank verso"
    assert len(whole_pages) % 2 == 0  # a leaf has two pages: an odd body ends on a blank
    for n in blanks:
        # No running head, no folio: nothing at all. And each is a verso before an opening,
        # or the last page.
        assert n % 2 == 1 and (n == len(whole_pages) - 1 or whole_pages[n + 1])


def test_copyright_page(rendered: Path, page_texts: list[str], book: Book):
    """The trade's copyright page, its counts taken from the pages as laid out."""
    copyright_page = "".join(page_texts[1].split())
    options, pages = book.config.print, len(page_texts)
    thousands = -(-options.chars_per_line * options.lines_per_page * pages // 1000)
    for words in ("书名洛水春深——一座古城的新篇章", "作者王晓明、陈静", "出版发行河洛出版社",
                  "开本787mm×1092mm1/16", f"印张{-(-pages * 4 // 16) / 4:g}",
                  f"字数{thousands}千字", "出版日期2024年5月1日"):
        assert words in copyright_page, copyright_page
    assert "urn:uuid" not in copyright_page  # an identifier for machines is not printed


def test_document_metadata(rendered: Path):
    with pikepdf.open(rendered) as document:
        info = document.docinfo
        assert str(info.Title) == TITLE and str(info.Subject) == "测试用书"
        assert str(info.Author) == "王晓明, 陈静"
        assert str(document.Root.Lang) == "zh-Hans"


def test_a_full_bleed_photo_is_a_plate_reaching_into_the_bleed(tmp_path: Path):
    book = make_book(tmp_path)
    plate = dataclasses.replace(book.gallery[0], full_bleed=True)
    write_jpeg(tmp_path / "manuscript/photos/peony.jpg", (2400, 1600), (200, 120, 140))
    book = dataclasses.replace(book, sections=book.sections[2:], gallery=(plate,),
                               gallery_html=gallery_html((plate,)))
    document = weasyprint.HTML(string=pdf.print_html(book),
                               base_url=(tmp_path / "manuscript").as_uri() + "/").render()

    def images(box):
        if type(box).__name__ == "InlineReplacedBox" or type(box).__name__ == "BlockReplacedBox":
            yield box
        for child in getattr(box, "children", ()):
            yield from images(child)

    (page,) = [p for p in document.pages if list(images(p._page_box))]
    (image,) = images(page._page_box)
    px_per_mm = 96 / 25.4
    assert image.border_box_x() == pytest.approx(-3 * px_per_mm, abs=0.1)  # into the left bleed
    assert image.border_box_y() == pytest.approx(-3 * px_per_mm, abs=0.1)  # and the top one
    assert image.width == pytest.approx(191 * px_per_mm, abs=0.1)
    assert all(type(b).__name__ != "MarginBox" or not b.children
               for b in page._page_box.children)  # no folio, no running head
    kept = tmp_path / "bleed.pdf"
    write_document(document, kept, bleed=True)
    with pikepdf.open(kept) as written:
        media = [float(v) for v in written.pages[0].MediaBox]
        trim = [float(v) for v in written.pages[0].TrimBox]
        assert media[2] - media[0] == pytest.approx((185 + 6) * MM, abs=0.01)
        assert trim[2] - trim[0] == pytest.approx(185 * MM, abs=0.01)
