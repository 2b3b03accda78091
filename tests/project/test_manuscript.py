"""Reading the manuscript: section order and titles, encodings, punctuation normalization.

captions.toml and photos are in test_captions.py, which uses the helpers here.
"""

from __future__ import annotations

from helpers.manuscripts import book_toml, problems_of, read
from helpers.projects import MINIMAL_HANS, TRADITIONAL_HANT
from lxml import etree

# --- the fixture projects -------------------------------------------------------------------


def test_minimal_fixture():
    manuscript = read(MINIMAL_HANS)
    assert [s.id for s in manuscript.sections] == ["01-intro", "02-data", "03-afterword"]
    assert [s.title for s in manuscript.sections] == ["引言", "数据与代码", "后记"]
    intro, data, _ = manuscript.sections
    assert intro.source.path == "manuscript/01-intro.md"
    assert [p.file for p in intro.photos] == ["photos/harbour.jpg"]
    assert intro.photos[0].caption == "洛河上的码头，清晨"
    assert [p.file for p in data.photos] == ["photos/bridge.png"]
    assert data.photos[0].credit == "摄影：王五"
    assert [p.file for p in manuscript.gallery] == ["photos/street.jpg"]
    assert manuscript.gallery[0].section is None
    assert manuscript.stylesheets == ("styles/house.css",)
    assert manuscript.warnings == ()
    for section in manuscript.sections:
        etree.fromstring(f"<div>{section.html}</div>")


def test_traditional_fixture():
    (section,) = read(TRADITIONAL_HANT).sections
    assert section.id == "01-preface" and section.title == "序言"
    assert "「這本書是用繁體字排印的。」臺灣" in section.html


# --- sections -------------------------------------------------------------------------------


def test_sections_in_file_name_order(tmp_path, make_project):
    project = make_project(tmp_path, {
        "manuscript/10-end.md": "# 终\n",
        "manuscript/02-b.md": "# 乙\n",
        "manuscript/01-a.md": "# 甲\n",
        "manuscript/notes.txt": "不是章节\n",
    })
    assert [s.id for s in read(project).sections] == ["01-a", "02-b", "10-end"]


def test_han_section_ids(tmp_path, make_project):
    project = make_project(tmp_path, {"manuscript/第一章.md": "# 第一章\n"})
    (section,) = read(project).sections
    assert section.id == "第一章"
    assert 'id="sec-第一章--title"' in section.html


def test_sections_order_from_book_toml(tmp_path, make_project):
    project = make_project(tmp_path, {
        "book.toml": book_toml(sections=["02-b", "01-a"]),
        "manuscript/01-a.md": "# 甲\n",
        "manuscript/02-b.md": "# 乙\n",
        "manuscript/03-c.md": "# 丙\n",
    })
    manuscript = read(project)
    assert [s.id for s in manuscript.sections] == ["02-b", "01-a"]
    (warning,) = manuscript.warnings
    assert warning.severity == "warning" and warning.code == "sections-unlisted"
    assert "03-c.md" in warning.message


def test_unknown_section_in_book_toml(tmp_path, make_project):
    project = make_project(tmp_path, {
        "book.toml": book_toml(sections=["01-a", "09-x"]),
        "manuscript/01-a.md": "# 甲\n",
    })
    (problem,) = problems_of(project)
    assert problem.code == "sections-unknown"
    assert problem.path == "book.toml"
    assert "'09-x'" in problem.message and "manuscript/09-x.md" in problem.message


def test_unknown_section_problem_has_a_line(tmp_path, make_project):
    project = make_project(tmp_path, {
        "book.toml": book_toml(sections=["01-a", "09-x"]),
        "manuscript/01-a.md": "# 甲\n",
    })
    (problem,) = problems_of(project)
    assert problem.line == 4  # the sections = [...] line


def test_section_listed_twice_is_a_problem(tmp_path, make_project):
    project = make_project(tmp_path, {
        "book.toml": book_toml(sections=["01-a", "01-a"]),
        "manuscript/01-a.md": "# 甲\n",
    })
    assert problems_of(project)


def test_front_matter_title(tmp_path, make_project):
    project = make_project(tmp_path, {
        "manuscript/01-a.md": "---\ntitle: \"前言\"\n---\n\n正文。\n",
        "manuscript/02-b.md": "---\ntitle: 目录之外\n---\n\n# 正文标题\n",
    })
    first, second = read(project).sections
    assert first.title == "前言"
    assert first.html.startswith('<h1 id="sec-01-a--title">前言</h1>')
    assert second.title == "目录之外"  # front matter wins over the heading


def test_first_heading_is_the_title(tmp_path, make_project):
    project = make_project(tmp_path, {"manuscript/01-a.md": "正文。\n\n# 第一\n\n# 第二\n"})
    (section,) = read(project).sections
    assert section.title == "第一"
    assert section.text == "正文。\n\n# 第一\n\n# 第二\n"


