"""The archival PDF (luoshu.pdf.pdfa): PDF/A-2u written from the print layout, checked from outside.

The small book of helpers.books (three sections, two photos, a contents page with links) is
typeset once per module as a build does (luoshu.build.typesetting) and written as the archival
PDF, then as the reading PDF from the same pages; most tests read those two files with pikepdf, pypdf, poppler, qpdf and Ghostscript.
luoshu's own PDF/A-2 checker (luoshu.pdf.pdfa_check) must find nothing in the archival PDF, find
what WeasyPrint's own PDF/A output gets wrong, and find each fault of a broken copy.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import shutil
import subprocess
from pathlib import Path

import lxml.etree
import pikepdf
import pypdf
import pytest
from helpers.books import (
    ALL_PARAGRAPHS,
    AUTHORS,
    GALLERY_TITLE,
    SECTION_TITLES,
    TITLE,
    make_book,
)
from PIL import Image

from luoshu.build.typesetting import typeset
from luoshu.layout import typeset as typeset_layout
from luoshu.model import Book, PrintOptions
from luoshu.pdf import pdfa
from luoshu.pdf.parts import parse_pdf_date, parts
from luoshu.pdf.pdfa_check import pdfa_problems
from luoshu.pdf.write import cut_to_trim, write_document

MM = 72 / 25.4  # PDF points per millimetre
MODIFIED = dt.datetime(2024, 5, 2, 10, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))
SUBJECTS = ("时政", "评论")
XMP = {"x": "adobe:ns:meta/", "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
       "dc": "http://purl.org/dc/elements/1.1/", "pdf": "http://ns.adobe.com/pdf/1.3/",
       "xmp": "http://ns.adobe.com/xap/1.0/", "xmpMM": "http://ns.adobe.com/xap/1.0/mm/",
       "pdfaid": "http://www.aiim.org/pdfa/ns/id/"}

pytestmark = pytest.mark.skipif(
    any(shutil.which(tool) is None for tool in ("fc-match", "pdftotext", "qpdf", "gs")),
    reason="needs fontconfig, poppler-utils, qpdf and Ghostscript")


# --- Fixtures -----------------------------------------------------------------------------------


def with_subjects(book: Book) -> Book:
    """*book* with subjects, so that the PDFs have keywords."""
    meta = dataclasses.replace(book.config.book, subjects=SUBJECTS)
    return dataclasses.replace(book, config=dataclasses.replace(book.config, book=meta))


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pdfa")


@pytest.fixture(scope="module")
def book(folder: Path) -> Book:
    return with_subjects(make_book(folder / "project"))


@pytest.fixture(scope="module")
def joined(folder: Path, book: Book) -> Path:
    """The book typeset as a build does: its units drawn and joined, with their bleed."""
    scratch = folder / "typeset"
    scratch.mkdir()
    return typeset(book, scratch, draw=True, modified=MODIFIED).pdf


@pytest.fixture(scope="module")
def archive(folder: Path, joined: Path) -> Path:
    path = folder / "book-pdfa.pdf"
    pdfa.write_pdfa(joined, path)
    return path


@pytest.fixture(scope="module")
def reading(folder: Path, joined: Path, archive: Path) -> Path:
    """The reading PDF, written after the archival PDF from the same pages."""
    path = folder / "book.pdf"
    cut_to_trim(joined, path)
    return path


@pytest.fixture(scope="module")
def opened(archive: Path) -> pikepdf.Pdf:
    with pikepdf.open(archive) as document:
        yield document


def xmp_text(document: pikepdf.Pdf, path: str) -> list[str]:
    tree = lxml.etree.fromstring(document.Root.Metadata.read_bytes())
    return [str(value) for value in tree.xpath(path, namespaces=XMP)]


def text_of(path: Path) -> str:
    return subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout


def outline(path: Path) -> list:
    """The bookmarks as nested (title, page number) lists."""
    reader = pypdf.PdfReader(path)

    def walk(items: list) -> list:
        return [walk(item) if isinstance(item, list)
                else (item.title, reader.get_destination_page_number(item)) for item in items]
    return walk(reader.outline)


# --- The archival PDF ---------------------------------------------------------------------------


def test_luoshus_checker_finds_nothing(archive: Path) -> None:
    assert pdfa_problems(archive) == []


def test_qpdf_finds_no_damage(archive: Path) -> None:
    checked = subprocess.run(["qpdf", "--check", str(archive)], capture_output=True, text=True,
                             check=False)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_ghostscript_renders_the_first_page_at_the_trim_size(archive: Path,
                                                             tmp_path: Path) -> None:
    picture = tmp_path / "page-1.png"
    rendered = subprocess.run(
        ["gs", "-q", "-dSAFER", "-dBATCH", "-dNOPAUSE", "-sDEVICE=png16m", "-r20",
         "-dFirstPage=1", "-dLastPage=1", f"-sOutputFile={picture}", str(archive)],
        capture_output=True, text=True, timeout=60, check=False)
    assert rendered.returncode == 0, rendered.stderr
    with Image.open(picture) as image:
        width, height = image.size
    assert abs(width - 185 / 25.4 * 20) <= 1 and abs(height - 260 / 25.4 * 20) <= 1


def test_it_declares_pdfa_2u(opened: pikepdf.Pdf) -> None:
    assert (pdfa.PDFA_PART, pdfa.PDFA_CONFORMANCE) == (2, "U")
    assert xmp_text(opened, "//pdfaid:part/text()") == ["2"]
    assert xmp_text(opened, "//pdfaid:conformance/text()") == ["U"]
    assert opened.pdf_version == "1.7"
    with open(opened.filename, "rb") as file:
        assert file.read(9) == b"%PDF-1.7\n"


def test_xmp_and_info_say_the_books_metadata(opened: pikepdf.Pdf) -> None:
    info = opened.docinfo
    author = ", ".join(AUTHORS)
    assert str(info.Title) == TITLE
    assert xmp_text(opened, "//dc:title/rdf:Alt/rdf:li/text()") == [TITLE]
    # One dc:creator item holding exactly the Info Author string.
    assert str(info.Author) == author
    assert xmp_text(opened, "//dc:creator/rdf:Seq/rdf:li/text()") == [author]
    assert str(info.Subject) == "测试用书"
    assert xmp_text(opened, "//dc:description/rdf:Alt/rdf:li/text()") == ["测试用书"]
    assert str(info.Keywords) == "时政, 评论"
    assert xmp_text(opened, "//pdf:Keywords/text()") == ["时政, 评论"]
    assert str(info.Creator).startswith("luoshu ")
    assert xmp_text(opened, "//xmp:CreatorTool/text()") == [str(info.Creator)]
    assert xmp_text(opened, "//pdf:Producer/text()") == [str(info.Producer)]
    assert xmp_text(opened, "//dc:language/rdf:Bag/rdf:li/text()") == ["zh-Hans"]


def test_dates_are_the_books_and_the_builds(opened: pikepdf.Pdf) -> None:
    info = opened.docinfo
    assert parse_pdf_date(info.ModDate) == MODIFIED
    assert xmp_text(opened, "//xmp:ModifyDate/text()") == ["2024-05-02T10:30:00+08:00"]
    assert xmp_text(opened, "//xmp:MetadataDate/text()") == ["2024-05-02T10:30:00+08:00"]
    # The book's date (a day) is written in full, the same instant in both.
    assert str(info.CreationDate) == "D:20240501000000Z"
    assert xmp_text(opened, "//xmp:CreateDate/text()") == ["2024-05-01T00:00:00Z"]
    identifiers = xmp_text(opened, "//xmpMM:DocumentID/text()|//xmpMM:InstanceID/text()")
    assert len(identifiers) == 2 and all(i.startswith("uuid:") for i in identifiers)


def test_the_output_intent_is_srgb(opened: pikepdf.Pdf) -> None:
    (intent,) = opened.Root.OutputIntents
    assert intent.S == "/GTS_PDFA1"
    profile = intent.DestOutputProfile
    assert profile.N == 3 and profile.read_bytes()[12:20] == b"mntrRGB "
    assert "sRGB" in str(intent.OutputConditionIdentifier)


def test_pages_are_the_trim_without_bleed(opened: pikepdf.Pdf, reading: Path) -> None:
    with pikepdf.open(reading) as copy:
        assert len(opened.pages) == len(copy.pages)
        for page, reading_page in zip(opened.pages, copy.pages):
            media = [float(v) for v in page.MediaBox]
            assert media == [float(v) for v in reading_page.MediaBox]
            width, height = media[2] - media[0], media[3] - media[1]
            options = PrintOptions()
            assert abs(width - options.trim_width_mm * MM) < 0.01
            assert abs(height - options.trim_height_mm * MM) < 0.01
            assert [float(v) for v in page.obj.get("/TrimBox", page.MediaBox)] == media


def test_bookmarks_are_the_reading_pdfs(archive: Path, reading: Path) -> None:
    bookmarks = outline(archive)
    assert bookmarks == outline(reading)
    top_level = [item[0] for item in bookmarks if isinstance(item, tuple)]
    assert top_level == [*SECTION_TITLES.values(), GALLERY_TITLE]


def test_contents_links_are_kept_and_print(opened: pikepdf.Pdf, reading: Path) -> None:
    with pikepdf.open(reading) as copy:
        expected = [len(page.obj.get("/Annots", ())) for page in copy.pages]
    assert [len(page.obj.get("/Annots", ())) for page in opened.pages] == expected
    links = [a for page in opened.pages for a in page.obj.get("/Annots", ())]
    assert links and all(a.Subtype == "/Link" and int(a.F) == 4 and "/Dest" in a
                         for a in links)


def test_language_and_structure(opened: pikepdf.Pdf) -> None:
    assert str(opened.Root.Lang) == "zh-Hans"
    # WeasyPrint can tag this book: the units' structure trees are joined under one Document
    # (only "u" is claimed), the sections in order, each page's marked content found again.
    assert opened.Root.MarkInfo.Marked is True
    root = opened.Root.StructTreeRoot
    (document,) = root.K
    assert document.S == "/Document" and len(document.K) > len(SECTION_TITLES)
    nums = root.ParentTree.Nums
    keys = [int(nums[n]) for n in range(0, len(nums), 2)]
    assert keys == sorted(set(keys)) and int(root.ParentTreeNextKey) == keys[-1] + 1
    pages = [int(page.obj.StructParents) for page in opened.pages if "/StructParents" in page.obj]
    assert len(pages) == len(set(pages)) and set(pages) <= set(keys)


def test_text_is_the_reading_pdfs(archive: Path, reading: Path) -> None:
    text = text_of(archive)
    assert text == text_of(reading)
    flowing = text.replace("\n", "").replace("\f", "")
    assert all(paragraph in flowing for paragraph in ALL_PARAGRAPHS)


def test_images_do_not_interpolate(opened: pikepdf.Pdf) -> None:
    images = [part.obj for part in parts(opened) if part.kind == "image"]
    assert images and not any("/Interpolate" in image for image in images)


def test_two_writes_give_the_same_bytes(folder: Path, joined: Path, archive: Path) -> None:
    again = folder / "again.pdf"
    pdfa.write_pdfa(joined, again)
    assert again.read_bytes() == archive.read_bytes()


def test_the_srgb_intent_is_the_archival_pdfs_only(reading: Path) -> None:
    with pikepdf.open(reading) as copy:
        assert "/OutputIntents" not in copy.Root


def test_only_a_scratch_folder_is_used_and_removed(folder: Path, joined: Path) -> None:
    target = folder / "alone" / "book-pdfa.pdf"
    target.parent.mkdir()
    pdfa.write_pdfa(joined, target)
    assert [p.name for p in target.parent.iterdir()] == ["book-pdfa.pdf"]


# --- What the finishing stage corrects -----------------------------------------------------------


@pytest.fixture(scope="module")
def weasyprints(folder: Path, book: Book) -> Path:
    """WeasyPrint's own PDF/A-2u output for the book, the input finish_pdfa corrects."""
    path = folder / "weasyprint-pdfa.pdf"
    write_document(typeset_layout.lay_out(book), path, modified=MODIFIED,
                   pdf_variant="pdf/a-2u", pdf_tags=True)
    return path


