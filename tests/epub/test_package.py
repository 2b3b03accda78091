"""The EPUB writer on edited books: dates, unusable images, file names (luoshu.epub.writer).

Each test builds its own variant of test_epub's hand-built book (its helpers are imported from
there), so none of them shares that module's book fixture. The modification date is written
in UTC and clamped for zip; images that cannot go into an EPUB are project errors pointing at
their source line; file names stay ASCII and unique.
"""

from __future__ import annotations

import datetime
import zipfile

import pytest
from helpers.epub_books import (
    MODIFIED,
    NS,
    make_book,
    make_project,
    manifest_of,
    opf_of,
    read_epub,
    section,
)
from PIL import Image

from luoshu.epub.writer import write_epub
from luoshu.errors import ProjectError
from luoshu.model import Book, Photo, Section, SourceRef

# --- the modification date ------------------------------------------------------------------


def test_modified_is_written_in_utc_and_clamped_for_zip(tmp_path):
    book = make_book(make_project(tmp_path / "project"))
    china = datetime.timezone(datetime.timedelta(hours=8))
    cases = [
        (datetime.datetime(2024, 5, 1, 8, 0, tzinfo=china), "2024-05-01T00:00:00Z",
         (2024, 5, 1, 0, 0, 0)),
        # SOURCE_DATE_EPOCH=0: zip entries cannot be dated before 1980.
        (datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc), "1970-01-01T00:00:00Z",
         (1980, 1, 1, 0, 0, 0)),
        (datetime.datetime(2024, 5, 1, 8, 0, 0, 123456), "2024-05-01T08:00:00Z",
         (2024, 5, 1, 8, 0, 0)),  # naive: taken as UTC
    ]
    for number, (moment, expected, zip_time) in enumerate(cases):
        destination = tmp_path / f"{number}.epub"
        write_epub(book, destination, moment)
        files = read_epub(destination)
        _, opf = opf_of(files)
        assert opf.findtext(".//opf:meta[@property='dcterms:modified']", namespaces=NS) == expected
        with zipfile.ZipFile(destination) as archive:
            assert archive.infolist()[-1].date_time == zip_time


# --- user problems --------------------------------------------------------------------------


def _with_first_image(book: Book, src: str, line: int) -> Book:
    first = book.sections[0]
    photo = Photo(src, "图", section=first.id, source=SourceRef(first.source.path, line))
    html = first.html.replace('src="photos/harbour.jpg"', f'src="{src}"')
    changed = Section(first.id, first.title, first.source, html, first.text, first.headings,
                      (photo,))
    return Book(book.project, book.config, (changed, *book.sections[1:]), book.gallery,
                book.fonts, book.stylesheets)


@pytest.mark.parametrize(("src", "code"), [
    ("photos/missing.jpg", "resource-missing"),
    ("../../secret.jpg", "resource-outside"),
    ("https://example.com/x.jpg", "resource-outside"),
    ("photos/scan.bmp", "epub-image-type"),
])
def test_unusable_images_are_project_errors_at_their_source_line(tmp_path, src, code):
    project = make_project(tmp_path / "project")
    (tmp_path / "secret.jpg").write_bytes(b"not yours")
    Image.new("RGB", (8, 8)).save(project / "manuscript" / "photos" / "scan.bmp", "BMP")
    book = _with_first_image(make_book(project), src, line=7)
    destination = tmp_path / "book.epub"
    with pytest.raises(ProjectError) as raised:
        write_epub(book, destination, MODIFIED)
    problems = raised.value.problems
    assert [(p.code, str(p.path), p.line) for p in problems] == [
        (code, "manuscript/01-reform.md", 7)]
    assert not destination.exists()


def test_missing_gallery_photo_points_at_captions_toml(tmp_path):
    book = make_book(make_project(tmp_path / "project"))
    (book.project / "manuscript" / "photos" / "长城.png").unlink()
    with pytest.raises(ProjectError) as raised:
        write_epub(book, tmp_path / "book.epub", MODIFIED)
    assert [(str(p.path), p.line) for p in raised.value.problems] == [
        ("manuscript/captions.toml", 8)]


def test_file_names_are_ascii_and_cannot_collide(tmp_path):
    """A section named in Chinese, or called "gallery", still gets a safe, unique file."""
    book = make_book(make_project(tmp_path / "project"))
    extra = (section("序言", "序言", "<p>序。</p>"), section("gallery", "画廊", "<p>同名。</p>"))
    book = Book(book.project, book.config, extra + book.sections, book.gallery, book.fonts,
                book.stylesheets)
    write_epub(book, tmp_path / "book.epub", MODIFIED)
    items = manifest_of(read_epub(tmp_path / "book.epub"))
    assert items["sec-序言"]["href"] == "text/section.xhtml"  # ids may be Unicode NCNames
    assert items["sec-gallery"]["href"] == "text/gallery.xhtml"
    assert items["gallery"]["href"] == "gallery.xhtml"
    assert all(item["href"].isascii() for item in items.values())
