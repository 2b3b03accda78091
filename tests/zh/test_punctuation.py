"""Punctuation normalization (luoshu.zh.punctuation) and the checks on one text (luoshu.zh.typocheck).

Most tests are rows of (input, expected output): Simplified (zh-Hans) unless the row says
Traditional. Every example of issue 3 is here, and each masked Markdown construct.
"""

from __future__ import annotations

import pytest
from helpers.projects import REPO

from luoshu.model import TypographyOptions
from luoshu.zh.punctuation import Change, normalize
from luoshu.zh.textmask import FREE, OPAQUE, SYNTAX, blocks, protect
from luoshu.zh.typocheck import CODES, check_text


def hans(text: str, **kwargs) -> str:
    return normalize(text, "Hans", **kwargs).text


def hant(text: str, **kwargs) -> str:
    return normalize(text, "Hant", **kwargs).text


def codes(text: str, script: str = "Hans", **kwargs) -> list[str]:
    """The codes of what check_text finds in *text* (not the changes)."""
    return [f.code for f in check_text(text, script, **kwargs).findings]


# --- the issue's examples -------------------------------------------------------------------


@pytest.mark.parametrize("source, expected", [
    ("中文,中文", "中文，中文"),
    ("Python,是一种语言", "Python，是一种语言"),  # Chinese prose after a Latin word
    ("1,000", "1,000"),
    ("共1,000人", "共1,000人"),
    ("2021,洛阳", "2021,洛阳"),  # ambiguous: reported as LS201, not changed
    ("10:30", "10:30"),
    ("会议10:30开始", "会议10:30开始"),
    ("见http://x.cn/a,b?c=1:2", "见http://x.cn/a,b?c=1:2"),
    ("e.g. 中文", "e.g. 中文"),
    ("“从家到菜市场,方便!”", "“从家到菜市场，方便！”"),
    ("《登场了!洛阳》", "《登场了！洛阳》"),
    ("3.11版", "3.11版"),
    ("Python 3.11", "Python 3.11"),
    ("Mr.张", "Mr.张"),
    ("洛阳(Luoyang)是", "洛阳（Luoyang）是"),
    ("the (GDP) grew", "the (GDP) grew"),
    ("中文 ，中文", "中文，中文"),
])
def test_issue_examples(source, expected):
    assert hans(source) == expected


# --- , ; : ? ! . one at a time --------------------------------------------------------------


@pytest.mark.parametrize("source, expected", [
    ("洛阳;郑州", "洛阳；郑州"),
    ("他说:好", "他说：好"),
    ("为什么?因为", "为什么？因为"),
    ("好!", "好！"),
    ("好?!", "好？！"),  # the second mark follows the first, now full-width
    ("中文,1000", "中文，1000"),  # Han before: a pause, whatever follows
    ("第3:洛阳", "第3：洛阳"),  # only the comma is ambiguous after a digit
    ("Hello, world", "Hello, world"),  # Latin run: untouched
    ("Hello,世界", "Hello，世界"),
    ("Note: 中文", "Note：中文"),
    ("中文 , 中文", "中文，中文"),
    ("**重点**,然后", "**重点**，然后"),  # emphasis markers are transparent
    ("中文[^1],然后", "中文[^1]，然后"),  # so is a footnote reference
    ("[洛阳](http://x.cn),然后", "[洛阳](http://x.cn)，然后"),  # and a link destination
    ("他说“好”,然后", "他说“好”，然后"),
    ("写信到a@b.com,谢谢", "写信到a@b.com，谢谢"),
    ("www.example.com,好", "www.example.com，好"),
    ("中文\\!好", "中文\\!好"),  # a Markdown backslash escape keeps the mark on purpose
    ("中文\\.", "中文\\."),
    ("\\(中文\\)", "\\(中文\\)"),
])
def test_pause_marks(source, expected):
    assert hans(source) == expected


