"""House fonts: default and project fonts.toml, font CSS, and the "no tofu" coverage check."""

from __future__ import annotations

import pytest
from helpers.bad_projects import tiny_font
from helpers.projects import MINIMAL_HANS, TRADITIONAL_HANT

from luoshu.errors import ProjectError
from luoshu.fonts.roles import (
    FONTS_TOML,
    Coverage,
    check_coverage,
    font_css,
    load_fonts,
)
from luoshu.model import Book
from luoshu.project.config import load_config
from luoshu.project.manuscript import read_manuscript

RARE = "\U00020000"  # 𠀀, CJK Extension B: not in Noto Serif/Sans CJK
EMOJI = "\U0001F600"  # 😀


@pytest.fixture(scope="module")
def hans_fonts(tmp_path_factory):
    return load_fonts(tmp_path_factory.mktemp("no-fonts"), "zh-Hans")


@pytest.fixture(scope="module")
def hant_fonts(tmp_path_factory):
    return load_fonts(tmp_path_factory.mktemp("no-fonts"), "zh-Hant")


@pytest.fixture(scope="module")
def hans_coverage(hans_fonts):
    return Coverage(hans_fonts)


def font_problems(project) -> list:
    with pytest.raises(ProjectError) as caught:
        load_fonts(project, "zh-Hans")
    return list(caught.value.problems)


# --- defaults -------------------------------------------------------------------------------


def test_default_fonts_simplified(hans_fonts):
    assert hans_fonts.body.families == ("Noto Serif CJK SC",)
    assert hans_fonts.heading.families == ("Noto Sans CJK SC",)
    assert hans_fonts.caption.families == ("LXGW WenKai", "Noto Serif CJK SC")
    assert hans_fonts.code.families == ("Noto Sans Mono CJK SC",)
    assert [r.generic for r in hans_fonts.roles] == ["serif", "sans-serif", "serif", "monospace"]
    for role in hans_fonts.roles:
        assert role.faces, role.name
        assert all(face.path.is_file() and not face.in_project for face in role.faces)
        assert any(face.weight == 400 for face in role.faces), role.name


def test_default_fonts_traditional(hant_fonts):
    assert hant_fonts.body.families == ("Noto Serif CJK TC",)
    assert hant_fonts.heading.families == ("Noto Sans CJK TC",)
    assert hant_fonts.caption.families == ("LXGW WenKai", "Noto Serif CJK TC")
    assert hant_fonts.code.families == ("Noto Sans Mono CJK TC",)


@pytest.mark.parametrize("language", ["zh-TW", "zh-HK", "zh-Hant-TW"])
def test_regional_tags_select_traditional_fonts(tmp_path, language):
    assert load_fonts(tmp_path, language).body.families == ("Noto Serif CJK TC",)


def test_font_css_names_every_role(hans_fonts):
    css = font_css(hans_fonts, embed=True)
    assert 'body { font-family: "Noto Serif CJK SC", serif; }' in css
    assert ('h1, h2, h3, h4, h5, h6, .heading { font-family: "Noto Sans CJK SC", sans-serif; }'
            in css)
    assert 'figcaption, .caption { font-family: "LXGW WenKai", "Noto Serif CJK SC", serif; }' in css
    assert 'pre, code, kbd, samp { font-family: "Noto Sans Mono CJK SC", monospace; }' in css
    assert "@font-face" not in css  # system fonts are never embedded


# --- project fonts.toml ---------------------------------------------------------------------


def test_project_override_with_missing_family(tmp_path, make_project):
    project = make_project(tmp_path, {
        FONTS_TOML: '# 本社字体\n\n[body]\nfamily = "No Such Font 宋体"\n'})
    (problem,) = font_problems(project)
    assert problem.code == "fonts-missing"
    assert problem.path == "fonts/fonts.toml"
    assert problem.line == 3
    assert "'No Such Font 宋体'" in problem.message
    assert str(problem).startswith("fonts/fonts.toml:3: ")


def test_project_override_keeps_other_roles(tmp_path, make_project):
    project = make_project(tmp_path, {FONTS_TOML: '[heading]\nfamily = "Noto Serif CJK SC"\n'})
    fonts = load_fonts(project, "zh-Hans")
    assert fonts.heading.families == ("Noto Serif CJK SC",)
    assert fonts.heading.generic == "sans-serif"  # unchanged keys come from the defaults
    assert fonts.body.families == ("Noto Serif CJK SC",)


def test_project_family_by_script(tmp_path, make_project):
    project = make_project(tmp_path, {
        FONTS_TOML: '[body]\nfamily = { Hans = "Noto Sans CJK SC", Hant = "Noto Sans CJK TC" }\n'})
    assert load_fonts(project, "zh-Hant").body.families == ("Noto Sans CJK TC",)
    assert load_fonts(project, "zh-Hans").body.families == ("Noto Sans CJK SC",)


