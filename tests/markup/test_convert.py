"""Markdown → XHTML fragments: CJK line breaks, footnotes, figures, ids, sanitizing."""

from __future__ import annotations

import re

import pytest
from lxml import etree

from luoshu.markup.convert import convert_section, figure_html, section_anchor
from luoshu.model import Photo

SOURCE = "manuscript/01-intro.md"
# An XML Name that is also a valid (NCName) id: no colon, not starting with a digit/-/.
NCNAME = re.compile(r"^[^\W\d\-.][\w\-.·]*$")


def convert(text: str, section_id: str = "01-intro", **kwargs):
    return convert_section(text, section_id, SOURCE, **kwargs)


def tree(html: str) -> etree._Element:
    """Parse a fragment as XML (raises when it is not well-formed)."""
    return etree.fromstring(f"<div>{html}</div>")


def paragraphs(html: str) -> list[str]:
    return ["".join(p.itertext()) for p in tree(html).iter("p")]


# --- CJK line breaks ------------------------------------------------------------------------


def test_break_between_chinese_characters_disappears():
    result = convert("# 标题\n\n中\n文段落，\n继续。\n")
    assert paragraphs(result.html) == ["中文段落，继续。"]


def test_break_with_surrounding_blanks_between_chinese_characters_disappears():
    result = convert("# 标题\n\n第一行\t\n   第二行\n")
    assert paragraphs(result.html) == ["第一行第二行"]


def test_break_between_english_words_is_kept():
    result = convert("# Title\n\nEnglish\nwords here.\n")
    (text,) = paragraphs(result.html)
    assert re.fullmatch(r"English\swords here\.", text)


def test_break_between_chinese_and_fullwidth_punctuation_disappears():
    result = convert("# 标题\n\n他说\n「你好」\n。\n")
    assert paragraphs(result.html) == ["他说「你好」。"]


def test_break_joined_inside_inline_markup():
    result = convert("# 标题\n\n这是*强调\n文字*和**加粗\n内容**。\n")
    (p,) = tree(result.html).iter("p")
    assert "".join(p.itertext()) == "这是强调文字和加粗内容。"
    assert p.find("em").text == "强调文字"
    assert p.find("strong").text == "加粗内容"


def test_break_joined_between_element_and_chinese_tail():
    result = convert("# 标题\n\n*强调*\n之后\n")
    assert paragraphs(result.html) == ["强调之后"]


def test_fenced_code_is_left_alone():
    text = "# 标题\n\n```\n中\n文\nEnglish\nwords\n```\n"
    (code,) = tree(convert(text).html).iter("code")
    assert code.text == "中\n文\nEnglish\nwords\n"


def test_inline_code_is_left_alone():
    result = convert("# 标题\n\n见 `中\n文` 代码\n")
    (code,) = tree(result.html).iter("code")
    assert code.text == "中\n文"


def test_hard_break_kept():
    result = convert("# 标题\n\n第一行  \n第二行\n")
    (p,) = tree(result.html).iter("p")
    assert p.find("br") is not None
    assert "".join(p.itertext()) == "第一行第二行"


# --- structure ------------------------------------------------------------------------------


def test_headings_list_and_title():
    result = convert("# 引言\n\n## 第一节\n\n### 小节\n\n## 第二节 {#second}\n")
    assert result.title == "引言"
    assert [(h.level, h.text) for h in result.headings] == [
        (1, "引言"), (2, "第一节"), (3, "小节"), (2, "第二节")]
    ids = {e.get("id") for e in tree(result.html).iter() if e.get("id")}
    for heading in result.headings:
        assert heading.anchor.startswith("sec-01-intro--")
        assert heading.anchor in ids
    assert result.headings[0].anchor == "sec-01-intro--title"
    assert result.headings[-1].anchor == "sec-01-intro--second"


def test_front_matter_title_inserted_when_no_h1():
    result = convert("正文。\n", title="前言")
    assert result.title == "前言"
    first = tree(result.html)[0]
    assert first.tag == "h1" and first.text == "前言"
    assert result.headings[0].anchor == "sec-01-intro--title"


def test_no_title_at_all():
    result = convert("只有正文。\n")
    assert result.title is None
    assert result.headings == ()


def test_heading_text_normalises_whitespace_and_markup():
    result = convert("# 洛书 *简介*\n")
    assert result.title == "洛书 简介"


def test_table():
    text = "# 标题\n\n| 格式 | 用途 |\n|---|---|\n| EPUB | 阅读 |\n| PDF | 印刷 |\n"
    table = tree(convert(text).html).find("table")
    assert table is not None
    assert [th.text for th in table.iter("th")] == ["格式", "用途"]
    assert [td.text for td in table.iter("td")] == ["EPUB", "阅读", "PDF", "印刷"]


def test_attr_list_class():
    result = convert("# 标题\n\n段落。\n{: .lead }\n")
    p = tree(result.html).find("p")
    assert p.get("class") == "lead"


def test_fenced_code_language_class():
    result = convert("# 标题\n\n```python\nprint('洛书')\n```\n")
    code = tree(result.html).find(".//pre/code")
    assert code.get("class") == "language-python"
    assert code.text == "print('洛书')\n"


