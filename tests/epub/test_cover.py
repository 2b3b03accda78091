"""The typeset cover (luoshu.epub.cover): size, determinism, colours, line breaking, fonts."""

from __future__ import annotations

import dataclasses
import io
import struct

import pytest
from PIL import Image

from luoshu.epub import cover
from luoshu.epub.cover import PALETTES, palette_for, typeset_cover
from luoshu.fonts.roles import load_fonts, system_faces
from luoshu.model import BookMeta, FontRole

SAMPLE = BookMeta(
    title="擘画新蓝图 开启新征程", language="zh-Hans", identifier="urn:uuid:sample",
    subtitle="——写在市第十二次党代会召开之际",
    authors=("白云飞", "李迎博", "李三旺", "智慧", "孙小蕊"),
)
LONG_TITLE = "关于进一步深化新时代城乡融合发展与乡村全面振兴若干重大问题的调查研究报告汇编"


@pytest.fixture(scope="module")
def hans(tmp_path_factory):
    return load_fonts(tmp_path_factory.mktemp("hans"), "zh-Hans")


@pytest.fixture(scope="module")
def hant(tmp_path_factory):
    return load_fonts(tmp_path_factory.mktemp("hant"), "zh-Hant")


@pytest.fixture(scope="module")
def sample_png(hans) -> bytes:
    return typeset_cover(SAMPLE, hans)


def chunks(png: bytes) -> list[bytes]:
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    kinds, position = [], 8
    while position < len(png):
        (length,) = struct.unpack(">I", png[position:position + 4])
        kinds.append(png[position + 4:position + 8])
        position += 12 + length
    return kinds


