#!/usr/bin/env python3
"""Benchmark `luoshu batch`: throughput (projects per minute) of the local process pool and of
a Dask cluster (a distributed.LocalCluster on this machine), side by side.

Both build the same generated projects (tests/helpers/generated_projects.py: small, two to four
sections, every third with photos, mostly print PDFs) with the same number of processes — N
pool processes against N single-threaded Dask workers — each into a fresh output folder, so
the difference is what the cluster adds: bundling each project, the scheduler, sending the
outputs back. A third run repeats the local batch over its own outputs, where every project is
up to date: the cost of deciding to skip. Figures are ratios against the local pool, measured
in the same run (see bench/README.md).

    .venv/bin/python bench/bench_batch.py                  # 200 projects, one process per CPU
    .venv/bin/python bench/bench_batch.py --projects 40 --jobs 2
    .venv/bin/python bench/bench_batch.py --keep /tmp/batch-bench   # keep projects and outputs
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests")]  # this checkout's luoshu; the generator

from helpers.generated_projects import generate_projects  # noqa: E402

from luoshu.batch import Settings, find_projects, run_batch  # noqa: E402
from luoshu.batch.cluster import DaskCluster  # noqa: E402
from luoshu.batch.pool import LocalPool, default_jobs  # noqa: E402


class Quiet:
    """A batch listener that only counts."""

    def begin(self, total, where):
        self.started = time.perf_counter()

    def done(self, entry):
        pass

    def note(self, line):
        print(f"  note: {line}", file=sys.stderr)

    def end(self):
        pass


def timed(label: str, projects, out: Path, runner, settings: Settings) -> dict:
    print(f"  {label}…", file=sys.stderr, flush=True)
    started = time.perf_counter()
    result = run_batch(projects, out, settings, runner, Quiet())
    seconds = time.perf_counter() - started
    counts = {status: result.count(status) for status in ("built", "up to date", "failed")}
    if counts["failed"]:
        failed = next(e for e in result.entries if e.status == "failed")
        raise SystemExit(f"{label}: {counts['failed']} projects failed, e.g. {failed.name}: "
                         f"{failed.error}")
    return {"label": label, "seconds": seconds, "counts": counts,
            "per_minute": 60 * len(result.entries) / seconds}


def run(workdir: Path, count: int, jobs: int, formats: tuple[str, ...] | None) -> list[dict]:
    from distributed import LocalCluster

    source = workdir / "projects"
    if source.exists():
        shutil.rmtree(source)
    generate_projects(source, count, broken=0)
    settings = Settings(formats=formats)
    projects = find_projects(source, workdir / "local")
    rows = [timed(f"local pool ({jobs} processes)", projects, workdir / "local",
                  LocalPool(jobs), settings)]
    with LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True,
                      dashboard_address=None, silence_logs=logging.ERROR) as cluster:
        rows.append(timed(f"Dask LocalCluster ({jobs} workers × 1 thread)",
                          find_projects(source, workdir / "cluster"), workdir / "cluster",
                          DaskCluster(cluster.scheduler_address), settings))
    rows.append(timed("local pool again (all up to date)", projects, workdir / "local",
                      LocalPool(jobs), settings))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Throughput of luoshu batch: local pool vs "
                                                 "a Dask LocalCluster.")
    parser.add_argument("--projects", type=int, default=200, help="generated projects (200)")
    parser.add_argument("--jobs", type=int, default=default_jobs(),
                        help="pool processes, and Dask workers (default: one per CPU)")
    parser.add_argument("--formats", help="comma-separated, for every project (default: each "
                                          "project's own: mostly pdf, some epub)")
    parser.add_argument("--keep", type=Path, metavar="DIR",
                        help="work in DIR (projects/, local/, cluster/) and keep it")
    args = parser.parse_args(argv)
    formats = tuple(args.formats.split(",")) if args.formats else None
    os.environ.pop("SOURCE_DATE_EPOCH", None)
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        for name in ("local", "cluster"):
            shutil.rmtree(args.keep / name, ignore_errors=True)
        rows = run(args.keep, args.projects, args.jobs, formats)
    else:
        with tempfile.TemporaryDirectory(prefix="luoshu-bench-batch-") as folder:
            rows = run(Path(folder), args.projects, args.jobs, formats)
    anchor = rows[0]["per_minute"]
    print(f"\n{args.projects} generated projects, {args.jobs} processes per runner, "
          f"{os.cpu_count()} CPUs\n")
    print(f"{'runner':<48} {'seconds':>8} {'projects/min':>13} {'vs local pool':>14}")
    for row in rows:
        print(f"{row['label']:<48} {row['seconds']:>8.1f} {row['per_minute']:>13.1f} "
              f"{row['per_minute'] / anchor:>13.2f}×")
    return 0


if __name__ == "__main__":
    sys.exit(main())
