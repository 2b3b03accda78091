"""The print PDF: one HTML document, laid out by WeasyPrint, that can only read the project.

``print_html(book)`` builds the document from the ``pdf/book.html.j2`` template: title page,
colophon, table of contents, the sections, and a final gallery of photos that belong to no
section. It does no layout, so tests can check it directly. ``lay_out`` lays it out into a
``weasyprint.Document`` (from which ``pagemap.page_breaks`` reads where each page begins, for the
EPUB's print page numbers) and ``write_document`` writes that as the PDF; ``write_pdf`` does both.
Every block of the sections is marked with ``data-block`` (see luoshu.layout.pagemap).

Manuscripts are untrusted, and CSS can make WeasyPrint fetch anything (``@import``,
``url()``, ``<img src>``). So every fetch goes through ``ProjectFetcher``, which serves only
files inside the project (through ``ProjectFiles``) and ``data:`` URIs, and never opens a
network connection. WeasyPrint swallows fetcher exceptions (it logs and carries on), so the
fetcher records each refusal itself and ``lay_out`` raises them as a ProjectError once the
layout is done: one run reports every refused resource.
"""

from __future__ import annotations

import contextlib
import copy
import contextvars
import datetime as _dt
import dataclasses
import logging
import threading
import urllib.parse
from collections.abc import Iterable, Iterator
from pathlib import Path

import lxml.etree
import weasyprint
from markupsafe import Markup
from weasyprint.urls import URLFetcher, URLFetcherResponse, iri_to_uri

from .. import __version__, templates
from . import cjk as cjk_layout, pagemap
from ..fonts import roles as fonts
from ..markup import convert as markup
from .colophon import colophon_lines, date_text, labels_for
from ..errors import Problem, ProjectError
from .figure_flow import FigureMove, apply_moves, find_moves
from ..model import Book
from .pagestyle import page_css, style_element_text
from ..images.photos import Placement, image_pixels, placement
from ..files.gate import ProjectFiles, RefusedResource, decode_data_uri, media_type
from ..markup.untrusted import refused_in_stylesheet

LOGGER = logging.getLogger("luoshu.layout.document")

# The document's base URL is the manuscript folder: <img src> paths in sections are relative
# to it, exactly as in the Markdown the author wrote.
DOCUMENT_FOLDER = "manuscript"

# Ids of the parts the template adds. Section ids all start with "sec-", so these cannot clash.
# The template gives the gallery's heading the id f"{GALLERY_ID}--title" (pagemap.GALLERY_TITLE_ID).
GALLERY_ID = "gallery"

# The project folder's URL in the print document, whatever the folder (see ProjectFetcher).
PROJECT_URL = "file:///luoshu-project/"

# --- The HTML document ----------------------------------------------------------------------


