"""Golden files: the EPUB of a fixture book, compared file by file with what it should be.

The fixture ``tests/fixtures/minimal-hans`` is built with SOURCE_DATE_EPOCH fixed, and each
file of the EPUB is compared with ``tests/golden/minimal-hans/<path in the zip>``:

- text files (XHTML, OPF, NCX, CSS, XML, mimetype) byte for byte — nothing is normalized;
- fonts by what they can draw: ``<path>.cmap`` lists the code points of the subset font, one
  ``U+XXXX`` a line (the bytes depend on the fontTools and system font versions);
- images by ``<path>.image``: media type and pixel size (the bytes depend on Pillow/libjpeg).

The list of files must match exactly too. After an intended change, regenerate with
``LUOSHU_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/epub/test_golden.py`` and review the
diff like any other change.
"""

from __future__ import annotations

import io
import os
import shutil
import zipfile

import pytest
from fontTools.ttLib import TTFont
from helpers.projects import GOLDEN, MINIMAL_HANS, source_date_epoch
from PIL import Image

from luoshu.build.stages import build_book

FIXTURE = MINIMAL_HANS
GOLDEN_FILES = GOLDEN / "minimal-hans"
FONT_SUFFIXES = (".woff2", ".woff", ".otf", ".ttf")
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".gif", ".webp")


def _expected_form(name: str, data: bytes) -> tuple[str, bytes]:
    """The golden file name and content for one file of the EPUB."""
    if name.endswith(FONT_SUFFIXES):
        cmap = TTFont(io.BytesIO(data)).getBestCmap() or {}
        return f"{name}.cmap", "".join(f"U+{c:04X}\n" for c in sorted(cmap)).encode()
    if name.endswith(IMAGE_SUFFIXES):
        with Image.open(io.BytesIO(data)) as image:
            return f"{name}.image", f"{image.format} {image.width}x{image.height}\n".encode()
    return name, data


@pytest.fixture(scope="module")
def epub_files(tmp_path_factory) -> dict[str, bytes]:
    project = tmp_path_factory.mktemp("golden") / "book"
    shutil.copytree(FIXTURE, project)
    with source_date_epoch("1700000000"):
        result = build_book(project, project / "dist", ["epub"])
    with zipfile.ZipFile(project / "dist" / result.artifacts[0].path) as epub:
        return dict(_expected_form(name, epub.read(name)) for name in epub.namelist())


def test_epub_matches_the_golden_files(epub_files):
    if os.environ.get("LUOSHU_UPDATE_GOLDEN"):
        shutil.rmtree(GOLDEN_FILES, ignore_errors=True)
        for name, data in epub_files.items():
            (GOLDEN_FILES / name).parent.mkdir(parents=True, exist_ok=True)
            (GOLDEN_FILES / name).write_bytes(data)
    golden = {path.relative_to(GOLDEN_FILES).as_posix(): path.read_bytes()
              for path in GOLDEN_FILES.rglob("*") if path.is_file()}
    assert sorted(epub_files) == sorted(golden), "the EPUB's list of files changed"
    different = [name for name in golden if golden[name] != epub_files[name]]
    for name in different:
        print(f"--- {name} differs from tests/golden/minimal-hans/{name}")
    assert not different
