"""One worker process and the grader's end of its two pipes.

:class:`WorkerProcess` starts ``python -I`` on ``autograder._worker_main`` (in its own
session, and in its own PID namespace where the machine allows it), then sends request
frames and reads reply frames with a deadline. Failures of the channel are the three
exceptions below; :class:`autograder.sandbox.worker.Worker` turns them into the
student-facing errors.
"""
from __future__ import annotations

import fcntl
import functools
import json
import os
import secrets
import select
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from autograder.sandbox.frame import HEADER_SIZE, FrameError, frame_chunks, parse_header
from autograder.sandbox.strays import TOKEN_ENV, all_stats, kill_strays, readable, reap

_PIPE_SIZE = 2**20   # the default pipe-max-size for unprivileged processes on Linux

# The directory that contains the ``autograder`` package; the worker imports its own code
# from there and then removes it from sys.path.
_PACKAGE_PARENT = str(Path(__file__).resolve().parent.parent.parent)
_BOOT = ("import sys; sys.path.insert(0, sys.argv[1]); "
         "from autograder._worker_main import main; main(sys.argv[1], sys.argv[2])")


class ChannelDied(Exception):
    """The worker process exited or closed its end of a pipe."""


class ChannelTimeout(Exception):
    """The deadline passed before the frame was fully sent or received."""


class ChannelGarbage(Exception):
    """The worker sent bytes that are not the expected frame."""


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


class WorkerProcess:
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
            return readable(self.pidfd, 0)
        try:  # no pidfd: peek without reaping (reaping first would free the pid/pgid)
            return os.waitid(os.P_PID, self.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
        except ChildProcessError:
            return True

    def wait_exit(self, seconds):
        """Give a process whose pipe broke a moment to exit by itself (true exit status)."""
        if self.pidfd is not None:
            readable(self.pidfd, seconds)
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
        reap(strays)
        reap(pid for pid, stat in all_stats()
              if stat[0] == "Z" and stat[1] == os.getpid() and self.pid in (stat[2], stat[3]))
        for fd in (self.req_w, self.rep_r, self.pidfd):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
        return self.popen.returncode

    # -- framing (raise ChannelDied, ChannelTimeout or ChannelGarbage)

    def _wait(self, fd, event, deadline):
        poller = select.poll()
        poller.register(fd, event)
        if self.pidfd is not None:
            poller.register(self.pidfd, select.POLLIN)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ChannelTimeout()
            events = dict(poller.poll(max(1, int(remaining * 1000 + 1))))
            if events.get(fd):
                return
            if self.pidfd is not None and events.get(self.pidfd):
                raise ChannelDied()

    def send(self, seq, chunks, deadline):
        for chunk in frame_chunks(seq, chunks):
            view = memoryview(chunk).cast("B")
            while view:
                try:
                    view = view[os.write(self.req_w, view):]
                except BlockingIOError:
                    self._wait(self.req_w, select.POLLOUT, deadline)
                except OSError:  # EPIPE: the worker closed its end or died
                    raise ChannelDied() from None

    def _read(self, n, deadline):
        buf = bytearray()
        while len(buf) < n:
            try:
                chunk = os.read(self.rep_r, min(n - len(buf), 4 << 20))
            except BlockingIOError:
                self._wait(self.rep_r, select.POLLIN, deadline)
                continue
            if not chunk:
                raise ChannelDied()
            buf += chunk
        return bytes(buf)

    def recv(self, expect_seq, deadline):
        try:
            seq, length = parse_header(self._read(HEADER_SIZE, deadline))
        except FrameError as exc:
            raise ChannelGarbage(str(exc)) from None
        if seq != expect_seq:
            raise ChannelGarbage(f"reply to request {seq}, expected {expect_seq}")
        if length > self.max_message:
            raise ChannelGarbage(f"reply of {length} bytes exceeds the {self.max_message}-byte limit")
        payload = self._read(length, deadline)
        if readable(self.rep_r, 0):
            try:
                extra = os.read(self.rep_r, 1)
            except OSError:
                extra = b""
            if extra:
                raise ChannelGarbage("unexpected extra bytes after the reply")
        return payload
