"""The NCX as Kindle, calibre and EPUB 2 reading systems read it: with the print edition's page
list, reading-order play order and a true depth.

ebooklib writes a navMap only. KindleGen takes a book's page numbers from the NCX
``pageList`` ("No Page map found" without it), and calibre reads its page list from there too
(never from the navigation document's page-list), so the NCX gets a ``pageList`` made from the
navigation document's ``page-list``: one list, two forms, the same labels and targets.

``playOrder`` is the reading order of every navPoint and pageTarget together (the NCX
specification: targets that point at the same place share a number, different places never
do), counted from the spine and each target's position in its document.
"""

from __future__ import annotations

import posixpath
from collections.abc import Sequence

from lxml import etree

NCX_NS = "http://www.daisy.org/z3986/2005/ncx/"
XHTML_NS = "http://www.w3.org/1999/xhtml"
EPUB_NS = "http://www.idpf.org/2007/ops"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def _ncx(tag: str) -> str:
    return f"{{{NCX_NS}}}{tag}"


def page_targets(nav: bytes) -> list[tuple[str, str]]:
    """(label, href) of every entry of the navigation document's page-list, in order."""
    root = etree.fromstring(nav)
    entries = []
    for nav_element in root.iter(f"{{{XHTML_NS}}}nav"):
        if "page-list" not in (nav_element.get(f"{{{EPUB_NS}}}type") or "").split():
            continue
        for link in nav_element.iter(f"{{{XHTML_NS}}}a"):
            entries.append(("".join(link.itertext()).strip(), link.get("href", "")))
    return entries


def finish_ncx(ncx: bytes, language: str, spine: Sequence[tuple[str, bytes]],
               pages: Sequence[tuple[str, str]], page_list_label: str) -> bytes:
    """ebooklib's *ncx* with the page list *pages* ((label, href), hrefs relative to the NCX's
    folder), ``playOrder`` in reading order, and the head's depth and page counts.

    *spine* is (path relative to the NCX's folder, XHTML bytes) of each spine document, in
    reading order: where a target is in the book."""
    root = etree.fromstring(ncx, etree.XMLParser(remove_blank_text=True))  # re-indented below
    root.set(XML_LANG, language)
    nav_map = root.find(_ncx("navMap"))
    if pages:
        page_list = etree.Element(_ncx("pageList"))
        label = etree.SubElement(etree.SubElement(page_list, _ncx("navLabel")), _ncx("text"))
        label.text = page_list_label
        for number, (text, href) in enumerate(pages, start=1):
            kind, value = _page_kind(text)
            target = etree.SubElement(page_list, _ncx("pageTarget"),
                                      {"id": f"page-target-{number}", "type": kind})
            if value is not None:
                target.set("value", str(value))
            etree.SubElement(etree.SubElement(target, _ncx("navLabel")), _ncx("text")).text = text
            etree.SubElement(target, _ncx("content"), {"src": href})
        nav_map.addnext(page_list)
    _number_play_order(root, spine)
    head = root.find(_ncx("head"))
    numbers = [value for value in (_page_kind(text)[1] for text, _ in pages) if value]
    for meta in head.iter(_ncx("meta")):
        name = meta.get("name")
        if name == "dtb:depth":
            meta.set("content", str(_depth(nav_map)))
        elif name == "dtb:totalPageCount":
            meta.set("content", str(len(pages)))
        elif name == "dtb:maxPageNumber":
            meta.set("content", str(max(numbers, default=0)))
    return etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True)


def _page_kind(label: str) -> tuple[str, int | None]:
    """The NCX pageTarget type of a page label and its value: arabic numbers are "normal"
    pages with that value, roman numerals "front" matter, anything else "special"."""
    if label.isascii() and label.isdigit() and int(label) > 0:
        return "normal", int(label)
    if label and all(c in "ivxlcdmIVXLCDM" for c in label):
        return "front", None
    return "special", None


def _depth(nav_map) -> int:
    def depth(element) -> int:
        children = element.findall(_ncx("navPoint"))
        return 1 + max((depth(child) for child in children), default=0) if children else 0
    return max(depth(nav_map), 1)


def _number_play_order(root, spine: Sequence[tuple[str, bytes]]) -> None:
    """Number every navPoint and pageTarget by where its target is in the book."""
    positions: dict[str, tuple[int, int]] = {}
    for index, (path, content) in enumerate(spine):
        positions[path] = (index, -1)
        for order, element in enumerate(etree.fromstring(content).iter()):
            anchor = element.get("id")
            if anchor and f"{path}#{anchor}" not in positions:
                positions[f"{path}#{anchor}"] = (index, order)
    targets = [element for element in root.iter(_ncx("navPoint"), _ncx("pageTarget"))]

    def where(element) -> tuple[int, int]:
        src = posixpath.normpath(element.find(_ncx("content")).get("src", ""))
        document = src.partition("#")[0]
        # An unknown fragment: at the start of its document; an unknown document: at the end.
        return positions.get(src, positions.get(document, (len(spine), 0)))

    ranks = {place: rank for rank, place in enumerate(sorted({where(t) for t in targets}),
                                                      start=1)}
    for target in targets:
        target.set("playOrder", str(ranks[where(target)]))
