"""Which characters each font role draws (luoshu.fonts.usage), on hand-written documents.

What characters_by_role and element_role make of headings, captions, code, bold text, the
navigation document and the title page, and which OpenType language systems are kept for the
documents' languages. The document wrapper ``wrap`` is imported from test_epub_fonts.
"""

from __future__ import annotations

import pytest
from helpers.epub_books import wrap

from luoshu.epub.fonts import characters_by_role, element_role
from luoshu.fonts import usage as font_usage
from luoshu.fonts.roles import ROLE_NAMES, ROLE_SELECTORS

# --- characters_by_role --------------------------------------------------------------------


def test_headings_are_bold_heading_text_and_the_head_is_not_drawn():
    chars = characters_by_role([wrap("<h1>标题</h1><h3>小节</h3><p>正文</p>")])
    assert chars == {("heading", 700): set("标题小节"), ("body", 400): set("正文")}


def test_heading_class_changes_the_family_not_the_weight():
    # base.css makes h1–h6 bold; .heading only gets the heading family (fonts.ROLE_SELECTORS).
    chars = characters_by_role(["<p class=\"heading\">题</p><p>文</p>"])
    assert chars == {("heading", 400): {"题"}, ("body", 400): {"文"}}


def test_captions_and_credits_are_caption_text_but_alt_text_is_not_drawn():
    figure = ('<figure class="photo"><img src="a.jpg" alt="替代文字"/><figcaption>'
              '<span class="caption">港口</span><span class="credit">摄影</span></figcaption>'
              '</figure><p class="caption">说明</p>')
    assert characters_by_role([wrap(figure)]) == {("caption", 400): set("港口摄影说明")}


def test_code_elements_are_code_text():
    chars = characters_by_role([wrap("<p>例<code>a1</code></p><pre><code>甲\n乙</code></pre>"
                                     "<p><kbd>K</kbd><samp>S</samp></p>")])
    assert chars == {("body", 400): {"例"}, ("code", 400): set("a1甲乙KS")}


def test_strong_b_and_th_are_bold_in_their_role():
    chars = characters_by_role([wrap(
        "<p>普通<strong>重点</strong>尾<b>粗</b></p>"
        "<table><tr><th>表头</th><td>格</td></tr></table>"
        "<figure><figcaption>图<strong>注</strong></figcaption></figure>")])
    assert chars == {("body", 400): set("普通尾格"), ("body", 700): set("重点粗表头"),
                     ("caption", 400): {"图"}, ("caption", 700): {"注"}}


def test_emphasis_inherits_the_surrounding_font():
    assert characters_by_role(["<p>着<em>重</em></p>"]) == {("body", 400): set("着重")}


def test_navigation_document_text_counts_title_does_not():
    nav = wrap('<nav id="toc" class="toc" epub:type="toc"><h1>目录</h1><ol>'
               '<li><a href="a.xhtml">导语</a></li></ol></nav>'
               '<nav class="landmarks" epub:type="landmarks" hidden="hidden"><ol>'
               '<li><a href="t.xhtml">扉页</a></li></ol></nav>', title="不画")
    chars = characters_by_role([nav])
    assert chars == {("heading", 700): set("目录"), ("body", 400): set("导语扉页")}
    assert not set("不画") & set().union(*chars.values())


def test_title_page_title_is_heading_subtitle_and_authors_body():
    page = wrap('<section class="titlepage"><h1 class="title">书名</h1>'
                '<p class="subtitle">副题</p><p class="authors">作者</p></section>')
    assert characters_by_role([page]) == {("heading", 700): set("书名"),
                                          ("body", 400): set("副题作者")}


def test_controls_are_left_out_other_whitespace_kept_and_tails_after_comments_counted():
    chars = characters_by_role([wrap("<p>甲\n\t乙\u3000丙 <!-- 注释 -->丁</p>")])
    assert chars == {("body", 400): set("甲乙\u3000丙 丁")}


def test_fragments_plain_text_and_html_entities_are_read():
    chars = characters_by_role(["书名与副题", "<p>甲</p><p>乙</p>", "<p>丙&nbsp;丁<br></p>",
                                b"<h2>\xe6\xa0\x87</h2>"])
    assert chars == {("body", 400): set("书名与副题甲乙丙\u00a0丁"), ("heading", 700): {"标"}}


def test_the_most_specific_role_rule_wins_then_the_later_one():
    assert element_role("h2", ["caption"]) == "caption"  # .caption beats h2
    assert element_role("figcaption", ["heading"]) == "heading"
    assert element_role("code") == "code"
    assert element_role("span") is None


def test_role_selectors_stay_simple_enough_to_follow():
    # characters_by_role reads ROLE_SELECTORS itself; it knows plain elements and classes only.
    for role in ROLE_NAMES:
        for selector in ROLE_SELECTORS[role].split(","):
            selector = selector.strip()
            assert selector.isidentifier() or (selector[0] == "." and selector[1:].replace(
                "-", "_").isidentifier()), selector


# --- language systems ----------------------------------------------------------------------


@pytest.mark.parametrize(("languages", "systems"), [
    ({"zh-Hans"}, {"ZHS"}),
    ({"zh-CN", "zh"}, {"ZHS"}),
    ({"zh-Hant"}, {"ZHT"}),
    ({"zh-TW"}, {"ZHT"}),
    ({"zh-Hant-HK"}, {"ZHH"}),
    ({"zh-MO"}, {"ZHTM", "ZHT"}),
    ({"zh-Hans", "ja", "en"}, {"ZHS", "JAN"}),
    (set(), None),  # no language declared: every language system stays
])
def test_language_systems_kept_for_the_documents_languages(languages, systems):
    assert font_usage.language_systems(languages) == systems
