"""Photos for screens (luoshu.images.screen): size, encoding, orientation, colour, metadata."""

from __future__ import annotations

import io
import struct

import pytest
from PIL import Image, ImageDraw, ImageFile, ImageFilter, PngImagePlugin

from luoshu.images.screen import ImageProblem, ScreenImage, screen_image


def encode(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def decode(result: ScreenImage) -> Image.Image:
    image = Image.open(io.BytesIO(result.data))
    image.load()
    return image


def photo(size: tuple[int, int], seed: int = 0) -> Image.Image:
    """Something with the statistics of a photograph: smooth gradients plus fine grain."""
    gradient = Image.linear_gradient("L").resize(size)
    radial = Image.radial_gradient("L").resize(size)
    grain = Image.effect_noise(size, 40 + seed).filter(ImageFilter.GaussianBlur(1.2))
    return Image.merge("RGB", (gradient, radial, grain))


def line_art(size: tuple[int, int] = (600, 400)) -> Image.Image:
    """A diagram: white ground, black lines, a few flat colours, no anti-aliasing."""
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    for x in range(20, size[0], 60):
        draw.line((x, 10, x, size[1] - 10), fill="black", width=3)
    draw.rectangle((50, 50, 250, 150), fill=(200, 40, 40))
    draw.ellipse((300, 100, 500, 300), fill=(30, 90, 160), outline="black", width=4)
    return image


def icc_profile(red, green, blue, description: str = "Swapped primaries") -> bytes:
    """A minimal ICC v2 RGB matrix/TRC display profile (gamma 2.2) with the given primaries.

    Primaries are D50-adapted XYZ triples, as in the rXYZ/gXYZ/bXYZ tags.
    """
    curve = _curve(2.2)
    return _icc(b"RGB ", description, [(b"rXYZ", _xyz(red)), (b"gXYZ", _xyz(green)),
                                       (b"bXYZ", _xyz(blue)), (b"rTRC", curve),
                                       (b"gTRC", curve), (b"bTRC", curve)])


def grey_icc_profile(gamma: float) -> bytes:
    """A minimal ICC v2 grey profile with a pure gamma tone curve."""
    return _icc(b"GRAY", f"Grey gamma {gamma}", [(b"kTRC", _curve(gamma))])


def _s15(value: float) -> bytes:
    return struct.pack(">i", round(value * 65536))


def _xyz(triple) -> bytes:
    return b"XYZ " + b"\0" * 4 + b"".join(_s15(v) for v in triple)


def _curve(gamma: float) -> bytes:
    return b"curv" + b"\0" * 4 + struct.pack(">IH", 1, int(gamma * 256)) + b"\0\0"


def _icc(space: bytes, description: str, tags: list[tuple[bytes, bytes]]) -> bytes:
    text = description.encode("ascii") + b"\0"
    desc = b"desc" + b"\0" * 4 + struct.pack(">I", len(text)) + text + b"\0" * 78
    tags = [(b"desc", desc), (b"wtpt", _xyz((0.9642, 1.0, 0.8249))), *tags]
    offset = 128 + 4 + 12 * len(tags)
    table, data = b"", b""
    for signature, content in tags:
        content += b"\0" * (-len(content) % 4)
        table += signature + struct.pack(">II", offset + len(data), len(content))
        data += content
    body = struct.pack(">I", len(tags)) + table + data
    header = bytearray(128)
    header[0:4] = struct.pack(">I", 128 + len(body))
    header[8:12] = b"\x02\x10\x00\x00"  # version 2.1
    header[12:16] = b"mntr"
    header[16:20] = space
    header[20:24] = b"XYZ "
    header[36:40] = b"acsp"
    header[68:80] = _s15(0.9642) + _s15(1.0) + _s15(0.8249)  # D50 illuminant
    return bytes(header) + body


SRGB_RED, SRGB_GREEN, SRGB_BLUE = (0.4361, 0.2225, 0.0139), (0.3851, 0.7169, 0.0971), \
    (0.1431, 0.0606, 0.7141)


# --- size ---------------------------------------------------------------------------------------


def test_large_photo_is_downscaled_to_1600_on_the_long_edge():
    result = screen_image(encode(photo((4000, 3000)), "JPEG", quality=90))
    assert (result.width, result.height) == (1600, 1200)
    assert decode(result).size == (1600, 1200)
    assert (result.media_type, result.suffix) == ("image/jpeg", ".jpg")


def test_portrait_and_configurable_edge():
    result = screen_image(encode(photo((900, 1800)), "JPEG"), max_edge=1000)
    assert (result.width, result.height) == (500, 1000)


def test_small_image_is_not_upscaled():
    result = screen_image(encode(photo((800, 600)), "JPEG"))
    assert (result.width, result.height) == (800, 600)
    assert decode(result).size == (800, 600)


def test_max_edge_must_be_positive():
    with pytest.raises(ValueError):
        screen_image(encode(photo((80, 60)), "JPEG"), max_edge=0)


# --- orientation and metadata ---------------------------------------------------------------


def test_exif_orientation_is_applied_and_exif_removed():
    # Stored landscape with a red block top-left; orientation 6 = "rotate 90° clockwise to view".
    image = Image.new("RGB", (400, 200), "white")
    ImageDraw.Draw(image).rectangle((0, 0, 99, 99), fill=(255, 0, 0))
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010F] = "Camera maker"
    result = screen_image(encode(image, "JPEG", exif=exif.tobytes(), quality=95))
    shown = decode(result)
    assert (result.width, result.height) == shown.size == (200, 400)
    red = shown.getpixel((175, 25))  # top-right corner once turned
    assert red[0] > 200 and red[1] < 60
    assert len(shown.getexif()) == 0
    assert "exif" not in shown.info


