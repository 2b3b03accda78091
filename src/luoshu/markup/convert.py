"""Markdown → well-formed XHTML fragments for one section, plus figure markup.

Python-Markdown does the parsing (footnotes, tables, attribute lists, fenced code); this module
then reworks the result as a tree, because every output needs the same guarantees:

- a line break inside a paragraph between two Chinese characters is dropped, not turned into
  a space (Chinese has no inter-word spaces);
- a Latin word or number touching a Han character is wrapped in ``<span class="latin">`` with
  ``han-before``/``han-after`` classes, for the quarter-em the theme puts there (spacing.py);
- a paragraph holding just an image becomes a ``<figure>`` with the image's title as caption;
- every ``id`` (and every in-document ``href``) is prefixed with the section's anchor, so the
  print PDF, which joins all sections in one document, has no duplicate ids;
- raw HTML is stripped of scripts, frames, embedded media, event handlers, ``javascript:``
  links and whatever would load something (only ``<img src>`` may, through the project gate).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser

import markdown
from lxml import etree, html

from ..errors import Problem
from ..model import Heading, Photo, SourceRef
from ..zh.chars import WIDE
from ..zh.spacing import CODE_ELEMENTS, TextFlow, add_han_latin_spacing
from .figures import figure_html
from .untrusted import sanitize_html, svg_image_hazards
from .xhtml import NOT_XML, escape_text, non_xml_problem, serialize

# A source line break *between two* East Asian wide characters is removed, as CSS Text 3's
# segment-break transformation and Pandoc's east_asian_line_breaks do; next to Latin text it
# stays a space, as the writer presumably meant.
_BREAK_BETWEEN_CJK = re.compile(rf"(?<=[{WIDE}])[ \t]*\n[ \t]*(?=[{WIDE}])")

_NO_TEXT_ELEMENTS = CODE_ELEMENTS
# How deep elements may nest in a section: far beyond any book, well below the ~150 levels at
# which WeasyPrint's recursive layout fails (see _check_depth).
MAX_DEPTH = 64

_EXTENSIONS = ["footnotes", "tables", "attr_list", "fenced_code", "sane_lists", "abbr", "def_list"]
_EXTENSION_CONFIGS = {
    "footnotes": {
        "SEPARATOR": "-",  # ":" would make ids that are not valid XML names
        "BACKLINK_TEXT": "↑",  # in every CJK font, unlike the default ↩
        "BACKLINK_TITLE": "返回正文",
    }
}


@dataclass(frozen=True)
class ConvertedSection:
    """The result of converting one section's Markdown."""

    html: str
    title: str | None  # text of the first <h1>, if any
    headings: tuple[Heading, ...]
    photos: tuple[Photo, ...]  # images found in the Markdown, in order
    problems: tuple[Problem, ...]


def section_anchor(section_id: str) -> str:
    """The id of a section's wrapper element: section ids may start with a digit, XML ids not."""
    return f"sec-{section_id}"


def convert_section(
    text: str, section_id: str, source: str, first_line: int = 1, title: str | None = None
) -> ConvertedSection:
    """Convert a section's Markdown body (front matter already removed) to an XHTML fragment.

    *first_line* is the line of *text*'s first line in the file, for problem locations.
    *title*, from front matter, is inserted as the ``<h1>`` when the body has none.
    """
    problems: list[Problem] = []
    text = _without_non_xml(text, source, first_line, problems)
    if title and NOT_XML.search(title):
        problems.append(non_xml_problem("the front matter title", title, source, None, None))
        title = NOT_XML.sub("", title)
    converter = markdown.Markdown(
        extensions=_EXTENSIONS, extension_configs=_EXTENSION_CONFIGS, output_format="xhtml"
    )
    deep = _nesting_line(text, first_line, markdown_only=True)
    if deep is not None:
        # Python-Markdown takes time growing with the square of a list's depth (a 500-deep
        # list: 4 s), and recurses into it: what is too deep to lay out is not converted.
        problems.append(_too_deep(source, deep))
        raw = ""
    else:
        try:
            raw = converter.convert(text)
        except RecursionError:  # Python-Markdown recurses into nested lists and quotes
            problems.append(_too_deep(source, _nesting_line(text, first_line) or first_line))
            raw = ""
    root = html.fragment_fromstring(raw or "<p></p>", create_parent="div")
    anchor = section_anchor(section_id)
    _check_depth(root, text, source, first_line, problems)

    _strip_non_xml(root)
    sanitize_html(root)
    _join_cjk_line_breaks(root)
    photos = _collect_images(root, text, section_id, source, first_line, problems)

    first_h1 = root.find(".//h1")
    if first_h1 is None and title:
        first_h1 = etree.Element("h1")
        first_h1.text = title
        root.insert(0, first_h1)
    add_han_latin_spacing(root)  # after the joining: a removed break can make Han touch Latin
    _check_dangling(_assign_ids(root, first_h1, anchor), text, source, first_line, problems)
    headings = tuple(
        Heading(int(h.tag[1]), _text_of(h), h.get("id"))
        for h in root.iter("h1", "h2", "h3", "h4", "h5", "h6")
    )

    body = "".join(serialize(child) for child in root)
    if root.text and root.text.strip():
        body = escape_text(root.text) + body
    heading_title = _text_of(first_h1) if first_h1 is not None else None
    return ConvertedSection(body, heading_title, headings, tuple(photos), tuple(problems))


