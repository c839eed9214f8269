"""Grade a class on a Dask distributed cluster (``dlgrade batch --dask ADDRESS``).

The submitting process reads each submission, sends its bytes with the task (the Dask
workers need not see the TA's disk), and writes results, journal and reports as a local
batch does. On a Dask worker, :func:`grade_on_worker` unpacks the submission into a
temporary folder and grades it in a grader slot of that worker (``slot.Slot``, kept
between tasks, one per running task), so student code runs in the same worker processes
as on a TA's machine and a crash takes down a slot, not the Dask worker. When a Dask
worker is lost, the scheduler gives its tasks to another one (Dask's own rescheduling);
a submission that kills worker after worker ends as KilledWorker: a crashed row.

Every Dask worker must run the same kit (its fingerprint comes back with each result and
is compared) and have the MNIST files (``MNIST_DATA_DIR`` in its environment, or
``--data-dir`` naming a folder that exists on the workers).
"""
from __future__ import annotations

import io
import os
import shutil
import socket
import stat
import tempfile
import threading
import time
import uuid
import zipfile
from pathlib import Path

from autograder import UserError
from autograder.batch.records import CRASHED, REFUSED, TIMED_OUT
from autograder.batch.slot import DEFAULT_TARGET, Slot, SlotDied

MAX_PACKED_BYTES = 64 * 2**20
_SKIP_DIRS = {"__pycache__", ".git", ".ipynb_checkpoints", "__MACOSX"}


class PackError(Exception):
    """The submission cannot be sent to the cluster (too large, unreadable)."""


def pack(path) -> dict:
    """The bytes of a submission, to send to a Dask worker.

    Inputs:
    - path: a folder (zipped in memory: regular files only, no symlinks) or a file.

    Returns:
    - {"name": the entry's file name, "folder": bool, "data": bytes}.
    """
    path = Path(path)
    try:
        if path.is_file():
            if path.stat().st_size > MAX_PACKED_BYTES:
                raise PackError(f"larger than {MAX_PACKED_BYTES // 2**20} MiB")
            return {"name": path.name, "folder": False, "data": path.read_bytes()}
        buf, total = io.BytesIO(), 0
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            for dirpath, dirnames, filenames in os.walk(path, followlinks=False):
                dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS)
                for name in sorted(filenames):
                    full = Path(dirpath) / name
                    st = full.lstat()
                    if not stat.S_ISREG(st.st_mode):
                        continue
                    total += st.st_size
                    if total > MAX_PACKED_BYTES:
                        raise PackError(f"larger than {MAX_PACKED_BYTES // 2**20} MiB")
                    zf.write(full, full.relative_to(path).as_posix())
        return {"name": path.name, "folder": True, "data": buf.getvalue()}
    except OSError as exc:
        raise PackError(f"cannot read it: {exc.strerror or exc}") from None


def unpack(payload: dict, dest) -> Path:
    """Write a packed submission under dest; return the path to grade."""
    target = Path(dest) / payload["name"]
    if payload["folder"]:
        target.mkdir()
        with zipfile.ZipFile(io.BytesIO(payload["data"])) as zf:
            zf.extractall(target)  # names were written by pack(); extractall also strips ".." and "/"
    else:
        target.write_bytes(payload["data"])
    return target


# ----------------------------------------------------------------------------- worker side

_idle = []
_idle_lock = threading.Lock()


def _take_slot(target):
    with _idle_lock:
        for i, slot in enumerate(_idle):
            if slot.target == target:
                return _idle.pop(i)
    slot = Slot(target)
    slot.target = target
    return slot


def _give_back(slot):
    with _idle_lock:
        _idle.append(slot)


def grade_on_worker(payload: dict, options, deadline: float, target: str = DEFAULT_TARGET) -> dict:
    """Run on a Dask worker: grade one packed submission; return the slot's outcome dict.

    Adds ``kit`` (this worker's kit fingerprint) and ``worker`` (host name) to the outcome.
    A slot that dies is replaced and the submission tried once more; a second death, or
    the deadline, gives a CRASHED or TIMED_OUT outcome instead of an exception.
    """
    from autograder.batch.journal import kit_fingerprint

    tmp = tempfile.mkdtemp(prefix="dlgrade-dask-")
    try:
        path = str(unpack(payload, tmp))
        task = {"id": 0, "path": path, "options": options}
        outcome = None
        for attempt in range(2):
            slot = _take_slot(target)
            try:
                outcome = slot.grade(task, deadline)
            except SlotDied as died:
                slot.kill()
                outcome = {"status": CRASHED, "message": str(died), "result": None, "elapsed": 0.0}
                continue
            except TimeoutError:
                slot.kill()
                outcome = {"status": TIMED_OUT, "result": None, "elapsed": deadline,
                           "message": f"grading took longer than {deadline:g} s and was stopped"}
                break
            _give_back(slot)
            break
        outcome["path"] = path
        outcome["kit"] = kit_fingerprint()
        outcome["worker"] = socket.gethostname()
        return outcome
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# ----------------------------------------------------------------------------- client side


