"""Grader side of the isolation layer: run student code in a separate worker process.

How the parts fit: ``autograder.submission`` lays a submission out on disk; a
:class:`Worker` starts ``python -I`` on ``autograder._worker_main`` with that layout on its
``sys.path``; checks then use :class:`Remote` proxies so they read like ordinary code::

    with Worker(layout.root, import_paths=layout.import_paths, timeout=2) as w:
        layers = w.import_module("submission.layers")
        layer = layers.Affine(W, b)      # a Remote: the object lives in the worker
        out = layer.forward(x)           # a fresh numpy array (a snapshot)
        dW = layer.dW

Only inert data crosses the process boundary (``autograder.wire``; never pickle), so
nothing student code does inside the worker can change the grader's state or verdicts.
A failing call raises a :class:`StudentCodeError` subclass with a student-facing
``describe()``: :class:`StudentException` (the code raised, incl. SystemExit,
KeyboardInterrupt, MemoryError, RecursionError), :class:`OutputLimitExceeded`,
:class:`WorkerTimeout`, :class:`WorkerCrashed` (segfault, ``os._exit``, killed) and
:class:`WorkerProtocolError` (garbage on the reply pipe). After a timeout, crash, protocol
error or output flood the worker process is killed, together with every process it left
behind (:func:`kill_strays`), and the next call transparently starts a fresh one;
:class:`Remote` objects from the dead process raise :class:`StaleRemoteError`.

Process-wide effect: the first Worker makes the grader a Linux "child subreaper" so the
leftovers of dead workers are reparented to it and can be reaped (see
:func:`_become_subreaper`).

Limits: this guards against buggy and moderately mischievous code, not against a
determined attacker. The worker runs as the grader's user, so it can still read any file
the grader can read (including the reference solutions on disk) or signal the grader's
processes. A descendant that scrubs the ``DLGRADE_WORKER_TOKEN`` variable from its
environment *and* leaves the worker's session escapes :func:`kill_strays`. Linux exempts
root from RLIMIT_NPROC, so when grading as root a fork bomb is only stopped by the
timeout (and then killed by :func:`kill_strays`).
"""
from __future__ import annotations

import contextlib
import functools
import fcntl
import json
import os
import secrets
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from pathlib import Path

from autograder import wire
from autograder._worker_main import EXIT_PIPE_BROKEN, FRAME, FRAME_MAGIC

__all__ = [
    "Worker", "Remote", "kill_strays",
    "StudentCodeError", "StudentException", "OutputLimitExceeded", "WorkerTimeout",
    "WorkerCrashed", "WorkerProtocolError", "StaleRemoteError",
    "WorkerStartupError", "WorkerUsageError",
    "DEFAULT_MEMORY_LIMIT", "DEFAULT_OUTPUT_LIMIT", "TOKEN_ENV",
]

TOKEN_ENV = "DLGRADE_WORKER_TOKEN"
DEFAULT_TIMEOUT = 5.0
DEFAULT_MEMORY_LIMIT = 2 * 2**30
DEFAULT_OUTPUT_LIMIT = 2**20
SHOWN_OUTPUT = 4096  # bytes of captured output kept per call (head + tail)
_PIPE_SIZE = 2**20   # the default pipe-max-size for unprivileged processes on Linux

# The directory that contains the ``autograder`` package; the worker imports its own code
# from there and then removes it from sys.path.
_PACKAGE_PARENT = str(Path(__file__).resolve().parent.parent)
_BOOT = ("import sys; sys.path.insert(0, sys.argv[1]); "
         "from autograder._worker_main import main; main(sys.argv[1], sys.argv[2])")

# Environment passed to workers: enough to run and to keep BLAS configured as on this
# machine (OPENBLAS_CORETYPE etc. pass through unchanged), but no credentials.
_ENV_KEEP = {"PATH", "LANG", "LANGUAGE", "TZ", "LD_LIBRARY_PATH", "SYSTEMROOT"}
_ENV_KEEP_PREFIXES = ("LC_", "OPENBLAS_", "GOTO", "MKL_", "OMP_", "NVPL_", "KMP_", "BLIS_")
_ONE_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}

_SIGNAL_HINTS = {
    "SIGSEGV": "segmentation fault: invalid memory access, e.g. through ctypes or a C extension",
    "SIGBUS": "bus error: invalid memory access",
    "SIGABRT": "aborted by a C library",
    "SIGFPE": "arithmetic error in C code",
    "SIGKILL": "killed; possibly by the system for using too much memory",
    "SIGXCPU": "CPU time limit exceeded",
}


# ----------------------------------------------------------------------------- errors


def _fmt_bytes(n):
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024


