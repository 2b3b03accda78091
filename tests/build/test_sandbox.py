"""The sandbox, end to end: hostile book projects built for real, EPUB and print PDF.

Manuscripts are untrusted. Each attack is a small project built with ``build_book``, and every
build is held to three things:

(a) how it ends: refused, with a one-line ``file[:line[:col]]: message`` naming the file and
    the reference (``REFUSED``); or, for raw HTML, which luoshu documents as sanitized, a clean
    build with the thing gone (``SANITIZED``, all in one manuscript built once);
(b) nothing from outside reaches an output: secret files beside the project (and /etc/passwd)
    hold markers, and every EPUB entry, each PDF's bytes, its decompressed streams and its
    text (pdftotext) are scanned for them — and for what the test server would have answered;
(c) nothing is fetched: a real HTTP server on 127.0.0.1 (``sandbox_scan``) records every
    connection, and an audit hook records every socket connect and every open of the secret
    files, so an attempt that never reaches the server is caught too. WeasyPrint's fetcher is
    watched as well: every URL it answered must be a project file or a data: URI.

Shared machinery (server, audit hook, output scanners) is in ``sandbox_scan.py``.
"""

from __future__ import annotations

import datetime
import re
import urllib.parse
import urllib.request
from dataclasses import dataclass

import pytest
from click.testing import CliRunner
from helpers.sandbox_scan import SECRET, Link, Sandbox, epub_entries, running_server
from lxml import etree

from luoshu.cli import main
from luoshu.epub.writer import write_epub
from luoshu.errors import ProjectError
from luoshu.markup.untrusted import stylesheet_references
from luoshu.project.load import load_book

MD = "manuscript/01-hostile.md"
CAPTIONS = "manuscript/captions.toml"
CSS = "styles/evil.css"


@pytest.fixture(scope="module")
def server():
    with running_server() as running:
        yield running


@pytest.fixture
def sandbox(tmp_path, server) -> Sandbox:
    return Sandbox(tmp_path, server)


@pytest.fixture(scope="module")
def module_sandbox(tmp_path_factory, server) -> Sandbox:
    return Sandbox(tmp_path_factory.mktemp("sanitized"), server)


def md(snippet: str) -> dict:
    return {MD: f"# 标题\n\n{snippet}\n"}


def captions(file: str) -> dict:
    return {CAPTIONS: f'[[photo]]\nfile = "{file}"\ncaption = "图"\nalt = "一张图"\n'}


def css(text: str) -> dict:
    return {MD: "# 标题\n\n正文。\n", CSS: text}


def svg_uri(body: str) -> str:
    """An SVG image as a data: URI; "{port}" stays readable, for Sandbox.fill."""
    svg = f'<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8">{body}</svg>'
    return "data:image/svg+xml," + urllib.parse.quote(svg, safe="/{}")


@dataclass(frozen=True)
class Case:
    id: str
    files: dict
    where: str | None  # how the problem line starts (None: a print-side line without a file)
    reference: str  # what the line must name; "{port}" and "{secrets}" are filled in
    formats: tuple[str, ...] = ("epub", "pdf")


