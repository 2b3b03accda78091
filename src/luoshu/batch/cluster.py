"""The cluster runner: a Dask ``distributed`` scheduler and its workers (``--scheduler``).

The client reads each project (luoshu.batch.inputs.plan_project) — a broken one fails there,
in the words of ``luoshu build``, and one whose outputs are up to date is skipped — and sends
the rest as tasks carrying their bundle: the scheduler then holds everything a task needs,
so when a worker dies it gives the task to another (Dask's own recovery; after
``allowed-failures`` deaths it gives up with KilledWorker). Only a few tasks per worker thread
are out at a time, so neither the client nor the scheduler holds more than that many bundles.

Each result carries the worker's environment (luoshu.batch.environment); one that differs
from the client's is refused, the worker is named on the terminal and left out of the batch,
and the project is sent to another worker — or fails, with the refusal, when none is left.
"""

from __future__ import annotations

import time
import uuid
from collections import deque
from concurrent.futures import CancelledError
from dataclasses import dataclass

from ..errors import ProjectError
from .environment import differences
from .inputs import Plan, bundle, plan_project
from .jobs import (
    BUILT,
    FAILED,
    UP_TO_DATE,
    Outcome,
    RemoteJob,
    build_remote,
    crashed,
    failed,
)
from .task import MAX_ATTEMPTS, Finish, Note, Settings, Task

CONNECT_SECONDS = 10  # to reach the scheduler (Dask retries until then)
WORKER_WAIT_SECONDS = 120  # for a first worker to join it
TASKS_PER_THREAD = 2  # in flight: one building, one ready to start
POLL_SECONDS = 0.05  # between looks for finished tasks
CHECK_SECONDS = 2  # between questions to the scheduler about its workers, while waiting


class ClusterUnavailable(Exception):
    """The scheduler cannot be reached, or no worker joins it (one line, for the user)."""


@dataclass
class _Sent:
    task: Task
    plan: Plan
    job: RemoteJob


class DaskCluster:
    """Builds the batch's projects on the workers of the Dask scheduler at *address*."""

    def __init__(self, address: str):
        self.address = address
        self.where = f"the Dask cluster at {address}"

    def run(self, tasks: list[Task], settings: Settings, finish: Finish, note: Note) -> None:
        import dask
        from distributed import Client

        try:
            client = Client(self.address, timeout=CONNECT_SECONDS, set_as_default=False)
        except OSError as error:
            raise ClusterUnavailable(
                f"cannot reach the Dask scheduler at {self.address} ({error}); start one with "
                "'dask scheduler' (see the README's batch builds)") from None
        # Each task carries its project (a few MB with photos) on purpose, so that the
        # scheduler can give it to another worker when one dies: Dask's large-graph warning
        # is about repeated data, which this is not.
        with client, dask.config.set({"distributed.admin.large-graph-warning-threshold": "2GB"}):
            try:
                client.wait_for_workers(1, timeout=WORKER_WAIT_SECONDS)
            except TimeoutError:  # asyncio's, which is the built-in one since Python 3.11
                raise ClusterUnavailable(
                    f"no worker joined the scheduler at {self.address} within "
                    f"{WORKER_WAIT_SECONDS} s; start workers with 'dask worker {self.address}'"
                ) from None
            _Batch(client, self.address, settings, finish, note).run(tasks)


