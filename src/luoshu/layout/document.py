"""The print document: the whole book as one HTML document, for WeasyPrint to lay out.

``print_html(book)`` builds it from the ``pdf/book.html.j2`` template: title page, copyright
page, table of contents, the sections, and a final gallery of photos that belong to no
section, with the theme, the page geometry (luoshu.layout.pagestyle) and the house fonts as
stylesheets. It does no layout, so tests can check it directly; luoshu.layout.typeset lays it
out. Every block of the sections is marked with ``data-block`` (see luoshu.layout.pagemap),
every photo gets its printed size (luoshu.images.photos), and the text gets its line-break
protections (luoshu.layout.cjk).
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Iterable

import lxml.etree
from markupsafe import Markup

from .. import __version__, templates
from ..files.gate import ProjectFiles, RefusedResource, decode_data_uri
from ..files.paths import MANUSCRIPT
from ..fonts import roles as fonts
from ..fonts.quotes import MARK_CLASS, borrowed_marks, borrowed_marks_css
from ..fonts.roles import ROLE_SELECTORS
from ..images.photos import Placement, image_pixels, placement
from ..markup.figures import GALLERY_ANCHOR
from ..markup.xhtml import escape_text
from ..model import Book
from . import cjk as cjk_layout
from . import footnotes, pagemap
from .colophon import colophon, date_text, labels_for
from .moves import SCALE, Move, apply_moves
from .pagestyle import MARGIN_BOXES, page_css, style_element_text
from .units import FRONT, GALLERY, SECTION, Unit

# The document's base URL is the manuscript folder: <img src> paths in sections are relative
# to it, exactly as in the Markdown the author wrote.
DOCUMENT_FOLDER = MANUSCRIPT

# Ids of the parts the template adds. Section ids all start with "sec-", so these cannot clash.
# The template gives the gallery's heading the id f"{GALLERY_ID}--title" (pagemap.GALLERY_TITLE_ID).
GALLERY_ID = GALLERY_ANCHOR

# The project folder's URL in the print document, whatever the folder (see ProjectFetcher).
PROJECT_URL = "file:///luoshu-project/"

# --- The HTML document ----------------------------------------------------------------------


def print_html(book: Book, moves: Iterable[Move] = (),
               sizes: dict[str, Placement] | None = None, pages: int | None = None,
               front_only: bool = False, unit: Unit | None = None,
               toc_pages: dict[str, str] | None = None,
               furniture: dict[str, int] | None = None) -> str:
    """The print document as an HTML string, stylesheets included: the whole book, or with
    *unit* one layout unit of it (luoshu.layout.units). With *moves*, the photos the make-up
    moves where an editor would put them (luoshu.layout.makeup); *sizes* are the photos'
    printed sizes when the caller has them (photo_placements reads every photo). *pages* is
    the book's page count for the copyright page (luoshu.layout.colophon); with *front_only*,
    the document stops after the copyright page. *toc_pages* gives the front matter unit's
    contents the page number of each section (by link target, "sec-01-river"). With
    *furniture* (pages per section id), the body's page furniture instead: the pages of the
    sections, the gallery and the blank ones between them, with nothing on them but running
    heads and folios."""
    meta = book.meta
    if toc_pages:
        # The leaders end in one column: a shorter number is padded to the longest with en
        # spaces (the body face's digits are tabular, 0.47 em; it has no figure space).
        width = max(len(number) for number in toc_pages.values())
        toc_pages = {target: "\u2002" * (width - len(number)) + number
                     for target, number in toc_pages.items()}
    sizes = photo_placements(book) if sizes is None else sizes
    moves = tuple(moves)
    marks = _marks_to_borrow(book)
    wanted = set(unit.sections) if unit is not None else None
    sections = [
        {"id": section.id, "title": section.title,
         "html": Markup(_marked_fragment(section.html, section.id, sizes=sizes, moves=moves,
                                        marks=marks)[0])}
        for section in book.sections if wanted is None or section.id in wanted
    ]
    # The gallery's blocks are numbered across its figures; block 0 is its heading, which the
    # template writes (pagemap.GALLERY_TITLE_ID).
    gallery = book.gallery and (unit is None or unit.gallery) and Markup(_marked_fragment(
        book.gallery_html, pagemap.GALLERY_SECTION, 1, sizes, moves=moves, marks=marks)[0])
    front = unit is None or unit.kind == FRONT
    extra = "" if unit is None else unit_css(unit)
    has_gallery = bool(gallery)
    if furniture is not None:
        # The page furniture (luoshu.layout.furniture): each section stands in as its heading
        # (it sets the running head) and as many pages as it was laid out in, all hidden.
        for section in sections:
            sections_pages = furniture.get(section["id"], 1)
            section["html"] = Markup(_heading_only(section["html"]) + FURNITURE_BREAK
                                     * (sections_pages - 1))
        if gallery:
            gallery = Markup(FURNITURE_BREAK * (furniture.get(pagemap.GALLERY_SECTION, 1) - 1))
        front, extra = False, FURNITURE_CSS
    return templates.render(
        "pdf/book.html.j2",
        meta=meta,
        labels=labels_for(book),
        colophon=colophon(book, pages),
        front=front,
        front_only=front_only,
        body=unit is None or unit.kind != FRONT,
        toc_pages=toc_pages,
        toc=[{"id": f"sec-{section.id}", "title": section.title} for section in book.sections]
        + ([{"id": GALLERY_ID, "title": labels_for(book)["gallery"]}] if book.gallery else []),
        generator=f"luoshu {__version__}",
        date_text=date_text(book),
        stylesheets=_stylesheets(book, extra),
        # Project stylesheets are project-relative; the document lives in manuscript/.
        project_stylesheets=["../" + urllib.parse.quote(path) for path in book.stylesheets],
        sections=sections,
        gallery=gallery,
        has_gallery=has_gallery,
        gallery_id=GALLERY_ID,
    )


FURNITURE_BREAK = '<div class="furniture-break"></div>'
FURNITURE_CSS = """main.body-matter { visibility: hidden; }
.furniture-break { break-before: page; }"""


def _heading_only(fragment: str) -> str:
    """The first heading of a section's HTML *fragment*, or nothing."""
    match = re.search(r"<h1[\s>].*?</h1>", fragment, re.S)
    return match.group(0) if match else ""


