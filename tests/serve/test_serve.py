"""luoshu serve, piece by piece: the path map, change classification, section-only rebuilds,
the error banner, where the reload script goes, the stale print job, and a clean stop.

The end-to-end test with a browser is tests/test_e2e_serve.py.
"""

from __future__ import annotations

import datetime
import http.client
import json
import shutil
import socket
import sys
import time
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers.projects import MINIMAL_HANS
from lxml import etree

from luoshu.cli import main
from luoshu.epub.writer import write_epub
from luoshu.errors import Problem
from luoshu.project.load import load_book
from luoshu.serve import server as serve
from luoshu.serve import text as preview
from luoshu.serve.pages import Chrome, inject
from luoshu.serve.print_pages import PageImage, PrintPages
from luoshu.serve.rebuild import PrintWorker, TextRebuilder
from luoshu.serve.state import PreviewState, View
from luoshu.serve.text import Document, Entry, TextSite
from luoshu.serve.watch import Change, changed_paths, classify, snapshot

XHTML = preview.XHTML_TYPE
DOCUMENT = ('<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE html>\n'
            '<html xmlns="http://www.w3.org/1999/xhtml" lang="zh-Hans"><head><title>甲</title>'
            '</head><body><p>正文甲</p></body></html>').encode()


def wait_for(condition, timeout: float = 20.0, step: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(step)
    raise AssertionError("timed out waiting")


def small_site() -> TextSite:
    files = {"text/a.xhtml": Entry(DOCUMENT, XHTML), "text/b.xhtml": Entry(DOCUMENT, XHTML),
             "style/book.css": Entry(b"body { color: black }", "text/css"),
             "images/x.png": Entry(b"\x89PNG fake", "image/png")}
    return TextSite(files, (Document("text/a.xhtml", "甲", "a"), Document("text/b.xhtml", "乙", "b")),
                    ("style/book.css",), title="小书")


def small_view(tmp_path: Path, **changes) -> View:
    folder = tmp_path / "print-1"
    folder.mkdir()
    (folder / "page-1.png").write_bytes(b"\x89PNG page")
    (tmp_path / "secret.txt").write_text("not for the browser")
    pages = PrintPages(folder, (PageImage(1, "page-1.png", 10, 14),))
    return View(text=small_site(), pages=pages, **changes)


# --- the path map ---------------------------------------------------------------------------


@pytest.mark.parametrize("target", [
    "/", "/print/", "/book/text/a.xhtml", "/book/style/book.css", "/book/images/x.png",
    "/print/page-1.png", "/__luoshu/version", "/__luoshu/preview.js", "/__luoshu/preview.css",
    "/book/text/a.xhtml?x=1",
])
def test_the_map_serves_its_paths(tmp_path, target):
    assert serve.route(small_view(tmp_path), target).status == 200


@pytest.mark.parametrize("target", [
    "/book/../book.toml", "/book/text/../../secret.txt", "/print/../secret.txt",
    "/print/%2e%2e/secret.txt", "/book/%2E%2E%2Fbook.toml", "/book/text%2Fa.xhtml",
    "/book/text/a.xhtml%00", "/print/..%5csecret.txt", "/book\\text\\a.xhtml",
    "//etc/passwd", "/book//text/a.xhtml", "http://localhost/book/text/a.xhtml",
    "/etc/passwd", "/book/.hidden", "/book/", "/book", "/print", "/book/text/",
    "/secret.txt", "/print/secret.txt", "/print/print-1/page-1.png", "/__luoshu/",
    "/__luoshu/../__luoshu/version", "/book/text/c.xhtml", "/book/文本.xhtml",
])
def test_anything_else_is_not_found(tmp_path, target):
    response = serve.route(small_view(tmp_path), target)
    assert response.status == 404
    assert b"not for the browser" not in response.body


def test_nothing_is_served_before_the_first_build():
    assert serve.route(View(), "/book/text/a.xhtml").status == 404
    assert serve.route(View(), "/").status == 200  # the home page says it is building


# --- change classification ------------------------------------------------------------------

SECTIONS = ("01-intro", "02-data")


@pytest.mark.parametrize("paths, full, sections", [
    (["manuscript/01-intro.md"], False, {"01-intro"}),
    (["manuscript/01-intro.md", "manuscript/02-data.md"], False, {"01-intro", "02-data"}),
    (["manuscript/04-new.md"], True, set()),  # a new section: the contents change
    (["manuscript/01-intro.md", "styles/house.css"], True, set()),
    (["book.toml"], True, set()),
    (["fonts/fonts.toml"], True, set()),
    (["fonts/Serif.otf"], True, set()),
    (["manuscript/captions.toml"], True, set()),
    (["manuscript/photos/harbour.jpg"], True, set()),
    (["manuscript/drafts/01-intro.md"], True, set()),
])
def test_classify(paths, full, sections):
    change = classify(paths, SECTIONS)
    assert change.full is full
    assert change.sections == frozenset(sections)
    assert change.paths == frozenset(paths)


def test_changes_add_up():
    one, two = classify(["manuscript/01-intro.md"], SECTIONS), classify(
        ["manuscript/02-data.md"], SECTIONS)
    assert (one | two).sections == {"01-intro", "02-data"} and not (one | two).full
    assert (one | classify(["book.toml"], SECTIONS)).full
    assert not Change() and one and Change.everything()


def test_snapshot_sees_edits_and_ignores_scratch_files(make_project, tmp_path):
    project = make_project(tmp_path / "book", {"manuscript/01.md": "# 一\n", "dist/x.epub": b"x"})
    before = snapshot(project)
    assert set(before) == {"book.toml", "manuscript/01.md"}
    (project / "manuscript" / ".01.md.swp").write_text("vim")
    (project / "manuscript" / "01.md~").write_text("backup")
    (project / "dist" / "y.epub").write_bytes(b"y")
    assert changed_paths(before, snapshot(project)) == frozenset()
    (project / "manuscript" / "01.md").write_text("# 一\n\n更长的正文。\n", encoding="utf-8")
    (project / "styles").mkdir()
    (project / "styles" / "a.css").write_text("p {}")
    assert changed_paths(before, snapshot(project)) == {"manuscript/01.md", "styles/a.css"}


# --- rebuilding only the changed section ----------------------------------------------------


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    copy = tmp_path_factory.mktemp("serve") / "minimal-hans"
    shutil.copytree(MINIMAL_HANS, copy)
    return copy


@pytest.fixture(scope="module")
def first_build(project):
    book, _ = load_book(project)
    return preview.build_text(book)


def test_the_text_is_the_epubs_documents_unchanged(project, first_build, tmp_path):
    """The preview serves what the EPUB stores (page-break markers aside), and the EPUB
    carries nothing of the preview."""
    book, _ = load_book(project)
    write_epub(book, tmp_path / "book.epub", datetime.datetime(2024, 5, 1))
    with zipfile.ZipFile(tmp_path / "book.epub") as epub:
        names = set(epub.namelist())
        for path, entry in first_build.site.files.items():
            if entry.media_type == XHTML:
                assert epub.read(f"EPUB/{path}") == entry.content, path
        assert all(b"__luoshu" not in epub.read(name) for name in names)
    assert {d.section for d in first_build.site.documents} >= {"01-intro", "02-data"}


def test_a_section_edit_renders_that_section_only(project, first_build):
    site = first_build.site
    source = project / "manuscript" / "02-data.md"
    original = source.read_text(encoding="utf-8")
    try:
        source.write_text(original + "\n补记：洛浦秋风起。\n", encoding="utf-8")
        book, _ = load_book(project)
        updated = preview.update_sections(first_build, site, book, {"02-data"})
    finally:
        source.write_text(original, encoding="utf-8")
    assert updated is not None
    path = site.section_path("02-data")
    assert "洛浦秋风起" in updated.site.files[path].content.decode()
    changed = {p for p in site.files if updated.site.files[p] is not site.files[p]}
    assert changed == {path}
    # …rendered exactly as a whole new render would render it.
    assert updated.site.files[path] == preview.build_text(book).site.files[path]


def test_a_new_title_renders_everything(project, first_build):
    source = project / "manuscript" / "03-afterword.md"
    original = source.read_text(encoding="utf-8")
    try:
        source.write_text(original.replace("# 后记", "# 新的后记"), encoding="utf-8")
        book, _ = load_book(project)
    finally:
        source.write_text(original, encoding="utf-8")
    assert preview.update_sections(first_build, first_build.site, book, {"03-afterword"}) is None


class _NoPrint:
    """A PrintWorker stand-in: records what the rebuilder asks of it."""

    def __init__(self):
        self.requests, self.cancels = [], 0

    def request(self, generation, book, refresh_fonts):
        self.requests.append((generation, refresh_fonts))

    def cancel(self):
        self.cancels += 1


def test_a_failed_rebuild_keeps_its_change_for_the_next(project, first_build):
    state, printer, lines = PreviewState(), _NoPrint(), []
    rebuilder = TextRebuilder(project, state, printer, lines.append)
    rebuilder._build = first_build
    state.text_built(first_build.site)
    intro, data = (project / "manuscript" / name for name in ("01-intro.md", "02-data.md"))
    originals = intro.read_text(encoding="utf-8"), data.read_text(encoding="utf-8")
    try:
        data.write_text(originals[1] + "\n二节新句。\n", encoding="utf-8")
        intro.write_text(originals[0] + "\n坏\U0010fffd字。\n", encoding="utf-8")
        pending = rebuilder.rebuild(classify(["manuscript/02-data.md"], SECTIONS))
        assert pending.sections == {"02-data"} and printer.cancels == 1
        assert "U+10FFFD" in str(state.view.text_problems[0])
        assert any("U+10FFFD" in line for line in lines)
        intro.write_text(originals[0], encoding="utf-8")  # the fix touches 01 only…
        pending = rebuilder.rebuild(pending | classify(["manuscript/01-intro.md"], SECTIONS))
    finally:
        intro.write_text(originals[0], encoding="utf-8")
        data.write_text(originals[1], encoding="utf-8")
    assert not pending and state.view.text_problems == ()
    page = state.view.text.files[state.view.text.section_path("02-data")].content.decode()
    assert "二节新句" in page  # …but 02's earlier edit is built too
    assert printer.requests == [(2, True)]


# --- the banner and the reload script -------------------------------------------------------


def test_the_banner_shows_each_problem_in_the_builds_words(tmp_path):
    problems = (Problem("no configured font covers U+10FFFD", "manuscript/01-intro.md", 14),
                Problem("<script>alert(1)</script> & more", "book.toml", 3, 5))
    state = PreviewState()
    state.text_built(small_site())
    good = state.view.versions
    state.text_failed(problems)
    assert state.view.versions["text"] > good["text"] and state.view.versions["print"] > good["print"]
    page = serve.route(state.view, "/book/text/a.xhtml").body.decode()
    banner = etree.fromstring(page.encode()).find(".//{*}div[@id='luoshu-preview-banner']")
    lines = [li.text for li in banner.iter("{*}li")]
    assert lines == [str(p) for p in problems]
    assert "<script>alert" not in page
    assert "正文甲" in page  # the last good page stays, behind the banner
    state.text_built(small_site())
    assert "luoshu-preview-banner" not in serve.route(state.view, "/book/text/a.xhtml").body.decode()


@pytest.mark.parametrize("media_type", ["application/xhtml+xml", "text/html",
                                        "text/html; charset=utf-8"])
def test_the_script_goes_into_html(media_type):
    chrome = Chrome({"text": 3, "print": 1}, ("text",), navigation=True)
    page = inject(DOCUMENT, media_type, chrome)
    root = etree.fromstring(page)  # still well-formed XHTML
    script = root.find(".//{*}head/{*}script")
    assert script.get("src") == "/__luoshu/preview.js"
    assert json.loads(script.get("data-versions")) == {"text": 3, "print": 1}
    assert script.get("data-watch") == "text"


@pytest.mark.parametrize("media_type", ["text/css", "image/png", "image/svg+xml", "font/woff2",
                                        "application/json", "text/javascript"])
def test_nothing_else_gets_the_script(media_type):
    assert inject(DOCUMENT, media_type, Chrome({"text": 1}, ("text",))) == DOCUMENT


def test_responses_carry_the_policy_and_only_html_the_script(tmp_path):
    view = small_view(tmp_path)
    css = serve.route(view, "/book/style/book.css")
    assert css.body == b"body { color: black }"
    assert b"__luoshu" in serve.route(view, "/print/").body
    assert serve.route(view, "/__luoshu/version").body == b'{"text": 0, "print": 0}'


# --- the print worker -----------------------------------------------------------------------

FAKE_PAGES = """
import json, sys, time
from pathlib import Path
folder, slow = Path(sys.argv[1]), sys.argv[2] == "slow"
if slow:
    time.sleep(60)
(folder / "page-1.png").write_bytes(b"png")
(folder / "pages.json").write_text(json.dumps({"pages": [
    {"number": 1, "name": "page-1.png", "width": 1, "height": 1}]}))
"""


def test_a_newer_request_stops_the_stale_print_job(tmp_path):
    state, lines, calls = PreviewState(), [], []

    def command(project, folder):
        calls.append(folder)
        return [sys.executable, "-c", FAKE_PAGES, str(folder), "slow" if len(calls) == 1 else "fast"]

    worker = PrintWorker(state, tmp_path, tmp_path, lines.append, command)
    worker.start()
    try:
        started = time.monotonic()
        worker.request(state.text_built(small_site()), None, refresh_fonts=False)
        wait_for(lambda: state.view.printing)
        worker.request(state.text_built(small_site()), None, refresh_fonts=False)
        pages = wait_for(lambda: state.view.pages)
        assert time.monotonic() - started < 30  # the slow job did not run its course
        assert pages.folder == calls[1] and not calls[0].exists()
        assert not state.view.printing and len(calls) == 2
    finally:
        worker.stop()


# --- starting and stopping ------------------------------------------------------------------


def _get(url: str, path: str) -> tuple[int, bytes]:
    host, port = url.split("//")[1].rstrip("/").split(":")
    connection = http.client.HTTPConnection("127.0.0.1", int(port), timeout=5)
    connection.request("GET", path, headers={"Host": f"{host}:{port}"})
    response = connection.getresponse()
    return response.status, response.read()


def test_start_serve_and_stop_cleanly(project):
    lines = []
    live = serve.LivePreview(project, port=0, report=lines.append, print_pages=False,
                             interval=0.1)
    live.start()
    try:
        wait_for(lambda: live.state.view.text is not None, timeout=60)
        status, body = _get(live.url, "/book/text/01-intro.xhtml")
        assert status == 200 and "引言" in body.decode()
        status, _ = _get(live.url, "/book/../book.toml")
        assert status == 404
        port, scratch = live.server.server_address[1], live.scratch
        threads = [live.rebuilder._thread, live.printer._thread, *live._threads]
    finally:
        live.stop()
    assert not any(thread.is_alive() for thread in threads)
    assert not scratch.exists()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1)


