"""The press PDF (luoshu.pdf.press): PDF/X-4, CMYK, crop marks, from WeasyPrint's RGB print PDF.

A small two-page source is written with WeasyPrint directly — black and grey Chinese text, a
red rule, an RGB photo, a radial gradient, an internal link, two headings for bookmarks, and
the metadata luoshu's template sets — and made into a press PDF once per module; most tests
read that file. Ghostscript converts three sources in all (about two seconds each here)
and renders one page.
"""

from __future__ import annotations

import base64
import io
import re
import shutil
import subprocess
from pathlib import Path

import lxml.etree
import pikepdf
import pytest
import weasyprint
from PIL import Image

from luoshu.pdf import pdfx_check, press
from luoshu.pdf import profile as press_profile
from luoshu.pdf.press import press_metadata

MM = 72 / 25.4  # PDF points per millimetre
TRIM_MM = (130, 184)
BLEED_MM = 3
TITLE = "洛水春深"
AUTHOR = "王晓明, 陈静"
DESCRIPTION = "一座古城的新篇章"
KEYWORDS = "时政, 评论"
HEADINGS = ["第一章 春风", "第二章 城市"]
SRGB = Path("/usr/share/color/icc/ghostscript/srgb.icc")
XMP = {"dc": "http://purl.org/dc/elements/1.1/", "pdf": "http://ns.adobe.com/pdf/1.3/",
       "xmp": "http://ns.adobe.com/xap/1.0/", "xmpMM": "http://ns.adobe.com/xap/1.0/mm/",
       "pdfxid": "http://www.npes.org/pdfx/ns/id/",
       "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#"}

pytestmark = pytest.mark.skipif(shutil.which("gs") is None, reason="needs Ghostscript")


def photo_uri() -> str:
    """A small RGB photo (a colour ramp) as a data: URI."""
    image = Image.new("RGB", (64, 48))
    image.putdata([(x * 4, y * 5, 128) for y in range(48) for x in range(64)])
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


SOURCE_HTML = f"""<!DOCTYPE html>
<html lang="zh-Hans"><head><meta charset="utf-8"><title>{TITLE}</title>
<meta name="author" content="{AUTHOR}">
<meta name="description" content="{DESCRIPTION}">
<meta name="keywords" content="{KEYWORDS}">
<meta name="generator" content="luoshu test">
<meta name="dcterms.created" content="2021-09-26T08:00:00+08:00">
<meta name="dcterms.modified" content="2021-09-27T09:30:00+08:00">
<style>
@page {{ size: {TRIM_MM[0]}mm {TRIM_MM[1]}mm; bleed: {BLEED_MM}mm; margin: 20mm }}
body {{ font-family: "Noto Serif CJK SC", serif; font-size: 10.5pt; color: #000 }}
.grey {{ color: #666 }}
hr {{ border: 0; border-top: 2pt solid #c00 }}
.gradient {{ height: 20mm; background: radial-gradient(circle, #fc0, #06c) }}
h1 + h1, .second {{ break-before: page }}
</style></head><body>
<h1>{HEADINGS[0]}</h1>
<p>清晨的洛河水面上泛起薄雾，沿岸的柳树已经吐出新芽。
<a href="#x">见下一章</a></p>
<p class="grey">灰色的图片说明文字。</p>
<hr><img src="{photo_uri()}" style="width: 40mm"><div class="gradient"></div>
<h1 id="x" class="second">{HEADINGS[1]}</h1>
<p>老城的街巷里，青砖灰瓦与新开的书店、咖啡馆比邻而居。</p>
</body></html>"""


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("press")


@pytest.fixture(scope="module")
def source(folder: Path) -> Path:
    path = folder / "book.pdf"
    weasyprint.HTML(string=SOURCE_HTML).write_pdf(path)
    return path


@pytest.fixture(scope="module")
def result(folder: Path, source: Path) -> Path:
    path = folder / "book-press.pdf"
    press.make_press_pdf(source, path, press_profile.default_profile())
    return path


@pytest.fixture(scope="module")
def pdf(result: Path) -> pikepdf.Pdf:
    with pikepdf.open(result) as document:
        yield document


def box(page: pikepdf.Page, key: str) -> list[float]:
    return [float(v) for v in page.obj[key]]


def xmp_tree(document: pikepdf.Pdf) -> lxml.etree._Element:
    return lxml.etree.fromstring(document.Root.Metadata.read_bytes())