def print_html(book: Book, moves: Iterable[FigureMove] = (),
               sizes: dict[str, Placement] | None = None) -> str:
    """The whole print document as an HTML string, stylesheets included; with *moves*, the
    photos a first layout found leaving holes come later (luoshu.layout.figure_flow); *sizes* are
    the photos' printed sizes when the caller has them (photo_placements reads every photo)."""
    meta = book.meta
    sizes = photo_placements(book) if sizes is None else sizes
    moves = tuple(moves)
    sections = [
        {"id": section.id, "title": section.title,
         "html": Markup(_marked_fragment(section.html, section.id, sizes=sizes, moves=moves)[0])}
        for section in book.sections
    ]
    # The gallery's blocks are numbered across its figures; block 0 is its heading, which the
    # template writes (pagemap.GALLERY_TITLE_ID).
    gallery, next_block = [], 1
    for number, photo in enumerate(book.gallery, start=1):
        figure, next_block = _marked_fragment(
            markup.figure_html(photo, f"{GALLERY_ID}--photo-{number}"),
            pagemap.GALLERY_SECTION, next_block, sizes)
        gallery.append(Markup(figure))
    return templates.render(
        "pdf/book.html.j2",
        meta=meta,
        labels=labels_for(book),
        colophon=colophon_lines(book),
        generator=f"luoshu {__version__}",
        date_text=date_text(book),
        # Cascade order: theme, print rules, page geometry, house fonts, then the project's.
        stylesheets=[Markup(style_element_text(css)) for css in (
            templates.theme_css("base.css"),
            templates.theme_css("print.css"),
            page_css(book.config.print, (*book.fonts.body.families, book.fonts.body.generic)),
            # Font files are named relative to the project; this document is in manuscript/.
            fonts.font_css(book.fonts, embed=True, base="../"),
        )],
        # Project stylesheets are project-relative; the document lives in manuscript/.
        project_stylesheets=["../" + urllib.parse.quote(path) for path in book.stylesheets],
        sections=sections,
        gallery=gallery,
        gallery_id=GALLERY_ID,
    )


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
                     moves: tuple[FigureMove, ...] = ()) -> tuple[str, int]:
    """``html_fragment``, numbering blocks from *first_block*, giving photos their printed
    size from *sizes* and moving the photos of *moves*; also the next block number."""
    wrapper = lxml.etree.fromstring(f"<div>{xhtml}</div>")
    next_block = first_block
    if section_id is not None:
        next_block = pagemap.mark_blocks(wrapper, section_id, first_block)
        apply_moves(wrapper, moves)
    for image in wrapper.iter("img"):
        size = (sizes or {}).get(image.get("src", ""))
        if size is not None:
            image.set("style", f"width: {size.width_mm:.2f}mm; height: {size.height_mm:.2f}mm")
    cjk_layout.protect_line_breaks(wrapper)
    parts = [_escape_text(wrapper.text or "")]
    parts += [lxml.etree.tostring(child, method="html", encoding="unicode") for child in wrapper]
    return "".join(parts), next_block


def _escape_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# --- Fetching: the sandbox ------------------------------------------------------------------

class ProjectFetcher(URLFetcher):
    """Serves WeasyPrint the project's files and data: URIs; refuses, and records, the rest.

    ``fetch`` never calls the parent class, whose urllib handlers would open sockets.
    A project stylesheet is read as it is served (luoshu.markup.untrusted): each reference in it that
    points outside the project is recorded there, with the stylesheet's name and line — the
    EPUB refuses the same stylesheet the same way — whether or not the layout would fetch it.
    """

    def __init__(self, files: ProjectFiles):
        super().__init__(allow_redirects=False)
        self.files = files
        # The project as WeasyPrint sees it: the same URL wherever the folder is. WeasyPrint
        # names images in the PDF after their URL, and the PDF must not change with the folder
        # the project sits in (reproducible builds; the archive). Only this fetcher maps the
        # URL to files, so nothing else can reach the folder through it.
        self.root_url = PROJECT_URL
        self.document_url = f"{self.root_url}{DOCUMENT_FOLDER}/"
        self.refusals: list[Problem] = []
        self.refused_urls: set[str] = set()
        # URLs already refused while reading a stylesheet: WeasyPrint's later fetch of one
        # of them is refused again, but not reported twice.
        self._reported_urls: set[str] = set()

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
        try:
            return self._serve(url)
        except RefusedResource as refusal:
            # WeasyPrint catches this and only logs it: keep it to report after layout.
            self.refused_urls.add(url)
            if url not in self._reported_urls:
                self._reported_urls.add(url)
                self.refusals.extend(refusal.problems)
            raise

    def _serve(self, url: str) -> URLFetcherResponse:
        if url.startswith("data:"):
            kind, body = decode_data_uri(url)
            return URLFetcherResponse(url, body, {"Content-Type": kind})
        if not url.startswith(self.root_url):
            # Any other scheme, another host, or a file:// path outside the project. WeasyPrint
            # has already joined relative references, so "../../x" arrives here as file:///x.
            shown = url if len(url) < 200 else url[:200] + "…"
            raise RefusedResource([Problem(
                f"print PDF: refused {shown!r}: only files inside the project folder can be "
                "used (no URLs, no absolute paths)", code="resource-outside")])
        reference = url[len(self.root_url):]  # still percent-encoded, as resolve() expects
        try:
            path = self.files.resolve(reference)
        except RefusedResource as refusal:
            # resolve() names where it looked from ("."); the PDF has no single referrer.
            raise RefusedResource([
                dataclasses.replace(p, path=None, message=f"print PDF: {p.message}")
                for p in refusal.problems
            ]) from None
        # Answer with the resolved file's URL (a symlink inside the project resolved):
        # relative URLs inside a stylesheet resolve against it.
        relative = self.files.relative(path)
        resolved = self.root_url + urllib.parse.quote(relative)
        body, kind = path.read_bytes(), media_type(path.name)
        if kind == "text/css":
            self._check_stylesheet(relative, resolved, body)
        return URLFetcherResponse(resolved, body, {"Content-Type": kind})

    def _check_stylesheet(self, relative: str, url: str, body: bytes) -> None:
        """Record what the stylesheet *relative* (served as *url*) names outside the project."""
        for reference, problem in refused_in_stylesheet(self.files, relative, body):
            # Joined as WeasyPrint joins it, so that its fetch finds the URL reported already.
            self._reported_urls.add(iri_to_uri(urllib.parse.urljoin(url, reference.value)))
            self.refusals.append(problem)


