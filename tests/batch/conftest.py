"""Fixtures of the batch tests: twenty generated projects and their builds by `luoshu build`.

- ``generated``: (the folder holding the projects, name → kind), written once per session
  (helpers.generated_projects); tests that change a project work on a copy (``copy_projects``).
- ``reference``: ``reference(name)`` is the folder `luoshu build` (build_book) writes for a
  working project, without SOURCE_DATE_EPOCH (as the batch tests run): what the batch must
  write byte for byte. All are built once, the first time a test asks for one.
"""

from __future__ import annotations

import multiprocessing
import shutil
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest
from helpers.generated_projects import OK, generate_projects
from helpers.projects import source_date_epoch

PROJECTS = 20


@pytest.fixture(scope="session")
def generated(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    source = tmp_path_factory.mktemp("batch") / "projects"
    return source, generate_projects(source, PROJECTS)


@pytest.fixture(scope="session")
def reference(generated, tmp_path_factory) -> Callable[[str], Path]:
    from luoshu.build import build_book

    source, kinds = generated
    out = tmp_path_factory.mktemp("batch-reference")
    names = [name for name, kind in kinds.items() if kind == OK]
    # build_book in two processes of the test's own: the same build, in half the time.
    context = multiprocessing.get_context("spawn")
    with source_date_epoch(None), ProcessPoolExecutor(2, mp_context=context) as pool:
        list(pool.map(build_book, [source / n for n in names], [out / n for n in names]))
    return lambda name: out / name


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