def xmp_text(tree: lxml.etree._Element, path: str) -> str:
    return tree.xpath(f"string(//{path})", namespaces=XMP).strip()


def colours_of_text(document: pikepdf.Pdf) -> list[tuple[str, tuple[float, ...]]]:
    """The fill colour (operator, operands) in effect at every text-showing operator."""
    found = []
    for page in document.pages:
        fill, saved = ("g", (0.0,)), []
        for operands, operator in pikepdf.parse_content_stream(page):
            name = str(operator)
            if name == "q":
                saved.append(fill)
            elif name == "Q" and saved:
                fill = saved.pop()
            elif name in ("g", "rg", "k", "sc", "scn"):
                fill = (name, tuple(float(v) for v in operands if not isinstance(v, pikepdf.Name)))
            elif name in ("Tj", "TJ", "'", '"'):
                found.append(fill)
    return found


def mark_segments(page: pikepdf.Page) -> list[tuple[float, float, float, float]]:
    """The lines drawn by the page's last content stream (where crop marks go)."""
    last = page.obj.Contents[-1].read_bytes().decode()
    return [tuple(map(float, m.groups())) for m in re.finditer(
        r"([\d.]+) ([\d.]+) m ([\d.]+) ([\d.]+) l", last)]


# --- The press PDF ----------------------------------------------------------------------------


def test_the_press_pdf_has_no_pdfx_problems(result: Path) -> None:
    assert pdfx_check.pdfx_problems(result) == []


def test_the_source_is_reported_as_rgb_without_an_output_intent(source: Path) -> None:
    problems = pdfx_check.pdfx_problems(source)
    assert any("output intent" in p for p in problems)
    assert any(p.startswith("page 1: ") and "DeviceRGB" in p for p in problems)
    assert any(re.match(r"page 1: image /\S+ is DeviceRGB$", p) for p in problems)
    assert any("Link annotation" in p for p in problems)
    assert any("XMP" in p for p in problems)


def test_pages_have_exact_trim_and_bleed_inside_a_media_box_at_the_origin(pdf) -> None:
    width, height = (size * MM for size in TRIM_MM)
    for page in pdf.pages:
        trim, bleed, media = (box(page, key) for key in ("/TrimBox", "/BleedBox", "/MediaBox"))
        assert trim[2] - trim[0] == pytest.approx(width, abs=0.01)
        assert trim[3] - trim[1] == pytest.approx(height, abs=0.01)
        expected = [trim[0] - BLEED_MM * MM, trim[1] - BLEED_MM * MM,
                    trim[2] + BLEED_MM * MM, trim[3] + BLEED_MM * MM]
        assert bleed == pytest.approx(expected, abs=0.01)
        assert media[:2] == [0, 0]
        # Room for the marks outside the bleed: offset 3 mm + 5 mm marks + clearance.
        assert media[2] >= bleed[2] + 5 * MM and bleed[0] >= 5 * MM
        assert "/CropBox" not in page.obj and "/ArtBox" not in page.obj


def test_black_text_prints_on_the_k_plate_only(pdf) -> None:
    colours = colours_of_text(pdf)
    assert ("g", (0.0,)) in colours  # the body text: DeviceGray black
    assert any(name == "g" and value[0] == pytest.approx(0.4, abs=0.01)
               for name, value in colours)  # the grey caption: a K tint
    rich = [value for name, value in colours if name == "k" and all(v > 0 for v in value)]
    assert rich == []  # no four-colour text


def test_coloured_content_became_cmyk(pdf) -> None:
    images = [obj for obj in pdf.objects if isinstance(obj, pikepdf.Stream)
              and obj.get("/Subtype") == "/Image"]
    photo = [image for image in images if (image.Width, image.Height) == (64, 48)]
    assert len(photo) == 1
    space = photo[0].ColorSpace
    assert space == "/DeviceCMYK" or (space[0] == "/ICCBased" and space[1].N == 4)
    # The red rule: a CMYK fill with (mostly) magenta and yellow.
    operators = [(str(op), [float(v) for v in args]) for args, op in
                 pikepdf.parse_content_stream(pdf.pages[0]) if str(op) in ("k", "rg")]
    assert not [args for op, args in operators if op == "rg"]
    assert any(args[1] > 0.9 and args[2] > 0.9 and args[0] < 0.3 for op, args in operators)


