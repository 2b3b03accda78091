"""Hostile output folders, interrupted builds and every known bad project (issue 16).

- An output folder on a read-only file system or a full disk ends the build in one line naming
  the folder and what to do, and the earlier outputs survive: tested for real where a mount
  namespace can be made (``unshare``: a read-only bind, a 96 KB tmpfs), and by simulating the
  error at the write (a permission error, the PDF writer's ENOSPC that names no file).
- SIGTERM removes the build's temporary files; what a SIGKILL leaves, the next build sweeps —
  luoshu's own leftovers only.
- Every bad project the tests know (the catalogue of helpers/bad_projects.py with its hostile
  cases, the batch's broken projects, the fuzzer's nasty inputs) gives ``luoshu check --format
  json`` a JSON document, never a traceback.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers.bad_projects import BASE, CATALOGUE, noise, photo_entry, write
from helpers.fuzz_inputs import book_toml, captions_project, markdown_project
from helpers.generated_projects import generate_projects
from hypothesis import HealthCheck, given, settings

from luoshu import cli
from luoshu.build import stages
from luoshu.build.stages import BuildResult, build_book
from luoshu.cli import main
from luoshu.errors import Problem, ProjectError
from luoshu.files import output
from luoshu.files.gate import ProjectFiles, RefusedResource
from luoshu.files.output import OutputFolder, sweep_leftovers
from luoshu.layout.fetcher import ProjectFetcher

LUOSHU = Path(sys.executable).with_name("luoshu")
MARKER = b"the previous build's output"
ENV = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}

pytestmark = pytest.mark.usefixtures("no_source_date_epoch")


def can_unshare() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "--mount", "--map-root-user", "true"],
                           capture_output=True, check=False)
    return probe.returncode == 0


needs_mounts = pytest.mark.skipif(not can_unshare(),
                                  reason="no mount namespace here (unshare): simulated below")


def in_namespace(setup: str, out: Path, project: Path, formats: str) -> subprocess.CompletedProcess:
    """``luoshu build`` run in a mount namespace of its own after *setup* (mount commands):
    the mounts vanish with the process, whatever happens. Its stdout is then the output
    folder's listing as the build left it, and the previous book.pdf."""
    script = (f'{setup} && "$0" build "$1" -o "$2" --format {formats}; status=$?; '
              'ls -A "$2"; cat "$2/book.pdf" 2>/dev/null; exit $status')
    return subprocess.run(["unshare", "--mount", "--map-root-user", "sh", "-c", script,
                           str(LUOSHU), str(project), str(out)],
                          capture_output=True, text=True, timeout=300, env=ENV, check=False)


def one_line_and_nothing_changed(run: subprocess.CompletedProcess, out: Path, name: str,
                                 words: str) -> None:
    assert run.returncode == 1, run.stderr
    assert "Traceback" not in run.stderr
    first, summary = run.stderr.strip().split("\n")
    assert first.startswith(f"{out}: cannot write the outputs here: {words}"), first
    assert "build into" in first  # what to do
    assert summary.startswith("luoshu: build failed with 1 problem(s); nothing was changed")
    assert sorted(p.name for p in out.iterdir()) == [name]  # no temporary file left
    assert (out / name).read_bytes() == MARKER


@needs_mounts
def test_a_read_only_output_folder_is_one_line(tmp_path):
    project = write(tmp_path / "book", {})
    out = tmp_path / "out"
    out.mkdir()
    (out / "book.epub").write_bytes(MARKER)
    run = in_namespace('mount --bind "$2" "$2" && mount -o remount,ro,bind "$2"', out, project,
                       "epub")
    one_line_and_nothing_changed(run, out, "book.epub", "it is on a read-only file system")


@needs_mounts
def test_a_full_disk_is_one_line_and_the_earlier_pdf_survives(tmp_path):
    """The PDF writer's ENOSPC (it names no file) was a traceback."""
    project = write(tmp_path / "book", {})
    out = tmp_path / "out"
    out.mkdir()
    setup = ('mount -t tmpfs -o size=96k tmpfs "$2" && printf "%s" '
             f'"{MARKER.decode()}" > "$2/book.pdf"')
    run = in_namespace(setup, out, project, "pdf")
    assert run.returncode == 1 and "Traceback" not in run.stderr
    first, summary = run.stderr.strip().split("\n")
    assert first.startswith(f"{out}: cannot write the outputs here: the disk is full (ENOSPC); "
                            "free some space, or build into another folder with -o")
    assert summary.startswith("luoshu: build failed with 1 problem(s)")
    assert run.stdout == f"book.pdf\n{MARKER.decode()}"  # no temporary file; the PDF as it was


