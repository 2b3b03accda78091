"""End to end: build real book projects and run the real validators on what comes out.

The sample publication (the repository's own manuscript/) and the fixture projects under
tests/fixtures/ are built once per test session, in both formats, then checked with EPUBCheck,
poppler (pdftotext, pdffonts) and pypdf.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
import weasyprint
from helpers.pagetree import latin_spans, line_boxes
from helpers.projects import E2E_PROJECTS as PROJECTS
from helpers.projects import FIXTURES, REPO, artifact
from lxml import etree
from pypdf import PdfReader

from luoshu.build.stages import build_book
from luoshu.epub.validate import run_ace, run_epubcheck
from luoshu.files.gate import ProjectFiles
from luoshu.layout import cjk as cjk_layout
from luoshu.layout import document as pdf
from luoshu.layout.fetcher import ProjectFetcher
from luoshu.project.config import load_config
from luoshu.project.load import load_book
from luoshu.zh.punctuation import normalize

pytestmark = pytest.mark.e2e

MM = 72 / 25.4
_artifact = artifact  # the fixture "built" and this helper live in conftest.py


def _paragraphs(project: Path) -> list[str]:
    """Plain paragraphs of the manuscript (no Markdown syntax) as the build typesets them
    (punctuation normalized), whitespace removed."""
    config = load_config(project)
    texts = []
    for path in sorted((project / "manuscript").glob("*.md")):
        for block in path.read_text(encoding="utf-8").split("\n\n"):
            block = block.strip()
            if not block or re.search(r"[#`|\[\]*_!{}<>:-]", block):
                continue  # headings, front matter, tables, footnotes, code: not plain text
            if config.typography.normalize_punctuation:
                block = normalize(block, config.book.script, options=config.typography).text
            texts.append(re.sub(r"\s+", "", block))
    return texts


def test_manifest_lists_every_artifact(built):
    _, out = built
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    formats = {entry["format"]: entry for entry in manifest["artifacts"]}
    assert set(formats) == {"epub", "pdf", "pdf-press", "pdfa", "archive"}
    for entry in formats.values():
        assert (out / entry["path"]).stat().st_size == entry["bytes"]


def test_epub_passes_epubcheck_without_errors_or_warnings(built):
    _, out = built
    result = run_epubcheck(_artifact(out, "epub"))
    assert result.ok, str(result)


def test_every_epub_document_declares_its_language(built):
    project, out = built
    language = _language(project)
    with zipfile.ZipFile(_artifact(out, "epub")) as epub:
        documents = [n for n in epub.namelist() if n.endswith(".xhtml")]
        assert documents
        for name in documents:
            root = etree.fromstring(epub.read(name))
            assert root.get("lang") == language, name
            assert root.get("{http://www.w3.org/XML/1998/namespace}lang") == language, name


def test_pdf_has_the_trim_size_and_the_manuscript_text(built):
    project, out = built
    pdf = _artifact(out, "pdf")
    reader = PdfReader(pdf)
    box = reader.pages[0].mediabox
    assert abs(float(box.width) - 185 * MM) < 0.5 and abs(float(box.height) - 260 * MM) < 0.5
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    flat = re.sub(r"\s+", "", text)
    paragraphs = _paragraphs(project)
    assert paragraphs
    missing = [p[:30] for p in paragraphs if p not in flat]
    assert not missing, f"paragraphs not extractable from the PDF: {missing}"


def test_pdf_fonts_are_embedded_subset_cjk_fonts(built):
    _, out = built
    listing = subprocess.run(["pdffonts", str(_artifact(out, "pdf"))], capture_output=True,
                             text=True, check=True).stdout.splitlines()[2:]
    assert listing
    for row in listing:
        assert re.search(r"\byes\s+yes\s+yes\b", row), f"font not embedded+subset: {row}"
        assert "DejaVu" not in row, row


def _language(project: Path) -> str:
    match = re.search(r'^language\s*=\s*"([^"]+)"', (project / "book.toml").read_text("utf-8"),
                      re.MULTILINE)
    assert match
    return match[1]


# --- Chinese typesetting, measured on the laid-out books -------------------------------------

FLUSH = 0.5 * 96 / 72  # 0.5 pt in CSS px, the unit of WeasyPrint's boxes


@pytest.fixture(scope="session", params=sorted(PROJECTS))
def print_layout(request):
    """One project's print layout: WeasyPrint's page tree, before drawing."""
    book, _ = load_book(PROJECTS[request.param])
    cjk_layout.install()
    fetcher = ProjectFetcher(ProjectFiles.of(book.project))
    return weasyprint.HTML(string=pdf.print_html(book), base_url=fetcher.document_url,
                           url_fetcher=fetcher).render()


@pytest.fixture(scope="session")
def laid_out(print_layout):
    """Every line box of the layout."""
    return line_boxes(print_layout)


def test_justified_lines_are_flush_with_both_edges(laid_out):
    justified = [line for line in laid_out if line.justified and not line.last and line.text]
    assert justified
    ragged = [(line.text, round(line.content_right - line.right, 2)) for line in justified
              if abs(line.content_right - line.right) > FLUSH]
    assert not ragged


def test_no_line_starts_or_ends_with_forbidden_punctuation(laid_out):
    for line in laid_out:
        text = line.text.strip()
        assert text[:1] not in cjk_layout.NOT_AT_LINE_START, text
        assert text[-1:] not in cjk_layout.NOT_AT_LINE_END, text


def test_pdftotext_lines_obey_the_line_break_rules(built):
    """The same rules, read back from the written PDF by poppler (independent of WeasyPrint)."""
    _, out = built
    bbox = subprocess.run(["pdftotext", "-bbox-layout", "-enc", "UTF-8",
                           str(_artifact(out, "pdf")), "-"], capture_output=True, text=True,
                          check=True).stdout
    root = etree.fromstring(bbox.encode("utf-8"), etree.XMLParser(recover=True))
    # poppler may cut one printed line in two where a compressed mark's glyph overlaps the
    # next (“”，: halt narrows the advance, not the glyph box): a printed line is every
    # poppler line of a page on the same baseline, read left to right.
    lines = []
    for page in root.iter("{*}page"):
        rows: dict[float, list] = {}
        for line in page.iter("{*}line"):
            rows.setdefault(round(float(line.get("yMax")), 1), []).append(line)
        for _, row in sorted(rows.items()):
            row.sort(key=lambda line: float(line.get("xMin")))
            lines.append("".join(w.text or "" for line in row for w in line.iter("{*}word")))
    assert len(lines) > 10
    for text in lines:
        assert text[:1] not in cjk_layout.NOT_AT_LINE_START, text
        assert text[-1:] not in cjk_layout.NOT_AT_LINE_END, text


def test_han_latin_gaps_are_a_quarter_em_except_at_line_edges(print_layout, request):
    spans = latin_spans(print_layout)
    if "[sample]" in request.node.name:  # the fixtures already space their Latin words
        assert len(spans) >= 3, "the sample sets digits right beside Han (提升3倍, 地铁2号线)"
    for span in spans:
        quarter = span.font_size / 4
        left = 0 if span.starts_line or not span.han_before else quarter
        right = 0 if span.ends_line or not span.han_after else quarter
        assert span.margin_left == pytest.approx(left, abs=0.01), span
        assert span.margin_right == pytest.approx(right, abs=0.01), span


def test_epub_passes_daisy_ace_without_violations(built):
    _, out = built
    result = run_ace(_artifact(out, "epub"))
    assert result.ok, str(result)


# --- EPUB for e-reader download ---------------------------------------------------------------


def test_two_builds_give_byte_identical_epubs(tmp_path, sample_date):
    first = build_book(REPO, tmp_path / "one", ["epub"]).artifacts[0]
    second = build_book(REPO, tmp_path / "two", ["epub"]).artifacts[0]
    assert first.sha256 == second.sha256
    with zipfile.ZipFile(tmp_path / "one" / first.path) as epub:
        infos = epub.infolist()
    assert infos[0].filename == "mimetype" and infos[0].compress_type == zipfile.ZIP_STORED
    assert {info.date_time for info in infos} == {(2021, 9, 26, 0, 0, 0)}


def test_sample_epub_is_small_and_carries_its_fonts(built, request):
    if "[sample]" not in request.node.name:
        pytest.skip("the budget is the sample's")
    _, out = built
    path = _artifact(out, "epub")
    with zipfile.ZipFile(path) as epub:
        photos = sum(i.compress_size for i in epub.infolist()
                     if i.filename.startswith("EPUB/images/") and "cover" not in i.filename)
        fonts = [n for n in epub.namelist() if n.startswith("EPUB/fonts/")]
        opf = epub.read("EPUB/content.opf").decode()
        nav = epub.read("EPUB/nav.xhtml").decode()
    assert path.stat().st_size - photos < 350_000
    assert any("body" in name for name in fonts) and all(n.endswith(".ttf") for n in fonts)
    assert 'properties="cover-image"' in opf and "pageBreakSource" in opf
    assert 'epub:type="page-list"' in nav and 'epub:type="landmarks"' in nav


def test_vertical_epub_is_valid_and_turns_pages_leftward(tmp_path):
    project = tmp_path / "book"
    shutil.copytree(FIXTURES / "minimal-hans", project)
    toml = project / "book.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace(
        "[epub]", '[epub]\nwriting-mode = "vertical-rl"'), encoding="utf-8")
    assert "vertical-rl" in toml.read_text(encoding="utf-8")
    result = build_book(project, project / "dist", ["epub"])
    path = project / "dist" / result.artifacts[0].path
    with zipfile.ZipFile(path) as epub:
        opf = epub.read("EPUB/content.opf").decode()
        css = epub.read("EPUB/style/book.css").decode()
    assert 'page-progression-direction="rtl"' in opf
    assert "writing-mode: vertical-rl" in css
    check = run_epubcheck(path)
    assert check.ok, str(check)
    ace = run_ace(path)
    assert ace.ok, str(ace)