def test_weasyprints_own_pdfa_is_not_enough(weasyprints: Path) -> None:
    problems = pdfa_problems(weasyprints)
    assert any("dc:creator has 2 items" in p for p in problems), problems
    assert any("Interpolate true" in p for p in problems), problems


def test_forbidden_things_are_removed(weasyprints: Path, tmp_path: Path) -> None:
    dirty, finished = tmp_path / "dirty.pdf", tmp_path / "finished.pdf"
    with pikepdf.open(weasyprints) as document:
        root = document.Root
        root.OpenAction = pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("1"))
        root.AA = pikepdf.Dictionary(WC=pikepdf.Dictionary(S=pikepdf.Name.JavaScript,
                                                             JS=pikepdf.String("1")))
        document.attachments["notes.txt"] = pikepdf.AttachedFileSpec(document, b"notes")
        page = document.pages[0].obj
        launch = pikepdf.Dictionary(S=pikepdf.Name.Launch, F=pikepdf.String("calc.exe"))
        local = pikepdf.Dictionary(S=pikepdf.Name.URI, URI=pikepdf.String("file:///etc/passwd"))
        web = pikepdf.Dictionary(S=pikepdf.Name.URI, URI=pikepdf.String("https://example.org"))
        page.Annots = pikepdf.Array([
            pikepdf.Dictionary(Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Link,
                               Rect=[0, 0, 10, 10], A=action)
            for action in (launch, local, web)] + [pikepdf.Dictionary(
                Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.FileAttachment,
                Rect=[0, 0, 10, 10], F=4)])
        state = next(part.obj for part in parts(document) if part.kind == "graphics state")
        state.TR = pikepdf.Name.Identity
        document.save(dirty)
    before = pdfa_problems(dirty)
    for expected in ("JavaScript action", "additional actions", "embedded files",
                     "Launch action", "embeds a file", "transfer function"):
        assert any(expected in p for p in before), (expected, before)

    pdfa.finish_pdfa(dirty, finished)
    assert pdfa_problems(finished) == []
    with pikepdf.open(finished) as document:
        assert "/OpenAction" not in document.Root and "/AA" not in document.Root
        assert not document.attachments
        links = list(document.pages[0].obj.Annots)
        assert [a.Subtype for a in links] == ["/Link"] * 3  # the attachment is gone
        assert ["/A" in a for a in links] == [False, False, True]  # only the web link acts
        assert str(links[2].A.URI) == "https://example.org"


