"""The book as ``luoshu serve`` shows it: the EPUB's XHTML documents, theme CSS, fonts and
photos, rendered by the EPUB writer's own code but never zipped.

``build_text`` renders everything, as ``luoshu.epub.writer`` does for a build: the documents (cover,
title page, contents, sections, gallery), the stylesheets with the house fonts subset to the
characters used, the photos fit for screens — every project file read through ProjectFiles.
``update_sections`` re-renders only the sections whose Markdown changed, against the same
stylesheets and photos: a fraction of a second, where the whole takes seconds (cutting the
fonts down, typesetting the cover, resampling the photos). Fonts cut before the edit may lack
a character just typed; the theme's font rules name the system families after the embedded
ones, so the text shows at once, and ``refresh_fonts`` (run later, off the fast path) cuts
them again.

The documents carry no print page-break markers: those need the print layout, which the fast
path must not wait for. Everything else is byte for byte what the EPUB stores, so the preview
shows what a reader will.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType

from ..epub.documents import (
    XHTML_TYPE,
    DocumentRenderer,
    render_documents,
    render_section,
)
from ..epub.package import PackageFiles
from ..errors import raise_if_errors
from ..markup.convert import section_anchor
from ..model import Book, SourceRef

FONT_FOLDER = "fonts/"
STYLE_FOLDER = "style/"


@dataclass(frozen=True)
class Entry:
    """One file of the preview: its bytes and media type."""

    content: bytes
    media_type: str


@dataclass(frozen=True)
class Document:
    """A spine document, in reading order: where it is (inside the EPUB's package folder),
    its title and, for a section, the section's id."""

    path: str
    title: str
    section: str | None = None


@dataclass(frozen=True)
class TextSite:
    """Every file of the EPUB preview, by path inside the EPUB's package folder."""

    files: Mapping[str, Entry]
    documents: tuple[Document, ...]
    stylesheets: tuple[str, ...]  # as the documents link them, in cascade order
    # What the contents (nav.xhtml) shows of each section: a section edit that changes it
    # needs the contents re-rendered, so it is built like any other change.
    contents: tuple[tuple[str, ...], ...] = ()
    language: str = "zh-Hans"
    title: str = ""

    def document(self, path: str) -> Document | None:
        return next((d for d in self.documents if d.path == path), None)

    def section_path(self, section_id: str) -> str | None:
        return next((d.path for d in self.documents if d.section == section_id), None)

    @property
    def section_ids(self) -> tuple[str, ...]:
        return tuple(d.section for d in self.documents if d.section is not None)

    def with_files(self, changed: Mapping[str, Entry], removed: Iterable[str] = ()) -> TextSite:
        removed = set(removed)
        files = {path: entry for path, entry in self.files.items() if path not in removed}
        files.update(changed)
        return replace(self, files=MappingProxyType(files))


@dataclass(frozen=True)
class TextBuild:
    """A rendered preview and the package that holds its photos.

    The package is kept so that later section renders reuse the photos already fit for
    screens (and their names); only the thread that renders the text ever touches it.
    """

    site: TextSite
    package: PackageFiles = field(compare=False)


def build_text(book: Book) -> TextBuild:
    """Render every document, stylesheet, font and photo of *book*'s EPUB.

    Raises ProjectError for what the EPUB writer would refuse (a photo it cannot use, a
    stylesheet outside the project).
    """
    package = PackageFiles(book)
    documents, _ = render_documents(book, package, ())
    package.finish_fonts([document.content for document in documents])
    raise_if_errors(package.problems)
    sections = {section_anchor(section.id): section.id for section in book.sections}
    files = {document.path: Entry(document.content, XHTML_TYPE) for document in documents}
    files.update((resource.path, Entry(resource.content, resource.media_type))
                 for resource in package.resources)
    site = TextSite(
        files=MappingProxyType(files),
        documents=tuple(Document(d.path, d.title, sections.get(d.manifest_id))
                        for d in documents),
        stylesheets=tuple(r.path for r in package.resources if r.media_type == "text/css"),
        contents=contents_of(book),
        language=book.meta.language,
        title=book.meta.title,
    )
    return TextBuild(site, package)


def update_sections(previous: TextBuild, site: TextSite, book: Book,
                    section_ids: Iterable[str]) -> TextBuild | None:
    """*site* with the sections *section_ids* of *book* rendered again; None when the edit
    reaches further (a section added or removed, a title or heading the contents show), and
    everything must be rendered.

    *site* is the preview as shown now (its fonts may be newer than *previous*'s); the photos
    come from *previous*'s package. Raises ProjectError as build_text does.
    """
    if site.section_ids != tuple(s.id for s in book.sections) or (
            site.contents != contents_of(book)):
        return None
    package = previous.package
    already = len(package.problems)
    renderer = DocumentRenderer(book, _KnownStylesheets(package, site.stylesheets))
    by_id = {section.id: section for section in book.sections}
    changed: dict[str, Entry] = {}
    for section_id in sorted(set(section_ids)):
        path = site.section_path(section_id)
        changed[path] = Entry(render_section(renderer, by_id[section_id], path).content,
                              XHTML_TYPE)
    raise_if_errors(package.problems[already:])
    # A photo the edit added is stored by the package under a fresh name: serve it too.
    changed.update((r.path, Entry(r.content, r.media_type)) for r in package.resources
                   if r.path not in site.files and r.media_type.startswith("image/"))
    return TextBuild(site.with_files(changed), package)


def refresh_fonts(book: Book, site: TextSite) -> tuple[dict[str, Entry], frozenset[str]]:
    """The stylesheets and subset fonts for the documents of *site* as they are now.

    Returns (files to serve, font files of *site* to drop). Subsetting is remembered per
    character set (epub_fonts), so when an edit added no new character this is quick and
    gives the same bytes.
    """
    package = PackageFiles(book)
    package.stylesheets()
    documents = [site.files[d.path].content for d in site.documents]
    package.finish_fonts(documents)
    raise_if_errors(package.problems)
    files = {r.path: Entry(r.content, r.media_type) for r in package.resources
             if r.path.startswith((FONT_FOLDER, STYLE_FOLDER))}
    stale = frozenset(path for path in site.files
                      if path.startswith(FONT_FOLDER) and path not in files)
    return files, stale


def fonts_differ(site: TextSite, files: Mapping[str, Entry], stale: Iterable[str]) -> bool:
    """Whether serving *files* (and dropping *stale*) would change anything in *site*."""
    return bool(set(stale)) or any(site.files.get(path) != entry for path, entry in files.items())


def contents_of(book: Book) -> tuple[tuple[str, ...], ...]:
    """Per section, what the EPUB's contents list of it: its title and level-2 headings."""
    return tuple((s.title, *(h.text for h in s.headings if h.level == 2)) for s in book.sections)


class _KnownStylesheets:
    """The package as a later render must see it: its stylesheets already stored (asking
    PackageFiles again would store them once more, under new names) and its photos cached."""

    def __init__(self, package: PackageFiles, stylesheets: tuple[str, ...]):
        self._package = package
        self._stylesheets = list(stylesheets)

    def stylesheets(self) -> list[str]:
        return list(self._stylesheets)

    def image(self, src: str, source: SourceRef) -> str | None:
        return self._package.image(src, source)