def test_emphasis_with_latin_and_digits():
    result = convert("# 标题\n\n2024 年用 *Python* 3.11 处理了 **128** 篇。\n")
    p = tree(result.html).find("p")
    assert p.find("em").text == "Python"
    assert p.find("strong").text == "128"
    assert "".join(p.itertext()) == "2024 年用 Python 3.11 处理了 128 篇。"


def test_latin_next_to_han_is_marked_for_spacing_without_changing_the_text():
    result = convert("# 标题\n\n用Python写了3篇，见 EPUB 版。\n")
    p = tree(result.html).find("p")
    assert [(s.text, s.get("class")) for s in p.iter("span")] == [
        ("Python", "latin han-before han-after"), ("3", "latin han-before han-after")]
    assert "".join(p.itertext()) == "用Python写了3篇，见 EPUB 版。"


# --- footnotes ------------------------------------------------------------------------------


def test_footnote_ids_prefixed_and_links_consistent():
    text = "# 标题\n\n正文[^1]和[^注]。\n\n[^1]: 脚注一。\n[^注]: 脚注二。\n"
    root = tree(convert(text).html)
    ids = [e.get("id") for e in root.iter() if e.get("id")]
    assert len(ids) == len(set(ids))
    for element in root.iter("a"):
        href = element.get("href")
        assert href.startswith("#sec-01-intro--")
        assert href[1:] in ids, href
    refs = [a.get("href") for a in root.iter("a") if a.get("class") == "footnote-ref"]
    backs = [a.get("href") for a in root.iter("a") if a.get("class") == "footnote-backref"]
    assert refs == ["#sec-01-intro--fn-1", "#sec-01-intro--fn-注"]
    assert backs == ["#sec-01-intro--fnref-1", "#sec-01-intro--fnref-注"]
    assert ":" not in "".join(ids)


def test_footnote_ids_differ_between_sections():
    text = "# 标题\n\n正文[^1]。\n\n[^1]: 脚注。\n"
    first = {e.get("id") for e in tree(convert(text, "a").html).iter() if e.get("id")}
    second = {e.get("id") for e in tree(convert(text, "b").html).iter() if e.get("id")}
    assert first and not first & second


def test_footnote_backlink_is_a_cjk_font_character():
    text = "# 标题\n\n正文[^1]。\n\n[^1]: 脚注。\n"
    back = next(a for a in tree(convert(text).html).iter("a")
                if a.get("class") == "footnote-backref")
    assert back.text == "↑"
    assert back.get("title") == "返回正文"


# --- images and figures ---------------------------------------------------------------------


def test_lone_image_becomes_figure_with_caption():
    text = "# 标题\n\n段落。\n\n![洛河码头](photos/harbour.jpg \"洛河上的码头\")\n"
    result = convert(text, first_line=1)
    root = tree(result.html)
    assert root.find("p/img") is None
    (figure,) = root.iter("figure")
    assert figure.get("class") == "photo"
    assert figure.get("id") == "sec-01-intro--fig-1"
    img = figure.find("img")
    assert img.get("src") == "photos/harbour.jpg"
    assert img.get("alt") == "洛河码头"
    assert img.get("title") is None
    assert figure.find("figcaption/span[@class='caption']").text == "洛河上的码头"
    (photo,) = result.photos
    assert (photo.file, photo.caption, photo.alt, photo.section) == (
        "photos/harbour.jpg", "洛河上的码头", "洛河码头", "01-intro")
    assert photo.source.path == SOURCE and photo.source.line == 5


def test_image_line_counts_from_first_line():
    result = convert("# 标题\n\n![a](photos/a.jpg)\n", first_line=4)
    assert result.photos[0].source.line == 6


def test_inline_image_in_text_stays_inline():
    result = convert("# 标题\n\n文字 ![图](photos/b.png) 中间\n")
    root = tree(result.html)
    assert root.find(".//figure") is None
    assert root.find("p/img").get("src") == "photos/b.png"
    assert len(result.photos) == 1


def test_image_without_alt_gets_caption_as_alt():
    result = convert("# 标题\n\n![](photos/a.jpg \"说明文字\")\n")
    img = tree(result.html).find(".//img")
    assert img.get("alt") == "说明文字"


def test_figure_ids_unique_with_several_images():
    text = "# 标题\n\n![a](photos/a.jpg \"一\")\n\n![b](photos/b.jpg \"二\")\n"
    figures = list(tree(convert(text).html).iter("figure"))
    assert [f.get("id") for f in figures] == ["sec-01-intro--fig-1", "sec-01-intro--fig-2"]


def test_figure_html():
    photo = Photo("photos/x.jpg", "洛阳桥", credit="摄影：王五", alt="石桥")
    figure = etree.fromstring(figure_html(photo, "sec-a--photo-1"))
    assert figure.tag == "figure" and figure.get("id") == "sec-a--photo-1"
    assert figure.find("img").get("alt") == "石桥"
    assert [s.text for s in figure.iter("span")] == ["洛阳桥", "摄影：王五"]
    assert [s.get("class") for s in figure.iter("span")] == ["caption", "credit"]


