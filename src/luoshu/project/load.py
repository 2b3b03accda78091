"""The one way a project is read into a Book: the stages every command shares.

    links → book.toml → fonts → manuscript → characters no font covers

``luoshu build``, ``luoshu check`` and ``luoshu serve`` all read a project with
``load_project``, so they find the same problems: each stage reports everything it finds, and
the later stages run as far as what they need could be read (the manuscript is read even when a
font is missing; the no-tofu check needs both). ``load_book`` is the build's face of it: the
Book, or a ProjectError with every problem.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import Problem, ProjectError
from ..files.gate import links_out_of
from ..fonts.roles import check_coverage, load_fonts
from ..model import Book, Config, FontSet
from .config import load_config
from .manuscript import Manuscript, collect_manuscript


@dataclass(frozen=True)
class LoadedProject:
    """A project as far as it could be read."""

    book: Book | None  # None when book.toml, the fonts or the manuscript could not be read
    config: Config | None  # None when book.toml could not be read
    problems: tuple[Problem, ...]  # errors and warnings, stage by stage
    # The project's text files as read (book.toml, sections, captions.toml), before any
    # normalization: project path → text.
    sources: Mapping[str, str] = field(default_factory=dict, compare=False)

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "error")

    @property
    def warnings(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity != "error")


def load_project(project: Path, progress: Callable[[str], None] | None = None) -> LoadedProject:
    """Read *project* (a folder with book.toml) into a Book, collecting every problem.

    *progress* is called with each stage's name ("config", "fonts", "read", "check") as the
    stage starts.
    """
    stage = progress or (lambda name: None)
    project = project.resolve()
    stage("config")
    outside = links_out_of(project)  # before anything is read by path
    if outside:
        return LoadedProject(None, None, tuple(outside))
    sources: dict[str, str] = {}
    try:
        config = load_config(project, sources)
    except ProjectError as error:
        return LoadedProject(None, None, error.problems, sources)
    problems: list[Problem] = []
    stage("fonts")
    fonts: FontSet | None = None
    try:
        fonts = load_fonts(project, config.book.language)
    except ProjectError as error:
        problems += error.problems
    stage("read")
    manuscript: Manuscript | None = None
    try:
        manuscript = collect_manuscript(project, config)
    except ProjectError as error:  # a figure that cannot be written as XHTML
        problems += error.problems
    else:
        problems += manuscript.problems
        sources.update(manuscript.sources)
    book = None
    if fonts is not None and manuscript is not None and not manuscript.errors:
        book = Book(project, config, manuscript.sections, manuscript.gallery, fonts,
                    manuscript.stylesheets, manuscript.gallery_html)
        stage("check")
        coverage = check_coverage(book)
        if coverage:
            problems += coverage
            book = None
    return LoadedProject(book, config, tuple(problems), sources)


def load_book(project: Path, progress: Callable[[str], None] | None = None
              ) -> tuple[Book, tuple[Problem, ...]]:
    """The Book of *project*, ready to render, and the warnings found; raises ProjectError with
    every problem when there is any error."""
    loaded = load_project(project, progress)
    if loaded.errors or loaded.book is None:
        raise ProjectError(loaded.problems)
    return loaded.book, loaded.warnings
