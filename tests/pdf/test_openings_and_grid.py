"""[print] openings and grid, measured on written PDFs: where sections open (a recto, any new
page, run on), and the text block snapped to whole characters and lines (版心: 每行 N 字 ×
每页 M 行), the drawn lines holding exactly that many characters at that pitch."""

from __future__ import annotations

import itertools
from pathlib import Path

import pikepdf
import pytest
from helpers.pdf_pages import drawn_lines

from luoshu.build import build_book
from luoshu.project.load import load_book

pytestmark = pytest.mark.e2e

HAN = "洛阳城里春光好河水长流向东方古都新貌日日不同"  # no punctuation: every line full


def project(make_project, root: Path, print_options: str) -> Path:
    sections = {f"manuscript/0{n}.md": f"# 第{n}章\n\n" + "\n\n".join(
        HAN * (4 + n) + "。" for _ in range(3 + 2 * n)) + "\n" for n in range(1, 5)}
    return make_project(root, {**sections, "book.toml": (
        '[book]\ntitle = "版式"\nlanguage = "zh-Hans"\nauthors = ["测试"]\n'
        f'date = "2024-01-01"\n\n[print]\n{print_options}\n')})


def openings(pdf: Path) -> list[int]:
    """The 1-based page each bookmark (a section) opens on."""
    with pikepdf.open(pdf) as document:
        pages = {page.objgen: n for n, page in enumerate(document.pages, start=1)}
        with document.open_outline() as outline:
            return [pages[item.destination[0].objgen] for item in outline.root
                    if item.destination is not None]


def build(make_project, tmp_path: Path, name: str, options: str) -> tuple[Path, Path]:
    root = project(make_project, tmp_path / name, options)
    build_book(root, tmp_path / f"{name}-out", ["pdf"])
    return root, next((tmp_path / f"{name}-out").glob("*.pdf"))


def test_sections_open_on_rectos_any_page_or_run_on(make_project, tmp_path):
    _, recto = build(make_project, tmp_path, "recto", 'openings = "recto"')
    _, any_page = build(make_project, tmp_path, "any", 'openings = "any"')
    _, run_on = build(make_project, tmp_path, "run-on", 'openings = "run-on"')
    rectos, anys, runs = openings(recto), openings(any_page), openings(run_on)
    assert len(rectos) == len(anys) == len(runs) >= 4
    assert all(page % 2 == 1 for page in rectos)  # odd pages are rectos
    assert any(page % 2 == 0 for page in anys)  # a verso too: no blank page before it
    assert all(b > a for a, b in itertools.pairwise(anys))
    assert len(set(runs)) < len(runs)  # run on: a section opens on the page the last ends on
    with pikepdf.open(recto) as r, pikepdf.open(any_page) as a, pikepdf.open(run_on) as o:
        assert len(r.pages) >= len(a.pages) >= len(o.pages)


@pytest.mark.parametrize("trim", ["16k", "32k", "a5"])
def test_lines_hold_the_grids_characters_at_its_pitch(make_project, tmp_path, trim):
    root, pdf = build(make_project, tmp_path, trim, f'trim = "{trim}"\ngrid = true')
    options = load_book(root)[0].config.print
    body = options.font_size_pt
    lines = [line for line in drawn_lines(pdf) if abs(line.size - body) < 0.1
             and line.text and all("\u4e00" <= c <= "\u9fff" for c in line.text)]
    width = options.chars_per_line * body
    full = [line for line in lines if abs((line.x1 - line.x0) - width) < body / 2]
    assert len(full) >= 20
    # A line never holds more; one may hold fewer, spaced out, when the paragraph's last
    # characters stay together (no 孤字) and do not fit.
    counts = [len(line.text) for line in full]
    assert max(counts) == options.chars_per_line
    assert counts.count(options.chars_per_line) >= 0.8 * len(counts)
    # Consecutive lines of a page are one pitch apart.
    pitch = body * options.line_height
    gaps = {round(b.baseline - a.baseline, 1) for a, b in itertools.pairwise(lines)
            if a.page == b.page and b.baseline - a.baseline < 1.5 * pitch}
    assert gaps and all(abs(gap - pitch) < 0.2 for gap in gaps)