def _stylesheets(book: Book, extra: str = "") -> list[Markup]:
    """The document's own stylesheets, in cascade order: theme, print rules, page geometry,
    house fonts, borrowed marks, then *extra* (a unit's rules); the project's come after."""
    return [Markup(style_element_text(css)) for css in (
        templates.theme_css("base.css"),
        templates.theme_css("print.css"),
        page_css(book.config.print, (*book.fonts.body.families, book.fonts.body.generic)),
        # Font files are named relative to the project; this document is in manuscript/.
        fonts.font_css(book.fonts, embed=True, base="../"),
        borrowed_marks_css(book.fonts, book.meta.script),
        *([extra] if extra else []),
    )]


def unit_css(unit: Unit) -> str:
    """The rules a layout unit's document adds: a body unit starts on its first page, a recto
    or a verso (the root element's break decides the first page's side), and a section's or
    the gallery's pages have no running heads or folios — the page furniture has them."""
    if unit.kind == FRONT:
        return (".toc a::after { content: leader(\". \") \"\\2002\" attr(data-page); }\n"
                ".toc-target { display: block; height: 0; }")
    rules = [f"html {{ break-before: {'left' if unit.verso else 'right'}; }}",
             "main.body-matter { break-before: auto; }"]
    if unit.kind in (SECTION, GALLERY):
        boxes = " ".join(f"@{box} {{ content: none; }}" for box in MARGIN_BOXES)
        rules += [f"@page body:left {{ {boxes} }}", f"@page body:right {{ {boxes} }}"]
    return "\n".join(rules)


def _marks_to_borrow(book: Book) -> dict[str, frozenset[str]]:
    """Per element a role's selector names (tag or .class), the marks its face draws wrong
    (luoshu.fonts.quotes): the print document sets them in a ``borrowed-mark`` span."""
    found: dict[str, frozenset[str]] = {}
    for role in book.fonts.roles:
        borrowed = borrowed_marks(role, book.meta.script)
        if borrowed is not None and role.name != "code":
            for selector in ROLE_SELECTORS[role.name].split(","):
                found[selector.strip()] = borrowed[1]
    return found