def test_crop_marks_are_in_registration_colour_outside_the_bleed(pdf) -> None:
    for page in pdf.pages:
        spaces = page.obj.Resources.ColorSpace
        registration = [s for s in spaces.values() if isinstance(s, pikepdf.Array)
                        and s[0] == "/Separation" and s[1] == "/All"]
        assert len(registration) == 1
        assert registration[0][2] == "/DeviceCMYK"
        segments = mark_segments(page)
        assert len(segments) == 8
        x0, y0, x1, y1 = box(page, "/BleedBox")
        trim = box(page, "/TrimBox")
        for sx, sy, ex, ey in segments:
            assert abs((ex - sx) + (ey - sy)) == pytest.approx(5 * MM, abs=0.01)
            for x, y in ((sx, sy), (ex, ey)):  # never inside the bleed
                assert not (x0 + 0.01 < x < x1 - 0.01 and y0 + 0.01 < y < y1 - 0.01)
            # Each mark continues a trim line.
            assert (sx == ex and round(sx, 2) in (round(trim[0], 2), round(trim[2], 2))) or (
                sy == ey and round(sy, 2) in (round(trim[1], 2), round(trim[3], 2)))


def test_without_crop_marks_the_media_box_is_the_bleed(folder: Path, source: Path) -> None:
    path = folder / "no-marks.pdf"
    press.make_press_pdf(source, path, press_profile.default_profile(), crop_marks=False)
    assert pdfx_check.pdfx_problems(path) == []
    with pikepdf.open(path) as document:
        for page in document.pages:
            assert box(page, "/MediaBox") == pytest.approx(box(page, "/BleedBox"), abs=0.01)
            assert box(page, "/MediaBox")[:2] == [0, 0]
        assert b"/All" not in path.read_bytes()


def test_bookmarks_are_kept_and_links_removed(pdf, source: Path) -> None:
    with pikepdf.open(source) as original, original.open_outline() as outline:
        source_titles = [item.title for item in outline.root]
    with pdf.open_outline() as outline:
        titles = [item.title for item in outline.root]
        assert all(item.destination is not None and item.action is None
                   for item in outline.root)
    assert titles == source_titles == HEADINGS
    assert all("/Annots" not in page.obj for page in pdf.pages)


def test_language_and_info_come_from_the_source(pdf, source: Path) -> None:
    assert str(pdf.Root.Lang) == "zh-Hans"
    with pikepdf.open(source) as original:
        for key in ("/Title", "/Author", "/Subject", "/Keywords", "/Creator", "/Producer"):
            assert str(pdf.docinfo[key]) == str(original.docinfo[key])
    assert str(pdf.docinfo.Title) == TITLE and str(pdf.docinfo.Author) == AUTHOR
    assert str(pdf.docinfo.CreationDate) == "D:20210926080000+08'00'"
    assert str(pdf.docinfo.ModDate) == "D:20210927093000+08'00'"
    assert pdf.docinfo.Trapped == pikepdf.Name("/False")
    assert "Ghostscript" not in str(pdf.docinfo.get("/Producer"))


def test_xmp_says_what_info_says(pdf) -> None:
    stream = pdf.Root.Metadata
    assert stream.Type == "/Metadata" and stream.Subtype == "/XML"
    assert "/Filter" not in stream  # uncompressed, so prepress tools can read it
    tree = xmp_tree(pdf)
    assert xmp_text(tree, "dc:title/rdf:Alt/rdf:li") == TITLE
    assert xmp_text(tree, "dc:creator/rdf:Seq/rdf:li") == AUTHOR
    assert xmp_text(tree, "dc:description/rdf:Alt/rdf:li") == DESCRIPTION
    assert xmp_text(tree, "pdf:Keywords") == KEYWORDS
    assert xmp_text(tree, "pdf:Producer") == str(pdf.docinfo.Producer)
    assert xmp_text(tree, "xmp:CreatorTool") == "luoshu test"
    assert xmp_text(tree, "pdf:Trapped") == "False"
    assert xmp_text(tree, "xmp:CreateDate") == "2021-09-26T08:00:00+08:00"
    assert xmp_text(tree, "xmp:ModifyDate") == "2021-09-27T09:30:00+08:00"
    assert xmp_text(tree, "xmp:MetadataDate") == "2021-09-27T09:30:00+08:00"
    assert xmp_text(tree, "pdfxid:GTS_PDFXVersion") == "PDF/X-4"
    for name in ("DocumentID", "InstanceID"):
        assert re.fullmatch(r"uuid:[0-9a-f-]{36}", xmp_text(tree, f"xmpMM:{name}"))


