"""``dlgrade batch --dask``: a real Dask cluster on loopback (a scheduler and two workers).

The cluster's processes are started here and ended by pid. A class graded through the
cluster gives the same gradebook and reports as a local batch; a Dask worker killed with
kill -9 while it grades loses nothing: the scheduler gives its submission to the other one.
"""
import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from autograder.batch.run import grade_class
from autograder.grading import GradeOptions

pytestmark = [pytest.mark.dask, pytest.mark.slow]

TESTS = Path(__file__).resolve().parent
DASK = str(Path(sys.executable).parent / "dask")
ONLY = ("functions.softmax", "functions.cross_entropy_error", "layers.Relu")
CLASS = {"alice": "correct/book_style", "bob": "buggy/softmax_axis0", "carol": "buggy/cee_without_delta",
         "dave": "hostile/syntax_error"}


def _end(proc):
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """{"address", "workers": [Popen, Popen]}; everything is ended by pid afterwards."""
    from distributed import Client

    tmp = tmp_path_factory.mktemp("dask")
    env = {**os.environ, "PYTHONPATH": str(TESTS)}  # workers' slots import batch_targets
    procs = []
    try:
        scheduler = subprocess.Popen([DASK, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                                      "--scheduler-file", str(tmp / "scheduler.json")],
                                     stdout=subprocess.DEVNULL, stderr=open(tmp / "scheduler.log", "w"), env=env)
        procs.append(scheduler)
        end = time.monotonic() + 120
        while not (tmp / "scheduler.json").exists():
            assert scheduler.poll() is None and time.monotonic() < end, (tmp / "scheduler.log").read_text()
            time.sleep(0.2)
        time.sleep(0.2)
        address = json.loads((tmp / "scheduler.json").read_text())["address"]
        workers = []
        for i in range(2):
            workers.append(subprocess.Popen(
                [DASK, "worker", address, "--nthreads", "1", "--no-nanny", "--no-dashboard", "--host", "127.0.0.1",
                 "--name", f"w{i}", "--local-directory", str(tmp / f"w{i}")],
                stdout=subprocess.DEVNULL, stderr=open(tmp / f"worker{i}.log", "w"), env=env))
        procs += workers
        with Client(address, timeout=60) as client:
            client.wait_for_workers(2, timeout=120)
        yield {"address": address, "workers": workers}
    finally:
        for proc in reversed(procs):
            _end(proc)


def test_dask_batch_gives_the_local_gradebook_even_when_a_worker_is_lost(cluster, make_class, processes,
                                                                        tmp_path, monkeypatch):
    # One test, not several: under pytest-xdist, tests of one module may run in two processes,
    # and each would start its own cluster.
    root = make_class(tmp_path / "class", CLASS)
    local = tmp_path / "local"
    grade_class(root, local, GradeOptions(only=frozenset(ONLY)), jobs=2, progress_stream=io.StringIO())
    out = tmp_path / "out"
    only = [a for e in ONLY for a in ("--only", e)]
    proc = subprocess.run([sys.executable, "-m", "autograder", "batch", str(root), "--out", str(out),
                           "--dask", cluster["address"], *only], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert "4 submissions (4 graded; 0 reused from the journal)" in proc.stdout
    assert (out / "gradebook.csv").read_bytes() == (local / "gradebook.csv").read_bytes()
    for student in CLASS:
        assert (out / student / "report.txt").read_text() == (local / student / "report.txt").read_text()
    again = subprocess.run([sys.executable, "-m", "autograder", "batch", str(root), "--out", str(out),
                            "--dask", cluster["address"], *only], capture_output=True, text=True, timeout=600)
    assert "4 reused from the journal" in again.stdout, again.stderr

    lose_a_worker(cluster, processes, root, local, tmp_path / "lost", monkeypatch)


def test_unreachable_scheduler_is_a_user_error(tmp_path):
    root = tmp_path / "class"
    (root / "alice").mkdir(parents=True)
    (root / "alice" / "functions.py").write_text("")
    proc = subprocess.run([sys.executable, "-m", "autograder", "batch", str(root), "--out", str(tmp_path / "o"),
                           "--dask", "tcp://127.0.0.1:9", "--only", "functions.softmax"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "cannot reach the Dask scheduler" in proc.stderr, proc.stderr


def lose_a_worker(cluster, processes, root, local, out, monkeypatch):
    """Kill -9 one of the two workers while it grades: the class is still graded, the same."""
    monkeypatch.setenv("DLGRADE_TEST_PAUSE", "3")
    victim = cluster["workers"][0]
    done = {}

    def run():
        try:
            done["summary"] = grade_class(root, out, GradeOptions(only=frozenset(ONLY)), progress_stream=io.StringIO(),
                                          dask_address=cluster["address"], target="batch_targets:slow")
        except BaseException as exc:  # reported by the assertion below
            done["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    end = time.monotonic() + 120
    while not processes.children(victim.pid):  # its grader slot: the worker has taken a submission
        assert time.monotonic() < end and thread.is_alive(), done
        time.sleep(0.05)
    slots = processes.children(victim.pid)
    time.sleep(1.0)  # the slot is inside the 3 s pause or grading: the task is in flight
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait()
    thread.join(timeout=600)
    assert not thread.is_alive() and "error" not in done, done
    summary = done["summary"]
    assert [r.status for r in summary.records] == ["graded"] * len(CLASS)
    assert (out / "gradebook.csv").read_bytes() == (local / "gradebook.csv").read_bytes()
    assert processes.wait_gone(slots, 15), "a killed Dask worker's grader slots end with it"


def test_a_cluster_without_workers_stops_the_run_with_a_clear_message(tmp_path, make_class, monkeypatch):
    """Every Dask worker gone: the run stops after NO_WORKER_TIMEOUT with one message (it used to wait forever)."""
    from autograder import UserError
    from autograder.batch import dask_runner

    root = make_class(tmp_path / "class", {"alice": "correct/book_style", "bob": "buggy/softmax_axis0"})
    scheduler = subprocess.Popen([DASK, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                                  "--scheduler-file", str(tmp_path / "scheduler.json")],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        end = time.monotonic() + 120
        while not (tmp_path / "scheduler.json").exists():
            assert scheduler.poll() is None and time.monotonic() < end
            time.sleep(0.2)
        time.sleep(0.2)
        address = json.loads((tmp_path / "scheduler.json").read_text())["address"]
        monkeypatch.setattr(dask_runner, "NO_WORKER_TIMEOUT", 3.0)
        started = time.monotonic()
        with pytest.raises(UserError, match=r"no worker for 3 s and 2 submission\(s\) are still waiting"):
            grade_class(root, tmp_path / "out", GradeOptions(only=frozenset(ONLY)), progress_stream=io.StringIO(),
                        dask_address=address)
        assert time.monotonic() - started < 60
    finally:
        _end(scheduler)