# --- tree passes ---------------------------------------------------------------------------


def _without_non_xml(text: str, source: str, first_line: int, problems: list[Problem]) -> str:
    """*text* without the characters XML cannot hold (C0 controls but tab and line feed,
    U+FFFE, U+FFFF), each line holding some reported: invisible, usually pasted by accident,
    and an EPUB holding one is not well-formed."""
    lines = text.split("\n")
    for number, line in enumerate(lines):
        match = NOT_XML.search(line)
        if match:
            problems.append(non_xml_problem("the line", line, source, first_line + number,
                                             match.start() + 1))
    return NOT_XML.sub("", text)


def _strip_non_xml(root: etree._Element) -> None:
    """Drop what character references (``&#x1b;``) in raw HTML made of such characters: the
    tree would hold them, but could not be written as XML."""
    for element in root.iter():
        for name in ("text", "tail"):
            value = getattr(element, name)
            if value and NOT_XML.search(value):
                setattr(element, name, NOT_XML.sub("", value))
        if isinstance(element.tag, str):
            for name, value in element.attrib.items():
                if NOT_XML.search(value):
                    element.set(name, NOT_XML.sub("", value))


def _check_depth(root, text: str, source: str, first_line: int, problems: list[Problem]):
    """Elements nested deeper than MAX_DEPTH are an error: WeasyPrint lays nested boxes out
    recursively, and some 150 levels exhaust Python's recursion limit."""
    for element in root.iter():
        if isinstance(element.tag, str) and _depth(element) > MAX_DEPTH:
            snippet = "".join(element.itertext()).strip()[:12]
            line = _nesting_line(text, first_line) or _line_of(text, snippet, first_line)
            problems.append(_too_deep(source, line))
            return


def _depth(element) -> int:
    return sum(1 for _ in element.iterancestors())


_NESTING = re.compile(r"^((?:[ \t]*>)*)([ \t]*)")
_LIST_ITEM = re.compile(r"^([-*+]|\d{1,9}[.)])([ \t]|$)")
_FENCE = re.compile(r"^(`{3,}|~{3,})")
_VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
                   "source", "track", "wbr"})


class _OpenElements(HTMLParser):
    """Raw HTML elements open at the end of what was fed (stdlib html.parser, fed line by
    line): how deep a line of the source sits in them."""

    def __init__(self):
        super().__init__(convert_charrefs=False)
        self.open: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in _VOID:
            self.open.append(tag)

    def handle_endtag(self, tag):
        if tag in self.open:
            del self.open[len(self.open) - 1 - self.open[::-1].index(tag):]


def _nesting_line(text: str, first_line: int, markdown_only: bool = False) -> int | None:
    """The first line of the Markdown *text* nested deeper than MAX_DEPTH elements, as its
    source tells: a quote level per '>', a list level (a list and its item) per four columns
    of indentation, and the raw HTML elements open. None when no line is (then the depth came
    from elsewhere, and the caller looks for the text instead).

    With *markdown_only*, before anything is converted: only quote marks and list items
    count, outside fenced code (an indented line of code or poetry is no list), and raw HTML
    not at all (``<div>`` in a code span opens nothing)."""
    html = _OpenElements()
    fence = None
    for number, line in enumerate(text.split("\n")):
        marks = _NESTING.match(line)
        indent = len(marks.group(2).expandtabs(4)) // 4
        rest = line[marks.end():]
        if markdown_only:
            opening = _FENCE.match(rest)
            if fence is None and opening:
                fence = opening.group(1)
            elif fence is not None and rest.startswith(fence):
                fence = None
            if fence is not None or not (marks.group(1) or _LIST_ITEM.match(rest)):
                continue
        else:
            html.feed(line + "\n")
        if marks.group(1).count(">") + 2 * indent + len(html.open) > MAX_DEPTH:
            return first_line + number
    return None


def _too_deep(source: str, line: int | None) -> Problem:
    return Problem(f"lists, quotes or raw HTML elements are nested more than {MAX_DEPTH} "
                   "levels deep, more than a book can lay out: flatten them", source, line,
                   code="markup-depth")


def _join_cjk_line_breaks(root: etree._Element) -> None:
    """Drop source line breaks between CJK characters, outside code.

    The two characters may sit in different text nodes (``*强调*\n之后``), so the pass runs on
    the paragraph's text joined in document order (``spacing.TextFlow``) and maps deletions
    back to the nodes. Code takes part as opaque filler, so a break is never removed next to
    or inside it.
    """
    flow = TextFlow(root, opaque=lambda element: element.tag in _NO_TEXT_ELEMENTS)
    deleted = {i for match in _BREAK_BETWEEN_CJK.finditer(flow.text)
               for i in range(match.start(), match.end())}
    if deleted:
        flow.delete(deleted)


