"""Shared test helpers: a project-tree factory, a tiny image maker, the fixture projects.

- ``make_project(root, files)`` writes a book project under *root* and returns *root*.
  *files* maps project-relative POSIX paths to ``str`` (written as UTF-8) or ``bytes`` (written
  as is). A minimal ``book.toml`` (zh-Hans) is added unless *files* gives one; map
  ``"book.toml"`` to ``None`` for a folder without it.
- ``make_image(fmt="JPEG", size=(16, 12), color=(180, 60, 40))`` returns the bytes of a small
  image made with Pillow (any format Pillow writes: JPEG, PNG, GIF, BMP…).
- ``FIXTURES`` is tests/fixtures/; ``fixture_project(name)`` copies a fixture project into a
  fresh temporary folder (builds write dist/, which must not land in the repository).
"""

from __future__ import annotations

import io
import shutil
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest
from PIL import Image

FIXTURES = Path(__file__).resolve().parent / "fixtures"
MINIMAL_HANS = FIXTURES / "minimal-hans"
TRADITIONAL_HANT = FIXTURES / "traditional-hant"

DEFAULT_BOOK_TOML = '[book]\ntitle = "测试之书"\nlanguage = "zh-Hans"\n'


def write_project(root: Path, files: Mapping[str, str | bytes | None]) -> Path:
    """Write *files* under *root* (see the module docstring); return *root*."""
    files = {"book.toml": DEFAULT_BOOK_TOML, **files}
    root.mkdir(parents=True, exist_ok=True)
    for relative, content in files.items():
        if content is None:
            continue
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8", newline="")
    return root


def image_bytes(fmt: str = "JPEG", size: tuple[int, int] = (16, 12),
                color: tuple[int, int, int] = (180, 60, 40)) -> bytes:
    """The bytes of a small solid-colour image in *fmt*."""
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format=fmt)
    return buffer.getvalue()


@pytest.fixture
def make_project() -> Callable[[Path, Mapping[str, str | bytes | None]], Path]:
    return write_project


@pytest.fixture
def make_image() -> Callable[..., bytes]:
    return image_bytes


@pytest.fixture
def fixture_project(tmp_path: Path) -> Callable[[str], Path]:
    """Copy tests/fixtures/<name> into tmp_path and return the copy's path."""

    def copy(name: str) -> Path:
        destination = tmp_path / name
        shutil.copytree(FIXTURES / name, destination, symlinks=True)
        return destination

    return copy
