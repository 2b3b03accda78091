"""Print page numbers in the EPUB text: where each print page begins, found in WeasyPrint's
layout and put into the sections' XHTML (luoshu.layout.pagemap).

The proof is from the outside: a book of long sections (paragraphs split across pages, lists,
a quotation, a table, footnotes, a photo, a gallery) is laid out once and written as a PDF; for
every page with a folio, the EPUB text just after that page's marker must be the text poppler
extracts from the top of that page.
"""

from __future__ import annotations

import random
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from helpers.projects import REPO
from lxml import etree, html

from luoshu.build.typesetting import typeset as typeset_book
from luoshu.layout import document as pdf
from luoshu.layout import pagemap, typeset
from luoshu.layout.cjk import WORD_JOINER
from luoshu.layout.pagemap import (
    GALLERY_SECTION,
    PageBreak,
    insert_page_breaks,
    page_breaks,
)
from luoshu.layout.units import body_units
from luoshu.markup import convert as markup
from luoshu.pdf.write import cut_to_trim
from luoshu.project.load import load_book

MM = 72 / 25.4
EPUB = {"epub": pagemap.EPUB_NS}
SENTINEL = "\ue000"  # stands for a page marker in extracted text

SENTENCES = (
    "清晨的河面上薄雾未散，渡口已经有人在等第一班船。",
    "这座城市的老街保留着青石板路，两旁的店铺大多经营了{m}年以上。",
    "据统计，去年全市新增就业岗位{n}个，比上年增长{p}%。",
    "图书馆在{y}年完成改造，阅览座位增加到{n}个，周末常常一座难求。",
    "他说：“只要肯下功夫，没有学不会的手艺。”",
    "研究团队用Python编写了数据处理程序，把原来需要一周的工作缩短到{k}小时。",
    "春天的牡丹、夏天的荷花、秋天的菊花、冬天的梅花，各有各的看点。",
    "这本《河洛风物志》收录了{n}幅老照片，记录了百年来的城市变迁。",
    "问题出在哪里？调查组走访了{n}户居民，逐条梳理意见。",
    "雨后的山路有些湿滑；向导提醒大家放慢脚步，注意安全。",
    "这份报告共分{k}个部分——背景、方法、结果和建议。",
    "窗外的梧桐叶落了一地……冬天就要来了。",
)


def paragraph(rng: random.Random, sentences: int) -> str:
    return "".join(rng.choice(SENTENCES).format(
        n=rng.randint(3, 980), m=rng.randint(8, 60), k=rng.randint(2, 9), p=rng.randint(2, 45),
        y=rng.randint(1990, 2023)) for _ in range(sentences))


def manuscript() -> dict[str, str]:
    rng = random.Random(4)
    long = [paragraph(rng, 9) for _ in range(14)]
    long[2] = long[2][:20] + "*" + long[2][20:40] + "*" + long[2][40:] + "[^a]"
    long[5] = long[5][:30] + "**" + long[5][30:50] + "**" + long[5][50:]
    section_1 = ("# 第一章 河畔人家\n\n" + "\n\n".join(long[:7])
                 + '\n\n![渡口](photos/ferry.jpg "清晨的渡口")\n\n' + "\n\n".join(long[7:])
                 + f"\n\n[^a]: {paragraph(rng, 2)}\n")
    items = "\n".join(f"{n}. {paragraph(rng, 3)}" for n in range(1, 9))
    nested = "\n".join(f"- {paragraph(rng, 2)}\n    - {paragraph(rng, 2)}" for _ in range(5))
    quote = "\n>\n".join(f"> {paragraph(rng, 4)}" for _ in range(4))
    section_2 = (f"# 第二章 城乡之间\n\n{paragraph(rng, 6)}\n\n{items}\n\n## 走访记录\n\n"
                 f"{nested}\n\n{quote}\n\n| 年份 | 记事 |\n|------|------|\n"
                 + "\n".join(f"| {1990 + n} | {paragraph(rng, 1)} |" for n in range(6))
                 + "\n\n" + "\n\n".join(paragraph(rng, 8) for _ in range(8)) + "\n")
    section_3 = f"# 后记\n\n{paragraph(rng, 3)}\n"
    return {"manuscript/01-river.md": section_1, "manuscript/02-city.md": section_2,
            "manuscript/03-after.md": section_3}


# --- the book, laid out once ----------------------------------------------------------------




