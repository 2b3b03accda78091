"""Hostile and damaged fonts.toml entries and font files: each refused in one line naming
fonts/fonts.toml, the line and the file — at load, so ``luoshu check`` says the same — and
family names written into stylesheets as names, never as CSS."""

from __future__ import annotations

import json

import pytest
import tinycss2
from click.testing import CliRunner
from helpers.bad_projects import BASE, damaged_font, noise, tiny_font, write

from luoshu.cli import main
from luoshu.errors import ProjectError
from luoshu.fonts.roles import (
    FONTS_TOML,
    font_css,
    font_damage,
    load_fonts,
    system_faces,
)

KAI = '[caption]\nfamily = "House Kai"\nfiles = ["kai.ttf"]\n'
# A caption, so that the caption role's fonts are read by every stage that reads fonts.
WITH_CAPTION = "# 甲\n\n正文。\n\n![甲](photo.png \"正文\")\n"


def font_problems(project) -> list:
    with pytest.raises(ProjectError) as caught:
        load_fonts(project, "zh-Hans")
    return list(caught.value.problems)


DAMAGE = {
    "cmap": (8, b"\x7f\xff\xff\xff", "cmap: Bad subtable offset"),  # a subtable far outside
    "loca": (2, b"\xff\xff\xff\xff", "loca: Out of order offset"),  # glyphs overlapping
    "name": (4, b"\xff\xff\xff\xff", "name: "),  # strings outside the table
}


@pytest.mark.parametrize("table", sorted(DAMAGE))
def test_a_damaged_table_refuses_the_file_with_its_name_and_the_reason(tmp_path, table):
    at, garbage, reason = DAMAGE[table]
    project = write(tmp_path, {FONTS_TOML: KAI, "fonts/kai.ttf": damaged_font(table, at, garbage)})
    (problem,) = font_problems(project)
    assert (problem.code, problem.path, problem.line) == ("fonts-file-invalid", FONTS_TOML, 1)
    assert problem.message.startswith("fonts/kai.ttf (role caption) is not a usable font file")
    assert reason in problem.message and "get a fresh copy" in problem.message


@pytest.mark.parametrize("content, reason", [(b"not a font at all", "invalid sfntVersion"),
                                             (b"", "less than 4 bytes")])
def test_a_file_that_is_no_font_is_refused(tmp_path, content, reason):
    project = write(tmp_path, {FONTS_TOML: KAI, "fonts/kai.ttf": content})
    (problem,) = font_problems(project)
    assert problem.code == "fonts-file-invalid" and reason in problem.message


def test_a_sound_font_passes_and_its_verdict_is_remembered(tmp_path):
    path = tmp_path / "kai.ttf"
    path.write_bytes(tiny_font("甲正文"))
    assert font_damage(path) is None
    path.write_bytes(damaged_font("cmap", 8, b"\x7f\xff\xff\xff"))  # a new file: judged anew
    assert "cmap" in font_damage(path)


def test_build_and_check_report_a_damaged_font_in_one_line(tmp_path):
    """The damaged cmap once crashed the coverage check: 56 lines of traceback, and
    ``luoshu check --format json`` printed no JSON."""
    project = write(tmp_path / "book", {
        FONTS_TOML: KAI, "fonts/kai.ttf": damaged_font("cmap", 8, b"\x7f\xff\xff\xff"),
        "manuscript/01-a.md": WITH_CAPTION,
        "manuscript/photo.png": noise("PNG", (3000, 2000))})
    runner = CliRunner()
    checked = runner.invoke(main, ["check", str(project), "--format", "json"])
    assert checked.exit_code == 1 and checked.exception.__class__ is SystemExit
    (finding,) = [f for f in json.loads(checked.stdout)["findings"] if f["severity"] == "error"]
    assert (finding["path"], finding["line"], finding["code"]) == (FONTS_TOML, 1,
                                                                   "fonts-file-invalid")
    built = runner.invoke(main, ["build", str(project), "-o", str(tmp_path / "out"),
                                 "--format", "epub"])
    assert built.exit_code == 1 and isinstance(built.exception, SystemExit)
    assert "Traceback" not in built.output
    assert built.stderr.splitlines()[0] == f"{FONTS_TOML}:1: {finding['message']}"


# --- family names -----------------------------------------------------------------------------


def test_a_family_name_is_escaped_in_the_css(tmp_path):
    """A name that closes the string and the rule would have injected a url() into the print
    CSS: escaped, it is one string token, a family name and nothing else."""
    family = 'Kai"; } body { background: url(http://127.0.0.1:9/x) } x { </style>'
    project = write(tmp_path, {"fonts/kai.ttf": tiny_font("甲正文"), FONTS_TOML: (
        f"[caption]\nfamily = {json.dumps(family)}\nfiles = [\"kai.ttf\"]\n")})
    css = font_css(load_fonts(project, "zh-Hans"), embed=True)
    assert "</style" not in css.lower()
    rules = tinycss2.parse_stylesheet(css, skip_whitespace=True, skip_comments=True)
    assert [rule.type for rule in rules] == ["at-rule"] + ["qualified-rule"] * 4
    declarations = tinycss2.parse_blocks_contents(rules[0].content, skip_whitespace=True)
    names = [token.value for token in declarations[0].value if token.type == "string"]
    assert names == [family]
    assert not [token for rule in rules for token in _tokens(rule.content)
                if token.type == "url" or (token.type == "function" and token.name == "url"
                                           and "127.0.0.1" in tinycss2.serialize(token.arguments))]


def _tokens(tokens):
    for token in tokens or ():
        yield token
        yield from _tokens(getattr(token, "arguments", None) or getattr(token, "content", None))


@pytest.mark.parametrize("toml, words", [
    ('[body]\nfamily = "Song\\nTi"\n', ["holds U+000A", "write the family name as fc-list"]),
    ('[body]\nfamily = "' + "宋" * 300 + '"\n', ["is 300 characters long", "at most 200"]),
    ('[body]\nfallback = [3]\n', ["3 is not a family name"]),
    ('[body]\nfallback = {Hans = 3}\n', ["3 is not a family name"]),
    ('[body]\ngeneric = ["serif"]\n', ["generic must be one of"]),
    ('[body]\nfamily = "House"\nfiles = [1]\n', ["files lists 1, which is not a file name"]),
    ('[body]\nfamily = "House"\nfiles = ["a\\u0000.ttf"]\n', ["which is not a file name"]),
])
def test_fonts_toml_values_that_are_not_names_are_problems(tmp_path, toml, words):
    project = write(tmp_path, {FONTS_TOML: toml})
    problems = font_problems(project)
    assert problems and all(p.path == FONTS_TOML and p.line == 1 for p in problems)
    assert any(all(word in p.message for word in words) for p in problems), problems
    assert all(len(str(p)) < 300 for p in problems)


def test_fontconfig_pattern_characters_are_names_too():
    assert system_faces("Noto Sans CJK SC")
    assert system_faces("Noto Sans CJK SC:weight=200") == []  # not a query for a weight


def test_base_has_no_fonts_toml():
    assert FONTS_TOML not in BASE  # the cases above write their own
