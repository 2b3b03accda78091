"""Simplified → Traditional conversion (luoshu.zh.hant) on sentences chosen for their traps:
one-to-many characters, phrases that decide them, phrases that decide them wrongly, regional
vocabulary, and what must never be converted."""

from __future__ import annotations

import pytest

from luoshu.model import TypographyOptions
from luoshu.zh.hant import PLACEHOLDER, Overrides, ambiguities, convert, corner_quotes


@pytest.mark.parametrize("variant, source, expected", [
    ("s2t", "头发", "頭髮"),  # the phrase decides 发 → 髮
    ("s2t", "发展", "發展"),
    ("s2t", "皇后", "皇后"),  # the phrase keeps 后
    ("s2t", "以后", "以後"),
    ("s2tw", "面条", "麵條"),
    ("s2tw", "面对", "面對"),
    ("s2tw", "干部", "幹部"),
    ("s2tw", "干杯", "乾杯"),
    ("s2tw", "里面", "裡面"),  # Taiwan's variant of 裏
    ("s2t", "里面", "裏面"),
    ("s2twp", "软件和鼠标", "軟體和滑鼠"),  # Taiwan phrases
    ("s2tw", "软件和鼠标", "軟件和鼠標"),  # Taiwan characters only
    ("s2hk", "吃面", "吃麪"),  # Hong Kong writes 麪
])
def test_phrase_level_conversion(variant, source, expected):
    assert convert(source, variant) == expected


def test_protected_characters_are_never_converted():
    text = "见`头发`和https://example.cn/发展"
    protected = [False] * len(text)
    for index in range(1, 5):  # the code span
        protected[index] = True
    start = text.index("https")
    for index in range(start, len(text)):
        protected[index] = True
    assert convert(text, "s2t", protected=protected) == "見`头发`和https://example.cn/发展"


def test_protection_is_a_phrase_boundary():
    # 头 and 发 on either side of a protected span are not read as the phrase 头发.
    text = "头X发"
    assert convert(text, "s2t", protected=[False, True, False]) == "頭X發"


def test_latin_text_is_left_alone():
    assert convert("Hello, World 1,000", "s2twp") == "Hello, World 1,000"


def test_a_phrase_that_changes_length_keeps_protected_text():
    text = "`U盘`里的U盘"
    protected = [True] * 4 + [False] * 4
    assert convert(text, "s2twp", protected=protected) == "`U盘`裡的隨身碟"


def test_overrides_win_over_opencc():
    overrides = Overrides({"头发干了": "頭髮乾了", "干": "榦"})
    assert convert("他的头发干了。", "s2t") == "他的頭髮幹了。"  # OpenCC's trap
    assert convert("他的头发干了。", "s2t", overrides) == "他的頭髮乾了。"  # longest first
    assert convert("树干", "s2t", overrides) == "樹榦"


def test_corner_quotes():
    options = TypographyOptions()
    assert corner_quotes("他說：“我聽到‘好’字。”", False, options) == "他說：「我聽到『好』字。」"
    # A quotation over two paragraphs: the first opens without closing.
    assert corner_quotes("“第一段\n\n“第二段。”", True, options) == "「第一段\n\n「第二段。」"
    assert corner_quotes("He said “hi”, don’t", False, options) == "He said “hi”, don’t"
    assert corner_quotes("他說“好”", False, TypographyOptions(quotes="curly")) == "他說“好”"


def test_ambiguities_from_opencc():
    [found] = ambiguities(["他的头发干了，皇后在后面。"], "s2t")
    sources = [(a.source, a.converted) for a in found]
    assert ("干了", "幹了") in sources and ("面", "面") in sources  # 面 or 麪?
    dry = next(a for a in found if a.source == "干了")
    assert (dry.start, dry.end) == (4, 6)
    assert ("干了", ("幹了", "乾了")) in dry.candidates


def test_phrase_conflicts_are_reported():
    # 开启新征程: OpenCC's longest match takes 新征 (→ 新徵) over 征程 (→ 征程): wrong, and
    # silent, since each phrase has one conversion; the review reports it.
    [found] = ambiguities(["开启新征程", "推动全市制造业发展"], "s2t")[:1]
    conflict = next(a for a in found if a.source == "征")
    assert conflict.converted == "徵" and conflict.other_reading == ("征程", "征程")
    [manufacture] = ambiguities(["推动全市制造业发展"], "s2t")
    assert any(a.source == "制" and a.other_reading == ("制造", "製造") for a in manufacture)


def test_no_ambiguity_where_phrases_decide():
    [found] = ambiguities(["发展经济，系统关系，头发很长。"], "s2t")
    assert not [a for a in found if a.source in ("发", "系", "发展", "头发")]


def test_placeholders_hide_text_from_the_review():
    [found] = ambiguities([PLACEHOLDER * 4 + "。"], "s2t")
    assert found == []


def test_offsets_per_text_and_after_phrases_that_change_length():
    # U盘 → 隨身碟 (s2twp) makes the output one character longer than the input.
    first, second = ambiguities(["他的头发干了", "U盘放在后面"], "s2twp")
    assert [(a.start, a.source) for a in first] == [(4, "干了")]
    assert [(a.start, a.source) for a in second] == [(5, "面")]
