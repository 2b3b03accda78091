"""What test_sandbox.py watches a hostile build with, and how it reads the outputs.

- ``RecordingServer``: a real HTTP server on 127.0.0.1 (a free port) that records every
  connection and request. The manuscripts point at it; it must record nothing. What it would
  answer carries ``REMOTE``, so a fetched answer that reached an output would show too.
- An audit hook (``sys.addaudithook``, installed once, idle outside ``Sandbox.watching``)
  records every ``socket.connect`` and every ``open`` of the secret files or /etc/passwd (also
  through a symlink): an attempt is seen even when it never reaches the server or an output.
- ``Sandbox``: one folder holding the secret files and the project beside them, the build,
  and the checks: ``assert_nothing_leaked`` (markers in no EPUB entry, PDF byte, decompressed
  PDF stream or pdftotext text), ``assert_nothing_fetched`` (server, connects, opens, and
  every URL WeasyPrint's fetcher answered is a project file or data:), ``assert_pdf_inert``.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import subprocess
import sys
import threading
import zipfile
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pikepdf
import pytest
from PIL import Image, PngImagePlugin

from luoshu.build.stages import build_book
from luoshu.errors import ProjectError
from luoshu.fonts.roles import system_faces
from luoshu.layout.fetcher import PROJECT_URL, ProjectFetcher

SECRET = "LUOSHU-SECRET-7f3a"
REMOTE = "LUOSHU-REMOTE-7f3a"  # in everything the test server answers
PASSWD = Path("/etc/passwd")
DEFAULT_BOOK_TOML = '[book]\ntitle = "测试之书"\nlanguage = "zh-Hans"\n'


@dataclass(frozen=True)
class Link:
    """A symlink in the project, to the secret file *target* beside the project."""

    target: str


# --- the audit hook ---------------------------------------------------------------------------

_events: list[tuple[str, str]] | None = None  # set while a Sandbox is watching
_watched_paths: tuple[str, ...] = ()


def _audit(event: str, args: tuple) -> None:
    events = _events
    if events is None:
        return
    if event == "socket.connect":
        events.append(("connect", repr(args[1])))
    elif event == "open" and isinstance(args[0], (str, bytes, os.PathLike)):
        path = os.path.realpath(os.fsdecode(args[0]))  # a symlink in the project, followed
        if path.startswith(_watched_paths):
            events.append(("open", path))


sys.addaudithook(_audit)


# --- the server -------------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    timeout = 2  # an FTP client would wait for a greeting: do not hang the test

    def do_GET(self) -> None:
        self.server.requests.append(f"{self.command} {self.path}")
        body = f"/* {REMOTE} */ body {{ color: red }}".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/css" if self.path.endswith(".css") else
                         "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_HEAD = do_PUT = do_GET

    def log_message(self, *args) -> None:
        pass


class RecordingServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.connections: list[object] = []
        self.requests: list[str] = []

    @property
    def port(self) -> int:
        return self.server_address[1]

    def verify_request(self, request, client_address) -> bool:
        self.connections.append(client_address)  # any connection, HTTP or not
        return True


@contextlib.contextmanager
def running_server():
    server = RecordingServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


# --- the sandbox ------------------------------------------------------------------------------


def png(comment: str | None = None) -> bytes:
    info = PngImagePlugin.PngInfo()
    if comment:
        info.add_text("Comment", comment)
    buffer = io.BytesIO()
    Image.new("RGB", (16, 12), (180, 60, 40)).save(buffer, "PNG", pnginfo=info)
    return buffer.getvalue()


SECRET_FILES = {
    "secret.txt": f"{SECRET}\n",
    "secret.css": f"/* {SECRET} */ body {{ color: red }}\n",
    "secret.png": png(SECRET),  # a good image: only where it is makes it wrong
    "secret.ttf": f"{SECRET}\n",
    "secret.md": f"# 秘密\n\n{SECRET}\n",
    "secret-captions.toml": f'[[photo]]\nfile = "photos/ok.png"\ncaption = "{SECRET}"\n'
                            'alt = "图"\n',
    "secret-book.toml": f'[book]\ntitle = "{SECRET}"\nlanguage = "zh-Hans"\n',
    # Folders a project folder could be linked to.
    "secret-styles/house.css": f"/* {SECRET} */ p {{ color: red }}\n",
    "secret-photos/ok.png": png(SECRET),
    "secret-fonts/fonts.toml": '[caption]\nfamily = "LXGW WenKai"\nfiles = ["wenkai.ttf"]\n',
}


class Sandbox:
    """A folder with the secret files and, beside them, the project under attack:
    ``root/secret.*`` and ``root/project`` (so manuscript/../../secret.png is a secret)."""

    def __init__(self, root: Path, server: RecordingServer):
        self.root = root
        self.server = server
        self.port = server.port
        # What happened while this sandbox watched (the server is shared: only its share).
        self.events: list[tuple[str, str]] = []  # audit hook: ("connect"|"open", what)
        self.connections: list[object] = []  # the server's
        self.requests: list[str] = []
        self.served: list[tuple[str, str]] = []  # (URL asked, URL answered) by the fetcher
        for name, content in SECRET_FILES.items():
            path = root / name
            path.parent.mkdir(exist_ok=True)
            path.write_bytes(content if isinstance(content, bytes) else content.encode())
        font = next(iter(system_faces("LXGW WenKai")), None)  # a real font, outside the project
        if font is not None:
            (root / "secret-fonts/wenkai.ttf").symlink_to(font.path)

    def fill(self, text: str) -> str:
        return text.replace("{port}", str(self.port)).replace("{secrets}", str(self.root))

    def project(self, files: dict) -> Path:
        project = self.root / "project"
        shutil.rmtree(project, ignore_errors=True)
        defaults = {"book.toml": DEFAULT_BOOK_TOML, "manuscript/photos/ok.png": png()}
        files = {**{name: content for name, content in defaults.items()
                    if not any(name.startswith(given + "/") for given in files)}, **files}
        for relative, content in files.items():
            path = project / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, Link):
                path.symlink_to(self.root / content.target)
            elif isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(self.fill(content), encoding="utf-8")
        return project

    @contextlib.contextmanager
    def watching(self):
        """Record connects, opens of the secrets, what the fetcher answers and what reaches
        the server."""
        global _events, _watched_paths
        original = ProjectFetcher.fetch
        served = self.served
        connections, requests = len(self.server.connections), len(self.server.requests)

        def spy(fetcher, url, headers=None):
            response = original(fetcher, url, headers)
            served.append((url, response.url))
            return response

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(ProjectFetcher, "fetch", spy)
            _events, _watched_paths = self.events, (str(self.root / "secret"), str(PASSWD))
            try:
                yield
            finally:
                _events = None
                self.connections += self.server.connections[connections:]
                self.requests += self.server.requests[requests:]

    def build(self, project: Path, formats: list[str]) -> tuple[ProjectError | None, Path]:
        out = self.root / "out"
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir()
        with self.watching():
            try:
                build_book(project, out, formats)
            except ProjectError as error:
                return error, out
        return None, out

    # --- the checks ---------------------------------------------------------------------------

    def assert_nothing_fetched(self) -> None:
        assert self.connections == [], self.connections
        assert self.requests == [], self.requests
        assert self.events == [], self.events
        for asked, answered in self.served:
            assert answered.startswith((PROJECT_URL, "data:")), (asked, answered)

    def output_blobs(self, out: Path) -> list[tuple[str, bytes]]:
        """Every file of *out*; every entry of each EPUB; each PDF's decompressed streams
        and its text as pdftotext extracts it."""
        blobs = []
        for path in sorted(p for p in out.rglob("*") if p.is_file()):
            blobs.append((path.name, path.read_bytes()))
            if path.suffix == ".epub":
                blobs += [(f"{path.name}!{name}", data)
                          for name, data in epub_entries(path).items()]
            elif path.suffix == ".pdf":
                blobs += pdf_streams(path)
                text = subprocess.run(["pdftotext", "-q", "-enc", "UTF-8", str(path), "-"],
                                      capture_output=True, check=True).stdout
                blobs.append((f"{path.name} (text)", text))
        return blobs

    def assert_nothing_leaked(self, out: Path) -> None:
        needles = [SECRET.encode(), REMOTE.encode()]
        if PASSWD.is_file():
            needles.append(b"root:x:0:0")
        found = [(where, needle) for where, data in self.output_blobs(out)
                 for needle in needles if needle in data]
        assert found == [], found

    @staticmethod
    def assert_pdf_inert(path: Path) -> None:
        """No embedded file, no JavaScript, no action but links to the web or inside."""
        with pikepdf.open(path) as document:
            assert not document.attachments
            for obj in document.objects:
                if not isinstance(obj, (pikepdf.Dictionary, pikepdf.Stream)):
                    continue
                keys = set(obj.keys())
                assert not keys & {"/JS", "/JavaScript", "/EmbeddedFiles", "/AA"}, keys
                assert obj.get("/Type") not in ("/EmbeddedFile", "/Filespec")
                assert obj.get("/S") not in ("/JavaScript", "/Launch", "/SubmitForm",
                                             "/ImportData", "/GoToR", "/GoToE")
            for page in document.pages:  # link actions are direct objects: not listed above
                for annotation in page.get("/Annots", []):
                    action = annotation.get("/A", {})
                    assert action.get("/S") in (None, "/URI", "/GoTo"), action
                    if "/URI" in action:
                        assert str(action.URI).startswith(("http://", "https://", "mailto:")), \
                            str(action.URI)


def epub_entries(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def pdf_streams(path: Path) -> list[tuple[str, bytes]]:
    found = []
    with pikepdf.open(path) as document:
        for obj in document.objects:
            if isinstance(obj, pikepdf.Stream):
                try:
                    data = obj.read_bytes()
                except pikepdf.PdfError:
                    data = obj.read_raw_bytes()
                found.append((f"{path.name} object {obj.objgen}", data))
    return found