def test_missing_title(tmp_path, make_project):
    project = make_project(tmp_path, {"manuscript/01-a.md": "只有正文。\n\n## 二级标题\n"})
    (problem,) = problems_of(project)
    assert problem.code == "section-title"
    assert str(problem).startswith("manuscript/01-a.md:1: ")


def test_front_matter_problems(tmp_path, make_project):
    project = make_project(tmp_path, {
        "manuscript/01-a.md": "---\ntitle: 甲\nauthor: 某人\n---\n# 甲\n",
        "manuscript/02-b.md": "---\ntitle: 乙\n\n# 乙\n",
    })
    problems = sorted((p.path, p.line, p.code) for p in problems_of(project))
    assert problems == [("manuscript/01-a.md", 3, "front-matter"),
                        ("manuscript/02-b.md", 1, "front-matter")]


def test_gb18030_file(tmp_path, make_project):
    project = make_project(tmp_path, {
        "manuscript/01-a.md": "# 甲\n\n第二段。\n".encode("gb18030")})
    (problem,) = problems_of(project)
    assert problem.code == "encoding"
    assert problem.path == "manuscript/01-a.md"
    assert "GB18030" in problem.message
    assert "iconv -f GB18030 -t UTF-8" in problem.message


def test_non_utf8_line_is_reported(tmp_path, make_project):
    data = "# 甲\n\nplain\n".encode() + "第三行".encode("gb18030") + b"\n"
    project = make_project(tmp_path, {"manuscript/01-a.md": data})
    (problem,) = problems_of(project)
    assert problem.line == 4


def test_bom_and_crlf(tmp_path, make_project):
    text = "\ufeff---\r\ntitle: 甲\r\n---\r\n\r\n第一\r\n行。\r\n"
    project = make_project(tmp_path, {"manuscript/01-a.md": text.encode("utf-8")})
    (section,) = read(project).sections
    assert section.title == "甲"
    assert "\r" not in section.text and "\ufeff" not in section.text
    assert "<p>第一行。</p>" in section.html


def test_every_problem_of_every_file_reported(tmp_path, make_project):
    project = make_project(tmp_path, {
        "manuscript/01-a.md": "没有标题\n",
        "manuscript/02-b.md": "# 乙\n".encode("gb18030"),
        "manuscript/03 c.md": "# 丙\n",
        "manuscript/04-d.md": "# 丁\n\n![缺](photos/none.jpg)\n",
    })
    codes = sorted(p.code for p in problems_of(project))
    assert codes == ["encoding", "resource-missing", "section-id", "section-title"]


def test_empty_and_missing_manuscript(tmp_path, make_project):
    (problem,) = problems_of(make_project(tmp_path / "a", {"manuscript/readme.txt": "x"}))
    assert problem.code == "manuscript-empty"
    (problem,) = problems_of(make_project(tmp_path / "b", {}))
    assert problem.code == "manuscript-missing"


# --- punctuation normalization --------------------------------------------------------------


def test_sections_are_typeset_with_normalized_punctuation(tmp_path, make_project, make_image):
    source = ('---\ntitle: 导语,一\n---\n\n洛阳,郑州:"中原"(河南).\n\n代码`a,b`照旧,'
              '![图](photos/a.jpg "码头,清晨")\n')
    project = make_project(tmp_path, {"manuscript/01-a.md": source,
                                      "manuscript/photos/a.jpg": make_image()})
    (section,) = read(project).sections
    assert section.title == "导语，一"
    assert "洛阳，郑州：“中原”（河南）。" in section.html
    assert "a,b</code>照旧，" in section.html
    assert section.photos[0].caption == "码头，清晨"
    # What is typeset, line for line with the source: the font check sees the full-width marks.
    assert section.text.splitlines()[4] == "洛阳，郑州：“中原”（河南）。"
    assert len(section.text.splitlines()) == len(source.splitlines())


def test_traditional_sections_get_corner_quotes(tmp_path, make_project):
    project = make_project(tmp_path, {
        "book.toml": '[book]\ntitle = "書"\nlanguage = "zh-Hant"\n',
        "manuscript/01-a.md": '# 甲\n\n他說:"好",她說“對”。\n'})
    (section,) = read(project).sections
    assert "他說：「好」，她說「對」。" in section.html


def test_normalization_can_be_turned_off(tmp_path, make_project):
    project = make_project(tmp_path, {
        "book.toml": '[book]\ntitle = "书"\nlanguage = "zh-Hans"\n[typography]\n'
                     "normalize_punctuation = false\n",
        "manuscript/01-a.md": "# 甲\n\n洛阳,郑州\n"})
    (section,) = read(project).sections
    assert "洛阳,郑州" in section.html


# --- footnotes ------------------------------------------------------------------------------


def footnote_problems(project) -> list[tuple[int, int, str]]:
    return [(p.line, p.column, p.message) for p in problems_of(project)]


