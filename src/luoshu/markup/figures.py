"""Photos as XHTML figures, the same for every output: image, caption and credit.

A photo's figure is rendered once, when the manuscript is read (a section's own images by
luoshu.markup.convert, captions.toml's photos by luoshu.project.manuscript), and every renderer
takes the markup from the model as it is. Ids follow one scheme: ``<anchor>--fig-N`` for a
Markdown image, ``<anchor>--photo-N`` for a photo captions.toml places in a section, and
``gallery--fig-N`` in the gallery of photos that belong to no section.
"""

from __future__ import annotations

from collections.abc import Iterable

from lxml import etree

from ..errors import ProjectError
from ..model import Photo
from ..zh.spacing import add_han_latin_spacing
from .xhtml import NOT_XML, escape_text, non_xml_problem, serialize

# The id of the gallery's wrapper in the print document and the prefix of its figures' ids.
GALLERY_ANCHOR = "gallery"
# Paragraphs that close a section (a byline, {: .byline}; anything marked {: .endmatter}): a
# photo placed in the section goes before them, never after.
END_MATTER_CLASSES = frozenset({"byline", "endmatter"})


def figure_html(photo: Photo, anchor: str, placed: bool = False) -> str:
    """The XHTML ``<figure>`` for a photo: image, caption and credit (same for every output).

    *placed*: the photo was placed by luoshu (captions.toml), not at a point of the text the
    author chose; class "placed" lets the print layout move it either way (figure_flow).
    """
    classes = ["photo"]
    if photo.full_bleed:
        classes.append("full-bleed")
    elif photo.width is not None:
        # A declared width is a share of the text column in every output (print: luoshu.images.photos).
        classes.append("sized")
    if placed:
        classes.append("placed")
        if photo.position != "auto":
            classes.append(f"position-{photo.position}")
    for what, value in (("file", photo.file), ("caption", photo.caption),
                        ("credit", photo.credit), ("alt text", photo.alt)):
        if value and NOT_XML.search(value):
            where = photo.source
            raise ProjectError([non_xml_problem(f"the {what} of a photo", value,
                                                 where.path if where else None,
                                                 where.line if where else None, None)])
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
    return serialize(figure)


def gallery_html(photos: Iterable[Photo]) -> str:
    """The figures of the gallery (photos that belong to no section), in order."""
    return "".join(figure_html(photo, f"{GALLERY_ANCHOR}--fig-{number}")
                   for number, photo in enumerate(photos, start=1))


def place_figures(xhtml: str, section_anchor: str,
                  figures: list[tuple[str | None, str]]) -> tuple[str, list[str]]:
    """A section's fragment *xhtml* with *figures* (anchor, figure XHTML) inserted, in order,
    each after its anchor: "paragraph N" (the section's N-th top-level paragraph), "#id" (the
    top-level block holding the element the Markdown gave that id), or None (after the last
    block before the section's end matter). Returns the fragment and the anchors not found."""
    root = etree.fromstring(f"<div>{xhtml}</div>")
    blocks = [child for child in root if isinstance(child.tag, str)]
    paragraphs = [child for child in blocks if child.tag == "p"]
    end = len(blocks)
    while end and _is_end_matter(blocks[end - 1]):
        end -= 1
    missing = []
    inserted: dict[int, int] = {}  # block index → figures already put after it (keep order)
    for anchor, figure in figures:
        where = _anchor_index(anchor, blocks, paragraphs, section_anchor, end)
        if where is None:
            missing.append(anchor)
            where = end - 1
        element = etree.fromstring(figure)
        target = blocks[where] if where >= 0 else None
        for _ in range(inserted.get(where, 0)):
            target = target.getnext() if target is not None else None
        if target is None:  # before the first block (an empty section)
            root.insert(0, element)
        else:
            element.tail, target.tail = target.tail, None
            target.addnext(element)
        inserted[where] = inserted.get(where, 0) + 1
    body = "".join(serialize(child) for child in root)
    return escape_text(root.text or "") + body, missing


def _anchor_index(anchor: str | None, blocks: list, paragraphs: list, section_anchor: str,
                  end: int) -> int | None:
    """The index in *blocks* after which a figure anchored at *anchor* goes."""
    if anchor is None:
        return end - 1
    anchor = anchor.strip()
    if anchor.startswith("#"):
        wanted = f"{section_anchor}--{anchor[1:]}"
        for index, block in enumerate(blocks):
            if block.get("id") == wanted or any(e.get("id") == wanted for e in block.iter()):
                return index
        return None
    number = int(anchor.split()[-1])
    if number > len(paragraphs):
        return None
    return blocks.index(paragraphs[number - 1])


def _is_end_matter(block) -> bool:
    return block.tag == "p" and bool(END_MATTER_CLASSES & set((block.get("class") or "").split()))
