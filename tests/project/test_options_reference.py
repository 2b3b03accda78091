"""Every book.toml option is declared once (luoshu.model); the README's reference of them is
generated from there and must say the same."""

from __future__ import annotations

import dataclasses

from helpers.projects import REPO

from luoshu.project.config import (
    OPTION_DOCS,
    README_END,
    README_START,
    TABLES,
    options_reference,
)


def test_the_readme_reference_is_generated_from_the_model():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split(README_START, 1)[1].split(README_END, 1)[0]
    assert section.strip() == options_reference().strip(), (
        "README.md's option reference is out of date: run .venv/bin/python "
        "scripts/options_reference.py")


def test_every_option_has_its_one_line_doc():
    for table, cls in TABLES.items():
        for option in dataclasses.fields(cls):
            assert OPTION_DOCS[table][option.name] == option.metadata["doc"]
            assert option.metadata["doc"].endswith((".", ")")), (table, option.name)
