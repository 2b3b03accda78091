"""End to end: the EPUBs opened in real reading systems, as readers and stores would.

- foliate-js (the engine of the Foliate reader, tools/readers/) in the system's headless Chromium,
  driven by Playwright, at phone (390×844) and tablet (820×1180) sizes, with the system's CJK
  fonts hidden (a fontconfig that sees one Latin-only font: Chromium needs one to start its
  font machinery), so that every character is drawn by a font from the EPUB or visibly not
  at all. Each section of the sample, its vertical (竖排) variant and the fixtures is shown;
  DevTools says which fonts drew a paragraph, a heading, a caption, code and emphasis (every
  one must be the EPUB's own); no element may be larger than a screen or reach outside it;
  each photo must be on the same screen as its caption; every TOC entry and every print page
  number of the page list must lead to its place.
- KindleGen (npm, tools/readers/) converts each EPUB without a warning and builds the page map.
- calibre (Debian's, optional: skipped where ``ebook-convert`` is absent) converts to AZW3 with
  every embedded font kept and the print pages found by its Kindle page-number method.

LUOSHU_EPUB_FIGURES=<folder> also saves the screens docs/epub.md shows.
"""

from __future__ import annotations

import functools
import http.server
import io
import os
import platform
import re
import shutil
import subprocess
import threading
import zipfile
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont
from helpers.projects import (
    MINIMAL_HANS,
    REPO,
    SAMPLE_EPOCH,
    TRADITIONAL_HANT,
    source_date_epoch,
)

from luoshu.build.stages import build_book

CHROMIUM = Path("/usr/bin/chromium")
READERS = REPO / "tools" / "readers"
FOLIATE = READERS / "node_modules" / "foliate-js" / "view.js"
KINDLEGEN = READERS / "node_modules" / "@hakuneko" / "kindlegen-binaries" / "bin" / "linux" / \
    "amd64" / "kindlegen"
SIZES = {"phone": (390, 844), "tablet": (820, 1180)}
BOOKS = ("sample", "sample-vertical", "minimal-hans", "traditional-hant")
LATIN_ONLY_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")

pytestmark = pytest.mark.e2e


# --- the books ---------------------------------------------------------------------------------


def _project(name: str, root: Path) -> Path:
    if name == "minimal-hans":
        return MINIMAL_HANS
    if name == "traditional-hant":
        return TRADITIONAL_HANT
    # The sample, copied so that the vertical variant can change its book.toml.
    project = root / name
    project.mkdir()
    for part in ("book.toml", "manuscript", "styles", "fonts"):
        if (REPO / part).is_dir():
            shutil.copytree(REPO / part, project / part)
        elif (REPO / part).exists():
            shutil.copy2(REPO / part, project / part)
    if name == "sample-vertical":
        toml = project / "book.toml"
        text = toml.read_text(encoding="utf-8")
        assert "[epub]" not in text
        toml.write_text(text + '\n[epub]\nwriting-mode = "vertical-rl"\n', encoding="utf-8")
    return project


@pytest.fixture(scope="module")
def epubs(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("reading-systems")
    built = {}
    with source_date_epoch(SAMPLE_EPOCH):
        for name in BOOKS:
            out = root / f"out-{name}"
            result = build_book(_project(name, root), out, ["epub"])
            built[name] = out / result.artifacts[0].path
    return built


def _embedded_families(epub: Path) -> dict[str, set[str]]:
    """Role → the family names (name table) of the EPUB's fonts for that role."""
    families: dict[str, set[str]] = {}
    with zipfile.ZipFile(epub) as archive:
        for name in archive.namelist():
            if name.startswith("EPUB/fonts/"):
                font = TTFont(io.BytesIO(archive.read(name)))
                role = Path(name).stem.split("-")[0]
                families.setdefault(role, set()).add(font["name"].getDebugName(1))
    return families


# --- the reader --------------------------------------------------------------------------------


class _Files(http.server.SimpleHTTPRequestHandler):
    """Serves the reader (tools/readers/) and the books, on loopback, nothing else."""

    books: dict[str, Path] = {}
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map,
                      ".js": "text/javascript", ".mjs": "text/javascript",
                      ".epub": "application/epub+zip"}

    def translate_path(self, path: str) -> str:
        path = path.split("?", 1)[0].split("#", 1)[0]
        if path.startswith("/books/"):
            book = self.books.get(path.removeprefix("/books/").removesuffix(".epub"))
            return str(book) if book else "/nonexistent"
        resolved = (READERS / path.lstrip("/")).resolve()
        allowed = resolved == READERS / "reader.html" or resolved == READERS / "reader.js" \
            or resolved.is_relative_to((READERS / "node_modules" / "foliate-js").resolve())
        return str(resolved) if allowed else "/nonexistent"

    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def server(epubs):
    if not FOLIATE.exists():
        pytest.skip("foliate-js is not installed: run scripts/setup (npm ci in tools/readers)")
    handler = type("Files", (_Files,), {"books": dict(epubs)})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    if not CHROMIUM.exists():
        pytest.skip("needs Chromium at /usr/bin/chromium (Debian: apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    if not LATIN_ONLY_FONT.exists():
        pytest.skip(f"needs {LATIN_ONLY_FONT} (fonts-dejavu-core) as the one visible font")
    # A fontconfig that sees one Latin-only font and no CJK font at all.
    folder = tmp_path_factory.mktemp("fontconfig")
    (folder / "fonts").mkdir()
    shutil.copy2(LATIN_ONLY_FONT, folder / "fonts")
    (folder / "fonts.conf").write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n'
        f"<dir>{folder / 'fonts'}</dir>\n<cachedir>{folder / 'cache'}</cachedir>\n"
        "</fontconfig>\n", encoding="utf-8")
    env = {**os.environ, "FONTCONFIG_FILE": str(folder / "fonts.conf")}
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                              args=["--no-sandbox"], env=env)
        yield chromium
        chromium.close()


