"""Reading captions.toml and the photos: placement in sections and the gallery, every
problem reported with its line (captions.toml or the Markdown), caption normalization.

The reading helpers come from test_reader.py.
"""

from __future__ import annotations

import base64
import io
import struct
import warnings
import zlib

import pytest
from helpers.manuscripts import problems_of, read
from lxml import etree
from PIL import Image

CAPTIONS = "manuscript/captions.toml"


def test_photos_attached_at_section_end_and_gallery(tmp_path, make_project, make_image):
    project = make_project(tmp_path, {
        "manuscript/01-a.md": "# 甲\n\n![内](photos/in.jpg \"正文图\")\n\n结尾段落。\n",
        "manuscript/02-b.md": "# 乙\n",
        "manuscript/photos/in.jpg": make_image(),
        "manuscript/photos/a.png": make_image("PNG"),
        "manuscript/photos/b.jpg": make_image(),
        "manuscript/photos/g.jpg": make_image(),
        CAPTIONS: (
            '[[photo]]\nfile = "photos/a.png"\ncaption = "第一张"\nsection = "01-a"\n\n'
            '[[photo]]\nfile = "photos/g.jpg"\ncaption = "图库"\ncredit = "资料"\n\n'
            '[[photo]]\nfile = "photos/b.jpg"\ncaption = "第二张"\nsection = "01-a"\n'
            'alt = "替代文字"\n'),
    })
    manuscript = read(project)
    first, second = manuscript.sections
    assert [p.file for p in first.photos] == ["photos/in.jpg", "photos/a.png", "photos/b.jpg"]
    assert first.images == ("photos/in.jpg", "photos/a.png", "photos/b.jpg")
    assert second.photos == ()
    root = etree.fromstring(f"<div>{first.html}</div>")
    children = list(root)
    assert [c.get("id") for c in children[-2:]] == ["sec-01-a--photo-1", "sec-01-a--photo-2"]
    assert children[-3].tag == "p"  # after the last paragraph
    assert children[-1].find("img").get("alt") == "替代文字"
    (gallery,) = manuscript.gallery
    assert (gallery.file, gallery.caption, gallery.credit, gallery.section) == (
        "photos/g.jpg", "图库", "资料", None)
    assert gallery.source.path == CAPTIONS and gallery.source.line == 6


def test_caption_problems_all_reported_with_header_lines(tmp_path, make_project, make_image):
    project = make_project(tmp_path, {
        "manuscript/01-a.md": "# 甲\n",
        "manuscript/photos/ok.jpg": make_image(),
        "manuscript/photos/bad.jpg": b"\xff\xd8 this is not really a JPEG",
        "manuscript/photos/anim.gif": make_image("GIF"),
        "manuscript/photos/scan.bmp": make_image("BMP"),
        CAPTIONS: (
            "# 图片说明\n"                                             # 1
            "[[photo]]\n"                                             # 2
            'caption = "没有文件"\n'                                   # 3
            "\n"
            "[[photo]]\n"                                             # 5
            "file = 3\n"
            'caption = "文件不是字符串"\n'
            "\n"
            "[[photo]]\n"                                             # 9
            'file = "photos/ok.jpg"\n'
            'caption = "拼错键名"\n'
            'captoin = "x"\n'
            "\n"
            "[[photo]]\n"                                             # 14
            'file = "photos/ok.jpg"\n'
            'caption = "未知章节"\n'
            'section = "99-none"\n'
            "\n"
            "[[photo]]\n"                                             # 19
            'file = "photos/missing.jpg"\n'
            'caption = "文件不存在"\n'
            "\n"
            "[[photo]]\n"                                             # 23
            'file = "photos/bad.jpg"\n'
            'caption = "坏图"\n'
            "\n"
            "[[photo]]\n"                                             # 27
            'file = "photos/anim.gif"\n'
            'caption = "动图"\n'
            "\n"
            "[[photo]]\n"                                             # 31
            'file = "photos/scan.bmp"\n'
            'caption = "位图"\n'
            "\n"
            "[[photo]]\n"                                             # 35
            'file = "photos/ok.jpg"\n'
            'caption = "正常"\n'
        ),
    })
    problems = problems_of(project)
    assert all(p.path == CAPTIONS for p in problems)
    assert sorted((p.line, p.code) for p in problems) == [
        (2, "captions-required"),
        (5, "captions-type"),
        (9, "captions-unknown-key"),
        (14, "captions-section"),
        (19, "resource-missing"),
        (23, "photo-unreadable"),
        (27, "photo-format"),
        (31, "photo-format"),
    ]
    messages = {p.line: p.message for p in problems}
    assert "needs file" in messages[2]
    assert "file must be a string" in messages[5]
    assert "'captoin'" in messages[9] and "did you mean 'caption'?" in messages[9]
    assert "'99-none'" in messages[14] and "01-a" in messages[14]
    assert "photos/missing.jpg" in messages[19]
    assert "JPEG or PNG" in messages[23]
    assert "GIF" in messages[27] and "BMP" in messages[31]


