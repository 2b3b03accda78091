"""``luoshu check``: the sample, fixture and small projects; text and JSON output; exit codes."""

from __future__ import annotations

import json
import re
import shutil

import pytest
from click.testing import CliRunner
from helpers.projects import REPO

from luoshu.check.project import check_project
from luoshu.cli import main

FINDING_LINE = re.compile(r"^[^\s:]+(:\d+(:\d+)?)?: [A-Za-z0-9-]+ (error|warning|info): \S")
SUMMARY = re.compile(r"^luoshu check: (\d+) error\(s\), (\d+) warning\(s\), (\d+) change\(s\)")
RARE = "\U00020000"  # 𠀀: no configured font covers it


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def run(runner: CliRunner, *args: str):
    return runner.invoke(main, ["check", *args])


def section(body: str) -> dict[str, str]:
    return {"manuscript/01-a.md": "# 标题\n\n" + body + "\n"}


# --- the sample publication -----------------------------------------------------------------


def test_sample_reports_its_half_width_punctuation(runner):
    result = run(runner, str(REPO))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines and all(FINDING_LINE.match(line) for line in lines), lines[:3]
    assert "manuscript/00-lead.md:5:5: LS101 info: would change ',' to '，'" in lines[0]
    assert any(line.startswith("manuscript/01-reform.md:3:") and " LS105 info: " in line
               for line in lines)
    assert any(line.startswith("manuscript/captions.toml:19:20: LS101 info") for line in lines)
    summary = SUMMARY.match(result.stderr.strip().splitlines()[-1])
    assert summary and summary.group(1) == "0" and int(summary.group(3)) == len(lines)


