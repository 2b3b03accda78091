"""run_epubcheck: EPUBCheck's JSON report read into errors and warnings.

Report parsing is tested on hand-written reports (no Java needed); one real EPUBCheck run on a
broken file shows that errors come through; test_epub.py covers a passing book.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from luoshu.epub import validate
from luoshu.epub.validate import (
    EpubCheckResult,
    EpubCheckUnavailable,
    result_from_report,
    run_epubcheck,
)

REPORT = {
    "checker": {"checkerVersion": "5.3.0", "nFatal": 1, "nError": 1, "nWarning": 1, "nUsage": 1},
    "messages": [
        {"ID": "PKG-008", "severity": "FATAL", "message": "Unable to read file",
         "locations": [{"path": "EPUB/content.opf", "line": -1, "column": -1}]},
        {"ID": "RSC-005", "severity": "ERROR", "message": "Error while parsing file: bad",
         "locations": [{"path": "EPUB/text/a.xhtml", "line": 12, "column": 5},
                       {"path": "EPUB/text/b.xhtml", "line": 3, "column": 1}]},
        {"ID": "CSS-017", "severity": "WARNING", "message": "CSS selector specifies absolute "
         "position.", "locations": [{"path": "EPUB/style/book.css", "line": 4, "column": 2}]},
        {"ID": "HTM-011", "severity": "USAGE", "message": "advice", "locations": []},
        {"ID": "INF-001", "severity": "INFO", "message": "ignored", "locations": []},
    ],
}


def test_report_is_split_by_severity():
    result = result_from_report(REPORT)
    assert result.errors == (
        "PKG-008 EPUB/content.opf: Unable to read file",
        "RSC-005 EPUB/text/a.xhtml:12:5 (+1 more): Error while parsing file: bad",
    )
    assert result.warnings == ("CSS-017 EPUB/style/book.css:4:2: CSS selector specifies "
                               "absolute position.",)
    assert result.usages == ("HTM-011 advice",)
    assert result.version == "5.3.0"
    assert not result.ok
    assert "2 error(s), 1 warning(s)" in str(result)


def test_ok_means_no_errors_and_no_warnings():
    assert EpubCheckResult(errors=(), warnings=(), usages=("HTM-011 advice",)).ok
    assert not EpubCheckResult(errors=(), warnings=("OPF-053 w",)).ok
    assert not EpubCheckResult(errors=("RSC-005 e",), warnings=()).ok
    assert result_from_report({"messages": []}).ok


def test_missing_java_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setattr(validate.shutil, "which", lambda name: None)
    (tmp_path / "book.epub").write_bytes(b"PK")
    with pytest.raises(EpubCheckUnavailable, match="Java"):
        run_epubcheck(tmp_path / "book.epub")


@pytest.mark.skipif(shutil.which("java") is None, reason="EPUBCheck needs Java")
def test_a_broken_epub_has_errors(tmp_path: Path):
    broken = tmp_path / "broken.epub"
    with zipfile.ZipFile(broken, "w") as archive:
        archive.writestr("mimetype", "application/epub+zip", compress_type=zipfile.ZIP_STORED)
        archive.writestr("META-INF/container.xml", (
            '<?xml version="1.0"?><container version="1.0" '
            'xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles>'
            '<rootfile full-path="EPUB/content.opf" media-type="application/oebps-package+xml"/>'
            "</rootfiles></container>"))
    result = run_epubcheck(broken)
    assert not result.ok
    assert result.errors and all(message[:3].isalpha() for message in result.errors)
    assert any("EPUB/content.opf" in message for message in result.errors), str(result)


def test_a_missing_file_is_not_a_clean_result(tmp_path):
    # EPUBCheck itself reports no messages for a missing file, only a failing exit status.
    with pytest.raises(FileNotFoundError):
        run_epubcheck(tmp_path / "absent.epub")


def test_a_failing_exit_status_without_messages_is_an_error(monkeypatch, tmp_path):
    def fake_run(command, **kwargs):
        report = Path(command[command.index("--json") + 1])
        report.write_text(json.dumps({"messages": [], "checker": {}}), encoding="utf-8")
        return subprocess.CompletedProcess(command, 1, stdout="", stderr="Something broke")

    monkeypatch.setattr(validate.shutil, "which", lambda name: "/usr/bin/java")
    monkeypatch.setattr(validate.subprocess, "run", fake_run)
    (tmp_path / "book.epub").write_bytes(b"PK")
    result = run_epubcheck(tmp_path / "book.epub")
    assert result.errors == ("EPUBCheck exited with status 1: Something broke",)
    assert not result.ok
