"""mammoth's HTML of a Word manuscript → luoshu's Markdown sections and photos.

mammoth writes a small, fixed vocabulary (h1–h6, p, ul/ol/li, table/tr/td/th, strong, em, i,
sup, sub, s, a, br, img, and the footnotes as a closing list), so this walks it directly:

- every ``h1`` opens a section (its title); h2–h6 become ``##``…;
- ``**bold**``, ``*着重号*`` (luoshu sets ``<em>`` with emphasis dots), ``<i>``, ``<sup>``,
  ``<sub>``, ``<s>`` as raw HTML, web links as ``[text](url)``;
- footnotes become ``[^n]`` with their definitions at the end of the section that cites them;
- lists and tables become Markdown lists and pipe tables;
- a paragraph holding only pictures becomes photos for captions.toml: the caption is the Word
  caption paragraph (题注) after the picture, or else a short paragraph right after it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lxml import html as lxml_html

from .word import IMAGE_SOURCE, WordDocument

_ESCAPE = re.compile(r"([\\`*_\[\]{}>|])")
_LINE_START = re.compile(r"^([#+\-]|\d+[.)])(?=\s)")
_ENTITY_LIKE = re.compile(r"&(?=[A-Za-z#][A-Za-z0-9]*;)")
_WEB = re.compile(r"^(https?://|mailto:)", re.I)
_CAPTION_MAX = 60  # characters: longer paragraphs after a picture are text, not its caption


@dataclass
class Photo:
    image: int  # the WordImage number
    caption: str | None
    alt: str | None
    section: int  # index of the section


@dataclass
class Section:
    title: str
    blocks: list[str] = field(default_factory=list)
    footnotes: list[str] = field(default_factory=list)  # labels cited, in order
    pictures: list[int] = field(default_factory=list)  # pictures inside lines of text

    def markdown(self, notes: dict[str, str]) -> str:
        parts = [f"# {_escape(self.title)}", *self.blocks]
        definitions = [notes[label] for label in self.footnotes if label in notes]
        if definitions:
            parts.append("\n".join(definitions))
        return "\n\n".join(parts) + "\n"


@dataclass
class Converted:
    title: str | None  # the Title paragraph (标题), if any
    subtitle: str | None
    sections: list[Section]
    photos: list[Photo]
    notes: dict[str, str]  # footnote label → its Markdown definition
    uncaptioned: list[int] = field(default_factory=list)  # images without a caption


def convert_document(word: WordDocument, fallback_title: str) -> Converted:
    root = lxml_html.fragment_fromstring(word.html or "<p></p>", create_parent="div")
    out = Converted(None, None, [], [], {})
    blocks = [child for child in root if isinstance(child.tag, str)]
    lead = Section(word.title or fallback_title)
    current = lead
    index = 0
    while index < len(blocks):
        block = blocks[index]
        tag, classes = block.tag, set((block.get("class") or "").split())
        index += 1
        if tag == "h1":
            current = Section(_plain(block) or f"第{len(out.sections) + 1}节")
            out.sections.append(current)
        elif tag == "ol" and _is_notes(block):
            _read_notes(block, out.notes)
        elif tag == "p" and "doc-title" in classes:
            out.title = out.title or _plain(block)
        elif tag == "p" and "doc-subtitle" in classes:
            out.subtitle = out.subtitle or _plain(block)
        elif tag == "p" and _pictures_only(block):
            caption = None
            following = blocks[index] if index < len(blocks) else None
            if following is not None and following.tag == "p" and not _pictures_only(following):
                text = _plain(following)
                if "caption" in (following.get("class") or "").split() or (
                        text and len(text) <= _CAPTION_MAX and not text.endswith("。")):
                    caption = text
                    index += 1
            if current is lead and lead not in out.sections:
                out.sections.insert(0, lead)
            for img in block.iter("img"):
                number = int(img.get("src", "").removeprefix(IMAGE_SOURCE) or 0)
                out.photos.append(Photo(number, caption, img.get("alt"),
                                        out.sections.index(current)))
                if not caption:
                    out.uncaptioned.append(number)
        else:
            text = _block(block, current, out)
            if (text.strip() or current.pictures) and current is lead and \
                    lead not in out.sections:
                out.sections.insert(0, lead)
            if text.strip():
                current.blocks.append(text)
            for number in current.pictures:  # a picture set in a line: a photo after it
                out.photos.append(Photo(number, None, None, out.sections.index(current)))
                out.uncaptioned.append(number)
            current.pictures.clear()
    if not out.sections:
        out.sections.append(lead)
    return out


def _is_notes(block) -> bool:
    items = [li for li in block if li.tag == "li"]
    return bool(items) and all(re.match(r"(foot|end)note-", li.get("id") or "") for li in items)


def _read_notes(block, notes: dict[str, str]) -> None:
    for item in block:
        label = _note_label(item.get("id") or "")
        for back in item.iter("a"):
            if (back.get("href") or "").startswith(("#footnote-ref-", "#endnote-ref-")):
                back.drop_tree()
        paragraphs = [_inline(p).strip() for p in item if p.tag == "p"] or [_inline(item).strip()]
        body = "\n\n    ".join(p for p in paragraphs if p)
        notes[label] = f"[^{label}]: {body}"


def _note_label(identifier: str) -> str:
    kind, _, number = identifier.partition("note-")
    return number if kind == "foot" else f"e{number}"


def _pictures_only(block) -> bool:
    return block.find(".//img") is not None and not "".join(block.itertext()).strip()


def _block(block, section: Section, out: Converted, depth: int = 0) -> str:
    tag = block.tag
    if tag in ("h2", "h3", "h4", "h5", "h6"):
        return "#" * int(tag[1]) + " " + _inline(block, section).strip()
    if tag in ("ul", "ol"):
        return _list(block, section, out, depth)
    if tag == "table":
        return _table(block, section)
    text = _inline(block, section).strip()
    return _LINE_START.sub(r"\\\1", text)


def _list(block, section: Section, out: Converted, depth: int) -> str:
    lines = []
    for number, item in enumerate((li for li in block if li.tag == "li"), start=1):
        marker = f"{number}." if block.tag == "ol" else "-"
        nested = [child for child in item if child.tag in ("ul", "ol")]
        for child in nested:
            item.remove(child)
        lines.append("    " * depth + f"{marker} " + _inline(item, section).strip())
        lines += [_list(child, section, out, depth + 1) for child in nested]
    return "\n".join(lines)


def _table(block, section: Section) -> str:
    rows = [[_inline(cell, section).strip().replace("\n", " ") or " " for cell in row
             if cell.tag in ("td", "th")] for row in block.iter("tr")]
    rows = [row for row in rows if row]
    if not rows:
        return ""
    width = max(len(row) for row in rows)
    rows = [row + [" "] * (width - len(row)) for row in rows]
    lines = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * width]
    lines += ["| " + " | ".join(row) + " |" for row in rows[1:]]
    return "\n".join(lines)


def _inline(element, section: Section | None = None) -> str:
    """The Markdown of *element*'s content."""
    parts = [_escape(element.text or "")]
    for child in element:
        if isinstance(child.tag, str):
            parts.append(_inline_element(child, section))
        parts.append(_escape(child.tail or ""))
    return "".join(parts)