SERVER = "http://127.0.0.1:{port}"
REFUSED = [
    # Photos in Markdown and raw <img>: refused by the reader, before anything is rendered.
    Case("image-absolute-path", md("![照片](/etc/passwd)"), f"{MD}:3", "'/etc/passwd'"),
    Case("image-absolute-secret", md("![照片]({secrets}/secret.png)"), f"{MD}:3",
         "{secrets}/secret.png"),
    Case("image-file-url", md("![照片](file://{secrets}/secret.png)"), f"{MD}:3",
         "'file://{secrets}/secret.png'"),
    Case("raw-img-file-url", md('<img src="file:///etc/passwd" alt="图">'), f"{MD}:3",
         "'file:///etc/passwd'"),
    Case("image-http", md(f"![照片]({SERVER}/x.png)"), f"{MD}:3", f"'{SERVER}/x.png'"),
    Case("image-https", md("![照片](https://127.0.0.1:{port}/x.png)"), f"{MD}:3",
         "'https://127.0.0.1:{port}/x.png'"),
    Case("image-ftp", md("![照片](ftp://127.0.0.1:{port}/x.png)"), f"{MD}:3",
         "'ftp://127.0.0.1:{port}/x.png'"),
    Case("image-gopher", md("![照片](gopher://127.0.0.1:{port}/x.png)"), f"{MD}:3",
         "'gopher://127.0.0.1:{port}/x.png'"),
    Case("image-scheme-relative", md("![照片](//127.0.0.1:{port}/x.png)"), f"{MD}:3",
         "'//127.0.0.1:{port}/x.png'"),
    Case("raw-img-http", md(f'<img src="{SERVER}/raw.png" alt="图">'), f"{MD}:3",
         f"'{SERVER}/raw.png'"),
    Case("image-dotdot", md("![照片](../../secret.png)"), f"{MD}:3", "'../../secret.png'"),
    Case("image-dotdot-encoded", md("![照片](photos/%2e%2e/%2e%2e/%2e%2e/secret.png)"),
         f"{MD}:3", "'photos/%2e%2e/%2e%2e/%2e%2e/secret.png'"),
    Case("captions-dotdot", captions("../../secret.png"), f"{CAPTIONS}:1", "'../../secret.png'"),
    Case("captions-absolute", captions("/etc/passwd"), f"{CAPTIONS}:1", "'/etc/passwd'"),
    Case("captions-http", captions(f"{SERVER}/c.png"), f"{CAPTIONS}:1", f"'{SERVER}/c.png'"),
    # An SVG data: image is carried as written by the EPUB: what could run or load is refused.
    Case("svg-data-script", md('<img alt="图" src="' + svg_uri("<script>alert(1)</script>") +
                               '">'), f"{MD}:3", "<script>"),
    Case("svg-data-foreign-object",
         md("![图](" + svg_uri("<foreignObject><p>x</p></foreignObject>") + ")"), f"{MD}:3",
         "<foreignObject>"),
    Case("svg-data-external-image",
         md("![图](" + svg_uri('<image href="' + SERVER + '/svg.png"/>') + ")"), f"{MD}:3",
         f"'{SERVER}/svg.png'"),
    Case("svg-data-onload", md("![图](" + svg_uri("<rect onload='alert(1)'/>") + ")"),
         f"{MD}:3", "onload"),
    # Project stylesheets: every reference is read, fetched by the layout or not.
    Case("css-import-http", css(f"@import url({SERVER}/a.css);"), f"{CSS}:1:9",
         f"'{SERVER}/a.css'"),
    Case("css-import-dotdot", css('@import "../../secret.css";'), f"{CSS}:1:9",
         "'../../secret.css'"),
    Case("css-url-dotdot", css("body { background: url(../../secret.png) }"), f"{CSS}:1:",
         "'../../secret.png'"),
    Case("css-url-file", css("body { background: url(file:///etc/passwd) }"), f"{CSS}:1:",
         "'file:///etc/passwd'"),
    Case("css-url-absolute", css("body { background: url({secrets}/secret.png) }"), f"{CSS}:1:",
         "'{secrets}/secret.png'"),
    Case("css-url-ftp", css("p { background: url(ftp://127.0.0.1:{port}/x.png) }"), f"{CSS}:1:",
         "'ftp://127.0.0.1:{port}/x.png'"),
    Case("css-screen-only", css("@media screen {\n  p { background: url(" + SERVER +
                                "/screen.png) }\n}"), f"{CSS}:2:", f"'{SERVER}/screen.png'"),
    Case("css-unused-rule", css(".nothing { background: url(gopher://127.0.0.1:{port}/x) }"),
         f"{CSS}:1:", "'gopher://127.0.0.1:{port}/x'"),
    Case("css-font-face", css("@font-face { font-family: X; src: url(" + SERVER + "/f.woff2) }"),
         f"{CSS}:1:", f"'{SERVER}/f.woff2'"),
    Case("css-image-set", css('p { background-image: image-set("' + SERVER + '/i.png" 1x) }'),
         f"{CSS}:1:", f"'{SERVER}/i.png'"),
    Case("css-escaped-url", css("p { background: u\\72 l(" + SERVER + "/e.png) }"), f"{CSS}:1:",
         f"'{SERVER}/e.png'"),
    Case("css-data-svg", css("body { background: url(\"" + svg_uri(
        f"<image href='{SERVER}/d.png'/>") + "\") }"), f"{CSS}:1:", f"'{SERVER}/d.png'"),
    # Other files the outputs use.
    Case("epub-cover-dotdot", {**md("正文。"), "book.toml": '[book]\ntitle = "书"\nlanguage = '
                               '"zh-Hans"\n[epub]\ncover = "../../secret.png"\n'},
         "book.toml", "'../../secret.png'", formats=("epub",)),
    Case("font-file-dotdot", {**md("正文。"), "fonts/fonts.toml":
                              '[body]\nfamily = "X"\nfiles = ["../../secret.ttf"]\n'},
         "fonts/fonts.toml", "../../secret.ttf", formats=("epub",)),
]