def test_a_book_weasyprint_cannot_tag_is_written_untagged(folder: Path, caplog) -> None:
    # Tagged, WeasyPrint refuses an image without alt text; the book must still be archived,
    # and no part of it tagged (a tree covering some pages would misinform).
    book = with_subjects(make_book(folder / "untaggable"))
    last = book.sections[-1]
    image = '<p><img src="photos/harbour.jpg" alt="" style="width: 20mm"/>图</p>'
    book = dataclasses.replace(book, sections=(
        *book.sections[:-1], dataclasses.replace(last, html=last.html + image)))
    scratch = folder / "untaggable-typeset"
    scratch.mkdir()
    caplog.set_level(logging.WARNING, logger="luoshu")
    joined = typeset(book, scratch, draw=True, modified=MODIFIED).pdf
    target = folder / "untagged.pdf"
    pdfa.write_pdfa(joined, target)
    assert any("without tags" in r.getMessage() and "alt" in r.getMessage()
               for r in caplog.records)
    assert pdfa_problems(target) == []
    with pikepdf.open(target) as document:
        assert "/StructTreeRoot" not in document.Root
        assert not any("/StructParents" in page.obj for page in document.pages)


# --- The checker ----------------------------------------------------------------------------------


def _remove_a_tounicode(document: pikepdf.Pdf) -> None:
    font = next(part.obj for part in parts(document) if part.kind == "font")
    del font["/ToUnicode"]