def _inline_element(element, section: Section | None) -> str:
    tag = element.tag
    if tag == "br":
        return "<br />"
    if tag == "img":
        if section is not None:  # a picture inside a line of text: a photo of the section
            section.pictures.append(int(element.get("src", "").removeprefix(IMAGE_SOURCE) or 0))
        return ""
    if tag == "sup":
        # A note reference (Word often sets it superscript too: <sup><sup><a>…)
        link = element.find(".//a")
        href = link.get("href", "") if link is not None else ""
        match = re.match(r"#((?:foot|end)note-\d+)$", href)
        if match and _plain(element) == _plain(link):
            label = _note_label(match.group(1))
            if section is not None:
                section.footnotes.append(label)
            return f"[^{label}]"
        return _wrap(_inline(element, section), "<sup>", "</sup>")
    content = _inline(element, section)
    if tag in ("strong", "b"):
        return _wrap(content, "**", "**")
    if tag == "em":
        return _wrap(content, "*", "*")
    if tag in ("i", "sub", "s"):
        return _wrap(content, f"<{tag}>", f"</{tag}>")
    if tag == "a":
        href = element.get("href") or ""
        if _WEB.match(href) and content.strip():
            return f"[{content}]({href.replace(')', '%29').replace(' ', '%20')})"
        return content  # bookmarks and anchors inside Word: the text only
    return content


def _wrap(content: str, before: str, after: str) -> str:
    """*content* between markers, its outer spaces kept outside them (``** x**`` is no
    emphasis in Markdown)."""
    stripped = content.strip()
    if not stripped:
        return content
    lead = content[:len(content) - len(content.lstrip())]
    trail = content[len(content.rstrip()):]
    return f"{lead}{before}{stripped}{after}{trail}"


def _escape(text: str) -> str:
    text = _ENTITY_LIKE.sub("&amp;", text).replace("<", "&lt;")
    return _ESCAPE.sub(r"\\\1", text.replace("\n", " "))


def _plain(element) -> str:
    return re.sub(r"\s+", " ", "".join(element.itertext())).strip()
