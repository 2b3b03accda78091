"""Shared test helpers: a project-tree factory, a tiny image maker, the fixture projects.

- ``make_project(root, files)`` writes a book project under *root* and returns *root*.
  *files* maps project-relative POSIX paths to ``str`` (written as UTF-8) or ``bytes`` (written
  as is). A minimal ``book.toml`` (zh-Hans) is added unless *files* gives one; map
  ``"book.toml"`` to ``None`` for a folder without it.
- ``make_image(fmt="JPEG", size=(16, 12), color=(180, 60, 40))`` returns the bytes of a small
  image made with Pillow (any format Pillow writes: JPEG, PNG, GIF, BMP…).
- ``FIXTURES`` is tests/fixtures/; ``fixture_project(name)`` copies a fixture project into a
  fresh temporary folder (builds write dist/, which must not land in the repository).
- ``built`` (session-scoped, one per project of ``E2E_PROJECTS``): (project, output folder)
  after building every format once; ``artifact(out, format)`` is a built file's path. Shared
  by the end-to-end modules so that each project is built once per test run.
"""

from __future__ import annotations

import io
import json
import os
import shutil
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest
from PIL import Image

FIXTURES = Path(__file__).resolve().parent / "fixtures"
MINIMAL_HANS = FIXTURES / "minimal-hans"
TRADITIONAL_HANT = FIXTURES / "traditional-hant"

E2E_PROJECTS = {
    "sample": Path(__file__).resolve().parents[1],
    "minimal-hans": MINIMAL_HANS,
    "traditional-hant": TRADITIONAL_HANT,
}
E2E_FORMATS = ["epub", "pdf", "pdf-press", "archive"]

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


@pytest.fixture(scope="session", params=sorted(E2E_PROJECTS))
def built(request, tmp_path_factory):
    """(project, output folder) after a full build of one project."""
    from luoshu.build.stages import build_book

    project = E2E_PROJECTS[request.param]
    out = tmp_path_factory.mktemp(f"out-{request.param}")
    previous = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = "1632614400"  # 2021-09-26, for stable outputs
    try:
        build_book(project, out, E2E_FORMATS)
    finally:
        if previous is None:
            del os.environ["SOURCE_DATE_EPOCH"]
        else:
            os.environ["SOURCE_DATE_EPOCH"] = previous
    return project, out


def artifact(out: Path, name: str) -> Path:
    """The path of the *name* artifact, as manifest.json lists it."""
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    return out / next(e["path"] for e in manifest["artifacts"] if e["format"] == name)