def test_figure_html_alt_falls_back_to_caption_and_escapes():
    photo = Photo("photos/x.jpg", "A & B <C>")
    text = figure_html(photo, "f")
    figure = etree.fromstring(text)
    assert figure.find("img").get("alt") == "A & B <C>"
    assert figure.find(".//span").text == "A & B <C>"
    assert figure.find(".//span[@class='credit']") is None


# --- ids ------------------------------------------------------------------------------------


def test_section_anchor_is_a_valid_id_for_digit_ids():
    assert section_anchor("01-intro") == "sec-01-intro"
    assert NCNAME.match(section_anchor("01-intro"))


def test_ids_are_valid_names_for_digit_and_colon_ids():
    text = "# 标题\n\n## 一 {#1st}\n\n## 二 {#a:b}\n\n正文[^x:y]。\n\n[^x:y]: 注。\n"
    root = tree(convert(text).html)
    ids = [e.get("id") for e in root.iter() if e.get("id")]
    assert len(ids) == len(set(ids))
    for value in ids:
        assert ":" not in value and NCNAME.match(value), value
    for a in root.iter("a"):
        assert a.get("href")[1:] in ids


def test_heading_anchor_matches_element_id_for_colon_ids():
    result = convert("# 标题\n\n## 二 {#a:b}\n")
    ids = {e.get("id") for e in tree(result.html).iter() if e.get("id")}
    assert all(h.anchor in ids for h in result.headings)


def test_author_id_colliding_with_generated_id_stays_unique():
    root = tree(convert("# 标题\n\n## 再次 {#title}\n").html)
    ids = [e.get("id") for e in root.iter() if e.get("id")]
    assert len(ids) == len(set(ids))


def test_ids_with_other_invalid_characters_are_made_valid():
    root = tree(convert("# 标题\n\n## 一 {#a/b}\n").html)
    assert all(NCNAME.match(e.get("id")) for e in root.iter() if e.get("id"))


# --- sanitizing -----------------------------------------------------------------------------


def test_sanitizer_removes_scripts_frames_handlers_and_js_links():
    text = (
        "# 标题\n\n"
        "<script>alert(1)</script>\n\n"
        '<p onclick="x()" class="keep">文字 <a href="javascript:alert(1)">甲</a> '
        '<a href=" JavaScript:alert(1)">乙</a> <a href="vbscript:x">丙</a> '
        '<a href="https://example.com/">丁</a></p>\n\n'
        '<iframe src="https://example.com/"></iframe>\n\n'
        '<object data="x.swf"></object><embed src="x.swf"/>\n\n'
        '<style>body { display: none }</style>\n\n'
        '<form action="javascript:x"><input/></form>\n\n'
        '<div onmouseover="x()" ONLOAD="y()">块</div>\n'
    )
    html = convert(text).html
    root = tree(html)
    tags = {e.tag for e in root.iter()}
    assert not tags & {"script", "iframe", "object", "embed", "style", "form"}
    for element in root.iter():
        for name, value in element.attrib.items():
            assert not name.lower().startswith("on"), name
            assert "script:" not in value.lower(), value
    assert "alert" not in html
    assert root.find(".//p").get("class") == "keep"
    assert [a.get("href") for a in root.iter("a")] == [None, None, None, "https://example.com/"]
    assert "块" in "".join(root.itertext())


def test_sanitizer_drops_comments():
    html = convert("# 标题\n\n<!-- 内部备注 -->\n\n正文\n").html
    assert "内部备注" not in html
    assert "<!--" not in html


@pytest.mark.parametrize("href", ["java&#9;script:alert(1)", "jav&#10;ascript:alert(1)",
                                  "java&#13;script:alert(1)"])
def test_sanitizer_removes_obfuscated_js_links(href):
    root = tree(convert(f'# 标题\n\n<a href="{href}">x</a>\n').html)
    assert root.find(".//a").get("href") is None


# --- well-formedness ------------------------------------------------------------------------


def test_output_is_well_formed_xml():
    text = (
        "# 标题 & 副标题\n\n"
        "文字&nbsp;与 &copy; 符号 <b>粗体<i>斜体</b></i> <br> 1 < 2 & 3 > 2\n\n"
        "<div><p>未闭合的段落\n\n"
        "| a | b |\n|---|---|\n| <em>x</em> | 中 |\n\n"
        "```\n<not-a-tag> & 代码\n```\n\n"
        "正文[^1]。\n\n[^1]: 脚注 *强调*。\n"
    )
    html = convert(text).html
    root = tree(html)  # raises if not well-formed
    assert "&nbsp;" not in html  # HTML-only entities become characters
    assert "<not-a-tag> & 代码" in "".join(root.find(".//pre").itertext())


def test_text_before_first_element_is_escaped():
    result = convert("<b>x</b> & <i>y</i>")
    tree(result.html)


def test_prefixed_attribute_in_raw_html_stays_well_formed():
    tree(convert('# 标题\n\n<aside epub:type="footnote">注</aside>\n').html)
