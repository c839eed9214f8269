"""Grader side of the isolation layer: run student code in a separate worker process.

How the parts fit: ``autograder.submission`` lays a submission out on disk; a
:class:`Worker` starts ``python -I`` on ``autograder._worker_main`` with that layout on its
``sys.path``; checks then use :class:`~autograder.sandbox.remote.Remote` proxies so they
read like ordinary code::

    with Worker(layout.root, import_paths=layout.import_paths, timeout=2) as w:
        layers = w.import_module("submission.layers")
        layer = layers.Affine(W, b)      # a Remote: the object lives in the worker
        out = layer.forward(x)           # a fresh numpy array (a snapshot)
        dW = layer.dW

Only inert data crosses the process boundary (``autograder.wire``; never pickle), so
nothing student code does inside the worker can change the grader's state or verdicts.
A failing call raises a ``StudentCodeError`` subclass (see ``autograder.sandbox.errors``).
After a timeout, crash, protocol error or output flood the worker process is killed,
together with every process it left behind (``strays.kill_strays``), and the next call
transparently starts a fresh one; Remotes from the dead process raise ``StaleRemoteError``.

Process-wide effect: the first Worker makes the grader a Linux "child subreaper" so the
leftovers of dead workers are reparented to it and can be reaped.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import threading
import time
import weakref
from pathlib import Path

from autograder import wire, workermsg
from autograder.i18n import N_, _
from autograder.sandbox import tempdirs
from autograder.sandbox.errors import (
    OutputLimitExceeded, StaleRemoteError, StudentException, TimeBudgetExceeded, WorkerCrashed,
    WorkerProtocolError, WorkerStartupError, WorkerTimeout, WorkerUsageError, fmt_bytes,
)
from autograder.sandbox.isolation import OFF, worker_ids
from autograder.sandbox.process import ChannelDied, ChannelGarbage, ChannelTimeout, WorkerProcess
from autograder.sandbox.remote import Remote
from autograder.sandbox.strays import become_subreaper

DEFAULT_TIMEOUT = 5.0
DEFAULT_MEMORY_LIMIT = 2 * 2**30
DEFAULT_OUTPUT_LIMIT = 2**20
SHOWN_OUTPUT = 4096  # bytes of captured output kept per call (head + tail)

# Environment passed to workers: enough to run and to keep BLAS configured as on this
# machine (OPENBLAS_CORETYPE etc. pass through unchanged), but no credentials.
_ENV_KEEP = {"PATH", "LANG", "LANGUAGE", "TZ", "LD_LIBRARY_PATH", "SYSTEMROOT"}
_ENV_KEEP_PREFIXES = ("LC_", "OPENBLAS_", "GOTO", "MKL_", "OMP_", "NVPL_", "KMP_", "BLIS_")
_ONE_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def _garbage(exc):
    """What is wrong with a worker's reply (a ChannelGarbage or WireError), in the student's language."""
    if isinstance(exc, wire.WireError):
        return _(wire.MESSAGES[exc.code]).format(**exc.fields)
    return _(exc.template).format(**exc.fields)


def _wire_reason(code, fields):
    """A wire message sent as a code by the worker, in the student's language (None if not one)."""
    if type(code) is not str or code not in wire.MESSAGES or type(fields) is not dict \
            or not all(type(k) is str and type(v) is str for k, v in fields.items()):
        return None
    try:
        return _(wire.MESSAGES[code]).format(**fields)
    except (KeyError, IndexError, ValueError):
        return None


