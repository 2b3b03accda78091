"""``luoshu check`` reports the GB/T 15834/15835 findings (LS211–LS218) with file:line:column,
in sections and captions, and ``[typography] ignore`` silences them."""

from __future__ import annotations

from luoshu.check.project import check_project

SECTION = ("# 标题\n\n年龄在25-30岁之间，鲁迅（1881-1936）。\n\n"
           "共4千人，卡尔•马克思说：‘我听到“好”字。’\n")
CAPTIONS = '[[photo]]\nfile = "photos/a.jpg"\ncaption = "增长15～30%"\nalt = "图"\n'


def test_check_reports_gbt_findings_with_positions(make_project, make_image, tmp_path):
    project = make_project(tmp_path / "p", {"manuscript/01-a.md": SECTION,
                                            "manuscript/captions.toml": CAPTIONS,
                                            "manuscript/photos/a.jpg": make_image()})
    lines = [str(f) for f in check_project(project).findings if f.code >= "LS211"]
    assert "manuscript/01-a.md:3:6: LS211 warning: 25-30: a range of numbers is joined with " \
           "'～' (25～30), never '-'" in lines
    assert any(line.startswith("manuscript/01-a.md:3:20: LS211 warning: 1881-1936")
               for line in lines)
    assert any(line.startswith("manuscript/01-a.md:5:2: LS214 warning: '4千'") for line in lines)
    assert any(line.startswith("manuscript/01-a.md:5:8: LS213 warning:") for line in lines)
    assert any(line.startswith("manuscript/01-a.md:5:14: LS218 warning:") for line in lines)
    assert any(line.startswith("manuscript/captions.toml:3:14: LS212 warning:") for line in lines)


def test_ignore_silences_gbt_codes(make_project, tmp_path):
    book = ('[book]\ntitle = "书"\nlanguage = "zh-Hans"\n[typography]\n'
            'ignore = ["LS211", "LS213", "ls214", "LS218"]\n')
    project = make_project(tmp_path / "p", {"book.toml": book, "manuscript/01-a.md": SECTION})
    codes = {f.code for f in check_project(project).findings}
    assert not codes & {"LS211", "LS213", "LS214", "LS218"}
