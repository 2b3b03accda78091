"""The non-document files of an EPUB: stylesheets, photos fit for screens, the cover, fonts.

Every project file is read through ProjectFiles (manuscripts are untrusted) and stored once,
under an ASCII name: some reading systems still mishandle non-ASCII names in the zip. Problems
(a missing photo, an unreadable image) are collected, located at the Markdown line or
captions.toml entry that asked for the file, and raised together by the writer.
Stylesheets and SVG images are stored as they are, so what they name inside is checked first
(luoshu.markup.untrusted): a reading system would fetch it, or run it.
"""

from __future__ import annotations

import dataclasses
import io
import posixpath
import re
from dataclasses import dataclass
from pathlib import PurePosixPath

from lxml import etree
from PIL import Image

from ..errors import Problem, ProjectError
from ..files.gate import ProjectFiles, decode_data_uri, media_type
from ..files.paths import BOOK_TOML, MANUSCRIPT
from ..fonts import roles as fonts
from ..images.screen import ImageProblem, screen_image
from ..markup.untrusted import SVG_TYPE, refused_in_stylesheet, svg_hazards
from ..model import Book, SourceRef
from ..templates import theme_css
from . import fonts as epub_fonts
from .cover import typeset_cover

# The image types every EPUB 3 reading system must show (EPUB 3.3 "core media types"); any
# other type would need a fallback image, which a manuscript has no way to give.
CORE_IMAGE_TYPES = {"image/jpeg", "image/png", "image/gif", "image/svg+xml", "image/webp"}
IMAGE_SUFFIXES = {"image/jpeg": ".jpg", "image/png": ".png", "image/gif": ".gif",
                  "image/svg+xml": ".svg", "image/webp": ".webp"}
# Raster images re-encoded for screens; SVG and animated GIF are kept as they are.
RESAMPLED_TYPES = {"image/jpeg", "image/png", "image/webp"}
BOOK_CSS = "style/book.css"
COVER_KEY = "luoshu:cover"  # the cover's src in the cover document, before localisation


@dataclass(frozen=True)
class Resource:
    """A file of the package that is not a spine document."""

    path: str  # inside EPUB/
    manifest_id: str
    media_type: str
    content: bytes
    properties: tuple[str, ...] = ()