def test_metadata_is_stripped_from_jpeg():
    exif = Image.Exif()
    exif[0x010F] = "Camera maker"
    exif[0x8825] = {1: "N"}  # GPS
    source = encode(photo((300, 200)), "JPEG", exif=exif.tobytes(), comment=b"secret note",
                    icc_profile=icc_profile(SRGB_RED, SRGB_GREEN, SRGB_BLUE, "sRGB IEC61966-2.1"))
    source = source[:2] + _app1_xmp(b"<x:xmpmeta>GPS here</x:xmpmeta>") + source[2:]
    result = screen_image(source)
    assert b"Exif" not in result.data and b"secret" not in result.data
    assert b"xmpmeta" not in result.data and b"Camera" not in result.data
    shown = decode(result)
    assert len(shown.getexif()) == 0
    assert not {"exif", "comment", "icc_profile", "xmp"} & set(shown.info)


def _app1_xmp(packet: bytes) -> bytes:
    payload = b"http://ns.adobe.com/xap/1.0/\0" + packet
    return b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload


def test_jpeg_that_needs_nothing_but_stripping_keeps_its_pixels():
    source_image = photo((640, 480))
    plain = encode(source_image, "JPEG", quality=60, optimize=True)
    exif = Image.Exif()
    exif[0x010F] = "Camera maker"
    with_exif = encode(source_image, "JPEG", quality=60, optimize=True, exif=exif.tobytes())
    result = screen_image(with_exif)
    # Re-encoding a quality-60 JPEG at 82 would only grow it: the source is kept, minus EXIF.
    assert result.data == plain
    assert b"Camera" not in result.data


def test_png_text_chunks_are_stripped():
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "someone")
    info.add_itxt("Comment", "地址：某某路", lang="zh")
    result = screen_image(encode(line_art(), "PNG", pnginfo=info, dpi=(300, 300)))
    assert result.media_type == "image/png"
    for marker in (b"tEXt", b"iTXt", b"zTXt", b"pHYs", b"someone", b"tIME", b"eXIf", b"iCCP"):
        assert marker not in result.data
    assert decode(result).info.get("dpi") is None


def test_icc_profile_is_converted_to_srgb_and_dropped():
    # A profile whose "red" is sRGB's green: only a real conversion turns red pixels green.
    profile = icc_profile(SRGB_GREEN, SRGB_RED, SRGB_BLUE)
    source = encode(Image.new("RGB", (64, 48), (255, 0, 0)), "JPEG", quality=95,
                    icc_profile=profile)
    result = screen_image(source)
    shown = decode(result)
    assert "icc_profile" not in shown.info
    red, green, blue = shown.getpixel((32, 24))
    assert green > 200 and red < 60 and blue < 60


def test_srgb_profile_is_dropped_without_changing_colours():
    profile = icc_profile(SRGB_RED, SRGB_GREEN, SRGB_BLUE, description="sRGB IEC61966-2.1")
    source = encode(line_art(), "PNG", icc_profile=profile)
    result = screen_image(source)
    shown = decode(result)
    assert "icc_profile" not in shown.info and b"iCCP" not in result.data
    assert shown.convert("RGB").getpixel((100, 100)) == (200, 40, 40)


# --- photo or line art ----------------------------------------------------------------------


def test_line_art_png_stays_png_with_a_palette():
    source = line_art()
    result = screen_image(encode(source, "PNG"))
    assert (result.media_type, result.suffix) == ("image/png", ".png")
    shown = decode(result)
    assert shown.mode == "P"
    assert shown.convert("RGB").tobytes() == source.tobytes()  # lossless


def test_downscaled_line_art_stays_png():
    result = screen_image(encode(line_art((3600, 2400)), "PNG"))
    assert result.media_type == "image/png"
    assert (result.width, result.height) == (1600, 1067)
    assert decode(result).mode == "P"


def test_photographic_png_becomes_jpeg():
    source = encode(photo((1200, 900)), "PNG")
    result = screen_image(source)
    assert (result.media_type, result.suffix) == ("image/jpeg", ".jpg")
    assert decode(result).format == "JPEG"
    assert len(result.data) < len(source) / 2


