"""Make the page images of docs/print.md from the sample publication.

Builds the sample's reading PDF and press PDF into a scratch folder, finds the pages by their
text (so the images follow the book when it changes), and renders them with pdftoppm:

    .venv/bin/python scripts/print_figures.py [--dpi 50]

Pages: the title page, the copyright page, the table of contents, a section's opening page, a
page with a photo, a blank verso (reading copy), and one press page with its bleed and crop
marks, with its top-left corner enlarged; the copyright page with every [colophon] field (the
sample with the example of docs/print.md); and from the make-up's stress book
(tests/fixtures/makeup-stress): a quotation cut around a photo (A5), two photos side by side
(A4), a footnote and a three-line table (16开).
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import subprocess
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "docs" / "img"
STRESS = ROOT / "tests" / "fixtures" / "makeup-stress"
# The [colophon] example of docs/print.md (the CIP text a placeholder in the block's shape).
COLOPHON_EXAMPLE = '''
[colophon]
cip = """图书在版编目（CIP）数据

擘画新蓝图 开启新征程 / 白云飞等著. —洛阳：……
ISBN 978-7-000-00000-1
Ⅰ.①擘… Ⅱ.①白… Ⅲ.……
中国版本图书馆CIP数据核字（2026）第000000号"""
editor = "王编辑"
cover_designer = "李设计"
proofreader = "赵校对"
printer = "洛阳日报印刷厂"
print_run = "1—3000"
price = "28.00元"
'''


def variant(source: Path, folder: Path, extra: str, book_table: str = "") -> Path:
    """A copy of the project *source* (book.toml and manuscript/) with *extra* appended to its
    book.toml and *book_table* lines added to its [book] table."""
    digest = hashlib.sha256((extra + book_table).encode()).hexdigest()[:8]
    project = folder / f"{source.name}-{digest}"
    if project.exists():
        return project  # made (and built) already
    shutil.copytree(source / "manuscript", project / "manuscript")
    config = (source / "book.toml").read_text(encoding="utf-8")
    if book_table:
        config = config.replace("[book]\n", f"[book]\n{book_table}\n", 1)
    (project / "book.toml").write_text(config + extra, encoding="utf-8")
    return project


def page_texts(pdf: Path) -> list[str]:
    count = int(next(line.split()[-1] for line in subprocess.run(
        ["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout.splitlines()
        if line.startswith("Pages:")))
    return [subprocess.run(["pdftotext", "-f", str(n), "-l", str(n), str(pdf), "-"],
                           capture_output=True, text=True, check=True).stdout
            for n in range(1, count + 1)]


def render(pdf: Path, page: int, name: str, dpi: int, crop: int | None = None) -> None:
    """Page *page* of *pdf* as docs/img/<name>.png; with *crop*, only that many pixels
    square from the top-left corner (where the crop marks are)."""
    stem = OUTPUT / name
    region = ["-x", "0", "-y", "0", "-W", str(crop), "-H", str(crop)] if crop else []
    subprocess.run(["pdftoppm", "-png", "-r", str(dpi), "-singlefile", "-f", str(page),
                    "-l", str(page), *region, str(pdf), str(stem)], check=True)
    print(f"{stem.relative_to(ROOT)}.png: page {page} of {pdf.name}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dpi", type=int, default=50)
    args = parser.parse_args()
    from luoshu.build.stages import build_book

    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch)
        build_book(ROOT, out, formats=["pdf", "pdf-press"])
        reading, press = out / "book.pdf", out / "book-press.pdf"
        texts = page_texts(reading)
        find = lambda test: next(n for n, text in enumerate(texts, 1) if test(text))
        toc = find(lambda text: text.startswith("目录"))
        opening = find(lambda text: text.startswith("导语"))
        photo = find(lambda text: "孟津港航中心码头建成" in text)
        blank = find(lambda text: n_after(texts, text, toc))
        render(reading, 1, "print-title-page", args.dpi)
        render(reading, 2, "print-copyright-page", args.dpi)
        render(reading, toc, "print-contents", args.dpi)
        render(reading, opening, "print-opening", args.dpi)
        render(reading, photo, "print-photo", args.dpi)
        render(reading, blank, "print-blank-verso", args.dpi)
        render(press, opening, "print-press-opening", args.dpi)
        render(press, opening, "print-press-corner", 100, crop=260)

        full = variant(ROOT, out, COLOPHON_EXAMPLE, 'identifier = "urn:isbn:9787000000001"\n'
                       'edition = "2026年12月第1版"\nprinting = "2026年12月第1次印刷"\n'
                       'publisher = "洛阳日报出版社"')
        render(build(full), 2, "print-copyright-full", 80)
        for trim, name, test in (
                ("a5", "print-makeup-quotation", lambda text: "老城门楼" in text),
                ("a4", "print-makeup-pair", lambda text: "河上的桥" in text and "夜色中的城" in text),
                ("16k", "print-footnote", lambda text: "渡口在旧城东门外" in text),
                ("16k", "print-table", lambda text: "年份" in text)):
            pdf = build(variant(STRESS, out, f'\n[print]\ntrim = "{trim}"\n'))
            texts = page_texts(pdf)
            render(pdf, next(n for n, text in enumerate(texts, 1) if test(text)), name, args.dpi)


def build(project: Path) -> Path:
    """*project*'s reading PDF, built beside it once."""
    from luoshu.build.stages import build_book

    out = project.parent / f"{project.name}-out"
    if not (out / "book.pdf").exists():
        build_book(project, out, formats=["pdf"])
    return out / "book.pdf"


def n_after(texts: list[str], text: str, toc: int) -> bool:
    """The first page after the contents with no text at all (a blank verso)."""
    return not text.strip() and texts.index(text) + 1 > toc


if __name__ == "__main__":
    main()