# Links out of the project: refused before anything is read (luoshu.files.gate.links_out_of),
# whether the manuscript uses the file or not.
REFUSED += [
    Case("image-symlink-outside", {**md("![照片](photos/link.png)"),
                                   "manuscript/photos/link.png": Link("secret.png")},
         "manuscript/photos/link.png: ", "secret.png"),
    Case("css-symlink-outside", {**css(""), CSS: Link("secret.css")}, f"{CSS}: ", "secret.css"),
    Case("section-symlink-outside", {**md("正文。"), "manuscript/02-leak.md": Link("secret.md")},
         "manuscript/02-leak.md: ", "secret.md"),
    Case("captions-symlink-outside", {**md("正文。"), CAPTIONS: Link("secret-captions.toml")},
         f"{CAPTIONS}: ", "secret-captions.toml"),
    Case("book-toml-symlink-outside", {**md("正文。"), "book.toml": Link("secret-book.toml")},
         "book.toml: ", "secret-book.toml"),
    Case("styles-folder-symlink", {**md("正文。"), "styles": Link("secret-styles")},
         "styles: ", "secret-styles"),
    Case("photos-folder-symlink", {**md("![照片](photos/ok.png)"),
                                   "manuscript/photos": Link("secret-photos")},
         "manuscript/photos: ", "secret-photos"),
    Case("fonts-folder-symlink", {**md("正文。"), "fonts": Link("secret-fonts")}, "fonts: ",
         "secret-fonts"),
]


def refused_params():
    for case in REFUSED:
        for fmt in case.formats:
            yield pytest.param(case, fmt, id=f"{case.id}-{fmt}")


@pytest.mark.parametrize("case, fmt", list(refused_params()))
def test_refused_with_a_clear_line_and_nothing_leaks(sandbox: Sandbox, case: Case, fmt: str):
    project = sandbox.project(case.files)
    error, out = sandbox.build(project, [fmt])
    assert error is not None, "the build should have been refused"
    lines = [str(p) for p in error.problems if p.severity == "error"]
    assert all("\n" not in line for line in lines)
    reference = sandbox.fill(case.reference)
    assert any((case.where is None or line.startswith(case.where)) and reference in line
               for line in lines), lines
    assert not [p for p in out.iterdir() if p.suffix in (".epub", ".pdf")]
    sandbox.assert_nothing_leaked(out)
    sandbox.assert_nothing_fetched()


def test_the_command_line_prints_one_line_naming_file_and_reference(sandbox: Sandbox):
    project = sandbox.project(css(f"p {{ color: red }}\n@import url({SERVER}/cli.css);"))
    with sandbox.watching():
        result = CliRunner().invoke(main, ["build", str(project), "--format", "epub,pdf"])
    assert result.exit_code == 1
    assert "Traceback" not in result.stderr
    expected = sandbox.fill(f"{CSS}:2:9: refused '{SERVER}/cli.css': only files inside")
    assert any(line.startswith(expected) for line in result.stderr.splitlines()), result.stderr
    sandbox.assert_nothing_fetched()


# --- raw HTML: sanitized away, in one manuscript built once ------------------------------------

