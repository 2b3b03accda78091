"""The Chinese line-layout extension of WeasyPrint, measured on laid-out pages.

Layout is checked on WeasyPrint's own page tree (exact positions of every line box) and, for
line starts and ends, on the text of each line as pdftotext sees it in the written PDF.
"""

from __future__ import annotations

import re
import subprocess

import pytest
import weasyprint
from helpers.pagetree import line_boxes
from helpers.pdf_pages import MM, drawn_lines

from luoshu.layout import cjk as cjk_layout
from luoshu.layout.cjk import WORD_JOINER as WJ

TOLERANCE = 0.5  # CSS px (0.375 pt): stricter than the 0.5 pt "flush with both edges" asks

PARAGRAPH = (
    "这是逐梦未来的里程碑——站在洛阳全面建成小康社会、开启全面建设社会主义现代化新征程的关键节点上，"
    "大会将重磅擘画洛阳今后五年乃至更长时期的发展蓝图，为建强副中心、形成增长极注入强大信心。"
    "纵观五千年文明史，洛阳曾创造博大精深的灿烂文化；回望党的百年历程，从洛阳燃起的红色火种撒遍中原……"
    "《唐宫夜宴》《七夕奇妙游》等一系列文化节目，引发了一轮又一轮河洛文化“出圈”热潮。"
)
MIXED = (
    "智能化的全流程生产线让生产效率提升3倍以上，<em>中钢洛耐</em>采用 Python 3.11 与 COVID-19 "
    "防控数据平台，5G网络覆盖全市，洛阳·龙门石窟游客量创新高。"
)


def _document(body: str, width_mm: float = 70, lang: str = "zh-Hans") -> weasyprint.Document:
    cjk_layout.install()
    html = (
        f'<html lang="{lang}"><head><style>'
        f"@page {{ size: {width_mm}mm 400mm; margin: 5mm }}"
        'body { font-family: "Noto Serif CJK SC"; font-size: 10pt; line-height: 1.7;'
        " text-align: justify; margin: 0 }"
        "p { text-indent: 2em; margin: 0 }"
        ".latin.han-before { margin-left: 0.25em } .latin.han-after { margin-right: 0.25em }"
        f"</style></head><body>{body}</body></html>"
    )
    return weasyprint.HTML(string=html).render()


def _lines(document):
    """(text, left, right, content_left, content_right, is_last_in_block) per line box."""
    return [(line.text, line.left, line.right, line.content_left, line.content_right, line.last)
            for line in line_boxes(document)]


@pytest.mark.parametrize("width_mm", [52, 70, 93, 120])
def test_every_line_but_the_last_is_flush_with_both_edges(width_mm):
    lines = _lines(_document(f"<p>{PARAGRAPH}</p><p>{MIXED}</p>", width_mm))
    assert len(lines) > 6
    for text, left, right, content_left, content_right, last in lines:
        if last:
            assert right <= content_right + TOLERANCE, text
            continue
        assert abs(right - content_right) <= TOLERANCE, (text, content_right - right)


@pytest.mark.parametrize("width_mm", [52, 70, 93, 120])
def test_drawn_lines_are_flush_with_both_edges(width_mm, tmp_path):
    """The same, measured on the written PDF: the glyphs as drawn, not the page tree (drawing
    reshapes a layout whose paragraph mode changes, which once lost the widened glyphs)."""
    pdf = tmp_path / "p.pdf"
    body = f"<p>{cjk_layout.protect_text('', PARAGRAPH)}</p><p>{MIXED}</p>"
    _document(body, width_mm).write_pdf(pdf)
    lines = drawn_lines(pdf)
    right = 5 * MM + (width_mm - 10) * MM
    # Inside a paragraph: the next line starts at the left edge (a new paragraph is indented).
    full = [line for line, following in zip(lines, lines[1:]) if following.x0 < 5 * MM + 1]
    assert len(full) > 4
    for line in full:
        assert abs(right - line.x1) <= 0.5, (line.text, right - line.x1)


