"""The copyright page (版权页, GB/T 12450 版本记录) of the print book, in the trade's form.

From the top: the CIP block (``[colophon] cip``, typeset verbatim as the CIP office issued it —
luoshu never makes one up), a rule, then a line per fact, in the order Chinese copyright pages
give them: 书名, 作者, 责任编辑, 封面设计, 责任校对, 出版发行, 印刷, 开本, 印张, 字数, 版次,
印次 (or the 出版日期 when no 版次 is given), 印数, 书号, 定价. A line whose value is unknown
is left out rather than printed empty. The labels are justified to four characters (书　　名,
出版发行), so the values stand in a column; the words are the book's script (luoshu.zh.labels: 開本, 印張, 字數, 定價 in Traditional).

- **开本** is the full sheet the trim is cut from and into how many parts, "787 mm × 1092 mm
  1/16" (GB/T 788; luoshu.model.TRIM_SHEETS); a custom trim states its size.
- **印张** is the printed sheets the book takes: its pages divided by the parts of a sheet (one
  side of a full sheet holds that many pages), to a quarter sheet, rounded up.
- **字数** is the trade's layout count (版面字数): characters per full line × lines per page ×
  pages, in thousands rounded up ("200千字"). It depends on the page count, known only once the
  book is laid out: the layout sets the page with the count it reads from the pages
  (luoshu.layout.typeset).
- **书号** is the ISBN, hyphenated as its registration group assigns (isbnlib's range data).
  Other identifiers (a UUID) are for machines and are not printed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import isbnlib
from lxml import etree

from ..model import TRIM_SHEETS, Book, Photo
from ..zh.labels import labels

_INVISIBLE = {"\u2060", "\u00ad", "\u200b", "\ufeff"}  # marks the layout adds, not characters


@dataclass(frozen=True)
class ColophonLine:
    """One line of the copyright page: a label and its value."""

    label: str
    value: str


@dataclass(frozen=True)
class Colophon:
    """What the copyright page shows: the CIP block's lines, then the labelled lines."""

    cip: tuple[str, ...]
    lines: tuple[ColophonLine, ...]


def labels_for(book: Book):
    """The print book's own words in the book's script (luoshu.zh.labels)."""
    return labels(book.meta.language)


def colophon(book: Book, pages: int | None = None) -> Colophon:
    """The copyright page of *book*, laid out in *pages* pages (None: not known yet; 印张 and
    字数 then hold a place of the width they will have)."""
    meta, options, extra = book.meta, book.config.print, book.config.colophon
    words = labels_for(book)
    lines: list[ColophonLine] = []

    def add(key: str, value: str | None) -> None:
        if value:
            lines.append(ColophonLine(words[key], value))

    add("title", meta.title + (f" {meta.subtitle}" if meta.subtitle else ""))
    add("authors", "、".join(meta.authors))
    add("editor", extra.editor)
    add("cover_designer", extra.cover_designer)
    add("proofreader", extra.proofreader)
    add("distributor", extra.distributor or meta.publisher)
    add("printer", extra.printer)
    add("trim", format_text(book))
    fold = TRIM_SHEETS.get(options.trim, (None, None))[1]
    if fold:
        add("sheets", sheets_text(pages, fold) if pages else "0.00")
    count = (options.chars_per_line * options.lines_per_page * pages) if pages else 0
    add("characters", character_count_text(count, words) if pages else f"000{words['thousand_characters']}")
    add("edition", meta.edition)
    add("printing", meta.printing)
    if not meta.edition:
        add("date", date_text(book))  # 版次 carries the date when there is one
    add("print_run", extra.print_run)
    add("isbn", isbn_text(meta.identifier))
    add("price", extra.price)
    cip = tuple(line.rstrip() for line in (extra.cip or "").split("\n")) if extra.cip else ()
    return Colophon(cip, tuple(lines))


def format_text(book: Book) -> str:
    """开本: "787 mm × 1092 mm 1/16" for a preset; a custom trim's own size."""
    options = book.config.print
    sheet = TRIM_SHEETS.get(options.trim)
    if sheet is None:
        return f"{options.trim_width_mm:g} mm × {options.trim_height_mm:g} mm"
    (width, height), fold = sheet
    return f"{width} mm × {height} mm 1/{fold}"


def sheets_text(pages: int, fold: int) -> str:
    """印张: *pages* over *fold* pages a sheet side, up to a quarter sheet ("15.25")."""
    quarters = math.ceil(pages * 4 / fold)
    return f"{quarters / 4:.2f}".rstrip("0").rstrip(".")


def isbn_text(identifier: str) -> str | None:
    """"ISBN 978-7-…" for an ISBN identifier, hyphenated by its ranges; None for anything else."""
    if not identifier.lower().startswith("urn:isbn:"):
        return None
    digits = identifier[9:].replace("-", "").replace(" ", "")
    return "ISBN " + (isbnlib.mask(digits) or digits)


def date_text(book: Book) -> str | None:
    """The publication date as Chinese text: 2026年11月29日."""
    date = book.meta.date
    return f"{date.year}年{date.month}月{date.day}日" if date else None


def character_count(book: Book) -> int:
    """The manuscript's characters (稿件字数): every character of the text as printed —
    section titles, body, footnotes, captions and credits — except whitespace, a Latin letter
    or a digit counting as one like a Han character."""
    total = sum(_count(section.html) for section in book.sections)
    return total + sum(_count_caption(photo) for photo in book.gallery)


def character_count_text(count: int, labels: dict[str, str]) -> str:
    """"13千字" from 1,000 on (rounded up), "856字" below."""
    if count >= 1000:
        return f"{math.ceil(count / 1000)}{labels['thousand_characters']}"
    return f"{count}{labels['characters_unit']}"


def _count(xhtml: str) -> int:
    """Characters of an XHTML fragment's text, whitespace and invisible marks excluded."""
    root = etree.fromstring(f"<div>{xhtml}</div>")
    return sum(1 for text in root.itertext() for char in text
               if not char.isspace() and char not in _INVISIBLE)


def _count_caption(photo: Photo) -> int:
    return sum(1 for text in (photo.caption, photo.credit or "") for char in text
               if not char.isspace())
