"""book.toml → Config: valid input, every problem reported at once, with its line."""

from __future__ import annotations

import datetime as dt

import pytest
from helpers.projects import MINIMAL_HANS, TRADITIONAL_HANT

from luoshu.errors import ProjectError
from luoshu.model import Config
from luoshu.project.config import load_config, parse_config

BASE = '[book]\ntitle = "测试之书"\nlanguage = "zh-Hans"\n'


def problems_of(tmp_path, make_project, book_toml: str | bytes) -> list:
    project = make_project(tmp_path, {"book.toml": book_toml})
    with pytest.raises(ProjectError) as caught:
        load_config(project)
    return list(caught.value.problems)


def by_code(problems, code: str) -> list:
    return [p for p in problems if p.code == code]


# --- valid configurations -------------------------------------------------------------------


def test_full_fixture_config_is_typed():
    config = load_config(MINIMAL_HANS)
    book = config.book
    assert isinstance(config, Config)
    assert book.title == "洛书小样"
    assert book.subtitle == "一个用于测试的示例项目"
    assert book.language == "zh-Hans"
    assert book.script == "Hans"
    assert book.authors == ("张三", "李四")
    assert book.publisher == "洛书出版社"
    assert book.date == dt.date(2024, 5, 1)
    assert book.identifier == "urn:isbn:978-7-02-000220-7"
    assert book.subjects == ("测试", "排版")
    assert book.rights.startswith("©")
    assert config.output.formats == ("epub", "pdf")
    assert config.output.basename == "minimal"
    assert config.print.font_size_pt == 10.5
    assert config.epub.font_size == "1em"


def test_traditional_fixture_is_hant():
    config = load_config(TRADITIONAL_HANT)
    assert config.book.language == "zh-Hant"
    assert config.book.script == "Hant"


def test_defaults_for_optional_tables(tmp_path, make_project):
    config = load_config(make_project(tmp_path, {}))
    assert config.output.formats == ("epub", "pdf")
    assert config.output.basename == "book"
    assert config.print.trim_width_mm == 185.0
    assert config.book.authors == ()
    assert config.book.date is None


def test_date_as_string_and_integers_as_floats(tmp_path, make_project):
    text = BASE + 'date = "2023-12-31"\n\n[print]\ntrim_width_mm = 148\ntrim_height_mm = 210\nline_height = 1.6\n'
    config = load_config(make_project(tmp_path, {"book.toml": text}))
    assert config.book.date == dt.date(2023, 12, 31)
    assert config.print.trim_width_mm == 148.0
    assert isinstance(config.print.trim_width_mm, float)


@pytest.mark.parametrize("isbn", ["urn:isbn:9787020002207", "urn:isbn:0-306-40615-2",
                                  "urn:isbn:978-0-306-40615-7", "URN:ISBN:080442957X"])
def test_valid_isbns_accepted(tmp_path, make_project, isbn):
    config = load_config(make_project(tmp_path, {"book.toml": BASE + f'identifier = "{isbn}"\n'}))
    assert config.book.identifier == isbn


def test_derived_identifier_is_a_stable_uuid():
    first = parse_config({"book": {"title": "洛书", "language": "zh-Hans"}})
    second = parse_config({"book": {"title": "洛书", "language": "zh-Hant"}})
    other = parse_config({"book": {"title": "河图", "language": "zh-Hans"}})
    assert first.book.identifier.startswith("urn:uuid:")
    assert first.book.identifier == second.book.identifier  # depends on the title only
    assert other.book.identifier != first.book.identifier


def test_derived_identifier_equal_across_loads(tmp_path, make_project):
    project = make_project(tmp_path, {})
    first, second = load_config(project), load_config(project)
    assert first.book.identifier == second.book.identifier
    # Pinned: readers and stores key books on it, so it must not change between versions.
    assert first.book.identifier == "urn:uuid:2a5f8267-7f04-5273-944f-b1c9c8b213f1"


def test_bom_and_crlf_accepted(tmp_path, make_project):
    text = "\ufeff[book]\r\ntitle = \"洛书\"\r\nlanguage = \"zh-Hant\"\r\nauthors = [\"甲\"]\r\n"
    config = load_config(make_project(tmp_path, {"book.toml": text.encode("utf-8")}))
    assert config.book.title == "洛书"
    assert config.book.language == "zh-Hant"
    assert config.book.authors == ("甲",)


def test_values_are_stripped(tmp_path, make_project):
    text = '[book]\ntitle = "  洛书  "\nlanguage = "zh-Hans"\nauthors = [" 甲 "]\n'
    config = load_config(make_project(tmp_path, {"book.toml": text}))
    assert config.book.title == "洛书"
    assert config.book.authors == ("甲",)


# --- problems -------------------------------------------------------------------------------


