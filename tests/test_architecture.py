"""The package's shape, checked on its imports: the stages in order, nothing importing upward,
no circles, a handful of top-level modules, no module too long to read."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from helpers.projects import REPO

PACKAGE = REPO / "src" / "luoshu"

# The pipeline, bottom up: a module may import from its own layer's packages only when the
# package is its own, and from any layer below. (read the project → model → typeset → render
# each format → package → verify; the commands on top.)
LAYERS = (
    {"errors"},  # problems with the input, reported as file:line lines
    {"files"},  # project paths, the gate, reading text files, writing outputs
    {"model", "templates"},  # the plain data every stage passes along; templates and theme
    {"zh"},  # Chinese text rules
    {"images", "fonts", "markup"},  # photos, house fonts, Markdown → XHTML
    {"project"},  # reading a project into the model
    {"layout"},  # typesetting the print book
    {"epub", "pdf"},  # rendering each format
    {"archive"},  # packaging for deposit
    {"build"},  # the stage script
    {"check", "batch", "importer"},  # luoshu check, luoshu batch, luoshu import
    {"serve"},  # luoshu serve
    {"cli"},  # the command line
)
LAYER_OF = {unit: number for number, units in enumerate(LAYERS) for unit in units}
MAX_TOP_LEVEL_MODULES = 12
MAX_LINES = 600


def modules() -> dict[str, Path]:
    """Dotted name (without "luoshu.") → file, for every module of the package."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def imports_of(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The package modules *name* imports (at any depth of its code: late imports count)."""
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    targets = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - node.level + 1]
                stem = ".".join(base + ([node.module] if node.module else []))
            elif node.module and node.module.startswith("luoshu"):
                stem = node.module.removeprefix("luoshu").lstrip(".")
            else:
                continue
            for alias in node.names:
                candidate = f"{stem}.{alias.name}".strip(".")
                targets.add(candidate if candidate in known else stem)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("luoshu."):
                    targets.add(alias.name.removeprefix("luoshu."))
    return {t for t in targets if t in known and t != name and t != ""}


def unit_of(name: str) -> str:
    return name.split(".")[0]


GRAPH = {name: imports_of(name, path, modules()) for name, path in modules().items() if name}


def test_every_package_and_module_has_a_layer():
    assert {unit_of(name) for name in GRAPH} <= set(LAYER_OF)


@pytest.mark.parametrize("name", sorted(GRAPH))
def test_no_module_imports_upward(name):
    upward = [target for target in GRAPH[name]
              if unit_of(target) != unit_of(name)
              and LAYER_OF[unit_of(target)] >= LAYER_OF[unit_of(name)]]
    assert not upward, f"luoshu.{name} imports from its own layer or above: {upward}"


def test_no_import_circles():
    # Tarjan-free: a module is in a circle when it reaches itself.
    def reaches(start: str) -> set[str]:
        seen, todo = set(), list(GRAPH[start])
        while todo:
            current = todo.pop()
            if current not in seen:
                seen.add(current)
                todo.extend(GRAPH.get(current, ()))
        return seen

    circles = sorted(name for name in GRAPH if name in reaches(name))
    assert not circles, f"modules in import circles: {circles}"


def test_a_dozen_top_level_modules_and_a_package_per_stage():
    top = [p for p in PACKAGE.glob("*.py") if p.name != "__init__.py"]
    packages = [p for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()]
    assert len(top) <= MAX_TOP_LEVEL_MODULES, sorted(p.name for p in top)
    assert len(packages) >= 6


@pytest.mark.parametrize("name", sorted(modules()))
def test_no_module_is_too_long(name):
    lines = modules()[name].read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_LINES, f"luoshu.{name} has {lines} lines"
