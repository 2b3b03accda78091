"""luoshu.layout.footnotes: notes at the foot of the page, numbered ①②③ page by page or
section by section — the rewriting of the print document, and the numbers on the written PDF."""

from __future__ import annotations

import subprocess

import pytest
from lxml import etree

from luoshu.build import build_book
from luoshu.layout.footnotes import circled, to_page_notes


def test_circled_figures():
    assert [circled(n) for n in (1, 20, 21, 35, 36, 50)] == ["①", "⑳", "㉑", "㉟", "㊱", "㊿"]
    assert circled(51) == "(51)"


def test_each_call_becomes_its_note_and_the_list_goes():
    fragment = etree.fromstring(
        '<div><p>正文<sup id="s--fnref-1"><a class="footnote-ref" href="#s--fn-1">1</a></sup>。'
        '</p><div class="footnote"><hr/><ol><li id="s--fn-1"><p>注释<em>文字</em>。 '
        '<a class="footnote-backref" href="#s--fnref-1">↑</a></p></li></ol></div></div>')
    to_page_notes(fragment)
    assert etree.tostring(fragment, encoding="unicode") == (
        '<div><p>正文<span class="print-footnote">注释<em>文字</em>。</span>。</p></div>')


def _project(tmp_path, footnotes: str):
    paragraph = "洛河两岸的街巷里，新开的书店与老茶馆比邻而居，历史与当下在这里相遇。" * 6
    text = "# 注释\n\n" + "\n\n".join(f"{paragraph}第{n}段[^{n}]。" for n in range(1, 13))
    text += "\n\n" + "\n".join(f"[^{n}]: 第{n}条注释。" for n in range(1, 13)) + "\n"
    project = tmp_path / "book"
    (project / "manuscript").mkdir(parents=True)
    (project / "book.toml").write_text(
        f'[book]\ntitle = "注"\nlanguage = "zh-Hans"\n\n[print]\ntrim = "32k"\n'
        f'footnotes = "{footnotes}"\n', encoding="utf-8")
    (project / "manuscript/01.md").write_text(text, encoding="utf-8")
    return project


def _notes_by_page(pdf) -> list[list[str]]:
    count = int(subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True,
                               check=True).stdout.split("Pages:")[1].split()[0])
    pages = []
    for page in range(1, count + 1):
        text = subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), str(pdf), "-"],
                              capture_output=True, text=True, check=True).stdout
        pages.append([line.split()[0] for line in text.splitlines()
                      if line.strip()[:1] and "注释。" in line])
    return [notes for notes in pages if notes]


@pytest.mark.parametrize("by", ["page", "section"])
def test_notes_are_numbered_page_by_page_or_through_the_section(tmp_path, by):
    project = _project(tmp_path, by)
    build_book(project, tmp_path / "out", ["pdf"])
    pages = _notes_by_page(tmp_path / "out/book.pdf")
    assert len(pages) >= 2  # the notes fall on several pages
    numbers = [number for page in pages for number in page]
    if by == "page":
        assert all(page[0] == "①" for page in pages)
        assert all(page == [circled(n) for n in range(1, len(page) + 1)] for page in pages)
    else:
        assert numbers == [circled(n) for n in range(1, 13)]
