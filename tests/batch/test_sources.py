"""Which projects a batch builds: a folder of projects or a list file, and what stops it."""

from __future__ import annotations

import pytest

from luoshu.batch.sources import find_projects
from luoshu.errors import ProjectError


def lines_of(error: ProjectError) -> list[str]:
    return [str(problem) for problem in error.problems]


def test_a_folder_gives_its_project_subfolders_in_name_order(tmp_path, make_project):
    for name in ("b-issue", "a-issue", ".hidden"):
        make_project(tmp_path / "src" / name, {})
    (tmp_path / "src" / "notes").mkdir()  # no book.toml: not a project
    projects = find_projects(tmp_path / "src", tmp_path / "out")
    assert [p.name for p in projects] == ["a-issue", "b-issue"]
    assert all(p.path.is_absolute() and p.problem is None for p in projects)


def test_a_list_file_names_projects_relative_to_itself(tmp_path, make_project):
    make_project(tmp_path / "issues" / "one", {})
    make_project(tmp_path / "elsewhere" / "two", {})
    listing = tmp_path / "issues" / "batch.txt"
    listing.write_text(f"# this week\none\n\n{tmp_path / 'elsewhere' / 'two'}\nmissing\n"
                       "../issues\n", encoding="utf-8")
    projects = find_projects(listing, tmp_path / "out")
    assert [p.name for p in projects] == ["one", "two", "missing", "issues"]
    assert projects[0].problem is None and projects[1].problem is None
    # A listed path that is no project fails alone, named with its line.
    assert projects[2].problem == f"{listing}:5: missing: no such project folder"
    assert projects[3].problem == f"{listing}:6: ../issues has no book.toml: not a book project"


def test_two_projects_that_would_share_an_output_folder_stop_the_batch(tmp_path, make_project):
    make_project(tmp_path / "a" / "issue", {})
    make_project(tmp_path / "b" / "Issue", {})
    listing = tmp_path / "list.txt"
    listing.write_text("a/issue\nb/Issue\na/issue\n", encoding="utf-8")
    with pytest.raises(ProjectError) as caught:
        find_projects(listing, tmp_path / "out")
    first, second = lines_of(caught.value)
    assert first.startswith(f"{listing}:2: {tmp_path / 'b' / 'Issue'} has the same name as ")
    assert "both would build into Issue/" in first
    assert second.startswith(f"{listing}:3: {tmp_path / 'a' / 'issue'} is listed twice "
                             f"({listing}:1)")


def test_an_output_folder_over_a_project_stops_the_batch(tmp_path, make_project):
    make_project(tmp_path / "src" / "issue", {})
    with pytest.raises(ProjectError) as caught:
        find_projects(tmp_path / "src", tmp_path / "src")  # OUT/issue is the project itself
    assert "over the project itself" in lines_of(caught.value)[0]


@pytest.mark.parametrize("case", ["missing", "empty folder", "a project", "empty list"])
def test_a_source_that_is_no_batch_gets_one_line(tmp_path, make_project, case):
    source = tmp_path / "source"
    if case == "empty folder":
        source.mkdir()
    elif case == "a project":
        make_project(source, {})
    elif case == "empty list":
        source.write_text("# nothing yet\n", encoding="utf-8")
    with pytest.raises(ProjectError) as caught:
        find_projects(source, tmp_path / "out")
    lines = lines_of(caught.value)
    assert len(lines) == 1 and "\n" not in lines[0]
    expected = {"missing": "no such folder or file", "empty folder": "holds no book projects",
                "a project": "is itself a book project", "empty list": "lists no project"}
    assert expected[case] in lines[0]
