"""Traditional editions: for each ``[editions.NAME]`` of book.toml, the loaded Book converted to
Traditional Chinese, and the list of conversions an editor must confirm.

An edition is a transformation of the Book (the model is frozen dataclasses, so this makes a
new Book): the sections' XHTML, their Markdown text, titles and headings, the photos' captions,
credits and alt text, the gallery and the book's metadata go through OpenCC phrase by phrase
(luoshu.zh.hant) — never code, URLs, Markdown syntax or Latin text —, quotes become corner
brackets, the language becomes the edition's (so every renderer sets Traditional fonts, labels
and ``lang`` by itself), the outputs are named ``book-NAME.epub`` … and the identifier is the
edition's own. Every renderer works on it unchanged.

The editor's answers are ``manuscript/NAME.toml``: ``"头发干了" = "頭髮乾了"``, phrase →
phrase. Each one-to-many conversion OpenCC makes that no answer covers is a review item:
``luoshu check`` lists them in context with file:line (LS301), and the build says how many
remain (a warning, so ``--strict`` refuses to release an edition nobody has reviewed).
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from ..errors import Problem, ProjectError
from ..files.paths import BOOK_TOML, MANUSCRIPT
from ..files.text import read_toml, toml_key_line
from ..fonts.roles import check_coverage, load_fonts
from ..markup.xhtml import escape_text, serialize
from ..model import Book, Edition, Photo
from ..zh.hant import (
    PLACEHOLDER,
    Ambiguity,
    OpenCCMissing,
    Overrides,
    ambiguities,
    convert,
    corner_quotes,
)
from ..zh.textmask import FREE, protect

REVIEW_CODE = "LS301"  # luoshu check's code of a review item (luoshu.zh.typocheck.CODES)
# Elements whose text is not prose (never converted) and elements that end a run of text (no
# phrase is read across them).
_PROTECTED = frozenset({"code", "pre", "kbd", "samp", "var", "script", "style", "svg", "math"})
_INLINE = frozenset({"a", "abbr", "b", "bdi", "bdo", "br", "cite", "data", "dfn", "em", "i",
                     "mark", "q", "rb", "rp", "rt", "ruby", "s", "small", "span", "strong", "sub",
                     "sup", "time", "u", "wbr", "img"})
_TEXT_ATTRIBUTES = ("alt", "title", "aria-label")
_META = ("title", "subtitle", "description", "publisher", "rights", "edition", "printing")


@dataclass(frozen=True)
class ReviewItem:
    """A one-to-many conversion no override settles, where it is in the manuscript."""

    edition: str
    path: str
    line: int
    column: int | None
    ambiguity: Ambiguity
    context: str  # the Simplified text around it
    phrase: str  # a phrase around it for the overrides file, and its conversion
    phrase_converted: str

    @property
    def message(self) -> str:
        a = self.ambiguity
        choices = "; ".join(f"{source} → {'/'.join(values)}" for source, values in a.candidates)
        if a.other_reading:
            choices += f"; but {a.other_reading[0]} alone reads {a.other_reading[1]}"
        return (f"{self.edition}: {a.source!r} becomes {a.converted!r} in “{self.context}” "
                f"({choices}): if that is right, confirm it in {overrides_path(self.edition)} "
                f"(\"{self.phrase}\" = \"{self.phrase_converted}\"), otherwise write the right "
                "form there")


@dataclass(frozen=True)
class Editions:
    """The book's editions, converted; what an editor must still review; every problem."""

    books: tuple[Book, ...]
    review: tuple[ReviewItem, ...]
    problems: tuple[Problem, ...]


def overrides_path(name: str) -> str:
    return f"{MANUSCRIPT}/{name}.toml"


def edition_books(book: Book) -> tuple[tuple[Book, ...], tuple[Problem, ...]]:
    """The build's hook: the converted Book of every edition, and the warnings (how many
    conversions remain unreviewed); raises ProjectError when an edition cannot be built."""
    editions = prepare_editions(book)
    if any(p.severity == "error" for p in editions.problems):
        raise ProjectError(editions.problems)
    return editions.books, editions.problems


def prepare_editions(book: Book) -> Editions:
    """Convert *book* into each of its editions and list what an editor must review."""
    books, review, problems = [], [], []
    for edition in book.config.editions:
        overrides = read_overrides(book.project, edition.name, problems)
        try:
            converted = edition_book(book, edition, overrides)
            items, used = review_items(book, edition, overrides)
        except OpenCCMissing as error:
            problems.append(Problem(str(error), BOOK_TOML, code="edition-opencc"))
            continue
        except ProjectError as error:  # the edition's fonts
            problems += error.problems
            continue
        problems += check_coverage(converted)
        books.append(converted)
        review += items
        toml = _book_toml(book)
        line = toml_key_line(toml, None, f"editions.{edition.name}")
        for phrase in overrides.phrases:
            if phrase not in used:
                problems.append(Problem(
                    f"{phrase!r} is not in the manuscript: this override converts nothing",
                    overrides_path(edition.name), toml_key_line(_read(book.project, edition),
                                                                None, phrase),
                    code="edition-override-unused", severity="warning"))
        if items:
            examples = ", ".join(dict.fromkeys(f"{i.ambiguity.source} → {i.ambiguity.converted}"
                                               for i in items))
            problems.append(Problem(
                f"the {edition.name} edition has {len(items)} one-to-many conversion(s) nobody "
                f"has reviewed ({_shorten(examples)}): `luoshu check` lists them; confirm or "
                f"correct each in {overrides_path(edition.name)}", BOOK_TOML, line,
                code="edition-unreviewed", severity="warning"))
    return Editions(tuple(books), tuple(review), tuple(problems))


