"""End to end: the archive package of real builds, and byte-for-byte reproducible builds.

Each project of ``conftest.E2E_PROJECTS`` is built once in every format (the ``built``
fixture); its package is checked the way an archivist would (``luoshu verify``: bag, build
record, PDF/A, EPUBCheck), with the bagit library directly, and its archival PDF with qpdf and
Ghostscript. Then one project is built in two different folders and every output compared.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import zipfile
from pathlib import Path

import bagit
import pikepdf
import pytest
from helpers.projects import MINIMAL_HANS, artifact

from luoshu.archive.verify import verify
from luoshu.build.stages import build_book
from luoshu.pdf.pdfa_check import pdfa_problems
from luoshu.project.load import load_book

pytestmark = pytest.mark.e2e


def test_the_package_verifies_as_an_archivist_receives_it(built):
    _, out = built
    package = artifact(out, "archive")
    assert verify(package) == []  # the zip, EPUBCheck included
    folder = package.with_suffix("")  # the same bag, unpacked beside it
    assert verify(folder, epubcheck=False) == []
    bag = bagit.Bag(str(folder))
    bag.validate()
    assert set(bag.algorithms) == {"sha256", "sha512"}


def test_bag_info_names_the_book(built):
    project, out = built
    book, _ = load_book(project)
    bag = bagit.Bag(str(artifact(out, "archive").with_suffix("")))
    assert bag.info["External-Identifier"] == book.meta.identifier
    assert bag.info["Bagging-Date"] == "2021-09-26"  # SOURCE_DATE_EPOCH of the build
    if book.meta.publisher:
        assert bag.info["Source-Organization"] == book.meta.publisher
    payload = set(bag.payload_files())
    basename = book.config.output.basename
    assert {f"data/{basename}.pdf", f"data/{basename}.epub", "data/metadata/dc.xml",
            "data/metadata/build.json", "data/source/book.toml"} <= payload


def test_the_archival_pdf_is_pdfa_2u_and_whole(built, tmp_path):
    _, out = built
    path = artifact(out, "pdfa")
    assert pdfa_problems(path) == []
    check = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    render = subprocess.run(["gs", "-q", "-dSAFER", "-dBATCH", "-dNOPAUSE", "-sDEVICE=png16m",
                             "-r20", "-dFirstPage=1", "-dLastPage=2",
                             f"-sOutputFile={tmp_path}/p%d.png", str(path)],
                            capture_output=True, text=True)
    assert render.returncode == 0 and not render.stderr, render.stderr
    with pikepdf.open(path) as pdfa, pikepdf.open(artifact(out, "pdf")) as reading:
        assert len(pdfa.pages) == len(reading.pages)  # the reading layout, page for page
        with pdfa.open_outline() as a, reading.open_outline() as b:
            assert [i.title for i in a.root] == [i.title for i in b.root]
        assert pdfa.Root.OutputIntents[0].S == "/GTS_PDFA1"


def digests(out: Path) -> dict[str, str]:
    """SHA-256 of every file a build wrote, the bag folder's included, by relative path."""
    return {path.relative_to(out).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(out.rglob("*")) if path.is_file()}


def test_two_builds_in_different_folders_are_byte_identical(tmp_path, sample_date):
    first, second = tmp_path / "a" / "书稿", tmp_path / "b-elsewhere" / "project"
    for folder in (first, second):
        shutil.copytree(MINIMAL_HANS, folder)
    build_book(first, first / "dist", ["epub", "pdf", "pdf-press", "archive"])
    build_book(second, second / "dist", ["epub", "pdf", "pdf-press", "archive"])
    one, two = digests(first / "dist"), digests(second / "dist")
    assert one == two
    assert "minimal-archive/manifest-sha256.txt" in one and "minimal-pdfa.pdf" in one
    with zipfile.ZipFile(first / "dist" / "minimal-archive.zip") as package:
        assert {info.date_time for info in package.infolist()} == {(2021, 9, 26, 0, 0, 0)}
