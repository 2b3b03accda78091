"""The luoshu command line: help, version, exit codes 0/1/2, file:line problem lines."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from luoshu import __version__
from luoshu.cli import main

RARE = "\U00020000"  # 𠀀: no configured font covers it
PROBLEM_LINE = re.compile(r"^[^\s:]+:\d+(:\d+)?: \S")
SUMMARY = re.compile(r"^luoshu: build failed with \d+ problem\(s\)")
LUOSHU = Path(sys.executable).with_name("luoshu")


pytestmark = pytest.mark.usefixtures("no_source_date_epoch")


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def problem_lines(stderr: str) -> list[str]:
    lines = stderr.strip().splitlines()
    assert SUMMARY.match(lines[-1]), lines[-1]
    return lines[:-1]


# --- help and version -----------------------------------------------------------------------


def test_help(runner):
    result = runner.invoke(main, ["--help"])
    assert result.exit_code == 0
    assert "luoshu" in result.stdout and "build" in result.stdout


def test_build_help(runner):
    result = runner.invoke(main, ["build", "-h"])
    assert result.exit_code == 0
    for option in ("--out", "--format", "--verbose", "PROJECT"):
        assert option in result.stdout


def test_version(runner):
    result = runner.invoke(main, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"luoshu, version {__version__}"


# --- bad usage: exit 2 ----------------------------------------------------------------------


@pytest.mark.parametrize("formats", ["mobi", "epub,mobi", "", ","])
def test_unknown_format_is_usage_error(runner, fixture_project, formats):
    project = fixture_project("traditional-hant")
    result = runner.invoke(main, ["build", str(project), "--format", formats])
    assert result.exit_code == 2
    assert "unknown format" in result.stderr
    assert not (project / "dist").exists()


def test_folder_without_book_toml_is_usage_error(runner, tmp_path):
    result = runner.invoke(main, ["build", str(tmp_path)])
    assert result.exit_code == 2
    assert "has no book.toml" in result.stderr


def test_missing_folder_is_usage_error(runner, tmp_path):
    result = runner.invoke(main, ["build", str(tmp_path / "nowhere")])
    assert result.exit_code == 2


def test_unknown_option_is_usage_error(runner):
    assert runner.invoke(main, ["build", "--colour"]).exit_code == 2
    assert runner.invoke(main, ["publish"]).exit_code == 2


# --- bad input: exit 1 ----------------------------------------------------------------------


def test_config_problems_one_line_each(runner, make_project, tmp_path):
    project = make_project(tmp_path / "book", {
        "book.toml": '[book]\ntitle = "书"\nlanguage = "zh_CN"\nauthr = ["甲"]\n',
        "manuscript/01-a.md": "# 甲\n",
    })
    result = runner.invoke(main, ["build", str(project), "--format", "epub"])
    assert result.exit_code == 1
    lines = problem_lines(result.stderr)
    assert len(lines) == 2
    assert any(line.startswith("book.toml:4: unknown key 'authr'") for line in lines)
    assert any(line.startswith("book.toml:3: [book] language 'zh_CN'") for line in lines)
    assert all(PROBLEM_LINE.match(line) for line in lines)
    assert "Traceback" not in result.output
    assert result.stdout == ""


def test_tofu_problem_line(runner, make_project, tmp_path):
    project = make_project(tmp_path / "book", {
        "manuscript/01-a.md": f"# 甲\n\n罕见字{RARE}。\n"})
    result = runner.invoke(main, ["build", str(project), "--format", "epub"])
    assert result.exit_code == 1
    (line,) = problem_lines(result.stderr)
    assert line.startswith(f"manuscript/01-a.md:3: no configured font covers U+20000 '{RARE}'")
    assert not (project / "dist").exists()


def test_failed_build_keeps_earlier_output(runner, fixture_project):
    project = fixture_project("traditional-hant")
    assert runner.invoke(main, ["build", str(project), "--format", "epub"]).exit_code == 0
    before = {p.name: p.read_bytes() for p in (project / "dist").iterdir()}
    (project / "manuscript" / "02-bad.md").write_text("沒有標題\n", encoding="utf-8")
    result = runner.invoke(main, ["build", str(project), "--format", "epub"])
    assert result.exit_code == 1
    assert problem_lines(result.stderr) == [
        "manuscript/02-bad.md:1: the section has no title: start it with a '# heading' or add "
        "'title:' front matter"]
    assert "nothing was changed" in result.stderr
    assert {p.name: p.read_bytes() for p in (project / "dist").iterdir()} == before


# --- success: exit 0 ------------------------------------------------------------------------


def test_build_success_writes_manifest(runner, fixture_project, tmp_path):
    project = fixture_project("minimal-hans")
    out = tmp_path / "out"
    result = runner.invoke(main, ["build", str(project), "-o", str(out), "--format", "epub"])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert result.stderr == ""  # not a terminal and no --verbose: silent on success
    data = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert [(a["format"], a["path"]) for a in data["artifacts"]] == [("epub", "minimal.epub")]
    assert (out / "minimal.epub").stat().st_size == data["artifacts"][0]["bytes"]
    assert not (project / "dist").exists()


def test_build_current_folder_by_default(runner, fixture_project, monkeypatch):
    project = fixture_project("traditional-hant")
    monkeypatch.chdir(project)
    result = runner.invoke(main, ["build", "--format", "epub"])
    assert result.exit_code == 0, result.output
    assert (project / "dist" / "book.epub").is_file()


def test_verbose_prints_stages(runner, fixture_project):
    project = fixture_project("traditional-hant")
    result = runner.invoke(main, ["build", str(project), "--format", "epub", "-v"])
    assert result.exit_code == 0
    assert "luoshu: reading book.toml…" in result.stderr
    assert "luoshu: writing the EPUB…" in result.stderr
    assert re.search(r"luoshu: wrote .*book\.epub \(\d+ KB\)", result.stderr)
    assert result.stdout == ""


def test_warnings_printed_and_build_succeeds(runner, make_project, tmp_path):
    project = make_project(tmp_path / "book", {
        "book.toml": '[book]\ntitle = "书"\nlanguage = "zh-Hans"\nsections = ["01-a"]\n',
        "manuscript/01-a.md": "# 甲\n",
        "manuscript/02-b.md": "# 乙\n",
    })
    result = runner.invoke(main, ["build", str(project), "--format", "epub"])
    assert result.exit_code == 0
    assert result.stderr.strip() == (
        "book.toml:4: warning: manuscript/02-b.md is not listed in [book] sections and is left "
        "out of the book")


def test_repeated_format_built_once(runner, fixture_project):
    project = fixture_project("traditional-hant")
    result = runner.invoke(main, ["build", str(project), "--format", "epub,epub"])
    assert result.exit_code == 0
    data = json.loads((project / "dist" / "manifest.json").read_text(encoding="utf-8"))
    assert len(data["artifacts"]) == 1


# --- the real executable --------------------------------------------------------------------


def run_luoshu(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    return subprocess.run([str(LUOSHU), *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120, env=env)


@pytest.mark.skipif(not LUOSHU.is_file(), reason="the luoshu script is not installed")
def test_real_executable_exit_codes(fixture_project, make_project, tmp_path):
    bad = make_project(tmp_path / "bad", {
        "book.toml": '[book]\ntitel = "书"\nlanguage = "zh-Hans"\n',
        "manuscript/01-a.md": f"# 甲\n\n{RARE}\n",
        "manuscript/captions.toml": '[[photo]]\nfile = "photos/none.jpg"\ncaption = "缺"\n',
    })
    failed = run_luoshu("build", str(bad), "--format", "epub", cwd=tmp_path)
    assert failed.returncode == 1
    assert "Traceback" not in failed.stderr
    lines = problem_lines(failed.stderr)
    assert lines and all(PROBLEM_LINE.match(line) for line in lines)
    assert lines[0].startswith("book.toml:2: unknown key 'titel'")

    usage = run_luoshu("build", str(tmp_path / "empty-folder"), cwd=tmp_path)
    assert usage.returncode == 2
    assert "Traceback" not in usage.stderr

    good = fixture_project("minimal-hans")
    ok = run_luoshu("build", "--format", "epub", "-o", "out", cwd=good)
    assert ok.returncode == 0, ok.stderr
    assert "Traceback" not in ok.stderr
    data = json.loads((good / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert data["artifacts"][0]["path"] == "minimal.epub"


def test_photo_without_alt_warns_and_strict_refuses(runner, make_project, make_image, tmp_path):
    project = make_project(tmp_path / "book", {
        "manuscript/01-a.md": "# 甲\n\n正文。\n",
        "manuscript/captions.toml": '[[photo]]\nfile = "photos/a.jpg"\ncaption = "码头"\n',
        "manuscript/photos/a.jpg": make_image(),
    })
    result = runner.invoke(main, ["build", str(project), "--format", "epub"])
    assert result.exit_code == 0
    assert "manuscript/captions.toml:1: warning: photos/a.jpg has no alt text" in result.stderr

    (project / "dist" / "book.epub").write_bytes(b"earlier")
    result = runner.invoke(main, ["build", str(project), "--format", "epub", "--strict"])
    assert result.exit_code == 1
    assert "manuscript/captions.toml:1: photos/a.jpg has no alt text" in result.stderr
    assert (project / "dist" / "book.epub").read_bytes() == b"earlier"
