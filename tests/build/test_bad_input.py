"""A catalogue of bad input, run through ``luoshu build``: each ends in a clear message.

Every case is a row of ``CATALOGUE``: what to write over (or delete from) a small valid
project, where the problem must be reported (``path[:line[:column]]``) and words its line must
hold — what is wrong and what to do. For every row the build must exit 1 through ``sys.exit``
(an unexpected exception would also give 1 under CliRunner, so the exception is checked too),
print one ``path:line[:col]: message`` line per problem on stderr and no traceback, and leave
the output folder as it was: the earlier ``book.epub`` byte for byte, no temporary file beside
it.

Most cases fail while the manuscript is read, before anything is rendered; the few that build
use ``--format epub``, the quickest format.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import warnings
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers.bad_projects import (
    BASE,
    CAPTIONS,
    CATALOGUE,
    bomb_png,
    cut_in_half,
    noise,
    photo_entry,
    write,
)
from PIL import Image

from luoshu.cli import main
from luoshu.images import photos

MARKER = b"the previous build's EPUB"
PROBLEM_LINE = re.compile(r"^[^:]+(:\d+(:\d+)?)?: \S")  # a path may hold spaces
SUMMARY = re.compile(r"^luoshu: build failed with \d+ problem\(s\); nothing was changed")
LUOSHU = Path(sys.executable).with_name("luoshu")

pytestmark = pytest.mark.usefixtures("no_source_date_epoch")


def earlier_output(tmp_path: Path) -> Path:
    out = tmp_path / "out"
    out.mkdir()
    (out / "book.epub").write_bytes(MARKER)
    return out


def failed_build(project: Path, out: Path, *args: str) -> list[str]:
    """Run a build that must fail on the input; return its problem lines."""
    before = {path.name: path.read_bytes() for path in out.iterdir()}
    result = CliRunner().invoke(main, ["build", str(project), "-o", str(out),
                                       "--format", "epub", *args])
    assert isinstance(result.exception, SystemExit), result.exception  # not a crash
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert result.stdout == ""
    lines = result.stderr.strip().split("\n")
    assert SUMMARY.match(lines[-1]), lines[-1]
    problems = lines[:-1]
    assert problems and all(PROBLEM_LINE.match(line) for line in problems), problems
    # The earlier outputs byte for byte, and no temporary file left behind.
    assert {path.name: path.read_bytes() for path in out.iterdir()} == before
    assert (out / "book.epub").read_bytes() == MARKER
    return problems


@pytest.mark.parametrize("case", CATALOGUE, ids=[case.name for case in CATALOGUE])
def test_bad_input_ends_in_a_clear_message(case, tmp_path):
    project = write(tmp_path / "book", case.files)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        problems = failed_build(project, earlier_output(tmp_path))
    found = [line for line in problems if line.startswith(f"{case.where}: ")]
    assert found, f"nothing reported at {case.where}: {problems}"
    assert any(all(word in line for word in case.words) for line in found), found
    assert not [w for w in caught if issubclass(w.category, Image.DecompressionBombWarning)]


# --- every problem of a stage at once ---------------------------------------------------------


def test_config_problems_stop_the_build_before_the_manuscript(tmp_path):
    project = write(tmp_path / "book", {
        "book.toml": '[book]\ntitle = "书"\nlanguage = "zh-Hans"\nauthr = ["甲"]\nsubjet = []\n',
        "manuscript/01-a.md": "# 甲\n".encode("gb18030"),
        CAPTIONS: photo_entry("photos/none.jpg"),
    })
    problems = failed_build(project, earlier_output(tmp_path))
    assert [line.split(": ")[0] for line in problems] == ["book.toml:4", "book.toml:5"]
    assert "did you mean 'authors'?" in problems[0]
    assert "did you mean 'subjects'?" in problems[1]


def test_every_problem_of_the_manuscript_reported_together(tmp_path):
    project = write(tmp_path / "book", {
        "manuscript/01-a.md": "# 甲\n\n正文[^1]，又一注[^note]。\n\n[^note]: 有定义。\n",
        "manuscript/02-b.md": "# 乙\n".encode("gb18030"),
        "manuscript/03-c.md": "没有标题。\n",
        "manuscript/04-d.md": "# 丁\n\n![图](photos/cut.png)\n",
        "manuscript/photos/cut.png": cut_in_half(noise("PNG")),
        "manuscript/photos/bomb.png": bomb_png(12000, 9000),
        CAPTIONS: (photo_entry("photos/none.jpg") + "\n"            # lines 1–4
                   + photo_entry("photos/bomb.png") + "\n"          # 6
                   + '[[photo]]\nfile = "photos/none.jpg"\ncapton = "拼错"\n'),  # 11
    })
    problems = failed_build(project, earlier_output(tmp_path))
    assert sorted(line.split(": ")[0] for line in problems) == sorted([
        "manuscript/01-a.md:3:3",  # [^1]; [^note] has its definition
        "manuscript/02-b.md:1",
        "manuscript/03-c.md:1",
        "manuscript/04-d.md:3",
        f"{CAPTIONS}:1",
        f"{CAPTIONS}:6",
        f"{CAPTIONS}:11",  # unknown key
        f"{CAPTIONS}:11",  # and so no caption
    ])


# --- what is simply handled -------------------------------------------------------------------


def built_epub(project: Path, out: Path, *args: str) -> dict[str, str]:
    """Build the EPUB; return its text documents by name."""
    result = CliRunner().invoke(main, ["build", str(project), "-o", str(out),
                                       "--format", "epub", *args])
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(out / "book.epub") as epub:
        return {name: epub.read(name).decode("utf-8") for name in epub.namelist()
                if name.endswith(".xhtml")}


def test_bom_and_crlf_are_handled(tmp_path):
    project = write(tmp_path / "book", {
        "book.toml": '\ufeff[book]\r\ntitle = "测试之书"\r\nlanguage = "zh-Hans"\r\n'.encode(),
        "manuscript/01-a.md": "\ufeff---\r\ntitle: 导语\r\n---\r\n\r\n第一\r\n行。\r\n".encode(),
        CAPTIONS: ("\ufeff" + photo_entry("a.jpg").replace("\n", "\r\n")).encode(),
        "manuscript/a.jpg": noise("JPEG", (2000, 1500)),
    })
    documents = built_epub(project, tmp_path / "out")
    text = "".join(documents.values())
    assert "<p>第一行。</p>" in text and ">导语</h1>" in text and "码头" in text
    assert "\ufeff" not in text and "\r" not in text


def test_declared_gb18030_is_read(tmp_path):
    project = write(tmp_path / "book", {
        "book.toml": BASE["book.toml"] + 'encoding = "GBK"\n',  # GBK is read as GB18030
        "manuscript/01-a.md": "# 甲\n\n洛阳牡丹甲天下。\n".encode("gb18030"),
        "manuscript/02-b.md": "# 乙\n\n这一节已经转成了统一码。\n",  # mixed projects work
        CAPTIONS: photo_entry("a.jpg").replace("码头", "洛河码头").encode("gb18030"),
        "manuscript/a.jpg": noise("JPEG", (2000, 1500)),
    })
    text = "".join(built_epub(project, tmp_path / "out").values())
    assert "洛阳牡丹甲天下。" in text and "这一节已经转成了统一码。" in text
    assert "洛河码头" in text


def test_strict_turns_a_warning_into_an_error(tmp_path):
    project = write(tmp_path / "book", {
        CAPTIONS: photo_entry("small.jpg", 'section = "01-a"'),
        "manuscript/small.jpg": noise("JPEG", (400, 300)),  # 70 dpi across the text block
    })
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["build", str(project), "-o", str(out), "--format", "epub"])
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith(f"{CAPTIONS}:1: warning: small.jpg prints at 70 dpi")
    (out / "book.epub").write_bytes(MARKER)
    (problem,) = failed_build(project, out, "--strict")
    assert problem.startswith(f"{CAPTIONS}:1: small.jpg prints at 70 dpi")
    assert "supply it at least 1707 px wide" in problem


# --- the decompression-bomb limit -------------------------------------------------------------


def test_the_limit_is_luoshus_own_and_below_pillows():
    pillows = Image.MAX_IMAGE_PIXELS
    # Below Pillow's warning threshold: a photo luoshu accepts never makes a renderer's
    # Image.open warn. And nothing here changes Pillow's global.
    assert photos.MAX_MEGAPIXELS * 1_000_000 < pillows
    assert photos.inspect(photos.Photo("bomb.png", "图"), bomb_png(10000, 9000),
                          photos.PrintOptions())[0].code == "photo-too-large"
    assert Image.MAX_IMAGE_PIXELS == pillows


@pytest.mark.skipif(not LUOSHU.is_file(), reason="the luoshu script is not installed")
def test_real_executable_prints_no_traceback_and_no_warning(tmp_path):
    project = write(tmp_path / "book", {
        CAPTIONS: photo_entry("bomb.png") + "\n" + photo_entry("cut.jpg"),
        "manuscript/bomb.png": bomb_png(20000, 20000),
        "manuscript/cut.jpg": cut_in_half(noise("JPEG")),
    })
    env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    run = subprocess.run([str(LUOSHU), "build", str(project), "--format", "epub"],
                         capture_output=True, text=True, timeout=120, env=env, check=False)
    assert run.returncode == 1
    assert run.stdout == ""
    lines = run.stderr.strip().split("\n")
    assert [line.split(": ")[0] for line in lines[:-1]] == [f"{CAPTIONS}:1", f"{CAPTIONS}:6"]
    assert SUMMARY.match(lines[-1])
    assert not (project / "dist").exists()