@pytest.fixture(scope="module", params=["generated", "sample"])
def book(request, tmp_path_factory):
    """The generated book above, or the sample publication (photos beginning pages)."""
    if shutil.which("pdftotext") is None:
        pytest.skip("poppler-utils is needed")
    if request.param == "sample":
        return load_book(REPO)[0]
    from helpers.projects import image_bytes, write_project

    root = tmp_path_factory.mktemp("pagemap") / "book"
    write_project(root, {
        **manuscript(),
        "manuscript/photos/ferry.jpg": image_bytes(size=(480, 320)),
        "manuscript/photos/peony.jpg": image_bytes(size=(300, 300), color=(200, 120, 140)),
        "manuscript/captions.toml": '[[photo]]\nfile = "photos/peony.jpg"\n'
                                    'caption = "牡丹花开时节的王城公园"\n',
    })
    book, _ = load_book(root)
    return book


@pytest.fixture(scope="module")
def laid_out(book, tmp_path_factory):
    """(the page breaks of the typeset book, the reading PDF written from the same pages)."""
    scratch = tmp_path_factory.mktemp("typeset")
    done = typeset_book(book, scratch, draw=True)
    destination = scratch / "book.pdf"
    cut_to_trim(done.pdf, destination)
    return done.page_breaks, destination


def pdftotext(path: Path, page: int, top_mm: float, height_mm: float, width_mm: float) -> str:
    args = ["pdftotext", "-enc", "UTF-8", "-r", "72", "-f", str(page), "-l", str(page),
            "-x", "0", "-y", str(int(top_mm * MM)), "-W", str(int(width_mm * MM) + 1),
            "-H", str(int(height_mm * MM)), str(path), "-"]
    return subprocess.run(args, capture_output=True, text=True, check=True).stdout


