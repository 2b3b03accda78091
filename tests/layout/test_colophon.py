"""luoshu.layout.colophon: the copyright page's lines and the 字数 rule."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from helpers.books import make_book

from luoshu.layout import colophon
from luoshu.model import PrintOptions, Section, SourceRef
from luoshu.zh.labels import LABELS


def lines_of(book) -> dict[str, str]:
    return {line.label: line.value for line in colophon.colophon_lines(book)}


def with_sections(book, *bodies: str):
    sections = tuple(Section(f"s{n}", "题", SourceRef(f"manuscript/s{n}.md"), body, "")
                     for n, body in enumerate(bodies))
    return dataclasses.replace(book, sections=sections, gallery=())


def test_lines_in_the_conventional_order(tmp_path: Path):
    book = make_book(tmp_path)
    meta = dataclasses.replace(book.meta, edition="2024年5月第1版", printing="2024年5月第1次印刷",
                               identifier="urn:isbn:978-7-02-000220-7")
    book = dataclasses.replace(book, config=dataclasses.replace(book.config, book=meta))
    lines = lines_of(book)
    assert list(lines) == ["书名", "作者", "出版者", "开本", "字数", "版次", "印次", "出版日期",
                           "书号"]
    assert lines["书名"] == "洛水春深 ——一座古城的新篇章"
    assert lines["作者"] == "王晓明、陈静"
    assert lines["开本"] == "185 mm × 260 mm（16开）"
    assert lines["版次"] == "2024年5月第1版"
    assert lines["出版日期"] == "2024年5月1日"
    assert lines["书号"] == "ISBN 978-7-02-000220-7"


def test_unknown_values_are_left_out_and_custom_sizes_have_no_name(tmp_path: Path):
    book = make_book(tmp_path)
    meta = dataclasses.replace(book.meta, publisher=None, date=None, authors=())
    options = PrintOptions(trim="custom", trim_width_mm=150, trim_height_mm=230)
    book = dataclasses.replace(book, config=dataclasses.replace(book.config, book=meta,
                                                                print=options))
    lines = lines_of(book)
    assert "出版者" not in lines and "出版日期" not in lines and "作者" not in lines
    assert lines["开本"] == "150 mm × 230 mm"
    assert lines["标识符"] == book.meta.identifier  # not an ISBN


def test_traditional_labels(tmp_path: Path):
    lines = lines_of(make_book(tmp_path, language="zh-Hant"))
    assert "書名" in lines and "開本" in lines and "字數" in lines


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
