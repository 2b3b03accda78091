"""luoshu.fonts.quotes: the marks a role's first face draws wrong, borrowed from a later face —
and, measured on the written PDF, the caption's quotation marks a full em wide."""

from __future__ import annotations

import itertools

import pdfplumber
from helpers.projects import MINIMAL_HANS, TRADITIONAL_HANT

from luoshu.build import build_book
from luoshu.fonts.quotes import borrowed_marks, borrowed_marks_css
from luoshu.project.load import load_book


def test_kai_captions_borrow_full_width_quotes_from_the_song():
    book, _ = load_book(MINIMAL_HANS)
    family, marks = borrowed_marks(book.fonts.caption, "Hans")
    assert family == "Noto Serif CJK SC" and marks == set("“”‘’")
    assert borrowed_marks(book.fonts.body, "Hans") is None  # the Song's own are right
    assert 'figcaption .borrowed-mark' in borrowed_marks_css(book.fonts, "Hans")


def test_a_traditional_book_borrows_centred_punctuation_too():
    book, _ = load_book(TRADITIONAL_HANT)
    family, marks = borrowed_marks(book.fonts.caption, "Hant")
    assert family == "Noto Serif CJK TC"
    assert set("，。、；：！？") <= marks


def test_printed_caption_quotes_are_a_full_em(tmp_path):
    project = tmp_path / "book"
    project.mkdir()
    (project / "book.toml").write_text('[book]\ntitle = "书"\nlanguage = "zh-Hans"\n',
                                       encoding="utf-8")
    (project / "manuscript").mkdir()
    (project / "manuscript/01.md").write_text(
        '# 题\n\n正文。\n\n![党员](p.png "党员闻“汛”而动")\n', encoding="utf-8")
    from PIL import Image

    Image.new("RGB", (1800, 1200), (90, 120, 160)).save(project / "manuscript/p.png")
    build_book(project, tmp_path / "out", ["pdf"])
    with pdfplumber.open(tmp_path / "out/book.pdf") as pdf:
        chars = [c for page in pdf.pages for c in page.chars]
    quotes = [(c, after) for c, after in itertools.pairwise(chars) if c["text"] in "“”"]
    assert quotes
    for quote, after in quotes:
        assert abs((after["x0"] - quote["x0"]) - quote["size"]) < 0.2  # one em, not 0.35
