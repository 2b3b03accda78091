#!/usr/bin/env python3
"""How fast luoshu builds a large book, as ratios against one plain WeasyPrint pass over the
same text, measured in the same run on the same machine.

The book is bench_build.py's generated one (100 sections × 10,000 characters, one photo per
section by default). The anchor is WeasyPrint alone: one HTML file with every section's title,
paragraphs and photo, the body set in the house body font at the house size on the same trim,
written to PDF once. Then ``luoshu build`` runs as a user runs it, each command in a fresh
process, and each row is its wall time divided by the anchor's. Peak memory is that of the
whole process tree (the build and its layout workers together), sampled from /proc.

    .venv/bin/python bench/bench_speed.py                     # the full table (≈15 min here)
    .venv/bin/python bench/bench_speed.py --sections 20       # a quicker look
    .venv/bin/python bench/bench_speed.py --keep /tmp/speed   # keep the project and outputs
"""

from __future__ import annotations

import argparse
import html
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_build import ROOT, generate_project  # noqa: E402 — a sibling script

LUOSHU = [str(Path(sys.executable).parent / "luoshu")]  # the installed command
SOURCES = {**os.environ, "PYTHONPATH": str(ROOT / "src")}  # measure this working tree

ANCHOR = '''
import sys, weasyprint
weasyprint.HTML(sys.argv[1]).write_pdf(sys.argv[2])
'''


def anchor_html(project: Path, destination: Path) -> None:
    """The plain document WeasyPrint lays out once: the same text, photos, body font and trim
    as the print book, and nothing of luoshu's (no make-up, no furniture, no front matter)."""
    parts = ["<!DOCTYPE html><html lang='zh-Hans'><head><meta charset='utf-8'><style>",
             "@page { size: 185mm 260mm; margin: 22mm 18mm 24mm 22mm; }",
             "body { font-family: 'Noto Serif CJK SC'; font-size: 10.5pt; line-height: 1.75; "
             "text-align: justify; }",
             "h1 { font-family: 'Noto Sans CJK SC'; break-before: page; }",
             "p { text-indent: 2em; margin: 0; } img { width: 100%; }",
             "</style></head><body>"]
    manuscript = project / "manuscript"
    for md in sorted(manuscript.glob("*.md")):
        title, *paragraphs = [b for b in md.read_text(encoding="utf-8").split("\n\n") if b.strip()]
        parts.append(f"<h1>{html.escape(title.lstrip('# '))}</h1>")
        parts.extend(f"<p>{html.escape(p.strip())}</p>" for p in paragraphs)
        parts.append(f"<img src='{(manuscript / 'photos' / (md.stem + '.jpg')).as_uri()}'>")
    parts.append("</body></html>")
    destination.write_text("\n".join(parts), encoding="utf-8")


def _tree_rss_kib(root: int) -> int:
    """The resident memory of *root* and every process below it, in KiB."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            status = Path(f"/proc/{entry}/status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        pid, parent = int(entry), int(fields.get("PPid", "0").strip())
        children.setdefault(parent, []).append(pid)
        rss[pid] = int(fields.get("VmRSS", "0 kB").split()[0])
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(children.get(pid, ()))
    return total


def run(command: list[str], cwd: Path) -> tuple[float, int]:
    """Run *command*; its wall time in seconds and the peak memory of its process tree (MiB)."""
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, env=SOURCES, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss_kib(process.pid))
            done.wait(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, errors = process.communicate()
    seconds = time.perf_counter() - start
    done.set()
    sampler.join()
    if process.returncode:
        raise SystemExit(f"{' '.join(command)} failed:\n{errors[-2000:]}")
    return seconds, peak // 1024


def edit_one_section(project: Path) -> None:
    """What an editor does between two builds: a sentence added to one section."""
    sections = sorted((project / "manuscript").glob("*.md"))
    section = sections[len(sections) // 2]
    with section.open("a", encoding="utf-8") as file:
        file.write("\n编者按：本节数据已于付印前再次核对。\n")


def bench(work: Path, sections: int, chars: int) -> None:
    project, out = work / "project", work / "out"
    summary = generate_project(project, sections, chars)
    anchor_html(project, work / "anchor.html")
    cpus = len(os.sched_getaffinity(0))
    print(f"book: {summary['sections']} sections, {summary['characters']:,} characters, "
          f"{summary['photos']} photos; {cpus} CPUs\n", flush=True)

    def build(*options: str) -> list[str]:
        return [*LUOSHU, "build", str(project), "-o", str(out), *options]

    pdf, epub = ("--format", "pdf"), ("--format", "epub")
    cold = ("--no-cache",)
    edit = "after editing one section: "
    rows: list[tuple[str, list[str] | None]] = [
        ("one plain WeasyPrint pass (anchor)", None),
        ("pdf, --jobs 1", build(*pdf, *cold, "-j", "1")),
        (f"pdf, --jobs {cpus}", build(*pdf, *cold, "-j", str(cpus))),
        (f"epub alone, --jobs {cpus}", build(*epub, *cold, "-j", str(cpus))),
        (f"all formats, --jobs {cpus} (fills the cache)", build("-j", str(cpus))),
        ("epub alone, the cache warm", build(*epub)),
        (f"{edit}pdf, --jobs 1", build(*pdf, "-j", "1")),
        (f"{edit}pdf, --jobs {cpus}", build(*pdf, "-j", str(cpus))),
        (f"{edit}all formats", build("-j", str(cpus))),
    ]
    shutil.rmtree(project / ".luoshu-cache", ignore_errors=True)
    anchor = None
    print(f"{'luoshu build … (no cache unless said)':<48}{'seconds':>9}{'÷ anchor':>10}"
          f"{'peak MiB':>10}")
    for name, command in rows:
        if command is None:
            command = [sys.executable, "-c", ANCHOR, str(work / "anchor.html"),
                       str(work / "anchor.pdf")]
        if name.startswith(edit):
            edit_one_section(project)
        seconds, peak = run(command, work)
        anchor = anchor or seconds
        print(f"{name:<48}{seconds:>9.1f}{seconds / anchor:>9.2f}×{peak:>10,}", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sections", type=int, default=100)
    parser.add_argument("--chars", type=int, default=10_000)
    parser.add_argument("--keep", type=Path, metavar="DIR", help="work in DIR and keep it")
    args = parser.parse_args()
    if args.keep:
        shutil.rmtree(args.keep, ignore_errors=True)
        args.keep.mkdir(parents=True)
        bench(args.keep.resolve(), args.sections, args.chars)
    else:
        with tempfile.TemporaryDirectory(prefix="luoshu-speed-") as tmp:
            bench(Path(tmp), args.sections, args.chars)
    return 0


if __name__ == "__main__":
    sys.exit(main())
