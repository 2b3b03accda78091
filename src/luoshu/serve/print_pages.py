"""The print pages of ``luoshu serve``: the print PDF laid out, written and turned into images.

Laying a book out takes seconds (WeasyPrint is pure Python), so it runs in a child process,
``python -m luoshu.serve.print_pages PROJECT FOLDER --dpi N``: the preview server's own threads
never wait for it or compete with it for the interpreter, and a layout made stale by a newer
edit is stopped at once by ending the process, rather than left to finish. The child writes
the PDF and, with ``pdftoppm`` (poppler-utils), one PNG per page into FOLDER, then
``pages.json``; on a problem with the input it writes ``problems.json`` instead (the same
Problems a build reports) and exits 1.

``read_result`` is the parent's side: the pages, or the problems, of a finished child.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from ..errors import Problem, ProjectError

PAGES = "pages.json"
PROBLEMS = "problems.json"
PDF = "book.pdf"
DEFAULT_DPI = 70  # a 16开 page is about 510 × 720 pixels: legible, and quick to make


@dataclass(frozen=True)
class PageImage:
    """One print page as an image file of the job's folder."""

    number: int  # 1-based, in the PDF
    name: str  # file name inside the folder, e.g. "page-07.png"
    width: int  # pixels
    height: int


@dataclass(frozen=True)
class PrintPages:
    """The print pages of one finished job."""

    folder: Path
    pages: tuple[PageImage, ...]

    def file(self, name: str) -> Path | None:
        """The path of the page image called *name*, if this job made one by that name."""
        return next((self.folder / p.name for p in self.pages if p.name == name), None)


def command(project: Path, folder: Path, dpi: int = DEFAULT_DPI) -> list[str]:
    """The child process that makes the print pages of *project* in *folder*."""
    return [sys.executable, "-m", "luoshu.serve.print_pages", str(project), str(folder),
            "--dpi", str(dpi)]


def read_result(folder: Path, returncode: int, stderr: str = "") -> PrintPages | tuple[Problem, ...]:
    """What the child that worked in *folder* made: the pages, or the problems it found.

    A child that failed without saying why (a crash, a missing program) becomes one problem
    quoting its last line of error output.
    """
    try:
        if returncode == 0:
            listed = json.loads((folder / PAGES).read_text(encoding="utf-8"))
            return PrintPages(folder, tuple(PageImage(**page) for page in listed["pages"]))
        if (folder / PROBLEMS).is_file():
            listed = json.loads((folder / PROBLEMS).read_text(encoding="utf-8"))
            return tuple(Problem(**problem) for problem in listed)
    except (OSError, ValueError, TypeError, KeyError) as error:
        stderr = f"{stderr}\nunreadable result: {error}"
    last = next((line for line in reversed(stderr.strip().splitlines()) if line.strip()),
                f"exit status {returncode}")
    return (Problem(f"print preview: the print pages could not be made: {last}",
                    code="preview-print"),)


# --- the child ----------------------------------------------------------------------------


def make_pages(project: Path, folder: Path, dpi: int = DEFAULT_DPI) -> tuple[PageImage, ...]:
    """Typeset *project* as ``luoshu build`` does — its sections in parallel, unchanged ones
    from the project's build cache, so that after an edit only the edited section is laid out
    again — write its print PDF into *folder* and one PNG per page beside it.

    Raises ProjectError as ``luoshu build`` would for the PDF.
    """
    from ..build.cache import BuildCache
    from ..build.typesetting import default_jobs, typeset
    from ..pdf.write import cut_to_trim
    from ..project.load import (
        load_book,  # loaded in the child only: WeasyPrint is heavy
    )

    book, _ = load_book(project)
    scratch = folder / "typesetting"
    scratch.mkdir()
    typeset_book = typeset(book, scratch, draw=True, jobs=default_jobs(),
                           cache=BuildCache.of(project))
    cut_to_trim(typeset_book.pdf, folder / PDF)
    shutil.rmtree(scratch)
    if shutil.which("pdftoppm") is None:
        raise ProjectError([Problem("print preview: pdftoppm is not installed (Debian: "
                                    "apt-get install poppler-utils)", code="preview-pdftoppm")])
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", str(folder / PDF), str(folder / "page")],
                   check=True, capture_output=True)
    images = []
    for path in sorted(folder.glob("page-*.png"), key=_page_number):
        width, height = png_size(path.read_bytes()[:24])
        images.append(PageImage(_page_number(path), path.name, width, height))
    return tuple(images)


def _page_number(path: Path) -> int:
    return int(re.search(r"(\d+)$", path.stem)[1])


def png_size(header: bytes) -> tuple[int, int]:
    """Width and height from a PNG's first 24 bytes (its IHDR chunk)."""
    if header[:8] != b"\x89PNG\r\n\x1a\n" or header[12:16] != b"IHDR":
        return 0, 0
    return int.from_bytes(header[16:20], "big"), int.from_bytes(header[20:24], "big")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m luoshu.serve.print_pages",
                                     description="Make the print pages of luoshu serve.")
    parser.add_argument("project", type=Path)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--dpi", type=int, default=DEFAULT_DPI)
    arguments = parser.parse_args(argv)
    try:
        pages = make_pages(arguments.project, arguments.folder, arguments.dpi)
    except ProjectError as error:
        problems = [dataclasses.asdict(p) | {"path": None if p.path is None else str(p.path)}
                    for p in error.problems]
        _write_json(arguments.folder / PROBLEMS, problems)
        return 1
    except KeyboardInterrupt:  # the server is stopping; it says so itself
        return 130
    _write_json(arguments.folder / PAGES, {"pages": [dataclasses.asdict(p) for p in pages]})
    return 0


def _write_json(path: Path, data: object) -> None:
    """Written whole, then renamed: the parent never reads half a file."""
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    partial.replace(path)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
