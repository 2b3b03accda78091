"""The deposit holds exactly the book's sources: the files the build read, nothing else — not
an output folder inside the project, not notes or a stray photo — so a rebuild gives the same
bytes wherever its output folder is."""

from __future__ import annotations

import os
import zipfile

from helpers.archives import copy_project, pack
from helpers.bad_projects import noise, tiny_font

from luoshu.archive.record import project_inputs
from luoshu.project.load import load_book

PROJECT = {
    "book.toml": '[book]\ntitle = "测试之书"\nlanguage = "zh-Hans"\n'
                 'sections = ["01-a", "02-b"]\n\n[epub]\ncover = "../art/cover.jpg"\n',
    "manuscript/01-a.md": "# 甲\n\n正文。\n\n![码头](photos/dock.jpg)\n",
    "manuscript/02-b.md": "# 乙\n\n正文。\n",
    "manuscript/03-draft.md": "# 草稿\n\n不在书里。\n",  # not in [book] sections: never read
    "manuscript/captions.toml": '[[photo]]\nfile = "photos/street.jpg"\ncaption = "街景"\n'
                                'alt = "街道"\n',
    "manuscript/photos/dock.jpg": noise("JPEG", (2400, 1600)),
    "manuscript/photos/street.jpg": noise("JPEG", (2400, 1600)),
    "manuscript/photos/stray.jpg": noise("JPEG"),  # named by nothing
    "manuscript/notes/private.txt": "编辑的私人备忘",
    "art/cover.jpg": noise("JPEG", (800, 1200)),
    "styles/house.css": '@import "more.css";\np { background: url(paper.png) }\n',
    "styles/more.css": "h1 { color: black }\n",
    "styles/paper.png": noise("PNG"),
    "styles/unused.png": noise("PNG"),
    "styles/README.txt": "how the house style works",
    "fonts/fonts.toml": '[caption]\nfamily = "House Kai"\nfiles = ["kai.ttf"]\n',
    "fonts/kai.ttf": tiny_font("甲乙正文。码头街景草稿测试之书"),
    "fonts/spare.ttf": tiny_font("甲"),
    "dist/book.epub": b"an earlier build's output",
}
READ = ["art/cover.jpg", "book.toml", "fonts/fonts.toml", "fonts/kai.ttf",
        "manuscript/01-a.md", "manuscript/02-b.md", "manuscript/captions.toml",
        "manuscript/photos/dock.jpg", "manuscript/photos/street.jpg", "styles/house.css",
        "styles/more.css", "styles/paper.png"]


def test_the_sources_are_the_files_the_build_read(tmp_path, make_project):
    project = make_project(tmp_path / "book", PROJECT)
    book, _ = load_book(project)
    assert [item.path for item in project_inputs(book)] == READ


def test_an_output_folder_inside_the_project_never_becomes_a_source(tmp_path):
    """Three builds into manuscript/out once grew the package from 1.8 to 6.8 to 16.9 MB, and
    luoshu verify called each sound."""
    project = copy_project(tmp_path / "project")
    elsewhere = pack(project, tmp_path / "elsewhere").read_bytes()
    inside = project / "manuscript" / "out"
    for _ in range(3):
        assert pack(project, inside).read_bytes() == elsewhere
    with zipfile.ZipFile(inside / "minimal-archive.zip") as package:
        assert not [n for n in package.namelist() if "/out/" in n or "renderings" in n]


def test_a_link_inside_the_project_keeps_the_name_the_book_uses(tmp_path, make_project):
    project = make_project(tmp_path / "book", {
        "manuscript/01-a.md": "# 甲\n\n![码头](link.jpg)\n",
        "manuscript/photos/dock.jpg": noise("JPEG", (2400, 1600))})
    os.symlink("photos/dock.jpg", project / "manuscript" / "link.jpg")
    book, _ = load_book(project)
    paths = [item.path for item in project_inputs(book)]
    assert "manuscript/link.jpg" in paths and "manuscript/photos/dock.jpg" not in paths