@functools.cache
def _figures_folder() -> Path | None:
    folder = os.environ.get("LUOSHU_EPUB_FIGURES")
    return Path(folder) if folder else None


class Reader:
    """One book open in foliate-js in a page of *size*."""

    def __init__(self, browser, server: str, book: str, size: str):
        width, height = SIZES[size]
        self.page = browser.new_page(viewport={"width": width, "height": height})
        self.errors: list[str] = []
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.goto(f"{server}/reader.html")
        self.page.wait_for_function("window.luoshuReady === true")
        self.info = self.page.evaluate("url => luoshu.open(url)", f"{server}/books/{book}.epub")
        self.cdp = self.page.context.new_cdp_session(self.page)
        self.cdp.send("DOM.enable")
        self.cdp.send("CSS.enable")

    def show(self, target) -> None:
        assert self.page.evaluate("t => luoshu.show(t)", target), target

    def fonts_by_role(self) -> dict[str, list[dict]]:
        """Which fonts drew one element of each role in the section shown (DevTools)."""
        marked = self.page.evaluate("luoshu.markRoles()")
        if not marked:
            return {}
        root = self.cdp.send("DOM.getDocument", {"depth": -1, "pierce": True})["root"]
        found: dict[str, list[dict]] = {}
        for node in _walk(root):
            attributes = node.get("attributes", [])
            pairs = dict(zip(attributes[::2], attributes[1::2]))
            role = pairs.get("data-luoshu-role")
            if role and role not in found:
                found[role] = self.cdp.send("CSS.getPlatformFontsForNode",
                                            {"nodeId": node["nodeId"]})["fonts"]
        return found

    def screenshot(self, name: str) -> None:
        folder = _figures_folder()
        if folder is not None:
            folder.mkdir(parents=True, exist_ok=True)
            self.page.screenshot(path=str(folder / f"{name}.png"))

    def close(self) -> None:
        self.page.close()


def _walk(node: dict):
    yield node
    for child in node.get("children", []):
        yield from _walk(child)
    if "contentDocument" in node:
        yield from _walk(node["contentDocument"])
    for child in node.get("shadowRoots", []):
        yield from _walk(child)


# --- in foliate-js -----------------------------------------------------------------------------


@pytest.mark.parametrize("size", sorted(SIZES))
@pytest.mark.parametrize("book", BOOKS)
def test_every_screen_as_designed(browser, server, epubs, book, size):
    reader = Reader(browser, server, book, size)
    families = _embedded_families(epubs[book])
    problems: list[str] = []
    roles_seen: set[str] = set()
    shot: set[str] = set()  # pictures taken for docs/epub.md
    try:
        for index in range(reader.info["sections"]):
            reader.show(index)
            where = f"{book} {size} section {index}"
            for figure in reader.page.evaluate("luoshu.figures()"):
                if not figure["loaded"]:
                    problems.append(f"{where}: photo {figure['id']} not shown")
                if figure["caption"] and (len({*figure["img"], *figure["caption"]}) != 1):
                    problems.append(f"{where}: photo {figure['id']} on screens {figure['img']}, "
                                    f"its caption on {figure['caption']}")
            problems += [f"{where}: larger than the screen: {p}"
                         for p in reader.page.evaluate("luoshu.oversized()")]
            for role, fonts in reader.fonts_by_role().items():
                roles_seen.add(role)
                expected = families.get("body" if role == "emphasis" else role, set())
                for font in fonts:
                    if not font["isCustomFont"] or font["familyName"] not in expected:
                        problems.append(f"{where}: {role} text drawn in {font['familyName']}"
                                        f" ({'embedded' if font['isCustomFont'] else 'system'}"
                                        f"), not the EPUB's {sorted(expected)}")
            if index in (0, 3) or (index == 1 and book == "sample"):
                reader.screenshot(f"{book}-{size}-{index}")
            figures = reader.page.evaluate("luoshu.figures()")
            if figures and f"{book}-{size}-photo" not in shot:
                shot.add(f"{book}-{size}-photo")
                reader.page.evaluate("id => luoshu.showElement(id)", figures[0]["id"])
                reader.screenshot(f"{book}-{size}-photo")
        assert not reader.errors, reader.errors
    finally:
        reader.close()
    assert not problems, "\n".join(problems)
    assert {"body", "heading"} <= roles_seen
    if book != "traditional-hant":
        assert "caption" in roles_seen


