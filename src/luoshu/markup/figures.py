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
from .xhtml import NOT_XML, non_xml_problem, serialize

# The id of the gallery's wrapper in the print document and the prefix of its figures' ids.
GALLERY_ANCHOR = "gallery"


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
