"""A grader slot: one long-lived process that imports the kit once and grades submissions in turn.

Starting a Python process with numpy and pytest costs about as much as grading a
submission's checks, so a batch keeps one slot per core busy instead of starting
``dlgrade grade`` per student. A slot runs the grader (pytest and the checks); student
code runs, as always, in the worker processes ``autograder.grading.grade`` starts.

The parent talks to a slot over two pipes with ``multiprocessing.connection``
(pickled messages between trusted processes: no student object ever crosses): it
sends a task dict, the slot answers with an outcome dict. The slot runs in its own
session (a Ctrl-C in the terminal reaches only the parent, which ends the slots), and
ends itself when its parent dies (kill -9 of the batch leaves nothing behind).

Protocol:
- slot -> parent, once: ``{"ready": pid}``.
- parent -> slot: ``{"id": ..., "path": str, "options": GradeOptions}`` or None (stop).
- slot -> parent: ``{"id", "status", "result", "message", "elapsed", "path"}`` where status is
  ``records.GRADED`` (result: a GradeResult), ``REFUSED`` (a UserError: not a submission)
  or ``CRASHED`` (the grader failed; message: the error).
"""
from __future__ import annotations

import importlib
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from multiprocessing.connection import Connection

from autograder.batch.records import CRASHED, GRADED, REFUSED

DEFAULT_TARGET = "autograder.grading:grade"
# Each slot is one grading at a time: one BLAS thread keeps N slots on N cores from oversubscribing.
_ONE_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


class SlotDied(Exception):
    """The slot process ended (crash, kill, out of memory) before answering."""


class Slot:
    """A grader slot process, seen from its parent.

    Inputs:
    - target: ``"module:function"`` that grades, called as ``function(path, options)``
      (default ``autograder.grading:grade``).
    """

    def __init__(self, target: str = DEFAULT_TARGET):
        task_r, task_w = os.pipe()
        out_r, out_w = os.pipe()
        self.log = tempfile.TemporaryFile(prefix="dlgrade-slot-")
        env = {**os.environ, **_ONE_THREAD}
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "autograder.batch.slot", str(task_r), str(out_w), target],
                pass_fds=(task_r, out_w), stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log,
                start_new_session=True, env=env)
        finally:
            os.close(task_r)
            os.close(out_w)
        self._tasks = Connection(task_w, readable=False)
        self.conn = Connection(out_r, writable=False)  # wait on this for answers (EOF = died)
        self.pid = self.proc.pid
        self.ready = False
        self.task = None        # what it is grading now
        self.started = 0.0      # when it began the current task (time.monotonic)
        self.attempt = 0

    def send(self, task: dict) -> None:
        """Hand the slot a task (it must be ready and idle)."""
        self.task = task
        self.started = time.monotonic()
        try:
            self._tasks.send(task)
        except OSError:
            pass  # it died meanwhile: its answer pipe is at EOF, and receive() says why

    def receive(self) -> dict:
        """Read the slot's next message; raise SlotDied when the slot is gone."""
        try:
            message = self.conn.recv()
        except (EOFError, OSError):
            raise SlotDied(self.describe_death()) from None
        if "ready" in message:
            self.ready = True
        return message

    def grade(self, task: dict, deadline: float) -> dict:
        """Blocking: grade one task; raise SlotDied or TimeoutError (the slot is then unusable)."""
        end = time.monotonic() + deadline
        while not self.ready:
            if not self.conn.poll(max(0.0, end - time.monotonic())):
                raise TimeoutError
            self.receive()
        self.send(task)
        if not self.conn.poll(max(0.0, end - time.monotonic())):
            raise TimeoutError
        message = self.receive()
        self.task = None
        return message

    def describe_death(self) -> str:
        """Why the slot ended: exit status or signal, and the last lines it wrote."""
        try:
            code = self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            code = None
        if code is None:
            how = "stopped answering"
        elif code < 0:
            try:
                how = f"was killed by {signal.Signals(-code).name}"
            except ValueError:
                how = f"was killed by signal {-code}"
        else:
            how = f"exited with status {code}"
        tail = self.log_tail()
        return f"the grader process {how}" + (f"; its last output: {tail}" if tail else "")

    def log_tail(self, limit: int = 600) -> str:
        try:
            self.log.seek(0, os.SEEK_END)
            size = self.log.tell()
            self.log.seek(max(0, size - limit))
            return " | ".join(self.log.read().decode("utf-8", "replace").strip().splitlines()[-5:])
        except (OSError, ValueError):
            return ""

    def kill(self) -> None:
        """End the slot and everything in its session, now."""
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.proc.wait()
        self._close()

    def close(self, timeout: float = 5.0) -> None:
        """Ask the slot to stop; kill it if it does not within timeout."""
        try:
            self._tasks.send(None)
        except OSError:
            pass
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pass
        self.kill()

    def _close(self):
        for conn in (self._tasks, self.conn):
            try:
                conn.close()
            except OSError:
                pass
        self.log.close()


def _resolve(target):
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)


def run_task(grade, task: dict) -> dict:
    """Grade one task in this process; never raises (except KeyboardInterrupt/SystemExit)."""
    from autograder import UserError

    started = time.perf_counter()
    outcome = {"id": task["id"], "path": task["path"], "result": None, "message": ""}
    try:
        outcome["result"] = grade(task["path"], task["options"])
        outcome["status"] = GRADED
    except UserError as exc:
        outcome.update(status=REFUSED, message=str(exc))
    except Exception as exc:  # the grader itself failed on this submission: its row, not the batch
        tb = traceback.format_exception(exc)
        outcome.update(status=CRASHED, message=f"the grader failed: {type(exc).__name__}: {exc}\n"
                       + "".join(tb)[-3000:])
    outcome["elapsed"] = time.perf_counter() - started
    return outcome


def _watch_parent(parent):
    """End this slot when the batch that started it is gone (it was killed, say)."""
    while True:
        if os.getppid() != parent:
            os._exit(3)
        time.sleep(0.5)


def main(argv=None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    task_fd, out_fd, target = int(argv[0]), int(argv[1]), argv[2]
    threading.Thread(target=_watch_parent, args=(os.getppid(),), daemon=True).start()
    tasks = Connection(task_fd, writable=False)
    out = Connection(out_fd, readable=False)
    grade = _resolve(target)  # imports the kit once, before the first task
    out.send({"ready": os.getpid()})
    while True:
        try:
            task = tasks.recv()
        except (EOFError, OSError):
            break
        if task is None:
            break
        out.send(run_task(grade, task))


if __name__ == "__main__":
    main()