SANITIZED = {
    "script": '<script>alert("{mark}")</script>',
    "script-src-mixed-case": '<ScRiPt SRC="' + SERVER + '/{mark}.js"></sCrIpT>',
    "img-onerror": '<img src="photos/ok.png" alt="好图" onerror="alert(\'{mark}\')">',
    "handlers": '<div onload="alert(\'{mark}\')" ONMOUSEOVER="x(\'{mark}\')">块</div>',
    "a-javascript": '<a href="javascript:alert(\'{mark}\')">链</a>',
    "a-javascript-mixed-case": '<a href="JaVaScRiPt:alert(\'{mark}\')">链</a>',
    "a-javascript-entity-tab": '<a href="jav&#x09;ascript:alert(\'{mark}\')">链</a>',
    "a-javascript-entity-newline": '<a href="jav&#10;ascript:alert(\'{mark}\')">链</a>',
    "a-javascript-entities": '<a href="&#106;&#97;&#118;&#97;script&#58;alert(\'{mark}\')">链</a>',
    "a-javascript-leading-blanks": '<a href=" \t javascript:alert(\'{mark}\')">链</a>',
    "a-vbscript": '<a href="vbscript:msgbox(\'{mark}\')">链</a>',
    "a-data-html": '<a href="data:text/html,%3Cscript%3Ealert(\'{mark}\')%3C/script%3E">链</a>',
    "markdown-link-javascript": "[链](javascript:alert%28%22{mark}%22%29)",
    "markdown-link-javascript-upper": "[链](JAVASCRIPT:alert%28%22{mark}%22%29 \"标题\")",
    "markdown-image-javascript": "![图](javascript:alert%28%22{mark}%22%29)",
    "img-javascript-src": '<img src="JAVA&#x0A;SCRIPT:alert(\'{mark}\')" alt="坏">',
    "iframe": '<iframe src="' + SERVER + '/{mark}.html">{mark}</iframe>',
    "iframe-srcdoc": '<iframe srcdoc="&lt;script&gt;alert(\'{mark}\')&lt;/script&gt;"></iframe>',
    "object": '<object data="' + SERVER + '/{mark}.swf" type="application/x-shockwave-flash">'
              '</object>',
    "embed": '<embed src="' + SERVER + '/{mark}.swf"><embed src="../../secret.txt">',
    "base": '<base href="' + SERVER + '/{mark}/">',
    "meta-refresh": '<meta http-equiv="refresh" content="0;url=' + SERVER + '/{mark}">',
    "link-stylesheet-http": '<link rel="stylesheet" href="' + SERVER + '/{mark}.css">',
    "link-stylesheet-outside": '<link rel="stylesheet" href="../../secret.css" title="{mark}">',
    "link-attachment": '<link rel="attachment" href="../../secret.txt" title="{mark}">'
                       '<link rel="attachment" href="' + SERVER + '/{mark}.txt">',
    "a-attachment-outside": '<a rel="attachment" href="../../secret.txt">附件</a>',
    "a-attachment-inside": '<a rel="nofollow Attachment" href="../book.toml">书</a>',
    "style-element": "<style>@import url(" + SERVER + "/{mark}.css); "
                     "body { background: url(../../secret.png) }</style>",
    "svg-script": "<svg><script>alert('{mark}')</script></svg>",
    "svg-foreign-object": '<svg><foreignObject><p>{mark}</p><iframe src="' + SERVER +
                          '/fo.html"></iframe></foreignObject></svg>',
    "svg-image": '<svg><image href="' + SERVER + '/{mark}.png"/>'
                 '<image xlink:href="file:///etc/passwd"/></svg>',
    "style-attribute-url": '<p style="background: url(' + SERVER + '/{mark}.png)">样式</p>',
    "style-attribute-escaped": '<p style="background: u\\72 l(' + SERVER + '/{mark}.png)">样</p>',
    "style-attribute-uppercase": '<p style="BACKGROUND-IMAGE: URL(\'../../secret.png#{mark}\')">'
                                 "样式</p>",
    "attribute-list": '段落\n{: onclick="alert(\'{mark}\')" style="background:url(' + SERVER +
                      '/{mark}.png)" }',
    "video": '<video src="' + SERVER + '/{mark}.mp4" poster="' + SERVER + '/{mark}.png"></video>',
    "audio-source": '<audio><source src="' + SERVER + '/{mark}.mp3"></audio>',
    "img-srcset": '<img src="photos/ok.png" alt="图" srcset="' + SERVER + '/{mark}.png 2x">',
    "input-image": '<input type="image" src="' + SERVER + '/{mark}.png">',
    "table-background": '<table background="' + SERVER + '/{mark}.png"><tr><td>格</td></tr>'
                        "</table>",
    "form": '<form action="' + SERVER + '/{mark}"><button formaction="javascript:x()">钮</button>'
            "</form>",
    "xml-base": '<div xml:base="' + SERVER + '/{mark}/"><img src="photos/ok.png" alt="图"></div>',
    "xmlns": '<p xmlns="http://www.w3.org/2000/svg" data-x="{mark}">命名空间</p>',
    "comment": "<!-- <script>alert('{mark}')</script> -->",
    "processing-instruction": '<?xml-stylesheet href="' + SERVER + '/{mark}.css"?>',
    "math-href": "<math href=\"javascript:alert('{mark}')\"><mi>x</mi></math>",
    "area-href": '<map name="m"><area href="javascript:alert(\'{mark}\')" shape="rect"></map>',
    "noscript": '<noscript><img src="' + SERVER + '/{mark}.png" alt="x"></noscript>',
    "data-block": '<span data-block="{mark}">文</span>',  # luoshu's own print marker
    "a-relative-outside": '<a href="../../../../../etc/passwd#{mark}">本地</a>',
    "markdown-link-relative": "[本地](../book.toml#{mark})",
    "a-file-url": '<a href="file:///etc/passwd#{mark}">本地</a>',
}


