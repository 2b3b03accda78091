"""Traditional editions (luoshu.project.editions): [editions] in book.toml, the converted Book,
the overrides file, the review list in luoshu check and the build's count of it."""

from __future__ import annotations

import json

import pytest

from luoshu.build.stages import build_book
from luoshu.check.project import check_project
from luoshu.errors import ProjectError
from luoshu.project.config import load_config
from luoshu.project.editions import convert_html, edition_books, prepare_editions
from luoshu.project.load import load_book
from luoshu.zh.hant import convert

BOOK = '''[book]
title = "开启新征程"
language = "zh-Hans"
authors = ["白云飞"]
description = "他说\\"头发干了\\""

[editions.zh-Hant]
variant = "s2tw"
'''
SECTION = """# 后来的面条

他的头发干了，皇后在后面说：“我听到‘好’字。”运行`发展()`，见[网站](https://example.cn/发)。

![照片里的人](photos/a.jpg "发展中的城市")

推动全市制造业发展。[^1]

[^1]: 注释里面。
"""


@pytest.fixture
def project(make_project, make_image, tmp_path):
    return make_project(tmp_path / "book", {"book.toml": BOOK, "manuscript/01-a.md": SECTION,
                                            "manuscript/photos/a.jpg": make_image()})


# --- book.toml ----------------------------------------------------------------------------------


def test_config_reads_editions(project):
    [edition] = load_config(project).editions
    assert edition.name == "zh-Hant" and edition.options.variant == "s2tw"
    assert edition.language == "zh-Hant-TW"


@pytest.mark.parametrize("table, message", [
    ('[editions.zh-Hant]\nlanguage = "zh-Hant"\n', "needs variant"),
    ('[editions.zh-Hant]\nvariant = "t2s"\n', "is not an OpenCC conversion"),
    ('[editions.zh-Hant]\nvariant = "s2t"\nlanguage = "zh-Hans"\n', "Traditional Chinese BCP"),
    ('[editions.press]\nvariant = "s2t"\n', "names its outputs"),
    ('[editions.zh-Hant]\nvariant = "s2t"\nvarient = "x"\n', "did you mean 'variant'"),
    ('[editions]\nzh-Hant = "s2t"\n', "must be a table"),
])
def test_config_refuses_bad_editions(make_project, tmp_path, table, message):
    project = make_project(tmp_path / "p", {
        "book.toml": '[book]\ntitle = "书"\nlanguage = "zh-Hans"\n' + table})
    with pytest.raises(ProjectError) as error:
        load_config(project)
    assert any(message in p.message and p.line for p in error.value.problems), \
        [str(p) for p in error.value.problems]


def test_a_traditional_book_has_no_traditional_edition(make_project, tmp_path):
    project = make_project(tmp_path / "p", {"book.toml": '[book]\ntitle = "書"\nlanguage = '
                                            '"zh-Hant"\n[editions.tw]\nvariant = "s2tw"\n'})
    with pytest.raises(ProjectError, match="already Traditional"):
        load_config(project)


# --- the converted Book -------------------------------------------------------------------------


def test_the_edition_is_a_converted_book(project):
    book, _ = load_book(project)
    [edition], _ = edition_books(book)
    assert edition.meta.language == "zh-Hant-TW"
    assert edition.meta.title == "開啟新徵程" and edition.meta.authors == ("白雲飛",)
    assert edition.meta.description == "他說「頭髮幹了」"
    assert edition.meta.identifier != book.meta.identifier
    assert edition.config.output.basename == "book-zh-Hant" and edition.config.editions == ()
    assert edition.fonts.body.families[0] == "Noto Serif CJK TC"
    [section] = edition.sections
    assert section.title == "後來的麵條" and section.headings[0].text == "後來的麵條"
    html = section.html
    assert "皇后在後面說：「我聽到『好』字。」" in html  # corner quotes, nested right
    assert "<code>發展()</code>" not in html and "<code>发展()</code>" in html  # code untouched
    assert 'href="https://example.cn/发"' in html and ">網站</a>" in html
    assert 'alt="照片裡的人"' in html and "發展中的城市" in html  # alt text and caption
    assert "註釋裡面" in html  # the footnote (Taiwan: 註)
    # Markdown text keeps its lines (file:line of the fonts check) and its syntax.
    assert len(section.text.split("\n")) == len(book.sections[0].text.split("\n"))
    assert "`发展()`" in section.text and "(https://example.cn/发)" in section.text
    assert section.photos[0].alt == "照片裡的人"
    assert section.photos[0].caption == "發展中的城市"


