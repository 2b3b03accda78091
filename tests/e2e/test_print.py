"""End to end: the reading PDF of real builds, opened with pikepdf and poppler.

Each project of ``conftest.E2E_PROJECTS`` is built once (the ``built`` fixture). These tests
check the book's structure on the real thing: bookmarks equal to the sections, contents
numbers equal to the pages sections start on, sections opening on rectos, blank versos with
nothing on them, folios in the body font, page boxes at the trim size.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pikepdf
import pypdf
import pytest
from helpers.projects import artifact

from luoshu.layout.colophon import labels_for
from luoshu.project.load import load_book

pytestmark = pytest.mark.e2e
MM = 72 / 25.4


def band(path: Path, page: int, top_mm: float, height_mm: float, width_mm: float) -> str:
    """pdftotext of a horizontal band of a (1-based) page."""
    args = ["pdftotext", "-r", "72", "-f", str(page), "-l", str(page), "-x", "0",
            "-y", str(int(top_mm * MM)), "-W", str(int(width_mm * MM) + 1),
            "-H", str(int(height_mm * MM)), str(path), "-"]
    return subprocess.run(args, capture_output=True, text=True, check=True).stdout


@pytest.fixture(scope="module")
def reading(built):
    """(book, reading PDF, per page: text block, foot band, whole page text)."""
    project, out = built
    book, _ = load_book(project)
    path = artifact(out, "pdf")
    o = book.config.print
    with pikepdf.open(path) as pdf:
        count = len(pdf.pages)
    pages = []
    for n in range(1, count + 1):
        body = band(path, n, o.margin_top_mm, o.text_height_mm, o.trim_width_mm)
        foot = band(path, n, o.trim_height_mm - o.margin_bottom_mm, o.margin_bottom_mm,
                    o.trim_width_mm).strip()
        whole = band(path, n, 0, o.trim_height_mm, o.trim_width_mm).strip()
        pages.append((body, foot, whole))
    return book, path, pages


def titles(book) -> list[str]:
    names = [section.title for section in book.sections]
    return names + ([labels_for(book)["gallery"]] if book.gallery else [])


def test_bookmarks_are_the_sections(reading):
    book, path, _ = reading
    with pikepdf.open(path) as pdf, pdf.open_outline() as outline:
        assert [item.title for item in outline.root] == titles(book)


def test_contents_numbers_are_the_folios_of_the_opening_pages(reading):
    book, _, pages = reading
    squeeze = lambda text: re.sub(r"\s+", "", text)  # noqa: E731
    toc = next(n for n, (body, _, _) in enumerate(pages)
               if squeeze(body).startswith(labels_for(book)["contents"]))
    entries = re.findall(r"^(.+?)\s*(?:\.\s*){3,}\s*(\d+)$", pages[toc][0], re.MULTILINE)
    assert [squeeze(title) for title, _ in entries] == [squeeze(t) for t in titles(book)]
    for title, number in entries:
        opening = next(n for n, (body, _, _) in enumerate(pages)
                       if n > toc and squeeze(body).startswith(squeeze(title)))
        assert pages[opening][1] == number, title  # the folio printed on that page
        assert opening % 2 == 0, f"{title} opens on page {opening + 1}, a verso"


def test_blank_pages_are_versos_before_an_opening_with_nothing_on_them(reading):
    _, _, pages = reading
    assert len(pages) % 2 == 0  # each leaf has two pages: an odd body ends on a blank verso
    for n, (_, _, whole) in enumerate(pages):
        if not whole:
            before_an_opening = n + 1 < len(pages) and pages[n + 1][2]
            assert n % 2 == 1 and (before_an_opening or n == len(pages) - 1), n + 1


def test_folios_are_set_in_the_body_font(reading):
    book, path, _ = reading
    family = book.fonts.body.faces[0].family.replace(" ", "-")  # "Noto-Serif-CJK-SC"
    bottom = book.config.print.margin_bottom_mm * MM
    folios = []
    for page in pypdf.PdfReader(path).pages:
        def visit(text, cm, tm, font, size):
            y = cm[1] * tm[4] + cm[3] * tm[5] + cm[5]  # the text's origin in page space
            if text.strip().isdigit() and y < bottom:
                folios.append(str(font.get("/BaseFont")))
        page.extract_text(visitor_text=visit)
    assert folios  # the Traditional fixture is short: its body has one folio'd page
    assert all(family in font for font in folios), folios


def test_pages_are_the_trim_size(reading):
    book, path, _ = reading
    o = book.config.print
    with pikepdf.open(path) as pdf:
        for page in pdf.pages:
            box = [float(v) for v in page.TrimBox]
            assert (box[2] - box[0], box[3] - box[1]) == pytest.approx(
                (o.trim_width_mm * MM, o.trim_height_mm * MM), abs=0.01)