def test_no_book_toml(tmp_path):
    with pytest.raises(ProjectError) as caught:
        load_config(tmp_path)
    (problem,) = caught.value.problems
    assert problem.code == "config-missing"
    assert "book.toml" in str(problem)


@pytest.mark.parametrize("missing", ["title", "language"])
def test_missing_required_key(tmp_path, make_project, missing):
    lines = {"title": 'title = "洛书"', "language": 'language = "zh-Hans"'}
    text = "[book]\n" + "\n".join(v for k, v in lines.items() if k != missing) + "\n"
    problems = problems_of(tmp_path, make_project, text)
    (problem,) = problems
    assert problem.code == "config-required"
    assert f"needs {missing}" in problem.message
    assert problem.line == 1  # the [book] header


def test_empty_or_blank_title_is_missing(tmp_path, make_project):
    problems = problems_of(tmp_path, make_project, '[book]\ntitle = "   "\nlanguage = "zh-Hans"\n')
    assert [p.code for p in problems] == ["config-required"]


def test_missing_book_table(tmp_path, make_project):
    problems = problems_of(tmp_path, make_project, '[output]\nbasename = "x"\n')
    assert {p.message.split(":")[0] for p in problems} == {"[book] needs title",
                                                           "[book] needs language"}


def test_unknown_key_suggests_closest(tmp_path, make_project):
    text = '[book]\ntitel = "洛书"\nlanguage = "zh-Hans"\n'
    problems = problems_of(tmp_path, make_project, text)
    unknown = by_code(problems, "config-unknown-key")
    assert len(unknown) == 1
    assert "'titel'" in unknown[0].message
    assert "did you mean 'title'?" in unknown[0].message
    assert unknown[0].line == 2
    assert str(unknown[0]).startswith("book.toml:2: ")
    assert by_code(problems, "config-required")  # and title is still missing


def test_unknown_key_in_other_tables_and_unknown_table(tmp_path, make_project):
    text = BASE + '\n[print]\nfont_size = 11\n\n[outptu]\nformats = ["epub"]\n'
    problems = problems_of(tmp_path, make_project, text)
    messages = {p.line: p.message for p in problems}
    assert "'font_size' in [print]" in messages[6]
    assert "did you mean 'font_size_pt'?" in messages[6]
    assert "unknown table 'outptu'" in messages[8]
    assert "did you mean 'output'?" in messages[8]


@pytest.mark.parametrize("line, expected", [
    ('authors = "张三"', "authors must be a list of strings"),
    ('authors = ["张三", 3]', "authors must be a list of strings"),
    ("title = 1", "title must be a string"),
    ('date = "2024-13-01"', "date must be a date (YYYY-MM-DD)"),
    ("date = 2024-01-01T10:00:00", "date must be a date (YYYY-MM-DD)"),
    ("subjects = 3", "subjects must be a list of strings"),
])
def test_wrong_types_in_book(tmp_path, make_project, line, expected):
    key = line.split(" =")[0]
    lines = {"title": 'title = "洛书"', "language": 'language = "zh-Hans"', key: line}
    text = "[book]\n" + "\n".join(lines.values()) + "\n"
    problems = by_code(problems_of(tmp_path, make_project, text), "config-type")
    assert len(problems) == 1
    assert expected in problems[0].message
    assert problems[0].line == text.split("\n").index(line) + 1


@pytest.mark.parametrize("value", ["true", '"big"'])
def test_print_numbers_reject_booleans_and_strings(tmp_path, make_project, value):
    problems = problems_of(tmp_path, make_project, BASE + f"\n[print]\nline_height = {value}\n")
    (problem,) = problems
    assert problem.code == "config-type"
    assert "line_height must be a number" in problem.message
    assert problem.line == 6


def test_table_given_as_value(tmp_path, make_project):
    problems = problems_of(tmp_path, make_project, 'output = 1\n' + BASE)
    assert any(p.code == "config-type" and "output must be a table" in p.message
               for p in problems)


@pytest.mark.parametrize("tag", ["zh_CN", "chinese", "zh-", "zh-Hans-", "12"])
def test_bad_language_tag(tmp_path, make_project, tag):
    text = f'[book]\ntitle = "洛书"\nlanguage = "{tag}"\n'
    (problem,) = problems_of(tmp_path, make_project, text)
    assert problem.code == "config-language"
    assert repr(tag) in problem.message
    assert problem.line == 3


@pytest.mark.parametrize("tag", ["zh", "zh-Hans", "zh-Hant", "zh-Hant-TW", "zh-CN", "en-US"])
def test_good_language_tags(tmp_path, make_project, tag):
    text = f'[book]\ntitle = "洛书"\nlanguage = "{tag}"\n'
    assert load_config(make_project(tmp_path, {"book.toml": text})).book.language == tag


