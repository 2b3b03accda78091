"""Where a photo goes on the printed page, and whether it is good enough to print there.

The print document sizes every photo itself (``placement``) instead of leaving it to CSS, for
two reasons: a photo capped by a maximum height must keep its proportions (CSS ``width: 100%``
with ``max-height`` would squash it), and the preflight must judge a photo at exactly the size
it is printed. Both use the same function, so the resolution warning names the size on paper.

Preflight (run by the reader, so by ``luoshu check`` and every build): a photo below 300 dpi at
its printed size is a warning (an error with ``--strict``), as is a photo whose embedded colour
profile is not sRGB — WeasyPrint places image data as it is, without applying the profile, so an
Adobe RGB or a press-CMYK photo would print with shifted colours.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

from PIL import Image, ImageCms

from .errors import Problem
from .model import Photo, PrintOptions, SourceRef

PRINT_DPI = 300  # what offset printing needs at the printed size
MAX_HEIGHT_SHARE = 0.7  # a photo takes at most this share of the text block's height,
#                         so that it and its caption always fit on one page
PLATE_CAPTION_MM = 32.0  # room kept under a full-bleed photo, on its page, for the caption
MM_PER_INCH = 25.4


@dataclass(frozen=True)
class Placement:
    """A photo's size on the printed page."""

    width_mm: float  # the image box
    height_mm: float
    scale_mm_per_px: float  # millimetres per image pixel (the larger one when cropped)
    cropped: bool = False  # the box shows part of the photo (object-fit: cover)

    @property
    def dpi(self) -> float:
        """Effective resolution: image pixels per inch of paper."""
        return MM_PER_INCH / self.scale_mm_per_px


def placement(photo: Photo, pixels: tuple[int, int], options: PrintOptions) -> Placement:
    """The printed size of *photo*, an image of *pixels* (width, height).

    An ordinary photo is as wide as the text block (or its declared share of it), less if that
    would make it taller than ``MAX_HEIGHT_SHARE`` of the text block. A full-bleed photo spans
    the page and both bleeds, starting in the top bleed, and is cropped at the bottom when it
    would leave less than ``PLATE_CAPTION_MM`` for its caption.
    """
    px_width, px_height = max(pixels[0], 1), max(pixels[1], 1)
    if photo.full_bleed:
        width = options.trim_width_mm + 2 * options.bleed_mm
        limit = options.trim_height_mm + options.bleed_mm - PLATE_CAPTION_MM
        height = width * px_height / px_width
        if height <= limit:
            return Placement(width, height, width / px_width)
        # object-fit: cover scales by the larger ratio and crops the rest.
        return Placement(width, limit, max(width / px_width, limit / px_height), cropped=True)
    width = options.text_width_mm * (photo.width or 1.0)
    max_height = options.text_height_mm * MAX_HEIGHT_SHARE
    if width * px_height / px_width > max_height:
        width = max_height * px_width / px_height
    return Placement(width, width * px_height / px_width, width / px_width)


def preflight(photo: Photo, image: Image.Image, options: PrintOptions) -> list[Problem]:
    """Warnings about printing *photo* (opened as *image*) at its place in the print PDF."""
    where = photo.source or SourceRef("manuscript/captions.toml")
    problems = []
    placed = placement(photo, image.size, options)
    if placed.dpi < PRINT_DPI - 0.5:
        needed = math.ceil(image.size[0] * PRINT_DPI / placed.dpi)
        problems.append(Problem(
            f"{photo.file} prints at {placed.dpi:.0f} dpi ({image.size[0]} × {image.size[1]} px "
            f"on {placed.width_mm:.0f} × {placed.height_mm:.0f} mm); print needs {PRINT_DPI} "
            f"dpi: supply it at least {needed} px wide, or print it smaller (width = \"…\" in "
            "captions.toml)", where.path, where.line, code="photo-resolution",
            severity="warning"))
    profile = profile_name(image)
    if profile is not None and "srgb" not in profile.lower().replace(" ", ""):
        problems.append(Problem(
            f"{photo.file} carries the colour profile {profile!r}, which the print PDF does not "
            "apply (its colours would shift): convert it to sRGB before placing it",
            where.path, where.line, code="photo-profile", severity="warning"))
    return problems


def profile_name(image: Image.Image) -> str | None:
    """The description of *image*'s embedded ICC profile, or None without one."""
    icc = image.info.get("icc_profile")
    if not icc:
        return None
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        return ImageCms.getProfileDescription(profile).strip() or "unnamed profile"
    except (OSError, ImageCms.PyCMSError):
        return "unreadable profile"


def image_pixels(data: bytes) -> tuple[int, int] | None:
    """Width and height of an image given as bytes, or None when Pillow cannot read it."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            return image.size
    except (OSError, Image.DecompressionBombError, ValueError):
        return None