@pytest.mark.parametrize("source, expected", [
    ("中文.", "中文。"),
    ("中文.\n下一行", "中文。\n下一行"),
    ("中文. 下一句", "中文。下一句"),  # and the space after it goes (LS111)
    ("中文. Next", "中文。Next"),
    ("中文.中文", "中文。中文"),
    ("“好”.", "“好”。"),
    ("（注）.", "（注）。"),
    ("*强调*.", "*强调*。"),
    ("中文...", "中文..."),  # an ellipsis: reported (LS202), not changed
    ("洛阳.com", "洛阳.com"),
    ("文件名.txt", "文件名.txt"),
    ("3.11", "3.11"),
    ("e.g. 中", "e.g. 中"),
    ("Mr.张", "Mr.张"),
    ("1.洛阳", "1.洛阳"),
])
def test_full_stop(source, expected):
    assert hans(source) == expected


# --- brackets -------------------------------------------------------------------------------


@pytest.mark.parametrize("source, expected", [
    ("(注:见上文)", "（注：见上文）"),
    ("GDP(国内生产总值)增长", "GDP（国内生产总值）增长"),
    ("洛阳(Luoyang)", "洛阳（Luoyang）"),
    ("(Luoyang)是古都", "（Luoyang）是古都"),
    ("the (GDP) grew", "the (GDP) grew"),
    ("洛阳（Luoyang)是", "洛阳（Luoyang）是"),  # a half pair follows its full-width partner
    ("洛阳(Luoyang）是", "洛阳（Luoyang）是"),
    ("(中文(abc))", "（中文（abc））"),
    ("见[链接](http://x.cn/(a))", "见[链接](http://x.cn/(a))"),  # link syntax is not prose
    ("1) 第一项", "1) 第一项"),  # a list marker
    ("洛阳(", "洛阳("),  # no partner: left alone
])
def test_brackets(source, expected):
    assert hans(source) == expected


# --- quotes ---------------------------------------------------------------------------------


@pytest.mark.parametrize("source, simplified, traditional", [
    ('他说"你好"。', "他说“你好”。", "他说「你好」。"),
    ("他说'你好'。", "他说‘你好’。", "他说『你好』。"),
    ('"他说\'好\'"', "“他说‘好’”", "「他说『好』」"),
    ('"Hello"是英文', "“Hello”是英文", "「Hello」是英文"),
    ('He said "hi" today', 'He said "hi" today', 'He said "hi" today'),
    ("don't 说'好'", "don't 说‘好’", "don't 说『好』"),
    ("他说:'It's fine.'", "他说：‘It's fine.’", "他说：『It's fine.』"),
    ("“你好\"", "“你好”", "「你好」"),  # a straight quote closes a curly one
    ('"你好”', "“你好”", "「你好」"),
    ("他说：“好。”", "他说：“好。”", "他说：「好。」"),  # Hant: curly → corner (LS110)
    ("他说‘好’", "他说‘好’", "他说『好』"),
    ("it’s “fine”", "it’s “fine”", "it’s “fine”"),  # curly quotes in Latin text stay
    ('他说"你好', '他说"你好', '他说"你好'),  # unpaired: reported (LS209), not changed
    ('「你好"', "「你好」", "「你好」"),  # a corner pair stays corner in any book
])
def test_quotes(source, simplified, traditional):
    assert hans(source) == simplified
    assert hant(source) == traditional


def test_quotes_pair_within_a_paragraph_only():
    assert hans('他说"你好\n\n再见"') == '他说"你好\n\n再见"'
    assert hans('他说"你好\n再见"') == "他说“你好\n再见”"


def test_quote_style_option_overrides_the_script():
    assert hans('他说"好"', options=TypographyOptions(quotes="corner")) == "他说「好」"
    assert hans("他说“好”", options=TypographyOptions(quotes="corner")) == "他说「好」"
    assert hant('他說"好"', options=TypographyOptions(quotes="curly")) == "他說“好”"
    assert hant("他說「好」", options=TypographyOptions(quotes="curly")) == "他說「好」"


# --- spaces ---------------------------------------------------------------------------------


