"""The sandbox of the print layout: WeasyPrint may read the project's files, nothing else.

Manuscripts are untrusted, and CSS can make WeasyPrint fetch anything (``@import``,
``url()``, ``<img src>``). So every fetch goes through ``ProjectFetcher``, which serves only
files inside the project (through ``ProjectFiles``) and ``data:`` URIs, and never opens a
network connection. WeasyPrint swallows fetcher exceptions (it logs and carries on), so the
fetcher records each refusal itself and the layout (luoshu.layout.typeset) raises them as a
ProjectError once it is done: one run reports every refused resource.
"""

from __future__ import annotations

import dataclasses
import urllib.parse

from weasyprint.urls import URLFetcher, URLFetcherResponse, iri_to_uri

from ..errors import Problem
from ..files.gate import (
    ProjectFiles,
    RefusedResource,
    decode_data_uri,
    image_type,
    media_type,
    shown,
)
from ..files.paths import MANUSCRIPT
from ..images.photos import image_problem
from ..markup.untrusted import refused_in_stylesheet

# The document's base URL is the manuscript folder: <img src> paths in sections are relative
# to it, exactly as in the Markdown the author wrote.
DOCUMENT_FOLDER = MANUSCRIPT

# The project folder's URL in the print document, whatever the folder (see ProjectFetcher).
PROJECT_URL = "file:///luoshu-project/"
# What a refusal of the fetcher names: the print layout, which an EPUB build lays out too (for
# its page list), so "print PDF" would be wrong there.
LAYOUT = "print layout"


class ProjectFetcher(URLFetcher):
    """Serves WeasyPrint the project's files and data: URIs; refuses, and records, the rest.

    ``fetch`` never calls the parent class, whose urllib handlers would open sockets.
    A project stylesheet is read as it is served (luoshu.markup.untrusted): each reference in it that
    points outside the project is recorded there, with the stylesheet's name and line — the
    EPUB refuses the same stylesheet the same way — whether or not the layout would fetch it.
    """

    def __init__(self, files: ProjectFiles):
        super().__init__(allow_redirects=False)
        self.files = files
        # The project as WeasyPrint sees it: the same URL wherever the folder is. WeasyPrint
        # names images in the PDF after their URL, and the PDF must not change with the folder
        # the project sits in (reproducible builds; the archive). Only this fetcher maps the
        # URL to files, so nothing else can reach the folder through it.
        self.root_url = PROJECT_URL
        self.document_url = f"{self.root_url}{DOCUMENT_FOLDER}/"
        self.refusals: list[Problem] = []
        self.refused_urls: set[str] = set()
        # URLs already refused while reading a stylesheet: WeasyPrint's later fetch of one
        # of them is refused again, but not reported twice.
        self._reported_urls: set[str] = set()

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
        try:
            return self._serve(url)
        except RefusedResource as refusal:
            # WeasyPrint catches this and only logs it: keep it to report after layout.
            self.refused_urls.add(url)
            if url not in self._reported_urls:
                self._reported_urls.add(url)
                self.refusals.extend(refusal.problems)
            raise

    def _serve(self, url: str) -> URLFetcherResponse:
        if url.startswith("data:"):
            kind, body = decode_data_uri(url)
            return URLFetcherResponse(url, body, {"Content-Type": kind})
        if not url.startswith(self.root_url):
            # Any other scheme, another host, or a file:// path outside the project. WeasyPrint
            # has already joined relative references, so "../../x" arrives here as file:///x.
            raise RefusedResource([Problem(
                f"{LAYOUT}: refused {shown(url)!r}: only files inside the project folder can be "
                "used (no URLs, no absolute paths)", code="resource-outside")])
        if url in self._reported_urls:  # named by a stylesheet, and refused there already
            raise RefusedResource([])
        reference = url[len(self.root_url):]  # still percent-encoded, as resolve() expects
        try:
            path = self.files.resolve(reference)
        except RefusedResource as refusal:
            # resolve() names where it looked from ("."); the PDF has no single referrer.
            raise RefusedResource([
                dataclasses.replace(p, path=None, message=f"{LAYOUT}: {p.message}")
                for p in refusal.problems
            ]) from None
        # Answer with the resolved file's URL (a symlink inside the project resolved):
        # relative URLs inside a stylesheet resolve against it.
        relative = self.files.relative(path)
        resolved = self.root_url + urllib.parse.quote(relative)
        body, kind = path.read_bytes(), media_type(path.name)
        if kind == "text/css":
            self._check_stylesheet(relative, resolved, body)
        elif not (kind.startswith("font/") or image_type(body)):
            # WeasyPrint asks for images, fonts and stylesheets only: anything else (book.toml
            # named by a url()) would fail inside it, with its internal URL and no reason.
            raise RefusedResource([Problem(
                f"{LAYOUT}: refused {relative}: it is not an image, a font or a stylesheet",
                relative, code="stylesheet-image")])
        return URLFetcherResponse(resolved, body, {"Content-Type": kind})

    def _check_stylesheet(self, relative: str, url: str, body: bytes) -> None:
        """Record what the stylesheet *relative* (served as *url*) names outside the project."""
        for reference, problem in refused_in_stylesheet(self.files, relative, body,
                                                        image_problem):
            # Joined as WeasyPrint joins it, so that its fetch finds the URL reported already.
            self._reported_urls.add(iri_to_uri(urllib.parse.urljoin(url, reference.value)))
            self.refusals.append(problem)
