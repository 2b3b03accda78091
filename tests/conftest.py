"""Fixtures shared by every test module (the helpers they use are in tests/helpers/).

- ``make_project(root, files)`` writes a book project under *root* and returns *root*
  (helpers.projects.write_project).
- ``make_image(fmt="JPEG", size=(16, 12), color=(180, 60, 40))`` returns the bytes of a small
  image made with Pillow (helpers.projects.image_bytes).
- ``fixture_project(name)`` copies a fixture project (tests/fixtures/) into a fresh temporary
  folder (builds write dist/, which must not land in the repository).
- ``built`` (session-scoped, one per project of ``E2E_PROJECTS``): (project, output folder)
  after building every format once; ``artifact(out, format)`` is a built file's path. Shared
  by the end-to-end modules so that each project is built once per test run.
- ``no_source_date_epoch`` and ``sample_date``: SOURCE_DATE_EPOCH unset, or set to the sample's
  day, for one test (``pytestmark = pytest.mark.usefixtures(…)`` for a whole module).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest
from helpers.projects import (
    E2E_FORMATS,
    E2E_PROJECTS,
    FIXTURES,
    SAMPLE_EPOCH,
    image_bytes,
    source_date_epoch,
    write_project,
)


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
        shutil.copytree(FIXTURES / name, destination, symlinks=True,
                        ignore=shutil.ignore_patterns(".luoshu-cache"))
        return destination

    return copy


@pytest.fixture
def no_source_date_epoch(monkeypatch):
    """No SOURCE_DATE_EPOCH: timestamps come from the book's date or its files."""
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)


@pytest.fixture
def sample_date(monkeypatch):
    """SOURCE_DATE_EPOCH set to the sample's day (2021-09-26), for stable outputs."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", SAMPLE_EPOCH)


@pytest.fixture(scope="session", params=sorted(E2E_PROJECTS))
def built(request, tmp_path_factory):
    """(project, output folder) after a full build of one project."""
    from luoshu.build import build_book

    project = E2E_PROJECTS[request.param]
    out = tmp_path_factory.mktemp(f"out-{request.param}")
    with source_date_epoch(SAMPLE_EPOCH):
        build_book(project, out, E2E_FORMATS)
    return project, out