class PackageFiles:
    """Collects the files the documents use, and the problems found on the way."""

    def __init__(self, book: Book):
        self.book = book
        self.files = ProjectFiles.of(book.project)
        self.resources: list[Resource] = []
        self.problems: list[Problem] = []
        self._stored: dict[str, str] = {}  # project path (or data: URI) → path in the EPUB
        self._taken: set[str] = set()

    # --- stylesheets and fonts -------------------------------------------------------------

    def stylesheets(self) -> list[str]:
        """The theme stylesheet (its font rules come with finish_fonts), then each project
        stylesheet; their paths in the EPUB."""
        paths = [self._store(BOOK_CSS, "text/css", b"", "style")]
        for reference in self.book.stylesheets:
            try:
                resolved = self.files.resolve(reference, referrer=reference)
            except ProjectError as error:
                self.problems.extend(error.problems)
                continue
            content = resolved.read_bytes()
            # The EPUB carries the stylesheet byte for byte, and a reading system fetches what
            # it names, even in rules the print layout never uses: what points outside the
            # project stops the build here too, not only when WeasyPrint happens to fetch it.
            refused = refused_in_stylesheet(self.files, self.files.relative(resolved), content)
            if refused:
                self.problems.extend(problem for _, problem in refused)
                continue
            paths.append(self._store(f"style/{resolved.name}", "text/css", content, "style"))
        return paths

    def finish_fonts(self, documents: list[bytes]) -> epub_fonts.EmbeddedFonts | None:
        """Embed the house fonts subset to what *documents* use, and complete book.css."""
        theme = theme_css("base.css") + "\n" + theme_css("epub.css") + "\n"
        if self.book.config.epub.writing_mode == "vertical-rl":
            theme += theme_css("epub-vertical.css") + "\n"
        embedded = None
        if self.book.config.epub.embed_fonts:
            embedded = epub_fonts.embed_fonts(self.book.fonts, documents)
            for font in embedded.fonts:
                self._store(font.path, font.media_type, font.data, "font")
            theme += embedded.css
        else:
            theme += fonts.font_css(self.book.fonts, embed=False)
        index = next(i for i, r in enumerate(self.resources) if r.path == BOOK_CSS)
        self.resources[index] = dataclasses.replace(self.resources[index],
                                                    content=theme.encode("utf-8"))
        return embedded

    # --- images ----------------------------------------------------------------------------

    def image(self, src: str, source: SourceRef) -> str | None:
        """Store the image *src* (relative to manuscript/) once, fit for screens; its path in
        the EPUB. None when the image cannot be used; the problem is recorded at *source*."""
        if src in self._stored:  # stored already (the cover is stored under COVER_KEY)
            return self._stored[src]
        try:
            if src.startswith("data:"):
                key, kind, name = src, _data_uri_type(src, source), ""
            else:
                resolved = self.files.resolve(src, base=MANUSCRIPT, referrer=source.path)
                key, name = self.files.relative(resolved), resolved.name
                kind = media_type(name)
            if key in self._stored:
                return self._stored[key]
            if kind not in CORE_IMAGE_TYPES:
                raise ProjectError([Problem(
                    f"{src!r} is {kind}, which EPUB readers need not show: use JPEG, PNG, GIF, "
                    "SVG or WebP", source.path, code="epub-image-type")])
            content = self.files.read_bytes(src, base=MANUSCRIPT, referrer=source.path)
            if kind == SVG_TYPE:
                # Stored as written, so a reading system would run its scripts and fetch
                # what it links to (photo files are JPEG or PNG: this is a data: URI).
                hazards = svg_hazards(content)
                if hazards:
                    raise ProjectError([Problem(f"refused SVG image: {reason}", source.path,
                                                code="resource-outside") for reason in hazards])
            if kind in RESAMPLED_TYPES:
                # Screens need no print resolution; the PDF keeps the original file.
                screen = screen_image(content, self.book.config.epub.image_max_edge)
                content, kind = screen.data, screen.media_type
        except ImageProblem as problem:
            self.problems.append(Problem(f"{src}: {problem}", source.path, source.line,
                                         code="photo-unreadable"))
            return None
        except ProjectError as error:
            # Point at the Markdown line or captions.toml entry, not just at the file.
            self.problems.extend(dataclasses.replace(p, path=source.path, line=source.line)
                                 for p in error.problems)
            return None
        stem = PurePosixPath(name).stem
        self._stored[key] = self._store(f"images/{stem}{IMAGE_SUFFIXES[kind]}", kind, content,
                                        "image")
        return self._stored[key]

    def cover(self) -> str | None:
        """The cover image: ``[epub] cover`` fit for screens, or one typeset from the metadata.

        Returns COVER_KEY, the src the cover document uses (``image`` maps it to the stored
        file), or None when the supplied cover cannot be used (the problem is recorded)."""
        supplied = self.book.config.epub.cover
        if supplied:
            path = self.image(supplied, SourceRef(BOOK_TOML))
            if path is None:
                return None
        else:
            data = typeset_cover(self.book.meta, self.book.fonts)
            path = self._store("images/cover.png", "image/png", data, "cover")
        index = next(i for i, r in enumerate(self.resources) if r.path == path)
        self.resources[index] = dataclasses.replace(self.resources[index],
                                                    properties=("cover-image",))
        self._stored[COVER_KEY] = path
        return COVER_KEY

    def cover_size(self) -> tuple[int, int]:
        """The stored cover image's size in pixels (after ``cover``)."""
        path = self._stored[COVER_KEY]
        content = next(r.content for r in self.resources if r.path == path)
        if path.endswith(".svg"):
            return _svg_size(content)
        with Image.open(io.BytesIO(content)) as image:
            return image.size

    def _store(self, wanted: str, kind: str, content: bytes, fallback: str) -> str:
        path = unique_ascii_path(wanted, self._taken, fallback)
        self.resources.append(Resource(path, f"res-{len(self.resources) + 1}", kind, content))
        return path


def _svg_size(content: bytes) -> tuple[int, int]:
    """An SVG cover's size from its viewBox (or width and height); 2:3 when it gives none."""
    root = etree.fromstring(content, etree.XMLParser(resolve_entities=False, no_network=True))
    numbers = re.findall(r"[-+]?\d*\.?\d+", root.get("viewBox") or "")
    if len(numbers) == 4 and float(numbers[2]) > 0 and float(numbers[3]) > 0:
        return round(float(numbers[2])), round(float(numbers[3]))
    try:
        return round(float(root.get("width", ""))), round(float(root.get("height", "")))
    except ValueError:
        return 1600, 2400


def _data_uri_type(uri: str, source: SourceRef) -> str:
    try:
        return decode_data_uri(uri)[0]
    except ValueError as error:  # bad base64 (binascii.Error is a ValueError)
        raise ProjectError([Problem(f"unreadable data: URI ({error})", source.path,
                                    code="resource-data-uri")]) from error


def unique_ascii_path(wanted: str, taken: set[str], fallback: str) -> str:
    """*wanted* with its file name reduced to [A-Za-z0-9_-] and made unique among *taken*.

    A name with no ASCII left (洛阳.jpg) becomes *fallback* (image.jpg, image-2.jpg, …).
    """
    folder, name = posixpath.split(wanted)
    stem, suffix = posixpath.splitext(name)
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", stem).strip("-") or fallback
    path, counter = posixpath.join(folder, stem + suffix), 1
    while path in taken:
        counter += 1
        path = posixpath.join(folder, f"{stem}-{counter}{suffix}")
    taken.add(path)
    return path
