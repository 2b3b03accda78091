"""A project's inputs as a batch sees them: the fingerprint that decides what a rerun skips,
the bundle a worker builds from, and what a worker must share with the client."""

from __future__ import annotations

import io
import os
import zipfile

import pytest
from helpers.projects import image_bytes

from luoshu.batch.environment import differences, environment, software
from luoshu.batch.inputs import BUNDLE_INDEX, bundle, plan_project, unpack

SECTION = "# 导语\n\n金秋时节，河洛大地洋溢着丰收的喜悦。\n"

pytestmark = pytest.mark.usefixtures("no_source_date_epoch")


@pytest.fixture
def project(tmp_path, make_project, make_image):
    return make_project(tmp_path / "issue", {
        "manuscript/01-lead.md": SECTION,
        "manuscript/photos/street.jpg": make_image(),
        "manuscript/captions.toml": '[[photo]]\nfile = "photos/street.jpg"\ncaption = "街景"\n'
                                    'alt = "街道"\n',
        "cover.jpg": make_image(color=(10, 20, 30)),  # outside manuscript/, named by book.toml
        "book.toml": '[book]\ntitle = "测试之书"\nlanguage = "zh-Hans"\n\n'
                     '[epub]\ncover = "../cover.jpg"\n',
        "dist/old.epub": b"an earlier build's output, not an input",
    })


def test_the_fingerprint_follows_the_inputs_and_nothing_else(project):
    first = plan_project(project, ("epub",))
    assert [item.path for item in first.inputs] == [
        "book.toml", "cover.jpg", "manuscript/01-lead.md", "manuscript/captions.toml",
        "manuscript/photos/street.jpg"]
    (project / "dist" / "old.epub").write_bytes(b"changed")
    (project / "notes.txt").write_text("编辑的备忘", encoding="utf-8")
    assert plan_project(project, ("epub",)).fingerprint == first.fingerprint
    assert plan_project(project, ("pdf",)).fingerprint != first.fingerprint
    (project / "cover.jpg").write_bytes(image_bytes(color=(90, 20, 30)))  # another cover
    assert plan_project(project, ("epub",)).fingerprint != first.fingerprint


def test_without_a_date_the_files_times_are_part_of_the_fingerprint(project, monkeypatch):
    before = plan_project(project, ("epub",))
    os.utime(project / "manuscript" / "01-lead.md", (1_700_000_000, 1_700_000_000))
    os.utime(project / "book.toml", (1_700_000_000, 1_700_000_000))
    assert plan_project(project, ("epub",)).fingerprint != before.fingerprint
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1632614400")
    pinned = plan_project(project, ("epub",)).fingerprint
    os.utime(project / "book.toml", (1_600_000_000, 1_600_000_000))
    assert plan_project(project, ("epub",)).fingerprint == pinned


def test_a_bundle_is_the_same_bytes_and_unpacks_to_the_same_project(project, tmp_path):
    plan = plan_project(project, ("epub",))
    data = bundle(plan)
    assert bundle(plan_project(project, ("epub",))) == data
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
    assert names[0] == BUNDLE_INDEX and "dist/old.epub" not in names
    copy = unpack(data, tmp_path / "worker" / "issue")
    for item in plan.inputs:
        original, unpacked = item.source, copy / item.path
        assert unpacked.read_bytes() == original.read_bytes()
        assert unpacked.stat().st_mtime_ns == original.stat().st_mtime_ns
    # Read on the worker, the project gives the same fingerprint: same inputs, same timestamp.
    assert plan_project(copy, ("epub",)).fingerprint == plan.fingerprint


def test_a_bundle_with_a_name_out_of_its_folder_is_refused(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(BUNDLE_INDEX, '{"mtimes": {}}')
        archive.writestr("../escaped.txt", "x")
    with pytest.raises(ValueError, match="unsafe name"):
        unpack(buffer.getvalue(), tmp_path / "project")
    assert not (tmp_path / "escaped.txt").exists()


def test_the_environment_names_what_decides_the_bytes(project):
    found = software()
    for key in ("luoshu", "luoshu-files", "python", "weasyprint", "fonttools", "pango"):
        assert found[key], key
    plan = plan_project(project, ("epub",))
    assert "ghostscript" not in plan.environment  # only the press PDF goes through it
    assert "ghostscript" in environment(plan.book, ("pdf-press",))
    roles = {face["role"] for face in plan.environment["fonts"]}
    assert roles == {"body", "heading", "caption", "code"}
    assert all(len(face["sha256"]) == 64 for face in plan.environment["fonts"])


def test_differences_name_each_mismatch_briefly(project):
    here = plan_project(project, ("epub",)).environment
    assert differences(here, here) == []
    there = {**here, "weasyprint": "71.0", "luoshu-files": "0" * 64,
             "fonts": [dict(face) for face in here["fonts"]]}
    there["fonts"][0]["sha256"] = "f" * 64
    body = here["fonts"][0]
    assert differences(here, there) == [
        "luoshu's installed files differ (its code, templates or theme)",
        f"weasyprint 71.0 there, {here['weasyprint']} here",
        f"font {body['family']} ({body['file']}, body) has other contents there",
    ]
    assert differences(here, {**here, "fonts": here["fonts"][1:]})[0].endswith("missing there")