def test_without_the_extension_pure_chinese_lines_would_be_ragged():
    """The measurement itself can fail: WeasyPrint alone leaves the right edge ragged."""
    html = weasyprint.HTML(string=(
        '<html lang="zh-Hans"><style>@page { size: 52mm 300mm; margin: 5mm } body {'
        ' font-family: "Noto Serif CJK SC"; font-size: 10pt; text-align: justify }'
        f"</style><p>{PARAGRAPH}</p></html>"))
    saved = weasyprint.layout.inline.justify_line
    try:
        weasyprint.layout.inline.justify_line = cjk_layout._original.get(
            "justify_line", saved) if cjk_layout._original else saved
        lines = _lines(html.render())
    finally:
        weasyprint.layout.inline.justify_line = saved
    gaps = [content_right - right for _, _, right, _, content_right, last in lines if not last]
    assert max(gaps) > 1.0


def test_no_line_starts_with_closing_punctuation_or_ends_with_opening():
    for width in range(40, 130, 3):
        for text, *_ in _lines(_document(f"<p>{PARAGRAPH}</p><p>{MIXED}</p>", width)):
            assert text[:1] not in cjk_layout.NOT_AT_LINE_START, (width, text)
            assert text[-1:] not in cjk_layout.NOT_AT_LINE_END, (width, text)
            assert not text.startswith("—") or text.startswith("——"), (width, text)
            assert not text.startswith("…") and not text.endswith("—") or text.endswith("——")


def test_dash_and_ellipsis_pairs_never_split():
    for width in range(40, 130, 3):
        for text, *_ in _lines(_document(f"<p>{PARAGRAPH}</p>", width)):
            for mark in "—…":
                runs = re.findall(f"{mark}+", text)
                assert all(len(run) % 2 == 0 for run in runs), (width, text)


def test_han_latin_margins_dropped_at_line_edges():
    body = ("<p>" + "洛阳" * 11 + '<span class="latin han-before han-after">Luoyang</span>'
            + "龙门" * 30 + "</p>")
    for width in range(40, 90, 2):
        lines = _lines(_document(body, width))
        for text, left, right, content_left, content_right, last in lines:
            if text.startswith("Luoyang"):
                assert abs(left - content_left) <= TOLERANCE, (width, text)


def test_adjacent_punctuation_takes_one_and_a_half_em():
    def width_of(text):
        document = _document(f'<p style="text-indent:0;text-align:left">{text}</p>', 150)
        (_, left, right, *_), = _lines(document)
        return right - left

    em = 10 * 96 / 72  # 10pt in CSS pixels, the unit of WeasyPrint's boxes
    assert width_of("中。”中") == pytest.approx(3.5 * em, abs=0.3)
    assert width_of("中”，“中") == pytest.approx(4.0 * em, abs=0.3)  # two pairs, 2 × 1.5 + 2
    assert width_of("中，中") == pytest.approx(3 * em, abs=0.3)


def test_text_stays_extractable_without_joiners(tmp_path):
    cjk_layout.install()
    html = ('<html lang="zh-Hans"><style>@page { size: 52mm 300mm; margin: 5mm } body {'
            ' font-family: "Noto Serif CJK SC"; font-size: 10pt; text-align: justify }</style>'
            f"<p>{cjk_layout.protect_text('', PARAGRAPH)}</p></html>")
    pdf = tmp_path / "p.pdf"
    weasyprint.HTML(string=html).write_pdf(pdf)
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert WJ not in text
    assert re.sub(r"\s+", "", text) == PARAGRAPH


def test_non_chinese_documents_are_laid_out_as_weasyprint_does():
    cjk_layout.install()
    html = ('<html lang="en"><style>@page { size: 60mm 300mm; margin: 5mm } body {'
            ' font-size: 10pt; text-align: justify }</style><p>' + "word " * 80 + "</p></html>")
    lines = _lines(weasyprint.HTML(string=html).render())
    for text, left, right, content_left, content_right, last in lines[:-1]:
        assert abs(right - content_right) <= TOLERANCE  # WeasyPrint's own space stretching