def _shorten(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[:limit].rsplit(", ", 1)[0] + ", …"


# --- the overrides file -------------------------------------------------------------------------


def read_overrides(project: Path, name: str, problems: list[Problem]) -> Overrides:
    """``manuscript/NAME.toml``: Simplified phrase = Traditional phrase, one a line."""
    relative = overrides_path(name)
    path = project / relative
    if not path.is_file():
        return Overrides({})
    loaded = read_toml(path, relative, problems, code="edition-overrides")
    if loaded is None:
        return Overrides({})
    data, text = loaded
    phrases = {}
    for key, value in data.items():
        if not isinstance(value, str) or not key.strip() or not value.strip():
            problems.append(Problem(
                f"{key!r} = … must map a phrase to its Traditional form, e.g. "
                '"头发干了" = "頭髮乾了"', relative, toml_key_line(text, None, key),
                code="edition-overrides"))
            continue
        phrases[key] = value
    return Overrides(phrases)


def _read(project: Path, edition: Edition) -> str:
    return (project / overrides_path(edition.name)).read_text(encoding="utf-8-sig")


def _book_toml(book: Book) -> str:
    return (book.project / BOOK_TOML).read_text(encoding="utf-8-sig")


# --- the converted Book -------------------------------------------------------------------------


def edition_book(book: Book, edition: Edition, overrides: Overrides) -> Book:
    """*book* as the Traditional *edition*: the same structure, converted text."""
    variant = edition.options.variant
    typography = book.config.typography

    def plain(text: str | None) -> str | None:
        if not text:
            return text
        mask = protect(text, markdown=False)
        converted = convert(text, variant, overrides, [f != FREE for f in mask.flags])
        return corner_quotes(converted, False, typography)

    def markdown(text: str) -> str:
        mask = protect(text, markdown=True)
        converted = convert(text, variant, overrides, [f != FREE for f in mask.flags])
        return corner_quotes(converted, True, typography)

    def html(fragment: str) -> str:
        return convert_html(fragment, lambda text, protected: convert(
            text, variant, overrides, protected), lambda text: corner_quotes(
            text, False, typography))

    def photo(p: Photo) -> Photo:
        return dataclasses.replace(p, caption=plain(p.caption), credit=plain(p.credit),
                                   alt=plain(p.alt))

    sections = tuple(dataclasses.replace(
        s, title=plain(s.title), html=html(s.html), text=markdown(s.text),
        headings=tuple(dataclasses.replace(h, text=plain(h.text)) for h in s.headings),
        photos=tuple(photo(p) for p in s.photos)) for s in book.sections)
    meta = book.meta
    meta = dataclasses.replace(
        meta, language=edition.language,
        identifier=edition.options.identifier or _derived_identifier(meta.identifier, edition),
        authors=tuple(plain(a) for a in meta.authors),
        subjects=tuple(plain(s) for s in meta.subjects),
        **{key: plain(getattr(meta, key)) for key in _META})
    config = dataclasses.replace(
        book.config, book=meta, editions=(),
        output=dataclasses.replace(book.config.output,
                                   basename=f"{book.config.output.basename}-{edition.name}"))
    return dataclasses.replace(
        book, config=config, sections=sections, gallery=tuple(photo(p) for p in book.gallery),
        gallery_html=html(book.gallery_html), fonts=load_fonts(book.project, edition.language))


def _derived_identifier(identifier: str, edition: Edition) -> str:
    """A stable identifier of its own: reading systems key books on it, and two editions
    sharing one would overwrite each other in a reader's library."""
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'luoshu:{identifier}#{edition.name}')}"


