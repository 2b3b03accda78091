"""The copyright page (版权页) of the print book, set from book.toml and the manuscript.

It lists what a Chinese copyright page lists, in that order: title, authors, publisher, trim
size (开本), character count (字数), edition (版次), printing (印次), date and the book number
(书号: the ISBN, or the identifier when there is none). A line whose value is unknown is left
out rather than printed empty.

**字数.** Chinese publishers usually state the *layout* count (版面字数: characters per line ×
lines per page × pages). luoshu states the *manuscript* count instead, which does not change
when the page design does: every character of the text as printed — section titles, body,
footnotes, captions and credits — except whitespace, counting a Latin letter or a digit as one
character like a Han character. From 1,000 on it is given in thousands, rounded up (12 345 →
"13千字"), as copyright pages do.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from lxml import etree

from ..model import Book, Photo
from ..zh.labels import labels

_INVISIBLE = {"\u2060", "\u00ad", "\u200b", "\ufeff"}  # marks the layout adds, not characters


@dataclass(frozen=True)
class ColophonLine:
    """One line of the copyright page: a label and its value."""

    label: str
    value: str


def labels_for(book: Book):
    """The print book's own words in the book's script (luoshu.zh.labels)."""
    return labels(book.meta.language)


def colophon_lines(book: Book) -> tuple[ColophonLine, ...]:
    """The copyright page's lines for *book*, in the conventional order."""
    meta, options, labels = book.meta, book.config.print, labels_for(book)
    lines = [ColophonLine(labels["title"],
                          meta.title + (f" {meta.subtitle}" if meta.subtitle else ""))]
    if meta.authors:
        lines.append(ColophonLine(labels["authors"], "、".join(meta.authors)))
    if meta.publisher:
        lines.append(ColophonLine(labels["publisher"], meta.publisher))
    trim = f"{options.trim_width_mm:g} mm × {options.trim_height_mm:g} mm"
    if options.trim_name:
        trim += f"（{options.trim_name}）"
    lines.append(ColophonLine(labels["trim"], trim))
    lines.append(ColophonLine(labels["characters"], character_count_text(character_count(book),
                                                                         labels)))
    if meta.edition:
        lines.append(ColophonLine(labels["edition"], meta.edition))
    if meta.printing:
        lines.append(ColophonLine(labels["printing"], meta.printing))
    if meta.date:
        lines.append(ColophonLine(labels["date"], date_text(book)))
    if meta.identifier.lower().startswith("urn:isbn:"):
        lines.append(ColophonLine(labels["isbn"], "ISBN " + meta.identifier[9:]))
    else:
        lines.append(ColophonLine(labels["identifier"], meta.identifier))
    return tuple(lines)


def date_text(book: Book) -> str | None:
    """The publication date as Chinese text: 2026年11月29日."""
    date = book.meta.date
    return f"{date.year}年{date.month}月{date.day}日" if date else None


def character_count(book: Book) -> int:
    """字数 of the manuscript, by the rule in the module docstring."""
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