def test_unknown_role_and_key(tmp_path, make_project):
    project = make_project(tmp_path, {FONTS_TOML: (
        '[heading]\nfamily = "Noto Sans CJK SC"\nsize = 12\n\n[footer]\nfamily = "x"\n')})
    problems = {p.code: p for p in font_problems(project)}
    assert set(problems) == {"fonts-unknown-key", "fonts-unknown-role"}
    assert "'size'" in problems["fonts-unknown-key"].message
    assert problems["fonts-unknown-key"].line == 3
    assert "[footer]" in problems["fonts-unknown-role"].message
    assert problems["fonts-unknown-role"].line == 5
    assert all(p.path == FONTS_TOML for p in problems.values())


def test_bad_generic_and_missing_fallback(tmp_path, make_project):
    project = make_project(tmp_path, {FONTS_TOML: (
        '[code]\ngeneric = "mono"\n\n[caption]\nfallback = ["Nope Font"]\n')})
    problems = {p.code: p for p in font_problems(project)}
    assert set(problems) == {"fonts-generic", "fonts-missing"}
    assert problems["fonts-generic"].line == 1
    assert "'Nope Font'" in problems["fonts-missing"].message
    assert problems["fonts-missing"].line == 4


def test_project_font_files(tmp_path, make_project):
    project = make_project(tmp_path, {
        "fonts/house.ttf": tiny_font("A洛"),
        FONTS_TOML: '[body]\nfamily = "House Serif"\nfiles = ["house.ttf"]\n'})
    fonts = load_fonts(project, "zh-Hans")
    (face,) = fonts.body.faces
    assert face.in_project and face.family == "House Serif" and face.weight == 400
    assert face.path == (project / "fonts" / "house.ttf").resolve()
    coverage = Coverage(fonts)
    assert coverage.missing("A洛 A洛", "body") == []
    assert coverage.missing("洛书B书", "body") == ["书", "B"]
    css = font_css(fonts, embed=True, base="../")
    assert ('@font-face { font-family: "House Serif"; src: url("../fonts/house.ttf"); '
            'font-weight: 400; }') in css
    assert "@font-face" not in font_css(fonts, embed=False)


@pytest.mark.parametrize("files, code", [
    ('["missing.otf"]', "fonts-file-missing"),
    ('["../book.toml"]', "fonts-file-missing"),
    ('["broken.ttf"]', "fonts-file-invalid"),
])
def test_bad_project_font_files(tmp_path, make_project, files, code):
    project = make_project(tmp_path, {
        "fonts/broken.ttf": b"not a font at all",
        FONTS_TOML: f'[body]\nfamily = "House"\nfiles = {files}\n'})
    (problem,) = font_problems(project)
    assert problem.code == code
    assert problem.path == FONTS_TOML and problem.line == 1


def test_fonts_toml_syntax_error_has_line(tmp_path, make_project):
    project = make_project(tmp_path, {FONTS_TOML: '[body]\nfamily = \n'})
    (problem,) = font_problems(project)
    assert problem.line == 2


def test_role_that_is_not_a_table_is_a_problem(tmp_path, make_project):
    project = make_project(tmp_path, {FONTS_TOML: 'body = "Noto Serif CJK SC"\n'})
    problems = font_problems(project)
    assert problems and problems[0].path == FONTS_TOML


def test_fallback_given_as_one_name(tmp_path, make_project):
    project = make_project(tmp_path, {FONTS_TOML: '[body]\nfallback = "Noto Sans CJK SC"\n'})
    fonts = load_fonts(project, "zh-Hans")
    assert fonts.body.families == ("Noto Serif CJK SC", "Noto Sans CJK SC")


def test_unknown_key_line_ignores_comments(tmp_path, make_project):
    project = make_project(tmp_path, {FONTS_TOML: (
        '# the size of text is set in CSS\n[heading]\nfamily = "Noto Sans CJK SC"\nsize = 12\n')})
    (problem,) = font_problems(project)
    assert problem.line == 4


# --- coverage -------------------------------------------------------------------------------


def test_coverage_finds_emoji_and_rare_cjk(hans_coverage):
    text = f"洛书{EMOJI}与{RARE}，再次{EMOJI}。"
    assert hans_coverage.missing(text, "body") == [EMOJI, RARE]
    assert hans_coverage.missing(text, "caption") == [EMOJI, RARE]
    assert hans_coverage.missing(text, "heading") == [EMOJI, RARE]


def test_coverage_covers_ordinary_text(hans_coverage):
    text = "洛书 Luoshu 2024，「引号」“引号”《书名》——破折号……省略号·间隔号"
    for role in ("body", "heading", "caption", "code"):
        assert hans_coverage.missing(text, role) == [], role


@pytest.mark.parametrize("char", [" ", "\t", "\n", "\u3000", "\u00a0", "\u200b", "\u200d",
                                  "\ufe0f", "\ufe00", "\U000E0100", "\u00ad"])
