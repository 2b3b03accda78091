"""The plain data model every stage passes along: a Book made of Sections and Photos.

Everything here is a frozen dataclass: a build is a pure function of the project folder, and
renderers (EPUB, PDF, later the archive) only read the model. Paths inside the model are
relative, POSIX-style, so a model built on one machine means the same on another.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path

from .files.paths import in_manuscript

# The most characters a book.toml text option may hold, unless its declaration says otherwise
# (for a list, all its items together): a title is a line or two, and every stage reads the
# metadata (the cover, title page, running heads, copyright page), so a page of it is a mistake
# — and a 100 KB one would cost minutes of typesetting.
TEXT_LIMIT = 1000


def option(doc: str, default: object = MISSING, choices: tuple[str, ...] = (),
           limit: int = TEXT_LIMIT) -> object:
    """A book.toml option, declared once: its type (the field's annotation), its *default*
    (none: required), the one line that documents it (error messages, the README's reference),
    the values it may take (*choices*; for a list, each item's) and, for text, its *limit* in
    characters (for a list, of its items together)."""
    return field(default=default, metadata={"doc": doc, "choices": choices, "limit": limit})


def option_doc(table: type, name: str) -> str:
    """The one-line documentation of option *name* of *table* (an options dataclass)."""
    return next(f.metadata["doc"] for f in fields(table) if f.name == name)


def option_choices(table: type, name: str) -> tuple[str, ...]:
    """The values option *name* of *table* may take; () when it is not a choice."""
    return next(f.metadata["choices"] for f in fields(table) if f.name == name)


def option_limit(table: type, name: str) -> int:
    """The most characters option *name* of *table* may hold when it is text (a list: its
    items together)."""
    return next(f.metadata["limit"] for f in fields(table) if f.name == name)


@dataclass(frozen=True)
class BookMeta:
    """The ``[book]`` table of book.toml."""

    title: str = option("The book's title (required).")
    language: str = option("BCP 47 language tag, e.g. zh-Hans or zh-Hant (required).",
                           limit=35)  # RFC 5646 §4.4.1: tags of 35 characters fit everywhere
    identifier: str = option("urn:isbn:… or urn:uuid:…; derived from the title when absent.")
    subtitle: str | None = option("Subtitle, shown under the title.", None)
    authors: tuple[str, ...] = option("List of author names, in order.", ())
    publisher: str | None = option("Publisher's name.", None)
    date: _dt.date | None = option("Publication date, YYYY-MM-DD.", None)
    description: str | None = option("A sentence or two describing the book.", None,
                                      limit=10_000)
    rights: str | None = option("Copyright or licence statement.", None, limit=4000)
    subjects: tuple[str, ...] = option("List of subject keywords.", ())
    edition: str | None = option(
        '版次 as the copyright page prints it, e.g. "2026年11月第1版".', None)
    printing: str | None = option(
        '印次 as the copyright page prints it, e.g. "2026年11月第1次印刷".', None)
    sections: tuple[str, ...] = option(
        "Section ids in reading order; default: manuscript/*.md in file-name order.", (),
        limit=1_000_000)
    encoding: str = option(
        'Encoding of the sections and captions.toml: "utf-8" (default) or "gb18030" (also GBK '
        "and GB2312; files that are valid UTF-8 are still read as UTF-8). book.toml itself is "
        "always UTF-8.", "utf-8", ("utf-8", "gb18030"))

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


FORMATS = ("epub", "pdf", "pdf-press", "pdfa", "archive")  # every output luoshu writes


@dataclass(frozen=True)
class OutputOptions:
    """The ``[output]`` table: what to build and what to call it."""

    formats: tuple[str, ...] = option(
        'Formats built by default: "epub", "pdf" (RGB reading copy), "pdf-press" (PDF/X-4, CMYK, '
        'bleed and crop marks), "pdfa" (PDF/A-2u), "archive" (BagIt deposit package).',
        ("epub", "pdf"), FORMATS)
    basename: str = option("File name stem of the outputs (book → book.epub, book.pdf).",
                           "book", limit=100)


# Trim sizes (成品尺寸) by preset name, in millimetres, and how a Chinese copyright page names
# them. 16开 and 32开 are cut from 787 × 1092 mm paper, 大16开 and 大32开 from 889 × 1194 and
# 850 × 1168 mm paper; A4, A5 and B5 are ISO 216 / GB/T 148.
TRIM_SIZES: dict[str, tuple[float, float]] = {
    "16k": (185.0, 260.0), "big16k": (210.0, 285.0), "32k": (130.0, 184.0),
    "big32k": (140.0, 203.0), "a4": (210.0, 297.0), "a5": (148.0, 210.0), "b5": (176.0, 250.0),
}
# The full sheet (全张纸) each preset is cut from and into how many parts (开数), as a copyright
# page states the format (GB/T 12450, GB/T 788): 787 × 1092 mm paper for 16开 and 32开,
# 889 × 1194 mm for 大16开, 850 × 1168 mm for 大32开, the A series from 890 × 1240 mm and the
# B series from 1000 × 1400 mm (GB/T 788-1999).
TRIM_SHEETS: dict[str, tuple[tuple[int, int], int]] = {
    "16k": ((787, 1092), 16), "32k": ((787, 1092), 32), "big16k": ((889, 1194), 16),
    "big32k": ((850, 1168), 32), "a4": ((890, 1240), 16), "a5": ((890, 1240), 32),
    "b5": ((1000, 1400), 32),
}
TRIM_NAMES = {"16k": "16开", "big16k": "大16开", "32k": "32开", "big32k": "大32开",
              "a4": "A4", "a5": "A5", "b5": "B5"}
DEFAULT_TRIM = "16k"
MM_PER_PT = 25.4 / 72


@dataclass(frozen=True)
class PrintOptions:
    """The ``[print]`` table: page geometry of the print PDF and how it goes to press."""

    trim: str = option(
        'Trim size: "16k" (185×260 mm, default), "big16k", "32k", "big32k", "a4", "a5", "b5", '
        'or "custom" with trim_width_mm and trim_height_mm.', DEFAULT_TRIM,
        (*TRIM_SIZES, "custom"))
    # Resolved from trim by luoshu.project.config.
    trim_width_mm: float = option("Custom trim width in millimetres (with trim_height_mm).",
                                  TRIM_SIZES[DEFAULT_TRIM][0])
    trim_height_mm: float = option("Custom trim height in millimetres (with trim_width_mm).",
                                   TRIM_SIZES[DEFAULT_TRIM][1])
    margin_top_mm: float = option("Top margin in millimetres.", 22.0)
    margin_bottom_mm: float = option("Bottom margin in millimetres.", 24.0)
    margin_inner_mm: float = option("Inner (binding side) margin in millimetres.", 22.0)
    margin_outer_mm: float = option("Outer margin in millimetres.", 18.0)
    font_size_pt: float = option("Body font size in points (default 10.5, 五号).", 10.5)
    line_height: float = option("Line height as a multiple of the font size.", 1.75)
    bleed_mm: float = option("Bleed (出血) of the press PDF in millimetres (default 3).", 3.0)
    crop_marks: bool = option("Draw crop marks (裁切线) on the press PDF (default true).", True)
    press_profile: str | None = option(
        "The printer's CMYK ICC profile, relative to the project (default: Ghostscript's "
        "generic CMYK profile).", None)
    press_condition: str | None = option(
        'Registered name of that printing condition, e.g. "FOGRA39" (default "Custom").', None)
    grid: bool = option(
        "Snap the text block (版心) to whole characters and lines: the margins take the "
        "difference (default true).", True)
    openings: str = option(
        'Where sections open: "recto" (a right-hand page, books; default), "any" (the next '
        'page) or "run-on" (接排: after the previous section, for collections of articles).',
        "recto", ("recto", "any", "run-on"))
    footnotes: str = option(
        'Footnotes at the foot of the page (页下注), numbered ①②③ "page" by page (default) or '
        'through each "section".', "page", ("page", "section"))

    @property
    def text_width_mm(self) -> float:
        """Width of the text block (版心)."""
        return self.trim_width_mm - self.margin_inner_mm - self.margin_outer_mm

    @property
    def text_height_mm(self) -> float:
        """Height of the text block (版心), running heads and folios excluded."""
        return self.trim_height_mm - self.margin_top_mm - self.margin_bottom_mm

    @property
    def chars_per_line(self) -> int:
        """Characters of the body size a full line holds (字/行)."""
        return int(self.text_width_mm / (self.font_size_pt * MM_PER_PT) + 1e-4)

    @property
    def lines_per_page(self) -> int:
        """Lines of body text a page holds (行/页)."""
        return int(self.text_height_mm / (self.font_size_pt * self.line_height * MM_PER_PT)
                   + 1e-4)

    @property
    def trim_name(self) -> str | None:
        """The trim size's name on a copyright page ("16开"), None for a custom size."""
        return TRIM_NAMES.get(self.trim)


WRITING_MODES = ("horizontal-tb", "vertical-rl")


@dataclass(frozen=True)
class EpubOptions:
    """The ``[epub]`` table."""

    font_size: str = option("Base font size of the EPUB's text, as CSS (default 1em).", "1em",
                            limit=40)
    cover: str | None = option(
        "Cover image, relative to manuscript/ (default: one typeset from the metadata).", None)
    image_max_edge: int = option(
        "Photos are downscaled to this many pixels on the long edge (1600).", 1600)
    writing_mode: str = option('Text direction: "horizontal-tb" (default) or "vertical-rl".',
                               "horizontal-tb", WRITING_MODES)
    embed_fonts: bool = option(
        "Embed the house fonts, subset to the characters used (default true).", True)


@dataclass(frozen=True)
class TypographyOptions:
    """The ``[typography]`` table: punctuation normalization and ``luoshu check``."""

    normalize_punctuation: bool = option(
        "Make half-width punctuation next to Han full-width and straight quotes Chinese "
        "(default true).", True)
    quotes: str = option(
        'Quote style: "auto" (“” for zh-Hans, 「」 for zh-Hant), "curly" or "corner".', "auto",
        ("auto", "curly", "corner"))
    ignore: tuple[str, ...] = option(
        'Check codes to skip, e.g. ["LS204"]; an LS1xx code also turns that fix off.', ())

    def quote_style(self, script: str) -> str:
        """"curly" (“”‘’) or "corner" (「」『』) for a book in *script* ("Hans" or "Hant")."""
        if self.quotes in ("curly", "corner"):
            return self.quotes
        return "corner" if script == "Hant" else "curly"


# OpenCC's Simplified → Traditional conversions an edition may use, and the language each
# edition declares unless book.toml says otherwise (luoshu.project.editions).
EDITION_VARIANTS = {"s2t": "zh-Hant", "s2tw": "zh-Hant-TW", "s2twp": "zh-Hant-TW",
                    "s2hk": "zh-Hant-HK"}


@dataclass(frozen=True)
class EditionOptions:
    """An ``[editions.NAME]`` table: a Traditional edition converted from the manuscript."""

    variant: str = option(
        'OpenCC conversion: "s2t" (standard Traditional characters), "s2tw" (Taiwan), "s2twp" '
        '(Taiwan, with Taiwan phrases: 软件 → 軟體), "s2hk" (Hong Kong) (required).',
        MISSING, tuple(EDITION_VARIANTS))
    language: str | None = option(
        "BCP 47 tag of the edition (default: zh-Hant; zh-Hant-TW for s2tw and s2twp, zh-Hant-HK "
        "for s2hk).", None, limit=35)
    identifier: str | None = option(
        "The edition's own identifier, e.g. its ISBN (default: derived from the book's).", None)


@dataclass(frozen=True)
class Edition:
    """One edition of ``[editions]``: its name (the key, e.g. "zh-Hant", which names its outputs
    book-zh-Hant.epub … and its overrides file manuscript/zh-Hant.toml) and its options."""

    name: str
    options: EditionOptions

    @property
    def language(self) -> str:
        return self.options.language or EDITION_VARIANTS[self.options.variant]


@dataclass(frozen=True)
class ColophonOptions:
    """The ``[colophon]`` table: what the copyright page (版权页, GB/T 12450) prints besides what
    luoshu knows. Every line is optional; one without a value is left out."""

    cip: str | None = option(
        "The CIP block (图书在版编目（CIP）数据) as the CIP office issued it, typeset verbatim "
        "line by line; luoshu never makes one up.", None)
    editor: str | None = option("责任编辑: the editor(s) responsible, as printed.", None)
    cover_designer: str | None = option("封面设计: who designed the cover.", None)
    proofreader: str | None = option("责任校对: the proofreader(s).", None)
    distributor: str | None = option(
        "出版发行: who publishes and distributes it, with an address if wanted (default: the "
        "[book] publisher).", None)
    printer: str | None = option("印刷: the printing house.", None)
    print_run: str | None = option('印数: copies of this printing, e.g. "1—3000".', None)
    price: str | None = option('定价: the price as printed, e.g. "48.00元".', None)


@dataclass(frozen=True)
class Config:
    """Everything book.toml says, validated and typed."""

    book: BookMeta
    output: OutputOptions = field(default_factory=OutputOptions)
    print: PrintOptions = field(default_factory=PrintOptions)
    epub: EpubOptions = field(default_factory=EpubOptions)
    typography: TypographyOptions = field(default_factory=TypographyOptions)
    colophon: ColophonOptions = field(default_factory=ColophonOptions)
    editions: tuple[Edition, ...] = ()  # [editions.NAME] tables, in book.toml's order


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
    # Where a captions.toml photo goes in its section: after "paragraph N" (counting the
    # section's paragraphs from 1) or after the element "#id" of the Markdown; None: after
    # the section's last paragraph before its end matter (the byline).
    after: str | None = None
    # Where the print page puts it: "auto" (the top or foot of the page its text reaches, or
    # the next, as an editor would), "top", "bottom", "here" (right after its paragraph) or
    # "page" (a page of its own).
    position: str = "auto"

    @property
    def project_path(self) -> str:
        """The photo's path relative to the project folder."""
        return in_manuscript(self.file)


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
    gallery_html: str = ""  # the gallery's figures as XHTML (luoshu.markup.figures.gallery_html)

    @property
    def meta(self) -> BookMeta:
        return self.config.book

    @property
    def photos(self) -> tuple[Photo, ...]:
        """Every photo of the book, in reading order."""
        return tuple(p for s in self.sections for p in s.photos) + self.gallery