class _Batch:
    """One batch on one client: what is waiting, what is out, which workers are refused."""

    def __init__(self, client, address: str, settings: Settings, finish: Finish, note: Note):
        from distributed import as_completed

        self.client = client
        self.address = address
        self.settings = settings
        self.finish = finish
        self.note = note
        self.completed = as_completed(loop=client.loop)
        self.sent: dict = {}  # future → _Sent
        self.refused: set[str] = set()  # worker addresses whose environment differs
        self.workerless_since: float | None = None
        self.checked = time.monotonic()  # when _check_workers last asked the scheduler

    def run(self, tasks: list[Task]) -> None:
        waiting = deque(tasks)
        try:
            self._send_more(waiting)
            while self.sent:
                ready = self.completed.next_batch(block=False)
                if not ready:  # poll, to notice a cluster that has lost all its workers
                    if time.monotonic() - self.checked > CHECK_SECONDS:
                        self._check_workers()
                        self.checked = time.monotonic()
                    time.sleep(POLL_SECONDS)
                    continue
                for future in ready:
                    sent = self.sent.pop(future)
                    outcome = self._outcome(future, sent)
                    future.release()
                    if outcome is not None:
                        self.finish(sent.task, outcome)
                self._send_more(waiting)
        except BaseException:
            if self.client.status == "running":
                self.client.cancel(list(self.sent))
            raise

    def _check_workers(self) -> None:
        """Stop the batch when the scheduler has had no worker for WORKER_WAIT_SECONDS."""
        if self.client.status != "running":
            raise ClusterUnavailable(f"lost the Dask scheduler at {self.address}"
                                     "; run the same command again to go on")
        if self.client.nthreads():
            self.workerless_since = None
        elif self.workerless_since is None:
            self.workerless_since = time.monotonic()
        elif time.monotonic() - self.workerless_since > WORKER_WAIT_SECONDS:
            raise ClusterUnavailable(
                f"every worker has left the scheduler at {self.address}; start "
                "workers, then run the same command again to go on")

    def _send_more(self, waiting: deque[Task]) -> None:
        """Read and send projects until every worker thread has TASKS_PER_THREAD of them."""
        capacity = self._capacity()
        while waiting and len(self.sent) < capacity:
            task = waiting.popleft()
            plan = self._plan(task)
            if plan is not None:
                job = RemoteJob(task.project.name, bundle(plan), plan.formats,
                                self.settings.strict, self.settings.source_date_epoch)
                self._send(_Sent(task, plan, job))

    def _plan(self, task: Task) -> Plan | None:
        """*task*'s plan; None when it ended here (it failed, or is up to date)."""
        try:
            plan = plan_project(task.project.path, self.settings.formats)
        except ProjectError as error:
            self.finish(task, failed(task.project.name, error.problems, worker="client"))
            return None
        except Exception as error:  # a bug: this project's failure, not the batch's
            self.finish(task, crashed(task.project.name, error, worker="client"))
            return None
        if plan.fingerprint == task.up_to_date:
            self.finish(task, Outcome(task.project.name, UP_TO_DATE, worker="client",
                                      fingerprint=plan.fingerprint))
            return None
        return plan

    def _send(self, sent: _Sent) -> None:
        sent.task.attempts += 1
        workers = None
        if self.refused:  # only to workers whose results can be taken
            workers = [w for w in self.client.nthreads() if w not in self.refused]
        # The key names the project (on Dask's dashboard too); each sending is a new task.
        key = f"luoshu-batch-{sent.task.project.name}-{uuid.uuid4().hex[:12]}"
        future = self.client.submit(build_remote, sent.job, key=key, pure=False,
                                    workers=workers, allow_other_workers=False)
        self.sent[future] = sent
        self.completed.add(future)

    def _capacity(self) -> int:
        threads = sum(n for w, n in self.client.nthreads().items() if w not in self.refused)
        return max(TASKS_PER_THREAD, TASKS_PER_THREAD * threads)

    def _outcome(self, future, sent: _Sent) -> Outcome | None:
        """The outcome of a finished *future*; None when the project was sent out again."""
        from distributed import KilledWorker

        name = sent.task.project.name
        try:
            outcome = future.result()
        except KilledWorker as error:
            return Outcome(name, FAILED, problems=(
                f"the workers building it died {error.allowed_failures + 1} times (the last "
                f"{getattr(error.last_worker, 'address', 'unknown')}): killed, or out of "
                "memory?; try 'luoshu build' on it alone",), worker="cluster")
        except CancelledError:  # the scheduler is gone: no other project can be built either
            raise ClusterUnavailable(f"lost the Dask scheduler at {self.address}"
                                     "; run the same command again to go on") from None
        except Exception as error:  # the worker could not run the task at all
            return Outcome(name, FAILED, problems=(
                f"a worker could not run the build ({type(error).__name__}: {error}); every "
                "worker needs luoshu and its dependencies installed (see the README)",),
                worker="cluster")
        if outcome.status != BUILT:
            return outcome
        found = differences(sent.plan.environment, outcome.environment or {})
        if not found:
            return outcome
        refusal = (f"refused the build of {name} by worker {outcome.worker}: "
                   f"{'; '.join(found)}; every worker needs the client's luoshu, libraries and "
                   "fonts")
        if outcome.worker not in self.refused:
            self.refused.add(outcome.worker)
            self.note(refusal)
        others = [w for w in self.client.nthreads() if w not in self.refused]
        if others and sent.task.attempts < MAX_ATTEMPTS:
            self._send(sent)
            return None
        return Outcome(name, FAILED, problems=(refusal,), worker=outcome.worker)
