"""build_book: artifacts and manifest.json, atomic outputs, SOURCE_DATE_EPOCH.

PDFs are never rendered here: builds use formats=["epub"], and where a second format is needed
the "pdf" renderer is replaced by a fake that writes a few bytes (or fails). Nor is the book laid
out for print to give the EPUB its page breaks (test_pagemap does that): the EPUB gets none.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import re
import stat
import zipfile

import pytest
from PIL import Image

from luoshu.build import stages as build_module
from luoshu.build.stages import MANIFEST, build_book, modification_time
from luoshu.errors import ProjectError

RARE = "\U00020000"  # 𠀀: no configured font covers it


pytestmark = pytest.mark.usefixtures("no_source_date_epoch")


@pytest.fixture(autouse=True)
def no_print_layout(monkeypatch):
    monkeypatch.setattr(build_module.PrintLayout, "page_breaks", lambda self: ())


@pytest.fixture
def minimal(fixture_project):
    return fixture_project("minimal-hans")


@pytest.fixture
def fake_pdf(monkeypatch):
    """Replace the PDF renderer with one that writes b"%PDF-fake <title>"; returns a switch."""
    state = {"fail": False, "calls": 0}

    def render(book, destination, context):
        state["calls"] += 1
        destination.write_bytes(b"%PDF-fake " + book.meta.title.encode())
        if state["fail"]:
            raise ProjectError([])  # a renderer failing after writing part of its file

    monkeypatch.setitem(build_module.RENDERERS, "pdf", (".pdf", render))
    return state


def sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def snapshot(folder) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def manifest(out) -> dict:
    return json.loads((out / MANIFEST).read_text(encoding="utf-8"))


def opf(epub) -> str:
    with zipfile.ZipFile(epub) as archive:
        return archive.read("EPUB/content.opf").decode("utf-8")


# --- success --------------------------------------------------------------------------------


def test_epub_build_writes_artifact_and_manifest(minimal, tmp_path):
    out = tmp_path / "out"
    result = build_book(minimal, out, formats=["epub"])
    (artifact,) = result.artifacts
    assert (artifact.format, artifact.path) == ("epub", "minimal.epub")  # [output] basename
    epub = out / "minimal.epub"
    assert artifact.sha256 == sha256(epub)
    assert artifact.bytes == epub.stat().st_size
    assert manifest(out) == {"artifacts": [
        {"format": "epub", "path": "minimal.epub", "sha256": sha256(epub),
         "bytes": epub.stat().st_size}]}
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "minimal.epub"]
    assert result.warnings == ()
    with zipfile.ZipFile(epub) as archive:
        assert archive.namelist()[0] == "mimetype"
        assert archive.read("mimetype") == b"application/epub+zip"


def test_default_output_folder_is_dist(fixture_project):
    project = fixture_project("traditional-hant")
    result = build_book(project, formats=["epub"])
    assert (project / "dist" / "book.epub").is_file()
    assert (project / "dist" / MANIFEST).is_file()
    assert result.artifacts[0].path == "book.epub"


def test_progress_reports_each_stage(minimal, tmp_path):
    stages = []
    build_book(minimal, tmp_path / "out", formats=["epub"], progress=stages.append)
    assert stages == ["config", "fonts", "read", "check", "epub", "manifest"]


def test_warnings_are_returned(tmp_path, make_project):
    project = make_project(tmp_path / "book", {
        "book.toml": '[book]\ntitle = "书"\nlanguage = "zh-Hans"\nsections = ["01-a"]\n',
        "manuscript/01-a.md": "# 甲\n",
        "manuscript/02-b.md": "# 乙\n",
    })
    result = build_book(project, tmp_path / "out", formats=["epub"])
    (warning,) = result.warnings
    assert warning.code == "sections-unlisted"


def test_unknown_format_is_a_problem(minimal, tmp_path):
    with pytest.raises(ProjectError) as caught:
        build_book(minimal, tmp_path / "out", formats=["mobi"])
    assert "mobi" in str(caught.value)
    assert not (tmp_path / "out").exists()


def test_two_formats_in_one_manifest(minimal, tmp_path, fake_pdf):
    out = tmp_path / "out"
    result = build_book(minimal, out, formats=["pdf", "epub"])
    assert [a.format for a in result.artifacts] == ["pdf", "epub"]
    entries = manifest(out)["artifacts"]
    assert [(e["format"], e["path"]) for e in entries] == [("epub", "minimal.epub"),
                                                           ("pdf", "minimal.pdf")]
    for entry in entries:
        assert entry["sha256"] == sha256(out / entry["path"])
        assert entry["bytes"] == (out / entry["path"]).stat().st_size


# --- failed builds change nothing -----------------------------------------------------------


def leftovers(out) -> list[str]:
    return [p.name for p in out.iterdir() if p.name.endswith(".tmp") or p.name.startswith(".")]


def test_failed_build_leaves_previous_outputs_untouched(minimal):
    out = minimal / "dist"
    build_book(minimal, formats=["epub"])
    before = snapshot(out)
    intro = minimal / "manuscript" / "01-intro.md"
    text = intro.read_text(encoding="utf-8") + f"\n罕见字{RARE}。\n"
    intro.write_text(text, encoding="utf-8")
    with pytest.raises(ProjectError) as caught:
        build_book(minimal, formats=["epub"])
    (problem,) = caught.value.problems
    assert problem.code == "font-missing-glyph"
    assert snapshot(out) == before
    assert leftovers(out) == []


def test_failure_while_rendering_leaves_outputs_and_no_temp_files(minimal, tmp_path):
    out = minimal / "dist"
    build_book(minimal, formats=["epub"])
    before = snapshot(out)
    # A stylesheet that is a symlink out of the project: refused by the EPUB writer itself.
    outside = tmp_path / "outside.css"
    outside.write_text("p { color: red; }\n", encoding="utf-8")
    os.symlink(outside, minimal / "styles" / "zz-outside.css")
    with pytest.raises(ProjectError) as caught:
        build_book(minimal, formats=["epub"])
    assert any(p.code == "resource-outside" for p in caught.value.problems)
    assert snapshot(out) == before
    assert leftovers(out) == []


def test_second_format_failing_keeps_the_first_unreplaced(minimal, fake_pdf):
    out = minimal / "dist"
    build_book(minimal, formats=["epub"])
    before = snapshot(out)
    (minimal / "book.toml").write_text(
        (minimal / "book.toml").read_text(encoding="utf-8").replace("洛书小样", "洛书新样"),
        encoding="utf-8")
    fake_pdf["fail"] = True
    with pytest.raises(ProjectError):
        build_book(minimal, formats=["epub", "pdf"])
    assert fake_pdf["calls"] == 1
    assert snapshot(out) == before  # the new EPUB was rendered, but never moved into place
    assert leftovers(out) == []


# --- manifest across builds -----------------------------------------------------------------


def test_manifest_keeps_earlier_pdf_when_only_epub_rebuilt(minimal, fake_pdf):
    out = minimal / "dist"
    build_book(minimal, formats=["epub", "pdf"])
    pdf_entry = next(e for e in manifest(out)["artifacts"] if e["format"] == "pdf")
    build_book(minimal, formats=["epub"])
    entries = manifest(out)["artifacts"]
    assert [e["format"] for e in entries] == ["epub", "pdf"]
    assert entries[1] == pdf_entry
    assert entries[0]["sha256"] == sha256(out / "minimal.epub")


def test_manifest_drops_pdf_that_changed_or_vanished(minimal, fake_pdf):
    out = minimal / "dist"
    build_book(minimal, formats=["epub", "pdf"])
    (out / "minimal.pdf").write_bytes(b"edited by hand")
    build_book(minimal, formats=["epub"])
    assert [e["format"] for e in manifest(out)["artifacts"]] == ["epub"]

    build_book(minimal, formats=["pdf"])
    (out / "minimal.pdf").unlink()
    build_book(minimal, formats=["epub"])
    assert [e["format"] for e in manifest(out)["artifacts"]] == ["epub"]


def test_corrupt_manifest_is_replaced(minimal):
    out = minimal / "dist"
    out.mkdir()
    (out / MANIFEST).write_text("{not json", encoding="utf-8")
    build_book(minimal, formats=["epub"])
    assert [e["format"] for e in manifest(out)["artifacts"]] == ["epub"]


# --- time -----------------------------------------------------------------------------------


def test_source_date_epoch_sets_modification_time(minimal, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")  # 2023-11-14T22:13:20Z
    out = tmp_path / "out"
    build_book(minimal, out, formats=["epub"])
    modified = '<meta property="dcterms:modified">2023-11-14T22:13:20Z</meta>'
    assert modified in opf(out / "minimal.epub")
    with zipfile.ZipFile(out / "minimal.epub") as archive:
        assert {info.date_time for info in archive.infolist()} == {(2023, 11, 14, 22, 13, 20)}


def test_source_date_epoch_zero_is_clamped_in_zip(minimal, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")
    build_book(minimal, tmp_path / "out", formats=["epub"])
    epub = tmp_path / "out" / "minimal.epub"
    assert "1970-01-01T00:00:00Z" in opf(epub)
    with zipfile.ZipFile(epub) as archive:
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_without_source_date_epoch_the_book_date_is_used(minimal, tmp_path):
    build_book(minimal, tmp_path / "out", formats=["epub"])
    assert "2024-05-01T00:00:00Z" in opf(tmp_path / "out" / "minimal.epub")


def test_without_any_date_the_newest_source_is_used(fixture_project, tmp_path):
    project = fixture_project("traditional-hant")
    stamp = 1_600_000_000
    os.utime(project / "book.toml", (stamp, stamp))
    os.utime(project / "manuscript" / "01-preface.md", (stamp + 60, stamp + 60))
    build_book(project, tmp_path / "out", formats=["epub"])
    expected = dt.datetime.fromtimestamp(stamp + 60, tz=dt.timezone.utc)
    match = re.search(r'dcterms:modified">([^<]+)<', opf(tmp_path / "out" / "book.epub"))
    assert match[1] == expected.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_modification_time_ignores_a_non_numeric_epoch(minimal, monkeypatch):
    from luoshu.project.config import load_config

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")

    class FakeBook:
        meta = load_config(minimal).book
        project = minimal

    assert modification_time(FakeBook()) == dt.datetime(2024, 5, 1, tzinfo=dt.timezone.utc)


def test_builds_are_reproducible(minimal, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    first = build_book(minimal, tmp_path / "a", formats=["epub"])
    second = build_book(minimal, tmp_path / "b", formats=["epub"])
    assert first.artifacts == second.artifacts
    assert (tmp_path / "a" / MANIFEST).read_bytes() == (tmp_path / "b" / MANIFEST).read_bytes()


def test_outputs_get_the_usual_file_mode(minimal, tmp_path):
    previous = os.umask(0o022)
    try:
        build_book(minimal, tmp_path / "out", formats=["epub"])
    finally:
        os.umask(previous)
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in (tmp_path / "out").iterdir()}
    assert modes == {"minimal.epub": 0o644, "manifest.json": 0o644}


def test_a_supplied_cover_replaces_the_typeset_one(tmp_path, make_project, make_image):
    project = make_project(tmp_path / "book", {
        "book.toml": ('[book]\ntitle = "书"\nlanguage = "zh-Hans"\n'
                      '[epub]\ncover = "photos/cover.jpg"\nembed_fonts = false\n'),
        "manuscript/01-a.md": "# 甲\n\n正文。\n",
        "manuscript/photos/cover.jpg": make_image("JPEG", (2400, 3600)),
    })
    result = build_book(project, project / "dist", ["epub"])
    with zipfile.ZipFile(project / "dist" / result.artifacts[0].path) as epub:
        opf = epub.read("EPUB/content.opf").decode()
        cover = re.search(r'<item href="([^"]+)"[^>]*properties="cover-image"', opf)
        assert cover and cover[1].endswith(".jpg")
        with Image.open(io.BytesIO(epub.read(f"EPUB/{cover[1]}"))) as image:
            assert max(image.size) == 1600  # fit for screens like any photo
