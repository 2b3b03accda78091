"""luoshu.layout.colophon: the copyright page's lines and the 字数 rule."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from helpers.books import make_book

from luoshu.layout import colophon
from luoshu.model import PrintOptions, Section, SourceRef
from luoshu.zh.labels import LABELS


def lines_of(book, pages: int | None = 180) -> dict[str, str]:
    return {line.label: line.value for line in colophon.colophon(book, pages).lines}


def with_sections(book, *bodies: str):
    sections = tuple(Section(f"s{n}", "题", SourceRef(f"manuscript/s{n}.md"), body, "")
                     for n, body in enumerate(bodies))
    return dataclasses.replace(book, sections=sections, gallery=())


def with_colophon(book, **values):
    options = dataclasses.replace(book.config.colophon, **values)
    return dataclasses.replace(book, config=dataclasses.replace(book.config, colophon=options))


def test_lines_in_the_trades_order(tmp_path: Path):
    book = make_book(tmp_path)
    meta = dataclasses.replace(book.meta, edition="2024年5月第1版", printing="2024年5月第1次印刷",
                               identifier="urn:isbn:9787020002207")
    book = dataclasses.replace(book, config=dataclasses.replace(book.config, book=meta))
    book = with_colophon(book, editor="张编辑", cover_designer="赵设计", proofreader="钱校对",
                         printer="河洛印刷厂", print_run="1—3000", price="48.00元")
    lines = lines_of(book)
    assert list(lines) == ["书名", "作者", "责任编辑", "封面设计", "责任校对", "出版发行", "印刷",
                           "开本", "印张", "字数", "版次", "印次", "印数", "书号", "定价"]
    assert lines["书名"] == "洛水春深 ——一座古城的新篇章"
    assert lines["作者"] == "王晓明、陈静"
    assert lines["出版发行"] == "河洛出版社"  # the publisher, when no distributor is given
    assert lines["开本"] == "787 mm × 1092 mm 1/16"
    assert lines["印张"] == "11.25"  # 180 pages, 16 a sheet side: 11.25 sheets
    # 字数 as the trade counts it: characters a line × lines a page × pages, in thousands.
    options = book.config.print
    assert lines["字数"] == f"{-(-options.chars_per_line * options.lines_per_page * 180 // 1000)}千字"
    assert lines["版次"] == "2024年5月第1版"
    assert lines["书号"] == "ISBN 978-7-02-000220-7"  # hyphenated by its registration group
    assert lines["定价"] == "48.00元"


@pytest.mark.parametrize(("trim", "expected"), [
    ("16k", "787 mm × 1092 mm 1/16"), ("32k", "787 mm × 1092 mm 1/32"),
    ("big16k", "889 mm × 1194 mm 1/16"), ("big32k", "850 mm × 1168 mm 1/32"),
    ("a4", "890 mm × 1240 mm 1/16"), ("a5", "890 mm × 1240 mm 1/32"),
    ("b5", "1000 mm × 1400 mm 1/32"),
])
def test_the_format_is_the_full_sheet_and_its_fraction(tmp_path: Path, trim, expected):
    book = make_book(tmp_path)
    book = dataclasses.replace(book, config=dataclasses.replace(
        book.config, print=dataclasses.replace(book.config.print, trim=trim)))
    assert lines_of(book)["开本"] == expected


def test_unknown_values_are_left_out_and_custom_sizes_state_their_size(tmp_path: Path):
    book = make_book(tmp_path)
    meta = dataclasses.replace(book.meta, publisher=None, date=None, authors=())
    options = PrintOptions(trim="custom", trim_width_mm=150, trim_height_mm=230)
    book = dataclasses.replace(book, config=dataclasses.replace(book.config, book=meta,
                                                                print=options))
    lines = lines_of(book)
    assert "出版发行" not in lines and "出版日期" not in lines and "作者" not in lines
    assert lines["开本"] == "150 mm × 230 mm"
    assert "印张" not in lines  # no sheet to count in
    assert "书号" not in lines and "标识符" not in lines  # a UUID is for machines


def test_the_cip_block_is_set_as_given(tmp_path: Path):
    cip = "图书在版编目（CIP）数据\n洛水春深 / 王晓明，陈静著. —洛阳：河洛出版社，2024.5\n" \
          "中国版本图书馆CIP数据核字（2024）第012345号"
    result = colophon.colophon(with_colophon(make_book(tmp_path), cip=cip), 12)
    assert result.cip == tuple(cip.split("\n"))


def test_traditional_labels(tmp_path: Path):
    lines = lines_of(make_book(tmp_path, language="zh-Hant"))
    assert "書名" in lines and "開本" in lines and "字數" in lines and "印張" in lines


def test_character_count_counts_text_not_markup_or_space(tmp_path: Path):
    book = with_sections(make_book(tmp_path),
                         '<h1 id="a">标题</h1><p>中文 <span class="latin han-before">AI</span>'
                         '，\u2060好。</p>',
                         '<figure><img src="x.jpg" alt="不计"/><figcaption>图注</figcaption>'
                         "</figure>")
    # 标题 2 + 中文 2 + AI 2 + ， 1 + 好。 2 + 图注 2; the alt text and the word joiner are not
    # printed characters.
    assert colophon.character_count(book) == 11


def test_character_count_text():
    labels = LABELS["Hans"]
    assert colophon.character_count_text(856, labels) == "856字"
    assert colophon.character_count_text(1000, labels) == "1千字"
    assert colophon.character_count_text(12345, labels) == "13千字"


def test_gallery_captions_count(tmp_path: Path):
    book = make_book(tmp_path)
    without = dataclasses.replace(book, gallery=())
    photo = book.gallery[0]
    assert (colophon.character_count(book) - colophon.character_count(without)
            == len(photo.caption) + len(photo.credit))