def _finalize(state):
    proc = state.get("proc")
    if proc is not None:
        proc.kill()
    fd = state.pop("capture_fd", None)
    if fd is not None:
        os.close(fd)
    shutil.rmtree(state["tmp"], ignore_errors=True)
    if state.get("shared_tmp_uid") is not None:  # level "uid": what it wrote into /tmp and the like
        tempdirs.remove_files_of({state["shared_tmp_uid"]})


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
    - isolation: an ``isolation.Isolation`` (None: level "off", a plain process of the
      grader's user; only for trusted code, e.g. the grader's own tests).
    - data_files: files the worker may read besides its layout (the MNIST gate's arrays).
    - cpu_seconds: CPU time limit of each worker process (RLIMIT_CPU), or None.

    The process is started at once but not waited for, so several workers start in
    parallel; the first operation (or ``wait_ready()``) waits for its hello. Not
    thread-safe for concurrent calls (a lock serializes them). ``close()`` is idempotent;
    workers are also closed when garbage-collected and at interpreter exit.
    """

    def __init__(self, root, *, import_paths, timeout=DEFAULT_TIMEOUT,
                 memory_limit=DEFAULT_MEMORY_LIMIT, output_limit=DEFAULT_OUTPUT_LIMIT,
                 env=None, start_timeout=60.0, auto_restart=True,
                 max_message=wire.DEFAULT_MAX_SIZE, isolation=None, data_files=(),
                 cpu_seconds=None):
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
        if cpu_seconds is not None and (type(cpu_seconds) is not int or cpu_seconds < 1):
            raise ValueError(f"cpu_seconds must be a positive int or None, got {cpu_seconds!r}")
        self._root = root.resolve()
        self.memory_limit, self.output_limit = memory_limit, output_limit
        self._max_message = max_message
        self.auto_restart = auto_restart
        self.isolation = isolation or OFF
        self._data_files = tuple(str(Path(p).resolve()) for p in data_files)
        self._cpu_seconds = cpu_seconds
        self._lock = threading.RLock()
        self._gen = 0
        self._pending_release = []
        self.last_output = ""
        # A time budget (time.monotonic() value, or None): no call runs past it, whatever its
        # own timeout. Set by the grader per exercise (see plugin.TimeKeeper).
        self.deadline = None
        tmp = tempdirs.mkdtemp("worker-")
        capture_fd = os.open(os.path.join(tmp, "output"),
                             os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o600)
        self._state = {"tmp": tmp, "capture_fd": capture_fd, "proc": None}
        self._finalizer = weakref.finalize(self, _finalize, self._state)
        # One uid per Worker (all its processes): it owns nothing and shares with no one.
        self._ids = worker_ids() if self.isolation.dedicated_uid else None
        self._home = self._prepare_uid_level(Path(tmp)) if self.isolation.level == "uid" else None
        if self._ids is not None:
            self._grant_layout()
        self._env = self._child_env(env)
        self._spawn()

    def _prepare_uid_level(self, tmp):
        """Level "uid": the worker's uid may pass to its layout and write only its own home."""
        uid, gid = self._ids
        self._state["shared_tmp_uid"] = uid
        home = tmp / "home"
        home.mkdir(mode=0o700)
        os.chown(home, uid, gid)
        for folder in (tmp, *[p for p in self._root.parents if tempdirs.run_dir() in (p, *p.parents)]):
            tempdirs.make_traversable(folder)
        return home

    def _grant_layout(self):
        """A worker with its own uid reads its layout through its own group; others cannot."""
        gid = self._ids[1]
        for dirpath, _, filenames in os.walk(self._root):
            os.chown(dirpath, 0, gid)
            os.chmod(dirpath, 0o750)
            for name in filenames:
                path = os.path.join(dirpath, name)
                if not os.path.islink(path):
                    os.chown(path, 0, gid)
                    os.chmod(path, 0o640)

    # -- lifecycle

    @staticmethod
    def _check_seconds(value, name):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
            raise ValueError(f"{name} must be a positive number of seconds, got {value!r}")
        return float(value)

    def _child_env(self, extra):
        env = {k: v for k, v in os.environ.items() if k in _ENV_KEEP or k.startswith(_ENV_KEEP_PREFIXES)}
        env.update(_ONE_THREAD)
        home = {"off": str(self._root), "bwrap": "/tmp"}.get(self.isolation.level, str(self._home))
        env.update(HOME=home, TMPDIR=home, MPLCONFIGDIR=os.path.join(home, ".matplotlib"), MPLBACKEND="Agg")
        env.update(extra or {})
        return env

    def _spawn(self):
        become_subreaper()
        self._gen += 1
        self._pending_release = []
        os.ftruncate(self._state["capture_fd"], 0)
        self._state["proc"] = WorkerProcess(
            gen=self._gen, root=self._root, import_paths=self._import_paths,
            memory_limit=self.memory_limit, output_limit=self.output_limit, env=self._env,
            capture_fd=self._state["capture_fd"], max_message=self._max_message,
            isolation=self.isolation, ids=self._ids, cwd=self._home, data_files=self._data_files,
            cpu_seconds=self._cpu_seconds)

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
                raise ChannelGarbage(N_("bad hello"))
        except (ChannelDied, ChannelTimeout, ChannelGarbage, wire.WireError) as exc:
            output, _ = self._collect_output()
            code = proc.kill()
            what = "timed out" if isinstance(exc, ChannelTimeout) else f"failed (exit status {code})"
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
            budget_bound = self.deadline is not None and self.deadline < deadline
            if budget_bound:
                if self.deadline <= time.monotonic():
                    raise TimeBudgetExceeded(context=context)
                deadline = self.deadline
            try:
                proc.send(proc.seq, chunks, deadline)
                payload = proc.recv(proc.seq, deadline)
                reply = wire.decode(payload, max_size=self._max_message)
                if type(reply) is not dict or type(reply.get("ok")) is not bool:
                    raise ChannelGarbage(N_("reply is not a reply message"))
            except ChannelTimeout:
                output, _ = self._collect_output()
                proc.kill()
                if budget_bound:
                    raise TimeBudgetExceeded(context=context, output=output) from None
                raise WorkerTimeout(timeout, context=context, output=output) from None
            except ChannelDied:
                exited = proc.wait_exit(min(1.0, max(0.0, deadline - time.monotonic())))
                output, _ = self._collect_output()
                code = proc.kill()
                # Still running although its pipe broke: the code closed the pipe itself.
                raise WorkerCrashed(None if not exited else code, context=context, output=output) from None
            except (ChannelGarbage, wire.WireError) as exc:
                output, _ = self._collect_output()
                proc.kill()
                raise WorkerProtocolError(_garbage(exc), context=context, output=output) from None
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
            hint = f"ran out of memory; the limit is {fmt_bytes(self.memory_limit)}"
        elif base == "RecursionError":
            hint = "infinite recursion?"
        if type(info.get("map_index")) is int:
            hint = "; ".join(filter(None, [hint, f"in call #{info['map_index']} of the batch"]))
        exit_code = info.get("exit_code")
        return StudentException(
            type_name, self._message(info), text("traceback"), module=text("module"), base=base,
            not_implemented=info.get("not_implemented") is True,
            exit_code=exit_code if type(exit_code) in (int, str) else None,
            hint=hint, context=context, output=output)

    @staticmethod
    def _message(info):
        """The error's message, with the kit's own words (sent as codes) in the student's language."""
        message = info.get("message") if type(info.get("message")) is str else ""
        tag = workermsg.checked(info.get("code"), info.get("fields"))
        if tag is not None:
            code, fields = tag
            reason = _wire_reason(info.get("reason_code"), info.get("reason_fields"))
            if code == "unsendable" and reason is not None:
                fields["reason"] = reason
            try:
                message = _(workermsg.MESSAGES[code]).format(**fields)
            except (KeyError, IndexError, ValueError):  # a translation that does not fit: the English
                message = workermsg.MESSAGES[code].format(**fields)
        names = info.get("suggestions")
        if type(names) is list and names and all(type(n) is str for n in names):
            names = ", ".join(f"`{n}`" for n in names[:3])
            message += " (" + _(workermsg.SUGGESTION).format(names=names) + ")"
        return message

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
