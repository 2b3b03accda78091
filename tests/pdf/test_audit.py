"""The page audit (luoshu.pdf.audit) finds what an editor sends back, on written PDFs made to
have it: a hole at a page's foot (the make-up turned off), ragged lines (flush-left text), a
character alone on a paragraph's last line (the glue turned off), a photo after the byline.
And a build reports them as warnings; ``luoshu check --pdf`` lists them; --strict fails."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers.projects import FIXTURES, image_bytes

from luoshu.build import build_book
from luoshu.cli import main
from luoshu.errors import ProjectError
from luoshu.layout import cjk, typeset
from luoshu.pdf.audit import audit_pdf, measure_lines
from luoshu.project.load import load_book

pytestmark = pytest.mark.e2e

HAN = "洛阳城里春光好河水长流向东方"  # no punctuation: lines break anywhere
# Latin words and numbers, which do not break inside: flush-left lines end short.
MIXED = "洛阳在2021年建成Luoyang Metro地铁，全长25.6 km，设站19座，日均客流约Twelve万人次。"


def audit(project: Path, out: Path) -> Counter:
    result = build_book(project, out, ["pdf"], cache=False)  # the tests change the code
    book, _ = load_book(project)
    findings = audit_pdf(next(out.glob("*.pdf")), book.config.print)
    # The build reported the same findings, as warnings.
    assert Counter(w.code for w in result.warnings if w.code.startswith("page-")) == Counter(
        f"page-{f.code}" for f in findings)
    return Counter(f.code for f in findings)


@pytest.fixture
def stress(tmp_path) -> Path:
    project = tmp_path / "stress"
    shutil.copytree(FIXTURES / "makeup-stress", project)
    with (project / "book.toml").open("a", encoding="utf-8") as config:
        config.write('\n[print]\ntrim = "a5"\n')
    return project


def test_without_the_make_up_the_stress_book_has_holes(stress, tmp_path, monkeypatch):
    monkeypatch.setattr(typeset, "MAX_ROUNDS", 0)  # laid out once, as written
    found = audit(stress, tmp_path / "raw")
    assert found["hole"] >= 2
    monkeypatch.undo()
    assert audit(stress, tmp_path / "made-up") == Counter()


def test_flush_left_text_has_ragged_lines(make_project, tmp_path):
    paragraphs = "\n\n".join(MIXED * 4 for _ in range(4))
    project = make_project(tmp_path / "book", {
        "manuscript/01.md": f"# 一\n\n{paragraphs}\n",
        "styles/ragged.css": "p { text-align: left; }\n",
    })
    found = audit(project, tmp_path / "out")
    assert found["ragged-line"] >= 8  # every line but the paragraphs' last
    measured = measure_lines(tmp_path / "out" / "book.pdf", load_book(project)[0].config.print)
    assert measured.justified - measured.flush == found["ragged-line"]
    assert measured.last_lines == 4 and measured.largest_gap_pt > 0.5


def test_a_character_alone_on_a_last_line_is_found(make_project, tmp_path, monkeypatch):
    book, _ = load_book(make_project(tmp_path / "probe", {"manuscript/01.md": "# 一\n\n甲\n"}))
    per_line = book.config.print.chars_per_line  # the text block is snapped to whole characters
    text = (HAN * 20)[: (per_line - 2) + per_line + 1]  # indented first line, a full one, one more
    project = make_project(tmp_path / "book", {"manuscript/01.md": f"# 一\n\n{text}\n"})
    assert audit(project, tmp_path / "glued") == Counter()  # the build keeps two together
    monkeypatch.setattr(cjk, "glue_paragraph_end", lambda paragraph, skip=(): None)
    assert audit(project, tmp_path / "loose")["widow-character"] == 1


def test_a_photo_after_the_byline_is_found(make_project, tmp_path):
    body = "\n\n".join(HAN * 6 + "。" for _ in range(3))
    project = make_project(tmp_path / "book", {
        "manuscript/01.md": f"# 一\n\n{body}\n\n本报记者 王晓\n{{: .byline}}\n\n"
                            '<figure class="photo"><img src="photos/a.png" alt="河"/>'
                            "<figcaption>河</figcaption></figure>\n",
        "manuscript/photos/a.png": image_bytes(fmt="PNG", size=(300, 200)),
    })
    assert audit(project, tmp_path / "out")["photo-after-byline"] == 1


def test_check_lists_the_findings_and_strict_fails(make_project, tmp_path):
    project = make_project(tmp_path / "book", {
        "manuscript/01.md": "# 一\n\n" + "\n\n".join(MIXED * 4 for _ in range(2)) + "\n",
        "styles/ragged.css": "p { text-align: left; }\n",
    })
    build_book(project, tmp_path / "out", ["pdf"])
    pdf = next((tmp_path / "out").glob("*.pdf"))
    runner = CliRunner()
    result = runner.invoke(main, ["check", str(project), "--pdf", str(pdf)])
    assert result.exit_code == 0, result.output
    assert "ragged-line" in result.output and "page " in result.output
    strict = runner.invoke(main, ["check", str(project), "--pdf", str(pdf), "--strict"])
    assert strict.exit_code == 1
    with pytest.raises(ProjectError) as raised:
        build_book(project, tmp_path / "strict", ["pdf"], strict=True)
    assert any(p.code == "page-ragged-line" for p in raised.value.problems)
    assert not (tmp_path / "strict").exists() or not any((tmp_path / "strict").glob("*.pdf"))