def _collect_images(root, text, section_id, source, first_line, problems) -> list[Photo]:
    """Turn lone images into figures and record every image as a Photo of the section."""
    photos: list[Photo] = []
    after = 0  # where the previous image was found: the same src twice is two places
    for index, img in enumerate(list(root.iter("img"))):
        src = img.get("src", "")
        found = _find_any(text, (f"]({src}", src, escape_text(src)), after)
        after = found + max(len(src), 1) if found >= 0 else after
        line = first_line + text.count("\n", 0, found) if found >= 0 else None
        caption = img.attrib.pop("title", "") or ""
        alt = img.get("alt") or None
        photo = Photo(src, caption, alt=alt, section=section_id, source=SourceRef(source, line))
        photos.append(photo)
        problems.extend(Problem(f"refused SVG image: {reason}", source, line,
                                code="resource-outside") for reason in svg_image_hazards(src))
        if alt is None:
            img.set("alt", caption)
        parent = img.getparent()
        alone = (
            parent is not None and parent.tag == "p" and len(parent) == 1
            and not (parent.text or "").strip() and not (img.tail or "").strip()
        )
        if alone:
            figure = html.fragment_fromstring(figure_html(photo, f"fig-{index + 1}"))
            figure.tail = parent.tail
            parent.getparent().replace(parent, figure)
    return photos


def _assign_ids(root, first_h1, anchor: str) -> list[tuple[object, str]]:
    """Give headings stable ids ("title", "h-2", …), then make every id unique in the book.

    Ids are prefixed with the section's anchor (the print PDF joins all sections in one
    document), made valid XML names, and de-duplicated — an author's ``{#title}`` must not
    collide with a generated id. In-document links follow their targets; those whose target
    is not in the section are returned, with their href as written.
    """
    count = 0
    for element in root.iter("h1", "h2", "h3", "h4", "h5", "h6"):
        count += 1
        if element is first_h1 and not element.get("id"):
            element.set("id", "title")
        elif not element.get("id"):
            element.set("id", f"h-{count}")
    renamed: dict[str, str] = {}
    taken: set[str] = set()
    for element in root.iter():
        if not isinstance(element.tag, str) or not element.get("id"):
            continue
        original = element.get("id")
        unique = base = f"{anchor}--{_xml_name(original)}"
        number = 1
        while unique in taken:
            number += 1
            unique = f"{base}-{number}"
        taken.add(unique)
        renamed.setdefault(original, unique)
        element.set("id", unique)
    dangling = []
    for element in root.iter():
        href = element.get("href") if isinstance(element.tag, str) else None
        if href and href.startswith("#") and len(href) > 1:
            if href[1:] not in renamed:
                dangling.append((element, href))
            element.set("href", "#" + renamed.get(href[1:], f"{anchor}--{_xml_name(href[1:])}"))
    return dangling


def _check_dangling(dangling, text: str, source: str, first_line: int,
                    problems: list[Problem]) -> None:
    """Links to an id no element of the section has: the EPUB would hold a broken link (each
    section is a document of its own) and the print PDF cannot be written.

    Python-Markdown writes every footnote defined, with a link back to where it is referred
    to — even when it is referred to nowhere: that link goes, and the editor is warned."""
    for element, href in dangling:
        if "footnote-backref" in (element.get("class") or "").split():
            label = href.removeprefix("#fnref-")
            problems.append(Problem(
                f"footnote [^{label}] is defined but never referred to: add [^{label}] to the "
                "text where it belongs, or delete the note", source,
                _line_of(text, f"[^{label}]:", first_line), code="footnote-unreferenced",
                severity="warning"))
            element.drop_tree()
        else:
            problems.append(Problem(
                f"the link to {href!r} has no target: no heading or other element of this "
                f"section has the id {href[1:]!r}", source,
                _line_of(text, f"({href}", first_line) or _line_of(text, href, first_line),
                code="link-dangling"))


def _xml_name(value: str) -> str:
    """An id made safe as part of an XML name: letters (Han included), digits, '-', '_', '.'."""
    return re.sub(r"[^\w\-.]+", "-", value).strip("-") or "id"


# --- small helpers -------------------------------------------------------------------------


def _text_of(element) -> str:
    return re.sub(r"\s+", " ", "".join(element.itertext())).strip()


def _find_any(text: str, needles: tuple[str, ...], start: int) -> int:
    """Where the first of *needles* found in *text* from *start* on is (or from the start, when
    none is after *start*); -1 when none is anywhere."""
    for begin in (start, 0):
        found = [index for index in (text.find(n, begin) for n in needles if n) if index >= 0]
        if found:
            return min(found)
    return -1


def _line_of(text: str, needle: str, first_line: int) -> int | None:
    index = text.find(needle) if needle else -1
    return None if index < 0 else first_line + text.count("\n", 0, index)