@pytest.mark.parametrize("source, expected", [
    ("中文 ，中文", "中文，中文"),
    ("中文， 中文", "中文，中文"),
    ("中文, Python", "中文，Python"),
    ("中文 “引用” 中文", "中文“引用”中文"),
    ("Python （语言）", "Python（语言）"),
    ("中文 中文", "中文 中文"),  # a space between Han is the author's business
    ("- 「引文」", "- 「引文」"),  # a list marker keeps its space
    ("中文，  \n下一行", "中文，  \n下一行"),  # a Markdown hard break keeps its spaces
])
def test_spaces_next_to_full_width_punctuation(source, expected):
    assert hans(source) == expected


# --- what is protected ----------------------------------------------------------------------


@pytest.mark.parametrize("source", [
    "代码`a,b;c:d`",
    "```\n中文,中文\n```",
    "~~~python\nprint('中文,好')\n~~~",
    "中文\n\n    缩进代码,中文\n",
    "<http://x.cn/a,b>",
    "<span title=\"中,文\">",
    "<!-- 注释,中文 -->",
    "[^1]: ",
    "[ref]: http://x.cn \"标题,好\"",
    "{: .byline}",
    "{#id .class}",
    "|---|:---:|",
    "---\nauthor: 甲,乙\n---\n",
    "&amp;中文",
    "中文![图](a.png)",
    "<pre>代码,中文</pre>",
])
def test_protected_markdown_is_untouched(source):
    assert hans(source) == source


@pytest.mark.parametrize("source, expected", [
    ('![码头](photos/port.jpg "洛河上的码头,清晨")', '![码头](photos/port.jpg "洛河上的码头，清晨")'),
    ("![码头,清晨](photos/port.jpg)", "![码头，清晨](photos/port.jpg)"),
    ("---\ntitle: 导语,一\n---\n正文,好", "---\ntitle: 导语，一\n---\n正文，好"),
    ('---\ntitle: "导语"\n---\n', '---\ntitle: "导语"\n---\n'),
    ("# 标题,一 {#id}", "# 标题，一 {#id}"),
    ("| 甲,乙 | 1,000 |", "| 甲，乙 | 1,000 |"),
    ("- 项目,一\n\n    续段,二", "- 项目，一\n\n    续段，二"),  # list continuation, not code
    ("[^1]: 注,一\n\n    续,二", "[^1]: 注，一\n\n    续，二"),  # footnote continuation
    ("术语\n:   定义,一\n\n    续,二", "术语\n:   定义，一\n\n    续，二"),  # definition list
    ("[^1]: 注释,内容", "[^1]: 注释，内容"),
    ("<b>中文</b>,然后", "<b>中文</b>，然后"),
    ("代码`x`,然后", "代码`x`，然后"),
])
def test_prose_inside_markdown_is_normalized(source, expected):
    assert hans(source) == expected


def test_plain_text_protects_only_urls_emails_and_numbers():
    assert hans("见`代码`,好", markdown=False) == "见`代码`，好"
    assert hans("1,000人,见http://x.cn/a,b", markdown=False) == "1,000人，见http://x.cn/a,b"
    assert hans("党员闻“汛”而动,进行道路清淤", markdown=False) == "党员闻“汛”而动，进行道路清淤"


def test_mask_kinds():
    text = "中`a`[^1]x"
    flags = protect(text).flags
    assert list(flags) == [FREE, OPAQUE, OPAQUE, OPAQUE] + [SYNTAX] * 4 + [FREE]
    assert protect("    中文").indented_code == (0,)


def test_blocks_are_paragraphs_headings_and_list_items():
    text = "# 标题\n第一段\n续\n\n- 甲\n- 乙\n\n```\n代码\n```\n尾"
    found = [text[a:b] for a, b in blocks(text, protect(text))]
    assert found == ["# 标题", "第一段\n续", "- 甲", "- 乙", "尾"]


# --- changes: codes and positions -----------------------------------------------------------