class StudentCodeError(Exception):
    """Student code failed; the current check fails, grading goes on.

    Attributes:
    - context: what the grader was doing, e.g. ``"calling method Affine.forward"``.
    - output: captured stdout/stderr of the failing call (head and tail, at most ~4 KiB).
    """

    def __init__(self, *, context="", output=""):
        self.context = context
        self.output = output
        super().__init__(self.describe())

    def _lead(self):
        return f"While {self.context}, the" if self.context else "The"

    def describe(self):
        """One student-facing paragraph explaining what went wrong."""
        return f"{self._lead()} submitted code failed."


class StudentException(StudentCodeError):
    """The student code raised an exception (any BaseException).

    Attributes: ``type_name``, ``module``, ``base`` (nearest built-in exception class, e.g.
    ``"MemoryError"`` for numpy's ``_ArrayMemoryError``), ``message``, ``traceback`` (student frames only,
    ``file.py:line in func`` plus the source line), ``not_implemented`` (True for
    NotImplementedError: the exercise is still a stub), ``exit_code`` (for SystemExit),
    ``hint`` (extra advice).
    """

    def __init__(self, type_name, message, traceback="", *, module="builtins", base=None,
                 not_implemented=False, exit_code=None, hint="", context="", output=""):
        self.type_name, self.message, self.traceback = type_name, message, traceback
        self.module, self.not_implemented = module, not_implemented
        self.base = base or type_name
        self.exit_code, self.hint = exit_code, hint
        super().__init__(context=context, output=output)

    def describe(self):
        lead = self._lead()
        if self.not_implemented:
            text = f"{lead} code is not implemented yet (NotImplementedError"
            text += f": {self.message})." if self.message else ")."
        elif self.type_name == "SystemExit":
            code = "" if self.exit_code is None else repr(self.exit_code)
            text = (f"{lead} code called sys.exit({code}) (SystemExit). "
                    "Submitted functions must return their results, not exit the program.")
        elif self.type_name == "KeyboardInterrupt":
            text = f"{lead} code raised KeyboardInterrupt."
        else:
            text = f"{lead} code raised {self.type_name}"
            text += f": {self.message}" if self.message else "."
        if self.hint:
            text += f" ({self.hint})"
        if self.traceback and not self.not_implemented:  # a stub's location is no news to the student
            text += "\n" + self.traceback
        return text


class OutputLimitExceeded(StudentCodeError):
    """The code printed more than the output cap; it was stopped there."""

    def __init__(self, limit, *, context="", output=""):
        self.limit = limit
        super().__init__(context=context, output=output)

    def describe(self):
        return (f"{self._lead()} code printed more than {_fmt_bytes(self.limit)} of output and was "
                "stopped (too much printing, e.g. a print inside a long loop?).")


class WorkerTimeout(StudentCodeError):
    """The call did not finish within its time limit; the worker was killed."""

    def __init__(self, seconds, *, context="", output=""):
        self.seconds = seconds
        super().__init__(context=context, output=output)

    def describe(self):
        return (f"{self._lead()} code timed out after {self.seconds:g} s "
                "(infinite loop? very slow code?) and was stopped.")


class WorkerCrashed(StudentCodeError):
    """The worker process died during the call.

    Attributes: ``returncode`` (as from ``subprocess``: negative = killed by that signal;
    None = the process broke its pipe to the grader and had to be killed),
    ``signal_name`` (e.g. ``"SIGSEGV"``) or None, ``exit_code`` (for a plain exit) or None.
    """

    def __init__(self, returncode, *, context="", output=""):
        self.returncode = returncode
        self.signal_name = None
        self.exit_code = None
        if returncode is not None and returncode < 0:
            try:
                self.signal_name = signal.Signals(-returncode).name
            except ValueError:
                self.signal_name = f"signal {-returncode}"
        elif returncode is not None:
            self.exit_code = returncode
        super().__init__(context=context, output=output)

    def how(self):
        if self.signal_name:
            hint = _SIGNAL_HINTS.get(self.signal_name)
            return f"killed by {self.signal_name}" + (f" ({hint})" if hint else "")
        if self.exit_code == EXIT_PIPE_BROKEN or self.returncode is None:
            return ("its connection to the grader broke (did the code close or redirect "
                    "file descriptors it does not own?)")
        if self.exit_code is not None:
            return f"the process exited with code {self.exit_code} (os._exit({self.exit_code})?)"

    def describe(self):
        return f"{self._lead()} process running the code crashed: {self.how()}."


class WorkerProtocolError(WorkerCrashed):
    """The worker sent bytes that are not a valid reply (e.g. student code wrote to the pipe)."""

    def __init__(self, detail, *, context="", output=""):
        self.detail = detail
        super().__init__(None, context=context, output=output)

    def describe(self):
        return (f"{self._lead()} process running the code sent a malformed reply ({self.detail}); "
                "the code may have written to the grader's private pipe. The process was stopped.")


