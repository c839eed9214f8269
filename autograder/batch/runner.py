"""Grade many submissions on this machine, N at a time, in long-lived grader slots.

``run_local`` keeps ``jobs`` slots (``slot.Slot``) busy: each imports the kit once and grades
one submission after another. What a submission can do to its slot stays in its own row:

- the grader raises on it: the slot answers CRASHED for that submission and goes on;
- the slot process dies (killed, out of memory, a signal from student code): the
  submission is retried once on a fresh slot (it may have been another submission's
  doing), then recorded as CRASHED; the slot is replaced;
- the grading overruns its deadline: the slot is killed and replaced, the row is TIMED_OUT.
"""
from __future__ import annotations

import time
from collections import deque
from multiprocessing.connection import wait

from autograder.batch.records import CRASHED, TIMED_OUT
from autograder.batch.slot import DEFAULT_TARGET, Slot, SlotDied


MAX_STILLBORN = 3


def submission_deadline(options) -> float:
    """Seconds one submission may take in all, beyond which its slot is killed.

    Generous on purpose: every exercise may burn its two timeouts and the MNIST gate its
    own limit, twice over on a loaded machine, before a submission counts as hung.
    """
    from autograder.exercises import EXERCISES

    gate = getattr(getattr(options.rubric, "mnist", None), "timeout", 120.0)
    return 2 * (len(EXERCISES) * 2 * options.timeout + gate) + 60


def start_slots(jobs, target=DEFAULT_TARGET) -> list:
    """Start `jobs` grader slots now, without waiting: they import the kit while the caller
    prepares the tasks (hashing the class, collecting the checks). Hand them to run_local."""
    if jobs < 1:
        raise ValueError(f"jobs must be at least 1, got {jobs}")
    return [Slot(target) for _ in range(jobs)]


def run_local(tasks, options, jobs, on_done, *, deadline=None, target=DEFAULT_TARGET, retries=1, slots=None):
    """Grade tasks in `jobs` slots; call on_done(task, outcome) for each as it finishes.

    Inputs:
    - tasks: list of dicts with ``id`` and ``path`` (a str the slot can read).
    - options: the GradeOptions for every task.
    - jobs: number of slots (>= 1).
    - on_done: callback(task, outcome); outcome as in ``slot`` plus TIMED_OUT / CRASHED
      from this runner.
    - deadline: seconds per submission (default ``submission_deadline(options)``).
    - target: the grading function the slots call (``"module:function"``).
    - retries: how often a submission whose slot died is tried again on a fresh slot.
    - slots: slots from start_slots (with the same target) to use instead of starting new
      ones; run_local closes them all, used or not.
    """
    if jobs < 1:
        raise ValueError(f"jobs must be at least 1, got {jobs}")
    deadline = submission_deadline(options) if deadline is None else deadline
    pending = deque(tasks)
    attempts = {}
    stillborn = 0  # slots that died before taking a task: a broken installation, not a submission
    wanted = min(jobs, len(pending))
    slots = list(slots or ())
    for extra in slots[wanted:]:
        extra.kill()  # idle (perhaps still importing): nothing to lose
    slots = slots[:wanted] + [Slot(target) for _ in range(wanted - len(slots))]
    try:
        while pending or any(s.task is not None for s in slots):
            for slot in slots:
                if slot.ready and slot.task is None and pending:
                    task = pending.popleft()
                    slot.send({**task, "options": options})
            busy = [s for s in slots if s.task is not None]
            now = time.monotonic()
            timeout = min((s.started + deadline - now for s in busy), default=None)
            ready = wait([s.conn for s in slots], timeout=None if timeout is None else max(0.0, timeout))
            for i, slot in enumerate(list(slots)):
                if slot.conn in ready:
                    try:
                        message = slot.receive()
                    except SlotDied as died:
                        task = _strip(slot.task)
                        slot.kill()
                        slots[i] = Slot(target)
                        if task is None:
                            stillborn += 1
                            if stillborn > MAX_STILLBORN:
                                raise RuntimeError(f"grader processes fail to start: {died}")
                            continue
                        attempts[task["id"]] = attempts.get(task["id"], 0) + 1
                        if attempts[task["id"]] <= retries:
                            pending.appendleft(task)
                        else:
                            on_done(task, _failure(task, CRASHED, str(died), time.monotonic() - slot.started))
                        continue
                    if "ready" in message:
                        continue
                    task, slot.task = _strip(slot.task), None
                    on_done(task, message)
                elif slot.task is not None and time.monotonic() - slot.started >= deadline:
                    task = _strip(slot.task)
                    slot.kill()
                    slots[i] = Slot(target)
                    on_done(task, _failure(task, TIMED_OUT, f"grading took longer than {deadline:g} s and "
                                           "was stopped", deadline))
    finally:
        for slot in slots:
            slot.close(timeout=2) if slot.task is None else slot.kill()


def _strip(task):
    if task is None:
        return None
    return {k: v for k, v in task.items() if k != "options"}


def _failure(task, status, message, elapsed):
    return {"id": task["id"], "path": task["path"], "status": status, "result": None,
            "message": message, "elapsed": elapsed}