def mark(name: str) -> str:
    return f"LUOSHU-XSS-{list(SANITIZED).index(name):02d}"


@pytest.fixture(scope="module")
def sanitized(module_sandbox: Sandbox):
    """The sanitized manuscript built once, as EPUB and print PDF: (sandbox, out, blobs)."""
    paragraphs = [snippet.replace("{mark}", mark(name)) for name, snippet in SANITIZED.items()]
    project = module_sandbox.project({
        MD: "# 标题\n\n" + "\n\n".join(f"{p}\n\n第{i}段。" for i, p in enumerate(paragraphs)),
        "manuscript/02-photo.md": "# 照片\n\n![一张图](photos/ok.png)\n",
    })
    error, out = module_sandbox.build(project, ["epub", "pdf"])
    assert error is None, str(error)
    return module_sandbox, out, module_sandbox.output_blobs(out)


@pytest.mark.parametrize("name", list(SANITIZED))
def test_sanitized_vector_leaves_no_trace(sanitized, name: str):
    _, _, blobs = sanitized
    needle = mark(name).encode()
    assert [where for where, data in blobs if needle in data] == []


def test_sanitized_build_leaks_and_fetches_nothing(sanitized):
    sandbox, out, _ = sanitized
    sandbox.assert_nothing_leaked(out)
    sandbox.assert_nothing_fetched()
    # Every reference to the test server was in something removed: none is left anywhere.
    port = f"127.0.0.1:{sandbox.port}".encode()
    assert [where for where, data in sandbox.output_blobs(out) if port in data] == []


ACTIVE_TAGS = {"script", "iframe", "object", "embed", "base", "frame", "frameset", "applet",
               "svg", "foreignObject", "video", "audio", "source", "form", "input", "style",
               "noscript"}
SCRIPT_URL = re.compile(rb"(?i)(java|vb)script:")


