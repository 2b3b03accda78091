"""`luoshu batch --scheduler` on a real Dask cluster (distributed.LocalCluster, two worker
processes that share nothing with the client but what the tasks carry): twenty generated
projects byte-identical to `luoshu build`, a worker killed while it builds, a rerun that skips
what is up to date, and workers whose results must be refused."""

from __future__ import annotations

import logging
import os
import signal

import pytest
from helpers.generated_projects import OK, Recorder, folder_files, pretend_other_version
from helpers.projects import source_date_epoch

from luoshu.batch import Settings, find_projects, run_batch
from luoshu.batch.cluster import ClusterUnavailable, DaskCluster

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("no_source_date_epoch")]

SETTINGS = Settings(source_date_epoch=None)  # as the reference builds are made


@pytest.fixture(scope="module")
def cluster():
    """(scheduler address, a client of the test's own) of a two-worker LocalCluster."""
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None, silence_logs=logging.CRITICAL) as local, \
            Client(local.scheduler_address, set_as_default=False) as client:
        yield local.scheduler_address, client


def on_cluster(address, source, out, settings=SETTINGS, listener=None):
    listener = listener or Recorder()
    with source_date_epoch(None):  # the client reads the projects as the workers build them
        result = run_batch(find_projects(source, out), out, settings, DaskCluster(address),
                           listener)
    return result, {entry.name: entry for entry in result.entries}


@pytest.fixture(scope="module")
def cluster_batch(cluster, generated, tmp_path_factory):
    """The twenty projects built once on the cluster, one worker killed mid-batch:
    (output folder, entries by name, the killed worker's address and its projects)."""
    address, client = cluster
    source, _ = generated
    out = tmp_path_factory.mktemp("cluster") / "out"
    killed = {}

    def kill_a_busy_worker(entry):
        if killed:
            return
        busy = {worker: keys for worker, keys in client.processing().items() if keys}
        if not busy:
            return
        worker, keys = next(iter(busy.items()))
        pid = client.run(os.getpid, workers=[worker])[worker]
        killed.update(worker=worker, projects=[key.split("-")[2] for key in keys])
        os.kill(pid, signal.SIGKILL)  # its nanny starts a new one; the scheduler re-sends

    _, entries = on_cluster(address, source, out, listener=Recorder(kill_a_busy_worker))
    return out, entries, killed


def test_twenty_projects_on_two_workers_are_byte_identical_to_luoshu_build(
        cluster_batch, generated, reference):
    out, entries, killed = cluster_batch
    _, kinds = generated
    assert len(entries) == 20
    for name, kind in kinds.items():
        entry = entries[name]
        if kind == OK:
            assert entry.status == "built", entry.error
            assert entry.worker.startswith("tcp://127.0.0.1:")
            assert folder_files(out / name) == folder_files(reference(name)), name
        else:  # found by the client, in the build's words, without troubling a worker
            assert entry.status == "failed" and entry.worker == "client"
            assert entry.error.startswith(("book.toml:8: unknown key 'titel'",
                                           "manuscript/")), entry.error


def test_a_worker_killed_while_building_loses_nothing(cluster_batch):
    out, entries, killed = cluster_batch
    assert killed, "no worker was busy to be killed"
    lost = [name for name in entries if name.split("-")[0] in killed["projects"]]
    assert lost
    for name in lost:  # rebuilt by the other worker, or by the killed one's successor
        assert entries[name].status == "built"
        assert entries[name].worker != killed["worker"]


def test_a_rerun_skips_what_is_up_to_date(cluster, cluster_batch, generated):
    address, _ = cluster
    out, first, _ = cluster_batch
    source, kinds = generated
    before = {name: folder_files(out / name) for name in kinds if kinds[name] == OK}
    _, entries = on_cluster(address, source, out)
    for name, kind in kinds.items():
        assert entries[name].status == ("up to date" if kind == OK else "failed"), name
        if kind == OK:
            assert entries[name].artifacts == first[name].artifacts
            assert folder_files(out / name) == before[name]


def test_results_from_a_worker_with_other_software_are_refused(
        cluster, generated, reference, copy_projects, tmp_path):
    address, client = cluster
    _, kinds = generated
    names = [n for n in sorted(kinds) if kinds[n] == OK][1:3]
    source = copy_projects(*names)
    client.wait_for_workers(2, timeout=60)  # the killed worker's successor, too
    workers = sorted(client.scheduler_info()["workers"])
    assert len(workers) == 2
    odd = workers[0]
    previous = client.run(pretend_other_version, "weasyprint", "0.0-elsewhere",
                          workers=[odd])[odd]
    try:
        listener = Recorder()
        _, entries = on_cluster(address, source, tmp_path / "out", listener=listener)
        # Both workers are sent a project; the odd one's result is refused, and it is named
        # once; the other worker builds everything.
        for name in names:
            assert entries[name].status == "built" and entries[name].worker == workers[1]
            assert folder_files(tmp_path / "out" / name) == folder_files(reference(name))
        assert len(listener.notes) == 1
        assert f"by worker {odd}: weasyprint 0.0-elsewhere there" in listener.notes[0]

        client.run(pretend_other_version, "weasyprint", "0.0-elsewhere", workers=[workers[1]])
        force = Settings(force=True, source_date_epoch=None)
        _, entries = on_cluster(address, source, tmp_path / "out", settings=force)
        for name in names:
            assert entries[name].status == "failed"
            assert entries[name].error.startswith(f"refused the build of {name} by worker tcp://")
            assert "weasyprint 0.0-elsewhere there" in entries[name].error
    finally:
        client.run(pretend_other_version, "weasyprint", previous)


def test_an_unreachable_scheduler_is_one_line(generated, tmp_path, monkeypatch):
    import luoshu.batch.cluster

    monkeypatch.setattr(luoshu.batch.cluster, "CONNECT_SECONDS", 1)
    source, _ = generated
    with pytest.raises(ClusterUnavailable) as caught:
        on_cluster("tcp://127.0.0.1:9", source, tmp_path / "out")
    assert str(caught.value).startswith("cannot reach the Dask scheduler at tcp://127.0.0.1:9")