def test_html_phrases_run_through_inline_elements_not_across_blocks():
    converted = convert_html("<p>头<em>发</em>长</p><p>头</p><p>发展</p>",
                             lambda text, protected: convert(text, "s2t", protected=protected),
                             lambda text: text)
    assert converted == "<p>頭<em>髮</em>長</p><p>頭</p><p>發展</p>"


# --- review and overrides -----------------------------------------------------------------------


def test_review_lists_one_to_many_conversions_with_file_and_line(project):
    book, _ = load_book(project)
    review = prepare_editions(book).review
    where = {(i.path, i.line, i.ambiguity.source) for i in review}
    assert ("manuscript/01-a.md", 3, "干了") in where
    assert ("manuscript/01-a.md", 7, "制") in where  # 市制 took 制 from 制造
    assert ("book.toml", 2, "征") in where  # 新征 took 征 from 征程
    dry = next(i for i in review if i.ambiguity.source == "干了" and i.path != "book.toml")
    assert dry.column == 5 and "头发干了" in dry.context
    assert '"头发干了" = "頭髮幹了"' in dry.message  # a line to paste and correct


def test_overrides_settle_review_items_and_unused_ones_are_reported(project):
    (project / "manuscript" / "zh-Hant.toml").write_text(
        '"头发干了" = "頭髮乾了"\n"新征程" = "新征程"\n"全市制造业" = "全市製造業"\n'
        '"不存在" = "不存在"\n', encoding="utf-8")
    book, _ = load_book(project)
    editions = prepare_editions(book)
    sources = {i.ambiguity.source for i in editions.review}
    assert not sources & {"干了", "征", "制"}
    [unused] = [p for p in editions.problems if p.code == "edition-override-unused"]
    assert (unused.path, unused.line, unused.severity) == ("manuscript/zh-Hant.toml", 4,
                                                           "warning")
    [edition] = editions.books
    assert edition.meta.title == "開啟新征程"
    assert "頭髮乾了" in edition.sections[0].html and "全市製造業" in edition.sections[0].html


def test_bad_overrides_file(project):
    (project / "manuscript" / "zh-Hant.toml").write_text('"头发" = 1\n', encoding="utf-8")
    book, _ = load_book(project)
    with pytest.raises(ProjectError) as error:
        edition_books(book)
    [problem] = [p for p in error.value.problems if p.severity == "error"]
    assert (problem.path, problem.line) == ("manuscript/zh-Hant.toml", 1)


def test_check_lists_the_review_and_the_build_counts_it(project, tmp_path):
    findings = [f for f in check_project(project).findings if f.code == "LS301"]
    assert any(str(f).startswith("manuscript/01-a.md:3:5: LS301 warning: zh-Hant: '干了' "
                                 "becomes '幹了'") for f in findings)
    book, _ = load_book(project)
    _, warnings = edition_books(book)
    [count] = [w for w in warnings if w.code == "edition-unreviewed"]
    assert f"has {len(findings)} one-to-many conversion(s)" in count.message
    assert (count.path, count.line) == ("book.toml", 7)


def test_build_writes_both_editions_and_strict_refuses_an_unreviewed_one(project, tmp_path,
                                                                       sample_date):
    out = tmp_path / "out"
    with pytest.raises(ProjectError, match="nobody has reviewed"):
        build_book(project, out, ["epub"], strict=True)
    assert not out.exists() or not any(out.iterdir())
    result = build_book(project, out, ["epub"])
    assert [a.path for a in result.artifacts] == ["book.epub", "book-zh-Hant.epub"]
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert [e["path"] for e in manifest["artifacts"]] == ["book.epub", "book-zh-Hant.epub"]
    assert any(w.code == "edition-unreviewed" for w in result.warnings)
