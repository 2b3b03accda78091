"""Where a photo goes on the printed page, and whether it is good enough to print there.

The print document sizes every photo itself (``placement``) instead of leaving it to CSS, for
two reasons: a photo capped by a maximum height must keep its proportions (CSS ``width: 100%``
with ``max-height`` would squash it), and the preflight must judge a photo at exactly the size
it is printed. Both use the same function, so the resolution warning names the size on paper.

Preflight (run by the reader, so by ``luoshu check`` and every build): a photo below 300 dpi at
its printed size is a warning (an error with ``--strict``), as is a photo whose embedded colour
profile is not sRGB — WeasyPrint places image data as it is, without applying the profile, so an
Adobe RGB or a press-CMYK photo would print with shifted colours.

Before that, ``inspect`` decides whether the file can be used at all, and it does so without
decoding a pixel: JPEG and PNG are recognised by their signatures (so a phone's multi-picture
JPEG counts as the JPEG it is), their size is read from the header and held to luoshu's own
limit (a 20000 × 20000 PNG compresses to a few kilobytes and would need gigabytes to decode),
and the file is walked to its end marker, because Pillow opens a cut-off file lazily without
complaint, and once WeasyPrint is imported (it sets ``LOAD_TRUNCATED_IMAGES``, process-wide)
even decoding it fills the missing part with grey.
"""

from __future__ import annotations

import io
import math
import re
import struct
import warnings
from dataclasses import dataclass

from PIL import Image, ImageCms

from ..errors import Problem
from ..files.gate import image_type, shown
from ..files.paths import CAPTIONS
from ..model import Photo, PrintOptions, SourceRef
from .metadata import _PNG_SIGNATURE, _jpeg_segments, _Malformed, _png_chunks

