"""luoshu verify: a good package passes; each kind of damage is reported, all of them at once.

The packages pack stand-in renderings (see test_archive.py), so the PDF/A checker is replaced
by a stub (``pdfa_verdict``) and EPUBCheck is off, except where a test is about them. One test
runs the real EPUBCheck on a real EPUB, one the real PDF/A checker when it is installed.
"""

from __future__ import annotations

import json
import shutil
import sys
import types
import zipfile
from pathlib import Path

import bagit
import pytest
from helpers.archives import MODIFIED, copy_project, pack, stand_ins

from luoshu.archive.bag import unpack, write_archive
from luoshu.archive.verify import verify
from luoshu.build import stages as build_module
from luoshu.build.stages import build_book
from luoshu.project.load import load_book

needs_java = pytest.mark.skipif(shutil.which("java") is None, reason="EPUBCheck needs Java")


pytestmark = pytest.mark.usefixtures("no_source_date_epoch")


@pytest.fixture(autouse=True)
def pdfa_verdict(monkeypatch):
    """A stub luoshu.pdf.pdfa_check whose pdfa_problems returns this list (empty: conforming)."""
    found: list[str] = []
    stub = types.ModuleType("luoshu.pdf.pdfa_check")
    stub.pdfa_problems = lambda path: list(found)
    monkeypatch.setitem(sys.modules, "luoshu.pdf.pdfa_check", stub)
    return found


