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
- raw HTML is stripped of scripts, frames, event handlers and ``javascript:`` links.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import markdown
from lxml import etree, html

from .errors import Problem
from .model import Heading, Photo, SourceRef
from .spacing import CODE_ELEMENTS, TextFlow, add_han_latin_spacing

# East Asian wide characters: CJK ideographs (with extensions and compatibility forms), CJK
# punctuation, kana, Bopomofo, full-width forms. A source line break *between two* of them is
# removed, as CSS Text 3's segment-break transformation and Pandoc's east_asian_line_breaks do;
# next to Latin text it stays a space, as the writer presumably meant.
_CJK = (
    "\u2e80-\u2fdf\u3000-\u303f\u3040-\u30ff\u3100-\u312f\u31a0-\u31ff\u3200-\u9fff"
    "\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\U00020000-\U0003134f"
)
_BREAK_BETWEEN_CJK = re.compile(rf"(?<=[{_CJK}])[ \t]*\n[ \t]*(?=[{_CJK}])")
_URL_NOISE = re.compile(r"[\x00-\x20]+")  # browsers ignore these inside URLs: "java\tscript:"

_DANGEROUS_ELEMENTS = {
    "script", "iframe", "object", "embed", "base", "meta", "link", "form", "frame",
    "frameset", "applet", "noscript", "style", "template",
}
_NO_TEXT_ELEMENTS = CODE_ELEMENTS

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
    converter = markdown.Markdown(
        extensions=_EXTENSIONS, extension_configs=_EXTENSION_CONFIGS, output_format="xhtml"
    )
    raw = converter.convert(text)
    root = html.fragment_fromstring(raw or "<p></p>", create_parent="div")
    problems: list[Problem] = []
    anchor = section_anchor(section_id)

    _sanitize(root)
    _join_cjk_line_breaks(root)
    photos = _collect_images(root, text, section_id, source, first_line, problems)

    first_h1 = root.find(".//h1")
    if first_h1 is None and title:
        first_h1 = etree.Element("h1")
        first_h1.text = title
        root.insert(0, first_h1)
    add_han_latin_spacing(root)  # after the joining: a removed break can make Han touch Latin
    _assign_ids(root, first_h1, anchor)
    headings = tuple(
        Heading(int(h.tag[1]), _text_of(h), h.get("id"))
        for h in root.iter("h1", "h2", "h3", "h4", "h5", "h6")
    )

    body = "".join(_serialize(child) for child in root)
    if root.text and root.text.strip():
        body = _escape(root.text) + body
    heading_title = _text_of(first_h1) if first_h1 is not None else None
    return ConvertedSection(body, heading_title, headings, tuple(photos), tuple(problems))


def figure_html(photo: Photo, anchor: str, placed: bool = False) -> str:
    """The XHTML ``<figure>`` for a photo: image, caption and credit (same for every output).

    *placed*: the photo was placed by luoshu (captions.toml), not at a point of the text the
    author chose; class "placed" lets the print layout move it either way (figure_flow).
    """
    classes = ["photo"]
    if photo.full_bleed:
        classes.append("full-bleed")
    elif photo.width is not None:
        # A declared width is a share of the text column in every output (print: luoshu.photos).
        classes.append("sized")
    if placed:
        classes.append("placed")
    figure = etree.Element("figure", {"class": " ".join(classes), "id": anchor})
    if "sized" in classes:
        figure.set("style", f"width: {photo.width * 100:.4g}%")
    etree.SubElement(figure, "img", {"src": photo.file, "alt": photo.alt or photo.caption})
    if photo.caption or photo.credit:
        caption = etree.SubElement(figure, "figcaption")
        if photo.caption:
            etree.SubElement(caption, "span", {"class": "caption"}).text = photo.caption
        if photo.credit:
            etree.SubElement(caption, "span", {"class": "credit"}).text = photo.credit
    add_han_latin_spacing(figure)
    return _serialize(figure)


# --- tree passes ---------------------------------------------------------------------------


def _sanitize(root: etree._Element) -> None:
    """Remove what could run code or load things from elsewhere (manuscripts are untrusted)."""
    for element in list(root.iter()):
        if not isinstance(element.tag, str):  # comments, processing instructions
            if element.getparent() is not None:
                element.drop_tree() if hasattr(element, "drop_tree") else element.getparent().remove(element)
            continue
        if element.tag.lower() in _DANGEROUS_ELEMENTS:
            element.drop_tree()
            continue
        for name in list(element.attrib):
            value = _URL_NOISE.sub("", element.attrib[name]).lower()
            if (
                name.lower().startswith("on")
                or ":" in name  # epub:type and friends: unbound prefixes break the XML
                or (name.lower() in ("href", "src", "action", "formaction", "poster", "data")
                    and value.startswith(("javascript:", "vbscript:")))
            ):
                del element.attrib[name]


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
    for index, img in enumerate(list(root.iter("img"))):
        src = img.get("src", "")
        line = _line_of(text, f"]({src}", first_line) or _line_of(text, src, first_line)
        caption = img.attrib.pop("title", "") or ""
        alt = img.get("alt") or None
        photo = Photo(src, caption, alt=alt, section=section_id, source=SourceRef(source, line))
        photos.append(photo)
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


def _assign_ids(root, first_h1, anchor: str) -> None:
    """Give headings stable ids ("title", "h-2", …), then make every id unique in the book.

    Ids are prefixed with the section's anchor (the print PDF joins all sections in one
    document), made valid XML names, and de-duplicated — an author's ``{#title}`` must not
    collide with a generated id. In-document links follow their targets.
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
    for element in root.iter():
        href = element.get("href") if isinstance(element.tag, str) else None
        if href and href.startswith("#") and len(href) > 1:
            element.set("href", "#" + renamed.get(href[1:], f"{anchor}--{_xml_name(href[1:])}"))


def _xml_name(value: str) -> str:
    """An id made safe as part of an XML name: letters (Han included), digits, '-', '_', '.'."""
    return re.sub(r"[^\w\-.]+", "-", value).strip("-") or "id"


# --- small helpers -------------------------------------------------------------------------


def _serialize(element) -> str:
    return etree.tostring(element, method="xml", encoding="unicode", with_tail=True)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _text_of(element) -> str:
    return re.sub(r"\s+", " ", "".join(element.itertext())).strip()


def _line_of(text: str, needle: str, first_line: int) -> int | None:
    index = text.find(needle) if needle else -1
    return None if index < 0 else first_line + text.count("\n", 0, index)
