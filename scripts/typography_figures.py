"""Make the before/after page images and the figures of docs/typography.md from the sample.

"Before" is WeasyPrint as it comes: the manuscript's punctuation as written, no Han–Latin
spacing, no luoshu layout extension. "After" is what `luoshu build` prints. The images are the
same region of the same page, rendered by pdftoppm; the figures are measured on the written
PDFs of the whole sample at four trims by the page audit (luoshu.pdf.audit.measure_lines:
the drawn glyphs, not the layout), and printed as the Markdown table the page shows.

    .venv/bin/python scripts/typography_figures.py [--page 5] [--dpi 110]

Each PDF is laid out in a child process: the layout extension, once installed, stays for the
life of a process.
"""

from __future__ import annotations

import argparse
import dataclasses
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "docs" / "img"


TRIMS = ("16k", "32k", "big32k", "a5")
HALF_WIDTH = re.compile(r"(?<=[\u4e00-\u9fff])[,;:?!]|[,;:?!](?=[\u4e00-\u9fff])")


def at_trim(trim: str, folder: Path) -> Path:
    """A copy of the sample project whose book.toml asks for *trim*."""
    project = folder / f"sample-{trim}"
    shutil.copytree(ROOT / "manuscript", project / "manuscript")
    config = (ROOT / "book.toml").read_text(encoding="utf-8")
    (project / "book.toml").write_text(f'{config}\n[print]\ntrim = "{trim}"\n',
                                       encoding="utf-8")
    return project


def render(kind: str, project: Path, destination: Path) -> None:
    """Write *project*'s print PDF as typeset *kind* ("before" or "after") to *destination*."""
    import weasyprint

    from luoshu.files.gate import ProjectFiles
    from luoshu.layout import document as pdf
    from luoshu.layout.fetcher import ProjectFetcher
    from luoshu.model import Book
    from luoshu.project.load import load_book
    from luoshu.project.manuscript import read_manuscript

    book, _ = load_book(project)
    html_text = None
    if kind == "before":
        config = dataclasses.replace(book.config, typography=dataclasses.replace(
            book.config.typography, normalize_punctuation=False))
        manuscript = read_manuscript(project, config)
        book = Book(project, config, manuscript.sections, manuscript.gallery, book.fonts,
                    manuscript.stylesheets, manuscript.gallery_html)
        # No spacing spans (their class no longer matches the CSS), no layout extension.
        html_text = pdf.print_html(book).replace('class="latin', 'class="unstyled')
        fetcher = ProjectFetcher(ProjectFiles.of(project))
        weasyprint.HTML(string=html_text, base_url=fetcher.document_url,
                        url_fetcher=fetcher).write_pdf(destination)
    else:
        from luoshu.build.stages import build_book

        build_book(project, destination.parent / "after", ["pdf"])
        shutil.move(destination.parent / "after" / "book.pdf", destination)


def measures(project: Path, pdf_path: Path) -> tuple:
    """The audit's line figures of *pdf_path* and its half-width marks in Chinese text."""
    from luoshu.pdf.audit import measure_lines
    from luoshu.project.load import load_book

    options = load_book(project)[0].config.print
    text = subprocess.run(["pdftotext", str(pdf_path), "-"], capture_output=True, text=True,
                          check=True).stdout
    return measure_lines(pdf_path, options), len(HALF_WIDTH.findall(text))


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
    parser.add_argument("--project", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--to", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.render:  # the child process
        render(args.render, args.project, args.to)
        return
    OUTPUT.mkdir(parents=True, exist_ok=True)
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        for trim in TRIMS:
            project = at_trim(trim, Path(scratch))
            found = {}
            for kind in ("before", "after"):
                pdf_path = Path(scratch) / f"{trim}-{kind}" / "book.pdf"
                pdf_path.parent.mkdir()
                subprocess.run([sys.executable, __file__, "--render", kind, "--project",
                                str(project), "--to", str(pdf_path)], check=True)
                found[kind] = measures(project, pdf_path)
                if trim == TRIMS[0]:
                    png = OUTPUT / f"typography-{kind}.png"
                    crop(pdf_path, args.page, args.dpi, png)
                    print(f"wrote {png.relative_to(ROOT)} ({png.stat().st_size // 1024} KB)")
            rows.append((trim, found["before"], found["after"]))
    print("\n| trim | justified lines flush within 0.5 pt | largest gap | mean gap "
          "| one-character last lines | half-width `,;:?!` in Chinese |")
    print("|---|---|---|---|---|---|")
    for trim, (before, marks_before), (after, marks_after) in rows:
        print(f"| {trim} | {before.flush} of {before.justified} → {after.flush} of "
              f"{after.justified} | {before.largest_gap_pt:.2f} → {after.largest_gap_pt:.2f} pt "
              f"| {before.mean_gap_pt:.2f} → {after.mean_gap_pt:.2f} pt "
              f"| {before.widows} → {after.widows} of {after.last_lines} "
              f"| {marks_before} → {marks_after} |")


if __name__ == "__main__":
    main()