# --- WeasyPrint's log -----------------------------------------------------------------------

# The error records of the lay_out or write_document running in this thread/context, or None
# outside one.
_current_errors: contextvars.ContextVar[list[logging.LogRecord] | None] = contextvars.ContextVar(
    "luoshu_pdf_weasyprint_errors", default=None)
_log_setup_lock = threading.Lock()


class _WeasyPrintLogForwarder(logging.Handler):
    """Moves WeasyPrint's records to luoshu's logger, keeping errors for lay_out and
    write_document to report.

    WeasyPrint warns freely about CSS it does not support (e.g. text-emphasis), which a user
    cannot act on: those go to DEBUG. Its errors (an unreadable image, a stylesheet that is not
    CSS) are problems with the input.
    """

    def emit(self, record: logging.LogRecord) -> None:
        if record.name == "weasyprint.progress":
            return  # "Step 5 - Creating layout - Page 12", twice per page: noise even at DEBUG
        LOGGER.debug("weasyprint %s: %s", record.levelname.lower(), record.getMessage())
        errors = _current_errors.get()
        if errors is not None and record.levelno >= logging.ERROR:
            errors.append(record)


def _install_log_forwarder() -> None:
    """Once per process: stop WeasyPrint's records from reaching the root logger (stderr)."""
    weasy_logger = logging.getLogger("weasyprint")
    with _log_setup_lock:
        if not any(isinstance(h, _WeasyPrintLogForwarder) for h in weasy_logger.handlers):
            weasy_logger.addHandler(_WeasyPrintLogForwarder())
            weasy_logger.propagate = False


@contextlib.contextmanager
def _collect_weasyprint_errors() -> Iterator[list[logging.LogRecord]]:
    _install_log_forwarder()
    errors: list[logging.LogRecord] = []
    token = _current_errors.set(errors)
    try:
        yield errors
    finally:
        _current_errors.reset(token)


# --- Rendering ------------------------------------------------------------------------------


def lay_out(book: Book) -> weasyprint.Document:
    """Lay out *book*'s print document: the pages, ready to write (``write_document``) and to
    read where each page begins (``pagemap.page_breaks``).

    Raises ProjectError listing every resource the sandbox refused and every error WeasyPrint
    logged (an unreadable image, a stylesheet that is not CSS).
    """
    cjk_layout.install()
    fetcher = ProjectFetcher(ProjectFiles.of(book.project))
    with _collect_weasyprint_errors() as errors:
        sizes = photo_placements(book)  # read once, for both layouts
        document = _render(print_html(book, sizes=sizes), fetcher)
        # Photos that left a hole at the foot of a page move past the text that follows them;
        # one more layout, only for a book where that happens.
        # (Not when the first layout had problems: they are reported instead, once.)
        moves = () if fetcher.refusals or errors else find_moves(document)
        if moves:
            LOGGER.info("print: %d photo(s) moved to fill holes at the foot of pages",
                        len(moves))
            del document  # the first layout's pages: gone before the second takes their place
            document = _render(print_html(book, moves, sizes), fetcher)
    _raise_problems(fetcher, errors)
    return document