def _wrap_marks(root, selector: str, marks: frozenset[str]) -> None:
    """Wrap each of *marks* in the text of the elements *selector* (a tag or ".class") names."""
    pattern = re.compile("([" + re.escape("".join(sorted(marks))) + "])")
    if selector.startswith("."):
        found = [e for e in root.iter() if isinstance(e.tag, str)
                 and selector[1:] in (e.get("class") or "").split()]
    else:
        found = list(root.iter(selector))
    inside = {id(e) for element in found for e in element.iter() if element is not e}
    for element in found:
        if id(element) in inside:
            continue  # wrapped with the element around it
        nodes = [(element, "text")] + [(e, n) for e in element.iterdescendants()
                                       if isinstance(e.tag, str) for n in ("text", "tail")]
        for node, name in nodes:
            text = getattr(node, name)
            if not text or not pattern.search(text):
                continue
            parts = pattern.split(text)
            setattr(node, name, parts[0])
            anchor = None
            for mark, after in zip(parts[1::2], parts[2::2]):
                span = lxml.etree.Element("span", {"class": MARK_CLASS})
                span.text, span.tail = mark, after
                if anchor is not None:
                    anchor.addnext(span)
                elif name == "text":
                    node.insert(0, span)
                else:
                    node.addnext(span)
                anchor = span


def photo_placements(book: Book) -> dict[str, Placement]:
    """Each photo's printed size (luoshu.images.photos.placement), by its src as the HTML has it.

    A photo the reader could not open is left out: the reader has reported it already.
    """
    files = ProjectFiles.of(book.project)
    sizes = {}
    for photo in book.photos:
        if photo.file in sizes:
            continue  # the same file placed twice is sized as its first placement
        try:
            data = (decode_data_uri(photo.file)[1] if photo.file.startswith("data:")
                    else files.resolve(photo.file, base=DOCUMENT_FOLDER).read_bytes())
        except (RefusedResource, OSError):
            continue
        pixels = image_pixels(data)
        if pixels:
            sizes[photo.file] = placement(photo, pixels, book.config.print)
    return sizes


def html_fragment(xhtml: str, section_id: str | None = None) -> str:
    """An XHTML fragment re-serialized as HTML, with word joiners where lines must not break.

    WeasyPrint parses the document with an HTML5 parser, for which ``<a id="x"/>`` or
    ``<span/>`` is an *open* tag that swallows the rest of the section. Re-serializing with
    lxml's HTML method writes ``<a id="x"></a>`` and keeps void elements (``<img>``) as is.
    With *section_id*, every block gets ``data-block="<section_id>:<n>"`` (pagemap.mark_blocks),
    numbered on the XHTML as the EPUB has it, before the HTML parser sees anything.
    """
    return _marked_fragment(xhtml, section_id)[0]


def _marked_fragment(xhtml: str, section_id: str | None, first_block: int = 0,
                     sizes: dict[str, Placement] | None = None,
                     moves: tuple[Move, ...] = (),
                     marks: dict[str, frozenset[str]] | None = None) -> tuple[str, int]:
    """``html_fragment``, numbering blocks from *first_block*, giving photos their printed
    size from *sizes* and moving the photos of *moves*; also the next block number."""
    wrapper = lxml.etree.fromstring(f"<div>{xhtml}</div>")
    next_block = first_block
    if section_id is not None:
        next_block = pagemap.mark_blocks(wrapper, section_id, first_block)
        footnotes.to_page_notes(wrapper)  # before the moves: they count characters as laid out
        apply_moves(wrapper, moves)
    for image in wrapper.iter("img"):
        size = (sizes or {}).get(image.get("src", ""))
        if size is not None:
            figure = next((a for a in image.iterancestors("figure")), None)
            scale = float(figure.get(SCALE, "1")) if figure is not None else 1.0
            image.set("style", f"width: {size.width_mm * scale:.2f}mm; "
                               f"height: {size.height_mm * scale:.2f}mm")
    for selector, borrowed in (marks or {}).items():
        _wrap_marks(wrapper, selector, borrowed)
    cjk_layout.protect_line_breaks(wrapper)
    parts = [escape_text(wrapper.text or "")]
    parts += [lxml.etree.tostring(child, method="html", encoding="unicode") for child in wrapper]
    return "".join(parts), next_block

