"""The print book as layout units: parts laid out on their own, side by side, and joined.

A section that opens on a new page (``[print] openings = "recto"`` or ``"any"``) shares no page
with the one before it, so each section — and the gallery — can be laid out by itself, in
another process, and cached: what one section's text does to its pages never reaches the next
(luoshu.layout.makeup moves photos within a section). Sections set run-on (接排) share pages, so
the body is then one unit. The front matter (title page, copyright page, contents) is a unit
too, laid out last: its contents list the page numbers the sections were given, its copyright
page the book's page count.

What a unit leaves out is what depends on the others: the front matter's page numbers are
given to it; a body unit is laid out without running heads and folios — they are laid out for
the whole book at once in the *page furniture* document (luoshu.layout.furniture) and put on
the joined pages (luoshu.pdf.join), so a section's pages do not change when an earlier section
grows a page. A unit whose first page falls on a verso (openings = "any") is laid out as such.

Short sections are laid out together: each layout has a fixed cost (the stylesheets, the
fonts, a process's share of the work) that a few hundred characters do not repay, and a book
of ten thousand one-line sections must not become ten thousand layouts. Consecutive sections
share a unit until it holds about ``UNIT_WEIGHT`` characters (a photo counting as
``PHOTO_WEIGHT``); a section that long or longer is a unit of its own. Inside a unit each
section still opens as the book's openings say, so the pages are the same either way.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from ..model import Book
from .pagemap import GALLERY_SECTION

FRONT, SECTION, GALLERY, BODY = "front", "section", "gallery", "body"

UNIT_WEIGHT = 6_000  # characters of Markdown a unit of several sections holds, about
PHOTO_WEIGHT = 1_000  # what a photo weighs: its placement and make-up cost as much text


@dataclass(frozen=True)
class Unit:
    """A part of the print book laid out on its own.

    *kind* is ``"front"`` (title page, copyright page, contents), ``"section"`` (a section, or a
    few short ones in a row),
    ``"gallery"`` (the photos of no section) or ``"body"`` (every section and the gallery: run-on
    sections, or the whole book in one layout). *sections* are the ids of its sections, in
    order. *verso*: its first page is a left-hand page.
    """

    kind: str
    sections: tuple[str, ...] = ()
    verso: bool = False

    @property
    def name(self) -> str:
        """A short, stable name: "front", "section 02-city", "sections 03-a…07-e", "gallery",
        "body"."""
        if self.kind == SECTION and len(self.sections) == 1:
            return f"section {self.sections[0]}"
        if self.kind == SECTION:
            return f"sections {self.sections[0]}…{self.sections[-1]}"
        return self.kind

    @property
    def gallery(self) -> bool:
        return self.kind == GALLERY or (self.kind == BODY and GALLERY_SECTION in self.sections)


def body_units(book: Book) -> tuple[Unit, ...]:
    """The units of the book's body, in order: the sections (a long one alone, short ones in a
    row together) and the gallery, or one unit of them all when sections run on."""
    ids = tuple(section.id for section in book.sections)
    gallery = (GALLERY_SECTION,) if book.gallery else ()
    if book.config.print.openings == "run-on":
        return (Unit(BODY, ids + gallery),) if ids or gallery else ()
    groups: list[list[str]] = []
    weight = UNIT_WEIGHT
    for section in book.sections:
        own = len(section.text) + PHOTO_WEIGHT * len(section.photos)
        if weight + own > UNIT_WEIGHT:
            groups.append([])
            weight = 0
        groups[-1].append(section.id)
        weight += own
    units = tuple(Unit(SECTION, tuple(group)) for group in groups)
    return units + ((Unit(GALLERY, gallery),) if gallery else ())


def unit_key(*parts: str | bytes) -> str:
    """A content address: the SHA-256 of *parts*, each length-prefixed so that no two
    different lists of parts give the same bytes."""
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)
    return digest.hexdigest()