def test_output_intent_carries_the_profile(pdf) -> None:
    profile = press_profile.default_profile()
    (intent,) = pdf.Root.OutputIntents
    assert intent.S == "/GTS_PDFX" and intent.Type == "/OutputIntent"
    assert str(intent.OutputConditionIdentifier) == profile.condition == "Custom"
    assert str(intent.Info) == profile.info and str(intent.RegistryName) == "http://www.color.org"
    assert intent.DestOutputProfile.N == 4
    assert intent.DestOutputProfile.read_bytes() == profile.icc
    assert pdf.pdf_version >= "1.6" and not pdf.is_encrypted


def test_two_runs_give_the_same_bytes(folder: Path, source: Path, result: Path) -> None:
    again = folder / "again.pdf"
    press.make_press_pdf(source, again, press_profile.default_profile())
    assert again.read_bytes() == result.read_bytes()


def test_a_page_renders(folder: Path, result: Path, pdf) -> None:
    """Ghostscript draws the page: dark text inside the trim, marks in the slug."""
    png = folder / "page1.png"
    subprocess.run(["gs", "-q", "-dSAFER", "-dBATCH", "-dNOPAUSE", "-sDEVICE=png16m", "-r72",
                    "-dFirstPage=1", "-dLastPage=1", f"-sOutputFile={png}", str(result)],
                   check=True, timeout=60)
    with Image.open(png) as image:
        media = box(pdf.pages[0], "/MediaBox")
        assert image.size == (round(media[2]), round(media[3]))
        grey = image.convert("L")
        trim = box(pdf.pages[0], "/TrimBox")
        top = media[3] - trim[3]  # image rows run downward
        text_area = grey.crop((round(trim[0]) + 57, round(top) + 57, round(trim[2]) - 57,
                               round(top) + 200))
        assert text_area.getextrema()[0] < 80  # black text
        # The top-left horizontal mark: on the trim line, left of the bleed.
        mark = grey.crop((0, round(top) - 2, round(trim[0]) - 8, round(top) + 2))
        assert mark.getextrema()[0] < 128
        assert grey.crop((0, 0, round(trim[0]) - 8, round(top) - 8)).getextrema()[0] == 255


