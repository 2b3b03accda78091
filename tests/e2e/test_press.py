"""End to end: the press PDF (``--format pdf-press``) of real builds, opened and checked.

Each project of ``conftest.E2E_PROJECTS`` is built once (the ``built`` fixture) in every format;
the press PDF is compared with the reading PDF of the same build and checked with luoshu's
PDF/X-4 checker, pikepdf, qpdf and a Ghostscript render.
"""

from __future__ import annotations

import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pikepdf
import pytest
from helpers.projects import artifact

from luoshu.build.stages import build_book
from luoshu.errors import ProjectError
from luoshu.pdf.pdfx_check import pdfx_problems
from luoshu.project.config import load_config

pytestmark = pytest.mark.e2e
MM = 72 / 25.4
GS_PROFILES = Path("/usr/share/color/icc/ghostscript")


def boxes(page) -> dict[str, list[float]]:
    return {name: [float(v) for v in page[f"/{name}"]] for name in ("MediaBox", "BleedBox",
                                                                     "TrimBox")}


def size(box: list[float]) -> tuple[float, float]:
    return box[2] - box[0], box[3] - box[1]


def page_characters(path: Path) -> list[Counter]:
    """The characters pdftotext extracts from each page, whitespace aside. Counted, not read in
    order: Ghostscript may write a page's text runs in another order."""
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    return [Counter("".join(page.split())) for page in text.split("\f")]


def outline(document: pikepdf.Pdf) -> list[str]:
    with document.open_outline() as tree:
        return [item.title for item in tree.root]


def test_press_pdf_passes_the_pdfx4_checks_and_qpdf(built):
    _, out = built
    press = artifact(out, "pdf-press")
    assert press.name.endswith("-press.pdf")
    assert pdfx_problems(press) == []
    check = subprocess.run(["qpdf", "--check", str(press)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr


def test_press_pages_are_the_reading_pages_with_bleed_and_marks(built):
    project, out = built
    options = load_config(project).print
    trim = (options.trim_width_mm * MM, options.trim_height_mm * MM)
    bleed = options.bleed_mm * MM
    with pikepdf.open(artifact(out, "pdf")) as reading, \
            pikepdf.open(artifact(out, "pdf-press")) as press:
        assert len(press.pages) == len(reading.pages)
        assert outline(press) == outline(reading)  # every section's bookmark survives
        assert str(press.Root.Lang) == str(reading.Root.Lang)
        assert press.docinfo.Title == reading.docinfo.Title
        for page in press.pages:
            b = boxes(page)
            assert size(b["TrimBox"]) == pytest.approx(trim, abs=0.01)
            assert b["BleedBox"] == pytest.approx([b["TrimBox"][0] - bleed, b["TrimBox"][1] - bleed,
                                                   b["TrimBox"][2] + bleed, b["TrimBox"][3] + bleed],
                                                  abs=0.01)
            # Room for the crop marks outside the bleed, origin at 0, 0.
            assert b["MediaBox"][:2] == [0, 0]
            assert all(m > 2 * bleed for m in (b["BleedBox"][0], b["BleedBox"][1]))
            assert "/All" in repr(page.Resources.get("/ColorSpace", {}))  # registration marks
        intent = press.Root.OutputIntents[0]
        assert intent.S == "/GTS_PDFX" and intent.DestOutputProfile.N == 4
        for page in reading.pages:  # the reading copy: no bleed, no marks
            assert boxes(page)["MediaBox"] == pytest.approx(boxes(page)["TrimBox"], abs=0.01)


def test_press_text_is_the_reading_text(built):
    # Ghostscript garbles multi-character ToUnicode entries ("——", "ff"): luoshu.pdf.tounicode
    # puts the source's maps back, so every page extracts the same characters.
    _, out = built
    assert page_characters(artifact(out, "pdf-press")) == page_characters(artifact(out, "pdf"))


def test_ghostscript_renders_the_press_pdf(built, tmp_path):
    _, out = built
    result = subprocess.run(
        ["gs", "-q", "-dSAFER", "-dBATCH", "-dNOPAUSE", "-sDEVICE=pngalpha", "-r20",
         "-dFirstPage=1", "-dLastPage=3", f"-sOutputFile={tmp_path}/p%d.png",
         str(artifact(out, "pdf-press"))], capture_output=True, text=True)
    assert result.returncode == 0 and not result.stderr, result.stderr
    assert len(list(tmp_path.glob("p*.png"))) == 3


def test_two_press_builds_are_byte_identical(fixture_project, tmp_path, sample_date):
    project = fixture_project("minimal-hans")
    first = build_book(project, tmp_path / "one", ["pdf", "pdf-press"]).artifacts
    second = build_book(project, tmp_path / "two", ["pdf", "pdf-press"]).artifacts
    assert [a.sha256 for a in first] == [a.sha256 for a in second]


def with_print_table(project: Path, lines: str) -> Path:
    toml = project / "book.toml"
    text = toml.read_text(encoding="utf-8")
    toml.write_text(text.replace("[print]", "[print]\n" + lines) if "[print]" in text
                    else text + "\n[print]\n" + lines + "\n", encoding="utf-8")
    return project


def test_the_printers_profile_and_condition(fixture_project, tmp_path):
    project = fixture_project("minimal-hans")
    (project / "profiles").mkdir()
    shutil.copyfile(GS_PROFILES / "ps_cmyk.icc", project / "profiles/printer.icc")
    with_print_table(project, 'press_profile = "profiles/printer.icc"\n'
                              'press_condition = "FOGRA39"\ncrop_marks = false\nbleed_mm = 5')
    build_book(project, tmp_path, ["pdf-press"])
    press = next(tmp_path.glob("*-press.pdf"))
    assert pdfx_problems(press) == []
    with pikepdf.open(press) as document:
        intent = document.Root.OutputIntents[0]
        assert str(intent.OutputConditionIdentifier) == "FOGRA39"
        assert bytes(intent.DestOutputProfile.read_bytes()) == (
            project / "profiles/printer.icc").read_bytes()
        page = document.pages[0]
        assert boxes(page)["MediaBox"] == pytest.approx(boxes(page)["BleedBox"], abs=0.01)
        assert size(boxes(page)["BleedBox"])[0] - size(boxes(page)["TrimBox"])[0] == \
            pytest.approx(10 * MM, abs=0.01)


@pytest.mark.parametrize("setting, words", [
    ('press_profile = "profiles/missing.icc"', "file not found"),
    ('press_profile = "../outside.icc"', "outside the project"),
    ('press_profile = "profiles/screen.icc"', "not a CMYK printer (output) profile"),
])
def test_profile_problems_name_book_toml_and_leave_outputs_alone(fixture_project, tmp_path,
                                                                 setting, words):
    project = fixture_project("minimal-hans")
    (project / "profiles").mkdir()
    shutil.copyfile(GS_PROFILES / "srgb.icc", project / "profiles/screen.icc")
    with_print_table(project, setting)
    (tmp_path / "minimal.pdf").write_bytes(b"earlier build")
    with pytest.raises(ProjectError) as caught:
        build_book(project, tmp_path, ["pdf", "pdf-press"])
    (problem,) = caught.value.problems
    assert problem.path == "book.toml" and problem.line is not None
    assert words in problem.message, problem.message
    assert (tmp_path / "minimal.pdf").read_bytes() == b"earlier build"
