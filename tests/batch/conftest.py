"""Fixtures of the batch tests: twenty generated projects and their builds by `luoshu build`.

- ``generated``: (the folder holding the projects, name → kind), written once per session
  (helpers.generated_projects); tests that change a project work on a copy (``copy_projects``).
- ``reference``: ``reference(name)`` is the folder `luoshu build` (build_book) writes for a
  project, built the first time a test asks for it, without SOURCE_DATE_EPOCH (as the batch
  tests run): what the batch must write byte for byte.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers.generated_projects import generate_projects
from helpers.projects import source_date_epoch

PROJECTS = 20


@pytest.fixture(scope="session")
def generated(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    source = tmp_path_factory.mktemp("batch") / "projects"
    return source, generate_projects(source, PROJECTS)


@pytest.fixture(scope="session")
def reference(generated, tmp_path_factory) -> Callable[[str], Path]:
    from luoshu.build import build_book

    source, _ = generated
    out = tmp_path_factory.mktemp("batch-reference")

    def built(name: str) -> Path:
        if not (out / name).is_dir():
            with source_date_epoch(None):
                build_book(source / name, out / name)
        return out / name

    return built


@pytest.fixture
def copy_projects(generated, tmp_path) -> Callable[..., Path]:
    """copy_projects(*names): a fresh folder holding copies of those generated projects (all
    of them when no name is given), modification times kept."""
    source, kinds = generated

    def copy(*names: str) -> Path:
        folder = tmp_path / "projects"
        for name in names or kinds:
            shutil.copytree(source / name, folder / name)
        return folder

    return copy
