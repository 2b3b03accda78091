"""The plain data model every stage passes along: a Book made of Sections and Photos.

Everything here is a frozen dataclass: a build is a pure function of the project folder, and
renderers (EPUB, PDF, later the archive) only read the model. Paths inside the model are
relative, POSIX-style, so a model built on one machine means the same on another.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class BookMeta:
    """The ``[book]`` table of book.toml."""

    title: str
    language: str  # BCP 47, e.g. "zh-Hans"
    identifier: str  # "urn:isbn:…" or "urn:uuid:…" (derived from the title when absent)
    subtitle: str | None = None
    authors: tuple[str, ...] = ()
    publisher: str | None = None
    date: _dt.date | None = None
    description: str | None = None
    rights: str | None = None
    subjects: tuple[str, ...] = ()
    edition: str | None = None  # 版次 as the copyright page prints it, e.g. "2026年11月第1版"
    printing: str | None = None  # 印次, e.g. "2026年11月第1次印刷"
    sections: tuple[str, ...] = ()  # explicit section order (ids); empty means file-name order
    encoding: str = "utf-8"  # of sections and captions.toml; "gb18030" also reads GB18030/GBK files

    @property
    def script(self) -> str:
        """"Hant" for Traditional Chinese, "Hans" otherwise (selects fonts and quotes)."""
        return script_of(self.language)


def script_of(language: str) -> str:
    """The Han script a BCP 47 tag implies: zh-Hant, zh-TW, zh-HK and zh-MO are Traditional."""
    parts = [p.lower() for p in language.replace("_", "-").split("-")]
    if "hant" in parts or any(p in ("tw", "hk", "mo") for p in parts[1:]):
        return "Hant"
    return "Hans"


@dataclass(frozen=True)
class OutputOptions:
    """The ``[output]`` table: what to build and what to call it."""

    formats: tuple[str, ...] = ("epub", "pdf")
    basename: str = "book"  # file name stem of every artifact: book.epub, book.pdf


# Trim sizes (成品尺寸) by preset name, in millimetres, and how a Chinese copyright page names
# them. 16开 and 32开 are cut from 787 × 1092 mm paper, 大16开 and 大32开 from 889 × 1194 and
# 850 × 1168 mm paper; A4, A5 and B5 are ISO 216 / GB/T 148.
TRIM_SIZES: dict[str, tuple[float, float]] = {
    "16k": (185.0, 260.0), "big16k": (210.0, 285.0), "32k": (130.0, 184.0),
    "big32k": (140.0, 203.0), "a4": (210.0, 297.0), "a5": (148.0, 210.0), "b5": (176.0, 250.0),
}
TRIM_NAMES = {"16k": "16开", "big16k": "大16开", "32k": "32开", "big32k": "大32开",
              "a4": "A4", "a5": "A5", "b5": "B5"}


@dataclass(frozen=True)
class PrintOptions:
    """The ``[print]`` table: page geometry of the print PDF and how it goes to press."""

    trim: str = "16k"  # preset name (TRIM_SIZES), or "custom" for trim_width_mm × trim_height_mm
    trim_width_mm: float = 185.0  # resolved from trim by luoshu.project.config
    trim_height_mm: float = 260.0
    margin_top_mm: float = 22.0
    margin_bottom_mm: float = 24.0
    margin_inner_mm: float = 22.0
    margin_outer_mm: float = 18.0
    font_size_pt: float = 10.5  # 五号字
    line_height: float = 1.75
    bleed_mm: float = 3.0  # 出血: how far full-bleed photos reach past the trim (press PDF)
    crop_marks: bool = True  # 裁切线 on the press PDF
    press_profile: str | None = None  # CMYK ICC profile in the project; None: Ghostscript's
    press_condition: str | None = None  # registered printing condition of it, e.g. "FOGRA39"

    @property
    def text_width_mm(self) -> float:
        """Width of the text block (版心)."""
        return self.trim_width_mm - self.margin_inner_mm - self.margin_outer_mm

    @property
    def text_height_mm(self) -> float:
        """Height of the text block (版心), running heads and folios excluded."""
        return self.trim_height_mm - self.margin_top_mm - self.margin_bottom_mm

    @property
    def trim_name(self) -> str | None:
        """The trim size's name on a copyright page ("16开"), None for a custom size."""
        return TRIM_NAMES.get(self.trim)


@dataclass(frozen=True)
class EpubOptions:
    """The ``[epub]`` table."""

    font_size: str = "1em"  # base font size of the text, as CSS
    cover: str | None = None  # cover image, relative to manuscript/; None: typeset one
    image_max_edge: int = 1600  # photos are downscaled to this many pixels on the long edge
    writing_mode: str = "horizontal-tb"  # or "vertical-rl": vertical text, pages right to left
    embed_fonts: bool = True  # carry the house fonts, subset to the characters used


