"""`luoshu batch` on this machine's process pool: the same bytes as `luoshu build`, failures
kept to their project, resuming, a killed build process, a stopped batch, the command line."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import psutil
import pytest
from helpers.generated_projects import OK, Recorder, folder_files

from luoshu.batch import Settings, find_projects, run_batch
from luoshu.batch.outputs import locked
from luoshu.batch.pool import LocalPool
from luoshu.batch.report import REPORT
from luoshu.errors import ProjectError

LUOSHU = Path(sys.executable).with_name("luoshu")
SETTINGS = Settings(source_date_epoch=None)  # as the reference builds are made

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("no_source_date_epoch")]


def good_and_broken(kinds: dict[str, str], good: int) -> list[str]:
    """The first *good* working projects (one with photos, one without a date, one with two
    formats among the first five) and the two broken ones."""
    names = sorted(kinds)
    return names[2:2 + good] + [n for n in names if kinds[n] != OK]


def batch(source: Path, out: Path, jobs: int = 2, settings: Settings = SETTINGS,
          listener: Recorder | None = None):
    listener = listener or Recorder()
    result = run_batch(find_projects(source, out), out, settings, LocalPool(jobs), listener)
    return result, {entry.name: entry for entry in result.entries}


def report_of(out: Path) -> dict:
    return json.loads((out / REPORT).read_text(encoding="utf-8"))


def test_each_project_builds_as_luoshu_build_does_and_failures_stay_alone(
        generated, reference, tmp_path):
    source, kinds = generated
    names = good_and_broken(kinds, 3)
    listing = tmp_path / "projects.txt"
    listing.write_text("".join(f"{source / name}\n" for name in names), encoding="utf-8")
    out = tmp_path / "out"
    listener = Recorder()
    result, entries = batch(listing, out, listener=listener)

    assert result.completed and listener.total == len(names) and listener.ended
    assert sorted(e.name for e in listener.entries) == sorted(names)
    for name in names:
        entry = entries[name]
        if kinds[name] == OK:
            assert entry.status == "built", entry.error
            assert folder_files(out / name) == folder_files(reference(name)), name
            manifest = json.loads((out / name / "manifest.json").read_text(encoding="utf-8"))
            assert list(entry.artifacts) == manifest["artifacts"]
        else:
            # The build's own one-line problem, and nothing written for the project.
            assert entry.status == "failed" and "\n" not in entry.error
            assert entry.error.startswith(("book.toml:", "manuscript/"))
            assert not (out / name).exists()

    report = report_of(out)
    assert report["counts"] == {"built": 3, "up to date": 0, "failed": 2, "not built": 0}
    assert report["finished"] and report["out"] == str(out)
    for item in report["projects"]:
        assert set(item) >= {"name", "status", "error", "seconds", "artifacts"}
        assert item["seconds"] > 0
        for artifact in item["artifacts"]:
            assert len(artifact["sha256"]) == 64 and artifact["bytes"] > 0
    assert not [p for p in out.iterdir() if p.name.endswith(".batch")]  # no staging left


def test_a_rerun_skips_what_is_up_to_date_and_rebuilds_what_changed(
        generated, reference, copy_projects, tmp_path):
    _, kinds = generated
    first, second, broken = good_and_broken(kinds, 2)[:3]
    source = copy_projects(first, second, broken)
    out = tmp_path / "out"
    batch(source, out)
    built = {name: folder_files(out / name) for name in (first, second)}

    # Unchanged: nothing is built again; the broken project is tried (and fails) again.
    _, entries = batch(source, out)
    assert {n: e.status for n, e in entries.items()} == {
        first: "up to date", second: "up to date", broken: "failed"}
    assert entries[first].artifacts and entries[first].fingerprint
    assert folder_files(out / first) == built[first]

    # A changed section is rebuilt; a project whose outputs were touched is rebuilt; a project
    # that breaks keeps its earlier outputs; a killed batch's staging folder is cleared away.
    section = next((source / first / "manuscript").glob("*.md"))
    section.write_text(section.read_text(encoding="utf-8") + "\n补充一段新闻。\n",
                       encoding="utf-8")
    (out / second / "manifest.json").unlink()
    stale = out / f".{first}.leftover.batch"
    stale.mkdir()
    _, entries = batch(source, out)
    assert entries[first].status == "built" and entries[second].status == "built"
    assert folder_files(out / second) == folder_files(reference(second))
    assert folder_files(out / first) != built[first]
    assert not stale.exists()

    (source / second / "book.toml").write_text("[book]\ntitle = 1\n", encoding="utf-8")
    before = folder_files(out / second)
    _, entries = batch(source, out)
    assert entries[second].status == "failed" and entries[first].status == "up to date"
    assert folder_files(out / second) == before

    # --force builds everything that can be built.
    _, entries = batch(source, out, settings=Settings(force=True, source_date_epoch=None))
    assert entries[first].status == "built"


def test_a_killed_build_process_loses_nothing(generated, reference, copy_projects, tmp_path):
    _, kinds = generated
    names = [n for n in sorted(kinds) if kinds[n] == OK][5:8]
    source = copy_projects(*names)
    killed = []

    def kill_a_build_process(entry):
        if killed:
            return
        for process in psutil.Process().children(recursive=True):
            if "forkserver" in " ".join(process.parent().cmdline()):  # a pool process
                os.kill(process.pid, signal.SIGKILL)
                killed.append(process.pid)
                return

    result, entries = batch(source, tmp_path / "out",
                            listener=Recorder(on_done=kill_a_build_process))
    assert killed
    assert {e.status for e in entries.values()} == {"built"}
    assert max(e.attempts for e in entries.values()) == 2  # the builds in flight, again
    for name in names:
        assert folder_files(tmp_path / "out" / name) == folder_files(reference(name))


def test_a_stopped_batch_leaves_whole_folders_and_resumes(generated, copy_projects, tmp_path):
    _, kinds = generated
    names = [n for n in sorted(kinds) if kinds[n] == OK][1:4]
    source = copy_projects(*names)
    out = tmp_path / "out"

    def stop(entry):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        batch(source, out, listener=Recorder(on_done=stop))
    report = report_of(out)
    assert report["finished"] is None
    statuses = [item["status"] for item in report["projects"]]
    assert statuses.count("built") == 1 and statuses.count("not built") == 2
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [".luoshu-batch.lock", REPORT, next(i["name"] for i in report["projects"]
                                           if i["status"] == "built")])

    _, entries = batch(source, out)
    assert sorted(e.status for e in entries.values()) == ["built"] * 2 + ["up to date"]


def test_one_batch_at_a_time_per_output_folder(generated, tmp_path):
    source, kinds = generated
    out = tmp_path / "out"
    with locked(out), pytest.raises(ProjectError) as caught:
        batch(source, out)
    assert "another luoshu batch is writing into this folder" in str(caught.value)


def test_the_command_line(generated, tmp_path):
    source, kinds = generated
    names = good_and_broken(kinds, 1)
    listing = tmp_path / "projects.txt"
    listing.write_text("".join(f"{source / name}\n" for name in names) + "nowhere\n",
                       encoding="utf-8")
    out = tmp_path / "out"
    done = subprocess.run([LUOSHU, "batch", listing, "-o", out, "--format", "pdf", "-j", "1"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert lines[0] == "luoshu batch: 4 projects on 1 local process"
    assert f"built {names[0]} in " in done.stderr
    failed = [line for line in lines if " failed " in line]
    assert len(failed) == 3
    assert failed[0] == (f"luoshu batch: [1/4] failed nowhere: {listing}:4: nowhere: no such "
                         "project folder")  # known before anything is built
    # The summary table on stdout, as plain text.
    assert re.search(r"^\| built +\| +1 \|", done.stdout, re.M), done.stdout
    assert re.search(r"^\| failed +\| +3 \|", done.stdout, re.M)
    assert f"report: {out / REPORT}" in done.stdout
    assert [a["format"] for a in report_of(out)["projects"][0]["artifacts"]] == ["pdf"]

    usage = subprocess.run([LUOSHU, "batch", listing, "-o", out, "-j", "2", "--scheduler",
                            "tcp://127.0.0.1:8786"], capture_output=True, text=True)
    assert usage.returncode == 2 and "--jobs is for this machine" in usage.stderr