def ink_pixels(png: bytes, box: tuple[float, float, float, float]) -> int:
    """Pixels in *box* (fractions of width and height) that are not the ground colour."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    width, height = image.size
    region = image.crop((round(box[0] * width), round(box[1] * height),
                         round(box[2] * width), round(box[3] * height)))
    ground = image.getpixel((width // 2, 2))
    colours = region.getcolors(1 << 20)
    return sum(count for count, colour in colours if colour != ground)


def fixed_palette(monkeypatch, palette=PALETTES[1]):
    monkeypatch.setattr(cover, "palette_for", lambda meta: palette)


# --- the image --------------------------------------------------------------------------------


def test_png_of_the_requested_size_without_metadata(sample_png, hans):
    image = Image.open(io.BytesIO(sample_png))
    assert image.format == "PNG" and image.size == (1600, 2400)
    assert image.mode == "P"  # flat colours: a palette keeps it small
    assert set(chunks(sample_png)) <= {b"IHDR", b"PLTE", b"tRNS", b"IDAT", b"IEND"}
    assert len(sample_png) < 150_000
    small = Image.open(io.BytesIO(typeset_cover(SAMPLE, hans, size=(800, 1200))))
    assert small.size == (800, 1200)


def test_same_book_same_bytes(sample_png, hans):
    assert typeset_cover(SAMPLE, hans) == sample_png


def test_background_is_the_palette_colour(sample_png):
    image = Image.open(io.BytesIO(sample_png)).convert("RGB")
    assert image.getpixel((800, 5)) == palette_for(SAMPLE).ground


def test_titles_pick_different_colours():
    names = {palette_for(dataclasses.replace(SAMPLE, title=f"第{i}本书")).name for i in range(20)}
    assert len(names) >= 3
    assert palette_for(SAMPLE) == palette_for(dataclasses.replace(SAMPLE, subtitle=None))


@pytest.mark.parametrize("palette", PALETTES, ids=[p.name for p in PALETTES])
def test_text_contrasts_with_every_ground(palette):
    assert cover._contrast(palette.text, palette.ground) >= 4.5  # WCAG AA, even for small text


def test_text_is_drawn(sample_png):
    assert ink_pixels(sample_png, (0.15, 0.18, 0.85, 0.34)) > 20_000  # the title
    assert ink_pixels(sample_png, (0.15, 0.58, 0.85, 0.64)) > 2_000  # the byline


def test_long_title_wraps_inside_the_margins(hans, monkeypatch):
    fixed_palette(monkeypatch)
    meta = dataclasses.replace(SAMPLE, title=LONG_TITLE, publisher="洛阳日报社")
    png = typeset_cover(meta, hans)
    # Between the inner frame (6.2 %) and the text block (13 %) nothing is drawn.
    for left, right in ((0.07, 0.125), (0.875, 0.93)):
        assert ink_pixels(png, (left, 0.08, right, 0.92)) == 0
    assert ink_pixels(png, (0.15, 0.15, 0.85, 0.45)) > 20_000


def test_absurdly_long_title_does_not_crash(hans):
    meta = dataclasses.replace(SAMPLE, title=LONG_TITLE * 6, subtitle=LONG_TITLE,
                               authors=tuple(f"作者{i}" for i in range(30)), publisher="出版社")
    assert Image.open(io.BytesIO(typeset_cover(meta, hans))).size == (1600, 2400)


def test_traditional_chinese_book(hant):
    meta = BookMeta(title="洛書樣本：臺灣與香港的「報紙」", language="zh-Hant",
                    identifier="urn:uuid:hant", subtitle="繁體中文封面", authors=("陳大文",),
                    publisher="臺灣商務印書館")
    chooser = cover._FaceChooser(hant)
    assert chooser.faces(hant.heading, 700)[0].family == "Noto Sans CJK TC"
    assert chooser.faces(hant.heading, 700)[0].weight == 700
    png = typeset_cover(meta, hant)
    assert Image.open(io.BytesIO(png)).size == (1600, 2400)
    assert ink_pixels(png, (0.15, 0.18, 0.85, 0.34)) > 10_000


# --- fonts ------------------------------------------------------------------------------------


def test_characters_no_font_has_are_left_out_not_boxes(hans, monkeypatch):
    fixed_palette(monkeypatch)
    plain = dataclasses.replace(SAMPLE, title="测试之书")
    odd = dataclasses.replace(SAMPLE, title="测试\U000f0001之书\U000f0002")
    assert typeset_cover(odd, hans) == typeset_cover(plain, hans)
    nothing = dataclasses.replace(SAMPLE, title="\U000f0001\U000f0002", subtitle=None, authors=())
    assert ink_pixels(typeset_cover(nothing, hans), (0.15, 0.15, 0.85, 0.45)) < 3_000  # the rule


def test_characters_the_role_lacks_come_from_another_house_face(hans, monkeypatch):
    latin = [f for f in system_faces("DejaVu Sans") if f.weight == 700]
    if not latin:
        pytest.skip("DejaVu Sans Bold is not installed")
    fixed_palette(monkeypatch)
    latin_only = dataclasses.replace(hans, heading=FontRole("heading", ("DejaVu Sans",),
                                                             tuple(latin), "sans-serif"))
    meta = dataclasses.replace(SAMPLE, title="洛书 Luoshu", subtitle=None, authors=())
    png = typeset_cover(meta, latin_only)
    latin_png = typeset_cover(dataclasses.replace(meta, title="Luoshu"), latin_only)
    # The Chinese characters are drawn (by the body's Noto Serif CJK), not left out.
    band = (0.1, 0.15, 0.9, 0.3)
    assert ink_pixels(png, band) > ink_pixels(latin_png, band) * 1.3


def test_faces_by_weight(hans):
    chooser = cover._FaceChooser(hans)
    bold = chooser.faces(hans.heading, 700)
    regular = chooser.faces(hans.body, 400)
    assert (bold[0].family, bold[0].weight) == ("Noto Sans CJK SC", 700)
    assert (regular[0].family, regular[0].weight) == ("Noto Serif CJK SC", 400)
    assert len({(f.path, f.index) for f in bold}) == len(bold)  # each face once


# --- line breaking ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def style(hans):
    return cover._Style(cover._FaceChooser(hans).faces(hans.heading, 700), 100, (0, 0, 0))


def lines_of(text: str, style, measure: float, phrases: bool = False) -> list[str]:
    lines, _ = cover._layout(cover._parts(text, style, phrases), style, measure)
    return ["".join(line) for line in lines]


def test_phrases_of_a_title_start_lines(style):
    assert lines_of("擘画新蓝图 开启新征程", style, 2000, phrases=True) == ["擘画新蓝图", "开启新征程"]
    assert lines_of("擘画新蓝图 开启新征程", style, 2000) == ["擘画新蓝图 开启新征程"]
    # A space next to Latin is an ordinary space, not a phrase break.
    assert lines_of("Python 编程", style, 2000, phrases=True) == ["Python 编程"]


def test_lines_are_balanced(style):
    lines = lines_of("一二三四五六七八九十一二三四五六七八九十", style, 1500)
    assert [len(line) for line in lines] == [10, 10]


def test_breaks_prefer_punctuation_and_spaces(style):
    assert lines_of("Python 编程：从入门到实践（第3版）", style, 700) == \
        ["Python 编程：", "从入门到实践", "（第3版）"]
    assert lines_of("千年帝都的春天——洛阳城市更新纪事", style, 1000) == \
        ["千年帝都的春天\u2e3a", "洛阳城市更新纪事"]


def test_no_closing_punctuation_at_a_line_start(style):
    for measure in range(250, 1300, 50):
        for line in lines_of("我们，你们。他们、“它们”（其他）《书名》", style, measure)[1:]:
            assert line[0] not in cover.NOT_AT_LINE_START, (measure, line)
        for line in lines_of("我们，你们。他们、“它们”（其他）《书名》", style, measure)[:-1]:
            assert line[-1] not in cover.NOT_AT_LINE_END, (measure, line)


def test_latin_words_and_dashes_stay_whole(style):
    for measure in range(300, 1200, 100):
        lines = lines_of("报道GDP增长8.5%的Luoshu项目——详情", style, measure)
        text = "|".join(lines)
        for whole in ("GDP", "8.5%", "Luoshu"):
            assert whole in text


def test_line_break_sets_extend_those_of_the_print_layout():
    cjk_layout = pytest.importorskip("luoshu.layout.cjk")
    assert cjk_layout.NOT_AT_LINE_START <= cover.NOT_AT_LINE_START
    assert cjk_layout.NOT_AT_LINE_END == cover.NOT_AT_LINE_END
