"""XHTML text as every output writes it: one serializer, one escape, one test for what XML
cannot hold."""

from __future__ import annotations

import re

from lxml import etree

from ..errors import Problem

# Not XML 1.0 characters (surrogates cannot reach here: the text was decoded).
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def serialize(element) -> str:
    """An lxml element (with its tail) as XHTML text."""
    return etree.tostring(element, method="xml", encoding="unicode", with_tail=True)


def escape_text(text: str) -> str:
    """*text* escaped for an XML or HTML text node (not an attribute value)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def non_xml_problem(what: str, value: str, source, line, column) -> Problem:
    found = ", ".join(dict.fromkeys(f"U+{ord(c):04X}" for c in NOT_XML.findall(value)))
    return Problem(f"{what} holds {found}: a control character (or non-character) that no "
                   "book can carry; delete it", source, line, column, code="character-control")
