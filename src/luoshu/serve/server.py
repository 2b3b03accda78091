"""``luoshu serve``: a live preview of a book project in the browser, rebuilt as it is edited.

A ``LivePreview`` owns everything of one preview and nothing outlives it: the state (what is
shown, luoshu.serve.state), the HTTP server, the watcher that rebuilds the text and the
worker that makes the print pages (luoshu.serve.rebuild), and a scratch folder for the print pages.
``stop`` ends them all and removes the folder.

The server answers from a fixed map and never from the file system by name:

    /                      the book's documents in reading order (preview page)
    /book/<path>           a file of the EPUB's package folder, as the EPUB stores it
                           (text/01-intro.xhtml, style/book.css, fonts/…, images/…)
    /print/                the print pages, as images with their numbers (preview page)
    /print/page-NN.png     one print page, from the scratch folder
    /__luoshu/version      the versions the reload script polls (JSON)
    /__luoshu/preview.js   the reload script; /__luoshu/preview.css, the preview's own styles

A path is looked up exactly as it was sent; anything else — other paths, ``..``, percent
escapes, backslashes, empty segments, absolute URLs — is 404, so no request can name a file
the map does not hold. It listens on the loopback interface unless told otherwise, and then
answers only requests addressed to a loopback name (a web page elsewhere cannot use DNS
rebinding to read the book). Every answer carries a Content-Security-Policy that lets pages
run only the preview's own script.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import re
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Self

from . import pages as preview_pages
from .print_pages import DEFAULT_DPI
from .rebuild import PrintWorker, Report, TextRebuilder
from .state import PreviewState, View

# The book's pages load their stylesheets, fonts and images from the preview and run only the
# preview's script; inline styles stay allowed (photos' widths are style attributes).
PAGE_POLICY = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
               "img-src 'self'; font-src 'self'; connect-src 'self'; base-uri 'none'; "
               "form-action 'none'; frame-ancestors 'none'")
# Anything else (an SVG photo opened on its own, say) may run nothing at all.
FILE_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; sandbox"

# What a request path may look like: "/" and segments of ASCII letters, digits, "_", "-" and
# ".", none starting with "." (no "..", no hidden names), no empty ones.
_SEGMENT = r"[A-Za-z0-9_-][A-Za-z0-9_.-]*"
_PATH = re.compile(rf"/(?:{_SEGMENT}(?:/{_SEGMENT})*/?)?")
TEXT_TYPES = ("text/", "application/xhtml+xml", "application/json", "image/svg+xml")
BOOK, PRINT, ASSETS = "/book/", "/print/", preview_pages.ASSET_PREFIX
ASSET_TYPES = {preview_pages.SCRIPT: "text/javascript", preview_pages.STYLESHEET: "text/css"}


@dataclass(frozen=True)
class Response:
    status: int
    media_type: str
    body: bytes


NOT_FOUND = Response(404, "text/plain", b"not found\n")
# What a client that goes away mid-request makes a read or write raise: BrokenPipeError,
# ConnectionResetError, ConnectionAborted, and a read that times out.
DROPPED = (ConnectionError, TimeoutError)
LOG = logging.getLogger("luoshu")


def request_path(target: str) -> str | None:
    """The path of a request target, or None when it is anything but a plain local path."""
    path = target.split("?", 1)[0].split("#", 1)[0]
    return path if _PATH.fullmatch(path) else None


def route(view: View, target: str) -> Response:
    """The answer to GET *target* from the preview as *view* shows it."""
    path = request_path(target)
    if path is None:
        return NOT_FOUND
    text = view.text
    language, title = (text.language, text.title) if text else ("zh-Hans", "luoshu")
    labels = preview_pages.labels_for(language)

    def page(body: bytes, media_type: str, watch: tuple[str, ...], path: str = "") -> Response:
        previous, following = preview_pages.neighbours(text, path) if text else (None, None)
        chrome = preview_pages.Chrome(view.versions, watch, view.problems, labels, previous,
                                      following, navigation=bool(path))
        return Response(200, media_type, preview_pages.inject(body, media_type, chrome))

    if path == "/":
        building = text is None and not view.problems
        return page(preview_pages.index_page(text, language, title, building), "text/html",
                    ("text",))
    if path == PRINT:
        return page(preview_pages.print_page(view.pages, view.printing, language, title),
                    "text/html", ("print",))
    if path == f"{ASSETS}version":
        return Response(200, "application/json", json.dumps(view.versions).encode())
    if path.startswith(ASSETS) and path[len(ASSETS):] in ASSET_TYPES:
        name = path[len(ASSETS):]
        return Response(200, ASSET_TYPES[name], preview_pages.asset(name))
    if path.startswith(BOOK) and text is not None:
        entry = text.files.get(path[len(BOOK):])
        if entry is not None:
            document = text.document(path[len(BOOK):])
            if document is None:
                return Response(200, entry.media_type, entry.content)
            return page(entry.content, entry.media_type, ("text",), document.path)
    if path.startswith(PRINT) and view.pages is not None:
        file = view.pages.file(path[len(PRINT):])
        if file is not None:
            try:
                return Response(200, "image/png", file.read_bytes())
            except OSError:  # replaced by newer pages a moment ago: the page will reload
                return NOT_FOUND
    return NOT_FOUND


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def loopback_hosts(port: int) -> frozenset[str]:
    """The Host headers a browser sends to a preview on the loopback interface at *port*."""
    names = ("127.0.0.1", "localhost", "[::1]")
    return frozenset(names) | frozenset(f"{name}:{port}" for name in names)


class PreviewServer(ThreadingHTTPServer):
    """An HTTP server of one PreviewState; a thread per request, none outliving the server."""

    daemon_threads = True
    block_on_close = False

    def __init__(self, host: str, port: int, state: PreviewState):
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        super().__init__((host, port), PreviewHandler)
        self.state = state
        self.hosts = loopback_hosts(self.server_address[1]) if is_loopback(host) else None

    def handle_error(self, request: object, client_address: tuple) -> None:
        """A browser that closes a connection mid-request (a reload, a closed tab, a page left
        before its images came) is no error of the preview's: a debug line, not a traceback
        burying the rebuild messages. Anything else is a bug, reported as socketserver does."""
        error = sys.exc_info()[1]
        if isinstance(error, DROPPED):
            LOG.debug("luoshu serve: %s closed the connection (%s)", client_address[0],
                      type(error).__name__)
            return
        super().handle_error(request, client_address)


class PreviewHandler(BaseHTTPRequestHandler):
    server: PreviewServer
    server_version = "luoshu-preview"
    sys_version = ""

    def do_GET(self) -> None:
        self._answer(send_body=True)

    def do_HEAD(self) -> None:
        self._answer(send_body=False)

    def _answer(self, send_body: bool) -> None:
        hosts = self.server.hosts
        if hosts is not None and self.headers.get("Host", "").lower() not in hosts:
            response = Response(403, "text/plain", b"this preview answers to localhost only\n")
        else:
            response = route(self.server.state.view, self.path)
        kind = response.media_type
        if kind.startswith(TEXT_TYPES):
            kind += "; charset=utf-8"
        html = response.media_type in preview_pages.HTML_TYPES
        self.send_response(response.status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(response.body)))
        self.send_header("Content-Security-Policy", PAGE_POLICY if html else FILE_POLICY)
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("Cache-Control", "no-store")  # every reload shows the latest build
        self.end_headers()
        if send_body:
            self.wfile.write(response.body)

    def log_message(self, format: str, *args: object) -> None:
        pass  # a line per request would bury the rebuild messages


class LivePreview:
    """One running preview of *project*: ``start``, then ``stop`` (or use it with ``with``)."""

    def __init__(self, project: Path, host: str = "127.0.0.1", port: int = 8000,
                 report: Report = print, dpi: int = DEFAULT_DPI, interval: float = 0.5,
                 print_pages: bool = True, print_command: Callable | None = None):
        self.project = project.resolve()
        self.host, self.port = host, port
        self.report = report
        self.dpi, self.interval, self.print_pages = dpi, interval, print_pages
        self.print_command = print_command
        self.state = PreviewState()
        self.scratch: Path | None = None
        self.server: PreviewServer | None = None
        self.printer: PrintWorker | None = None
        self.rebuilder: TextRebuilder | None = None
        self._threads: list[threading.Thread] = []

    def start(self) -> Self:
        """Bind the server (OSError when the port is taken), then build and watch."""
        self.server = PreviewServer(self.host, self.port, self.state)
        if self.print_pages and self.print_command is None and shutil.which("pdftoppm") is None:
            self.report("warning: pdftoppm is not installed, so the preview shows no print "
                        "pages (Debian: apt-get install poppler-utils)")
            self.print_pages = False
        self.scratch = Path(tempfile.mkdtemp(prefix="luoshu-serve-"))
        from .print_pages import command

        self.printer = PrintWorker(
            self.state, self.project, self.scratch, self.report,
            self.print_command or (lambda project, folder: command(project, folder, self.dpi)),
            self.print_pages)
        self.rebuilder = TextRebuilder(self.project, self.state, self.printer, self.report,
                                       self.interval)
        serving = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.2},
                                   name="luoshu-http", daemon=True)
        self._threads = [serving]
        serving.start()
        self.printer.start()
        self.rebuilder.start()
        return self

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        shown = "localhost" if is_loopback(host) else host
        return f"http://{f'[{shown}]' if ':' in shown else shown}:{port}/"

    def stop(self) -> None:
        """Stop watching, stop the print worker (and its child), shut the server, clean up."""
        if self.server is None:
            return
        self.rebuilder.stop()
        self.printer.stop()
        self.server.shutdown()
        self.server.server_close()
        for thread in self._threads:
            thread.join(5)
        if self.scratch is not None:
            shutil.rmtree(self.scratch, ignore_errors=True)
        self.server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def run(project: Path, host: str, port: int, report: Report,
        wait: Callable[[], None] | None = None) -> int:
    """``luoshu serve``: preview *project* until Ctrl-C; the exit status."""
    if not is_loopback(host):
        report(f"warning: serving on {host}, not on the loopback interface: anyone who can "
               f"reach this machine on port {port} can read the book")
    preview = LivePreview(project, host, port, report)
    try:
        preview.start()
    except OSError as error:
        report(f"luoshu: cannot listen on {host} port {port}: {error.strerror or error}")
        return 1
    report(f"luoshu: previewing {preview.project} at {preview.url} (Ctrl-C to stop)")
    main_thread = threading.current_thread() is threading.main_thread()
    # `kill` (SIGTERM) stops the preview as Ctrl-C does: threads ended, scratch folder gone.
    terminate = signal.signal(signal.SIGTERM, _interrupt) if main_thread else None
    try:
        (wait or _wait_forever)()
    except KeyboardInterrupt:
        pass
    finally:
        _stop_uninterrupted(preview)
        if main_thread:
            signal.signal(signal.SIGTERM, terminate)
    report("luoshu: preview stopped")
    return 0


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _wait_forever() -> None:
    while True:
        time.sleep(3600)


def _stop_uninterrupted(preview: LivePreview) -> None:
    """Stop *preview*; a second Ctrl-C meanwhile must not leave threads or files behind."""
    if threading.current_thread() is not threading.main_thread():
        preview.stop()
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        preview.stop()
    finally:
        signal.signal(signal.SIGINT, previous)
