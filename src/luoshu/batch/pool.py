"""The local runner: a pool of build processes on this machine (``--jobs N``).

The processes start from a fork server that has imported luoshu once (each starts warm, and
none inherits the client's threads). A process that dies mid-build — killed, or out of memory
— breaks Python's process pool and every build in flight with it: those projects are then
built again one at a time in a new pool, so that the one that killed its process is found
and the others are not blamed; a project whose build process dies MAX_ATTEMPTS times fails
with that said. Ctrl-C stops the pool's processes at once (they ignore SIGINT themselves, so
that only the client decides what a Ctrl-C means).
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections import deque
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool

from .jobs import FAILED, LocalJob, Outcome, build_local
from .outputs import new_staging, remove_staging
from .task import MAX_ATTEMPTS, Finish, Note, Settings, Task


def default_jobs() -> int:
    """The number of CPUs this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


class LocalPool:
    """Builds the batch's projects in *jobs* processes of this machine."""

    def __init__(self, jobs: int | None = None):
        self.jobs = jobs or default_jobs()
        self.where = f"{self.jobs} local process{'es' if self.jobs > 1 else ''}"

    def run(self, tasks: list[Task], settings: Settings, finish: Finish, note: Note) -> None:
        waiting = deque(tasks)
        suspects: deque[Task] = deque()  # in flight when a process died: built one by one
        in_flight: dict[Future, tuple[Task, LocalJob]] = {}
        executor = self._executor()
        try:
            while waiting or suspects or in_flight:
                if suspects:
                    if not in_flight:
                        self._submit(executor, suspects.popleft(), settings, in_flight)
                else:  # a few more than the processes, so that none waits for the client
                    while waiting and len(in_flight) < 2 * self.jobs:
                        self._submit(executor, waiting.popleft(), settings, in_flight)
                done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
                if any(_broke(future) for future in done):
                    # The pool is broken: every future still in flight ends, most with it.
                    done, _ = wait(in_flight)
                    executor.shutdown(wait=True)
                    executor = self._executor()
                for future in done:
                    task, job = in_flight.pop(future)
                    if _broke(future):
                        remove_staging(job.staging)
                        if task.attempts >= MAX_ATTEMPTS:
                            finish(task, _died(task))
                        else:
                            suspects.append(task)
                        continue
                    try:
                        finish(task, future.result())
                    finally:
                        remove_staging(job.staging)
        except BaseException:
            _stop(executor)
            for task, job in in_flight.values():
                remove_staging(job.staging)
            raise
        executor.shutdown(wait=True)

    def _executor(self) -> ProcessPoolExecutor:
        methods = multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("forkserver" if "forkserver" in methods
                                              else "spawn")
        if context.get_start_method() == "forkserver":
            context.set_forkserver_preload(["luoshu.batch.jobs"])
        return ProcessPoolExecutor(self.jobs, mp_context=context, initializer=_ignore_sigint)

    @staticmethod
    def _submit(executor: ProcessPoolExecutor, task: Task, settings: Settings,
                in_flight: dict) -> None:
        task.attempts += 1
        job = LocalJob(task.project.name, task.project.path, new_staging(task.final),
                       settings.formats, settings.strict, settings.source_date_epoch,
                       task.up_to_date)
        in_flight[executor.submit(build_local, job)] = (task, job)


def _broke(future: Future) -> bool:
    return isinstance(future.exception(), BrokenProcessPool)


def _died(task: Task) -> Outcome:
    return Outcome(task.project.name, FAILED, problems=(
        f"its build process died {task.attempts} times while building it (killed, or out of "
        "memory?); try 'luoshu build' on it alone",))


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _stop(executor: ProcessPoolExecutor) -> None:
    """End the pool's processes now, not after the builds they are in."""
    processes = dict(getattr(executor, "_processes", None) or {})  # pid → Process
    executor.shutdown(wait=False, cancel_futures=True)
    for process in processes.values():
        if process.is_alive():
            process.terminate()
    for process in processes.values():
        process.join(timeout=5)