def test_sanitized_epub_has_no_active_content(sanitized):
    _, out, _ = sanitized
    entries = epub_entries(out / "book.epub")
    documents = {name: data for name, data in entries.items() if name.endswith(".xhtml")}
    assert "EPUB/text/01-hostile.xhtml" in documents and "EPUB/images/ok.png" in entries
    for name, data in documents.items():
        assert not re.search(rb"(?i)<script", data), name
        assert not SCRIPT_URL.search(re.sub(rb"[\x00-\x20]", b"", data)), name
        for element in etree.fromstring(data).iter():
            if not isinstance(element.tag, str):
                continue
            tag = etree.QName(element).localname
            if name == "EPUB/cover.xhtml" and tag in ("svg", "title", "image"):
                # luoshu's own cover: an SVG that only scales the cover image to the screen.
                assert not set(element.attrib) - {"width", "height", "viewBox", "version",
                                                  "class", "role", "aria-label",
                                                  "preserveAspectRatio",
                                                  "{http://www.w3.org/1999/xlink}href"}
                continue
            assert tag not in ACTIVE_TAGS, (name, tag)
            if tag == "meta":
                assert set(element.attrib) == {"charset"}, (name, element.attrib)
            if tag == "link":
                assert element.get("rel") == "stylesheet" and ":" not in element.get("href")
            for attribute, value in element.attrib.items():
                local = etree.QName(attribute).localname.lower()
                assert not local.startswith("on"), (name, tag, attribute)
                assert not local.startswith("data-"), (name, tag, attribute)
                assert local not in ("srcset", "background", "poster", "action"), (name, tag)
                if local == "style":
                    assert "url(" not in value.lower(), (name, value)
                if local == "src":
                    assert tag == "img" and not re.match(r"^[a-z][a-z0-9+.-]*:|^/", value)
                if local == "href" and tag == "a" and name.startswith("EPUB/text/"):
                    assert value.startswith(("#", "http://", "https://", "mailto:")), value
                if local == "rel":
                    assert "attachment" not in value.lower(), (name, value)
    for name, data in entries.items():
        if name.endswith(".css"):
            for reference in stylesheet_references(data):
                assert not re.match(r"^[a-z][a-z0-9+.-]*:|^/", reference.value) \
                    or reference.value.startswith("data:"), (name, reference)


def test_sanitized_pdf_embeds_and_runs_nothing(sanitized):
    sandbox, out, _ = sanitized
    sandbox.assert_pdf_inert(out / "book.pdf")


# --- the EPUB's own check, and the watchers themselves ---------------------------------------


def test_epub_refuses_a_hostile_stylesheet_without_the_print_layout(sandbox: Sandbox):
    """The loader refuses such a stylesheet before any output runs, and the print layout's
    fetcher would; the EPUB writer must refuse on its own all the same (the stylesheet is
    written after the book is read)."""
    project = sandbox.project(css("p { color: red }"))
    book, _ = load_book(project)
    (project / CSS).write_text(
        "@media screen { p { background: url(" + sandbox.fill(SERVER) + "/s.png) } }")
    with sandbox.watching(), pytest.raises(ProjectError) as failure:
        write_epub(book, sandbox.root / "book.epub", datetime.datetime(2024, 1, 1))
    assert [str(p) for p in failure.value.problems] == [sandbox.fill(
        f"{CSS}:1:33: refused '{SERVER}/s.png': only files inside the project folder can be "
        "used (no URLs, no absolute paths)")]
    assert not (sandbox.root / "book.epub").exists()
    sandbox.assert_nothing_fetched()


def test_the_watchers_see_a_leak_and_a_fetch(sandbox: Sandbox):
    """The checks above prove something only if they can fail: a marker in the text must be
    found in the EPUB and in the PDF's text, and a request or an open must be recorded."""
    project = sandbox.project(md(f"正文 {SECRET} 完。"))
    error, out = sandbox.build(project, ["epub", "pdf"])
    assert error is None, str(error)
    with pytest.raises(AssertionError) as leaked:
        sandbox.assert_nothing_leaked(out)
    assert "book.pdf (text)" in str(leaked.value) and "01-hostile.xhtml" in str(leaked.value)
    sandbox.assert_nothing_fetched()

    with sandbox.watching():
        urllib.request.urlopen(sandbox.fill(f"{SERVER}/probe"), timeout=5).read()
        (sandbox.root / "secret.txt").read_bytes()
    with pytest.raises(AssertionError):
        sandbox.assert_nothing_fetched()
    assert sandbox.requests == ["GET /probe"]
    assert [kind for kind, _ in sandbox.events] == ["connect", "open"]
