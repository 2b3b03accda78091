"""End to end: the sample publication's Traditional edition, reviewed as an editor would and
built beside the Simplified one, then checked with EPUBCheck, DAISY Ace, luoshu's PDF/X-4 and
PDF/A-2 checkers, qpdf and poppler.

The sample is copied with ``[editions.zh-Hant]`` (variant s2tw) added; ``luoshu check`` lists
the conversions to review, the test confirms them in ``manuscript/zh-Hant.toml`` as an editor
would — correcting the ones OpenCC gets wrong (新征程, 全市制造业) — and builds.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import zipfile

import pytest
from helpers.projects import REPO, SAMPLE_EPOCH, source_date_epoch
from lxml import etree

from luoshu.build.stages import build_book
from luoshu.check.project import check_project
from luoshu.epub.validate import run_ace, run_epubcheck
from luoshu.pdf.pdfa_check import pdfa_problems
from luoshu.pdf.pdfx_check import pdfx_problems

pytestmark = pytest.mark.e2e

CORRECTIONS = {"新征程": "新征程", "全市制造业": "全市製造業"}


@pytest.fixture(scope="module")
def edition(tmp_path_factory):
    """(project, output folder, check findings before the review, build result)."""
    project = tmp_path_factory.mktemp("sample") / "book"
    project.mkdir()
    shutil.copy(REPO / "book.toml", project / "book.toml")
    shutil.copytree(REPO / "manuscript", project / "manuscript")
    with (project / "book.toml").open("a", encoding="utf-8") as toml:
        toml.write('\n[editions.zh-Hant]\nvariant = "s2tw"\n')
    before = [f for f in check_project(project).findings if f.code == "LS301"]
    # The editor's pass: each item's proposed phrase, confirmed or corrected.
    overrides = {}
    for finding in before:
        phrase, converted = re.search(r'\("(.+?)" = "(.+?)"\)', finding.message).groups()
        overrides[phrase] = converted
    for wrong, right in CORRECTIONS.items():
        overrides = {k: v for k, v in overrides.items() if wrong not in k and k not in wrong}
        overrides[wrong] = right
    (project / "manuscript" / "zh-Hant.toml").write_text(
        "".join(f'"{k}" = "{v}"\n' for k, v in overrides.items()), encoding="utf-8")
    out = tmp_path_factory.mktemp("out")
    with source_date_epoch(SAMPLE_EPOCH):
        result = build_book(project, out, ["epub", "pdf-press", "pdfa"])
    return project, out, before, result


def test_check_listed_the_conversions_to_review(edition):
    _, _, before, _ = edition
    assert len(before) > 10
    assert any(f.path == "book.toml" and "'征' becomes '徵'" in f.message for f in before)
    assert any(f.path.startswith("manuscript/") and f.line and f.column for f in before)


def test_reviewed_edition_builds_without_warnings_beside_the_book(edition):
    project, out, _, result = edition
    assert not [w for w in result.warnings if w.code.startswith("edition")], result.warnings
    assert not [f for f in check_project(project).findings if f.code == "LS301"]
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    paths = {e["path"] for e in manifest["artifacts"]}
    assert {"book.epub", "book-zh-Hant.epub", "book-press.pdf", "book-zh-Hant-press.pdf",
            "book-pdfa.pdf", "book-zh-Hant-pdfa.pdf"} == paths


def test_edition_epub_passes_epubcheck_and_ace(edition):
    _, out, _, _ = edition
    epub = out / "book-zh-Hant.epub"
    check = run_epubcheck(epub)
    assert check.ok, str(check)
    ace = run_ace(epub)
    assert ace.ok, str(ace)


def test_edition_epub_is_traditional_throughout(edition):
    _, out, _, _ = edition
    with zipfile.ZipFile(out / "book-zh-Hant.epub") as epub:
        opf = epub.read("EPUB/content.opf").decode("utf-8")
        assert "<dc:language>zh-Hant-TW</dc:language>" in opf
        assert "開啟新征程" in opf  # the editor's correction, not OpenCC's 新徵程
        text = ""
        for name in epub.namelist():
            if name.endswith(".xhtml"):
                root = etree.fromstring(epub.read(name))
                assert root.get("lang") == "zh-Hant-TW", name
                text += "".join(root.itertext())
        css = "".join(epub.read(n).decode("utf-8") for n in epub.namelist()
                      if n.endswith(".css"))
    assert "目錄" in text and "目录" not in text  # generated pages in Traditional
    assert "全市製造業" in text and "黨建引領" in text
    assert "「" in text and "“" not in text  # corner quotes
    assert "Noto Serif CJK TC" in css


def test_edition_pdfs_pass_the_pdf_checks(edition):
    _, out, _, _ = edition
    press, pdfa = out / "book-zh-Hant-press.pdf", out / "book-zh-Hant-pdfa.pdf"
    assert pdfx_problems(press) == []
    assert pdfa_problems(pdfa) == []
    for path in (press, pdfa):
        check = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr


def test_edition_pdf_is_set_in_traditional_fonts_and_words(edition):
    _, out, _, _ = edition
    pdfa = out / "book-zh-Hant-pdfa.pdf"
    text = subprocess.run(["pdftotext", str(pdfa), "-"], capture_output=True, text=True,
                          check=True).stdout
    text = "".join(text.split())  # the copyright page's labels are spaced out: 開　　本
    assert "開啟新征程" in text and "目錄" in text and "開本" in text
    assert "目录" not in text and "开本" not in text
    fonts = subprocess.run(["pdffonts", str(pdfa)], capture_output=True, text=True,
                           check=True).stdout
    assert "Noto-Serif-CJK-TC" in fonts and "CJK-SC" not in fonts, fonts
