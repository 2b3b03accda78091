"""End to end: the print make-up at every trim, measured on the written PDFs.

The sample, the fixtures and the make-up's stress book (tests/fixtures/makeup-stress: photos
of every shape, one after another, at a section's start and end, a long quotation, a list, a
table, footnotes) are built at each GB/T 788 trim luoshu offers. Each PDF is read back:

- the page audit (luoshu.pdf.audit, reading the drawn glyphs and images) finds nothing an
  editor would send back: no ragged line, no 孤字, no hole at a page's foot while the section
  goes on, no page of small photos alone, no photo after the byline;
- no text is lost, doubled or reordered by the photos' moves: every paragraph's opening and
  closing characters are drawn, in the manuscript's order;
- the photos stand in the manuscript's order (their captions, drawn).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import lxml.html
import pytest
from helpers.projects import FIXTURES, REPO, SAMPLE_EPOCH, source_date_epoch

from luoshu.pdf.audit import audit_pdf
from luoshu.project.load import load_book

pytestmark = pytest.mark.e2e

TRIMS = ("16k", "32k", "big32k", "a5", "b5", "a4")
PROJECTS = {
    "sample": REPO,
    "minimal-hans": FIXTURES / "minimal-hans",
    "traditional-hant": FIXTURES / "traditional-hant",
    "makeup-stress": FIXTURES / "makeup-stress",
}
PROJECT_PARTS = ("book.toml", "manuscript", "styles", "fonts")
CASES = [(name, trim) for name in PROJECTS for trim in TRIMS]


def at_trim(source: Path, destination: Path, trim: str) -> Path:
    """A copy of the project *source* whose book.toml asks for *trim*."""
    destination.mkdir(parents=True)
    for part in PROJECT_PARTS:
        path = source / part
        if path.is_dir():
            shutil.copytree(path, destination / part)
        elif path.is_file():
            shutil.copy2(path, destination / part)
    config = destination / "book.toml"
    text = config.read_text(encoding="utf-8")
    if re.search(r"^\[print\]", text, re.MULTILINE):
        text = re.sub(r"^trim\s*=.*\n", "", text, flags=re.MULTILINE)
        text = re.sub(r"^\[print\]\n", f'[print]\ntrim = "{trim}"\n', text, flags=re.MULTILINE)
    else:
        text += f'\n[print]\ntrim = "{trim}"\n'
    config.write_text(text, encoding="utf-8")
    return destination


def _build(project: Path, out: Path) -> Path:
    from luoshu.build import build_book

    with source_date_epoch(SAMPLE_EPOCH):
        build_book(project, out, ["pdf"])
    return next(out.glob("*.pdf"))


@pytest.fixture(scope="module")
def pdfs(tmp_path_factory) -> dict[tuple[str, str], tuple[Path, Path]]:
    """(name, trim) → (project, print PDF): every case built once, two at a time."""
    root = tmp_path_factory.mktemp("makeup")
    projects = {case: at_trim(PROJECTS[case[0]], root / f"{case[0]}-{case[1]}", case[1])
                for case in CASES}
    with ProcessPoolExecutor(max_workers=2) as pool:
        futures = {case: pool.submit(_build, project, project.parent / f"{project.name}-out")
                   for case, project in projects.items()}
        return {case: (projects[case], future.result()) for case, future in futures.items()}


def drawn_text(pdf: Path) -> str:
    """Every glyph drawn, in reading order, without white space or footnote calls."""
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    return re.sub(r"[\s\u2060\u2460-\u2473]", "", text)


def manuscript_order(project: Path) -> tuple[list[str], list[str]]:
    """The book's paragraphs (text, quotations and lists: not captions or notes) and its
    captions, each in the manuscript's order."""
    book, _ = load_book(project)
    paragraphs, captions = [], []
    for section in book.sections:
        root = lxml.html.fromstring(f"<div>{section.html}</div>")
        for call in root.xpath("//sup[a[@class='footnote-ref']]"):
            call.drop_tree()  # printed as ①, dropped from the drawn text too
        for element in root.iter("p", "li", "figcaption"):
            if any(a.tag == "figcaption" or "footnote" in (a.get("class") or "")
                   or a.tag in ("table", "aside") for a in element.iterancestors()):
                continue
            if element.tag == "li" and element.find("p") is not None:
                continue  # its paragraphs count
            text = re.sub(r"[\s\u2060\u2460-\u2473]", "", element.text_content())
            if element.tag == "figcaption":
                caption = element.find(".//span[@class='caption']")
                if caption is not None:
                    captions.append(re.sub(r"\s", "", caption.text_content()))
            elif len(text) >= 8:
                paragraphs.append(text)
    return paragraphs, captions


@pytest.mark.parametrize("case", CASES, ids=[f"{n}-{t}" for n, t in CASES])
def test_the_pages_pass_the_audit(pdfs, case):
    project, pdf = pdfs[case]
    book, _ = load_book(project)
    assert book.config.print.trim == case[1]
    findings = audit_pdf(pdf, book.config.print)
    assert findings == [], "\n".join(str(finding) for finding in findings)


@pytest.mark.parametrize("case", CASES, ids=[f"{n}-{t}" for n, t in CASES])
def test_no_text_is_lost_doubled_or_reordered(pdfs, case):
    project, pdf = pdfs[case]
    drawn = drawn_text(pdf)
    paragraphs, captions = manuscript_order(project)
    assert paragraphs
    at = 0
    for paragraph in paragraphs:
        # Its first and last characters, in order: a photo may stand between them.
        start = drawn.find(paragraph[:8], at)
        assert start >= 0, f"not drawn after what precedes it: {paragraph[:20]}…"
        end = drawn.find(paragraph[-8:], start)
        assert end >= 0, f"its end is not drawn: …{paragraph[-20:]}"
        at = end + 8
    at = 0
    for caption in captions:
        found = drawn.find(caption, at)
        assert found >= 0, f"photo {caption!r} out of the manuscript's order"
        at = found + len(caption)


def test_the_stress_book_had_photos_to_move(pdfs):
    """The stress book is not trivially clean: laid out as written, it has holes the make-up
    closes (tests/pdf/test_audit.py measures them)."""
    project, _ = pdfs[("makeup-stress", "a5")]
    paragraphs, captions = manuscript_order(project)
    assert len(captions) >= 7 and len(paragraphs) >= 20