def test_changes_have_codes_and_input_positions():
    result = normalize('第一行\n洛阳 ,"郑州"(中原).', "Hans")
    assert result.text == "第一行\n洛阳，“郑州”（中原）。"
    assert result.changes == (
        Change(2, 3, "LS111", " ", ""),
        Change(2, 4, "LS101", ",", "，"),
        Change(2, 5, "LS108", '"', "“"),
        Change(2, 8, "LS108", '"', "”"),
        Change(2, 9, "LS107", "(", "（"),
        Change(2, 12, "LS107", ")", "）"),
        Change(2, 13, "LS102", ".", "。"),
    )


def test_hant_reports_curly_to_corner():
    result = normalize("他說：“好”", "Hant")
    assert [(c.code, c.before, c.after) for c in result.changes] == [
        ("LS110", "“", "「"), ("LS110", "”", "」")]


def test_line_structure_is_kept():
    source = "甲 ,乙\n\n丙 , 丁\n" * 3
    assert hans(source).count("\n") == source.count("\n")


def test_ignored_codes_are_not_applied():
    options = TypographyOptions(ignore=("LS102", "LS111"))
    assert hans("中文 ，中文.", options=options) == "中文 ，中文."
    assert hans("中文,中文", options=options) == "中文，中文"


def test_every_code_is_documented():

    import luoshu.zh.punctuation
    import luoshu.zh.typocheck

    docs = (REPO / "docs" / "typography-checks.md").read_text(
        encoding="utf-8")
    for code in CODES:
        module = luoshu.zh.punctuation if code < "LS200" else luoshu.zh.typocheck
        assert code in module.__doc__, code
        assert f"| {code} |" in docs, code


# --- what normalization cannot fix ----------------------------------------------------------


@pytest.mark.parametrize("source, expected", [
    ("2021,洛阳", ["LS201"]),
    ("2021 ,洛阳", ["LS201"]),
    ("1,000", []),
    ("中文...", ["LS202"]),
    ("中文。。。", ["LS202"]),
    ("Wait...", []),
    ("好…", ["LS203"]),
    ("好……", []),
    ("好………", ["LS203"]),
    ("好—坏", ["LS204"]),
    ("好——坏", []),
    ("He—she", []),
    ("好--坏", ["LS205"]),
    ("使用--format选项", []),
    ("\u3000\u3000金秋时节。", ["LS206"]),
    ("    金秋时节。", ["LS207"]),
    ("    print(x)", []),
    ("（注释", ["LS208"]),
    ("注释）", ["LS208"]),
    ("《书（名》）", ["LS208", "LS208"]),
    ("(注释", []),  # a half-width bracket without partner is Latin text's business
    ("“第一段\n\n“第二段”", []),  # a quotation over paragraphs: each opens, the last closes
    ("“第一段\n\n第二段", ["LS209"]),
    ('他说"你好', ["LS209"]),
    ("it’s 好", []),
    ("| a | b |\n|---|---|", []),
    ("中文\n\n***\n\n中文", []),
    ("<!-- 注释--中文 -->", []),
])
def test_findings(source, expected):
    assert codes(source) == expected


def test_finding_positions_are_in_the_input():
    (finding,) = check_text("第一行\n中文 ,“好” （注释", "Hans").findings
    assert (finding.line, finding.column, finding.code) == (2, 9, "LS208")
    assert finding.severity == "error"


def test_severities():
    assert {CODES[c].severity for c in CODES if c < "LS200"} == {"info"}
    assert CODES["LS208"].severity == "error"
    assert CODES["LS201"].severity == "warning"


def test_quote_styles_are_located():
    report = check_text("甲\n他说「好」,“对”", "Hans")
    assert report.corner_quotes == (2, 3)
    assert report.curly_quotes == (2, 7)
    assert check_text("He said “hi”", "Hans").curly_quotes is None


def test_check_text_applies_ignore():
    assert codes("2021,洛阳", options=TypographyOptions(ignore=("LS201",))) == []