@pytest.mark.parametrize("book", BOOKS)
def test_every_toc_entry_and_print_page_is_reachable(browser, server, epubs, book):
    reader = Reader(browser, server, book, "phone")
    try:
        toc, pages = reader.info["toc"], reader.info["pageList"]
        with zipfile.ZipFile(epubs[book]) as archive:
            nav = archive.read("EPUB/nav.xhtml").decode("utf-8")
        assert toc and len(pages) == len(re.findall(r'href="[^"]*#page-[^"]*"', nav))
        unreachable = []
        for href in toc + [page["href"] for page in pages]:
            result = reader.page.evaluate("h => luoshu.reach(h)", href)
            if not result["ok"]:
                unreachable.append(f"{href}: {result['why']}")
        labels = [page["label"] for page in pages]
        assert labels == sorted(labels, key=int), labels
        # At a page's place the reader says that page number.
        reader.page.evaluate("h => luoshu.reach(h)", pages[-1]["href"])
        reader.page.wait_for_timeout(300)
        assert reader.page.evaluate("luoshu.location()")["page"] == pages[-1]["label"]
    finally:
        reader.close()
    assert not unreachable, "\n".join(unreachable)


def test_emphasis_is_dots_in_the_body_face_not_bold(browser, server):
    reader = Reader(browser, server, "minimal-hans", "phone")
    try:
        for index in range(reader.info["sections"]):
            reader.show(index)
            style = reader.page.evaluate("""() => {
                const { doc } = document.querySelector('foliate-view').renderer.getContents()[0]
                const em = doc.querySelector('em')
                if (!em) return null
                const s = doc.defaultView.getComputedStyle(em)
                return [s.fontWeight, s.textEmphasisStyle, s.fontFamily] }""")
            if style:
                break
        assert style is not None, "the fixture has emphasis"
        weight, mark, family = style
        assert weight == "400" and mark in ("circle", "filled circle", "●"), style
        assert family.startswith('"luoshu body"'), style
    finally:
        reader.close()


# --- converters for Kindle -----------------------------------------------------------------------


def _kindlegen() -> Path:
    if platform.system() != "Linux" or platform.machine() not in ("x86_64", "i686", "i386"):
        pytest.skip("KindleGen's Linux build runs on x86 only")
    if not KINDLEGEN.exists():
        pytest.skip("KindleGen is not installed: run scripts/setup (npm ci in tools/readers)")
    if not os.access(KINDLEGEN, os.X_OK):
        pytest.skip(f"{KINDLEGEN} is not executable: run scripts/setup")
    return KINDLEGEN


@pytest.mark.parametrize("book", BOOKS)
def test_kindlegen_converts_without_warnings_and_builds_the_page_map(epubs, book, tmp_path):
    kindlegen = _kindlegen()
    epub = tmp_path / "book.epub"
    shutil.copy2(epubs[book], epub)
    run = subprocess.run([str(kindlegen), str(epub), "-o", "book.mobi"], capture_output=True,
                         text=True, timeout=300, cwd=tmp_path)
    lines = run.stdout.splitlines()
    trouble = [line for line in lines if line.startswith(("Warning", "Error"))]
    assert not trouble, "\n".join(trouble)
    assert (tmp_path / "book.mobi").exists(), run.stdout[-2000:]
    assert any("I8003: Page map built from NCX" in line for line in lines), run.stdout[-2000:]


@pytest.mark.parametrize("book", ("sample", "sample-vertical", "minimal-hans"))
def test_calibre_azw3_keeps_fonts_and_print_pages(epubs, book, tmp_path):
    if shutil.which("ebook-convert") is None or shutil.which("calibre-debug") is None:
        pytest.skip("calibre is not installed (Debian: apt-get install calibre)")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    azw3 = tmp_path / "book.azw3"
    subprocess.run(["ebook-convert", str(epubs[book]), str(azw3)], check=True,
                   capture_output=True, timeout=600, env=env)
    subprocess.run(["calibre-debug", "--inspect-mobi", str(azw3)], check=True,
                   capture_output=True, timeout=300, env=env, cwd=tmp_path)
    kept = sorted(p.name for p in tmp_path.glob("decompiled_*/fonts/*"))
    with zipfile.ZipFile(epubs[book]) as archive:
        embedded = [n for n in archive.namelist() if n.startswith("EPUB/fonts/")]
        pages = archive.read("EPUB/nav.xhtml").decode("utf-8").count("#page-")
    assert len(kept) == len(embedded) and kept, (kept, embedded)
    # calibre's Kindle driver numbers pages by the page-break markers ("pagebreak" method).
    script = ("from calibre.devices.kindle.apnx_page_generator.generators."
              "pagebreak_page_generator import PagebreakPageGenerator as G\n"
              f"print(G.instance._generate({str(azw3)!r}, None).number_of_pages)")
    counted = subprocess.run(["calibre-debug", "-c", script], check=True, capture_output=True,
                             text=True, timeout=300, env=env).stdout.split()[-1]
    assert int(counted) == pages
