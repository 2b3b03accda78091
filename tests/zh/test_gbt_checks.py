"""The GB/T 15834 and GB/T 15835 checks (luoshu.zh.gbt_checks, run by luoshu.zh.typocheck):
for each code, texts it must report and texts it must leave alone, and [typography] ignore."""

from __future__ import annotations

import pytest

from luoshu.model import TypographyOptions
from luoshu.zh.typocheck import CODES, check_text


def found(text: str, code: str, script: str = "Hans", markdown: bool = True) -> list:
    return [f for f in check_text(text, script, markdown=markdown).findings if f.code == code]


def test_every_code_is_declared_with_its_clause():
    for code in [f"LS2{n}" for n in range(11, 19)]:
        assert "GB/T 1583" in CODES[code].summary and CODES[code].severity == "warning"


CASES = {
    "LS211": (
        ["年龄在25-30岁之间", "温度25~30℃", "鲁迅（1881-1936）", "1881–1936年", "1881——1936年",
         "价格3-5元", "2016～2020年", "1～3月", "10月1日-7日"],
        ["年龄在25～30岁之间", "鲁迅（1881—1936）", "1—3月", "增长25～30%", "25—30岁", "电话010-88842603", "见表2-8", "图3-1所示",
         "日期2011-02-15", "版本3-2", "比分30-25获胜", "pages 12–18 of the report",
         "`25-30岁`"]),
    "LS212": (
        ["增长15～30%", "投资20～30亿元", "增长15—30%"],
        ["增长15%～30%", "投资20亿～30亿元", "100～150千克"]),
    "LS213": (
        ["卡尔•马克思", "列夫・托尔斯泰", "作家马克.吐温说", "让．雅克"],
        ["卡尔·马克思", "我们发展.他们来了", "文件.txt", "Mr.张", "`马克.吐温`"]),
    "LS214": (
        ["共4千人", "5百万元", "一百08个"],
        ["共4000人", "共四千人", "463亿元", "5千米", "2千克", "全长3千瓦", "120千字"]),
    "LS215": (
        ["约三百人参加，另有300人。", "二〇〇八年八月开幕。\n\n2008年8月闭幕。", "二〇〇八年8月"],
        ["约三百人参加，另有三十人。", "约300人参加，另有30人。", "三个方面，30个项目",
         "二〇〇八年八月开幕，九月闭幕。", "第三十名，20名学生"]),
    "LS216": (
        ["第1书记", "“13五”规划", "13五时期", "19届4中全会", "4中全会", "1带1路", "1国2制"],
        ["第一书记", "“十三五”规划", "第1次会议", "十九届四中全会", "一带一路", "第1名"]),
    "LS217": (
        ["人口1,2345人", "2,021年", "共1，000人", "1,000人和12 500元", "1000,000元"],
        ["共1,000人", "12,345,678元", "12 500元", "3.14", "2021年", "见`1,2345`"]),
    "LS218": (
        ["他说：‘我听到“好”字。’", "他说：「我听到「好」字。」", "她說：『好』"],
        ["他说：“我听到‘好’字。”", "“他说：‘她说“好”。’”", "他說：「我聽到『好』字。」",
         "He said ‘hi’ and left.", "don’t"]),
}


@pytest.mark.parametrize("code, text", [(c, t) for c, (yes, _) in CASES.items() for t in yes])
def test_reports(code, text):
    script = "Hant" if any(c in text for c in "說聽") else "Hans"
    assert found(text, code, script), f"{code} should report {text!r}"


@pytest.mark.parametrize("code, text", [(c, t) for c, (_, no) in CASES.items() for t in no])
def test_leaves_alone(code, text):
    script = "Hant" if any(c in text for c in "說聽") else "Hans"
    assert not found(text, code, script), f"{code} should leave {text!r} alone"


@pytest.mark.parametrize("code", sorted(CASES))
def test_ignore_silences_the_code(code):
    text = CASES[code][0][0]
    options = TypographyOptions(ignore=(code,))
    assert not [f for f in check_text(text, "Hans", options=options).findings if f.code == code]


def test_positions_and_messages():
    [range_] = found("年龄\n在25-30岁", "LS211")
    assert (range_.line, range_.column) == (2, 4)  # at the '-'
    assert "25～30" in range_.message
    [years] = found("鲁迅（1881-1936）", "LS211")
    assert "1881—1936" in years.message
    [months] = found("1～3月", "LS211")
    assert "1—3" in months.message
    [name] = found("卡尔•马克思", "LS213")
    assert (name.line, name.column) == (1, 3) and "U+2022" in name.message
    [nesting] = found("“他说‘她说‘好’’”", "LS218")
    assert nesting.column == 7 and "‘" in nesting.message  # the third level is double again


def test_captions_are_checked_as_plain_text():
    assert found("约三百人，另有300人", "LS215", markdown=False)
    assert found("增长15～30%", "LS212", markdown=False)


def test_single_em_dash_message_names_the_range_dash():
    [dash] = found("北京—上海", "LS204")
    assert "一字线" in dash.message and "1881—1936" in dash.message
    assert not found("1881—1936", "LS204")