def test_captions_syntax_error(tmp_path, make_project):
    project = make_project(tmp_path, {
        "manuscript/01-a.md": "# 甲\n",
        CAPTIONS: '[[photo]]\nfile = "photos/a.jpg"\ncaption = 未加引号\n'})
    (problem,) = problems_of(project)
    assert problem.code == "captions-syntax"
    assert (problem.path, problem.line) == (CAPTIONS, 3)


def test_captions_unknown_table(tmp_path, make_project):
    project = make_project(tmp_path, {
        "manuscript/01-a.md": "# 甲\n",
        CAPTIONS: '[photos]\nfile = "x"\n'})
    (problem,) = problems_of(project)
    assert problem.code == "captions-unknown-key"
    assert problem.line == 1


def test_captions_in_gb18030(tmp_path, make_project):
    project = make_project(tmp_path, {
        "manuscript/01-a.md": "# 甲\n",
        CAPTIONS: '[[photo]]\nfile = "a.jpg"\ncaption = "图片说明"\n'.encode("gb18030")})
    (problem,) = problems_of(project)
    assert problem.code == "encoding" and problem.path == CAPTIONS


def test_inline_image_problems_point_at_the_markdown_line(tmp_path, make_project):
    project = make_project(tmp_path, {
        "manuscript/01-a.md": ("# 甲\n\n正文。\n\n![缺](photos/none.jpg)\n\n"
                               "![外](http://example.com/a.jpg)\n")})
    problems = sorted((p.path, p.line, p.code) for p in problems_of(project))
    assert problems == [("manuscript/01-a.md", 5, "resource-missing"),
                        ("manuscript/01-a.md", 7, "resource-outside")]


def test_photo_header_with_comment_keeps_lines(tmp_path, make_project, make_image):
    project = make_project(tmp_path, {
        "manuscript/01-a.md": "# 甲\n",
        "manuscript/photos/ok.jpg": make_image(),
        CAPTIONS: ('[[photo]]  # 封面\nfile = "photos/ok.jpg"\ncaption = "一"\n\n'
                   '[[photo]]\nfile = "photos/missing.jpg"\ncaption = "二"\n')})
    (problem,) = problems_of(project)
    assert problem.line == 5


def test_inline_data_uri_image_is_accepted(tmp_path, make_project, make_image):
    uri = "data:image/png;base64," + base64.b64encode(make_image("PNG")).decode()
    project = make_project(tmp_path, {"manuscript/01-a.md": f"# 甲\n\n![点]({uri} \"小图\")\n"})
    (section,) = read(project).sections
    assert section.photos[0].file == uri


def test_captions_and_credits_are_normalized(tmp_path, make_project, make_image):
    project = make_project(tmp_path, {
        "manuscript/01-a.md": "# 甲\n",
        "manuscript/photos/a.jpg": make_image(),
        CAPTIONS: '[[photo]]\nfile = "photos/a.jpg"\ncaption = "党员闻“汛”而动,进行道路清淤"\n'
                  'credit = "摄影:王五"\nalt = "图,一"\n'})
    (photo,) = read(project).gallery
    assert (photo.caption, photo.credit, photo.alt) == (
        "党员闻“汛”而动，进行道路清淤", "摄影：王五", "图,一")


