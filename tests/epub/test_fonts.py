"""Embedded, subset fonts for the EPUB (luoshu.epub.fonts, luoshu.fonts.usage).

The sample book is embedded once per module (subsetting Noto CJK takes seconds): the documents
are those of the sample's real EPUB, so the title page, the navigation document and every
section are checked exactly as a reading system gets them. Which characters each role draws is
tested on hand-written documents in test_font_usage.py.
"""

from __future__ import annotations

import datetime
import io
import posixpath
import zipfile
import zlib
from pathlib import Path

import pytest
import tinycss2
from fontTools.fontBuilder import FontBuilder
from fontTools.pens.boundsPen import BoundsPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTFont
from helpers.epub_books import NOTO, wrap
from helpers.projects import REPO

from luoshu.epub import fonts as epub_fonts
from luoshu.epub.fonts import (
    FEATURES,
    NAME_IDS,
    TYPOGRAPHY_CHARACTERS,
    EmbeddedFonts,
    characters_by_role,
    closest_weight,
    coverage_problems,
    embed_fonts,
    is_invisible,
)
from luoshu.epub.writer import write_epub
from luoshu.fonts.roles import ROLE_SELECTORS
from luoshu.model import FontFace, FontRole, FontSet
from luoshu.project.load import load_book

BUDGET_FONTS = 340_000  # bytes of TrueType for the sample (about 200 KB deflated in the zip)
BUDGET_EPUB = 350_000  # the sample EPUB without its photos (fonts deflated as the zip stores them)


@pytest.mark.parametrize(("wanted", "available", "picked"), [
    (400, [300, 400, 700], 400),
    (400, [300, 500, 700], 500),
    (400, [300, 700], 300),
    (400, [700, 900], 700),
    (700, [400, 900], 900),
    (700, [300, 400], 400),
    (300, [200, 400], 200),
    (300, [400, 700], 400),
])
def test_closest_weight_follows_css_font_matching(wanted, available, picked):
    assert closest_weight(wanted, available) == picked


# --- synthetic fonts: fallbacks, weights, CSS -------------------------------------------------


def make_font(path: Path, family: str, characters: str, weight: int = 400) -> FontFace:
    """A tiny TrueType font with a square glyph for each of *characters*."""
    names = [".notdef"] + [f"uni{ord(c):04X}" for c in characters]
    pen = TTGlyphPen(None)
    pen.moveTo((100, 0))
    pen.lineTo((100, 800))
    pen.lineTo((900, 800))
    pen.lineTo((900, 0))
    pen.closePath()
    square = pen.glyph()
    builder = FontBuilder(1000, isTTF=True)
    builder.setupGlyphOrder(names)
    builder.setupCharacterMap({ord(c): f"uni{ord(c):04X}" for c in characters})
    builder.setupGlyf({name: square for name in names})
    builder.setupHorizontalMetrics({name: (1000, 0) for name in names})
    builder.setupHorizontalHeader(ascent=880, descent=-120)
    builder.setupNameTable({"familyName": family, "styleName": "Bold" if weight >= 700 else
                            "Regular", "copyright": "test copyright",
                            "licenseDescription": "SIL Open Font License 1.1",
                            "licenseInfoURL": "https://openfontlicense.org",
                            "designer": "dropped"})
    builder.setupOS2(usWeightClass=weight)
    builder.setupPost()
    builder.save(str(path))
    return FontFace(family, path, 0, weight, in_project=True)


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory) -> FontSet:
    folder = tmp_path_factory.mktemp("fonts")
    punctuation = "，。 0123456789"
    primary = make_font(folder / "p.ttf", "Primary", "甲乙" + punctuation)
    primary_bold = make_font(folder / "pb.ttf", "Primary", "甲乙丙" + punctuation, 700)
    fallback = make_font(folder / "f.ttf", "Fallback", "乙丙丁，。")
    mono = make_font(folder / "m.ttf", "Mono", "ab")
    return FontSet(
        body=FontRole("body", ("Primary", "Fallback"), (primary_bold, primary, fallback)),
        heading=FontRole("heading", ("Primary",), (primary, primary_bold), "sans-serif"),
        caption=FontRole("caption", ("Fallback",), (fallback,)),
        code=FontRole("code", ("Mono",), (mono,), "monospace"))


def by_path(embedded: EmbeddedFonts) -> dict:
    return {font.path: font for font in embedded.fonts}