def convert_html(fragment: str, convert_text, restyle_quotes) -> str:
    """An XHTML fragment with its prose converted: text is read a block at a time (so a phrase
    may run through <em> or <a>, never across paragraphs), code elements stay as they are,
    and alt, title and aria-label attributes are converted as text."""
    if not fragment:
        return fragment
    root = etree.fromstring(f"<root>{fragment}</root>")
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        for name in _TEXT_ATTRIBUTES:
            value = element.get(name)
            if value and not _inside_protected(element):
                element.set(name, restyle_quotes(convert_text(value, None)))
    for run in _runs(root):
        texts = [getattr(node, slot) or "" for node, slot, _ in run]
        protected = [[p] * len(t) for (_, _, p), t in zip(run, texts, strict=True)]
        joined = "".join(texts)
        flags = [flag for group in protected for flag in group]
        converted = convert_text(joined, flags)
        if len(converted) == len(joined):
            converted = restyle_quotes("".join(
                PLACEHOLDER if f else c for c, f in zip(converted, flags, strict=True)))
            pieces, position = [], 0
            for text, (_, _, is_protected) in zip(texts, run, strict=True):
                piece = converted[position:position + len(text)]
                pieces.append(text if is_protected else piece)
                position += len(text)
        else:  # a phrase changed length: each piece by itself
            pieces = [text if p else restyle_quotes(convert_text(text, None))
                      for text, (_, _, p) in zip(texts, run, strict=True)]
        for (node, slot, _), piece in zip(run, pieces, strict=True):
            if getattr(node, slot):
                setattr(node, slot, piece)
    return escape_text(root.text or "") + "".join(serialize(child) for child in root)


def _runs(root) -> Iterator[list[tuple[object, str, bool]]]:
    """The text slots (element, "text" or "tail", protected) of *root* in document order,
    grouped into runs that block elements separate."""
    run: list[tuple[object, str, bool]] = []

    def walk(element, protected: bool) -> Iterator[list]:
        nonlocal run
        inline = element.tag in _INLINE
        protected = protected or element.tag in _PROTECTED
        if not inline and run:
            yield run
            run = []
        run.append((element, "text", protected))
        for child in element:
            if isinstance(child.tag, str):
                yield from walk(child, protected)
            run.append((child, "tail", protected))
        if not inline and run:
            yield run
            run = []

    yield from walk(root, False)  # <root> is a block: its text opens the first run


def _inside_protected(element) -> bool:
    return any(e.tag in _PROTECTED for e in element.iterancestors()) or element.tag in _PROTECTED


# --- the review list ----------------------------------------------------------------------------


def review_items(book: Book, edition: Edition, overrides: Overrides
                 ) -> tuple[list[ReviewItem], set[str]]:
    """Every one-to-many conversion of the book no override settles, and the override
    phrases the manuscript uses."""
    texts = list(_texts(book))
    masked, used = [], set()
    for _, _, text, markdown in texts:
        flags = protect(text, markdown=markdown).flags
        # Protected characters become placeholders; line breaks stay, for the line numbers.
        masked.append("".join(c if f == FREE or c == "\n" else PLACEHOLDER
                              for c, f in zip(text, flags, strict=True)))
        # In use: the phrase is in the text, even where a longer or earlier override wins.
        used.update(phrase for phrase in overrides.phrases if phrase in text)
    found = ambiguities(masked, edition.options.variant)
    items = []
    for (path, line, text, markdown), spans, clean in zip(texts, found, masked, strict=True):
        settled = {i for m in overrides.spans(clean) for i in range(m.start(), m.end())}
        for span in spans:
            if not settled.intersection(range(span.start, span.end)):
                items.append(_item(edition, path, line, text, markdown, clean, span, overrides))
    return items, used


def _texts(book: Book) -> Iterator[tuple[str, int, str, bool]]:
    """(path, first line, text, is Markdown) of everything the edition converts that an editor
    wrote: book.toml's metadata, the sections, captions.toml's captions, credits and alt."""
    toml = _book_toml(book)
    meta = book.meta
    for key in _META:
        value = getattr(meta, key)
        if value:
            yield BOOK_TOML, toml_key_line(toml, "book", key) or 1, value, False
    for values, key in ((meta.authors, "authors"), (meta.subjects, "subjects")):
        for value in values:
            yield BOOK_TOML, toml_key_line(toml, "book", key) or 1, value, False
    for section in book.sections:
        yield section.source.path, 1, section.text, True
    for photo in book.photos:
        if photo.source and not photo.source.path.endswith(".md"):
            for value in (photo.caption, photo.credit, photo.alt):
                if value:
                    yield photo.source.path, photo.source.line or 1, value, False


def _item(edition: Edition, path: str, first_line: int, text: str, markdown: bool, masked: str,
          span: Ambiguity, overrides: Overrides) -> ReviewItem:
    line_start = text.rfind("\n", 0, span.start) + 1
    line = first_line + text.count("\n", 0, span.start)
    line_end = text.find("\n", span.end)
    line_end = len(text) if line_end < 0 else line_end
    context = text[max(line_start, span.start - 8):min(line_end, span.end + 8)].strip()
    # A phrase for the overrides file: the span and up to two free Han characters either side,
    # specific enough not to convert every other use of the span.
    start, end = span.start, span.end
    while start > line_start and span.start - start < 2 and _han(masked[start - 1]):
        start -= 1
    while end < line_end and end - span.end < 2 and _han(masked[end]):
        end += 1
    phrase = text[start:end]
    column = span.start - line_start + 1 if markdown else None  # TOML values: the line only
    return ReviewItem(edition.name, path, line, column, span, context, phrase,
                      convert(phrase, edition.options.variant, overrides))


def _han(char: str) -> bool:
    return "\u3400" <= char <= "\u9fff" or "\uf900" <= char <= "\ufaff"
