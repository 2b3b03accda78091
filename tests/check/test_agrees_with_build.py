"""``luoshu check`` and ``luoshu build`` read a project with the same loader
(luoshu.project.load), so every problem that stops a build is a finding of ``luoshu check``,
at the same place, in the same words."""

from __future__ import annotations

import pytest
from helpers.bad_projects import CATALOGUE, write
from helpers.generated_projects import generate_projects

from luoshu.build import build_book
from luoshu.check.project import check_project
from luoshu.errors import ProjectError

pytestmark = pytest.mark.usefixtures("no_source_date_epoch")


def located(path, line, column, message) -> tuple:
    return (str(path or "."), line, column, message)


@pytest.mark.parametrize("case", CATALOGUE, ids=[case.name for case in CATALOGUE])
def test_check_finds_what_stops_the_build(case, tmp_path):
    project = write(tmp_path / "book", case.files)
    with pytest.raises(ProjectError) as failure:
        build_book(project, tmp_path / "out", ["epub"])
    stopped = {located(p.path, p.line, p.column, p.message)
               for p in failure.value.problems if p.severity == "error"}
    found = {located(f.path, f.line, f.column, f.message)
             for f in check_project(project).findings if f.severity == "error"}
    assert stopped and stopped <= found, stopped - found


def test_check_finds_what_stops_the_builds_of_the_batchs_broken_projects(tmp_path):
    """The generated projects luoshu batch is tested with (helpers/generated_projects.py): the
    broken ones stop the build where luoshu check finds them."""
    kinds = generate_projects(tmp_path, 2, broken=2)
    for name in kinds:
        project = tmp_path / name
        with pytest.raises(ProjectError) as failure:
            build_book(project, tmp_path / "out" / name, ["epub"])
        stopped = {located(p.path, p.line, p.column, p.message)
                   for p in failure.value.problems if p.severity == "error"}
        found = {located(f.path, f.line, f.column, f.message)
                 for f in check_project(project).findings if f.severity == "error"}
        assert stopped and stopped <= found, (name, stopped - found)