def test_characters_the_primary_lacks_go_to_the_fallback(synthetic):
    embedded = embed_fonts(synthetic, [wrap("<p>甲乙丙。</p>")])
    fonts = by_path(embedded)
    assert set(fonts) == {"fonts/body-400.ttf", "fonts/body-fallback1-400.ttf"}
    primary, fallback = fonts["fonts/body-400.ttf"], fonts["fonts/body-fallback1-400.ttf"]
    # The primary keeps what it has (乙 too, which the fallback also has) and the typography's
    # punctuation and digits; the fallback gets only what the primary lacks.
    assert primary.characters == frozenset("甲乙，。 0123456789")
    assert fallback.characters == frozenset("丙")
    assert (primary.family, fallback.family) == ("luoshu body", "luoshu body fallback1")
    assert 'body { font-family: "luoshu body", "luoshu body fallback1", "Primary", "Fallback", ' \
           'serif; }' in embedded.css
    assert coverage_problems(embedded, [wrap("<p>甲乙丙。</p>")]) == []


def test_bold_text_is_cut_from_the_bold_face(synthetic):
    embedded = embed_fonts(synthetic, [wrap("<p>甲<strong>丙</strong></p><h1>乙</h1>")])
    fonts = by_path(embedded)
    assert set(fonts) == {"fonts/body-400.ttf", "fonts/body-700.ttf", "fonts/heading-700.ttf"}
    assert "丙" in fonts["fonts/body-700.ttf"].characters  # the bold face has it: no fallback
    assert fonts["fonts/body-700.ttf"].source.path.name == "pb.ttf"
    assert fonts["fonts/heading-700.ttf"].characters >= {"乙"}


def test_a_character_no_font_has_is_reported(synthetic):
    documents = [wrap("<p>甲戊</p><pre>ab</pre>")]
    embedded = embed_fonts(synthetic, documents)
    problems = coverage_problems(embedded, documents)
    assert len(problems) == 1 and "U+620A" in problems[0] and "body" in problems[0]
    assert "戊" not in set().union(*(f.characters for f in embedded.fonts))
    # Roles without fonts to embed keep their plain rule; code has no typography characters.
    assert by_path(embedded)["fonts/code-400.ttf"].characters == frozenset("ab")


def test_coverage_reads_the_font_files_not_the_claims(synthetic):
    documents = [wrap("<p>甲乙</p>")]
    embedded = embed_fonts(synthetic, documents)
    font = embedded.fonts[0]
    liar = EmbeddedFonts((epub_fonts.EmbeddedFont(
        font.path, embedded.fonts[0].data, font.media_type, font.family, font.weight, font.role,
        font.characters | {"丁"}),), embedded.css)
    assert coverage_problems(liar, [wrap("<p>丁</p>")]) != []


def test_roles_without_text_get_no_font_and_keep_their_rule(synthetic):
    embedded = embed_fonts(synthetic, [wrap("<p>甲</p>")])
    assert [font.role for font in embedded.fonts] == ["body"]
    assert 'figcaption, .caption { font-family: "Fallback", serif; }' in embedded.css
    assert 'pre, code, kbd, samp { font-family: "Mono", monospace; }' in embedded.css


def test_fonts_are_truetype_for_every_reading_system(synthetic):
    embedded = embed_fonts(synthetic, [wrap("<p>甲丙</p>")])
    fonts = by_path(embedded)
    assert set(fonts) == {"fonts/body-400.ttf", "fonts/body-fallback1-400.ttf"}
    assert {font.media_type for font in embedded.fonts} == {"font/ttf"}
    assert all(font.data[:4] == b"\x00\x01\x00\x00" for font in embedded.fonts)
    assert 'src: url("../fonts/body-400.ttf") format("truetype")' in embedded.css
    assert coverage_problems(embedded, [wrap("<p>甲丙</p>")]) == []


def test_narrow_quotes_come_from_a_later_family_with_full_width_ones(tmp_path):
    """A Kai caption face with Latin-width quotes (LXGW WenKai's are 350/1000) leaves “” to the
    role's next family when that one has full-width quotes."""
    kai = make_font(tmp_path / "k.ttf", "Kai", "汛期“”")
    song = make_font(tmp_path / "s.ttf", "Song", "汛期“”")
    font = TTFont(str(kai.path))
    for quote in "“”":
        name = font.getBestCmap()[ord(quote)]
        font["hmtx"][name] = (350, 0)
    font.save(str(kai.path))
    fonts = FontSet(body=FontRole("body", ("Song",), (song,)),
                    heading=FontRole("heading", ("Song",), (song,), "sans-serif"),
                    caption=FontRole("caption", ("Kai", "Song"), (kai, song)),
                    code=FontRole("code", ("Song",), (song,), "monospace"))
    embedded = embed_fonts(fonts, [wrap("<figure><figcaption>“汛期”</figcaption></figure>")])
    caption = {font.family: font for font in embedded.fonts if font.role == "caption"}
    assert caption["luoshu caption"].characters >= {"汛", "期"}
    assert not caption["luoshu caption"].characters & set("“”")
    assert {"“", "”"} <= caption["luoshu caption fallback1"].characters


