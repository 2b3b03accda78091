"""``luoshu import`` on Word manuscripts made with python-docx: every feature mapped, a
WPS-style file, a named split style, re-imports, and the imported project building clean."""

from __future__ import annotations

import json
import tomllib

import pytest
from click.testing import CliRunner
from helpers.word import full_manuscript, wps_manuscript

from luoshu.check.project import check_project
from luoshu.cli import main
from luoshu.errors import ProjectError
from luoshu.importer.project import RECORD, import_word
from luoshu.project.load import load_book


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    """(project, result) of the full manuscript imported into a new project."""
    folder = tmp_path_factory.mktemp("import")
    document = full_manuscript(folder / "洛水春深.docx")
    project = folder / "book"
    return project, import_word(document, project), document


def section_text(project, prefix: str) -> str:
    [path] = (project / "manuscript").glob(f"{prefix}-*.md")
    return path.read_text(encoding="utf-8")


def test_sections_split_at_heading_1(imported):
    project, result, _ = imported
    names = sorted(p.name for p in (project / "manuscript").glob("*.md"))
    assert names == ["01-洛水春深.md", "02-春风吹拂洛河两岸.md", "03-城市更新与文化传承.md"]
    assert result.sections == 3
    assert section_text(project, "01").startswith("# 洛水春深\n\n金秋时节")


def test_inline_formatting(imported):
    text = section_text(imported[0], "02")
    assert "洛河两岸**柳色新**，*水清了*，学名<i>Salix babylonica</i>，面积3 km<sup>2</sup>。" \
           "[^1]" in text
    assert "## 滨河步道" in text
    assert "- 清晨散步\n- 傍晚下棋" in text and "1. 第一步\n2. 第二步" in text
    assert "| 街区 | 户数 |\n|---|---|\n| 老城 | 1,200 |\n| 新区 | 860 |" in text


def test_footnotes_end_the_section_that_cites_them(imported):
    second, third = section_text(imported[0], "02"), section_text(imported[0], "03")
    assert second.rstrip().endswith("[^1]: 据洛阳市林业局2026年统计。")
    assert "历史与当下相遇\\*注意\\*\\[方括号\\]。[^2]" in third  # Markdown characters escaped
    assert third.rstrip().endswith("[^2]: 方括号是原文所有。")


def test_photos_and_captions(imported):
    project, result, _ = imported
    assert result.photos == 2
    photos = sorted(p.name for p in (project / "manuscript" / "photos").iterdir())
    assert photos == ["洛水春深-01.jpg", "洛水春深-02.jpg"]
    entries = tomllib.loads((project / "manuscript" / "captions.toml").read_text("utf-8"))["photo"]
    assert [(e["file"], e["caption"], e["section"]) for e in entries] == [
        ("photos/洛水春深-01.jpg", "洛河湿地公园", "02-春风吹拂洛河两岸"),  # the 题注 paragraph
        ("photos/洛水春深-02.jpg", "老城街巷一角", "03-城市更新与文化传承")]  # the short line after
    assert all(e["alt"] == "" for e in entries)
    flagged = [w for w in result.warnings if w.code == "import-alt"]
    assert len(flagged) == 2 and flagged[0].path == "manuscript/captions.toml"
    # The long paragraph after the second picture stays text.
    assert "改造完成后，街坊们在巷口摆上桌椅" in section_text(project, "03")
    assert "老城街巷一角" not in section_text(project, "03")


def test_book_toml_from_the_document_properties(imported):
    data = tomllib.loads((imported[0] / "book.toml").read_text(encoding="utf-8"))["book"]
    assert data["title"] == "洛水春深" and data["authors"] == ["王晓明", "陈静"]
    assert str(data["date"]) == "2026-11-20" and data["language"] == "zh-Hans"


def test_imported_project_builds_clean(imported):
    project = imported[0]
    book, warnings = load_book(project)
    assert len(book.sections) == 3 and len(book.photos) == 2
    assert {w.code for w in warnings} <= {"photo-alt", "photo-resolution"}
    findings = check_project(project).findings
    assert not [f for f in findings if f.severity == "error"]
    html = book.sections[1].html
    assert "<em>水清了</em>" in html and "<strong>柳色新</strong>" in html
    assert 'class="footnote' in html and "<table>" in html


def test_reimport_keeps_edited_sections_unless_forced(tmp_path):
    document = full_manuscript(tmp_path / "稿件.docx")
    project = tmp_path / "book"
    import_word(document, project)
    again = import_word(document, project)  # nothing edited: nothing to write
    assert again.written == () and len(again.unchanged) >= 6
    edited = next((project / "manuscript").glob("02-*.md"))
    edited.write_text(edited.read_text(encoding="utf-8") + "\n编辑加的一段。\n", encoding="utf-8")
    captions = project / "manuscript" / "captions.toml"
    captions.write_text(captions.read_text(encoding="utf-8").replace('alt = ""', 'alt = "湿地"', 1),
                        encoding="utf-8")
    with pytest.raises(ProjectError) as error:
        import_word(document, project)
    [problem] = error.value.problems
    assert problem.path == f"manuscript/{edited.name}" and "--force" in problem.message
    assert "编辑加的一段" in edited.read_text(encoding="utf-8")  # untouched
    forced = import_word(document, project, force=True)
    assert f"manuscript/{edited.name}" in forced.written
    assert "编辑加的一段" not in edited.read_text(encoding="utf-8")
    assert 'alt = "湿地"' in captions.read_text(encoding="utf-8")  # the editor's entry stays
    assert json.loads((project / RECORD).read_text(encoding="utf-8"))["稿件.docx"]


