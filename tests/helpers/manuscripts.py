"""Reading a project's manuscript in tests, and the problems it raises."""

from __future__ import annotations

import pytest

from luoshu.errors import ProjectError
from luoshu.project.config import load_config
from luoshu.project.manuscript import read_manuscript


def read(project):
    return read_manuscript(project, load_config(project))


def problems_of(project) -> list:
    """The errors a read raises (warnings, such as a photo without alt text, left out)."""
    with pytest.raises(ProjectError) as caught:
        read(project)
    return [p for p in caught.value.problems if p.severity == "error"]


def book_toml(**book) -> str:
    lines = ['title = "测试之书"', 'language = "zh-Hans"']
    lines += [f"{key} = {value!r}".replace("'", '"') for key, value in book.items()]
    return "[book]\n" + "\n".join(lines) + "\n"