def test_cff_fonts_are_redrawn_as_truetype():
    """Noto CJK is CFF: KindleGen warns about CFF fonts (W14029), so the subset is TrueType,
    drawing the same shapes (same advance, a bounding box within a unit or two)."""
    face = FontFace("Noto Serif CJK SC", NOTO / "NotoSerifCJK-Regular.ttc", 0)
    if not face.path.exists():
        pytest.skip("needs fonts-noto-cjk")
    roles = FontRole("body", (face.family,), (face,))
    fonts = FontSet(body=roles, heading=roles, caption=roles, code=roles)
    embedded = embed_fonts(fonts, [wrap("<p>永和九年</p>")])
    (font,) = embedded.fonts
    subset = TTFont(io.BytesIO(font.data))
    assert font.path.endswith(".ttf") and "glyf" in subset and "CFF " not in subset
    source = TTFont(str(face.path), fontNumber=0)
    glyph = source.getBestCmap()[ord("永")]
    new = subset.getBestCmap()[ord("永")]
    assert subset["hmtx"][new][0] == source["hmtx"][glyph][0]
    bounds = BoundsPen(source.getGlyphSet())
    source.getGlyphSet()[glyph].draw(bounds)
    box = subset["glyf"][new]
    assert max(abs(a - b) for a, b in zip(bounds.bounds, (box.xMin, box.yMin, box.xMax, box.yMax))) <= 2


def test_name_table_keeps_licence_and_family_names_only(synthetic):
    embedded = embed_fonts(synthetic, [wrap("<p>甲</p>")])
    font = TTFont(io.BytesIO(embedded.fonts[0].data))
    ids = {record.nameID for record in font["name"].names}
    assert {0, 1, 2, 13, 14} <= ids <= set(NAME_IDS)
    assert font["name"].getDebugName(13) == "SIL Open Font License 1.1"


# --- the sample book -----------------------------------------------------------------------


class Sample:
    def __init__(self, tmp: Path):
        self.book, _ = load_book(REPO)
        epub = tmp / "sample.epub"
        write_epub(self.book, epub, datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC))
        with zipfile.ZipFile(epub) as archive:
            self.names = archive.namelist()
            self.by_name = {n: archive.read(n) for n in self.names if n.endswith(".xhtml")}
            self.documents = list(self.by_name.values())
            self.other_bytes = sum(i.compress_size + 30 + 46 + 2 * len(i.filename.encode())
                                   for i in archive.infolist()
                                   if not i.filename.startswith(("EPUB/fonts/", "EPUB/images/"))
                                   or i.filename == "EPUB/images/cover.png")  # photos aside
        self.embedded = embed_fonts(self.book.fonts, self.documents)


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Sample:
    return Sample(tmp_path_factory.mktemp("sample"))


def test_sample_documents_include_title_page_and_navigation(sample):
    assert any(n.endswith("titlepage.xhtml") for n in sample.names)
    assert any(n.endswith("nav.xhtml") for n in sample.names)
    # cover, title page, contents, the sections, the gallery if any
    assert len(sample.documents) == len(sample.book.sections) + 3 + bool(sample.book.gallery)


def test_sample_every_character_is_covered_by_the_embedded_fonts(sample):
    assert coverage_problems(sample.embedded, sample.documents) == []
    # And independently of coverage_problems: every visible character of every document.
    covered = set().union(*(font.characters for font in sample.embedded.fonts))
    for chars in characters_by_role(sample.documents).values():
        assert {c for c in chars if not is_invisible(c)} <= covered
    title = sample.book.meta.title + (sample.book.meta.subtitle or "")
    assert set(title.replace(" ", "")) <= covered