class StaleRemoteError(StudentCodeError):
    """A Remote from a worker process that has since been killed and replaced."""

    def __init__(self, description, *, context="", output=""):
        self.description = description
        super().__init__(context=context, output=output)

    def describe(self):
        return (f"This object ({self.description}) belonged to a worker process that was restarted "
                "after an earlier failure (timeout or crash); the object no longer exists.")


class WorkerStartupError(RuntimeError):
    """The worker process could not start (a grader/installation problem, not the student's)."""


class WorkerUsageError(RuntimeError):
    """The grader asked for something the worker cannot do (unknown probe, fetch of a non-plain object...)."""


class _Died(Exception):
    pass


class _TimedOut(Exception):
    pass


class _Garbage(Exception):
    pass


# ----------------------------------------------------------------------------- strays


def _proc_stat(pid):
    """(state, ppid, pgrp, session) of a process from /proc, or None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read()
    except OSError:
        return None
    fields = data[data.rfind(b")") + 2:].split()  # the command name may contain spaces and ')'
    try:
        return fields[0].decode(), int(fields[1]), int(fields[2]), int(fields[3])
    except (IndexError, ValueError):
        return None


def _all_stats():
    """(pid, stat) of every process; see _proc_stat."""
    try:
        names = os.listdir("/proc")
    except OSError:
        return []
    stats = ((int(n), _proc_stat(int(n))) for n in names if n.isdigit())
    return [(pid, stat) for pid, stat in stats if stat is not None]


def _matches(pid, needle, sids):
    stat = _proc_stat(pid)
    if stat is None or stat[0] in ("Z", "X"):  # zombies are dead already
        return False
    if stat[3] in sids or stat[2] in sids:
        return True
    try:
        with open(f"/proc/{pid}/environ", "rb") as f:
            env = f.read()
    except OSError:  # another user's process, or gone
        return False
    return needle in b"\0" + env


_subreaper_lock = threading.Lock()
_subreaper_done = False


def _become_subreaper():
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


def kill_strays(token, session_ids=(), *, wait=2.0, keep=()):
    """SIGKILL every process left behind by one worker; returns the pids signalled.

    A process belongs to the worker when it is in one of ``session_ids`` (the worker's own
    session/process group: plain ``subprocess.Popen`` children) or when its environment
    holds ``DLGRADE_WORKER_TOKEN=<token>`` (inherited by every descendant, including ones
    that called ``setsid`` and double-forked away). Nothing else is ever signalled, so the
    grader's own children (pytest, other workers) are safe.

    Scans repeat until one finds no new process (a process may fork while dying; the
    worker's RLIMIT_NPROC bounds a fork bomb), and each round waits up to ``wait`` seconds
    for its processes to be really dead, so nothing of the worker runs once this returns.
    Signals go through a pidfd where supported, which is race-free against pid reuse.
    Killed processes that are our children (reparented to us, see :func:`_become_subreaper`)
    are reaped, except the pids in ``keep`` (a ``Popen`` that will wait for itself).
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
            if pid == me or pid in signalled or not _matches(pid, needle, sids):
                continue
            pidfds[pid] = _sigkill(pid, needle, sids)
            signalled.add(pid)
        if not pidfds:
            break
        deadline = time.monotonic() + wait
        for pid, pidfd in pidfds.items():
            if pidfd is not None:  # readable once the process has exited
                _readable(pidfd, deadline - time.monotonic())
                os.close(pidfd)
            else:
                while time.monotonic() < deadline and _matches(pid, needle, sids):
                    time.sleep(0.005)
        _reap(pid for pid in pidfds if pid not in keep)
    return signalled


def _readable(fd, seconds):
    """Wait up to ``seconds`` for fd to become readable (poll: no FD_SETSIZE limit)."""
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    return bool(poller.poll(max(0, int(seconds * 1000))))


def _reap(pids):
    """Collect the exit status of dead processes that are our (adopted) children."""
    for pid in pids:
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:  # not our child (yet): nothing to do
            pass


def _sigkill(pid, needle, sids):
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
        if _matches(pid, needle, sids):
            signal.pidfd_send_signal(pidfd, signal.SIGKILL)
    except OSError:
        pass
    return pidfd


# ----------------------------------------------------------------------------- process


@functools.lru_cache(maxsize=1)
def pid_namespace_prefix():
    """``unshare --pid --fork --kill-child`` where this machine allows it, else [].

    In its own PID namespace the worker is pid 1: when it dies, the kernel kills every
    process the student code started, including ones that left the session and scrubbed
    their environment (which :func:`kill_strays` cannot recognise). Needs root or
    unprivileged user namespaces; ``DLGRADE_PID_NAMESPACE=0`` turns it off.
    """
    if os.environ.get("DLGRADE_PID_NAMESPACE", "1") == "0":
        return []
    unshare = shutil.which("unshare")
    if unshare is None:
        return []
    prefix = [unshare, "--pid", "--fork", "--kill-child"]
    try:
        trial = subprocess.run([*prefix, "true"], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return []
    return prefix if trial.returncode == 0 else []


class _Process:
    """One worker process (one generation of a Worker)."""

    def __init__(self, *, gen, root, import_paths, memory_limit, output_limit, env,
                 capture_fd, max_message):
        self.gen = gen
        self.token = secrets.token_hex(16)
        self.seq = 0
        self.ready = False
        self.killed = False
        self.hello = None
        self.max_message = max_message
        config = {"root": str(root), "import_paths": [str(p) for p in import_paths],
                  "memory_limit": int(memory_limit), "output_limit": int(output_limit),
                  "parent_pid": os.getpid(), "max_message": int(max_message)}
        req_r, req_w = os.pipe()
        rep_r, rep_w = os.pipe()
        for fd in (req_w, rep_w):
            try:  # bigger pipes: a 100x784 float64 batch crosses in 1 write, not 10
                fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, _PIPE_SIZE)
            except (AttributeError, OSError):
                pass
        config.update(req_fd=req_r, rep_fd=rep_w)
        child_env = dict(env)
        child_env[TOKEN_ENV] = self.token
        try:
            self.popen = subprocess.Popen(
                [*pid_namespace_prefix(), sys.executable, "-I", "-c", _BOOT, _PACKAGE_PARENT,
                 json.dumps(config)],
                stdin=subprocess.DEVNULL, stdout=capture_fd, stderr=capture_fd,
                pass_fds=(req_r, rep_w), cwd=str(root), env=child_env,
                start_new_session=True)  # own session + process group: killable as a unit
        except BaseException:
            for fd in (req_w, rep_r):
                os.close(fd)
            raise
        finally:
            os.close(req_r)
            os.close(rep_w)
        self.pid = self.popen.pid
        self.req_w, self.rep_r = req_w, rep_r
        os.set_blocking(req_w, False)
        os.set_blocking(rep_r, False)
        try:
            self.pidfd = os.pidfd_open(self.pid)  # becomes readable when the process exits
        except (AttributeError, OSError):
            self.pidfd = None

    def exited(self):
        if self.pidfd is not None:
            return _readable(self.pidfd, 0)
        try:  # no pidfd: peek without reaping (reaping first would free the pid/pgid)
            return os.waitid(os.P_PID, self.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
        except ChildProcessError:
            return True

    def wait_exit(self, seconds):
        """Give a process whose pipe broke a moment to exit by itself (true exit status)."""
        if self.pidfd is not None:
            _readable(self.pidfd, seconds)
        else:
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline and not self.exited():
                time.sleep(0.01)
        return self.exited()

    def kill(self):
        """Kill the process group and all strays, then reap. Idempotent."""
        if self.killed:
            return self.popen.returncode
        self.killed = True
        try:
            os.killpg(self.pid, signal.SIGKILL)  # before reaping: the pgid cannot be reused yet
        except OSError:
            pass
        strays = set()
        try:
            strays = kill_strays(self.token, (self.pid,), keep=(self.pid,))
        finally:
            try:
                self.popen.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        # The worker's own dead children were reparented to us only when it died: reap now,
        # with the zombies of its session that died from the killpg before the scan.
        strays.discard(self.pid)
        _reap(strays)
        _reap(pid for pid, stat in _all_stats()
              if stat[0] == "Z" and stat[1] == os.getpid() and self.pid in (stat[2], stat[3]))
        for fd in (self.req_w, self.rep_r, self.pidfd):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
        return self.popen.returncode

    # -- framing (raise _Died, _TimedOut or _Garbage)

    def _wait(self, fd, event, deadline):
        poller = select.poll()
        poller.register(fd, event)
        if self.pidfd is not None:
            poller.register(self.pidfd, select.POLLIN)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise _TimedOut()
            events = dict(poller.poll(max(1, int(remaining * 1000 + 1))))
            if events.get(fd):
                return
            if self.pidfd is not None and events.get(self.pidfd):
                raise _Died()

    def send(self, seq, chunks, deadline):
        length = sum(memoryview(c).nbytes for c in chunks)
        chunks = [FRAME.pack(FRAME_MAGIC, seq, length), *chunks]
        if length < 1 << 18:
            chunks = [b"".join(chunks)]  # one write, one wake-up of the worker
        for chunk in chunks:
            view = memoryview(chunk).cast("B")
            while view:
                try:
                    view = view[os.write(self.req_w, view):]
                except BlockingIOError:
                    self._wait(self.req_w, select.POLLOUT, deadline)
                except OSError:  # EPIPE: the worker closed its end or died
                    raise _Died() from None

    def _read(self, n, deadline):
        buf = bytearray()
        while len(buf) < n:
            try:
                chunk = os.read(self.rep_r, min(n - len(buf), 4 << 20))
            except BlockingIOError:
                self._wait(self.rep_r, select.POLLIN, deadline)
                continue
            if not chunk:
                raise _Died()
            buf += chunk
        return bytes(buf)

    def recv(self, expect_seq, deadline):
        head = self._read(FRAME.size, deadline)
        magic, seq, length = FRAME.unpack(head)
        if magic != FRAME_MAGIC:
            raise _Garbage("bad frame header")
        if seq != expect_seq:
            raise _Garbage(f"reply to request {seq}, expected {expect_seq}")
        if length > self.max_message:
            raise _Garbage(f"reply of {length} bytes exceeds the {self.max_message}-byte limit")
        payload = self._read(length, deadline)
        if _readable(self.rep_r, 0):
            try:
                extra = os.read(self.rep_r, 1)
            except OSError:
                extra = b""
            if extra:
                raise _Garbage("unexpected extra bytes after the reply")
        return payload


# ----------------------------------------------------------------------------- proxies


class Remote:
    """Proxy for an object that lives in a worker process.

    Attribute access, item access and calls are forwarded: a result that is plain data
    (numbers, strings, arrays, lists/tuples/dicts of those) comes back as a *copy*; any
    other object comes back as another Remote. Helpers: ``map(calls)``, ``fetch()``,
    ``ref(name)``, ``item_ref(key)``, ``call_ref(*args, **kw)`` (the ``*_ref`` forms always
    return a Remote, e.g. to pass ``net.params`` by reference and see in-place updates).
    """

    __slots__ = ("_worker", "_gen", "_handle", "__weakref__")

    def __init__(self, worker, gen, handle):
        object.__setattr__(self, "_worker", worker)
        object.__setattr__(self, "_gen", gen)
        object.__setattr__(self, "_handle", handle)

    def __getattr__(self, name):
        if (name.startswith("__") and name.endswith("__")) or name in Remote.__slots__:
            raise AttributeError(name)  # keep Python protocols (copy, numpy, pickle) local
        return self._worker.getattr(self, name)

    def __setattr__(self, name, value):
        self._worker.setattr(self, name, value)

    def __getitem__(self, key):
        return self._worker.getitem(self, key)

    def __setitem__(self, key, value):
        self._worker.setitem(self, key, value)

    def __call__(self, /, *args, **kwargs):
        return self._worker.call(self, *args, **kwargs)

    def __iter__(self):
        raise TypeError("a Remote cannot be iterated; use fetch() to get a copy first")

    def __reduce__(self):
        raise TypeError("a Remote cannot be pickled")

    def __repr__(self):
        return f"<Remote {self._handle.repr} ({self._handle.type_name})>"

    def __del__(self):
        try:
            self._worker._forget(self)
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass

    def map(self, calls, *, kwargs=None, timeout=None):
        """Call this object once per argument tuple in ``calls``, in one round trip."""
        return self._worker.map(self, calls, kwargs=kwargs, timeout=timeout)

    def fetch(self):
        return self._worker.fetch(self)

    def ref(self, name):
        return self._worker.getattr(self, name, ref=True)

    def item_ref(self, key):
        return self._worker.getitem(self, key, ref=True)

    def call_ref(self, /, *args, **kwargs):
        return self._worker.call_with(self, args, kwargs, ref=True)


# ----------------------------------------------------------------------------- worker


def _finalize(state):
    proc = state.get("proc")
    if proc is not None:
        proc.kill()
    fd = state.pop("capture_fd", None)
    if fd is not None:
        os.close(fd)
    shutil.rmtree(state["tmp"], ignore_errors=True)


class Worker:
    """A worker process that runs student code; see the module docstring.

    Inputs:
    - root: working directory of the worker (a submission layout directory).
    - import_paths: directories put first on the worker's sys.path.
    - timeout: default seconds per operation (time the worker spends on it, incl. transfer).
    - memory_limit: address-space limit of the worker, bytes (RLIMIT_AS, cannot be raised).
    - output_limit: bytes the code may print per call before it is stopped (RLIMIT_FSIZE).
    - env: extra environment variables for the worker.
    - start_timeout: seconds allowed for start-up (python + numpy import).
    - auto_restart: after a crash/timeout, start a fresh process on the next operation.
    - max_message: largest message accepted in either direction, bytes.

    The process is started at once but not waited for, so several workers start in
    parallel; the first operation (or ``wait_ready()``) waits for its hello. Not
    thread-safe for concurrent calls (a lock serializes them). ``close()`` is idempotent;
    workers are also closed when garbage-collected and at interpreter exit.
    """

    def __init__(self, root, *, import_paths, timeout=DEFAULT_TIMEOUT,
                 memory_limit=DEFAULT_MEMORY_LIMIT, output_limit=DEFAULT_OUTPUT_LIMIT,
                 env=None, start_timeout=60.0, auto_restart=True,
                 max_message=wire.DEFAULT_MAX_SIZE):
        root = Path(root)
        if not root.is_dir():
            raise ValueError(f"worker root {str(root)!r} is not a directory")
        if isinstance(import_paths, (str, os.PathLike)):
            raise TypeError("import_paths must be a list of directories, not a single path")
        self._import_paths = [str(Path(p).resolve()) for p in import_paths]
        self.timeout = self._check_seconds(timeout, "timeout")
        self._start_timeout = self._check_seconds(start_timeout, "start_timeout")
        for name, value, low in (("memory_limit", memory_limit, 64 * 2**20),
                                 ("output_limit", output_limit, 1),
                                 ("max_message", max_message, 1024)):
            if type(value) is not int or value < low:
                raise ValueError(f"{name} must be an int >= {low}, got {value!r}")
        if env is not None and not all(isinstance(k, str) and isinstance(v, str) for k, v in env.items()):
            raise TypeError("env must map str to str")
        self._root = root.resolve()
        self.memory_limit, self.output_limit = memory_limit, output_limit
        self._max_message = max_message
        self.auto_restart = auto_restart
        self._env = self._child_env(env)
        self._lock = threading.RLock()
        self._gen = 0
        self._pending_release = []
        self.last_output = ""
        tmp = tempfile.mkdtemp(prefix="dlgrade-worker-")
        capture_fd = os.open(os.path.join(tmp, "output"),
                             os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o600)
        self._state = {"tmp": tmp, "capture_fd": capture_fd, "proc": None}
        self._finalizer = weakref.finalize(self, _finalize, self._state)
        self._spawn()

    # -- lifecycle

    @staticmethod
    def _check_seconds(value, name):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
            raise ValueError(f"{name} must be a positive number of seconds, got {value!r}")
        return float(value)

    def _child_env(self, extra):
        env = {k: v for k, v in os.environ.items() if k in _ENV_KEEP or k.startswith(_ENV_KEEP_PREFIXES)}
        env.update(_ONE_THREAD)
        env.update(HOME=str(self._root), TMPDIR=str(self._root),
                   MPLCONFIGDIR=str(self._root / ".matplotlib"), MPLBACKEND="Agg")
        env.update(extra or {})
        return env

    def _spawn(self):
        _become_subreaper()
        self._gen += 1
        self._pending_release = []
        os.ftruncate(self._state["capture_fd"], 0)
        self._state["proc"] = _Process(
            gen=self._gen, root=self._root, import_paths=self._import_paths,
            memory_limit=self.memory_limit, output_limit=self.output_limit, env=self._env,
            capture_fd=self._state["capture_fd"], max_message=self._max_message)

    @property
    def closed(self):
        return not self._finalizer.alive

    @property
    def pid(self):
        """Pid of the current worker process (None once closed)."""
        proc = self._state.get("proc")
        return None if proc is None or self.closed else proc.pid

    @property
    def generation(self):
        """Starts at 1; grows by one each time the process is replaced."""
        return self._gen

    @property
    def alive(self):
        proc = self._state.get("proc")
        return proc is not None and not proc.killed and not proc.exited()

    def close(self):
        """Kill the worker and everything it left running; remove its temp files. Idempotent."""
        with self._lock:
            self._finalizer()

    def restart(self):
        """Replace the worker process by a fresh one; older Remotes become stale."""
        with self._lock:
            self._require_open()
            self._state["proc"].kill()
            self._spawn()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @contextlib.contextmanager
    def time_limit(self, seconds):
        """Temporarily change the default timeout: ``with w.time_limit(60): ...``."""
        old, self.timeout = self.timeout, self._check_seconds(seconds, "seconds")
        try:
            yield self
        finally:
            self.timeout = old

    def _require_open(self):
        if self.closed:
            raise RuntimeError("this Worker is closed")

    def _current(self):
        self._require_open()
        proc = self._state["proc"]
        if proc.killed:
            if not self.auto_restart:
                raise RuntimeError("the worker process was stopped after a failure; call restart()")
            self._spawn()
            proc = self._state["proc"]
        return proc

    def wait_ready(self):
        """Block until the worker has started (numpy imported). Returns its hello info."""
        with self._lock:
            proc = self._current()
            self._ensure_ready(proc)
            return proc.hello

    def _ensure_ready(self, proc):
        if proc.ready:
            return
        deadline = time.monotonic() + self._start_timeout
        try:
            msg = wire.decode(proc.recv(0, deadline), max_size=self._max_message)
            if type(msg) is not dict or type(msg.get("hello")) is not dict:
                raise _Garbage("bad hello")
        except (_Died, _TimedOut, _Garbage, wire.WireError) as exc:
            output, _ = self._collect_output()
            code = proc.kill()
            what = "timed out" if isinstance(exc, _TimedOut) else f"failed (exit status {code})"
            raise WorkerStartupError(f"the worker process {what} while starting"
                                     + (f"; its output:\n{output}" if output else "")) from None
        proc.hello = msg["hello"]
        proc.ready = True

    # -- output

    def _collect_output(self):
        """Read what the last call printed (head + tail, bounded) and empty the file."""
        fd = self._state["capture_fd"]
        size = os.fstat(fd).st_size
        if size <= SHOWN_OUTPUT:
            data = os.pread(fd, size, 0)
        else:
            head = os.pread(fd, SHOWN_OUTPUT // 4, 0)
            tail_n = SHOWN_OUTPUT - len(head)
            tail = os.pread(fd, tail_n, size - tail_n)
            data = head + f"\n... [{size - len(head) - len(tail)} bytes not shown] ...\n".encode() + tail
        os.ftruncate(fd, 0)  # the worker writes with O_APPEND, so it continues at offset 0
        self.last_output = data.decode("utf-8", errors="replace")
        return self.last_output, size

    # -- requests

    def _forget(self, remote):
        if remote._gen == self._gen and not self.closed:
            self._pending_release.append(remote._handle.id)

    def _to_wire(self, value):
        """Replace Remotes by their handles (recursively) before sending."""
        return wire.map_leaves(value, self._handle_of)

    def _handle_of(self, value):
        if type(value) is not Remote:
            return value
        if value._worker is not self:
            raise ValueError(f"{value!r} belongs to a different Worker")
        if value._gen != self._gen:
            raise StaleRemoteError(value._handle.repr)
        return value._handle

    def _from_wire(self, value, gen):
        return wire.map_leaves(value, lambda v: Remote(self, gen, v) if type(v) is wire.Handle else v)

    def _request(self, msg, context, timeout=None):
        timeout = self.timeout if timeout is None else self._check_seconds(timeout, "timeout")
        with self._lock:
            proc = self._current()
            msg = self._to_wire(msg)  # may raise StaleRemoteError
            self._ensure_ready(proc)
            release, self._pending_release = self._pending_release, []
            if release:
                msg["release"] = release
            chunks = wire.encode_chunks(msg, max_size=self._max_message)
            proc.seq = proc.seq % (2**32 - 1) + 1
            deadline = time.monotonic() + timeout
            try:
                proc.send(proc.seq, chunks, deadline)
                payload = proc.recv(proc.seq, deadline)
                reply = wire.decode(payload, max_size=self._max_message)
                if type(reply) is not dict or type(reply.get("ok")) is not bool:
                    raise _Garbage("reply is not a reply message")
            except _TimedOut:
                output, _ = self._collect_output()
                proc.kill()
                raise WorkerTimeout(timeout, context=context, output=output) from None
            except _Died:
                exited = proc.wait_exit(min(1.0, max(0.0, deadline - time.monotonic())))
                output, _ = self._collect_output()
                code = proc.kill()
                # Still running although its pipe broke: the code closed the pipe itself.
                raise WorkerCrashed(None if not exited else code, context=context, output=output) from None
            except (_Garbage, wire.WireError) as exc:
                output, _ = self._collect_output()
                proc.kill()
                raise WorkerProtocolError(str(exc), context=context, output=output) from None
            output, size = self._collect_output()
            error = reply.get("error") if not reply["ok"] else None
            if size >= self.output_limit or (type(error) is dict and error.get("output_limit")):
                proc.kill()  # its stdout buffers are stuck past the cap: start afresh next time
                raise OutputLimitExceeded(self.output_limit, context=context, output=output)
            if reply["ok"]:
                return self._from_wire(reply.get("value"), proc.gen)
            raise self._error(error, context, output)

    def _error(self, info, context, output):
        if type(info) is not dict:
            return WorkerProtocolError("malformed error reply", context=context, output=output)

        def text(key):
            value = info.get(key)
            return value if type(value) is str else ""

        if info.get("grader"):
            return WorkerUsageError(f"while {context}: {text('message')}")
        type_name = text("type") or "Exception"
        base = text("base") or type_name
        hint = ""
        if base == "MemoryError":
            hint = f"ran out of memory; the limit is {_fmt_bytes(self.memory_limit)}"
        elif base == "RecursionError":
            hint = "infinite recursion?"
        if type(info.get("map_index")) is int:
            hint = "; ".join(filter(None, [hint, f"in call #{info['map_index']} of the batch"]))
        exit_code = info.get("exit_code")
        return StudentException(
            type_name, text("message"), text("traceback"), module=text("module"), base=base,
            not_implemented=info.get("not_implemented") is True,
            exit_code=exit_code if type(exit_code) in (int, str) else None,
            hint=hint, context=context, output=output)

    # -- operations

    def _desc(self, remote):
        if type(remote) is not Remote:
            raise TypeError(f"expected a Remote, got {type(remote).__name__}")
        return remote._handle.repr

    def ping(self, *, timeout=None):
        """Round trip without running student code (for health checks and benchmarks)."""
        return self._request({"op": "ping"}, "checking the worker", timeout)

    def import_module(self, name, *, timeout=None):
        """Import module ``name`` in the worker (runs its top-level code); returns a Remote."""
        if not isinstance(name, str):
            raise TypeError("module name must be a str")
        return self._request({"op": "import", "name": name}, f"importing {name}", timeout)

    def getattr(self, remote, name, *, ref=False, timeout=None):
        desc = self._desc(remote)
        return self._request({"op": "getattr", "target": remote, "name": name, "ref": ref},
                             f"getting attribute {name!r} of {desc}", timeout)

    def setattr(self, remote, name, value, *, timeout=None):
        desc = self._desc(remote)
        self._request({"op": "setattr", "target": remote, "name": name, "value": value},
                      f"setting attribute {name!r} of {desc}", timeout)

    def getitem(self, remote, key, *, ref=False, timeout=None):
        desc = self._desc(remote)
        return self._request({"op": "getitem", "target": remote, "key": key, "ref": ref},
                             f"getting item {key!r} of {desc}", timeout)

    def setitem(self, remote, key, value, *, timeout=None):
        desc = self._desc(remote)
        self._request({"op": "setitem", "target": remote, "key": key, "value": value},
                      f"setting item {key!r} of {desc}", timeout)

    def call(self, remote, /, *args, **kwargs):
        """``remote(*args, **kwargs)`` in the worker, with the default timeout."""
        return self.call_with(remote, args, kwargs)

    def call_with(self, remote, args=(), kwargs=None, *, ref=False, timeout=None):
        """Call ``remote``; ``ref=True`` returns the result as a Remote even if it is plain data."""
        desc = self._desc(remote)
        return self._request({"op": "call", "target": remote, "args": list(args),
                              "kwargs": dict(kwargs or {}), "ref": ref},
                             f"calling {desc}", timeout)

    def map(self, remote, calls, *, kwargs=None, timeout=None):
        """``[remote(*args, **kwargs) for args in calls]`` in one round trip (plain results)."""
        desc = self._desc(remote)
        calls = [list(args) if isinstance(args, (list, tuple)) else [args] for args in calls]
        return self._request({"op": "map", "target": remote, "calls": calls,
                              "kwargs": dict(kwargs or {})},
                             f"calling {desc} {len(calls)} times", timeout)

    def put(self, value, *, timeout=None):
        """Store ``value`` (plain data, may contain Remotes) in the worker; returns a Remote."""
        return self._request({"op": "put", "value": value}, "storing a value in the worker", timeout)

    def fetch(self, remote, *, timeout=None):
        """Current value of a remote plain-data object (e.g. a params dict after an update)."""
        desc = self._desc(remote)
        return self._request({"op": "fetch", "target": remote}, f"reading {desc}", timeout)

    def ids(self, remote, *, timeout=None):
        """``id()`` of each item (dict: {key: id}, list/tuple: [id]) or attribute (objects).

        The reported objects are kept alive with ``remote``, so equal ids before and after
        an operation really mean "the same objects": e.g. an optimizer that updated
        ``params['W1']`` in place rather than rebinding it.
        """
        desc = self._desc(remote)
        return self._request({"op": "ids", "target": remote}, f"inspecting {desc}", timeout)

    def same(self, a, b, *, timeout=None):
        """True when two Remotes are the very same object in the worker (``a is b``)."""
        self._desc(a), self._desc(b)
        return self._request({"op": "same", "a": a, "b": b}, "comparing objects", timeout)

    def probe(self, name, /, *, timeout=None, **kwargs):
        """Run grader code ``autograder.probes.<name>(**kwargs)`` inside the worker."""
        return self._request({"op": "probe", "name": name, "kwargs": kwargs},
                             f"running {name}", timeout)

    def release(self, *remotes):
        """Drop worker-side references now (otherwise done lazily when Remotes are collected)."""
        live = [r for r in remotes if type(r) is Remote and r._gen == self._gen]
        if live:
            self._request({"op": "release", "handles": live}, "releasing objects")
