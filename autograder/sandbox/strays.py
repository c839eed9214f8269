"""Finding and killing what a worker left running, and reaping the dead.

Every worker process carries a random token in its environment (``DLGRADE_WORKER_TOKEN``),
inherited by all its descendants; :func:`kill_strays` finds them by that token or by the
worker's session, and the grader becomes a child subreaper (:func:`become_subreaper`) so
the killed leftovers are reparented to it and reaped, even where pid 1 does not reap.
"""
from __future__ import annotations

import os
import select
import signal
import threading
import time

TOKEN_ENV = "DLGRADE_WORKER_TOKEN"


def proc_stat(pid):
    """(state, ppid, pgrp, session, starttime) of a process from /proc, or None if it is gone.

    starttime: when the process started, in clock ticks since boot (a child never starts
    before its parent).
    """
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read()
    except OSError:
        return None
    fields = data[data.rfind(b")") + 2:].split()  # the command name may contain spaces and ')'
    try:
        return fields[0].decode(), int(fields[1]), int(fields[2]), int(fields[3]), int(fields[19])
    except (IndexError, ValueError):
        return None


def all_stats():
    """(pid, stat) of every process; see proc_stat."""
    try:
        names = os.listdir("/proc")
    except OSError:
        return []
    stats = ((int(n), proc_stat(int(n))) for n in names if n.isdigit())
    return [(pid, stat) for pid, stat in stats if stat is not None]


def proc_uid(pid: int) -> int | None:
    """Real uid of a process from /proc (None if it is gone)."""
    try:
        with open(f"/proc/{pid}/status", "rb") as f:
            for line in f:
                if line.startswith(b"Uid:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return None


def live_uids() -> set:
    """The real uids of all running processes."""
    try:
        pids = [int(n) for n in os.listdir("/proc") if n.isdigit()]
    except OSError:
        return set()
    return {uid for uid in map(proc_uid, pids) if uid is not None}


def _matches(pid, needle, sids, uid=None, born_after=0):
    stat = proc_stat(pid)
    if stat is None or stat[0] in ("Z", "X"):  # zombies are dead already
        return False
    if stat[4] < born_after:  # older than the worker: not one of its descendants
        return False
    if stat[3] in sids or stat[2] in sids:
        return True
    if uid is not None and proc_uid(pid) == uid:
        return True
    try:
        with open(f"/proc/{pid}/environ", "rb") as f:
            env = f.read()
    except OSError:  # another user's process, or gone
        return False
    return needle in b"\0" + env


_subreaper_lock = threading.Lock()
_subreaper_done = False


def become_subreaper():
    """Make this process the reaper of its orphaned descendants (Linux; best effort).

    A worker's leftovers outlive it and are reparented; where pid 1 does not reap (as in
    many containers) the killed ones would stay zombies forever. As a child subreaper the
    grader inherits them and :func:`kill_strays` reaps the ones it kills. Process-wide and
    harmless: nothing here ever waits for a child it did not kill itself.
    """
    global _subreaper_done
    with _subreaper_lock:
        if _subreaper_done:
            return
        _subreaper_done = True
        try:
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
        except (OSError, AttributeError):
            pass


def kill_strays(token, session_ids=(), *, wait=2.0, keep=(), uid=None, born_after=0):
    """SIGKILL every process left behind by one worker; returns the pids signalled.

    A process belongs to the worker when it is in one of ``session_ids`` (the worker's own
    session/process group: plain ``subprocess.Popen`` children) or when its environment
    holds ``DLGRADE_WORKER_TOKEN=<token>`` (inherited by every descendant, including ones
    that called ``setsid`` and double-forked away), or when it runs as ``uid`` (a worker's
    own uid: no other process has it). Nothing else is ever signalled, so the grader's own
    children (pytest, other workers) are safe.

    Scans repeat until one finds no new process (a process may fork while dying; the
    worker's RLIMIT_NPROC bounds a fork bomb), and each round waits up to ``wait`` seconds
    for its processes to be really dead, so nothing of the worker runs once this returns.
    Signals go through a pidfd where supported, which is race-free against pid reuse.
    Killed processes that are our children (reparented to us, see :func:`become_subreaper`)
    are reaped, except the pids in ``keep`` (a ``Popen`` that will wait for itself).
    ``born_after``: the worker's own start time (``proc_stat``'s starttime, clock ticks): a
    process that started before it cannot descend from it, so its status and environment are
    not read (on a busy machine that is most processes: a scan then costs a third).
    Limitation: a descendant that both leaves the session and scrubs its environment
    (e.g. ``env={}`` + ``start_new_session=True``) is not found.
    """
    needle = b"\0" + f"{TOKEN_ENV}={token}".encode() + b"\0"
    sids = set(session_ids)
    me = os.getpid()
    signalled = set()
    for _round in range(50):
        pidfds = {}
        try:
            pids = [int(name) for name in os.listdir("/proc") if name.isdigit()]
        except OSError:
            return signalled
        for pid in pids:
            if pid == me or pid in signalled or not _matches(pid, needle, sids, uid, born_after):
                continue
            pidfds[pid] = _sigkill(pid, needle, sids, uid, born_after)
            signalled.add(pid)
        if not pidfds:
            break
        deadline = time.monotonic() + wait
        for pid, pidfd in pidfds.items():
            if pidfd is not None:  # readable once the process has exited
                readable(pidfd, deadline - time.monotonic())
                os.close(pidfd)
            else:
                while time.monotonic() < deadline and _matches(pid, needle, sids, uid, born_after):
                    time.sleep(0.005)
        reap(pid for pid in pidfds if pid not in keep)
    return signalled


def readable(fd, seconds):
    """Wait up to ``seconds`` for fd to become readable (poll: no FD_SETSIZE limit)."""
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    return bool(poller.poll(max(0, int(seconds * 1000))))


def reap(pids):
    """Collect the exit status of dead processes that are our (adopted) children."""
    for pid in pids:
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:  # not our child (yet): nothing to do
            pass


def _sigkill(pid, needle, sids, uid, born_after):
    """SIGKILL pid if it still matches; returns an open pidfd to wait on, or None."""
    try:
        pidfd = os.pidfd_open(pid)
    except (AttributeError, OSError):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
        return None
    try:
        # Re-check now that the pidfd pins the process: pid may have been reused since the scan.
        if _matches(pid, needle, sids, uid, born_after):
            signal.pidfd_send_signal(pidfd, signal.SIGKILL)
    except OSError:
        pass
    return pidfd