def test_a_source_without_dates_takes_source_date_epoch(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No dates in the source: SOURCE_DATE_EPOCH, never the clock; no title: the file name."""
    bare = tmp_path / "bare.pdf"
    with pikepdf.new() as document:
        document.add_blank_page()
        document.save(bare)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1632614400")
    with pikepdf.open(bare) as original:
        info, xmp = press_metadata(original, bare, "0" * 64, press_profile.default_profile(),
                                   True, None)
    assert str(info.CreationDate) == str(info.ModDate) == "D:20210926000000Z"
    assert str(info.Title) == "bare"
    tree = lxml.etree.fromstring(xmp[xmp.index(b"<x:xmpmeta"):xmp.index(b"<?xpacket end")])
    assert xmp_text(tree, "xmp:CreateDate") == "2021-09-26T00:00:00Z"
    assert xmp_text(tree, "dc:title/rdf:Alt/rdf:li") == "bare"


# --- The checker ------------------------------------------------------------------------------


def _rgb_image(document: pikepdf.Pdf) -> None:
    page = document.pages[1]
    image = document.make_stream(b"\xff\x00\x00", Type=pikepdf.Name.XObject, Width=1,
                                 Height=1, Subtype=pikepdf.Name.Image, BitsPerComponent=8,
                                 ColorSpace=pikepdf.Name.DeviceRGB)
    page.obj.Resources.XObject = pikepdf.Dictionary(Im9=image)
    page.obj.Contents.append(document.make_stream(b"q 10 0 0 10 50 50 cm /Im9 Do Q"))


def _unembedded_font(document: pikepdf.Pdf) -> None:
    for obj in document.objects:
        if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == "/FontDescriptor":
            for key in ("/FontFile", "/FontFile2", "/FontFile3"):
                if key in obj:
                    del obj[key]


def _link(document: pikepdf.Pdf) -> None:
    document.pages[1].obj.Annots = document.make_indirect(pikepdf.Array([pikepdf.Dictionary(
        Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Link, Rect=[0, 0, 10, 10])]))


def _set(key: str, value: object):
    def change(document: pikepdf.Pdf) -> None:
        document.trailer.Info[key] = value
    return change


MUTATIONS = {
    "old version": (lambda d: None, {"force_version": "1.4"}, "PDF version 1.4"),
    "no output intent": (lambda d: d.Root.__delattr__("OutputIntents"), {}, "output intent"),
    "no trim box": (lambda d: d.pages[0].obj.__delitem__("/TrimBox"), {},
                    "page 1: has no TrimBox"),
    "trapped unknown": (_set("/Trapped", pikepdf.Name.Unknown), {}, "Trapped"),
    "titles differ": (_set("/Title", "别的书名"), {}, "dc:title does not match"),
    "dates differ": (_set("/ModDate", "D:20200101000000Z"), {}, "ModifyDate does not match"),
    "open action": (lambda d: d.Root.__setattr__("OpenAction", pikepdf.Array([0])), {},
                    "/OpenAction"),
    "rgb image": (_rgb_image, {}, "page 2: image /Im9 is DeviceRGB"),
    "rgb colour": (lambda d: d.pages[0].obj.Contents.append(d.make_stream(b"1 0 0 rg")), {},
                   "page 1: draws in DeviceRGB (1 colour operator)"),
    "unembedded font": (_unembedded_font, {}, "is not embedded"),
    "link": (_link, {}, "page 2: has 1 Link annotation"),
    "encrypted": (lambda d: None, {"encryption": pikepdf.Encryption(owner="o", user="")},
                  "encrypted"),
}


@pytest.mark.parametrize("name", MUTATIONS)
def test_the_checker_finds_each_problem(name: str, result: Path, tmp_path: Path) -> None:
    mutate, save_options, expected = MUTATIONS[name]
    changed = tmp_path / "changed.pdf"
    with pikepdf.open(result) as document:
        mutate(document)
        document.save(changed, **save_options)
    problems = pdfx_check.pdfx_problems(changed)
    assert any(expected in problem for problem in problems), problems


# --- Failures ---------------------------------------------------------------------------------


def test_an_rgb_profile_is_refused() -> None:
    with pytest.raises(press_profile.PressError, match=r"not a CMYK printer \(output\) profile: "
                                               r"its colour space is RGB"):
        press_profile.load_profile(SRGB)


def test_a_file_that_is_no_profile_is_refused(tmp_path: Path) -> None:
    fake = tmp_path / "fake.icc"
    fake.write_bytes(b"not a profile" * 20)
    with pytest.raises(press_profile.PressError, match="not an ICC profile"):
        press_profile.load_profile(fake)
    with pytest.raises(press_profile.PressError, match="cannot read"):
        press_profile.load_profile(tmp_path / "missing.icc")


def test_profiles_load_with_their_description_and_condition() -> None:
    profile = press_profile.default_profile()
    assert profile.icc[16:20] == b"CMYK" and profile.icc[12:16] == b"prtr"
    assert profile.condition == "Custom" and profile.info
    named = press_profile.load_profile(profile.path, "FOGRA39")
    assert named.condition == "FOGRA39" and named.info == profile.info


def test_missing_ghostscript_is_explained_and_changes_nothing(
        tmp_path: Path, source: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    destination = tmp_path / "book-press.pdf"
    destination.write_bytes(b"an earlier press PDF")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(press_profile.PressError, match="apt-get install ghostscript"):
        press.make_press_pdf(source, destination, press_profile.default_profile())
    assert destination.read_bytes() == b"an earlier press PDF"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["book-press.pdf"]


def test_crop_marks_inside_the_bleed_are_refused(tmp_path: Path, source: Path) -> None:
    with pytest.raises(press_profile.PressError, match="bleed"):
        press.make_press_pdf(source, tmp_path / "x.pdf", press_profile.default_profile(),
                             mark_offset_mm=1)
    assert list(tmp_path.iterdir()) == []


def test_a_damaged_source_fails_cleanly(tmp_path: Path) -> None:
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.7\nnot really")
    destination = tmp_path / "out.pdf"
    destination.write_bytes(b"earlier")
    with pytest.raises(press_profile.PressError):
        press.make_press_pdf(broken, destination, press_profile.default_profile())
    assert destination.read_bytes() == b"earlier"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.pdf", "out.pdf"]
