"""The one gate through which outputs read files: only regular files inside the project.

Manuscripts are untrusted. Every resource the EPUB writer or WeasyPrint loads (photos,
stylesheets, fonts in ``fonts/``) is resolved here: relative references are resolved against
the referring document, symlinks are followed *before* the containment check, and anything that
ends up outside the project folder, or names a network scheme, is refused with a Problem.
``data:`` URIs are the one non-file form allowed (they carry their bytes inline).
"""

from __future__ import annotations

import base64
import mimetypes
import os
import urllib.parse
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ..errors import Problem, ProjectError
from .paths import READ_BY_PATH
from .text import clipped

MEDIA_TYPES = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".gif": "image/gif",
    ".svg": "image/svg+xml",
    ".webp": "image/webp",
    ".css": "text/css",
    ".otf": "font/otf",
    ".ttf": "font/ttf",
    ".ttc": "font/collection",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
}


def media_type(path: str | PurePosixPath) -> str:
    """The media type of a file, by its extension."""
    suffix = PurePosixPath(str(path)).suffix.lower()
    return MEDIA_TYPES.get(suffix) or mimetypes.guess_type(str(path))[0] or "application/octet-stream"


def image_type(data: bytes) -> str | None:
    """The media type of the image *data* holds, by its first bytes (its signature), whatever
    its name says: JPEG, PNG, GIF, WebP or SVG (the images both outputs can show); else None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(b"<svg") or (head.startswith((b"<?xml", b"<!--", b"<!doctype"))
                                    and b"<svg" in head):
        return "image/svg+xml"
    return None


def shown(reference: str) -> str:
    """*reference* as a one-line message names it: a data: URI by its type, its first bytes and
    its size (``data:image/png;base64,iVBOR… (3.6 MB)``), a long name clipped."""
    if reference.startswith("data:") and len(reference) > 60:
        comma = reference.find(",", 0, 60)
        head = reference[:comma + 6] if comma >= 0 else reference[:40]
        size = len(reference)
        return f"{head}… ({f'{size / 1e6:.1f} MB' if size >= 100_000 else f'{size:,} bytes'})"
    return clipped(reference, 150)


class RefusedResource(ProjectError):
    """A reference that points outside the project or to the network."""


@dataclass(frozen=True)
class ProjectFiles:
    """Read-only, contained access to the files of one project folder."""

    root: Path  # absolute, resolved

    @classmethod
    def of(cls, project: Path) -> ProjectFiles:
        return cls(project.resolve())

    def resolve(self, reference: str, base: str = "", referrer: str | None = None) -> Path:
        """The absolute path of *reference*, relative to the project-relative folder *base*.

        Raises RefusedResource (naming *referrer*) for URLs, absolute paths, escapes through
        ``..`` or symlinks, and files that do not exist.
        """
        where = referrer or base or "."
        if "\0" in reference or "%00" in reference:  # no file name holds NUL; the OS refuses it
            raise RefusedResource([Problem(f"refused {reference!r}: a file name cannot contain "
                                           "NUL", where, code="resource-invalid")])
        parsed = urllib.parse.urlsplit(reference)
        if parsed.scheme or parsed.netloc or reference.startswith(("/", "\\")):
            raise RefusedResource(
                [Problem(f"refused {reference!r}: only files inside the project folder can be "
                         "used (no URLs, no absolute paths)", where, code="resource-outside")]
            )
        relative = urllib.parse.unquote(parsed.path)
        candidate = (self.root / base / relative).resolve()
        if not candidate.is_relative_to(self.root):
            raise RefusedResource(
                [Problem(f"refused {reference!r}: it points outside the project folder",
                         where, code="resource-outside")]
            )
        if not candidate.is_file():
            raise RefusedResource(
                [Problem(f"file not found: {reference!r} (looked for "
                         f"{candidate.relative_to(self.root).as_posix()})",
                         where, code="resource-missing")]
            )
        return candidate

    def relative(self, path: Path) -> str:
        """A path inside the project as a POSIX path relative to the project folder."""
        return path.resolve().relative_to(self.root).as_posix()

    def read_bytes(self, reference: str, base: str = "", referrer: str | None = None) -> bytes:
        """The bytes of a contained file, or of a ``data:`` URI."""
        if reference.startswith("data:"):
            return decode_data_uri(reference)[1]
        return self.resolve(reference, base, referrer).read_bytes()


def decode_data_uri(uri: str) -> tuple[str, bytes]:
    """(media type, bytes) of a ``data:`` URI."""
    header, _, payload = uri[5:].partition(",")
    kind = header.split(";")[0] or "text/plain"
    if header.endswith(";base64"):
        return kind, base64.b64decode(payload)
    return kind, urllib.parse.unquote_to_bytes(payload)


def links_out_of(project: Path) -> list[Problem]:
    """A problem for each of the project's inputs that is a link leading out of the project.

    Sections, captions.toml, book.toml, stylesheets and fonts are opened by path. A symlink
    among them (or a linked folder) would bring a file from elsewhere on the machine into the
    book — an untrusted manuscript could name ~/.ssh/id_rsa — so the build refuses them all,
    before anything is read.
    """
    root = project.resolve()
    problems = []
    for name in READ_BY_PATH:
        top = project / name
        candidates = [top]
        if top.is_dir() and not top.is_symlink():
            candidates += sorted(top.rglob("*"))
        for path in candidates:
            if not path.is_symlink() and path != top:
                continue
            if not (path.is_symlink() or path.exists()):
                continue
            try:
                inside = path.resolve().is_relative_to(root)
            except (OSError, RuntimeError):  # a loop of links
                inside = False
            if not inside:
                relative = path.relative_to(project).as_posix()
                problems.append(Problem(
                    f"{relative} is a link to {os.readlink(path)!r}, outside the project folder: "
                    "luoshu reads only files inside the project; copy the file in instead",
                    relative, code="resource-outside"))
    return problems