def test_coverage_skips_invisible_characters(hans_coverage, char):
    assert hans_coverage.missing(f"中{char}文", "body") == []


def test_coverage_is_cached_per_role(hans_coverage):
    assert hans_coverage.covered("body") is hans_coverage.covered("body")
    assert ord("洛") in hans_coverage.covered("body")


def test_traditional_text_covered(hant_fonts):
    coverage = Coverage(hant_fonts)
    text = (TRADITIONAL_HANT / "manuscript" / "01-preface.md").read_text(encoding="utf-8")
    assert coverage.missing(text, "body") == []


# --- check_coverage on a whole book ---------------------------------------------------------


def book_of(project) -> Book:
    config = load_config(project)
    fonts = load_fonts(project, config.book.language)
    manuscript = read_manuscript(project, config)
    return Book(project.resolve(), config, manuscript.sections, manuscript.gallery, fonts,
                manuscript.stylesheets)


def test_fixture_books_have_no_missing_glyphs():
    assert check_coverage(book_of(MINIMAL_HANS)) == []
    assert check_coverage(book_of(TRADITIONAL_HANT)) == []


def test_check_coverage_names_code_point_character_file_and_line(tmp_path, make_project):
    project = make_project(tmp_path, {
        "manuscript/01-a.md": f"# 标题\n\n第一段。\n\n罕见字{RARE}在此。\n"})
    (problem,) = check_coverage(book_of(project))
    assert problem.code == "font-missing-glyph"
    assert problem.path == "manuscript/01-a.md"
    assert problem.line == 5
    assert "U+20000" in problem.message
    assert RARE in problem.message
    assert str(problem).startswith("manuscript/01-a.md:5: ")


def test_check_coverage_lines_count_front_matter(tmp_path, make_project):
    project = make_project(tmp_path, {
        "manuscript/01-a.md": f"---\ntitle: 标题\n---\n\n表情{EMOJI}\n"})
    (problem,) = check_coverage(book_of(project))
    assert problem.line == 5
    assert "U+1F600" in problem.message


def test_check_coverage_one_problem_per_character_and_file(tmp_path, make_project):
    project = make_project(tmp_path, {
        "manuscript/01-a.md": f"# 标题\n\n{EMOJI}\n\n{EMOJI}\n\n{EMOJI}{RARE}\n",
        "manuscript/02-b.md": f"# 二\n\n{EMOJI}\n"})
    problems = check_coverage(book_of(project))
    where = sorted((p.path, p.line, "U+1F600" in p.message) for p in problems)
    assert where == [("manuscript/01-a.md", 3, True), ("manuscript/01-a.md", 7, False),
                     ("manuscript/02-b.md", 3, True)]
    first = next(p for p in problems if p.path == "manuscript/01-a.md" and p.line == 3)
    assert "(and 2 more line(s) in this file)" in first.message


def test_check_coverage_captions_and_metadata(tmp_path, make_project, make_image):
    project = make_project(tmp_path, {
        "book.toml": f'[book]\ntitle = "书名{EMOJI}"\nlanguage = "zh-Hans"\n',
        "manuscript/01-a.md": "# 标题\n\n正文。\n",
        "manuscript/photos/a.jpg": make_image(),
        "manuscript/captions.toml": (
            f'[[photo]]\nfile = "photos/a.jpg"\ncaption = "好"\n\n'
            f'[[photo]]\nfile = "photos/a.jpg"\ncaption = "图说"\ncredit = "摄影{RARE}"\n')})
    problems = check_coverage(book_of(project))
    assert sorted(str(p.path) for p in problems) == ["book.toml", "manuscript/captions.toml"]
    caption = next(p for p in problems if p.path == "manuscript/captions.toml")
    assert caption.line == 5 and "U+20000" in caption.message


def test_check_coverage_uses_the_code_font_in_fences(tmp_path, make_project):
    # A code font with only a, b, c: x, y, z are missing in the fence, covered in the body.
    project = make_project(tmp_path, {
        "fonts/code.ttf": tiny_font("abc", family="Tiny Mono"),
        FONTS_TOML: '[code]\nfamily = "Tiny Mono"\nfiles = ["code.ttf"]\n',
        "manuscript/01-a.md": "# 标题\n\n正文 xyz。\n\n```\nabc\nxyz\n```\n"})
    problems = check_coverage(book_of(project))
    assert {(p.line, p.message.split()[4]) for p in problems} == {
        (7, "U+0078"), (7, "U+0079"), (7, "U+007A")}


def test_check_coverage_metadata_problem_has_a_line(tmp_path, make_project):
    project = make_project(tmp_path, {
        "book.toml": f'[book]\nlanguage = "zh-Hans"\ntitle = "书名{EMOJI}"\n',
        "manuscript/01-a.md": "# 标题\n"})
    (problem,) = check_coverage(book_of(project))
    assert (problem.path, problem.line) == ("book.toml", 3)