def test_sample_fonts_stay_within_budget(sample):
    for font in sample.embedded.fonts:
        print(f"{font.path}: {len(font.data):,} bytes, {len(font.characters)} characters, "
              f"{font.family} {font.weight} from {font.source.path.name}#{font.source.index}")
    total = sample.embedded.size
    deflated = sum(len(zlib.compress(font.data, 9)) for font in sample.embedded.fonts)
    print(f"fonts: {total:,} bytes ({deflated:,} deflated); EPUB without photos ≈ "
          f"{sample.other_bytes + deflated:,} bytes")
    assert total < BUDGET_FONTS
    assert sample.other_bytes + deflated < BUDGET_EPUB


def test_sample_fonts_are_truetype_with_the_typography_features(sample):
    roles = {font.role for font in sample.embedded.fonts}
    assert {"body", "heading", "caption"} <= roles
    for role in ("body", "heading", "caption"):  # each role's fonts have them all
        assert set(TYPOGRAPHY_CHARACTERS) <= set().union(
            *(font.characters for font in sample.embedded.fonts if font.role == role))
    for font in sample.embedded.fonts:
        assert font.media_type == "font/ttf" and font.data[:4] == b"\x00\x01\x00\x00"
        assert font.path.startswith("fonts/") and font.path.endswith(".ttf")
        ttfont = TTFont(io.BytesIO(font.data))
        assert frozenset(chr(u) for u in ttfont.getBestCmap()) == font.characters
        tags = {record.FeatureTag for table in ("GSUB", "GPOS") if table in ttfont
                for record in ttfont[table].table.FeatureList.FeatureRecord}
        assert tags <= set(FEATURES), tags - set(FEATURES)
        assert "vert" in tags  # vertical punctuation forms
        assert "post" in ttfont and ttfont["post"].formatType == 3.0  # no glyph names
        for table in ("fpgm", "prep", "cvt ", "DSIG"):
            assert table not in ttfont
        # Only the documents' language system (zh-Hans → ZHS) keeps its locl forms.
        for table in ("GSUB", "GPOS"):
            if table in ttfont:
                systems = {lang.LangSysTag.strip()
                           for record in ttfont[table].table.ScriptList.ScriptRecord
                           for lang in record.Script.LangSysRecord}
                assert systems <= {"ZHS"}, systems


def test_sample_fonts_keep_the_source_dates(sample):
    for font in sample.embedded.fonts:
        source = TTFont(font.source.path, fontNumber=font.source.index, lazy=True)
        assert TTFont(io.BytesIO(font.data))["head"].modified == source["head"].modified


def test_sample_css_parses_and_references_every_font(sample):
    rules = tinycss2.parse_stylesheet(sample.embedded.css, skip_comments=True,
                                      skip_whitespace=True)
    assert not [rule for rule in rules if rule.type == "error"]
    faces = [rule for rule in rules
             if rule.type == "at-rule" and rule.lower_at_keyword == "font-face"]
    urls = set()
    for rule in faces:
        declarations = tinycss2.parse_declaration_list(rule.content, skip_comments=True,
                                                       skip_whitespace=True)
        assert not [d for d in declarations if d.type == "error"]
        for declaration in declarations:
            if declaration.lower_name != "src":
                continue
            for token in declaration.value:
                if token.type == "url":
                    urls.add(token.value)
                elif token.type == "function" and token.lower_name == "url":
                    urls.add(next(a.value for a in token.arguments if a.type == "string"))
    resolved = {posixpath.normpath(posixpath.join("style", url)) for url in urls}
    assert resolved == {font.path for font in sample.embedded.fonts}
    assert len(faces) == len(sample.embedded.fonts)
    qualified = {tinycss2.serialize(rule.prelude).strip(): tinycss2.serialize(rule.content)
                 for rule in rules if rule.type == "qualified-rule"}
    assert set(qualified) == set(ROLE_SELECTORS.values())
    assert qualified["body"].strip().startswith('font-family: "luoshu body", "Noto Serif CJK')
    assert '"luoshu heading"' in qualified[ROLE_SELECTORS["heading"]]
    assert '"luoshu caption"' in qualified[ROLE_SELECTORS["caption"]]


def test_embedding_is_deterministic(sample):
    # Two fresh embeddings of the title page and the navigation document (faster than the
    # whole book; nothing in the subsetting depends on the text's length).
    documents = [document for name, document in sample.by_name.items()
                 if name.endswith(("titlepage.xhtml", "nav.xhtml"))]
    assert len(documents) == 2
    first = embed_fonts(sample.book.fonts, documents)
    second = embed_fonts(sample.book.fonts, documents)
    assert [f.data for f in first.fonts] == [f.data for f in second.fonts]
    assert first.css == second.css
    assert first == second
