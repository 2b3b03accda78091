"""Photos for screens: downscaled, re-encoded sensibly, every byte of metadata stripped.

The print PDF keeps a manuscript's original photos; an EPUB gets the version made here:

- EXIF orientation applied to the pixels (a reader would otherwise show the photo on its side
  once the EXIF is gone), embedded ICC profiles converted to sRGB (Display P3 from phones,
  Adobe RGB and CMYK from newsrooms, Dot Gain grey), then dropped;
- the long edge brought down to *max_edge* pixels (1600 by default) with a Lanczos filter;
  never enlarged;
- photos as baseline JPEG (quality 82, 4:2:0), line art, diagrams and screenshots as PNG
  (a palette when 256 colours or fewer), anything with transparency as PNG;
- no EXIF, XMP, IPTC, ICC, comments or PNG text chunks in the result.

JPEG sources stay JPEG (their pixels already carry JPEG's artefacts; PNG would only be bigger).
Other sources (PNG, GIF, WebP, TIFF, BMP…) become PNG when they have transparency or at most
256 colours; otherwise both encodings are tried and PNG is kept only while it is no more than
1.5 times the JPEG (a screenshot with anti-aliased text), else it is a photo and goes as JPEG.

When a file needs no downscaling, no rotation and no colour conversion, its metadata is cut out
of the file without decoding the pixels again (JPEG segments, PNG chunks; luoshu.images.metadata),
and the result is the smaller of that and a fresh encoding: an already well-compressed photo is
not recompressed.

Unreadable data, a file cut off or damaged (checked segment by segment for JPEG and PNG, even
when WeasyPrint has told Pillow to accept truncated images) and images over Pillow's
decompression-bomb limit raise ImageProblem, a ValueError whose message is one line for the
user.

Same input, same bytes: nothing here depends on time, randomness or the machine beyond the
Pillow/libjpeg/zlib versions.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

from PIL import Image, ImageChops, ImageCms, ImageOps, UnidentifiedImageError

from .metadata import (
    _jpeg_segments,
    _Malformed,
    _png_chunks,
    _stripped_jpeg,
    _stripped_png,
)

DEFAULT_MAX_EDGE = 1600
JPEG_QUALITY = 82
# A non-JPEG source with more than 256 colours stays PNG while PNG is at most this much larger.
PNG_OVER_JPEG = 1.5
# Grey images with at most this many levels count as line art (scans of drawings, bilevel art).
LINE_ART_GREYS = 64

_JPEG_FORMATS = {"JPEG", "MPO"}  # Pillow opens multi-picture JPEGs (phones, cameras) as MPO
_EXIF_ORIENTATION = 0x0112


@dataclass(frozen=True)
class ScreenImage:
    """An image ready for an EPUB: its bytes, type and pixel size."""

    data: bytes
    media_type: str  # "image/jpeg" or "image/png"
    suffix: str  # ".jpg" or ".png"
    width: int
    height: int


class ImageProblem(ValueError):
    """An image that cannot be used: unreadable, truncated, or too large to decode safely.

    ``str(error)`` is a one-line message for the user (the caller adds the file and line).
    """


def screen_image(data: bytes, max_edge: int = DEFAULT_MAX_EDGE) -> ScreenImage:
    """*data* (an image file's bytes) made fit for screens; see the module docstring.

    Raises ImageProblem for data Pillow cannot read, truncated or damaged files, and images
    over Pillow's decompression-bomb limit (``PIL.Image.MAX_IMAGE_PIXELS``, read at call time).
    """
    if max_edge < 1:
        raise ValueError(f"max_edge must be at least 1, not {max_edge}")
    image = _open(data)
    source_format = image.format
    is_jpeg = source_format in _JPEG_FORMATS
    width, height = image.size
    scale = min(1.0, max_edge / max(width, height))
    target = (max(1, round(width * scale)), max(1, round(height * scale)))
    if is_jpeg and scale < 1:
        # Let libjpeg decode at 1/2, 1/4 or 1/8 scale (never below the target size): a 24 MP
        # photo then decodes in a fraction of the time and memory.
        image.draft(image.mode, (math.ceil(width * scale), math.ceil(height * scale)))
    _load(image)
    _check_complete(data, source_format)

    orientation = _orientation(image)
    icc = image.info.get("icc_profile") or None
    animated = getattr(image, "is_animated", False) and not is_jpeg
    image = ImageOps.exif_transpose(image) if orientation not in (None, 1) else image
    if orientation in (5, 6, 7, 8):
        target = target[::-1]
    image, converted = _normalized(image, icc)
    image = _without_opaque_alpha(image)

    # JPEG stays JPEG; transparency or few colours (line art) make PNG; else sizes decide.
    line_art = not is_jpeg and _few_colours(image)
    if is_jpeg:
        kind = "jpeg"
    elif image.mode in ("LA", "RGBA") or line_art:
        kind = "png"
    else:
        kind = "either"
    resized = image.size != target
    if resized:
        image = image.resize(target, Image.Resampling.LANCZOS, reducing_gap=3.0)
    image.info = {}  # nothing of the source travels: no EXIF, ICC, comments, text, dpi

    if kind == "either":
        # Compared with a quick PNG (zlib's default level); the PNG kept, if PNG wins, is the
        # optimized one. Optimizing a photo's PNG would take seconds just to be thrown away.
        jpeg = _jpeg(image)
        quick = len(_png(image, line_art=False, optimize=False))
        kind = "png" if quick <= PNG_OVER_JPEG * len(jpeg) else "jpeg"
        encoded = _png(image, line_art=False) if kind == "png" else jpeg
    else:
        encoded = _jpeg(image) if kind == "jpeg" else _png(image, line_art)

    if not (resized or converted or animated or orientation not in (None, 1)):
        # Same pixels as the source: the source with its metadata cut out may be smaller.
        stripped = None
        if kind == "jpeg" and is_jpeg:
            stripped = _stripped_jpeg(data)
        elif kind == "png" and source_format == "PNG":
            stripped = _stripped_png(data)
        if stripped is not None and len(stripped) < len(encoded):
            encoded = stripped
    suffix = ".jpg" if kind == "jpeg" else ".png"
    return ScreenImage(encoded, f"image/{kind}", suffix, *image.size)


# --- reading ----------------------------------------------------------------------------------


def _open(data: bytes) -> Image.Image:
    try:
        image = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError as error:
        raise _bomb(error) from error
    except UnidentifiedImageError as error:
        raise ImageProblem("not an image file that can be read (use JPEG, PNG, GIF or WebP)") \
            from error
    except Exception as error:  # untrusted input: any decoder failure is the file's fault
        raise ImageProblem(f"unreadable image file ({_one_line(error)})") from error
    return image


def _load(image: Image.Image) -> None:
    try:
        image.load()
    except Image.DecompressionBombError as error:
        raise _bomb(error) from error
    except Exception as error:
        raise ImageProblem(f"damaged or truncated image file ({_one_line(error)})") from error


def _bomb(error: Exception) -> ImageProblem:
    return ImageProblem(
        f"image too large to decode safely (over {Image.MAX_IMAGE_PIXELS or 0:,} pixels, "
        "a possible decompression bomb): reduce it before adding it to the book")


def _one_line(error: Exception) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text[:200]


def _orientation(image: Image.Image) -> int | None:
    try:
        value = image.getexif().get(_EXIF_ORIENTATION)
    except Exception:  # noqa: BLE001 - a damaged EXIF block is metadata we drop anyway
        return None
    return value if isinstance(value, int) and 1 <= value <= 8 else None


# --- colour -------------------------------------------------------------------------------------

_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
_PROFILE_SPACE = {"L": "GRAY", "LA": "GRAY", "RGB": "RGB", "RGBA": "RGB", "CMYK": "CMYK"}


def _normalized(image: Image.Image, icc: bytes | None) -> tuple[Image.Image, bool]:
    """*image* as L, LA, RGB or RGBA in sRGB; and whether its colours had to be converted."""
    mode = image.mode
    if mode == "1":
        image = image.convert("L")
    elif mode in ("P", "PA"):
        transparent = mode == "PA" or "transparency" in image.info \
            or (image.palette is not None and image.palette.mode == "RGBA")
        image = image.convert("RGBA" if transparent else "RGB")
    elif mode.startswith("I;16") or mode == "I":
        # 16-bit grey: scale to 8 bits (convert("L") would clip everything above 255).
        image = image.convert("I").point(lambda value: value * (1 / 257)).convert("L")
    elif mode == "F":
        image = image.convert("L")
    elif mode == "La":
        image = image.convert("LA")
    elif mode == "RGBa":
        image = image.convert("RGBA")
    elif mode not in ("L", "LA", "RGB", "RGBA", "CMYK"):
        image = image.convert("RGB")  # YCbCr, LAB, HSV, RGBX…

    converted = False
    profile = _profile(icc, image.mode)
    if profile is not None:
        image, converted = _to_srgb(image, profile), True
    if image.mode == "CMYK":  # no usable profile: Pillow's (1 - C)(1 - K) formula
        image, converted = image.convert("RGB"), True
    return image, converted


def _profile(icc: bytes | None, mode: str) -> ImageCms.ImageCmsProfile | None:
    """The embedded profile when it fits *mode* and is not sRGB already; else None."""
    if not icc:
        return None
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        space = profile.profile.xcolor_space.strip()
        description = ImageCms.getProfileDescription(profile) or ""
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return None  # a broken profile: treat the pixels as sRGB
    if space != _PROFILE_SPACE.get(mode) or (space == "RGB" and "sRGB" in description):
        return None
    return profile


def _to_srgb(image: Image.Image, profile: ImageCms.ImageCmsProfile) -> Image.Image:
    """Colour-manage *image* from *profile* to sRGB; grey stays grey, alpha is kept."""
    alpha = image.getchannel("A") if image.mode in ("LA", "RGBA") else None
    colour = image.convert(image.mode[:-1]) if alpha is not None else image
    try:
        result = ImageCms.profileToProfile(
            colour, profile, _SRGB, outputMode="RGB",
            renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC,
            flags=ImageCms.Flags.BLACKPOINTCOMPENSATION)
    except ImageCms.PyCMSError:
        result = colour.convert("RGB")
    if image.mode in ("L", "LA"):
        result = result.convert("L")
    if alpha is not None:
        result.putalpha(alpha)
    return result


def _without_opaque_alpha(image: Image.Image) -> Image.Image:
    if image.mode in ("LA", "RGBA") and image.getchannel("A").getextrema()[0] == 255:
        return image.convert(image.mode[:-1])
    return image


def _few_colours(image: Image.Image) -> bool:
    """Line art: at most 256 colours (RGB) or LINE_ART_GREYS levels (grey)."""
    limit = LINE_ART_GREYS if image.mode in ("L", "LA") else 256
    return image.getcolors(limit) is not None


# --- writing ------------------------------------------------------------------------------------


def _jpeg(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=False,
               subsampling="4:2:0")
    return buffer.getvalue()


def _png(image: Image.Image, line_art: bool, optimize: bool = True) -> bytes:
    """PNG bytes: a palette when the colours fit in one (exactly, or after downscaling line art).

    *line_art*: the source had at most 256 colours, so the shades that downscaling adds along
    edges may be merged into a 256-colour palette (no dithering).

    Without *optimize*, zlib's default level. With it, the smallest PNG Pillow makes — except
    for full-colour pixels that compress poorly (a cut-out photo with transparency): zlib's
    best level spends seconds on those for a few per cent, so the default level stays.
    """
    paletted = _palette(image, exact_only=not line_art)
    quick = _png_bytes(paletted or image, compress_level=6)
    if optimize and (paletted is not None or len(quick) <= image.width * image.height):
        return _png_bytes(paletted or image, optimize=True)
    return quick


def _png_bytes(image: Image.Image, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG", **options)
    return buffer.getvalue()


def _palette(image: Image.Image, exact_only: bool) -> Image.Image | None:
    if image.mode not in ("RGB", "RGBA"):
        return None
    exact = image.getcolors(256) is not None
    if not exact and (exact_only or image.mode != "RGB"):
        return None
    method = Image.Quantize.FASTOCTREE if image.mode == "RGBA" else Image.Quantize.MEDIANCUT
    paletted = image.quantize(256, method=method, dither=Image.Dither.NONE)
    if exact and ImageChops.difference(paletted.convert(image.mode), image).getbbox() is not None:
        return None  # the quantizer merged colours it need not have: keep full colour
    return paletted


# --- file structure: completeness ------------------------------------------------------------
#
# WeasyPrint sets PIL.ImageFile.LOAD_TRUNCATED_IMAGES on import (process-wide), after which
# Pillow fills a cut-off image with grey instead of failing. So the two formats that matter are
# checked here, segment by segment (luoshu.images.metadata), without touching that global.


def _check_complete(data: bytes, source_format: str | None) -> None:
    """Raise ImageProblem when a JPEG or PNG file is cut off or damaged."""
    walker = {"JPEG": _jpeg_segments, "MPO": _jpeg_segments, "PNG": _png_chunks}.get(
        source_format or "")
    if walker is None:
        return
    try:
        for _ in walker(data):
            pass
    except _Malformed as error:
        raise ImageProblem(f"damaged or truncated image file ({source_format}: {error})") \
            from error