@pytest.mark.parametrize("error, words", [
    (PermissionError(errno.EACCES, "Permission denied"), "permission denied (EACCES)"),
    (OSError(errno.ENOSPC, "No space left on device"), "the disk is full (ENOSPC)"),
    (OSError(errno.EROFS, "Read-only file system"), "it is on a read-only file system"),
])
def test_errors_at_the_write_are_one_line(tmp_path, monkeypatch, error, words):
    project = write(tmp_path / "book", {})
    out = tmp_path / "out"
    out.mkdir()
    (out / "book.epub").write_bytes(MARKER)

    def refuse(final: Path) -> Path:  # as mkstemp fails, naming the file it tried to make
        temporary = final.with_name(f".{final.name}.a1b2c3d4.tmp")
        error.filename = None if error.errno == errno.ENOSPC else str(temporary)
        raise error

    monkeypatch.setattr(stages, "temporary_beside", refuse)
    result = CliRunner().invoke(main, ["build", str(project), "-o", str(out), "--format",
                                       "epub"])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    first, _ = result.stderr.strip().split("\n")
    assert first.startswith(f"{out.resolve()}: cannot write the outputs here: {words}")
    assert (out / "book.epub").read_bytes() == MARKER


def test_an_output_path_that_is_a_file_is_one_line(tmp_path):
    project = write(tmp_path / "book", {})
    (tmp_path / "out").write_text("not a folder")
    with pytest.raises(ProjectError) as failure:
        build_book(project, tmp_path / "out", ["epub"])
    assert "it is a file, not a folder" in str(failure.value)


def test_an_error_on_a_project_file_is_not_the_output_folders(tmp_path):
    error = PermissionError(errno.EACCES, "Permission denied", str(tmp_path / "book" / "x"))
    assert output.output_problem(error, tmp_path / "out") is error


def test_unreadable_project_files_are_one_line_each(tmp_path, monkeypatch):
    """A section or stylesheet the build may not read (its permissions, a failing disk) was a
    PermissionError traceback. Simulated: the tests run as root, which permissions never stop."""
    project = write(tmp_path / "book", {"styles/x.css": "p { color: red }\n"})
    read_bytes = Path.read_bytes

    def refuse(self: Path) -> bytes:
        if self.name in ("01-a.md", "x.css"):
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return read_bytes(self)

    monkeypatch.setattr(Path, "read_bytes", refuse)
    report = checked_json(project)
    assert {(f["path"], f["code"]) for f in report["findings"] if f["severity"] == "error"} == {
        ("manuscript/01-a.md", "unreadable"), ("styles/x.css", "unreadable")}
    result = CliRunner().invoke(main, ["build", str(project), "-o", str(tmp_path / "out")])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "manuscript/01-a.md: cannot be read (Permission denied)" in result.stderr


# --- interrupted builds -------------------------------------------------------------------------


