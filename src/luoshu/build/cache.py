"""The build cache: the print book's units (luoshu.layout.units), laid out and drawn, kept by
content so that a rebuild lays out only what changed.

It lives in the project, in ``.luoshu-cache/`` (``CACHE_FOLDER``): ``units/<key>/`` holds one
unit's drawn pages (``unit.pdf``) and what its layout found (``unit.json``: its page count,
where its pages begin in the text, the page audit's findings, its fonts); ``faces/`` the font
faces the units' PDFs embed subsets of (luoshu.pdf.faces). A unit's *key* is the SHA-256 of
everything its pages depend on — its sections' text, the photos' bytes, the stylesheets, the
fonts, the ``[print]`` options, whether it opens on a verso, luoshu's files and WeasyPrint's
version (luoshu.build.typesetting) — so an entry is either right for the unit or never looked up.

Deleting the folder is always safe: the next build lays everything out again. ``luoshu build
--no-cache`` neither reads nor writes it. An entry that does not read back whole — damaged, cut
short, written by another version, its PDF not the one it names — is ignored with a warning
and replaced; a cache that cannot be written (a read-only project) is a warning, not an error.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import Problem
from ..files.output import scratch_beside, sha256_file, write_bytes_atomically

LOGGER = logging.getLogger("luoshu.build.cache")


@functools.cache
def luoshu_digest() -> str:
    """SHA-256 over luoshu's installed files (code, templates, theme, font roles), by path:
    what a cache entry or a batch result depends on beyond its version number (a working
    tree's edits change it)."""
    root = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if not path.is_file() or "__pycache__" in path.parts or path.suffix == ".pyc":
            continue
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()

CACHE_FOLDER = ".luoshu-cache"
FORMAT = 2  # the layout of an entry; an entry of another format is not read


@dataclass
class BuildCache:
    """The cache of one project (``root`` is its ``.luoshu-cache`` folder)."""

    root: Path
    warnings: list[Problem] = field(default_factory=list)
    _writable: bool = True

    @classmethod
    def of(cls, project: Path) -> BuildCache:
        return cls(project / CACHE_FOLDER)

    @property
    def faces(self) -> Path:
        return self.root / "faces"

    def ready(self) -> bool:
        """Make the cache's folders; False (with a warning) when they cannot be made."""
        try:
            (self.root / "units").mkdir(parents=True, exist_ok=True)
            self.faces.mkdir(exist_ok=True)
        except OSError as error:
            self._cannot_write(error)
            return False
        return True

    def get(self, key: str, need_pdf: bool) -> tuple[dict, Path | None] | None:
        """The entry *key*: its record and its PDF (None when it has none); None when there is
        no such entry, or no PDF when *need_pdf*, or it does not read back whole."""
        folder = self.root / "units" / key
        record_path = folder / "unit.json"
        if not record_path.exists():
            return None
        try:
            record = json.loads(record_path.read_text(encoding="utf-8"))
            if not isinstance(record, dict) or record.get("format") != FORMAT \
                    or record.get("key") != key:
                raise ValueError("it was written for something else")
            pdf = folder / "unit.pdf" if record.get("pdf") else None
            if pdf is not None and sha256_file(pdf) != record["pdf"]:
                raise ValueError("its PDF is not the one it names")
        except (OSError, ValueError, KeyError, TypeError) as error:
            self._warn(f"ignored a damaged cache entry ({folder.name[:12]}…: {error}); "
                       "it is laid out again")
            shutil.rmtree(folder, ignore_errors=True)
            return None
        if need_pdf and pdf is None:
            return None
        return record, pdf

    def put(self, key: str, record: dict, pdf: Path | None) -> None:
        """Store *record* (JSON data) and a copy of *pdf* as the entry *key*."""
        if not self._writable:
            return
        final = self.root / "units" / key
        try:
            final.parent.mkdir(parents=True, exist_ok=True)
            with scratch_beside(final) as scratch:
                data = {**record, "format": FORMAT, "key": key,
                        "pdf": sha256_file(pdf) if pdf is not None else None}
                if pdf is not None:
                    shutil.copyfile(pdf, scratch / "unit.pdf")
                write_bytes_atomically(scratch / "unit.json",
                                       json.dumps(data, ensure_ascii=False).encode("utf-8"))
                shutil.rmtree(final, ignore_errors=True)
                try:
                    scratch.rename(final)
                except OSError:
                    if not (final / "unit.json").exists():
                        raise  # not another build's copy of the same entry: a real failure
        except OSError as error:
            self._cannot_write(error)

    def _cannot_write(self, error: OSError) -> None:
        self._writable = False
        self._warn(f"the build cache cannot be written ({error.strerror or error}); "
                   "building without it")

    def _warn(self, message: str) -> None:
        LOGGER.warning(message)
        self.warnings.append(Problem(message, CACHE_FOLDER, code="cache", severity="warning"))