def test_requests_for_other_hosts_are_refused(project):
    with serve.LivePreview(project, port=0, report=lambda line: None, print_pages=False) as live:
        port = live.server.server_address[1]
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        connection.request("GET", "/", headers={"Host": f"attacker.example:{port}"})
        assert connection.getresponse().status == 403


def test_ctrl_c_stops_the_command_with_status_0(project, monkeypatch):
    def interrupted():
        raise KeyboardInterrupt

    monkeypatch.setattr(serve, "_wait_forever", interrupted)
    result = CliRunner().invoke(main, ["serve", str(project), "--port", "0"])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert lines[0].startswith("luoshu: previewing ") and lines[-1] == "luoshu: preview stopped"


def test_a_port_in_use_is_an_error_not_a_traceback(project):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        lines = []
        status = serve.run(project, "127.0.0.1", taken.getsockname()[1], lines.append)
    assert status == 1 and "cannot listen" in lines[-1]


def test_a_host_beyond_loopback_is_warned_about(project):
    def interrupted():
        raise KeyboardInterrupt

    lines = []
    # 203.0.113.1 (TEST-NET-3) is no address of this machine: binding fails after the warning.
    serve.run(project, "203.0.113.1", 0, lines.append, wait=interrupted)
    assert lines[0].startswith("warning: serving on 203.0.113.1, not on the loopback")