def test_transparent_png_stays_png_with_its_alpha():
    image = photo((500, 400)).convert("RGBA")
    image.putalpha(Image.linear_gradient("L").resize((500, 400)))
    result = screen_image(encode(image, "PNG"))
    assert result.media_type == "image/png"
    shown = decode(result)
    assert shown.mode == "RGBA"
    assert shown.getpixel((250, 0))[3] < 10 and shown.getpixel((250, 399))[3] > 245


def test_fully_opaque_alpha_is_dropped():
    result = screen_image(encode(photo((600, 400)).convert("RGBA"), "PNG"))
    assert result.media_type == "image/jpeg"


def test_gif_becomes_png():
    result = screen_image(encode(line_art().convert("P"), "GIF"))
    assert result.media_type == "image/png"
    assert decode(result).size == (600, 400)


def test_cmyk_jpeg_becomes_rgb_jpeg():
    source = encode(Image.new("CMYK", (120, 80), (0, 255, 255, 0)), "JPEG", quality=95)
    result = screen_image(source)
    shown = decode(result)
    assert result.media_type == "image/jpeg" and shown.mode == "RGB"
    red, green, blue = shown.getpixel((60, 40))
    assert red > 230 and green < 30 and blue < 30


def test_grayscale_stays_grayscale():
    grey = photo((2000, 1500)).convert("L")
    result = screen_image(encode(grey, "JPEG"))
    assert decode(result).mode == "L" and result.width == 1600
    assert decode(screen_image(encode(grey.resize((400, 300)), "PNG"))).mode == "L"


def test_grey_profile_is_applied_and_grey_stays_grey():
    # Mid grey in a linear (gamma 1.0) space is much lighter in sRGB.
    source = encode(Image.new("L", (64, 48), 128), "JPEG", quality=95,
                    icc_profile=grey_icc_profile(1.0))
    shown = decode(screen_image(source))
    assert shown.mode == "L" and "icc_profile" not in shown.info
    assert 180 <= shown.getpixel((32, 24)) <= 195


def test_sixteen_bit_grey_png_is_scaled_not_clipped():
    image = Image.new("I;16", (64, 64), 32768)
    result = screen_image(encode(image, "PNG"))
    shown = decode(result)
    assert shown.mode == "L" and 120 <= shown.getpixel((5, 5)) <= 135


# --- determinism and bad input --------------------------------------------------------------


@pytest.mark.parametrize("make", [
    lambda: encode(photo((3000, 2000)), "JPEG"),
    lambda: encode(photo((900, 600)), "PNG"),
    lambda: encode(line_art((2400, 1600)), "PNG"),
])
def test_same_input_same_bytes(make):
    source = make()
    assert screen_image(source) == screen_image(source)


def test_truncated_file_is_an_image_problem():
    source = encode(photo((800, 600)), "JPEG")
    with pytest.raises(ImageProblem) as caught:
        screen_image(source[: len(source) // 2])
    assert "\n" not in str(caught.value)


def test_truncated_png_is_an_image_problem():
    source = encode(photo((300, 200)), "PNG")
    with pytest.raises(ImageProblem):
        screen_image(source[: len(source) // 2])


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_truncated_even_when_pillow_accepts_truncated_images(monkeypatch, fmt):
    # WeasyPrint turns this on, process-wide, when it is imported.
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    source = encode(photo((400, 300)), fmt)
    with pytest.raises(ImageProblem, match="truncated"):
        screen_image(source[: len(source) * 2 // 3])


def test_damaged_png_chunk_is_an_image_problem(monkeypatch):
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    source = bytearray(encode(line_art(), "PNG"))
    source[-30] ^= 0xFF  # inside the last IDAT: its CRC no longer matches
    with pytest.raises(ImageProblem):
        screen_image(bytes(source))


def test_multi_picture_jpeg_keeps_only_the_main_picture():
    buffer = io.BytesIO()
    photo((800, 600)).save(buffer, "MPO", save_all=True, append_images=[photo((400, 300), 5)])
    assert Image.open(io.BytesIO(buffer.getvalue())).format == "MPO"
    result = screen_image(buffer.getvalue())
    assert result.media_type == "image/jpeg" and (result.width, result.height) == (800, 600)
    assert result.data.count(b"\xff\xd8") == 1 and b"MPF" not in result.data


@pytest.mark.parametrize("data", [b"", b"not an image at all", b"\x89PNG\r\n\x1a\n" + b"\0" * 40])
def test_garbage_is_an_image_problem(data):
    with pytest.raises(ImageProblem) as caught:
        screen_image(data)
    assert isinstance(caught.value, ValueError)


def test_decompression_bomb_is_an_image_problem(monkeypatch):
    source = encode(Image.new("RGB", (200, 200), "white"), "PNG")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    with pytest.raises(ImageProblem) as caught:
        screen_image(source)
    assert "too large" in str(caught.value)