@dataclass(frozen=True)
class TypographyOptions:
    """The ``[typography]`` table: punctuation normalization and ``luoshu check``."""

    normalize_punctuation: bool = True  # half-width punctuation next to Han → full-width, quotes
    quotes: str = "auto"  # "auto" (“” for zh-Hans, 「」 for zh-Hant), "curly" or "corner"
    ignore: tuple[str, ...] = ()  # check codes to skip, e.g. ["LS204"]; LS1xx: that fix is off too

    def quote_style(self, script: str) -> str:
        """"curly" (“”‘’) or "corner" (「」『』) for a book in *script* ("Hans" or "Hant")."""
        if self.quotes in ("curly", "corner"):
            return self.quotes
        return "corner" if script == "Hant" else "curly"


@dataclass(frozen=True)
class Config:
    """Everything book.toml says, validated and typed."""

    book: BookMeta
    output: OutputOptions = field(default_factory=OutputOptions)
    print: PrintOptions = field(default_factory=PrintOptions)
    epub: EpubOptions = field(default_factory=EpubOptions)
    typography: TypographyOptions = field(default_factory=TypographyOptions)


@dataclass(frozen=True)
class SourceRef:
    """Where something came from: a project-relative path and a 1-based line."""

    path: str
    line: int | None = None


@dataclass(frozen=True)
class Photo:
    """A photo with its caption, from captions.toml or an inline Markdown image."""

    file: str  # relative to manuscript/, POSIX, e.g. "photos/port.jpg"
    caption: str
    credit: str | None = None
    alt: str | None = None
    section: str | None = None  # section id; None puts it in the gallery at the end
    source: SourceRef | None = None
    width: float | None = None  # share of the text width, 0–1; None: the whole text width
    full_bleed: bool = False  # print: across the whole page into the bleed, on a page of its own

    @property
    def project_path(self) -> str:
        """The photo's path relative to the project folder."""
        return f"manuscript/{self.file}"


@dataclass(frozen=True)
class Heading:
    """A heading inside a section, for tables of contents."""

    level: int  # 1 = the section title
    text: str
    anchor: str  # id of the heading element in the section's HTML


@dataclass(frozen=True)
class Section:
    """One Markdown file of the manuscript, converted to an XHTML fragment."""

    id: str  # file name without .md, e.g. "01-reform"
    title: str
    source: SourceRef  # the Markdown file
    html: str  # well-formed XHTML body fragment (figures included, title heading included)
    text: str  # the Markdown as typeset (punctuation normalized), line for line with the file
    headings: tuple[Heading, ...] = ()
    photos: tuple[Photo, ...] = ()  # every figure in the section, inline and from captions.toml

    @property
    def images(self) -> tuple[str, ...]:
        """Image files the section's HTML refers to, relative to manuscript/."""
        return tuple(photo.file for photo in self.photos)


@dataclass(frozen=True)
class FontFace:
    """A font resolved for a role: the CSS family name and the file that provides it."""

    family: str
    path: Path  # absolute path on this machine (in fonts/ or a system font)
    index: int = 0  # face index inside a .ttc collection
    weight: int = 400
    in_project: bool = False  # True when the file lives in the project's fonts/


@dataclass(frozen=True)
class FontRole:
    """The fonts for one typographic role: body, heading, caption or code."""

    name: str
    families: tuple[str, ...]  # CSS font-family list, the primary first
    faces: tuple[FontFace, ...]  # every resolved face of those families
    generic: str = "serif"  # CSS generic family appended last: serif, sans-serif, monospace


@dataclass(frozen=True)
class FontSet:
    """The house fonts of a book, by role."""

    body: FontRole
    heading: FontRole
    caption: FontRole
    code: FontRole

    @property
    def roles(self) -> tuple[FontRole, ...]:
        return (self.body, self.heading, self.caption, self.code)


@dataclass(frozen=True)
class Book:
    """A whole book ready to render: metadata, sections in order, gallery photos, fonts."""

    project: Path  # absolute path of the project folder
    config: Config
    sections: tuple[Section, ...]
    gallery: tuple[Photo, ...]  # photos without a section, shown at the end of the book
    fonts: FontSet
    stylesheets: tuple[str, ...] = ()  # project CSS files, relative to the project, in order

    @property
    def meta(self) -> BookMeta:
        return self.config.book

    @property
    def photos(self) -> tuple[Photo, ...]:
        """Every photo of the book, in reading order."""
        return tuple(p for s in self.sections for p in s.photos) + self.gallery
