"""Fuzzing the build: whatever the project holds, luoshu ends in a book or in a clean user error.

Property: ``build_book`` either succeeds — and then the EPUB is a well-formed container (first
entry ``mimetype``, stored, ``application/epub+zip``; container.xml names an OPF that parses;
every manifest item is in the zip and every XHTML document parses as XML) — or raises
ProjectError, whose problems each print as one line. Any other exception is a bug.

Three input shapes (strategies in ``fuzz_inputs.py``): Markdown sections (Chinese text, Markdown
syntax, nasty raw HTML, unbalanced brackets, control characters, astral characters, written as
UTF-8 or sometimes broken bytes), book.toml (known and unknown keys, values of every TOML type,
sometimes broken syntax) and captions.toml (keys, types, file references that exist, are
missing, odd or outside). A character no font covers is a legitimate ProjectError.

Every build lays the book out for print (the EPUB carries the print page numbers), so examples
cost a second or so: the example counts keep the module near a minute on two cores, and
``derandomize`` makes every run, in CI too, try the same examples. The project is written to a
fresh ``tempfile.TemporaryDirectory()`` per example (hypothesis reruns the test function, so
pytest's ``tmp_path`` would be shared between examples). ``--hypothesis-show-statistics``
shows how the examples ended (built, or refused and why).

The plain tests at the end are what fuzzing found, each fixed (luoshu.markup.convert, luoshu.markup.untrusted)
and kept as one example.
"""

from __future__ import annotations

import json
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

import pikepdf
from helpers.fuzz_inputs import (
    FAST_BOOK_TOML,
    book_toml,
    captions_project,
    markdown_project,
    png,
)
from hypothesis import HealthCheck, Phase, event, given, settings
from hypothesis.control import currently_in_test_context
from lxml import etree

from luoshu.build.stages import build_book
from luoshu.errors import ProjectError
from luoshu.markup.convert import convert_section

# No shrinking: with a second per example it can take many minutes. A failure prints the
# example as generated, and print_blob the way to replay it (@reproduce_failure).
FUZZ = settings(deadline=None, derandomize=True, database=None, print_blob=True,
                phases=[Phase.explicit, Phase.reuse, Phase.generate],
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.filter_too_much])
CONTAINER_NS = {"c": "urn:oasis:names:tc:opendocument:xmlns:container"}
OPF_NS = {"opf": "http://www.idpf.org/2007/opf"}
XML = etree.XMLParser(resolve_entities=False, no_network=True)


def build(files: dict[str, bytes], formats: tuple[str, ...] = ("epub",)) -> str:
    """Write *files* as a project in a fresh folder and build it: "built" or "refused"."""
    with tempfile.TemporaryDirectory() as folder:
        project, out = Path(folder) / "project", Path(folder) / "out"
        for relative, content in files.items():
            path = project / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
        try:
            build_book(project, out, list(formats))
        except ProjectError as error:
            assert error.problems, "a ProjectError without problems"
            for problem in error.problems:
                assert "\n" not in str(problem), f"a problem of more than one line: {problem}"
            # --hypothesis-show-statistics tells how often each kind of refusal came up.
            note("refused: " + ", ".join(sorted({p.code for p in error.problems
                                                  if p.severity == "error"})))
            return "refused"
        note("built")
        built = {entry["format"]: out / entry["path"] for entry in
                 json.loads((out / "manifest.json").read_text(encoding="utf-8"))["artifacts"]}
        check_epub(built["epub"])
        if "pdf" in formats:
            with pikepdf.open(built["pdf"]) as document:
                assert len(document.pages) >= 1
        return "built"


def note(outcome: str) -> None:
    """Count *outcome* for --hypothesis-show-statistics (outside a property: nothing)."""
    if currently_in_test_context():
        event(outcome)