def test_sample_json_counts(runner):
    result = run(runner, str(REPO), "--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert set(data) >= {"findings", "errors", "warnings"}
    assert data["errors"] == 0
    codes = {f["code"] for f in data["findings"]}
    assert {"LS101", "LS103", "LS105", "LS106"} <= codes
    assert sum(f["code"] == "LS101" for f in data["findings"]) > 100
    first = data["findings"][0]
    assert set(first) == {"path", "line", "column", "code", "severity", "message"}
    assert first["severity"] == "info"


def test_check_writes_nothing(runner, tmp_path):
    project = tmp_path / "sample"
    shutil.copytree(REPO / "manuscript", project / "manuscript")
    shutil.copy(REPO / "book.toml", project / "book.toml")
    before = sorted(p.relative_to(project) for p in project.rglob("*"))
    assert run(runner, str(project)).exit_code == 0
    assert sorted(p.relative_to(project) for p in project.rglob("*")) == before


def test_fixtures_are_clean(runner):
    for name in ("minimal-hans", "traditional-hant"):
        result = run(runner, str(REPO / "tests" / "fixtures" / name))
        assert result.exit_code == 0, result.output
        assert result.stdout == "", result.stdout


# --- exit codes -----------------------------------------------------------------------------


def test_warning_exits_0_and_strict_exits_1(runner, make_project, tmp_path):
    project = make_project(tmp_path, section("到2021,洛阳……"))
    result = run(runner, str(project))
    assert result.exit_code == 0
    assert result.stdout == "manuscript/01-a.md:3:6: LS201 warning: ',' between '1' and '洛': " \
        "write '，' if it separates clauses; if the number continues, remove what splits it\n"
    assert run(runner, str(project), "--strict").exit_code == 1


def test_error_exits_1(runner, make_project, tmp_path):
    project = make_project(tmp_path, section("见《说文解字（注》。"))
    result = run(runner, str(project), "--format", "json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["errors"] == 1
    (finding,) = [f for f in data["findings"] if f["severity"] == "error"]
    assert finding == {"path": "manuscript/01-a.md", "line": 3, "column": 7, "code": "LS208",
                       "severity": "error", "message": "'（' is not closed before '》'"}


def test_info_alone_exits_0_even_when_strict(runner, make_project, tmp_path):
    project = make_project(tmp_path, section("洛阳,郑州"))
    result = run(runner, str(project), "--strict")
    assert result.exit_code == 0
    assert result.stdout.startswith("manuscript/01-a.md:3:3: LS101 info: would change ',' to '，'")


def test_not_a_project_is_usage_error(runner, tmp_path):
    result = run(runner, str(tmp_path))
    assert result.exit_code == 2
    assert "has no book.toml" in result.stderr


def test_bad_format_is_usage_error(runner):
    assert run(runner, str(REPO), "--format", "xml").exit_code == 2


# --- what a build would fail on is reported too ---------------------------------------------


def test_build_problems_are_findings(runner, make_project, tmp_path):
    project = make_project(tmp_path, {
        "manuscript/01-a.md": f"# 甲\n\n罕见字{RARE},好\n",
        "manuscript/captions.toml": '[[photo]]\nfile = "photos/none.jpg"\ncaption = "缺图,待补"\n',
    })
    result = run(runner, str(project))
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert all(FINDING_LINE.match(line) for line in lines), lines
    assert any(line.startswith("manuscript/captions.toml:1: resource-missing error: ")
               for line in lines)
    assert any(line.startswith("manuscript/01-a.md:3:5: LS101 info") for line in lines)
    assert any(line.startswith("manuscript/captions.toml:3:14: LS101 info") for line in lines)


def test_font_coverage_is_checked(runner, make_project, tmp_path):
    project = make_project(tmp_path, section(f"罕见字{RARE}。"))
    result = run(runner, str(project))
    assert result.exit_code == 1
    assert result.stdout.startswith(
        "manuscript/01-a.md:3: font-missing-glyph error: no configured font covers U+20000")


def test_config_problems_stop_early(runner, make_project, tmp_path):
    project = make_project(tmp_path, {"book.toml": '[book]\ntitel = "书"\nlanguage = "zh-Hans"\n',
                                      **section("洛阳,郑州")})
    result = run(runner, str(project))
    assert result.exit_code == 1
    assert result.stdout.splitlines()[0].startswith(
        "book.toml:2: config-unknown-key error: unknown key 'titel'")


# --- book.toml, captions, options -----------------------------------------------------------


def test_book_toml_metadata_positions(make_project, tmp_path):
    project = make_project(tmp_path, {
        "book.toml": '[book]\ntitle = "洛阳,郑州"\nlanguage = "zh-Hans"\n'
                     'description = """\n中原,大地"""\n',
        **section("正文。")})
    findings = [(f.path, f.line, f.column, f.code) for f in check_project(project).findings]
    assert findings == [("book.toml", 2, 12, "LS101"), ("book.toml", 5, None, "LS101")]


def test_traditional_project_gets_corner_quotes(make_project, tmp_path):
    project = make_project(tmp_path, {
        "book.toml": '[book]\ntitle = "書"\nlanguage = "zh-Hant"\n',
        **section('他說:"好"。\n\n她說：“對”。')})
    changes = [(f.line, f.column, f.code, f.message) for f in check_project(project).findings]
    assert [c[2] for c in changes] == ["LS104", "LS108", "LS108", "LS110", "LS110"]
    assert changes[1][3] == "would change '\"' to '「' (straight double quotes in Chinese text)"


def test_mixed_quote_styles(make_project, tmp_path):
    project = make_project(tmp_path, {
        "manuscript/01-a.md": "# 甲\n\n他说“好”。\n",
        "manuscript/02-b.md": "# 乙\n\n他说「好」。\n\n又说「对」。\n",
    })
    findings = [f for f in check_project(project).findings if f.code == "LS210"]
    assert [(f.path, f.line, f.column, f.severity) for f in findings] == [
        ("manuscript/02-b.md", 3, 3, "warning")]
    assert "manuscript/01-a.md:3" in findings[0].message


def test_one_quote_style_is_fine(make_project, tmp_path):
    project = make_project(tmp_path, section("他说「好」。"))
    assert [f.code for f in check_project(project).findings] == []


def test_normalization_off_makes_changes_warnings(runner, make_project, tmp_path):
    project = make_project(tmp_path, {
        "book.toml": '[book]\ntitle = "书"\nlanguage = "zh-Hans"\n\n[typography]\n'
                     "normalize_punctuation = false\n",
        **section("洛阳,郑州")})
    result = run(runner, str(project))
    assert result.exit_code == 0
    assert "LS101 warning: would change ',' to '，'" in result.stdout
    assert "normalize_punctuation is off" in result.stdout
    assert run(runner, str(project), "--strict").exit_code == 1


def test_ignored_codes_are_not_reported(make_project, tmp_path):
    project = make_project(tmp_path, {
        "book.toml": '[book]\ntitle = "书"\nlanguage = "zh-Hans"\n\n[typography]\n'
                     'ignore = ["LS201", "ls101"]\n',
        **section("洛阳,郑州,2021,洛阳")})
    assert check_project(project).findings == ()