def build_until_it_writes(project: Path, out: Path) -> subprocess.Popen:
    """A real ``luoshu build --format pdf`` stopped while its temporary file exists."""
    process = subprocess.Popen([str(LUOSHU), "build", str(project), "-o", str(out), "--format",
                                "pdf"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               env=ENV)
    deadline = time.monotonic() + 120
    while not [p for p in out.iterdir() if p.name.endswith(".tmp")]:
        assert process.poll() is None, process.stderr.read()
        assert time.monotonic() < deadline
        time.sleep(0.01)
    return process


@pytest.mark.skipif(not LUOSHU.is_file(), reason="the luoshu script is not installed")
def test_sigterm_removes_the_temporary_files_and_sigkill_leftovers_are_swept(tmp_path):
    project = write(tmp_path / "book", {})
    out = tmp_path / "out"
    out.mkdir()
    (out / "book.pdf").write_bytes(MARKER)
    build = build_until_it_writes(project, out)
    build.send_signal(signal.SIGTERM)
    assert build.wait(60) == 128 + signal.SIGTERM
    assert build.stderr.read() == b""
    assert sorted(p.name for p in out.iterdir()) == ["book.pdf"]

    build = build_until_it_writes(project, out)
    build.kill()
    build.wait(60)
    leftovers = [p.name for p in out.iterdir() if p.name != "book.pdf"]
    assert any(name.startswith(".book.pdf.") and name.endswith(".tmp") for name in leftovers)
    assert all(name.startswith((".book.pdf.", ".typesetting.")) for name in leftovers)
    (out / ".notes.txt").write_text("the user's own hidden file")
    result = CliRunner().invoke(main, ["build", str(project), "-o", str(out), "--format",
                                       "epub"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == [
        ".notes.txt", "book.epub", "book.pdf", "manifest.json"]


def test_only_luoshus_own_leftovers_are_swept(tmp_path):
    names = {"book.pdf", "book-archive.zip", "manifest.json"}
    leftovers = [".book.pdf.a1b2c3d4.tmp", "..book-archive.zip.a1b2c3d4.tmp.e5f6g7h8",
                 ".manifest.json.zz_9y8x7.tmp", ".book-archive.k2j3h4g5"]
    kept = [".DS_Store", ".book.pdf", ".other.pdf.a1b2c3d4.tmp", "book.pdf", ".gitkeep",
            ".book.pdf.ABCDEFGH.tmp"]
    for name in leftovers + kept:
        if name.count(".") > 3 or name.endswith(".tmp") or "." not in name[1:]:
            (tmp_path / name).write_bytes(b"x")
        else:
            (tmp_path / name).mkdir()
    assert sweep_leftovers(tmp_path, names) == sorted(leftovers)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(kept)


def test_a_second_build_into_the_same_folder_is_refused_while_one_runs(tmp_path):
    project = write(tmp_path / "book", {})
    held = OutputFolder(tmp_path / "out", ["book.epub"])
    try:
        with pytest.raises(ProjectError) as failure:
            build_book(project, tmp_path / "out", ["epub"])
        assert "another luoshu build is writing into this folder now" in str(failure.value)
    finally:
        held.release()


def test_the_layouts_fetcher_names_a_file_that_is_no_image_without_its_internal_url(tmp_path):
    project = write(tmp_path / "book", {})
    fetcher = ProjectFetcher(ProjectFiles.of(project))
    with pytest.raises(RefusedResource):
        fetcher.fetch(fetcher.root_url + "book.toml")
    (problem,) = fetcher.refusals
    assert str(problem) == ("book.toml: print layout: refused book.toml: it is not an image, a "
                            "font or a stylesheet")
    assert "luoshu-project" not in str(problem)


# --- every bad project, through luoshu check --format json -------------------------------------


def checked_json(project: Path) -> dict:
    result = CliRunner().invoke(main, ["check", str(project), "--format", "json"])
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        result.exception)  # not a crash
    assert "Traceback" not in result.output
    report = json.loads(result.stdout)
    assert set(report) == {"findings", "errors", "warnings", "infos"}
    for finding in report["findings"]:
        assert set(finding) == {"path", "line", "column", "code", "severity", "message"}
        assert "\n" not in finding["message"] and len(finding["message"]) < 1000
    assert result.exit_code == (1 if report["errors"] else 0)
    return report


@pytest.mark.parametrize("case", CATALOGUE, ids=[case.name for case in CATALOGUE])
def test_check_prints_json_for_every_bad_project(case, tmp_path):
    report = checked_json(write(tmp_path / "book", case.files))
    path, _, line = case.where.partition(":")
    assert any(f["path"] == path and f["severity"] == "error"
               and (not line or f["line"] == int(line.split(":")[0]))
               for f in report["findings"]), report


def test_check_prints_json_for_the_batchs_broken_projects(tmp_path):
    kinds = generate_projects(tmp_path, 4, broken=2)
    for name, kind in kinds.items():
        report = checked_json(tmp_path / name)
        assert (report["errors"] > 0) == kind.startswith("broken"), (name, report)


FUZZ = settings(deadline=None, derandomize=True, database=None, max_examples=40,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.filter_too_much])


def fuzz_checked(files: dict[str, bytes]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        project = Path(folder)
        for relative, content in {"book.toml": BASE["book.toml"].encode(), **files}.items():
            (project / relative).parent.mkdir(parents=True, exist_ok=True)
            (project / relative).write_bytes(content)
        checked_json(project)


@settings(FUZZ)
@given(markdown_project())
def test_check_prints_json_for_any_manuscript(files):
    fuzz_checked(files)


@settings(FUZZ)
@given(book_toml())
def test_check_prints_json_for_any_book_toml(files):
    fuzz_checked(files)


@settings(FUZZ)
@given(captions_project())
def test_check_prints_json_for_any_captions(files):
    fuzz_checked(files)


# --- warnings that scale ------------------------------------------------------------------------


def test_many_warnings_of_one_kind_become_a_summary(tmp_path, monkeypatch):
    """A hundred photos below 300 dpi, and the page audit's findings, once printed a line each."""
    low = [Problem(f"photos/{n:03d}.jpg prints at 70 dpi", "manuscript/captions.toml", 1 + 5 * n,
                   code="photo-resolution", severity="warning") for n in range(100)]
    pages = [Problem(f"page {n}: a line of one character", "book.pdf", code="page-widow",
                     severity="warning") for n in range(1, 41)]
    few = [Problem(f"photos/{n}.jpg has no alt text", "manuscript/captions.toml", n,
                   code="photo-alt", severity="warning") for n in range(5)]
    monkeypatch.setattr(cli, "build_book",
                        lambda *args, **kwargs: BuildResult((), tuple(low + few + pages)))
    project = write(tmp_path / "book", {})
    result = CliRunner().invoke(main, ["build", str(project), "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    lines = result.stderr.strip().split("\n")
    assert lines == [
        *map(str, low[:3]),
        "luoshu: and 97 more photo-resolution warnings like these — `luoshu check` lists "
        "them all",
        *map(str, few),  # five of a kind: all shown
        *map(str, pages[:3]),
        f"luoshu: and 37 more page-widow warnings like these — `luoshu check --pdf "
        f"{tmp_path / 'out' / 'book.pdf'}` lists them all",
    ]


def test_check_lists_every_warning_the_build_summarizes(tmp_path):
    files = {"manuscript/captions.toml": "\n".join(
        photo_entry(f"photos/{n}.jpg", 'section = "01-a"') for n in range(8))}
    files.update({f"manuscript/photos/{n}.jpg": noise("JPEG", (400, 300)) for n in range(8)})
    report = checked_json(write(tmp_path / "book", files))
    assert [f["code"] for f in report["findings"]].count("photo-resolution") == 8