# Seconds the cluster may have no worker at all before the run stops (the submissions left
# would wait forever): long enough for a worker to be restarted, short enough to notice.
NO_WORKER_TIMEOUT = 120.0
_POLL = 0.2  # seconds between looks at the futures while nothing finishes
_LOOK_EVERY = 1.0  # seconds between questions to the scheduler about its workers


def run_dask(address, tasks, options, on_done, *, kit, deadline=None, target=DEFAULT_TARGET,
             no_worker_timeout=None):
    """Grade tasks on the Dask cluster at address; call on_done(task, outcome) as each finishes.

    Inputs:
    - address: the scheduler (``tcp://host:8786``).
    - tasks: dicts with ``id`` and ``path``.
    - options: GradeOptions; kit: this machine's kit fingerprint (workers must match).
    - deadline: seconds per submission on a worker (default ``runner.submission_deadline``).
    - no_worker_timeout: seconds without any worker in the cluster after which the run stops
      (default NO_WORKER_TIMEOUT).

    Raises UserError when the scheduler cannot be reached, a worker runs another kit, or
    the cluster has had no worker for no_worker_timeout seconds (what finished is kept:
    the same command goes on from there).
    """
    try:
        from distributed import Client
    except ImportError:
        raise UserError("--dask needs the dask extra: pip install 'dlscratch-kit[dask]'") from None
    from autograder.batch.runner import submission_deadline

    deadline = submission_deadline(options) if deadline is None else deadline
    no_worker_timeout = NO_WORKER_TIMEOUT if no_worker_timeout is None else no_worker_timeout
    try:
        client = Client(address, timeout=10, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise UserError(f"--dask {address}: cannot reach the Dask scheduler: {exc}") from None
    try:
        futures = {}
        for task in tasks:
            try:
                payload = pack(task["path"])
            except PackError as exc:
                on_done(task, {"status": REFUSED, "result": None, "elapsed": 0.0, "path": task["path"],
                               "message": f"{task['path']}: not sent to the cluster: {exc}"})
                continue
            key = f"dlgrade-{uuid.uuid4().hex}"
            future = client.submit(grade_on_worker, payload, options, deadline, target, key=key, pure=False)
            futures[future] = task
        pending = set(futures)
        alone_since = None  # when the cluster was first seen without workers (time.monotonic)
        next_look = 0.0
        while pending:
            done = [f for f in pending if f.done()]  # state kept by the client's own event loop
            if not done:
                time.sleep(_POLL)
            for future in sorted(done, key=lambda f: futures[f]["id"]):
                pending.discard(future)
                task = futures[future]
                if future.status == "finished":
                    outcome = future.result()
                    if outcome.get("kit") != kit:
                        raise UserError(f"Dask worker {outcome.get('worker')} runs a different version of the kit "
                                        "than this machine; install the same one on every worker")
                else:
                    exc = future.exception()
                    outcome = {"status": CRASHED, "result": None, "elapsed": 0.0, "path": task["path"],
                               "message": f"the cluster could not grade it: {type(exc).__name__}: {exc}"}
                on_done(task, outcome)
            if done or not pending or time.monotonic() < next_look:
                continue
            next_look = time.monotonic() + _LOOK_EVERY
            if _worker_count(client) > 0:
                alone_since = None
            elif alone_since is None:
                alone_since = time.monotonic()
            elif time.monotonic() - alone_since >= no_worker_timeout:
                client.cancel(list(pending))
                raise UserError(f"--dask {address}: the cluster has had no worker for {no_worker_timeout:g} s "
                                f"and {len(pending)} submission(s) are still waiting; start Dask workers and "
                                "run the same command again (what was graded is kept)")
    finally:
        client.close()


def _worker_count(client) -> int:
    """How many workers the scheduler knows now (fresh from the scheduler, not a cached view)."""
    return len(client.scheduler_info(n_workers=-1).get("workers", {}))