def check_epub(path: Path) -> None:
    with zipfile.ZipFile(path) as archive:
        first = archive.infolist()[0]
        assert first.filename == "mimetype" and first.compress_type == zipfile.ZIP_STORED
        assert archive.read("mimetype") == b"application/epub+zip"
        names = set(archive.namelist())
        container = etree.fromstring(archive.read("META-INF/container.xml"), XML)
        opf_path = container.find(".//c:rootfile", CONTAINER_NS).get("full-path")
        opf = etree.fromstring(archive.read(opf_path), XML)
        folder = PurePosixPath(opf_path).parent
        items = opf.findall(".//opf:manifest/opf:item", OPF_NS)
        assert items
        for item in items:
            member = (folder / item.get("href")).as_posix()
            assert member in names, f"manifest names {member}, which is not in the zip"
            if item.get("media-type") == "application/xhtml+xml":
                etree.fromstring(archive.read(member), XML)  # raises when not well-formed


# --- the properties -----------------------------------------------------------------------------


@settings(FUZZ, max_examples=25)
@given(markdown_project())
def test_any_manuscript_builds_or_is_refused_cleanly(files):
    build(files)


@settings(FUZZ, max_examples=30)
@given(book_toml())
def test_any_book_toml_builds_or_is_refused_cleanly(files):
    build(files)


@settings(FUZZ, max_examples=30)
@given(captions_project())
def test_any_captions_build_or_are_refused_cleanly(files):
    build(files)


@settings(FUZZ, max_examples=5)
@given(markdown_project())
def test_any_manuscript_prints_or_is_refused_cleanly(files):
    build(files, ("epub", "pdf"))


# --- what fuzzing found: each once, as a plain example --------------------------------------


def convert(text: str):
    return convert_section(text, "01-a", "manuscript/01-a.md")


def test_control_characters_are_reported_where_they_are():
    result = convert("# 标题\n\n正文\x1b。\n\n```\nx\x0c\x01y\n```\n")
    assert [str(p) for p in result.problems] == [
        ("manuscript/01-a.md:3:3: the line holds U+001B: a control character (or "
         "non-character) that no book can carry; delete it"),
        ("manuscript/01-a.md:6:2: the line holds U+000C, U+0001: a control character (or "
         "non-character) that no book can carry; delete it")]
    etree.fromstring(f"<div>{result.html}</div>")  # and the rest is still well-formed


def test_character_references_to_control_characters_are_dropped():
    result = convert('# 标题\n\n<p title="&#x1b;">a&#x1b;b&#xFFFE;c</p>\n')
    etree.fromstring(f"<div>{result.html}</div>")
    assert "abc" in result.html


def test_names_xml_cannot_hold_are_dropped_and_the_content_kept():
    result = convert('# 标题\n\n悦<WO0,MI?> 甲 <a:b c:d="e">乙</a:b> <p x,y="1" ok="2">丙</p>\n')
    root = etree.fromstring(f"<div>{result.html}</div>")
    assert "".join(root.itertext()).replace(" ", "").endswith("悦甲乙丙")
    assert root.find(".//p[@ok='2']") is not None and root.find(".//p[@ok='2']").get("x,y") is None


def test_a_footnote_nobody_refers_to_keeps_no_link_back():
    result = convert("# 标题\n\n正文。\n\n[^1]: 注。\n")
    assert "footnote-backref" not in result.html
    assert [(p.line, p.code, p.severity) for p in result.problems] == [
        (5, "footnote-unreferenced", "warning")]


def test_a_link_to_nothing_in_the_section_is_an_error():
    result = convert("# 标题\n\n[见](#nowhere) [题](#title)\n")
    assert [(p.line, p.code) for p in result.problems] == [(3, "link-dangling")]
    assert "'#nowhere'" in result.problems[0].message


def test_an_authors_data_block_attribute_cannot_confuse_the_print_layout():
    # pagemap reads data-block="<section>:<n>" on the print side; "x" made it crash.
    assert build({"book.toml": FAST_BOOK_TOML, "manuscript/photos/ok.png": png(),
                  "manuscript/01-a.md": '# 标题\n\n<span data-block="x">文</span>\n'.encode()}
                 ) == "built"


def test_nesting_too_deep_to_lay_out_is_an_error():
    # WeasyPrint's layout recursed past Python's limit at ~150 levels; Python-Markdown itself
    # at a few hundred nested list items.
    for text in ("> " * 300 + "深", "<div>" * 300 + "深",
                 "".join("    " * i + "- 项\n" for i in range(300))):
        assert [p.code for p in convert("# 标题\n\n" + text).problems] == ["markup-depth"]
    assert convert("# 标题\n\n" + "> " * 40 + "深").problems == ()