def _render(html: str, fetcher: ProjectFetcher) -> weasyprint.Document:
    return weasyprint.HTML(string=html, base_url=fetcher.document_url,
                           url_fetcher=fetcher).render()


def write_document(document: weasyprint.Document, destination: Path, bleed: bool = False,
                   modified: _dt.datetime | None = None, **options) -> None:
    """Write a laid-out print document (from ``lay_out``) as the PDF *destination*.

    Pages are laid out with the bleed of ``[print] bleed_mm`` around them. With *bleed* the PDF
    keeps it (the MediaBox includes it; TrimBox and BleedBox say where the page is cut): that
    is the press PDF's input. Without, each page is exactly the trim size, the reading copy;
    what reaches into the bleed (a full-bleed photo) is cut at the page edge.

    *modified* (the build's timestamp, never "now") becomes the PDF's ModDate, and its
    CreationDate when the book has no date. Other *options* go to WeasyPrint's ``write_pdf``
    (``pdf_variant="pdf/a-2u"``, ``pdf_tags=True``: the archival PDF).

    Raises ProjectError for errors WeasyPrint logs while writing (fonts are embedded then).
    """
    fetcher = document.url_fetcher if isinstance(document.url_fetcher, ProjectFetcher) else None
    already = len(fetcher.refusals) if fetcher else 0
    metadata = copy.copy(document.metadata)  # the layout is shared: change a copy
    if modified is not None:
        metadata.modified = modified.isoformat(timespec="seconds")
        metadata.created = metadata.created or metadata.modified
    pages = [_for_writing(page, bleed) for page in document.pages]
    document = type(document)(pages, metadata, document.url_fetcher, document.font_config,
                              document.color_profiles, document.output_intent)
    with _collect_weasyprint_errors() as errors:
        document.write_pdf(destination, **options)
    _raise_problems(fetcher, errors, already)


def _for_writing(page: weasyprint.Page, bleed: bool) -> weasyprint.Page:
    """A shallow copy of *page* to write: without its bleed unless *bleed*, and with bookmark
    labels free of the word joiners cjk_layout put in the text (a PDF viewer's outline would
    show them as boxes or stray gaps). WeasyPrint reads ``Page.bleed`` only to size the PDF
    page and its boxes; the layout inside stays the same, shared object."""
    written = copy.copy(page)
    if not bleed:
        written.bleed = {side: 0 for side in page.bleed}
    written.bookmarks = [(level, cjk_layout.without_word_joiners(label), *rest)
                         for level, label, *rest in page.bookmarks]
    return written


def write_pdf(book: Book, destination: Path) -> None:
    """Lay out *book* and write the print PDF to *destination* (the caller renames it)."""
    write_document(lay_out(book), destination)


def _raise_problems(fetcher: ProjectFetcher | None, errors: list[logging.LogRecord],
                    already: int = 0) -> None:
    """Raise the fetcher's refusals (those after the first *already*) and WeasyPrint's errors
    as one ProjectError, if there are any."""
    problems = list(fetcher.refusals[already:]) if fetcher else []
    refused = fetcher.refused_urls if fetcher else set()
    for record in errors:
        # A refused fetch is logged by WeasyPrint too; the fetcher's problem says it better.
        if isinstance(record.args, tuple) and refused.intersection(
                arg for arg in record.args if isinstance(arg, str)):
            continue
        problems.append(Problem(f"print PDF: {record.getMessage()}", code="pdf-render"))
    if problems:
        raise ProjectError(problems)
