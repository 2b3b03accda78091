"""Footnotes at the foot of the page (页下注), numbered ①②③ page by page or section by section.

The manuscript's footnotes (Markdown ``[^1]``) come out of the markup as an endnote list at the
section's end with back-links — right for the EPUB, where a reader taps from the call to the
note and back. On paper a Chinese book sets each note at the foot of the page that calls it,
under a short thin rule, numbered with circled figures (①②③) that start again on every page
(or in every section), the call a small raised figure right after its character, and no link
back. ``to_page_notes`` rewrites a section's fragment for the print document: each call becomes
the note itself, floated to the page's footnote area (CSS GCPM ``float: footnote``, print.css),
and the endnote list goes.

WeasyPrint numbers footnotes with one counter for the whole document (it cannot reset the
footnote counter per page: Kozea/WeasyPrint#2553), so ``renumber`` rewrites the numbers of the
laid-out pages: every call and its note get the number of the call's place on its page (or in
its section). The circled figures are all one em wide, so the lines do not change.
"""

from __future__ import annotations

from collections.abc import Iterator

from lxml import etree

NOTE_CLASS = "print-footnote"
CALL_SUFFIX, MARKER_SUFFIX = "::footnote-call", "::footnote-marker"


def circled(number: int) -> str:
    """①…⑳, ㉑…㉟, ㊱…㊿; beyond fifty, the number in parentheses."""
    if 1 <= number <= 20:
        return chr(0x2460 + number - 1)
    if 21 <= number <= 35:
        return chr(0x3251 + number - 21)
    if 36 <= number <= 50:
        return chr(0x32B1 + number - 36)
    return f"({number})"


def to_page_notes(container) -> None:
    """Rewrite a section's fragment (an lxml element) for the print page: each footnote call
    replaced by its note (``<span class="print-footnote">``), the endnote list removed."""
    lists = [div for div in container.iter("div")
             if "footnote" in (div.get("class") or "").split()]
    notes = {item.get("id"): item for div in lists for item in div.iter("li") if item.get("id")}
    placed: set[str] = set()
    for call in list(container.iter("sup")):
        link = next((a for a in call.iter("a")
                     if "footnote-ref" in (a.get("class") or "").split()), None)
        if link is None:
            continue
        target = (link.get("href") or "").lstrip("#")
        note = notes.get(target)
        if note is None or target in placed:
            _remove(call)  # a second call of one note: the note is set once, at the first
            continue
        placed.add(target)
        span = etree.Element("span", {"class": NOTE_CLASS})
        _fill(span, note)
        span.tail = call.tail
        call.getparent().replace(call, span)
    for div in lists:
        _remove(div)


def _fill(span, note) -> None:
    """The inline content of the note's paragraphs, without its back-links, into *span*."""
    paragraphs = [p for p in note if isinstance(p.tag, str)] or [note]
    for number, paragraph in enumerate(paragraphs):
        if number:
            etree.SubElement(span, "br")
        for backlink in [a for a in paragraph.iter("a")
                         if "footnote-backref" in (a.get("class") or "").split()]:
            _remove(backlink)
        _append_text(span, (paragraph.text or "") if paragraph.tag == "p" else "")
        for child in list(paragraph) if paragraph.tag == "p" else []:
            child.attrib.pop("data-block", None)
            span.append(child)
    if len(span) and span[-1].tail:
        span[-1].tail = span[-1].tail.rstrip()
    elif span.text:
        span.text = span.text.rstrip()


def _append_text(element, text: str) -> None:
    if len(element):
        element[-1].tail = (element[-1].tail or "") + text
    else:
        element.text = (element.text or "") + text


def _remove(element) -> None:
    """Remove *element*, keeping its tail text in place."""
    parent = element.getparent()
    if parent is None:
        return
    if element.tail:
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + element.tail
        else:
            parent.text = (parent.text or "") + element.tail
    parent.remove(element)


# --- numbering the laid-out pages ---------------------------------------------------------------


def renumber(document, by: str = "page") -> None:
    """Number the notes of a laid-out ``weasyprint.Document`` ①②③ from one on every page
    (*by* "page") or in every section (*by* "section"), calls and notes alike."""
    numbers: dict[int, str] = {}  # id(note element) → its circled number
    count, section = 0, None
    for page in document.pages:
        if by == "page":
            count = 0
        for box, owner in _pseudo_boxes(page._page_box, CALL_SUFFIX):
            if by == "section" and owner is not section:
                section, count = owner, 0
            count += 1
            numbers[id(box.element)] = circled(count)
            _set_text(box, numbers[id(box.element)])
    for page in document.pages:
        for box, _ in _pseudo_boxes(page._page_box, MARKER_SUFFIX):
            if id(box.element) in numbers:
                _set_text(box, numbers[id(box.element)])


def _pseudo_boxes(box, suffix: str, section=None) -> Iterator[tuple[object, object]]:
    """(box, section element) for each pseudo-element box named *suffix* under *box*."""
    element = box.element
    if (element is not None and getattr(box, "element_tag", "") == "section"
            and "chapter" in (element.get("class") or "").split()):
        section = element
    if (getattr(box, "element_tag", "") or "").endswith(suffix):
        yield box, section
        return
    for child in getattr(box, "children", ()):
        yield from _pseudo_boxes(child, suffix, section)


def _set_text(box, text: str) -> None:
    """Give the text boxes of a call or marker box the number *text* (same width: one em)."""
    for child in _text_boxes(box):
        child.text = text
        if child.pango_layout is not None:
            child.pango_layout.text = text


def _text_boxes(box) -> Iterator:
    if hasattr(box, "pango_layout") and hasattr(box, "text"):
        yield box
    for child in getattr(box, "children", ()):
        yield from _text_boxes(child)