# --- text-level pieces -----------------------------------------------------------------------


@pytest.mark.parametrize("text, expected", [
    ("中文，中文", f"中文{WJ}，中文"),
    ("他说“好”。", f"他说“{WJ}好{WJ}”{WJ}。"),
    ("《书》", f"《{WJ}书{WJ}》"),
    ("碑——站", "碑——站"),
    ("中文……", f"中文{WJ}……"),
    ("列夫·托尔斯泰", f"列夫{WJ}·托尔斯泰"),
    ("a , b", "a , b"),
])
def test_protect_text(text, expected):
    assert cjk_layout.protect_text("", text) == expected


def test_protect_text_across_nodes():
    assert cjk_layout.protect_text("文", "，后") == f"{WJ}，后"
    assert cjk_layout.protect_text(" ", "，后") == "，后"


@pytest.mark.parametrize("text, expected", [
    ("中。”中", [1]),
    ("中”，“中", [1, 2]),
    ("“《中", [1]),
    ("中，中", []),
    (f"中。{WJ}”", [1]),
])
def test_compressed_indexes(text, expected):
    assert cjk_layout.compressed_indexes(text) == expected


def test_install_refuses_an_unverified_weasyprint(monkeypatch):
    monkeypatch.setattr(weasyprint, "__version__", "71.0")
    with pytest.raises(RuntimeError, match="70.0"):
        cjk_layout.install()


def test_traditional_chinese_punctuation_is_not_compressed():
    document = _document('<p style="text-indent:0;text-align:left">中。」中</p>', 150, "zh-Hant")
    (_, left, right, *_), = _lines(document)
    assert right - left == pytest.approx(4 * 10 * 96 / 72, abs=0.3)


@pytest.mark.parametrize(("html", "expected"), [
    ("<p>一段话说。</p>", f"<p>一段话{WJ}说{WJ}。</p>"),
    ("<p>好，说。</p>", f"<p>好{WJ}，{WJ}说{WJ}。</p>"),
    ("<p>前面<em>强调</em>后</p>", f"<p>前面<em>强调</em>{WJ}后</p>"),
    ("<p>结尾是 Python</p>", f"<p>结尾{WJ}是 Python</p>"),  # the last Han is joined
    ("<p>代码<code>x = 1</code></p>", "<p>代码<code>x = 1</code></p>"),  # ends in code: nothing
    ("<p>说</p>", "<p>说</p>"),  # nothing before it
])
def test_the_last_character_of_a_paragraph_keeps_company(html, expected):
    from lxml import etree

    root = etree.fromstring(f"<div>{html}</div>")
    cjk_layout.protect_line_breaks(root)
    assert etree.tostring(root[0], encoding="unicode") == expected


def test_no_paragraph_ends_with_one_character_alone(tmp_path):
    """At 85 mm (21 characters a line, 19 after the indent) "说。" alone would end the
    paragraph; the joiner brings "话" down with it. Measured on the drawn page."""
    from lxml import etree

    root = etree.fromstring(f"<div><p>{'这' * 38}话说。</p></div>")
    pdf = tmp_path / "p.pdf"
    _document(etree.tostring(root[0], encoding="unicode"), 85).write_pdf(tmp_path / "bare.pdf")
    assert drawn_lines(tmp_path / "bare.pdf")[-1].text == "说。"  # the case is real
    cjk_layout.protect_line_breaks(root)
    _document(etree.tostring(root[0], encoding="unicode"), 85).write_pdf(pdf)
    lines = drawn_lines(pdf)
    assert lines[-1].text == "话说。"
    assert abs(lines[-2].x1 - 80 * MM) <= 0.5  # the line above is spread to the edge