@pytest.mark.parametrize("isbn", ["urn:isbn:9787020002208", "urn:isbn:978702000220",
                                  "urn:isbn:7-02-000220-8", "urn:isbn:abc"])
def test_bad_isbn(tmp_path, make_project, isbn):
    (problem,) = problems_of(tmp_path, make_project, BASE + f'identifier = "{isbn}"\n')
    assert problem.code == "config-isbn"
    assert problem.line == 4
    assert "not a valid ISBN" in problem.message


def test_output_and_print_values(tmp_path, make_project):
    text = BASE + ('\n[output]\nformats = ["epub", "mobi"]\nbasename = "a/b"\n'
                   '\n[print]\nmargin_top_mm = 0\n')
    problems = problems_of(tmp_path, make_project, text)
    assert {(p.code, p.line) for p in problems} == {
        ("config-format", 6), ("config-basename", 7), ("config-range", 10)}


def test_all_problems_reported_at_once_with_lines(tmp_path, make_project):
    text = (
        "[book]\n"                          # 1
        'titel = "洛书"\n'                   # 2  unknown key (and title missing → line 1)
        'language = "zh_CN"\n'              # 3  bad tag
        'authors = "张三"\n'                 # 4  wrong type
        'identifier = "urn:isbn:9787020002208"\n'  # 5  bad check digit
        "\n"                                # 6
        "[print]\n"                         # 7
        "trim_width_mm = -1\n"              # 8  not positive
        'font_size_pt = "big"\n'            # 9  wrong type
        "\n"                                # 10
        "[extra]\n"                         # 11 unknown table
        "x = 1\n"                           # 12
    )
    problems = problems_of(tmp_path, make_project, text)
    found = sorted((p.line, p.code) for p in problems)
    assert found == [
        (1, "config-required"),
        (2, "config-unknown-key"),
        (3, "config-language"),
        (4, "config-type"),
        (5, "config-isbn"),
        (8, "config-range"),
        (9, "config-type"),
        (11, "config-unknown-key"),
    ]
    assert all(str(p).startswith(f"book.toml:{p.line}: ") for p in problems)


def test_toml_syntax_error_has_line_and_column(tmp_path, make_project):
    (problem,) = problems_of(tmp_path, make_project, '[book]\ntitle = "洛书"\nlanguage = zh\n')
    assert problem.code == "config-syntax"
    assert (problem.line, problem.column) == (3, 12)
    assert str(problem).startswith("book.toml:3:12: not valid TOML")
    assert "(at line" not in problem.message


def test_toml_syntax_error_line_with_crlf_and_bom(tmp_path, make_project):
    text = '\ufeff[book]\r\ntitle = "洛书"\r\nlanguage = "zh-Hans\r\n'
    (problem,) = problems_of(tmp_path, make_project, text.encode("utf-8"))
    assert problem.code == "config-syntax"
    assert problem.line == 3


def test_duplicate_key_is_a_syntax_error(tmp_path, make_project):
    (problem,) = problems_of(tmp_path, make_project, BASE + 'title = "再来"\n')
    assert problem.code == "config-syntax"
    assert problem.line == 4


def test_non_utf8_book_toml_is_a_problem(tmp_path, make_project):
    text = '[book]\ntitle = "洛书"\nlanguage = "zh-Hans"\n'.encode("gb18030")
    problems = problems_of(tmp_path, make_project, text)
    assert any("UTF-8" in p.message for p in problems)


@pytest.mark.parametrize("identifier", ["hello", "urn:uuid:not-a-uuid"])
def test_identifier_must_be_isbn_or_uuid_urn(tmp_path, make_project, identifier):
    problems = problems_of(tmp_path, make_project, BASE + f'identifier = "{identifier}"\n')
    assert problems and problems[0].line == 4


# --- [typography] ---------------------------------------------------------------------------


def test_typography_defaults(tmp_path, make_project):
    typography = load_config(make_project(tmp_path, {})).typography
    assert typography.normalize_punctuation is True
    assert typography.quotes == "auto"
    assert typography.ignore == ()
    assert typography.quote_style("Hans") == "curly"
    assert typography.quote_style("Hant") == "corner"


def test_typography_values(tmp_path, make_project):
    text = BASE + ('\n[typography]\nnormalize_punctuation = false\nquotes = "corner"\n'
                   'ignore = ["ls204", "LS101"]\n')
    typography = load_config(make_project(tmp_path, {"book.toml": text})).typography
    assert typography.normalize_punctuation is False
    assert typography.quote_style("Hans") == "corner"
    assert typography.ignore == ("LS204", "LS101")


def test_typography_problems(tmp_path, make_project):
    text = BASE + ('\n[typography]\nnormalize_punctuation = "yes"\nquotes = "straight"\n'
                   'ignore = ["LS999"]\n')
    problems = problems_of(tmp_path, make_project, text)
    assert {(p.code, p.line) for p in problems} == {
        ("config-type", 6), ("config-quotes", 7), ("config-check-code", 8)}
    (wrong_type,) = by_code(problems, "config-type")
    assert "normalize_punctuation must be true or false" in wrong_type.message


