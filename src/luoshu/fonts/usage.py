"""What the EPUB's documents need from the fonts: the characters each role and weight draws,
and the OpenType language systems of the languages they are written in.

How a character is assigned to a role and weight mirrors the CSS (``styles/base.css``,
``epub.css`` and ``fonts.ROLE_SELECTORS``):

- its *role* comes from the nearest ancestor a role selector matches (``h1``–``h6`` and
  ``.heading`` → heading, ``figcaption`` and ``.caption`` → caption, ``pre``/``code``/``kbd``/
  ``samp`` → code, everything else → body);
- its *weight* is 700 inside an element the CSS (or the reading system's default style sheet)
  makes bold — ``h1``–``h6``, ``strong``, ``b``, ``th`` — and 400 otherwise. ``.heading`` only
  changes the family, not the weight, as in the CSS. ``em`` is left alone: where emphasis dots
  are drawn it inherits the surrounding font; where they are not, epub.css sets it in the
  reading system's own bold ``sans-serif``, which no embedded font could change.

Which face of the role's families then draws it is ``epub_fonts``' business.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from lxml import etree
from lxml import html as lxml_html

from ..model import script_of
from .roles import ROLE_NAMES, ROLE_SELECTORS, _invisible

__all__ = [
    "FontUsage",
    "characters_by_role",
    "element_role",
    "is_invisible",
    "language_systems",
    "scan_documents",
]

XHTML_NS = "http://www.w3.org/1999/xhtml"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

# Elements drawn bold: base.css (h1–h6, strong) and the HTML default style sheet (b, th).
BOLD_ELEMENTS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6", "strong", "b", "th"})
# Elements whose text is never drawn.
HIDDEN_ELEMENTS = frozenset({"head", "script", "style", "template"})
# List markers a reading system draws in the list's font: decimal numbers for <ol>, disc,
# circle and square for nested <ul>. nav.toc lists have no markers (epub.css).
OL_MARKERS = "0123456789."
UL_MARKERS = "•◦▪"

# OpenType language systems for a BCP 47 language (primary subtag, or Chinese by script and
# region). Only the documents' languages keep their locl substitutions: in a Noto CJK face
# every other language system pulls in further sets of glyph forms (70% more bytes for the
# sample's body font).
_ZH_REGION_SYSTEMS = {"hk": "ZHH", "mo": "ZHTM", "tw": "ZHT"}
_LANGUAGE_SYSTEMS = {"ja": "JAN", "ko": "KOR"}


def is_invisible(char: str) -> bool:
    """Whitespace, controls, format characters and variation selectors: they need no glyph."""
    return _invisible(char)


@dataclass
class FontUsage:
    """What the documents draw, by (role, weight), and the languages they declare."""

    text: dict[tuple[str, int], set[str]] = field(default_factory=dict)  # what the text draws
    markers: dict[tuple[str, int], set[str]] = field(default_factory=dict)  # list markers
    languages: set[str] = field(default_factory=set)  # BCP 47 tags found on elements

    def add(self, table: dict, key: tuple[str, int], text: str) -> None:
        chars = {c for c in text if unicodedata.category(c) != "Cc"}
        if chars:
            table.setdefault(key, set()).update(chars)


def characters_by_role(documents: Iterable[str | bytes]) -> dict[tuple[str, int], set[str]]:
    """(role, weight) → the characters the documents' text draws in that role and weight.

    *documents* are the XHTML documents of the EPUB (whole documents, or fragments and plain
    text, which are read as the content of a ``<body>``). Text in ``<head>`` (the ``<title>``)
    is not drawn and not counted; the navigation document and the title page are documents
    like any other. Controls (newlines, tabs) are left out; other whitespace is kept, since
    ideographic and no-break spaces have widths of their own.
    """
    return scan_documents(documents).text


def scan_documents(documents: Iterable[str | bytes]) -> FontUsage:
    """The text, list markers and languages of *documents* (see ``characters_by_role``)."""
    usage = FontUsage()
    for document in documents:
        root = _parse(document)
        _walk(root, "body", False, False, usage)
    return usage


def _parse(document: str | bytes) -> etree._Element:
    """The document as a tree: XHTML when it is well-formed, else read as an HTML fragment."""
    data = document.encode("utf-8") if isinstance(document, str) else document
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
    try:
        return etree.fromstring(data, parser)
    except etree.XMLSyntaxError:
        pass
    text = data.decode("utf-8-sig")
    text = re.sub(r"^\s*<\?xml[^>]*\?>", "", text)
    if re.search(r"<html[\s>]", text, re.IGNORECASE):  # a whole document, not well-formed
        return lxml_html.document_fromstring(text)
    try:  # a fragment with several top elements, or plain text
        return etree.fromstring(f'<body xmlns="{XHTML_NS}">{text}</body>'.encode(), parser)
    except etree.XMLSyntaxError:  # HTML entities, unclosed tags
        return lxml_html.fragment_fromstring(text, create_parent="body")


def _simple_selectors() -> list[tuple[int, int, str, str, str]]:
    """(specificity, rule order, "tag"/"class", name, role) for each selector of ROLE_SELECTORS."""
    selectors = []
    for order, role in enumerate(ROLE_NAMES):
        for selector in ROLE_SELECTORS[role].split(","):
            selector = selector.strip()
            if re.fullmatch(r"\.[A-Za-z_][\w-]*", selector):
                selectors.append((10, order, "class", selector[1:], role))
            elif re.fullmatch(r"[A-Za-z][\w-]*", selector):
                selectors.append((1, order, "tag", selector.lower(), role))
            else:  # tests/test_epub_fonts.py keeps ROLE_SELECTORS within what is read here
                raise ValueError(f"role selector {selector!r} is not a plain element or class")
    return selectors


_SELECTORS = _simple_selectors()


def element_role(name: str, classes: Iterable[str] = ()) -> str | None:
    """The role whose font-family rule applies to an element itself (None: it inherits).

    Of several matching rules the most specific wins, then the later one (the cascade).
    """
    classes = set(classes)
    best = None
    for specificity, order, kind, value, role in _SELECTORS:
        matches = (value == name) if kind == "tag" else (value in classes)
        if matches and (best is None or (specificity, order) >= best[:2]):
            best = (specificity, order, role)
    return best[2] if best else None


def _walk(element: etree._Element, role: str, bold: bool, in_toc: bool,
          usage: FontUsage) -> None:
    name = etree.QName(element).localname.lower()
    if name in HIDDEN_ELEMENTS:
        return
    language = element.get(XML_LANG) or element.get("lang")
    if language:
        usage.languages.add(language)
    role = element_role(name, (element.get("class") or "").split()) or role
    bold = bold or name in BOLD_ELEMENTS
    in_toc = in_toc or (name == "nav" and "toc" in (element.get("class") or "").split())
    key = (role, 700 if bold else 400)
    if name == "ol" and not in_toc:
        usage.add(usage.markers, key, OL_MARKERS)
    elif name == "ul" and not in_toc:
        usage.add(usage.markers, key, UL_MARKERS)
    if element.text:
        usage.add(usage.text, key, element.text)
    for child in element:
        if isinstance(child.tag, str):
            _walk(child, role, bold, in_toc, usage)
        if child.tail:  # the tail is the parent's text, also after comments and PIs
            usage.add(usage.text, key, child.tail)


def language_systems(languages: set[str]) -> set[str] | None:
    """The OpenType language systems to keep for BCP 47 *languages*; None keeps them all
    (documents that declare no language)."""
    if not languages:
        return None
    systems = set()
    for language in languages:
        parts = [p.lower() for p in language.replace("_", "-").split("-")]
        if parts[0] == "zh":
            region = next((p for p in parts[1:] if p in _ZH_REGION_SYSTEMS), None)
            if region:
                systems.add(_ZH_REGION_SYSTEMS[region])
                if region == "mo":  # older fonts know Macao only as Traditional Chinese
                    systems.add("ZHT")
            else:
                systems.add("ZHT" if script_of(language) == "Hant" else "ZHS")
        elif parts[0] in _LANGUAGE_SYSTEMS:
            systems.add(_LANGUAGE_SYSTEMS[parts[0]])
    return systems