def test_import_adds_to_an_existing_project(tmp_path, make_project):
    project = make_project(tmp_path / "book", {
        "manuscript/01-序言.md": "# 序言\n\n已有的一节。\n"})
    before = (project / "book.toml").read_text(encoding="utf-8")
    import_word(full_manuscript(tmp_path / "稿件.docx"), project)
    assert (project / "book.toml").read_text(encoding="utf-8") == before  # the editor's
    names = sorted(p.name for p in (project / "manuscript").glob("*.md"))
    assert names[0] == "01-序言.md" and names[1].startswith("02-")


def test_wps_document(tmp_path):
    document = wps_manuscript(tmp_path / "wps.docx")
    project = tmp_path / "book"
    result = import_word(document, project)
    names = sorted(p.name for p in (project / "manuscript").glob("*.md"))
    assert names == ["01-城乡融合共塑品质生活.md", "02-乡村振兴全面推进.md"]
    first = section_text(project, "01")
    assert "推进以人为核心的*新型城镇化*。" in first
    entries = tomllib.loads((project / "manuscript" / "captions.toml").read_text("utf-8"))["photo"]
    assert entries[0]["caption"] == "地铁2号线车辆试运行"  # its 题注 style
    data = tomllib.loads((project / "book.toml").read_text(encoding="utf-8"))["book"]
    assert data["title"] == "城乡融合" and "authors" not in data  # "Administrator" is no one
    assert result.sections == 2
    load_book(project)


def test_named_split_style(tmp_path):
    document = full_manuscript(tmp_path / "稿件.docx")
    project = tmp_path / "book"
    import_word(document, project, split_style="Heading 2")
    texts = [p.read_text(encoding="utf-8") for p in sorted((project / "manuscript").glob("*.md"))]
    assert any(t.startswith("# 滨河步道") for t in texts)
    assert any("## 春风吹拂洛河两岸" in t for t in texts)  # Heading 1 is a heading inside
    with pytest.raises(ProjectError, match="no paragraph style named '章标题'"):
        import_word(document, tmp_path / "other", split_style="章标题")


def test_formulas_and_tracked_changes_are_named(tmp_path):
    import docx
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    document = docx.Document()
    document.add_heading("公式", level=1)
    paragraph = document.add_paragraph("面积为")
    paragraph._p.append(parse_xml(f'<m:oMath {nsdecls("m")}><m:r><m:t>πr²</m:t></m:r></m:oMath>'))
    paragraph._p.append(parse_xml(
        f'<w:del {nsdecls("w")} w:id="1" w:author="编辑" w:date="2026-11-01T00:00:00Z">'
        "<w:r><w:delText>删去的字</w:delText></w:r></w:del>"))
    path = tmp_path / "formula.docx"
    document.save(path)
    result = import_word(path, tmp_path / "book")
    notices = [w.message for w in result.warnings if w.code == "import-left-out"]
    assert any("1 formula(s)" in n for n in notices)
    assert any("1 tracked deletion(s)" in n for n in notices)
    assert "删去的字" not in section_text(tmp_path / "book", "01")


def test_a_picture_inside_a_line_of_text_is_kept(tmp_path):
    import docx
    from helpers.word import jpeg

    document = docx.Document()
    document.add_heading("图文", level=1)
    paragraph = document.add_paragraph("文字之间")
    paragraph.add_run().add_picture(jpeg())
    paragraph.add_run("还有文字。")
    path = tmp_path / "inline.docx"
    document.save(path)
    result = import_word(path, tmp_path / "book")
    assert result.photos == 1
    assert "文字之间还有文字。" in section_text(tmp_path / "book", "01")
    assert any(w.code == "import-caption" for w in result.warnings)


def test_command_line(tmp_path):
    document = full_manuscript(tmp_path / "稿件.docx")
    result = CliRunner().invoke(main, ["import", str(document), str(tmp_path / "book")])
    assert result.exit_code == 0, result.output
    assert "3 section(s), 2 photo(s)" in result.stderr
    assert "manuscript/captions.toml: warning: photos/稿件-01.jpg has no alt text" in result.stderr


@pytest.mark.e2e
def test_imported_manuscript_builds_an_epub_that_passes_epubcheck(tmp_path, sample_date):
    from luoshu.build.stages import build_book
    from luoshu.epub.validate import run_epubcheck

    document = wps_manuscript(tmp_path / "wps.docx")
    project = tmp_path / "book"
    import_word(document, project)
    out = tmp_path / "out"
    result = build_book(project, out, ["epub", "pdf"])
    assert [a.path for a in result.artifacts] == ["book.epub", "book.pdf"]
    check = run_epubcheck(out / "book.epub")
    assert check.ok, str(check)
    # Nothing was written outside the project (and its output folder).
    assert sorted(p.name for p in tmp_path.iterdir()) == ["book", "out", "wps.docx"]