PRINT_DPI = 300  # what offset printing needs at the printed size
MAX_HEIGHT_SHARE = 0.7  # a photo takes at most this share of the text block's height,
#                         so that it and its caption always fit on one page
PLATE_CAPTION_MM = 32.0  # room kept under a full-bleed photo, on its page, for the caption
MM_PER_INCH = 25.4
# luoshu's own decompression-bomb limit, checked from the header before anything is decoded.
# Kept below Pillow's default warning threshold (MAX_IMAGE_PIXELS, about 89.5 MP) so that no
# later Image.open of an accepted photo (EPUB downscaling, WeasyPrint) warns about it; 80 MP is
# still far beyond what a page needs (a whole A4 page at 300 dpi is under 9 MP).
MAX_MEGAPIXELS = 80
# And a limit on the file itself (a photo file or the bytes of a data: URI): a JPEG of 80
# megapixels at the highest quality is about 40 MB.
MAX_PHOTO_BYTES = 100 * 1000 * 1000
# Start-of-frame markers, which carry a JPEG's size (C4, C8 and CC are other segments).
_JPEG_FRAMES = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


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
    where = photo.source or SourceRef(CAPTIONS)
    problems = []
    placed = placement(photo, image.size, options)
    if placed.dpi < PRINT_DPI - 0.5:
        needed = math.ceil(image.size[0] * PRINT_DPI / placed.dpi)
        problems.append(Problem(
            f"{shown(photo.file)} prints at {placed.dpi:.0f} dpi ({image.size[0]} × "
            f"{image.size[1]} px on {placed.width_mm:.0f} × {placed.height_mm:.0f} mm); print "
            f"needs {PRINT_DPI} dpi: supply it at least {needed} px wide, or print it smaller "
            "(width = \"…\" in captions.toml)", where.path, where.line, code="photo-resolution",
            severity="warning"))
    profile = profile_name(image)
    if profile is not None and "srgb" not in profile.lower().replace(" ", ""):
        problems.append(Problem(
            f"{shown(photo.file)} carries the colour profile {profile!r}, which the print PDF "
            "does not apply (its colours would shift): convert it to sRGB before placing it",
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


def inspect(photo: Photo, data: bytes, options: PrintOptions) -> list[Problem]:
    """Problems with *photo*'s file (*data*): not JPEG or PNG, too many pixels, cut off or
    damaged — each an error — else the preflight warnings. See the module docstring."""
    where = photo.source or SourceRef(CAPTIONS)

    def problem(message: str, code: str) -> list[Problem]:
        return [Problem(f"{shown(photo.file)} {message}", where.path, where.line, code=code)]

    if len(data) > MAX_PHOTO_BYTES:
        return problem(f"is {len(data) / 1e6:,.0f} MB, more than luoshu accepts "
                       f"({MAX_PHOTO_BYTES // 1_000_000} MB): downscale it or save it as JPEG",
                       "photo-too-large")
    kind = _signature(data)
    if kind is None:
        return problem(*_other_format(data))
    size = _header_size(data, kind)
    if size is None:
        return problem("is truncated or corrupt (its header cannot be read): re-export it",
                       "photo-truncated")
    megapixels = size[0] * size[1] / 1e6
    # What its place on the printed page needs, as the resolution warning counts it.
    needed = math.ceil(placement(photo, size, options).width_mm / MM_PER_INCH * PRINT_DPI)
    too_large = ((f"has {megapixels:,.0f} megapixels ({size[0]} × {size[1]} px), more than "
                  f"luoshu accepts ({MAX_MEGAPIXELS}): downscale it ({needed} px across is "
                  f"enough to print it at {PRINT_DPI} dpi)"), "photo-too-large")
    if megapixels > MAX_MEGAPIXELS:
        return problem(*too_large)
    try:
        for _ in (_png_chunks if kind == "PNG" else _jpeg_segments)(data):
            pass
    except _Malformed:
        return problem(f"is truncated or corrupt (its {kind} data is cut off or damaged): "
                       "re-export it", "photo-truncated")
    try:
        # Opening reads the header only. Under MAX_MEGAPIXELS, Pillow's bomb check stays silent
        # unless someone lowered Pillow's limit: then it is refused as too large all the same.
        image = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError:
        return problem(*too_large)
    except Exception:  # untrusted input: any decoder failure is the file's fault
        return problem(f"is truncated or corrupt (the {kind} decoder refuses it): re-export it",
                       "photo-truncated")
    with image:
        return preflight(photo, image, options)


def image_problem(data: bytes) -> str | None:
    """What makes *data* unusable as an image a stylesheet names (a background, a list
    marker), or None: not an image both outputs show (JPEG, PNG, GIF, WebP or SVG, by its
    bytes), or beyond the limits photos have (MAX_PHOTO_BYTES, and MAX_MEGAPIXELS read from
    the header: nothing is decoded)."""
    kind = image_type(data)
    if kind is None:
        return "is not an image (its bytes are no JPEG, PNG, GIF, WebP or SVG)"
    if len(data) > MAX_PHOTO_BYTES:
        return (f"is {len(data) / 1e6:,.0f} MB, more than luoshu accepts "
                f"({MAX_PHOTO_BYTES // 1_000_000} MB)")
    if kind == "image/svg+xml":
        return None  # no pixels; what it may hold is luoshu.markup.untrusted's to judge
    if kind in ("image/png", "image/jpeg"):
        size = _header_size(data, "PNG" if kind == "image/png" else "JPEG")
    else:
        size = _pillow_size(data)
    if size is None:
        return "is truncated or corrupt (its header cannot be read): re-export it"
    if size[0] * size[1] > MAX_MEGAPIXELS * 1e6:
        return (f"has {size[0] * size[1] / 1e6:,.0f} megapixels ({size[0]} × {size[1]} px), "
                f"more than luoshu accepts ({MAX_MEGAPIXELS}): downscale it")
    return None


def _pillow_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) of a GIF or WebP from its header, as Pillow reads it (no pixels)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                return image.size
    except Image.DecompressionBombError as error:  # over twice Pillow's limit: far over ours
        match = re.search(r"\((\d+) pixels\)", str(error))
        return (int(match.group(1)), 1) if match else (MAX_MEGAPIXELS * 10**6 + 1, 1)
    except Exception:  # noqa: BLE001 - untrusted bytes: any decoder failure is the file's
        return None


def _signature(data: bytes) -> str | None:
    """"JPEG" or "PNG" from the file's first bytes, else None."""
    if data.startswith(_PNG_SIGNATURE):
        return "PNG"
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    return None


def _header_size(data: bytes, kind: str) -> tuple[int, int] | None:
    """(width, height) from a JPEG's frame header or a PNG's IHDR, without decoding."""
    if kind == "PNG":
        if data[12:16] != b"IHDR" or len(data) < 24:
            return None
        return struct.unpack(">II", data[16:24])
    try:
        for marker, segment in _jpeg_segments(data):
            if marker in _JPEG_FRAMES and len(segment) >= 9:
                height, width = struct.unpack(">HH", segment[5:9])
                return width, height
            if marker == 0xDA:
                return None  # a scan before any frame header
    except _Malformed:
        return None
    return None


def _other_format(data: bytes) -> tuple[str, str]:
    """(message, code) for a file that is not JPEG or PNG: its format, when Pillow knows it.

    Refused whatever its size, so Pillow's decompression-bomb warning is silenced while it is
    opened (Python's warning filter, for this call only; Pillow's MAX_IMAGE_PIXELS is left
    alone). The reader runs in one thread, which catch_warnings needs."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError:
        return ("is neither JPEG nor PNG, and too large to open: save it as JPEG or PNG, "
                "downscaled"), "photo-format"
    except Exception:  # untrusted input: not an image Pillow can read
        return ("is not a readable image (corrupt, or not an image): re-export it as JPEG or "
                "PNG"), "photo-unreadable"
    with image:
        kind = image.format
    return (f"is a {kind} image: save it as JPEG (photos) or PNG (drawings, screenshots), the "
            "formats luoshu places"), "photo-format"
