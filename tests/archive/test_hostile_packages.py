"""Hostile packages against ``luoshu verify``: a zip bomb is refused from the sizes its directory
declares, before a byte is written (it once wrote 2 GiB to the temporary folder before failing);
an entry is never copied past the size it declares; a machine without room says so."""

from __future__ import annotations

import io
import struct
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from luoshu.archive import bag as bag_module
from luoshu.archive.bag import unpack
from luoshu.archive.verify import verify
from luoshu.cli import main
from luoshu.errors import ProjectError

TOP = "book-archive"


def bomb(path: Path, megabytes: int = 256) -> Path:
    """A zip of a bag-shaped folder whose data/big.bin is *megabytes* of zeros, deflated
    (about a thousandth of that)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr(f"{TOP}/bagit.txt", "BagIt-Version: 1.0\n")
        info = zipfile.ZipInfo(f"{TOP}/data/big.bin")
        info.compress_type = zipfile.ZIP_DEFLATED
        with package.open(info, "w", force_zip64=True) as entry:
            block = bytes(1 << 20)
            for _ in range(megabytes):
                entry.write(block)
    return path


def test_a_zip_bomb_is_refused_before_anything_is_written(tmp_path):
    package = bomb(tmp_path / "bomb.zip")
    assert package.stat().st_size < 1 << 20
    with pytest.raises(ProjectError) as refused:
        unpack(package, tmp_path / "unpacked")
    (problem,) = refused.value.problems
    assert problem.code == "archive-unsafe" and problem.path == "bomb.zip"
    assert problem.message.startswith(f"refused zip entry '{TOP}/data/big.bin': it would "
                                      "inflate ")
    assert "to 268,435,456 (" in problem.message and "at most 100 times" in problem.message
    assert list((tmp_path / "unpacked").iterdir()) == []  # not even the bag folder


def test_verify_refuses_a_zip_bomb_in_one_line(tmp_path, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr("tempfile.tempdir", None)  # TMPDIR is read again
    result = CliRunner().invoke(main, ["verify", str(bomb(tmp_path / "bomb.zip")),
                                       "--no-epubcheck"])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 2 and lines[0].startswith("bomb.zip: refused zip entry")
    assert lines[1].endswith("bomb.zip: 1 problem(s)")
    assert list((tmp_path / "tmp").iterdir()) == []


def lying(path: Path, declared: int = 1000) -> Path:
    """A stored zip whose one data entry declares fewer bytes than it holds."""
    data = bytes(range(256)) * 4096  # 1 MiB
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr(f"{TOP}/bagit.txt", "BagIt-Version: 1.0\n")
        package.writestr(f"{TOP}/data/x.bin", data)
    raw = bytearray(buffer.getvalue())
    name = f"{TOP}/data/x.bin".encode()
    for signature, size_at in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = 0
        while (start := raw.find(signature, start)) >= 0:
            header_name = 30 if signature == b"PK\x03\x04" else 46
            if raw[start + header_name:start + header_name + len(name)] == name:
                struct.pack_into("<I", raw, start + size_at, declared)
            start += 4
    path.write_bytes(bytes(raw))
    return path


def test_an_entry_that_holds_more_than_it_declares_is_damage(tmp_path):
    problems = verify(lying(tmp_path / "lying.zip"), epubcheck=False)
    assert [(p.code, p.path) for p in problems] == [("verify-bag", "lying.zip")]
    assert "not a readable zip file" in problems[0].message
    written = tmp_path.rglob("x.bin")
    assert all(p.stat().st_size <= 1000 for p in written)


def test_a_copy_stops_at_the_declared_size():
    info = zipfile.ZipInfo("x")
    info.file_size = 10
    with pytest.raises(ProjectError) as refused:
        bag_module._copy_at_most(io.BytesIO(bytes(11)), io.BytesIO(), info, "p.zip")
    assert "holds more than it declares" in refused.value.problems[0].message


def test_too_many_entries_and_too_little_room(tmp_path, monkeypatch):
    package = tmp_path / "small.zip"
    with zipfile.ZipFile(package, "w") as zipped:
        for number in range(5):
            zipped.writestr(f"{TOP}/data/{number}.txt", "x" * 1000)
    monkeypatch.setattr(bag_module, "MAX_ENTRIES", 3)
    with pytest.raises(ProjectError) as refused:
        unpack(package, tmp_path / "a")
    assert "holds 5 entries, more than a package has (3)" in str(refused.value)
    monkeypatch.setattr(bag_module, "MAX_ENTRIES", 100)

    class Full:
        free = 10

    monkeypatch.setattr(bag_module.shutil, "disk_usage", lambda folder: Full())
    problems = verify(package, epubcheck=False)
    assert [p.code for p in problems] == ["archive-space"]
    assert "make room (or set TMPDIR to a larger folder)" in problems[0].message
