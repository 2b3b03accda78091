"""luoshu.images.photos: printed size of photos and the print preflight."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageCms

from luoshu.images import photos
from luoshu.model import Photo, PrintOptions, SourceRef

OPTIONS = PrintOptions()  # 16开: text block 145 × 214 mm
PHOTO = Photo("photos/p.jpg", "图注", source=SourceRef("manuscript/captions.toml", 7))


def test_a_photo_spans_the_text_width():
    placed = photos.placement(PHOTO, (1800, 1200), OPTIONS)
    assert placed.width_mm == pytest.approx(145)
    assert placed.height_mm == pytest.approx(145 * 2 / 3)
    assert placed.dpi == pytest.approx(1800 / (145 / 25.4))


def test_a_declared_width_is_a_share_of_the_text_width():
    placed = photos.placement(Photo("p.jpg", "图", width=0.5), (1000, 1000), OPTIONS)
    assert placed.width_mm == pytest.approx(72.5) and placed.height_mm == pytest.approx(72.5)


def test_a_tall_photo_is_limited_in_height_keeping_its_proportions():
    placed = photos.placement(PHOTO, (1000, 3000), OPTIONS)
    assert placed.height_mm == pytest.approx(OPTIONS.text_height_mm * photos.MAX_HEIGHT_SHARE)
    assert placed.width_mm * 3 == pytest.approx(placed.height_mm)


def test_full_bleed_spans_page_and_bleeds_and_crops_when_tall():
    wide = photos.placement(Photo("p.jpg", "图", full_bleed=True), (3000, 2000), OPTIONS)
    assert wide.width_mm == pytest.approx(185 + 6) and not wide.cropped
    tall = photos.placement(Photo("p.jpg", "图", full_bleed=True), (2000, 4000), OPTIONS)
    assert tall.cropped
    assert tall.height_mm == pytest.approx(260 + 3 - photos.PLATE_CAPTION_MM)
    assert tall.dpi == pytest.approx(2000 / (191 / 25.4))  # cover: the width decides


def test_preflight_warns_below_300_dpi_naming_photo_dpi_and_fix():
    (problem,) = photos.preflight(PHOTO, Image.new("RGB", (1000, 667)), OPTIONS)
    assert problem.code == "photo-resolution" and problem.severity == "warning"
    assert (problem.path, problem.line) == ("manuscript/captions.toml", 7)
    assert "photos/p.jpg prints at 175 dpi" in problem.message
    assert "at least 1713 px wide" in problem.message
    assert photos.preflight(PHOTO, Image.new("RGB", (1713, 1142)), OPTIONS) == []


def test_preflight_warns_about_a_colour_profile_the_pdf_ignores():
    def with_profile(profile) -> Image.Image:
        data = io.BytesIO()
        Image.new("RGB", (2000, 1000)).save(data, "JPEG",
                                            icc_profile=ImageCms.ImageCmsProfile(profile).tobytes())
        return Image.open(io.BytesIO(data.getvalue()))

    assert photos.preflight(PHOTO, with_profile(ImageCms.createProfile("sRGB")), OPTIONS) == []
    (problem,) = photos.preflight(PHOTO, with_profile(ImageCms.createProfile("LAB")), OPTIONS)
    assert problem.code == "photo-profile" and "convert it to sRGB" in problem.message


def test_image_pixels():
    data = io.BytesIO()
    Image.new("RGB", (30, 20)).save(data, "PNG")
    assert photos.image_pixels(data.getvalue()) == (30, 20)
    assert photos.image_pixels(b"not an image") is None
