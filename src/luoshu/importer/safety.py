"""What a Word file must be before luoshu reads it: a .docx, whole, not encrypted, of a size
that unpacks safely, self-contained (no linked pictures or documents, no embedded objects, no
macros). Each refusal is one ProjectError line saying what to do.

The checks read the file's structure only: the zip directory (sizes, before anything is
unpacked), olefile for the older binary container (a .doc, or an encrypted .docx, which Word
wraps in one), and python-docx's package for relationships and parts.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import docx
import olefile
from docx.opc.constants import RELATIONSHIP_TYPE

from ..errors import Problem, ProjectError

# Limits that no manuscript reaches and every zip bomb does.
MAX_MEMBERS = 5_000
MAX_UNPACKED = 512 * 1024 * 1024  # bytes, all members together
MAX_RATIO = 200  # unpacked / packed, for any member larger than RATIO_FROM
RATIO_FROM = 4 * 1024 * 1024
# External targets a manuscript may have: web links, and the template Word remembers it was
# made from (never read).
ALLOWED_EXTERNAL = {
    RELATIONSHIP_TYPE.HYPERLINK,
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/attachedTemplate",
}
_EMBEDDED = ("/word/embeddings/", "/word/activeX/", "/word/vbaProject")


def refuse(message: str, source: Path) -> ProjectError:
    return ProjectError([Problem(message, source.name, code="import-refused")])


def check_word_file(source: Path) -> None:
    """Raise ProjectError (one line) unless *source* is a .docx luoshu can read safely."""
    if not source.is_file():
        raise refuse("no such file", source)
    if olefile.isOleFile(str(source)):
        with olefile.OleFileIO(str(source)) as container:
            if container.exists("EncryptedPackage"):
                raise refuse("the document is encrypted (password-protected): remove the "
                             "password in Word or WPS (文件 → 信息 → 保护文档 / 文档加密) and save "
                             "it again", source)
        raise refuse("this is a Word 97–2003 .doc file: open it in Word or WPS and save it as "
                     ".docx (另存为 → Word 文档 .docx)", source)
    if not zipfile.is_zipfile(source):
        raise refuse("not a Word document (.docx): save it from Word or WPS as .docx", source)
    with zipfile.ZipFile(source) as archive:
        members = archive.infolist()
        names = {m.filename for m in members}
        if "word/document.xml" not in names and not any(n.endswith("document.xml")
                                                         for n in names):
            raise refuse("a zip file, but not a Word document: save it from Word or WPS as "
                         ".docx", source)
        if len(members) > MAX_MEMBERS or sum(m.file_size for m in members) > MAX_UNPACKED:
            raise refuse(f"unpacks to more than {MAX_UNPACKED // 2**20} MB or {MAX_MEMBERS} "
                         "parts, which no manuscript does (a zip bomb?): refused", source)
        for member in members:
            if member.file_size > RATIO_FROM and member.file_size > MAX_RATIO * max(
                    member.compress_size, 1):
                raise refuse(f"{member.filename} unpacks {member.file_size // member.compress_size}"
                             "-fold, which no manuscript does (a zip bomb?): refused", source)
        for member in members:
            if member.filename.endswith((".xml", ".rels")):
                head = archive.read(member)[:4096]
                if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
                    raise refuse(f"{member.filename} declares a DOCTYPE, which no Word document "
                                 "does: refused", source)
    _check_package(source)


def _check_package(source: Path) -> None:
    """No linked pictures or documents, no embedded objects or macros: the book must be made
    of what the file holds, and luoshu fetches nothing."""
    try:
        document = docx.Document(str(source))
    except Exception as error:  # python-docx raises many kinds on a broken package
        raise refuse(f"the .docx cannot be read ({type(error).__name__}: {error}); open it in "
                     "Word or WPS and save it again", source) from None
    for part in document.part.package.iter_parts():
        name = str(part.partname)
        if name.startswith(_EMBEDDED) or "oleObject" in part.content_type:
            what = "macros" if "vbaProject" in name else "an embedded object (an Excel sheet, " \
                "a formula or another document inside the text)"
            raise refuse(f"the document holds {what} ({name}): replace it by a table, a picture "
                         "or text, and save it again", source)
        for relationship in part.rels.values():
            if relationship.is_external and relationship.reltype not in ALLOWED_EXTERNAL:
                kind = relationship.reltype.rsplit("/", 1)[-1]
                raise refuse(f"the document links to {relationship.target_ref!r} ({kind}) "
                             "instead of holding it: insert the picture or text itself "
                             "(Word: 编辑链接 → 断开链接), and save it again", source)