@pytest.fixture(scope="module")
def good_zip(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("good")
    return pack(copy_project(root / "project"), root / "out")


@pytest.fixture
def bag(good_zip, tmp_path) -> Path:
    """A fresh unpacked copy of the good package, for a test to damage."""
    return unpack(good_zip, tmp_path / "unpacked")


def findings(problems) -> set[tuple[str, str]]:
    return {(p.code, str(p.path)) for p in problems}


def message(problems, code: str, path: str) -> str:
    return " | ".join(p.message for p in problems if p.code == code and str(p.path) == path)


def rebag(folder: Path) -> None:
    """Regenerate the manifests, as someone who edits a bag and 'fixes' it would."""
    bagit.Bag(str(folder)).save(manifests=True)


# --- good packages ------------------------------------------------------------------------------


def test_a_good_zip_verifies(good_zip):
    assert verify(good_zip, epubcheck=False) == []


def test_a_good_folder_verifies(bag):
    assert verify(bag, epubcheck=False) == []


# --- damage -------------------------------------------------------------------------------------


def flip_byte(path: Path, offset: int = 10) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def test_a_changed_payload_byte_is_a_checksum_problem(bag):
    flip_byte(bag / "data" / "minimal.pdf")
    problems = verify(bag, epubcheck=False)
    text = message(problems, "verify-bag", "data/minimal.pdf")
    assert "sha256 checksum differs from the manifest" in text
    assert "sha512 checksum differs" in text
    # build.json recorded the PDF too
    recorded = message(problems, "verify-record", "data/minimal.pdf")
    assert "differs from build.json's outputs" in recorded


def test_a_deleted_dc_xml_is_missing_and_breaks_the_bag(bag):
    (bag / "data" / "metadata" / "dc.xml").unlink()
    problems = verify(bag, epubcheck=False)
    assert ("verify-missing", "data/metadata/dc.xml") in findings(problems)
    assert "missing" in message(problems, "verify-bag", "data/metadata/dc.xml")
    assert "Payload-Oxum" in message(problems, "verify-bag", "bag-info.txt")


def test_a_changed_source_file_no_longer_matches_the_build_record(bag):
    source = bag / "data" / "source" / "manuscript" / "01-intro.md"
    source.write_text(source.read_text(encoding="utf-8") + "\n后来加的一段。\n", encoding="utf-8")
    rebag(bag)  # the bag is made valid again: only build.json can tell
    problems = verify(bag, epubcheck=False)
    assert findings(problems) == {("verify-record", "data/source/manuscript/01-intro.md")}
    assert "differs from build.json's inputs" in problems[0].message


def test_added_and_removed_sources_are_named(bag):
    source = bag / "data" / "source"
    (source / "manuscript" / "04-extra.md").write_text("# 多出来的\n", encoding="utf-8")
    (source / "styles" / "house.css").unlink()
    rebag(bag)
    problems = verify(bag, epubcheck=False)
    assert findings(problems) == {("verify-unlisted", "data/source/manuscript/04-extra.md"),
                                  ("verify-record", "data/source/styles/house.css")}
    assert "not listed in build.json's inputs" in message(
        problems, "verify-unlisted", "data/source/manuscript/04-extra.md")
    assert "listed in build.json's inputs but not in the package" in message(
        problems, "verify-record", "data/source/styles/house.css")
    # A file no build record lists is a warning: the bag vouches for its bytes; an archivist
    # asks what it is. A listed file gone is an error: the book's sources are incomplete.
    assert [p.severity for p in problems if p.code == "verify-unlisted"] == ["warning"]


def test_files_beside_the_sources_that_no_record_lists_are_warned_about(bag):
    (bag / "data" / "notes.txt").write_text("added later\n", encoding="utf-8")
    (bag / "data" / "metadata" / "extra.json").write_text("{}\n", encoding="utf-8")
    rebag(bag)  # bagged properly: the bag is valid, only the record can tell
    problems = verify(bag, epubcheck=False)
    assert findings(problems) == {("verify-unlisted", "data/notes.txt"),
                                  ("verify-unlisted", "data/metadata/extra.json")}
    assert all(p.severity == "warning" and "no build record lists it" in p.message
               for p in problems)


def test_an_unlisted_file_in_the_bag_is_reported(bag):
    (bag / "data" / "notes.txt").write_text("added later\n", encoding="utf-8")
    problems = verify(bag, epubcheck=False)
    assert "in none of its manifests" in message(problems, "verify-bag", "data/notes.txt")


def test_a_dc_xml_without_language_or_that_does_not_parse(bag):
    dc = bag / "data" / "metadata" / "dc.xml"
    dc.write_text(dc.read_text(encoding="utf-8").replace("dc:language", "dc:lang"),
                  encoding="utf-8")
    rebag(bag)
    assert "no dc:language" in message(verify(bag, epubcheck=False), "verify-record",
                                       "data/metadata/dc.xml")
    dc.write_text("<metadata>", encoding="utf-8")
    rebag(bag)
    assert "not well-formed XML" in message(verify(bag, epubcheck=False), "verify-record",
                                            "data/metadata/dc.xml")


def test_a_build_json_that_does_not_parse(bag):
    (bag / "data" / "metadata" / "build.json").write_text("{inputs: []", encoding="utf-8")
    rebag(bag)
    problems = verify(bag, epubcheck=False)
    assert findings(problems) == {("verify-record", "data/metadata/build.json")}
    assert "not valid JSON" in problems[0].message


def test_a_package_without_epub(bag):
    (bag / "data" / "minimal.epub").unlink()
    rebag(bag)
    problems = verify(bag, epubcheck=False)
    assert "one EPUB under data/, and holds 0" in message(problems, "verify-missing", "data")
    assert "listed in build.json's outputs but not in the package" in message(
        problems, "verify-record", "data/minimal.epub")


def test_every_problem_is_reported_at_once(bag, pdfa_verdict):
    flip_byte(bag / "data" / "minimal.pdf")
    (bag / "data" / "metadata" / "dc.xml").unlink()
    source = bag / "data" / "source" / "styles" / "house.css"
    source.write_bytes(source.read_bytes() + b"/* changed */\n")
    pdfa_verdict.append("no PDF/A identification in the XMP metadata")
    problems = verify(bag, epubcheck=False)
    assert {
        ("verify-bag", "bag-info.txt"),  # Payload-Oxum: bagit would stop here
        ("verify-bag", "data/metadata/dc.xml"),  # missing
        ("verify-bag", "data/minimal.pdf"),  # checksums, checked although bagit stopped
        ("verify-bag", "data/source/styles/house.css"),
        ("verify-missing", "data/metadata/dc.xml"),
        ("verify-record", "data/minimal.pdf"),
        ("verify-record", "data/source/styles/house.css"),
        ("verify-pdfa", "data/minimal.pdf"),
    } <= findings(problems)


def test_a_truncated_zip(good_zip, tmp_path):
    broken = tmp_path / "broken.zip"
    broken.write_bytes(good_zip.read_bytes()[:-200])
    problems = verify(broken, epubcheck=False)
    assert findings(problems) == {("verify-bag", "broken.zip")}
    assert "not a readable zip file" in problems[0].message


def test_a_zip_with_a_damaged_entry(good_zip, tmp_path):
    with zipfile.ZipFile(good_zip) as package:
        entry = package.getinfo("minimal-archive/data/minimal.pdf")
    damaged = tmp_path / "damaged.zip"
    damaged.write_bytes(good_zip.read_bytes())
    # stored entries: the file's bytes follow its local header (30 bytes, name, no extra)
    flip_byte(damaged, entry.header_offset + 30 + len(entry.filename.encode()) + 5)
    problems = verify(damaged, epubcheck=False)
    assert findings(problems) == {("verify-bag", "damaged.zip")}
    assert "CRC" in problems[0].message


def test_an_unsafe_zip_is_reported_not_extracted(tmp_path):
    unsafe = tmp_path / "unsafe.zip"
    with zipfile.ZipFile(unsafe, "w") as package:
        package.writestr("bag/bagit.txt", "BagIt-Version: 0.97\n")
        package.writestr("../evil.txt", "x")
    problems = verify(unsafe, epubcheck=False)
    assert [p.code for p in problems] == ["archive-unsafe"]
    assert not (tmp_path.parent / "evil.txt").exists()


def test_a_folder_that_is_not_a_bag(tmp_path):
    problems = verify(tmp_path, epubcheck=False)
    assert findings(problems) == {("verify-bag", "bagit.txt")}
    assert verify(tmp_path / "nothing-here", epubcheck=False)[0].code == "verify-missing"


# --- the renderings -----------------------------------------------------------------------------


def test_pdfa_problems_are_reported_against_the_pdf(bag, pdfa_verdict):
    pdfa_verdict += ["no OutputIntent", "font F1 not embedded"]
    problems = verify(bag, epubcheck=False)
    assert [p.message for p in problems] == ["not PDF/A-2: no OutputIntent",
                                             "not PDF/A-2: font F1 not embedded"]
    assert {str(p.path) for p in problems} == {"data/minimal.pdf"}


def test_the_real_pdfa_checker_rejects_a_stand_in(bag, monkeypatch):
    monkeypatch.delitem(sys.modules, "luoshu.pdf.pdfa_check")  # the stub goes, the real one comes
    pytest.importorskip("luoshu.pdf.pdfa_check")
    problems = verify(bag, epubcheck=False)
    assert {p.code for p in problems} == {"verify-pdfa"}


@needs_java
def test_epubcheck_passes_a_real_epub_and_fails_a_stand_in(tmp_path, monkeypatch):
    project = copy_project(tmp_path / "project")
    out = tmp_path / "dist"
    # The EPUB's print page numbers need the print layout, which is test_pagemap's business.
    monkeypatch.setattr(build_module.PrintLayout, "page_breaks", lambda self: ())
    build_book(project, out, ["epub"])
    book, _ = load_book(project)
    pdf, stand_in_epub = stand_ins(tmp_path / "renderings")
    real = tmp_path / "real.zip"
    write_archive(book, real, MODIFIED, pdfa=pdf, epub=out / "minimal.epub")
    assert verify(real) == []
    fake = tmp_path / "fake.zip"
    write_archive(book, fake, MODIFIED, pdfa=pdf, epub=stand_in_epub)
    problems = verify(fake)
    assert problems and {(p.code, str(p.path)) for p in problems} == {
        ("verify-epub", "data/minimal.epub")}
    assert all(p.message.startswith("EPUBCheck: ") for p in problems)


def test_epubcheck_that_cannot_run_is_a_problem(bag, monkeypatch):
    from luoshu.epub import validate

    def unavailable(path, **options):
        raise validate.EpubCheckUnavailable("no java on PATH")

    monkeypatch.setattr(validate, "run_epubcheck", unavailable)
    problems = verify(bag)
    assert findings(problems) == {("verify-epub", "data/minimal.epub")}
    assert "no java on PATH" in problems[0].message


def test_verify_reads_the_record_it_checks(bag):
    """A sanity check of the fixture: the record lists exactly the packed sources."""
    record = json.loads((bag / "data" / "metadata" / "build.json").read_text(encoding="utf-8"))
    sources = {p.relative_to(bag / "data" / "source").as_posix()
               for p in (bag / "data" / "source").rglob("*") if p.is_file()}
    assert {item["path"] for item in record["inputs"]} == sources
