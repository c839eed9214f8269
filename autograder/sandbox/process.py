"""One worker process and the grader's end of its two pipes.

:class:`WorkerProcess` starts ``python -I`` on ``autograder._worker_main`` at the given
isolation level (see ``isolation``: in a bubblewrap sandbox, as a uid of its own, or as a
plain process in its own session and, where the machine allows it, its own PID
namespace), then sends request
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

from autograder.i18n import N_
from autograder.sandbox import boot
from autograder.sandbox.frame import HEADER_SIZE, FrameError, frame_chunks, parse_header
from autograder.sandbox.isolation import BOOT_DIR, LAYOUT_DIR, OFF, SITE_DIR, bwrap_argv
from autograder.sandbox.strays import TOKEN_ENV, all_stats, kill_strays, proc_stat, readable, reap

_PIPE_SIZE = 2**20   # the default pipe-max-size for unprivileged processes on Linux
NPROC = 64           # processes (threads included) a worker's own uid may have

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
    """The worker sent bytes that are not the expected frame.

    ``ChannelGarbage(template, **fields)``: ``template`` is marked with ``N_`` and kept, with the
    fields as text, so that the student's message can say it in their language.
    """

    def __init__(self, template: str, **fields):
        self.template = template
        self.fields = {k: str(v) for k, v in fields.items()}
        super().__init__(template.format(**self.fields))


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


def _kill_and_reap(pid):
    """SIGKILL an adopted child (if it still is one) and collect it."""
    try:
        if os.waitpid(pid, os.WNOHANG) != (0, 0):
            return  # it was dead already: collected now
        os.kill(pid, signal.SIGKILL)  # still our child (not reaped), so the pid is still its own
        os.waitpid(pid, 0)
    except (ChildProcessError, ProcessLookupError):
        pass


class WorkerProcess:
    """One worker process (one generation of a Worker)."""

    def __init__(self, *, gen, root, import_paths, memory_limit, output_limit, env,
                 capture_fd, max_message, isolation=None, ids=None, cwd=None, data_files=(),
                 cpu_seconds=None):
        isolation = isolation or OFF
        self.gen = gen
        self.token = secrets.token_hex(16)
        self.seq = 0
        self.ready = False
        self.killed = False
        self.hello = None
        self.max_message = max_message
        self.sandboxed = isolation.level == "bwrap"
        self.uid = ids[0] if ids is not None else None
        config = {"root": str(root), "import_paths": [str(p) for p in import_paths],
                  "memory_limit": int(memory_limit), "output_limit": int(output_limit),
                  "parent_pid": os.getpid(), "max_message": int(max_message),
                  "cpu_seconds": cpu_seconds}
        if ids is not None:
            config.update(uid=ids[0], gid=ids[1], nproc=NPROC)
        if isolation.level == "off":
            command = [*pid_namespace_prefix(), sys.executable, "-I", "-c", _BOOT, _PACKAGE_PARENT]
            popen_cwd = str(root)
        elif isolation.level == "uid":
            config.update(site_dirs=boot.site_dirs(), reroute_paths=True, cwd=str(cwd))
            command = [*pid_namespace_prefix(), boot.interpreter(), "-I", "-S", "-c", _BOOT,
                       str(boot.worker_code_dir())]
            popen_cwd = "/"
        else:
            inside = Path(LAYOUT_DIR)
            config.update(root=LAYOUT_DIR, in_namespace=True, cwd="/tmp",
                          site_dirs=[f"{SITE_DIR}/{n}" for n in range(len(boot.site_dirs()))],
                          import_paths=[str(inside / Path(p).relative_to(root)) for p in import_paths])
            command = [*bwrap_argv(isolation.bwrap, layout=str(root), data_files=data_files),
                       boot.interpreter(), "-I", "-S", "-c", _BOOT, BOOT_DIR]
            popen_cwd = "/"
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
                [*command, json.dumps(config)],
                stdin=subprocess.DEVNULL, stdout=capture_fd, stderr=capture_fd,
                pass_fds=(req_r, rep_w), cwd=popen_cwd, env=child_env,
                start_new_session=True)  # own session + process group: killable as a unit
        except BaseException:
            for fd in (req_w, rep_r):
                os.close(fd)
            raise
        finally:
            os.close(req_r)
            os.close(rep_w)
        self.pid = self.popen.pid
        # Its descendants start no earlier: kill() leaves older processes unread (see kill_strays).
        stat = proc_stat(self.pid)  # our unreaped child: the pid is still its own
        self.born = stat[4] if stat is not None else 0
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

    @property
    def returncode(self):
        """As from subprocess (negative: killed by that signal), also through bubblewrap.

        bwrap exits with 128 + n when the worker was killed by signal n.
        """
        code = self.popen.returncode
        if self.sandboxed and code is not None and 128 < code < 128 + 65:
            return -(code - 128)
        return code

    def kill(self):
        """Kill the process group and all strays, then reap. Idempotent."""
        if self.killed:
            return self.returncode
        self.killed = True
        # bwrap's own child (the sandbox's pid 1) has a session of its own: once bwrap is
        # gone it is reparented to us, so it is collected by pid below.
        children = [pid for pid, stat in all_stats() if stat[1] == self.pid]
        try:
            os.killpg(self.pid, signal.SIGKILL)  # before reaping: the pgid cannot be reused yet
        except OSError:
            pass
        strays = set()
        try:
            strays = kill_strays(self.token, (self.pid,), keep=(self.pid,), uid=self.uid, born_after=self.born)
        finally:
            try:
                self.popen.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        # The worker's own dead children were reparented to us only when it died: reap now,
        # with the zombies of its session that died from the killpg before the scan.
        strays.discard(self.pid)
        reap(strays)
        for pid in children:
            _kill_and_reap(pid)
        reap(pid for pid, stat in all_stats()
              if stat[0] == "Z" and stat[1] == os.getpid() and self.pid in (stat[2], stat[3]))
        for fd in (self.req_w, self.rep_r, self.pidfd):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
        return self.returncode

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
        # Straight into one buffer of the announced size (a gate reply is ~16 MB): no
        # growing, joining or final copy. n is bounded by max_message before we get here.
        buf = bytearray(n)
        view = memoryview(buf)
        got = 0
        while got < n:
            try:
                count = os.readv(self.rep_r, [view[got:]])
            except BlockingIOError:
                self._wait(self.rep_r, select.POLLIN, deadline)
                continue
            if not count:
                raise ChannelDied()
            got += count
        view.release()
        return buf

    def recv(self, expect_seq, deadline):
        try:
            seq, length = parse_header(self._read(HEADER_SIZE, deadline))
        except FrameError:
            raise ChannelGarbage(N_("bad frame header")) from None
        if seq != expect_seq:
            raise ChannelGarbage(N_("reply to request {seq}, expected {expected}"), seq=seq, expected=expect_seq)
        if length > self.max_message:
            raise ChannelGarbage(N_("reply of {size} bytes exceeds the {limit}-byte limit"), size=length,
                                 limit=self.max_message)
        payload = self._read(length, deadline)
        if readable(self.rep_r, 0):
            try:
                extra = os.read(self.rep_r, 1)
            except OSError:
                extra = b""
            if extra:
                raise ChannelGarbage(N_("unexpected extra bytes after the reply"))
        return payload