def printed_pages(book, path: Path) -> list[tuple[str, str]]:
    """(folio, text of the text block) of every page, as poppler reads them."""
    o = book.config.print
    count = int(re.search(r"Pages:\s+(\d+)", subprocess.run(
        ["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout)[1])
    body = o.trim_height_mm - o.margin_top_mm - o.margin_bottom_mm
    return [(pdftotext(path, n, o.trim_height_mm - o.margin_bottom_mm, o.margin_bottom_mm,
                       o.trim_width_mm).strip(),
             pdftotext(path, n, o.margin_top_mm, body, o.trim_width_mm))
            for n in range(1, count + 1)]


def squeeze(text: str) -> str:
    return "".join(c for c in text if not c.isspace() and c not in pagemap.IGNORED)


def fragment_of(book, section_id: str) -> str:
    """A part's content as the EPUB has it (the gallery: its heading, then its figures)."""
    if section_id == GALLERY_SECTION:
        return '<h1 id="gallery--title">图片</h1>' + "".join(
            markup.figure_html(photo, f"gallery--fig-{n}")
            for n, photo in enumerate(book.gallery, start=1))
    return next(s.html for s in book.sections if s.id == section_id)


def text_after_markers(xhtml: str) -> dict[str, str]:
    """The counted text after each page marker of *xhtml*, to the fragment's end, by label."""
    root = etree.fromstring(f"<div>{xhtml}</div>")
    labels = []
    for marker in root.xpath("//span[@epub:type='pagebreak']", namespaces=EPUB):
        labels.append(marker.get("aria-label"))
        marker.text = SENTINEL
    pieces = squeeze("".join(root.itertext())).split(SENTINEL)
    return {label: "".join(pieces[i + 1:]) for i, label in enumerate(labels)}


# --- the print side -----------------------------------------------------------------------


def test_every_folio_has_one_break_and_labels_increase(book, laid_out):
    breaks, path = laid_out
    folios = [folio for folio, _ in printed_pages(book, path) if folio]
    assert len(folios) >= 8  # the book does span pages
    assert [b.label for b in breaks] == folios
    # Pages left blank before a section's recto count but show no folio: numbers may skip.
    numbers = [int(folio) for folio in folios]
    assert numbers[0] == 1 and numbers == sorted(set(numbers))
    assert len({b.id for b in breaks}) == len(breaks)


def test_markers_sit_where_the_print_pages_begin(book, laid_out):
    """The proof: the EPUB text after each marker is the text at the top of its PDF page."""
    breaks, path = laid_out
    # List numbers and bullets are generated by each output's CSS, not text (none of the
    # book's own text has a digit before a full stop "." nor a bullet).
    top_of_page = {folio: re.sub(r"\d+\.|[•◦▪]", "", squeeze(text))
                   for folio, text in printed_pages(book, path) if folio}
    after = {}
    for section_id in dict.fromkeys(b.section_id for b in breaks):
        after.update(text_after_markers(insert_page_breaks(
            section_id, fragment_of(book, section_id), breaks)))
    assert set(after) == set(top_of_page)
    # A photo the make-up moved to the top of a page (luoshu.layout.makeup) stands there away
    # from its place in the text: its caption is not where the page's text begins.
    captions = [squeeze(photo.caption + (photo.credit or "")) for photo in book.photos]
    for b in breaks:
        epub_text, pdf_text = after[b.label][:10], top_of_page[b.label]
        if not pdf_text.startswith(epub_text):
            pdf_text = next((pdf_text[len(c):] for c in captions if pdf_text.startswith(c)),
                            pdf_text)
        assert epub_text and pdf_text.startswith(epub_text), (b, epub_text, pdf_text[:20])
    if book.project != REPO:
        assert sum(b.offset > 0 for b in breaks) >= 3  # pages that begin inside a paragraph


def test_a_page_beginning_with_a_photo_begins_before_its_figure(book, laid_out):
    breaks, _ = laid_out
    photo_pages = 0
    for section in book.sections:
        source = etree.fromstring(f"<div>{section.html}</div>")
        found = pagemap.blocks(source)
        for b in (b for b in breaks if b.section_id == section.id):
            if etree.QName(found[b.block]).localname == "figure":
                photo_pages += 1
                marked = insert_page_breaks(section.id, section.html, [b])
                assert re.search(rf'<span [^>]*id="{b.id}"[^>]*/><figure', marked), b
    # (The sample has no such page any more: figure_flow moves its photos into the text.)


def test_sections_beginning_a_page_map_to_their_start(book, laid_out):
    breaks, _ = laid_out
    starts = {(b.section_id, b.block, b.offset) for b in breaks}
    for section in book.sections:
        assert (section.id, 0, 0) in starts
    assert bool(book.gallery) == ((GALLERY_SECTION, 0, 0) in starts)
    # The marker goes before the heading, not into it.
    first = next(b for b in breaks if b.section_id == book.sections[0].id)
    marked = insert_page_breaks(first.section_id, book.sections[0].html, [first])
    assert marked.startswith(f'<span xmlns:epub="{pagemap.EPUB_NS}" epub:type="pagebreak" '
                             f'role="doc-pagebreak" id="page-{first.label}" '
                             f'aria-label="{first.label}"/><h1')


def test_print_and_epub_number_the_same_blocks(book):
    """The data-block marks of the print HTML and pagemap.blocks of the XHTML agree, block by
    block, on the own text of each."""
    total = 0
    for section in book.sections:
        marked = html.fragment_fromstring(pdf.html_fragment(section.html, section.id),
                                          create_parent="div")
        printed = [(e.get("data-block"), squeeze(pagemap.own_text(e)))
                   for e in marked.iter() if e.get("data-block")]
        source = etree.fromstring(f"<div>{section.html}</div>")
        # The print page sets the notes at the foot of their pages (luoshu.layout.footnotes):
        # the endnote list's blocks are not in its flow.
        expected = [(f"{section.id}:{n}", squeeze(pagemap.own_text(e)))
                    for n, e in enumerate(pagemap.blocks(source))
                    if not any("footnote" in (a.get("class") or "").split()
                               for a in e.iterancestors("div"))
                    and "footnote" not in (e.get("class") or "").split()]
        assert printed == expected
        total += len(expected)
    assert total > 20
    document = pdf.print_html(book)
    assert (f'data-block="{GALLERY_SECTION}:1"' in document) == bool(book.gallery)
    assert (f'id="{pagemap.GALLERY_TITLE_ID}"' in document) == bool(book.gallery)
    assert f"{pdf.GALLERY_ID}--title" == pagemap.GALLERY_TITLE_ID


@pytest.mark.parametrize("formats", [["epub", "pdf"], ["pdf", "epub"], ["epub"]])
def test_a_build_lays_each_unit_out_once(fixture_project, monkeypatch, tmp_path, formats):
    """One layout of each unit per build: the PDF is drawn from it and the EPUB gets its page
    breaks; an EPUB alone lays the units out without drawing them."""
    from luoshu.build import stages as build
    from luoshu.build import typesetting
    from luoshu.epub import writer as epub

    laid_out, given = [], []
    real = typesetting.lay_out_unit

    def lay_out_unit(book, unit, draw, pdf, faces):
        laid_out.append((unit, draw))
        return real(book, unit, draw, pdf, faces)

    monkeypatch.setattr(typesetting, "lay_out_unit", lay_out_unit)

    def write_epub(book, destination, modified, page_breaks=()):
        given.append(tuple(page_breaks))
        destination.write_bytes(b"epub")

    monkeypatch.setattr(epub, "write_epub", write_epub)
    stages = []
    project = fixture_project("minimal-hans")
    result = build.build_book(project, tmp_path / "out", formats, stages.append, cache=False)
    assert [a.format for a in result.artifacts] == formats  # in the order asked for
    assert stages[4:] == sorted(formats, key=lambda f: f != "pdf") + ["manifest"]  # PDF first
    book, _ = load_book(project)
    assert sorted(u.name for u, _ in laid_out) == sorted(u.name for u in body_units(book))
    assert all(draw == ("pdf" in formats) for _, draw in laid_out)
    numbers = [int(b.label) for b in given[0]]  # blank versos have no folio: numbers skip
    assert numbers[0] == 1 and numbers == sorted(set(numbers))
    assert {b.section_id for b in given[0]} == {s.id for s in book.sections} | {GALLERY_SECTION}
    if "pdf" in formats:
        assert (tmp_path / "out/minimal.pdf").read_bytes().startswith(b"%PDF")


def test_page_breaks_without_drawing_are_those_of_the_drawn_pages(book, laid_out, tmp_path):
    assert typeset_book(book, tmp_path, draw=False).page_breaks == laid_out[0]


def test_a_repeated_table_header_is_not_where_a_page_begins(tmp_path, make_project):
    rows = "\n".join(f"| {n} | {paragraph(random.Random(n), 2)} |" for n in range(1, 61))
    project = make_project(tmp_path / "book", {
        "manuscript/01-table.md": f"# 表\n\n| 序号 | 内容 |\n|----|----|\n{rows}\n"})
    book, _ = load_book(project)
    document = typeset.lay_out(book)
    breaks = page_breaks(document)
    assert len(breaks) >= 2
    source = etree.fromstring(f"<div>{book.sections[0].html}</div>")
    found = pagemap.blocks(source)
    for b in breaks[1:]:
        assert etree.QName(found[b.block]).localname == "td", b  # not the header's <th>


# --- the EPUB side ------------------------------------------------------------------------

FRAGMENT = ('<h1 id="sec-a--title">标题</h1>'
            '<p>第一段 <em>强调的话</em>之后，还有 '
            '<span class="latin han-before">Latin</span>。</p>'
            '<ol><li>甲项<ul><li>乙项</li></ul>丙项</li></ol>'
            '<figure class="photo"><img src="x.jpg" alt="图"/>'
            "<figcaption>说明</figcaption></figure>"
            "<p>末段&amp;符号</p>")


def breaks_at(*positions: tuple[int, int]) -> list[PageBreak]:
    return [PageBreak("a", block, offset, str(n))
            for n, (block, offset) in enumerate(positions, start=1)]


def test_blocks_and_offsets_on_a_fragment():
    root = etree.fromstring(f"<div>{FRAGMENT}</div>")
    names = [etree.QName(e).localname for e in pagemap.blocks(root)]
    assert names == ["h1", "p", "li", "li", "figure", "figcaption", "p"]
    owned = [squeeze(pagemap.own_text(e)) for e in pagemap.blocks(root)]
    assert owned == ["标题", "第一段强调的话之后，还有Latin。", "甲项丙项", "乙项", "", "说明",
                     "末段&符号"]
    assert pagemap.counted(f"中{WORD_JOINER}，\u00ad a\n") == 3
    assert pagemap.WORD_JOINER == WORD_JOINER  # pagemap has its own copy, to stay light


@pytest.mark.parametrize("position, expected", [
    ((1, 3), '<p>第一段 <em>MARK强调的话</em>'),  # inside an inline element
    ((1, 5), '<p>第一段 <em>强调MARK的话</em>'),
    ((1, 7), "<em>强调的话</em>MARK之后"),  # in a tail
    ((1, 12), 'class="latin han-before">MARKLatin'),
    ((1, 17), "Latin</span>MARK。</p>"),
    ((1, 18), "Latin</span>。MARK</p>"),  # the end of the block
    ((0, 0), "MARK<h1"),  # a page that begins with a block: before it
    ((1, 0), "</h1>MARK<p>"),
    ((2, 0), "<ol><li>MARK甲项"),  # but never where a <span> cannot go
    ((2, 2), "</ul>MARK丙项"),  # the outer item's own text goes on after the nested list
    ((3, 0), "<ul><li>MARK乙项"),
    ((5, 0), '<img src="x.jpg" alt="图"/>MARK<figcaption>'),
    ((6, 2), "<p>末段MARK&amp;符号</p>"),
])
def test_markers_go_before_the_character(position, expected):
    marked = insert_page_breaks("a", FRAGMENT, breaks_at(position))
    assert re.sub(r"<span [^>]*/>", "MARK", marked).count("MARK") == 1
    assert expected in re.sub(r"<span [^>]*/>", "MARK", marked)


def test_inserted_markers_keep_the_text_and_the_xml():
    breaks = breaks_at((0, 0), (1, 4), (1, 4), (2, 2), (5, 0), (6, 4))
    marked = insert_page_breaks("a", FRAGMENT, breaks + [PageBreak("b", 0, 0, "99")])
    before = etree.fromstring(f"<div>{FRAGMENT}</div>")
    after = etree.fromstring(f"<div>{marked}</div>")  # well-formed on its own, prefix declared
    assert "".join(after.itertext()) == "".join(before.itertext())
    markers = after.xpath("//span[@epub:type='pagebreak']", namespaces=EPUB)
    assert [m.get("id") for m in markers] == ["page-1", "page-2", "page-3", "page-4", "page-5",
                                              "page-6"]  # in order; other sections' left out
    assert all(m.get("role") == "doc-pagebreak" and m.get("aria-label") == m.get("id")[5:]
               and len(m) == 0 and not m.text for m in markers)
    assert insert_page_breaks("a", FRAGMENT, []) == FRAGMENT


def test_markers_in_a_parsed_epub_document():
    """mark_page_breaks works on the <section> of a namespaced XHTML document (the gallery's
    content is its heading and figures, numbered as the print gallery's)."""
    figures = "".join(markup.figure_html(markup.Photo(f"{n}.jpg", f"说明{n}"), f"g-{n}")
                      for n in "一二")
    document = etree.fromstring(
        '<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops">'
        f'<body><section id="gallery"><h1 id="gallery--title">图片</h1>{figures}</section>'
        "</body></html>")
    section = document.find(".//{http://www.w3.org/1999/xhtml}section")
    pagemap.mark_page_breaks(section, [PageBreak(GALLERY_SECTION, 0, 0, "7"),
                                       PageBreak(GALLERY_SECTION, 4, 0, "8")])
    text = etree.tostring(document, encoding="unicode")
    assert '<section id="gallery"><span epub:type="pagebreak"' in text  # no redeclaration
    assert text.count('xmlns:epub="http://www.idpf.org/2007/ops"') == 1
    marker = document.find(".//{http://www.w3.org/1999/xhtml}span[@id='page-8']")
    assert marker.getnext().tag == "{http://www.w3.org/1999/xhtml}figcaption"
    assert marker.getnext().findtext(".//{http://www.w3.org/1999/xhtml}span") == "说明二"
    with pytest.raises(ValueError, match="block 40"):
        pagemap.mark_page_breaks(section, [PageBreak(GALLERY_SECTION, 40, 0, "9")])


def test_page_list():
    breaks = [PageBreak("01-a", 0, 0, "1"), PageBreak("01-a", 9, 31, "2"),
              PageBreak(GALLERY_SECTION, 0, 0, "3")]
    hrefs = {"01-a": "text/01-a.xhtml", GALLERY_SECTION: "gallery.xhtml"}
    assert pagemap.page_list(breaks, hrefs) == [
        ("1", "text/01-a.xhtml#page-1"), ("2", "text/01-a.xhtml#page-2"),
        ("3", "gallery.xhtml#page-3")]
    assert pagemap.page_list(breaks[:1], lambda sid: f"{sid}.xhtml") == [("1", "01-a.xhtml#page-1")]
    assert pagemap.page_id("xii") == "page-xii"
