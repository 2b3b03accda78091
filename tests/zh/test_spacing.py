"""Han–Latin spacing: which runs get a span, which side gets the quarter-em, and that the text
itself never changes."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.projects import REPO
from lxml import etree, html

from luoshu.markup.convert import convert_section, figure_html
from luoshu.model import Photo
from luoshu.zh import spacing
from luoshu.zh.spacing import TextFlow, add_han_latin_spacing


def spaced(fragment: str) -> etree._Element:
    """Run the pass on an HTML fragment (as markup.py parses it); the wrapper <div>."""
    root = html.fragment_fromstring(fragment, create_parent="div")
    before = "".join(root.itertext())
    add_han_latin_spacing(root)
    assert "".join(root.itertext()) == before  # the text never changes
    return root


def latin_spans(root: etree._Element) -> list[tuple[str, str]]:
    """(text, classes) of every element the pass marked, in document order."""
    return [("".join(e.itertext()), e.get("class")) for e in root.iter()
            if "latin" in (e.get("class") or "").split()]


def markup(md: str) -> etree._Element:
    """The section HTML of *md* from convert_section, parsed as XML (must be well-formed)."""
    return etree.fromstring(f"<div>{convert_section(md, 'a', 'a.md').html}</div>")


# --- which runs, which sides ----------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("中文Python中文", [("Python", "latin han-before han-after")]),
    ("Python中文", [("Python", "latin han-after")]),
    ("中文Python", [("Python", "latin han-before")]),
    ("提升3倍以上", [("3", "latin han-before han-after")]),
    ("2021年", [("2021", "latin han-after")]),
    ("COVID-19疫情", [("COVID-19", "latin han-after")]),
    ("5G网络", [("5G", "latin han-after")]),
    ("使用Python 3.11版本", [("Python 3.11", "latin han-before han-after")]),
    ("共1,000人", [("1,000", "latin han-before han-after")]),
    ("增长50%以上", [("50%", "latin han-before han-after")]),
    ("学习C++语言", [("C++", "latin han-before han-after")]),
    ("他说Hello, world然后", [("Hello, world", "latin han-before han-after")]),
    ("在Café喝咖啡", [("Café", "latin han-before han-after")]),
    ("用iOS和Android", [("iOS", "latin han-before han-after"), ("Android", "latin han-before")]),
    ("访问https://example.com/a?b=1获取", [("https://example.com/a?b=1",
                                           "latin han-before han-after")]),
    ("写信到zhang.san@example.com吧", [("zhang.san@example.com", "latin han-before han-after")]),
    ("〇5年", [("5", "latin han-before han-after")]),
])
def test_runs_touching_han_are_wrapped(text, expected):
    assert latin_spans(spaced(f"<p>{text}</p>")) == expected


@pytest.mark.parametrize("text", [
    "中文 Python 中文",  # the source already has spaces
    "，Python。",  # full-width punctuation stays tight
    "「Python」",
    "Python is English.",
    "中文（Python）中文",
    "全角ＡＢＣ１２３字母",  # full-width forms are set like Han
    "只有中文。",
])
def test_runs_not_touching_han_are_left_alone(text):
    root = spaced(f"<p>{text}</p>")
    assert latin_spans(root) == []
    assert etree.tostring(root, encoding="unicode") == f"<div><p>{text}</p></div>"


def test_a_source_space_leaves_that_side_without_a_class():
    assert latin_spans(spaced("<p>中文 Python中文</p>")) == [("Python", "latin han-after")]
    assert latin_spans(spaced("<p>中文Python 中文</p>")) == [("Python", "latin han-before")]


def test_serialization_of_a_simple_case():
    root = spaced("<p>中文Python中文</p>")
    assert etree.tostring(root[0], encoding="unicode") == (
        '<p>中文<span class="latin han-before han-after">Python</span>中文</p>')


def test_digits_switch(monkeypatch):
    monkeypatch.setattr(spacing, "SPACE_HAN_DIGITS", False)
    assert latin_spans(spaced("<p>提升3倍，2021年</p>")) == []
    assert latin_spans(spaced("<p>5G网络</p>")) == [("5G", "latin han-after")]


# --- across inline elements, not across blocks ----------------------------------------------


def test_han_in_emphasis_before_latin():
    assert latin_spans(spaced("<p><em>中文</em>Python</p>")) == [("Python", "latin han-before")]


def test_latin_in_emphasis_between_han():
    root = spaced("<p>这是<em>Python</em>语言</p>")
    assert latin_spans(root) == [("Python", "latin han-before han-after")]
    assert root.find("p/em/span").text == "Python"  # the span is inside the <em>


def test_run_across_element_boundary_keeps_classes_on_its_edges():
    root = spaced("<p>用<strong>Python</strong> 3.11版</p>")
    assert latin_spans(root) == [("Python", "latin han-before"), (" 3.11", "latin han-after")]


def test_run_split_inside_a_word():
    root = spaced("<p>中<em>Py</em>thon文</p>")
    assert latin_spans(root) == [("Py", "latin han-before"), ("thon", "latin han-after")]


def test_link_text_that_is_not_a_url_is_spaced_inside_the_link():
    root = spaced('<p>访问<a href="https://github.com/">GitHub</a>主页</p>')
    assert latin_spans(root) == [("GitHub", "latin han-before han-after")]
    assert root.find("p/a/span") is not None
    assert root.find("p/a").get("href") == "https://github.com/"


def test_link_whose_text_is_its_url_is_one_unit():
    root = spaced('<p>访问<a href="https://example.com/a_b">https://example.com/a_b</a>获取</p>')
    link = root.find("p/a")
    assert link.get("class") == "latin han-before han-after"
    assert len(link) == 0 and link.text == "https://example.com/a_b"  # not cut into spans


def test_mail_link_is_one_unit():
    root = spaced('<p>写信到<a href="mailto:a@b.org">a@b.org</a>吧</p>')
    assert root.find("p/a").get("class") == "latin han-before han-after"


@pytest.mark.parametrize("fragment", [
    "<p>中文</p><p>Python</p>",
    "<p>中文<br/>Python</p>",
    '<p>中文<img src="x.png" alt="图"/>Python</p>',
    "<ul><li>中文</li><li>Python</li></ul>",
    "<table><tr><td>中文</td><td>EPUB</td></tr></table>",
    "<p>中文<q>Python</q>中文</p>",  # <q> brings its own quotation marks
])
def test_blocks_breaks_images_and_quotes_end_a_run(fragment):
    assert latin_spans(spaced(fragment)) == []


def test_footnote_marks_are_not_spaced():
    root = spaced('<p>正文<sup id="r"><a class="footnote-ref" href="#n">1</a></sup>。</p>')
    assert latin_spans(root) == []
    assert root.find("p/sup/a").text == "1"


# --- code -----------------------------------------------------------------------------------


def test_code_block_is_untouched():
    fragment = "<pre><code>中文Python中文\nprint(3倍)</code></pre>"
    root = spaced(fragment)
    assert etree.tostring(root[0], encoding="unicode") == fragment


def test_text_inside_inline_code_is_untouched_but_the_code_is_spaced():
    root = spaced("<p>用<code>pip install 洛书</code>安装</p>")
    code = root.find("p/code")
    assert code.text == "pip install 洛书" and len(code) == 0
    assert code.get("class") == "latin han-before"  # ends with Han: no space after


def test_inline_code_keeps_its_own_class():
    root = spaced('<p>用<code class="language-sh">pip</code>装</p>')
    assert root.find("p/code").get("class") == "language-sh latin han-before han-after"


def test_han_inline_code_gets_nothing():
    root = spaced("<p>见<code>中文</code>代码</p>")
    assert root.find("p/code").get("class") is None


def test_latin_after_code_is_not_spaced_from_han_before_the_code():
    assert latin_spans(spaced("<p>中文<code>x</code>Python</p>")) == [("x", "latin han-before")]


# --- through markup.py ----------------------------------------------------------------------


def test_convert_section_wraps_paragraphs_and_headings():
    root = markup("# Python简介\n\n洛阳在2021年用*Python*写了COVID-19报告。\n")
    assert latin_spans(root) == [
        ("Python", "latin han-after"),
        ("2021", "latin han-before han-after"),
        ("Python", "latin han-before han-after"),
        ("COVID-19", "latin han-before han-after"),
    ]


def test_heading_text_and_title_are_plain_text():
    result = convert_section("# Python简介\n\n## 第2节\n", "a", "a.md")
    assert result.title == "Python简介"
    assert [h.text for h in result.headings] == ["Python简介", "第2节"]


def test_front_matter_title_is_spaced_too():
    root = etree.fromstring(
        f"<div>{convert_section('正文。', 'a', 'a.md', title='EPUB指南').html}</div>")
    assert latin_spans(root) == [("EPUB", "latin han-after")]


def test_line_break_between_han_and_latin_stays_a_space():
    assert latin_spans(markup("中文\nPython中文\n")) == [("Python", "latin han-after")]


def test_line_break_joined_before_spacing():
    assert latin_spans(markup("中\n文Python\n")) == [("Python", "latin han-before")]


def test_fenced_and_inline_code_through_markdown():
    root = markup("用`pip`装。\n\n```\n中文Python\n```\n")
    assert root.find("p/code").get("class") == "latin han-before han-after"
    assert root.find("pre/code").text == "中文Python\n"
    assert root.find("pre//span") is None


def test_autolink_through_markdown():
    root = markup("访问<https://example.com/>获取。\n")
    assert root.find("p/a").get("class") == "latin han-before han-after"
    assert root.find("p/a").text == "https://example.com/"


def test_figure_captions_are_spaced():
    photo = Photo("photos/x.jpg", "洛阳桥Bridge景观", credit="摄影：Li Lei", alt="ABC桥")
    figure = etree.fromstring(figure_html(photo, "f"))
    assert latin_spans(figure) == [("Bridge", "latin han-before han-after")]
    assert figure.find("img").get("alt") == "ABC桥"  # attributes are not text
    caption = figure.find("figcaption/span[@class='caption']")
    assert "".join(caption.itertext()) == "洛阳桥Bridge景观"


def test_caption_and_credit_do_not_run_together():
    photo = Photo("photos/x.jpg", "洛阳桥", credit="Photo by 张三")
    assert latin_spans(etree.fromstring(figure_html(photo, "f"))) == []


def test_lone_image_figure_in_a_section_is_spaced_once():
    root = markup('![桥](photos/x.jpg "洛阳桥Bridge景观")\n')
    assert latin_spans(root) == [("Bridge", "latin han-before han-after")]
    assert root.find(".//span[@class='latin han-before han-after']/span") is None


# --- invariants -----------------------------------------------------------------------------


def _manuscripts() -> list[Path]:
    return sorted((REPO / "manuscript").glob("*.md")) + sorted(
        (REPO / "tests" / "fixtures").glob("*/manuscript/*.md"))


MIXED = (
    "# 第1章 Python与EPUB\n\n"
    "2024年，洛书用*Python 3.11*和`lxml`生成EPUB 3与PDF/X-4文件，速度提升3倍；"
    "见<https://example.com/>或写信到<a@b.org>。\n\n"
    "| 格式 | 用途 |\n|---|---|\n| EPUB | 阅读器 |\n| PDF | 印刷厂 |\n\n"
    "- 第1项Item\n- COVID-19疫情\n\n"
    "正文[^1]，<q>Python</q>和<kbd>Ctrl</kbd>键。\n\n[^1]: 注释ABC。\n"
)


@pytest.mark.parametrize("text", [MIXED] + [p.read_text("utf-8") for p in _manuscripts()],
                         ids=["mixed"] + [p.name for p in _manuscripts()])
def test_text_content_is_unchanged(text, monkeypatch):
    with_spans = convert_section(text, "a", "a.md").html
    monkeypatch.setattr("luoshu.markup.convert.add_han_latin_spacing", lambda root: None)
    without = convert_section(text, "a", "a.md").html
    assert "".join(etree.fromstring(f"<div>{with_spans}</div>").itertext()) == \
        "".join(etree.fromstring(f"<div>{without}</div>").itertext())


def test_output_is_well_formed_xhtml_with_known_classes():
    root = markup(MIXED)  # parses as XML
    for element in root.iter():
        if element.tag == "span" and element.get("class"):
            assert set(element.get("class").split()) <= {"latin", "han-before", "han-after"}


def test_pass_is_idempotent():
    root = html.fragment_fromstring(
        '<p>用<em>Python</em> 3.11和<code>pip</code>写<a href="https://x.org">https://x.org</a>'
        "吧</p>", create_parent="div")
    add_han_latin_spacing(root)
    once = etree.tostring(root, encoding="unicode")
    add_han_latin_spacing(root)
    assert etree.tostring(root, encoding="unicode") == once


# --- TextFlow -------------------------------------------------------------------------------


def test_text_flow_joins_text_in_document_order_and_hides_opaque_text():
    root = html.fragment_fromstring("<p>甲<em>乙<code>丙</code></em>丁</p>")
    flow = TextFlow(root, opaque=lambda e: e.tag == "code")
    assert flow.text == "甲乙\0丁"
    start, end = flow.bounds[root.find("em")]
    assert flow.text[start:end] == "乙\0"


def test_text_flow_boundaries_and_delete():
    root = html.fragment_fromstring("<div><p>甲\n</p><p>\n乙</p></div>")
    flow = TextFlow(root, opaque=lambda e: False, boundary=lambda e: e.tag == "p")
    assert flow.text == "\0甲\n\0\0\n乙\0"
    flow.delete({flow.text.index("乙")})
    assert "".join(root.itertext()) == "甲\n\n"


def test_text_flow_wrap_across_nodes():
    root = html.fragment_fromstring("<p>ab<em>cd</em>ef</p>")
    flow = TextFlow(root, opaque=lambda e: False)
    flow.wrap([(1, 5, "x han-before han-after")])
    assert etree.tostring(root, encoding="unicode") == (
        '<p>a<span class="x han-before">b</span><em><span class="x">cd</span></em>'
        '<span class="x han-after">e</span>f</p>')