def test_displayed_metadata_is_normalized(tmp_path, make_project):
    text = ('[book]\ntitle = "洛阳,郑州"\nlanguage = "zh-Hant"\nsubtitle = "他說:\\"好\\""\n'
            'description = "古都(洛阳)."\nauthors = ["甲,乙"]\n')
    book = load_config(make_project(tmp_path, {"book.toml": text})).book
    assert (book.title, book.subtitle, book.description) == ("洛阳，郑州", "他說：「好」", "古都（洛阳）。")
    assert book.authors == ("甲,乙",)  # names are not prose
    # The derived identifier comes from the title as written, so normalizing changes no identifier.
    assert book.identifier == parse_config({"book": {"title": "洛阳,郑州",
                                                     "language": "zh-Hans"}}).book.identifier


def test_displayed_metadata_kept_when_normalization_is_off(tmp_path, make_project):
    text = ('[book]\ntitle = "洛阳,郑州"\nlanguage = "zh-Hans"\n'
            "[typography]\nnormalize_punctuation = false\n")
    assert load_config(make_project(tmp_path, {"book.toml": text})).book.title == "洛阳,郑州"


# --- [print]: trim sizes and the press --------------------------------------------------------


@pytest.mark.parametrize("trim, size", [
    ("16k", (185, 260)), ("32k", (130, 184)), ("big32k", (140, 203)), ("big16k", (210, 285)),
    ("a4", (210, 297)), ("A5", (148, 210)), ("b5", (176, 250)),
])
def test_trim_presets(tmp_path, make_project, trim, size):
    project = make_project(tmp_path, {"book.toml": BASE + f'[print]\ntrim = "{trim}"\n'})
    options = load_config(project).print
    assert (options.trim_width_mm, options.trim_height_mm) == size
    assert options.trim == trim.lower()


def test_custom_trim_and_press_options(tmp_path, make_project):
    project = make_project(tmp_path, {"book.toml": BASE + (
        "[print]\ntrim_width_mm = 150\ntrim_height_mm = 230\nbleed_mm = 5\ncrop_marks = false\n"
        'press_profile = "profiles/printer.icc"\npress_condition = "FOGRA39"\n')})
    options = load_config(project).print
    assert (options.trim, options.trim_width_mm, options.trim_height_mm) == ("custom", 150, 230)
    assert options.trim_name is None
    assert (options.bleed_mm, options.crop_marks) == (5.0, False)
    assert (options.press_profile, options.press_condition) == ("profiles/printer.icc", "FOGRA39")
    assert load_config(make_project(tmp_path / "zero", {
        "book.toml": BASE + "[print]\nbleed_mm = 0\n"})).print.bleed_mm == 0


@pytest.mark.parametrize("print_table, code, words", [
    ('trim = "16kai"', "config-trim", "did you mean '16k'?"),
    ('trim = "a5"\ntrim_width_mm = 150', "config-trim", 'trim = "custom"'),
    ("trim_width_mm = 150", "config-trim", "needs both"),
    ("bleed_mm = 20", "config-range", "between 0 and 10"),
    ("margin_inner_mm = 80\nmargin_outer_mm = 80", "config-margins", "text block of 25 × 214 mm"),
])
def test_print_table_problems(tmp_path, make_project, print_table, code, words):
    (problem,) = problems_of(tmp_path, make_project, BASE + "[print]\n" + print_table + "\n")
    assert problem.code == code and words in problem.message, problem.message
    assert problem.line is not None


def test_pdf_press_is_a_format(tmp_path, make_project):
    project = make_project(tmp_path, {"book.toml": BASE + '[output]\nformats = ["pdf-press"]\n'})
    assert load_config(project).output.formats == ("pdf-press",)


# --- [book] encoding ------------------------------------------------------------------------


@pytest.mark.parametrize("written, codec", [("utf-8", "utf-8"), ("UTF8", "utf-8"),
                                            ("gb18030", "gb18030"), ("GBK", "gb18030"),
                                            ("gb2312", "gb18030")])
def test_encoding_names(tmp_path, make_project, written, codec):
    project = make_project(tmp_path, {"book.toml": BASE + f'encoding = "{written}"\n'})
    assert load_config(project).book.encoding == codec


def test_encoding_default_and_unknown(tmp_path, make_project):
    assert load_config(make_project(tmp_path / "a", {})).book.encoding == "utf-8"
    (problem,) = problems_of(tmp_path / "b", make_project, BASE + 'encoding = "big5"\n')
    assert (problem.code, problem.line) == ("config-encoding", 4)
    assert "'big5' is not supported" in problem.message and '"gb18030"' in problem.message