def _set_pdfaid_part(document: pikepdf.Pdf) -> None:
    xmp = document.Root.Metadata.read_bytes()
    changed = xmp.replace(b"<pdfaid:part>2</pdfaid:part>", b"<pdfaid:part>1</pdfaid:part>")
    assert changed != xmp
    document.Root.Metadata.write(changed)


def _unflag_a_link(document: pikepdf.Pdf) -> None:
    next(a for page in document.pages for a in page.obj.get("/Annots", ())).F = 0


def _attach(document: pikepdf.Pdf) -> None:
    document.attachments["notes.txt"] = pikepdf.AttachedFileSpec(document, b"notes")


def _title(document: pikepdf.Pdf) -> None:
    document.docinfo["/Title"] = "另一个书名"


BREAKAGES = {
    "untouched": (lambda d: None, {}, None),
    "no output intent": (lambda d: d.Root.__delattr__("OutputIntents"), {},
                         "no GTS_PDFA1 output intents"),
    "declared PDF/A-1": (_set_pdfaid_part, {}, "declares PDF/A-1u (pdfaid:part 1)"),
    "JavaScript open action": (
        lambda d: d.Root.__setattr__("OpenAction", pikepdf.Dictionary(
            S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert('x')"))), {},
        "the open action (OpenAction) is a JavaScript action"),
    "font without ToUnicode": (_remove_a_tounicode, {}, "has no ToUnicode map"),
    "titles differ": (_title, {}, "Info Title '另一个书名' differs from XMP dc:title"),
    "encrypted": (lambda d: None, {"encryption": pikepdf.Encryption(owner="o", user="")},
                  "encrypted"),
    "link flags 0": (_unflag_a_link, {}, "Link annotation is not set to print"),
    "embedded file": (_attach, {}, "embedded files (an EmbeddedFiles name tree)"),
}


@pytest.mark.parametrize("name", BREAKAGES)
def test_the_checker_finds_each_fault(name: str, archive: Path, tmp_path: Path) -> None:
    breakage, save_options, expected = BREAKAGES[name]
    broken = tmp_path / "broken.pdf"
    with pikepdf.open(archive) as document:
        breakage(document)
        document.save(broken, **save_options)
    problems = pdfa_problems(broken)
    if expected is None:  # pikepdf's saving alone breaks nothing
        assert problems == []
    else:
        assert any(expected in problem for problem in problems), problems
