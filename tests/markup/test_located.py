"""Problems in untrusted markup at the right line: images named twice, deep nesting, and what a
project stylesheet names (an image that is not one, a file that is not there, a bomb)."""

from __future__ import annotations

import base64
import urllib.parse

import pytest
from helpers.bad_projects import bomb_png, noise

from luoshu.files.gate import ProjectFiles
from luoshu.images.photos import image_problem
from luoshu.markup.convert import MAX_DEPTH, convert_section
from luoshu.markup.untrusted import stylesheet_problems, stylesheet_references

SVG = urllib.parse.quote('<svg xmlns="http://www.w3.org/2000/svg"><script>x</script></svg>')


def problem_lines(markdown: str, code: str, first_line: int = 1) -> list[int]:
    converted = convert_section(markdown, "01-a", "manuscript/01-a.md", first_line)
    return [p.line for p in converted.problems if p.code == code]


def test_the_same_image_twice_is_reported_at_each_place():
    """The second of two identical SVG images was once reported at the first's line."""
    text = "\n".join(["# 甲", "", f"![a](data:image/svg+xml,{SVG})", "", "正文。", "",
                      f'<p><img src="data:image/svg+xml,{SVG}" alt="b"></p>', "",
                      f"![c](data:image/svg+xml,{SVG})", ""])
    assert problem_lines(text, "resource-outside", first_line=4) == [6, 10, 12]


def test_a_list_nested_500_deep_is_located_where_it_gets_too_deep():
    """It was reported at the body's first line (4, after front matter), not in the list."""
    text = "正文。\n\n" * 5 + "".join("    " * level + "- 项\n" for level in range(500))
    (line,) = problem_lines(text, "markup-depth", first_line=4)
    list_start = 4 + 10
    assert list_start < line < list_start + MAX_DEPTH  # where the depth passes the limit


@pytest.mark.parametrize("text, expected", [
    ("段落。\n\n" + "<div>" * 100 + "深" + "</div>" * 100 + "\n", 3),
    ("段落。\n\n" + "".join("<div>\n" for _ in range(100)) + "深\n" + "</div>\n" * 100,
     3 + MAX_DEPTH),
    ("段落。\n\n" + "> " * 100 + "引文\n", 3),
])
def test_deep_raw_html_and_quotes_are_located(text, expected):
    assert problem_lines(text, "markup-depth") == [expected]


# --- what a stylesheet names ------------------------------------------------------------------


def stylesheet(tmp_path, make_project, css: str, **files) -> list:
    project = make_project(tmp_path, {"styles/house.css": css, **files})
    return stylesheet_problems(ProjectFiles.of(project), ["styles/house.css"], image_problem)


def test_a_url_to_a_project_file_that_is_not_an_image(tmp_path, make_project):
    """It once failed the print layout with "Failed to load image at
    'file:///luoshu-project/book.toml': " — an internal URL and no reason."""
    (problem,) = stylesheet(tmp_path, make_project,
                            "body {\n  color: black;\n  background: url(../book.toml);\n}\n")
    assert str(problem) == ("styles/house.css:3:15: url(../book.toml) is not an image (its "
                            "bytes are no JPEG, PNG, GIF, WebP or SVG)")


def test_images_fonts_and_imports_are_judged_by_what_they_are(tmp_path, make_project):
    css = ('@import "more.css";\n@font-face { font-family: X; src: url(../fonts/x.ttf); }\n'
           "p { background: url(paper.png) }\n")
    assert stylesheet(tmp_path, make_project, css, **{
        "styles/more.css": "h1 { list-style-image: url('dot.jpg') }\n",
        "styles/paper.png": noise("PNG"), "styles/dot.jpg": noise("JPEG"),
        "fonts/x.ttf": b"a font (not judged as an image)"}) == []


def test_an_imported_stylesheet_is_checked_too(tmp_path, make_project):
    (problem,) = stylesheet(tmp_path, make_project, '@import url("more.css");\n',
                            **{"styles/more.css": "\n\nh1 { background: url(gone.png) }\n"})
    assert str(problem).startswith("styles/more.css:3:18: file not found: 'gone.png'")


def test_image_bombs_in_a_stylesheet_are_refused_from_their_header(tmp_path, make_project):
    uri = "data:image/png;base64," + base64.b64encode(bomb_png(30000, 30000)).decode()
    problems = stylesheet(tmp_path, make_project,
                          f"p {{ background: url({uri}) }}\nh1 {{ background: url(big.png) }}\n",
                          **{"styles/big.png": bomb_png(20000, 20000)})
    assert [(p.line, p.code) for p in problems] == [(1, "stylesheet-image"),
                                                    (2, "stylesheet-image")]
    assert problems[0].message.startswith("url(data:image/png;base64,iVBOR… (0.2 MB)) has 900 "
                                          "megapixels (30000 × 30000 px)")
    assert all(len(str(p)) < 200 for p in problems)


def test_references_know_their_context():
    css = b'@import "a.css";\n@font-face { src: url(f.woff2) }\np { background: url(i.png) }'
    assert [(r.value, r.context) for r in stylesheet_references(css)] == [
        ("a.css", "import"), ("f.woff2", "font"), ("i.png", "image")]
