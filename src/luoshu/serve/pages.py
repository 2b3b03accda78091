"""What ``luoshu serve`` adds to the book: its own pages, and its parts on every HTML page.

The preview's own pages are the list of the book's documents (``/``) and the print pages
(``/print/``). Every HTML page it sends — those two and the book's XHTML documents — gets, as
it is sent (``inject``): the reload script and the preview's stylesheet, the error banner when
the last rebuild failed, and links to the previous and next document. Nothing else is touched:
stylesheets, fonts and images go out as they are, and the documents themselves stay exactly
the EPUB's, so nothing of the preview can ever reach a built EPUB.

The added markup is well-formed XML (the book's documents are served as XHTML, which the
browser parses strictly) and escapes everything it quotes: problem messages quote the
manuscript.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from html import escape
from importlib import resources

from ..errors import Problem
from ..templates import render
from ..zh.labels import LABELS
from ..zh.labels import labels as labels_for
from .print_pages import PrintPages
from .text import TextSite

ASSET_PREFIX = "/__luoshu/"
SCRIPT = "preview.js"
STYLESHEET = "preview.css"
HTML_TYPES = ("text/html", "application/xhtml+xml")

BANNER_HEADING = ("luoshu could not rebuild the preview (the page shows the last good build); "
                  "fix these and save:")


def asset(name: str) -> bytes:
    """The preview's own script or stylesheet (package data in templates/preview/)."""
    return resources.files("luoshu").joinpath("templates", "preview", name).read_bytes()


@dataclass(frozen=True)
class Link:
    href: str
    title: str


@dataclass(frozen=True)
class Chrome:
    """What one HTML page gets as it is sent."""

    versions: Mapping[str, int]  # the versions the page is made from ("text", "print")
    watch: tuple[str, ...]  # the versions that make it reload
    problems: tuple[Problem, ...] = ()
    labels: Mapping[str, str] = field(default_factory=lambda: LABELS["Hans"])
    previous: Link | None = None
    next: Link | None = None
    navigation: bool = False  # the bar of links (the book's documents only)


def inject(content: bytes, media_type: str, chrome: Chrome) -> bytes:
    """*content* with the preview's parts when it is an HTML page; anything else unchanged."""
    if media_type.split(";")[0].strip() not in HTML_TYPES:
        return content
    text = content.decode("utf-8")
    head = (f'<link rel="stylesheet" type="text/css" href="{ASSET_PREFIX}{STYLESHEET}"/>'
            f'<script src="{ASSET_PREFIX}{SCRIPT}" defer="defer" '
            f'data-versions="{escape(json.dumps(dict(chrome.versions), sort_keys=True))}" '
            f'data-watch="{escape(" ".join(chrome.watch))}"></script>')
    top = banner(chrome.problems) + (_navigation(chrome) if chrome.navigation else "")
    bottom = _navigation(chrome) if chrome.navigation else ""
    text = _insert(text, re.compile(r"</head\s*>", re.IGNORECASE), head, before=True)
    text = _insert(text, re.compile(r"<body\b[^>]*>", re.IGNORECASE), top, before=False)
    text = _insert(text, re.compile(r"</body\s*>", re.IGNORECASE), bottom, before=True)
    return text.encode("utf-8")


def _insert(text: str, where: re.Pattern[str], markup: str, before: bool) -> str:
    if not markup:
        return text
    match = where.search(text)
    if match is None:  # not a whole document: the parts go at the end, where they still work
        return text + markup
    at = match.start() if before else match.end()
    return text[:at] + markup + text[at:]


def banner(problems: Sequence[Problem]) -> str:
    """The error banner: one line per problem, in the words ``luoshu build`` prints."""
    if not problems:
        return ""
    lines = "".join(f"<li>{escape(str(problem))}</li>" for problem in problems)
    return (f'<div class="luoshu-preview-banner" role="alert" id="luoshu-preview-banner">'
            f"<p>{escape(BANNER_HEADING)}</p><ul>{lines}</ul></div>")


def _navigation(chrome: Chrome) -> str:
    labels = chrome.labels
    parts = []
    if chrome.previous:
        parts.append(f'<a class="luoshu-preview-previous" rel="prev" '
                     f'href="{escape(chrome.previous.href)}">‹ {escape(labels["previous"])}：'
                     f"{escape(chrome.previous.title)}</a>")
    parts.append(f'<a href="/">{escape(labels["contents"])}</a>')
    parts.append(f'<a href="/print/">{escape(labels["print"])}</a>')
    if chrome.next:
        parts.append(f'<a class="luoshu-preview-next" rel="next" '
                     f'href="{escape(chrome.next.href)}">{escape(labels["next"])}：'
                     f"{escape(chrome.next.title)} ›</a>")
    return f'<nav class="luoshu-preview-nav">{"".join(parts)}</nav>'


def neighbours(site: TextSite, path: str) -> tuple[Link | None, Link | None]:
    """The documents before and after *path* in reading order, as preview links."""
    paths = [d.path for d in site.documents]
    if path not in paths:
        return None, None
    at = paths.index(path)
    previous = site.documents[at - 1] if at > 0 else None
    following = site.documents[at + 1] if at + 1 < len(paths) else None
    return (Link(f"/book/{previous.path}", previous.title) if previous else None,
            Link(f"/book/{following.path}", following.title) if following else None)


def index_page(site: TextSite | None, language: str, title: str, building: bool = False
               ) -> bytes:
    """The preview's home: the book's documents in reading order, and the print pages;
    with *building*, a word that the first build is under way."""
    return render("preview/index.html.j2", lang=language, title=title,
                  labels=labels_for(language), building=building,
                  documents=site.documents if site else ()).encode("utf-8")


def print_page(pages: PrintPages | None, printing: bool, language: str, title: str) -> bytes:
    """The print pages as images, each with its number, and what is being done about them."""
    labels = labels_for(language)
    status = labels["page_count"].format(n=len(pages.pages)) if pages else ""
    if printing:
        status = f"{status} · {labels['typesetting']}" if status else labels["typesetting"]
    return render("preview/print.html.j2", lang=language, title=title, labels=labels,
                  status=status, pages=pages.pages if pages else ()).encode("utf-8")