def test_defined_footnotes_are_fine(tmp_path, make_project):
    project = make_project(tmp_path, {"manuscript/01-a.md": (
        "# 甲\n\n正文[^1]，又一处[^注]。\n\n[^1]: 第一条。\n  [^注]: 缩进的定义也算。\n")})
    (section,) = read(project).sections
    assert "[^" not in section.html


def test_undefined_footnote_with_line_and_column(tmp_path, make_project):
    project = make_project(tmp_path, {"manuscript/01-a.md": (
        "---\ntitle: 甲\n---\n\n洛阳[^a]与郑州[^b]，[^B]。\n\n[^a]: 有定义。\n")})
    assert footnote_problems(project) == [
        (5, 10, 'footnote [^b] has no definition: add a line "[^b]: …"'),
        (5, 15, 'footnote [^B] has no definition: add a line "[^B]: …"'),  # labels keep case
    ]


def test_footnote_syntax_in_code_escapes_and_front_matter_is_not_a_reference(tmp_path,
                                                                             make_project):
    project = make_project(tmp_path, {"manuscript/01-a.md": (
        "---\ntitle: 甲[^0]\n---\n\n代码`a[^1]`照旧。\n\n```\nx[^2]\n```\n\n"
        "转义\\[^3]。\n\n    缩进代码[^4]\n")})
    (section,) = read(project).sections
    assert section.title == "甲[^0]"


def test_a_definition_inside_code_defines_nothing(tmp_path, make_project):
    project = make_project(tmp_path, {"manuscript/01-a.md": (
        "# 甲\n\n正文[^1]。\n\n```\n[^1]: 这只是代码。\n```\n")})
    assert [(line, column) for line, column, _ in footnote_problems(project)] == [(3, 3)]


# --- section ids ----------------------------------------------------------------------------


def test_ids_differing_only_in_case_clash(tmp_path, make_project):
    project = make_project(tmp_path, {"manuscript/01-Intro.md": "# 甲\n",
                                      "manuscript/01-intro.md": "# 乙\n"})
    (problem,) = problems_of(project)
    assert problem.code == "section-id-clash"
    assert problem.path == "manuscript/01-intro.md"
    assert "'01-Intro' (01-Intro.md) only in letter case" in problem.message


# --- [book] encoding ------------------------------------------------------------------------


def test_declared_gb18030_sections_and_captions(tmp_path, make_project, make_image):
    project = make_project(tmp_path, {
        "book.toml": book_toml(encoding="gb18030"),
        "manuscript/01-a.md": "# 甲\n\n牡丹。\n".encode("gb18030"),
        "manuscript/02-b.md": "\ufeff# 乙\r\n\r\n已是UTF-8。\r\n".encode("utf-8"),
        "manuscript/photos/a.jpg": make_image(),
        "manuscript/captions.toml": ('[[photo]]\nfile = "photos/a.jpg"\ncaption = "洛河"\n'
                                     'alt = "码头"\n').encode("gb18030"),
    })
    manuscript = read(project)
    assert [s.title for s in manuscript.sections] == ["甲", "乙"]
    assert "<p>牡丹。</p>" in manuscript.sections[0].html
    assert "已是" in manuscript.sections[1].html
    assert manuscript.gallery[0].caption == "洛河"


def test_utf8_files_stay_utf8_under_gb18030(tmp_path, make_project):
    # UTF-8 Chinese decodes as GB18030 without an error, into mojibake: it must not be.
    project = make_project(tmp_path, {"book.toml": book_toml(encoding="gb18030"),
                                      "manuscript/01-a.md": "# 中文标题\n\n正文。\n"})
    assert read(project).sections[0].title == "中文标题"


def test_gb18030_hint_names_the_setting(tmp_path, make_project):
    project = make_project(tmp_path, {"manuscript/01-a.md": "# 甲\n".encode("gb18030")})
    (problem,) = problems_of(project)
    assert "`iconv -f GB18030 -t UTF-8 manuscript/01-a.md > manuscript/01-a.md.utf8 && mv " \
           "manuscript/01-a.md.utf8 manuscript/01-a.md`" in problem.message
    assert problem.message.endswith('or set [book] encoding = "gb18030" in book.toml')


def test_neither_encoding_names_the_line_where_the_file_breaks(tmp_path, make_project):
    gb = "# 甲\n\n乙\n".encode("gb18030") + b"\xff\n"
    utf8 = "# 甲\n\n乙\n".encode() + b"\xff\n"
    project = make_project(tmp_path, {"book.toml": book_toml(encoding="gb18030"),
                                      "manuscript/01-a.md": gb, "manuscript/02-b.md": utf8})
    assert sorted((p.path, p.line) for p in problems_of(project)) == [
        ("manuscript/01-a.md", 4), ("manuscript/02-b.md", 4)]