# --- image files: truncated, too large, recognised by their signature -------------------------


def _noise(fmt: str, size=(64, 48), **options) -> bytes:
    buffer = io.BytesIO()
    Image.effect_noise(size, 64).convert("RGB").save(buffer, fmt, **options)
    return buffer.getvalue()


def _png_with_size(width: int, height: int) -> bytes:
    """A PNG whose IHDR claims width × height (its data is one row: the size check comes first)."""
    def chunk(kind, body):
        crc = struct.pack(">I", zlib.crc32(kind + body))
        return struct.pack(">I", len(body)) + kind + body + crc
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 9))
            + chunk(b"IEND", b""))


def _gallery_problem(tmp_path, make_project, name: str, data: bytes):
    project = make_project(tmp_path, {
        "manuscript/01-a.md": "# 甲\n",
        f"manuscript/photos/{name}": data,
        CAPTIONS: f'\n[[photo]]\nfile = "photos/{name}"\ncaption = "图"\nalt = "图"\n'})
    (problem,) = problems_of(project)
    assert (problem.path, problem.line) == (CAPTIONS, 2)
    return problem


@pytest.mark.parametrize("name, data", [
    ("cut.jpg", _noise("JPEG")[:-40]),
    ("cut.png", _noise("PNG")[:-40]),
    ("crc.png", _noise("PNG")[:60] + b"\x00" + _noise("PNG")[61:]),
    ("header.jpg", b"\xff\xd8\xff\xe0\x00"),
])
def test_truncated_or_damaged_photos(tmp_path, make_project, name, data):
    problem = _gallery_problem(tmp_path, make_project, name, data)
    assert problem.code == "photo-truncated"
    assert problem.message.startswith(f"photos/{name} is truncated or corrupt")
    assert problem.message.endswith("re-export it")


def test_too_many_pixels_is_refused_from_the_header(tmp_path, make_project):
    problem = _gallery_problem(tmp_path, make_project, "big.png", _png_with_size(12000, 8000))
    assert problem.code == "photo-too-large"
    assert problem.message == (
        "photos/big.png has 96 megapixels (12000 × 8000 px), more than luoshu accepts (80): "
        "downscale it (1707 px across is enough to print it at 300 dpi)")


def test_limit_is_inclusive(tmp_path, make_project):
    project = make_project(tmp_path, {
        "manuscript/01-a.md": "# 甲\n",
        "manuscript/photos/edge.png": _png_with_size(10000, 8000),  # exactly 80 MP
        CAPTIONS: '[[photo]]\nfile = "photos/edge.png"\ncaption = "图"\nalt = "图"\n'})
    assert read(project).gallery[0].file == "photos/edge.png"


def test_a_multi_picture_jpeg_counts_as_jpeg(tmp_path, make_project):
    second = Image.new("RGB", (2400, 1600), (20, 20, 20))
    project = make_project(tmp_path, {
        "manuscript/01-a.md": "# 甲\n",
        "manuscript/photos/phone.jpg": _noise("MPO", (2400, 1600), save_all=True,
                                              append_images=[second]),
        CAPTIONS: '[[photo]]\nfile = "photos/phone.jpg"\ncaption = "手机"\nalt = "图"\n'})
    with Image.open(project / "manuscript/photos/phone.jpg") as image:
        assert image.format == "MPO"
    assert read(project).gallery[0].file == "photos/phone.jpg"


@pytest.mark.parametrize("width, height, words", [
    (10000, 9500, "is a GIF image: save it as JPEG"),  # over Pillow's warning threshold
    (20000, 20000, "is neither JPEG nor PNG, and too large to open"),  # over its error one
])
def test_large_images_of_other_formats_are_refused_quietly(tmp_path, make_project, width,
                                                           height, words):
    small = io.BytesIO()
    Image.new("P", (4, 4)).save(small, "GIF")
    gif = small.getvalue()[:6] + struct.pack("<HH", width, height) + small.getvalue()[10:]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        problem = _gallery_problem(tmp_path, make_project, "huge.gif", gif)
    assert problem.code == "photo-format" and words in problem.message
    assert not [w for w in caught if issubclass(w.category, Image.DecompressionBombWarning)]
