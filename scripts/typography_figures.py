"""Make the before/after page images of docs/typography.md from the sample publication.

"Before" is WeasyPrint as it comes: the manuscript's punctuation as written, no Han–Latin
spacing, no luoshu layout extension. "After" is what `luoshu build` prints. Both are the same
region of the same page, rendered by pdftoppm.

    .venv/bin/python scripts/typography_figures.py [--page 5] [--dpi 110]

"Before" is laid out in a child process: the layout extension, once installed, stays for the
life of a process.
"""

from __future__ import annotations

import argparse
import dataclasses
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "docs" / "img"


def render(kind: str, destination: Path) -> None:
    """Write the sample's print PDF as typeset *kind* ("before" or "after") to *destination*."""
    import weasyprint

    from luoshu.files.gate import ProjectFiles
    from luoshu.layout import cjk as cjk_layout
    from luoshu.layout import document as pdf
    from luoshu.layout.fetcher import ProjectFetcher
    from luoshu.model import Book
    from luoshu.project.load import load_book
    from luoshu.project.manuscript import read_manuscript

    book, _ = load_book(ROOT)
    html_text = None
    if kind == "before":
        config = dataclasses.replace(book.config, typography=dataclasses.replace(
            book.config.typography, normalize_punctuation=False))
        manuscript = read_manuscript(ROOT, config)
        book = Book(ROOT, config, manuscript.sections, manuscript.gallery, book.fonts,
                    manuscript.stylesheets, manuscript.gallery_html)
        # No spacing spans (their class no longer matches the CSS), no layout extension.
        html_text = pdf.print_html(book).replace('class="latin', 'class="unstyled')
    else:
        cjk_layout.install()
        html_text = pdf.print_html(book)
    fetcher = ProjectFetcher(ProjectFiles.of(ROOT))
    weasyprint.HTML(string=html_text, base_url=fetcher.document_url,
                    url_fetcher=fetcher).write_pdf(destination)


def crop(pdf_path: Path, page: int, dpi: int, destination: Path) -> None:
    """The text block of *page* (upper two thirds) as an optimised PNG."""
    from PIL import Image

    with tempfile.TemporaryDirectory() as folder:
        stem = Path(folder) / "page"
        subprocess.run(["pdftoppm", "-png", "-r", str(dpi), "-f", str(page), "-l", str(page),
                        "-singlefile", str(pdf_path), str(stem)], check=True)
        image = Image.open(f"{stem}.png").convert("L")
    width, height = image.size
    image = image.crop((int(width * 0.08), int(height * 0.08), int(width * 0.95),
                        int(height * 0.55)))
    image.quantize(16).save(destination, optimize=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--page", type=int, default=5, help="page to show (default: 5)")
    parser.add_argument("--dpi", type=int, default=110)
    parser.add_argument("--render", choices=["before", "after"], help=argparse.SUPPRESS)
    parser.add_argument("--to", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.render:  # the child process
        render(args.render, args.to)
        return
    OUTPUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        for kind in ("before", "after"):
            pdf_path = Path(folder) / f"{kind}.pdf"
            subprocess.run([sys.executable, __file__, "--render", kind, "--to", str(pdf_path)],
                           check=True)
            png = OUTPUT / f"typography-{kind}.png"
            crop(pdf_path, args.page, args.dpi, png)
            print(f"wrote {png.relative_to(ROOT)} ({png.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
