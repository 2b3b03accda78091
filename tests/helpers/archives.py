"""Archive packages written with stand-in renderings."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from helpers.projects import MINIMAL_HANS
from luoshu.archive.bag import write_archive
from luoshu.project.load import load_book

# Not the book's date (2024-05-01): the bag must carry this one, and never today's.
MODIFIED = dt.datetime(2025, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)
PDF = b"%PDF-1.7\n% a stand-in for the archival PDF\n%%EOF\n"
EPUB = b"PK\x03\x04 a stand-in for the EPUB"


def copy_project(destination: Path) -> Path:
    shutil.copytree(MINIMAL_HANS, destination, symlinks=True)
    return destination


def stand_ins(folder: Path) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "stand-in.pdf").write_bytes(PDF)
    (folder / "stand-in.epub").write_bytes(EPUB)
    return folder / "stand-in.pdf", folder / "stand-in.epub"


def pack(project: Path, out: Path, modified: dt.datetime = MODIFIED,
         name: str = "minimal-archive.zip") -> Path:
    """Load *project* and write its archive with stand-in renderings into *out*/*name*."""
    book, _ = load_book(project)
    pdf, epub = stand_ins(out / "renderings")
    destination = out / name
    write_archive(book, destination, modified, pdfa=pdf, epub=epub)
    return destination
