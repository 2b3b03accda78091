"""The archive package: a valid BagIt bag, laid out as documented, reproducible, safely unpacked.

Most tests pack small stand-in files as the PDF/A and the EPUB — the package's structure does
not depend on what they hold — so that they run in a second; one test packs a real build's PDF
and EPUB. The fixture book is packed once per module (``packed``) and the tests read it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import socket
import stat
import zipfile
from pathlib import Path

import bagit
import pytest
from helpers.archives import EPUB, MODIFIED, PDF, copy_project, pack
from helpers.projects import MINIMAL_HANS
from lxml import etree

from luoshu.archive.bag import bag_name, unpack, write_archive
from luoshu.archive.record import DC, DCTERMS, XSI, build_record, font_licence
from luoshu.build.stages import build_book
from luoshu.errors import ProjectError
from luoshu.project.load import load_book


@pytest.fixture(scope="module")
def packed(tmp_path_factory):
    """(project, zip, unpacked bag folder) of the minimal-hans fixture."""
    root = tmp_path_factory.mktemp("packed")
    project = copy_project(root / "project")
    archive = pack(project, root / "out")
    return project, archive, unpack(archive, root / "unpacked")


def project_files(project: Path) -> dict[str, bytes]:
    """What the archive's sources should be: book.toml and everything under the source
    folders (the fixture has no hidden files)."""
    files = {"book.toml": (project / "book.toml").read_bytes()}
    for folder in ("manuscript", "styles", "fonts"):
        for path in sorted((project / folder).rglob("*")):
            if path.is_file():
                files[path.relative_to(project).as_posix()] = path.read_bytes()
    return files


def tree(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- the bag ------------------------------------------------------------------------------------


def test_the_unpacked_bag_is_valid_and_named_after_the_archive(packed):
    _, archive, bag = packed
    assert bag.name == "minimal-archive" == archive.stem
    assert bagit.Bag(str(bag)).validate()


def test_payload_and_tag_files_are_laid_out_as_documented(packed):
    project, _, bag = packed
    sources = {f"data/source/{path}" for path in project_files(project)}
    assert tree(bag) == {
        "bagit.txt", "bag-info.txt",
        "manifest-sha256.txt", "manifest-sha512.txt",
        "tagmanifest-sha256.txt", "tagmanifest-sha512.txt",
        "data/minimal.pdf", "data/minimal.epub",
        "data/metadata/dc.xml", "data/metadata/build.json",
        *sources,
    }
    assert "data/source/manuscript/photos/street.jpg" in sources
    assert "data/source/styles/house.css" in sources
    assert (bag / "data" / "minimal.pdf").read_bytes() == PDF
    assert (bag / "data" / "minimal.epub").read_bytes() == EPUB


def test_bag_info_names_the_publisher_the_book_and_the_build_date(packed):
    _, _, bag = packed
    info = bagit.Bag(str(bag)).info
    assert info["Source-Organization"] == "洛书出版社"
    assert info["External-Identifier"] == "urn:isbn:978-7-02-000220-7"
    assert info["External-Description"] == "洛书小样 一个用于测试的示例项目"
    assert info["Bagging-Date"] == "2025-01-02"  # modified's day, not today's
    assert info["Bag-Software-Agent"].startswith("bagit.py v")
    payload = [p for p in (bag / "data").rglob("*") if p.is_file()]
    assert info["Payload-Oxum"] == f"{sum(p.stat().st_size for p in payload)}.{len(payload)}"


def test_both_checksums_and_sorted_manifests(packed):
    _, _, bag = packed
    assert sorted(bagit.Bag(str(bag)).algorithms) == ["sha256", "sha512"]
    for name in ("tagmanifest-sha256.txt", "tagmanifest-sha512.txt"):
        paths = [line.split()[-1] for line in (bag / name).read_text().splitlines()]
        assert paths == sorted(paths)  # bagit lists them as os.listdir returns them
    tagmanifest = (bag / "tagmanifest-sha256.txt").read_text().splitlines()
    tagged = [line.split()[-1] for line in tagmanifest]
    assert tagged == ["bag-info.txt", "bagit.txt", "manifest-sha256.txt", "manifest-sha512.txt"]


def test_sources_are_the_project_byte_for_byte(packed):
    project, _, bag = packed
    source = bag / "data" / "source"
    assert {path: (source / path).read_bytes() for path in tree(source)} == project_files(project)


def test_a_book_without_publisher_has_no_source_organization(tmp_path):
    project = copy_project(tmp_path / "project")
    toml = project / "book.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace('publisher = "洛书出版社"\n', ""),
                    encoding="utf-8")
    bag = unpack(pack(project, tmp_path / "out"), tmp_path / "unpacked")
    info = bagit.Bag(str(bag)).info
    assert "Source-Organization" not in info
    assert info["External-Identifier"] == "urn:isbn:978-7-02-000220-7"


# --- the records --------------------------------------------------------------------------------


def test_dublin_core_record(packed):
    _, _, bag = packed
    text = (bag / "data" / "metadata" / "dc.xml").read_bytes()
    assert text.startswith(b"<?xml version='1.0' encoding='UTF-8'?>\n")
    root = etree.fromstring(text)

    def values(namespace: str, name: str) -> list[str]:
        return [e.text for e in root.iter(f"{{{namespace}}}{name}")]

    assert values(DC, "title") == ["洛书小样"]
    assert values(DCTERMS, "alternative") == ["洛书小样 一个用于测试的示例项目"]
    assert values(DC, "creator") == ["张三", "李四"]
    assert values(DC, "publisher") == ["洛书出版社"]
    assert values(DC, "date") == ["2024-05-01"]
    assert values(DC, "identifier") == ["urn:isbn:978-7-02-000220-7", "ISBN 978-7-02-000220-7"]
    assert values(DC, "language") == ["zh-Hans"]
    assert values(DC, "description") == ["用来检验 EPUB 3 与印刷版 PDF 的小书。"]
    assert values(DC, "subject") == ["测试", "排版"]
    assert values(DC, "rights") == ["© 2024 洛书出版社"]
    assert values(DC, "type") == ["Text"]
    assert values(DC, "format") == ["application/pdf", "application/epub+zip"]
    assert values(DCTERMS, "modified") == ["2025-01-02T03:04:05Z"]
    language = next(root.iter(f"{{{DC}}}language"))
    assert language.get(f"{{{XSI}}}type") == "dcterms:RFC5646"


def test_build_record_hashes_every_input_and_output(packed):
    project, _, bag = packed
    record = json.loads((bag / "data" / "metadata" / "build.json").read_text(encoding="utf-8"))
    expected = project_files(project)
    assert [item["path"] for item in record["inputs"]] == sorted(expected)
    for item in record["inputs"]:
        assert item["sha256"] == sha256(expected[item["path"]])
        assert item["bytes"] == len(expected[item["path"]])
    assert record["outputs"] == [
        {"format": "epub", "file": "minimal.epub", "bytes": len(EPUB), "sha256": sha256(EPUB)},
        {"format": "pdfa", "file": "minimal.pdf", "bytes": len(PDF), "sha256": sha256(PDF)},
    ]
    assert record["modified"] == "2025-01-02T03:04:05Z"
    assert record["modified_from"] == "other"
    assert record["identifier"] == "urn:isbn:978-7-02-000220-7"
    for library in ("weasyprint", "pydyf", "ebooklib", "fonttools", "Pillow", "lxml", "bagit"):
        assert record["libraries"][library], library
    assert record["libraries"]["weasyprint"] == "70.0"


def test_build_record_names_fonts_with_licences_but_no_machine_paths(packed):
    _, _, bag = packed
    record = json.loads((bag / "data" / "metadata" / "build.json").read_text(encoding="utf-8"))
    book, _ = load_book(MINIMAL_HANS)
    faces = [(role.name, face) for role in book.fonts.roles for face in role.faces]
    for entry, (role, face) in zip(record["fonts"], faces, strict=True):
        assert entry["role"] == role and entry["family"] == face.family
        assert entry["file"] == face.path.name and entry["index"] == face.index
        assert entry["sha256"] == sha256(face.path.read_bytes())
        assert set(entry["licence"]) == {"description", "url"}
        description = entry["licence"]["description"]
        assert description is None or len(description) <= 201


def test_build_record_has_no_absolute_path_or_host_name(packed):
    project, _, bag = packed
    text = (bag / "data" / "metadata" / "build.json").read_text(encoding="utf-8")
    assert str(project) not in text and str(bag) not in text
    assert "/usr/" not in text and "/tmp" not in text and "/home" not in text

    def strings(value):
        if isinstance(value, dict):
            for item in value.values():
                yield from strings(item)
        elif isinstance(value, list):
            for item in value:
                yield from strings(item)
        elif isinstance(value, str):
            yield value

    assert not [s for s in strings(json.loads(text)) if s.startswith(("/", "\\"))]
    host = socket.gethostname()
    if len(host) >= 4:  # a short name could appear by chance in a hash
        assert host not in text


def test_build_record_says_where_the_timestamp_came_from(tmp_path, monkeypatch):
    book, _ = load_book(MINIMAL_HANS)
    output = tmp_path / "book.pdf"
    output.write_bytes(PDF)

    def modified_from(moment):
        return json.loads(build_record(book, moment, {"pdfa": output}))["modified_from"]

    assert modified_from(dt.datetime(2024, 5, 1, tzinfo=dt.timezone.utc)) == "book date"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1632614400")
    assert modified_from(dt.datetime(2021, 9, 26, tzinfo=dt.timezone.utc)) == "SOURCE_DATE_EPOCH"


def test_font_licence_reads_a_face_of_a_collection():
    book, _ = load_book(MINIMAL_HANS)
    collections = [f for role in book.fonts.roles for f in role.faces if f.path.suffix == ".ttc"]
    if not collections:
        pytest.skip("no .ttc among this machine's fonts")
    licence = font_licence(collections[0].path, collections[0].index)
    assert licence["description"] and "License" in licence["description"]
    assert font_licence(Path(os.devnull)) == {"description": None, "url": None}


# --- reproducibility ----------------------------------------------------------------------------


def test_two_runs_in_different_folders_give_the_same_bytes(tmp_path):
    first = copy_project(tmp_path / "a" / "project")
    second = copy_project(tmp_path / "elsewhere" / "deeper" / "project")
    for path in second.rglob("*"):  # mtimes differ between checkouts: they must not matter
        os.utime(path, (1_000_000_000, 1_000_000_000))
    one = pack(first, tmp_path / "a" / "out")
    two = pack(second, tmp_path / "b" / "out", name="renamed.zip")  # a build's temporary name
    assert one.read_bytes() == two.read_bytes()


def test_zip_entries_are_sorted_dated_stored_and_plain(packed):
    _, archive, _ = packed
    with zipfile.ZipFile(archive) as package:
        entries = package.infolist()
    names = [entry.filename for entry in entries]
    assert names == sorted(names)
    assert all(name.startswith("minimal-archive/") for name in names)
    for entry in entries:
        assert entry.date_time == (2025, 1, 2, 3, 4, 4)  # zip times have 2-second steps
        assert entry.compress_type == zipfile.ZIP_STORED
        assert entry.create_system == 3
        assert stat.S_IMODE(entry.external_attr >> 16) == 0o644
        assert entry.extra == b""


def test_bag_name_comes_from_the_book():
    book, _ = load_book(MINIMAL_HANS)
    assert bag_name(book) == "minimal-archive"


# --- what is refused ----------------------------------------------------------------------------


def test_a_symlink_out_of_the_project_is_refused(tmp_path):
    project = copy_project(tmp_path / "project")
    secret = tmp_path / "secret.txt"
    secret.write_text("not the book's", encoding="utf-8")
    (project / "manuscript" / "photos" / "leak.jpg").symlink_to(secret)
    (project / "styles" / "elsewhere").symlink_to(tmp_path, target_is_directory=True)
    with pytest.raises(ProjectError) as raised:
        pack(project, tmp_path / "out")
    refused = {(p.code, str(p.path)) for p in raised.value.problems}
    assert ("resource-outside", "manuscript/photos/leak.jpg") in refused
    assert ("resource-outside", "styles/elsewhere") in refused
    assert not (tmp_path / "out" / "minimal-archive.zip").exists()
    # The build refuses the links before reading anything (resources.links_out_of): no
    # rendering, no scratch folder.
    assert not (tmp_path / "out").exists() or [
        p.name for p in (tmp_path / "out").iterdir()] in ([], ["renderings"])


def test_hidden_files_are_not_sources(tmp_path):
    project = copy_project(tmp_path / "project")
    (project / "manuscript" / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
    (project / "fonts" / ".git").mkdir(parents=True)
    (project / "fonts" / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    bag = unpack(pack(project, tmp_path / "out"), tmp_path / "unpacked")
    assert not [p for p in tree(bag / "data" / "source") if "/." in f"/{p}"]


def make_zip(path: Path, entries: list[tuple[str | zipfile.ZipInfo, bytes]]) -> Path:
    with zipfile.ZipFile(path, "w") as package:
        for name, data in entries:
            package.writestr(name, data)
    return path


def symlink_entry(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.create_system = 3
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


@pytest.mark.parametrize("entries, why", [
    ([("bag/bagit.txt", b"x"), ("bag/../../evil", b"x")], "'..'"),
    ([("bag/bagit.txt", b"x"), ("../evil", b"x")], "'..'"),
    ([("/etc/evil", b"x")], "absolute"),
    ([("bag/bagit.txt", b"x"), (symlink_entry("bag/data/link"), b"/etc/passwd")], "symbolic link"),
    ([("bag/bagit.txt", b"x"), ("other/bagit.txt", b"x")], "2 top-level folders"),
    ([("bag/bagit.txt", b"x"), ("loose.txt", b"x")], "beside the bag folder"),
    ([("bag/a\\..\\..\\evil", b"x")], "backslash"),
])
def test_unpack_refuses_unsafe_zips(tmp_path, entries, why):
    archive = make_zip(tmp_path / "unsafe.zip", entries)
    target = tmp_path / "target"
    with pytest.raises(ProjectError) as raised:
        unpack(archive, target)
    assert why in str(raised.value)
    assert all(p.code == "archive-unsafe" for p in raised.value.problems)
    assert not target.exists()  # refused before anything is written
    assert sorted(p.name for p in tmp_path.iterdir()) == ["unsafe.zip"]


def test_unpack_keeps_the_zip_dates(packed, tmp_path):
    _, archive, _ = packed
    bag = unpack(archive, tmp_path)
    moment = dt.datetime.fromtimestamp((bag / "bagit.txt").stat().st_mtime, dt.timezone.utc)
    assert moment == dt.datetime(2025, 1, 2, 3, 4, 4, tzinfo=dt.timezone.utc)


# --- with a real build --------------------------------------------------------------------------


@pytest.mark.e2e
def test_a_real_build_packs_into_a_valid_bag(tmp_path):
    project = copy_project(tmp_path / "project")
    out = tmp_path / "dist"
    result = build_book(project, out, ["epub", "pdf"])
    book, _ = load_book(project)
    destination = out / "minimal-archive.zip"
    write_archive(book, destination, MODIFIED, pdfa=out / "minimal.pdf", epub=out / "minimal.epub")
    bag = unpack(destination, tmp_path / "unpacked")
    assert bagit.Bag(str(bag)).validate()
    assert (bag / "data" / "minimal.pdf").read_bytes() == (out / "minimal.pdf").read_bytes()
    assert (bag / "data" / "minimal.epub").read_bytes() == (out / "minimal.epub").read_bytes()
    record = json.loads((bag / "data" / "metadata" / "build.json").read_text(encoding="utf-8"))
    built = {a.format: a.sha256 for a in result.artifacts}
    assert {o["format"]: o["sha256"] for o in record["outputs"]} == {
        "pdfa": built["pdf"], "epub": built["epub"]}
    # the build wrote dist/ inside the project: the archive's sources never include it
    assert not [p for p in tree(bag / "data" / "source") if p.startswith("dist/")]
