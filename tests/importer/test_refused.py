"""Word files ``luoshu import`` refuses: one line naming the file and what to do, exit 1, no
traceback, nothing written (not even the project folder)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from docx.opc.constants import RELATIONSHIP_TYPE
from helpers.word import encrypted, with_part, word_97, zip_bomb

from luoshu.cli import main


def refused(tmp_path, document, expected: str):
    project = tmp_path / "book"
    result = CliRunner().invoke(main, ["import", str(document), str(project)])
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{document.name}: "), lines
    assert expected in lines[0]
    assert "Traceback" not in result.output
    assert not project.exists()


def test_word_97_file(tmp_path):
    refused(tmp_path, word_97(tmp_path / "旧稿.doc"), "save it as .docx")


def test_encrypted_file(tmp_path):
    refused(tmp_path, encrypted(tmp_path / "机密.docx"), "encrypted (password-protected)")


def test_zip_bomb(tmp_path):
    refused(tmp_path, zip_bomb(tmp_path / "bomb.docx"), "zip bomb")


def test_linked_picture(tmp_path):
    document = with_part(tmp_path / "linked.docx", "", b"", RELATIONSHIP_TYPE.IMAGE,
                         external_target="file:///C:/photos/port.jpg")
    refused(tmp_path, document, "links to 'file:///C:/photos/port.jpg'")


def test_linked_subdocument(tmp_path):
    document = with_part(tmp_path / "master.docx", "", b"",
                         "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
                         "subDocument", external_target="chapter2.docx")
    refused(tmp_path, document, "links to 'chapter2.docx' (subDocument)")


def test_embedded_object(tmp_path):
    document = with_part(tmp_path / "embedded.docx", "/word/embeddings/oleObject1.bin",
                         b"\xd0\xcf\x11\xe0", RELATIONSHIP_TYPE.OLE_OBJECT)
    refused(tmp_path, document, "embedded object")


@pytest.mark.parametrize("content, expected", [
    (b"just text", "not a Word document"),
    (b"PK\x05\x06" + b"\0" * 18, "a zip file, but not a Word document"),
])
def test_not_a_word_document(tmp_path, content, expected):
    document = tmp_path / "稿件.docx"
    document.write_bytes(content)
    refused(tmp_path, document, expected)


def test_damaged_document(tmp_path):
    import zipfile

    document = tmp_path / "damaged.docx"
    with zipfile.ZipFile(document, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types")
        archive.writestr("word/document.xml", "<w:document")
    refused(tmp_path, document, "cannot be read")


def test_missing_file(tmp_path):
    refused(tmp_path, tmp_path / "没有.docx", "no such file")
