"""The test projects: the fixture folders, a project-tree writer, small images, the built
books' artifacts, and the one way tests pin SOURCE_DATE_EPOCH (see conftest.py for the
fixtures that use them)."""

from __future__ import annotations

import contextlib
import io
import json
import os
from collections.abc import Iterator, Mapping
from pathlib import Path

from PIL import Image

TESTS = Path(__file__).resolve().parents[1]
REPO = TESTS.parent  # the repository is also the sample book's project
FIXTURES = TESTS / "fixtures"
GOLDEN = TESTS / "golden"
MINIMAL_HANS = FIXTURES / "minimal-hans"
TRADITIONAL_HANT = FIXTURES / "traditional-hant"

E2E_PROJECTS = {
    "sample": REPO,
    "minimal-hans": MINIMAL_HANS,
    "traditional-hant": TRADITIONAL_HANT,
}
E2E_FORMATS = ["epub", "pdf", "pdf-press", "archive"]

# 2021-09-26, the sample's day: the date the end-to-end builds are made on, for stable outputs.
SAMPLE_EPOCH = "1632614400"


@contextlib.contextmanager
def source_date_epoch(value: str | None) -> Iterator[None]:
    """SOURCE_DATE_EPOCH set to *value* (None: unset) inside the block, restored after it. For
    fixtures wider than one test, where pytest's monkeypatch is not available."""
    previous = os.environ.get("SOURCE_DATE_EPOCH")
    if value is None:
        os.environ.pop("SOURCE_DATE_EPOCH", None)
    else:
        os.environ["SOURCE_DATE_EPOCH"] = value
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = previous


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


def artifact(out: Path, name: str) -> Path:
    """The path of the *name* artifact, as manifest.json lists it."""
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    return out / next(e["path"] for e in manifest["artifacts"] if e["format"] == name)
