"""Entry point of a worker process: the only place where student code runs.

The grader starts it (see ``autograder.sandbox.process``) as::

    python -I -c "<bootstrap>" <dir containing the autograder package> <config JSON>

and talks to it over two dedicated pipes (never stdin/stdout). Every frame is::

    b"DLGF"  uint32 seq  uint64 length  <wire-encoded message>

(``autograder.sandbox.frame``, shared with the grader's end.)

Start-up, in order: resource limits (address space, output-file size, CPU time, no core
dumps, bounded process count), a watchdog that exits if the grader disappears, numpy
imported, the grader's ``autograder.probes`` imported (before any student code can tamper
with it), then the switch to the worker's own uid when it has one (levels ``bwrap`` and
``uid``: every capability goes with it) or else the capabilities dropped when running as
root, so the limits cannot be raised again; ``sys.path`` set to the submission layout, the
worker's own modules forgotten and an import blocker installed for the reference (``dlscratch_reference``),
``exercises`` and ``autograder``. Then a hello frame (seq 0) and the request loop.

Requests are dicts ``{"op": name, ...}`` (optionally ``"release": [ids]``); replies are
``{"ok": True, "value": v}`` or ``{"ok": False, "error": {...}}``. Objects that are not
plain data stay in the worker's table and travel as :class:`autograder.wire.Handle`.
Every exception, including ``SystemExit``, ``KeyboardInterrupt`` and ``MemoryError``,
becomes an error reply; the traceback only shows frames from files in the submission
layout.
"""
import os
import sys

from autograder.sandbox.frame import (
    EXIT_ORPHANED, EXIT_PIPE_BROKEN, HEADER_SIZE, FrameError, frame_chunks, parse_header,
)

BLOCKED_PACKAGES = ("dlscratch_reference", "solutions", "exercises", "autograder")


def main(boot_dir, config_text):
    import json

    cfg = json.loads(config_text)
    req_fd, rep_fd = cfg["req_fd"], cfg["rep_fd"]
    for fd in (req_fd, rep_fd):
        # pass_fds made them inheritable; student subprocesses must not hold them.
        os.set_inheritable(fd, False)
    uid, gid = cfg.get("uid"), cfg.get("gid")
    _set_limits(cfg["memory_limit"], cfg["output_limit"], cfg.get("nproc"), cfg.get("cpu_seconds"))
    _start_parent_watchdog(None if cfg.get("in_namespace") else cfg["parent_pid"], req_fd)
    sys.dont_write_bytecode = True  # never write __pycache__ into the submission copy
    sys.path.extend(p for p in cfg.get("site_dirs") or () if p not in sys.path)  # python -S

    import numpy  # before student paths exist, so nothing can shadow it

    from autograder import wire

    probes, probes_error = _load_probes()
    # Drop only the entry the bootstrap inserted: boot_dir may also be site-packages itself
    # (non-editable install), which must stay.
    if sys.path and sys.path[0] == boot_dir:
        del sys.path[0]
    if uid is not None:
        if cfg.get("reroute_paths"):
            _reroute_paths()
        caps_dropped = _become(uid, gid)
    else:
        caps_dropped = _drop_privileges()
    os.chdir(cfg.get("cwd") or cfg["root"])
    sys.path[:] = [p for p in sys.path if p not in ("", ".")]
    sys.path[:0] = cfg["import_paths"]
    # Forget our own modules (we keep references): student code cannot import them...
    for name in list(sys.modules):
        if name.partition(".")[0] in BLOCKED_PACKAGES:
            del sys.modules[name]
    # ...nor the reference solutions, which an editable install would otherwise expose.
    sys.meta_path.insert(0, _ImportBlocker())

    server = RequestServer(wire, numpy, req_fd, rep_fd, cfg["root"], cfg["max_message"],
                     probes, probes_error)
    server.send(0, {"hello": {"pid": os.getpid(), "numpy": numpy.__version__,
                              "caps_dropped": caps_dropped, "uid": os.getuid()}})
    server.serve()


# ----------------------------------------------------------------------------- setup


def _set_limits(memory_limit, output_limit, nproc=None, cpu_seconds=None):
    import resource
    import signal

    def lower(which, value):
        for current in resource.getrlimit(which):  # never raise an existing limit
            if current != resource.RLIM_INFINITY:
                value = min(value, current)
        resource.setrlimit(which, (value, value))  # soft == hard: cannot be raised again

    lower(resource.RLIMIT_AS, memory_limit)
    lower(resource.RLIMIT_FSIZE, output_limit)
    lower(resource.RLIMIT_CORE, 0)
    # Without this an over-long write kills the worker; ignored, write() fails with EFBIG.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    # A SIGINT landing in the worker's own code would break the protocol; `raise
    # KeyboardInterrupt` in student code is still reported like any other exception.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if cpu_seconds is not None:
        lower(resource.RLIMIT_CPU, cpu_seconds)
    if nproc is not None:  # the worker's own uid: only its own tasks count
        lower(resource.RLIMIT_NPROC, nproc)
        return
    # Fork bombs: RLIMIT_NPROC counts all tasks of this uid, so allow what exists now
    # (the system-wide task count, an upper bound) plus a margin. Linux never applies it to
    # uid 0: a grader running as root relies on the timeout and kill_strays instead.
    try:
        with open("/proc/loadavg") as f:
            total_tasks = int(f.read().split()[3].split("/")[1])
        lower(resource.RLIMIT_NPROC, total_tasks + 512)
    except (OSError, ValueError, IndexError):
        pass


def _drop_privileges():
    """Drop all capabilities when running as root (best effort; Linux only).

    Without CAP_SYS_RESOURCE the hard limits set above cannot be raised by student code.
    Returns True when the capabilities were dropped.
    """
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(38, 1, 0, 0, 0)  # PR_SET_NO_NEW_PRIVS: exec cannot regain privileges
        if os.geteuid() != 0:
            return False
        for cap in range(64):
            libc.prctl(24, cap, 0, 0, 0)  # PR_CAPBSET_DROP (EINVAL past the last cap)

        class Header(ctypes.Structure):
            _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

        class Data(ctypes.Structure):
            _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                        ("inheritable", ctypes.c_uint32)]

        data = (Data * 2)()  # all zero
        return libc.capset(ctypes.byref(Header(0x20080522, 0)), data) == 0
    except (OSError, AttributeError):
        return False


def _become(uid, gid):
    """Switch for good to the worker's own uid and gid (started as root): no capabilities left.

    The bounding set goes first (that needs CAP_SETPCAP), then the ids; changing every uid
    away from 0 clears the remaining capabilities, so nothing can switch back.
    Returns True (capabilities dropped); exits the process when the switch fails.
    """
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(38, 1, 0, 0, 0)  # PR_SET_NO_NEW_PRIVS: exec cannot regain privileges
    for cap in range(64):
        libc.prctl(24, cap, 0, 0, 0)  # PR_CAPBSET_DROP (EINVAL past the last cap)
    try:
        os.setgroups([])
        os.setresgid(gid, gid, gid)
        os.setresuid(uid, uid, uid)
    except OSError as exc:
        sys.stderr.write(f"dlgrade worker: cannot switch to uid {uid}: {exc}\n")
        os._exit(EXIT_PIPE_BROKEN)
    if os.getuid() != uid or os.geteuid() != uid or os.getgid() != gid:
        os._exit(EXIT_PIPE_BROKEN)
    return True


def _reroute_paths():
    """Keep the runtime importable after the switch of uid, where it lives in a private folder.

    Without namespaces (level "uid") the interpreter may live where only root can pass, e.g.
    under /root (mode 0700). A directory opened now stays reachable through /proc/self/fd,
    which does not check the folders above it: sys.path and the packages already imported
    are pointed there. Only what lies below those folders becomes reachable, nothing above.
    """
    import os.path

    moved = {}
    for entry in list(sys.path):
        if not entry or not os.path.isdir(entry) or entry in moved:
            continue
        try:
            fd = os.open(entry, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
        except OSError:
            continue
        moved[entry] = f"/proc/self/fd/{fd}"
    sys.path[:] = [moved.get(p, p) for p in sys.path]
    prefixes = sorted(moved, key=len, reverse=True)

    def new(path):
        for old in prefixes:
            if path == old or path.startswith(old + os.sep):
                return moved[old] + path[len(old):]
        return path

    for module in list(sys.modules.values()):
        paths = getattr(module, "__path__", None)
        if type(paths) is list:
            paths[:] = [new(p) if type(p) is str else p for p in paths]
    sys.path_importer_cache.clear()


def _start_parent_watchdog(parent_pid, req_fd):
    """Die if the grader dies, even while student code is stuck in a loop.

    The grader holds the only write end of the request pipe, so the pipe hangs up
    (POLLHUP) exactly when the grader is gone. Outside a PID namespace a changed parent
    pid says the same. The whole process group goes (the worker leads it); inside a PID
    namespace (the worker is its pid 1) the kernel also kills everything the student code
    started, whatever session or environment it gave itself.
    """
    import select
    import threading
    import time

    # In a PID namespace (`unshare --pid --fork`, where the worker is pid 1, or bubblewrap,
    # parent_pid None) the parent is outside: only the pipe can tell.
    in_namespace = parent_pid is None or os.getpid() == 1
    if not in_namespace and os.getppid() != parent_pid:
        _die(EXIT_ORPHANED)
    poller = select.poll()
    poller.register(req_fd, select.POLLHUP)

    # Bound now: immune to monkeypatching by student code.
    def watch(sleep=time.sleep, getppid=os.getppid, die=_die, poll=poller.poll, hup=select.POLLHUP):
        while True:
            if any(event & hup for _, event in poll(500)):
                die(EXIT_ORPHANED)
            if not in_namespace and getppid() != parent_pid:
                die(EXIT_ORPHANED)
            sleep(0.05)

    threading.Thread(target=watch, name="dlgrade-watchdog", daemon=True).start()


def _die(code):
    """Exit now, taking the worker's process group (its plain child processes) along."""
    import signal

    try:
        os.killpg(os.getpid(), signal.SIGKILL)  # the worker leads its group: this ends it too
    except OSError:
        pass
    os._exit(code)


def _load_probes():
    """Import ``autograder.probes`` (grader code) before any student code runs."""
    import importlib
    import importlib.util
    import traceback

    try:
        if importlib.util.find_spec("autograder.probes") is None:
            return None, "autograder.probes does not exist"
        return importlib.import_module("autograder.probes"), None
    except Exception:
        return None, "importing autograder.probes failed:\n" + traceback.format_exc(limit=5)


class _ImportBlocker:
    """Meta-path finder that refuses the grader's own packages."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname.partition(".")[0] in BLOCKED_PACKAGES:
            raise ImportError(f"{fullname} is not available to submissions", name=fullname)
        return None

    def invalidate_caches(self):
        pass


# ----------------------------------------------------------------------------- server


class _GraderError(Exception):
    """The grader sent a request that cannot be served (not the student's fault)."""


class RequestServer:
    """Serves the grader's requests on student objects: the worker's request handler.

    Also used in-process by ``autograder.notebook`` (nbgrader test cells), with no pipes.
    """

    def __init__(self, wire, np, req_fd, rep_fd, root, max_message, probes, probes_error):
        import ctypes
        import errno
        import importlib
        import traceback

        self.wire, self.np = wire, np
        self.ctypes, self.errno, self.importlib, self.traceback = ctypes, errno, importlib, traceback
        self.req_fd, self.rep_fd = req_fd, rep_fd
        self.root = os.path.realpath(root) + os.sep
        self.max_message = max_message
        self.probes, self.probes_error = probes, probes_error
        self.objects = {}  # handle id -> object
        self.pins = {}     # handle id -> objects whose id() was reported (kept alive: no reuse)
        self.next_id = 1
        self.map_index = None
        self.reserve = bytearray(1 << 20)  # freed on MemoryError so the reply can be built
        try:
            self.libc = ctypes.CDLL(None)
        except OSError:
            self.libc = None
        self.ops = {
            "ping": lambda m: None,
            "import": self.op_import, "getattr": self.op_getattr, "setattr": self.op_setattr,
            "getitem": self.op_getitem, "setitem": self.op_setitem, "call": self.op_call,
            "map": self.op_map, "put": self.op_put, "fetch": self.op_fetch,
            "ids": self.op_ids, "same": self.op_same, "probe": self.op_probe,
            "release": self.op_release,
        }

    # -- framing

    def _read_exact(self, n):
        chunks, got = [], 0
        while got < n:
            try:
                chunk = os.read(self.req_fd, min(n - got, 1 << 20))
            except OSError:  # e.g. student code closed the descriptor
                os._exit(EXIT_PIPE_BROKEN)  # the grader kills the rest
            if not chunk:
                return None
            chunks.append(chunk)
            got += len(chunk)
        return b"".join(chunks)

    def read_request(self):
        head = self._read_exact(HEADER_SIZE)
        if head is None:
            return None
        try:
            seq, length = parse_header(head)
        except FrameError:
            os._exit(EXIT_PIPE_BROKEN)  # the grader never sends this: the pipe is corrupt
        if length > self.max_message:
            os._exit(EXIT_PIPE_BROKEN)
        payload = self._read_exact(length)
        if payload is None:
            return None
        return seq, payload

    def send(self, seq, reply):
        try:
            chunks = self.wire.encode_chunks(reply, max_size=self.max_message)
        except self.wire.WireError as exc:
            chunks = self.wire.encode_chunks({"ok": False, "error": {
                "type": "WireError", "module": "autograder.wire", "unsendable": True,
                "message": f"the result cannot be sent to the grader: {exc}"[:2000],
                "traceback": ""}})
        for chunk in frame_chunks(seq, chunks):
            self._write_all(chunk)

    def _write_all(self, data):
        view = memoryview(data).cast("B")
        try:
            while view:
                view = view[os.write(self.rep_fd, view):]
        except BrokenPipeError:  # nobody reads: the grader died or is closing this worker
            _die(EXIT_ORPHANED)
        except OSError:  # e.g. student code closed the descriptor; the grader kills the rest
            os._exit(EXIT_PIPE_BROKEN)

    def serve(self):
        while True:
            frame = self.read_request()
            if frame is None:
                # The grader closed the pipe or died (its exit closes the pipe before we are
                # reparented, so the watchdog may not have noticed yet): leave nothing behind.
                _die(0)
            seq, payload = frame
            self.send(seq, self.handle(payload))
            del payload

    def handle(self, payload):
        try:
            try:
                msg = self.wire.decode(payload, max_size=self.max_message)
                if type(msg) is not dict or type(msg.get("op")) is not str:
                    raise _GraderError("malformed request")
            except self.wire.WireError as exc:
                raise _GraderError(f"malformed request: {exc}") from None
            for hid in msg.get("release", ()):
                self.objects.pop(hid, None)
                self.pins.pop(hid, None)
            op = self.ops.get(msg["op"])
            if op is None:
                raise _GraderError(f"unknown operation {msg['op']!r}")
            self.map_index = None
            return {"ok": True, "value": op(msg)}
        except BaseException as exc:  # noqa: BLE001 - SystemExit, KeyboardInterrupt, ... too
            return {"ok": False, "error": self.error_info(exc)}
        finally:
            self.flush_output()

    def flush_output(self):
        for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
            try:
                stream.flush()
            except BaseException:  # noqa: BLE001 - e.g. EFBIG past the output cap
                pass
        if self.libc is not None:
            try:
                self.libc.fflush(None)  # C-level printf buffers
            except BaseException:  # noqa: BLE001
                pass

    # -- errors

    def error_info(self, exc):
        if isinstance(exc, MemoryError):
            self.reserve = None  # give the formatting below some room
        info = {"type": "BaseException", "module": "builtins", "message": "", "traceback": ""}
        try:
            etype = type(exc)
            info["type"] = _text(getattr(etype, "__qualname__", "?"), 200)
            info["module"] = _text(getattr(etype, "__module__", "?"), 200)
            # The nearest built-in class, e.g. MemoryError for numpy's _ArrayMemoryError.
            info["base"] = next((c.__name__ for c in etype.__mro__ if c.__module__ == "builtins"),
                                "BaseException")
            info["message"] = _text(_safe_str(exc) + _suggestion(exc), 2000)
            info["not_implemented"] = isinstance(exc, NotImplementedError)
            info["grader"] = etype is _GraderError
            info["output_limit"] = isinstance(exc, OSError) and exc.errno == self.errno.EFBIG
            if isinstance(exc, SystemExit):
                code = exc.code
                info["exit_code"] = code if code is None or type(code) is int else _text(_safe_str(code), 200)
            if self.map_index is not None:
                info["map_index"] = self.map_index
            info["traceback"] = self.student_traceback(exc)
        except BaseException:  # noqa: BLE001 - never let reporting fail the worker
            pass
        finally:
            tb = exc.__traceback__
            if tb is not None:
                try:
                    self.traceback.clear_frames(tb)  # free the locals (a huge list, say)
                except BaseException:  # noqa: BLE001
                    pass
            exc.__traceback__ = None
            if self.reserve is None:
                try:
                    self.reserve = bytearray(1 << 20)
                except MemoryError:
                    pass
        return info

    def is_student_file(self, filename):
        if not os.path.isabs(filename):  # "<frozen importlib._bootstrap>" and the like
            return False
        try:
            return os.path.realpath(filename).startswith(self.root)
        except (TypeError, ValueError, OSError):
            return False

    def student_traceback(self, exc):
        lines = []
        frames = [f for f in self.traceback.extract_tb(exc.__traceback__)
                  if self.is_student_file(f.filename) and not _is_shim_line(f.line)]
        if len(frames) > 12:  # e.g. RecursionError: show where it starts and where it ends
            omitted = len(frames) - 10
            frames = frames[:3] + [None] + frames[-7:]
        for f in frames:
            if f is None:
                lines.append(f"  ... {omitted} more frames ...")
                continue
            lines.append(f"  {os.path.basename(f.filename)}:{f.lineno} in {f.name}")
            if f.line:
                lines.append("    " + f.line.strip()[:200])
        if isinstance(exc, SyntaxError) and exc.filename and self.is_student_file(exc.filename):
            lines.append(f"  {os.path.basename(exc.filename)}:{exc.lineno}")
            if exc.text:
                lines.append("    " + exc.text.strip()[:200])
        return "\n".join(lines)

    # -- object table

    def new_handle(self, obj):
        hid = self.next_id
        self.next_id += 1
        self.objects[hid] = obj
        t = type(obj)
        type_name = f"{_text(getattr(t, '__module__', '?'), 100)}.{_text(getattr(t, '__qualname__', '?'), 100)}"
        return self.wire.Handle(hid, type_name, self.describe(obj))

    def describe(self, obj):
        """A short description of ``obj`` that runs no student code (no ``__repr__``)."""
        import types

        t = type(obj)
        try:
            if t is types.ModuleType:
                return f"module {_text(obj.__name__, 100)}"
            if isinstance(obj, type):
                return f"class {_text(obj.__qualname__, 100)}"
            if t in (types.FunctionType, types.BuiltinFunctionType):
                return f"function {_text(obj.__qualname__, 100)}"
            if t is types.MethodType:
                return f"method {_text(type(obj.__self__).__qualname__, 100)}.{_text(obj.__func__.__name__, 100)}"
        except Exception:  # noqa: BLE001
            pass
        return f"{_text(getattr(t, '__qualname__', '?'), 100)} object"

    def obj(self, handle):
        if type(handle) is not self.wire.Handle:
            raise _GraderError("expected a handle")
        try:
            return self.objects[handle.id]
        except KeyError:
            raise _GraderError(f"object #{handle.id} does not exist (released?)") from None

    def resolve(self, value):
        """Replace handles inside a decoded request value by the objects they name."""
        handle = self.wire.Handle
        return self.wire.map_leaves(value, lambda v: self.obj(v) if type(v) is handle else v)

    def out(self, value, ref=False):
        """Turn a result into plain data; objects that are not plain data become handles."""
        return self.new_handle(value) if ref else self.plain(value, 0)

    def plain(self, x, depth):
        """Plain-data copy of x, with handles for objects that are not plain data.

        Subclasses of the plain types are reduced to the base type through the base class's
        own C code (``float.__float__(x)``, ``ndarray.view``): student overrides such as an
        ``__eq__`` that always says True never reach the grader, only the underlying value.
        ``type(x)`` (not ``isinstance``) is used because ``__class__`` can be faked.
        """
        np, t = self.np, type(x)
        if x is None or t is bool or t is int or t is float or t is str:
            return x
        if issubclass(t, np.ndarray):
            if x.dtype.str in self.wire._DTYPES:
                # Encoded right after the op returns, so the grader gets a snapshot.
                return x if t is np.ndarray else np.ndarray.view(x, np.ndarray)
        elif issubclass(t, np.generic):
            if x.dtype.str in self.wire._DTYPES:
                return x if t.__module__ == "numpy" else np.asarray(x)[()]
        elif issubclass(t, float):
            return float.__float__(x)
        elif issubclass(t, int):
            return int.__int__(x)  # IntEnum, student int subclasses
        elif issubclass(t, str):
            return str.__str__(x)
        elif depth < self.wire.MAX_DEPTH - 1:
            if issubclass(t, (list, tuple)):
                items = [self.plain(v, depth + 1) for v in x]
                return items if issubclass(t, list) else tuple(items)
            if issubclass(t, dict) and all(type(k) is str for k in x):  # OrderedDict too
                return {k: self.plain(v, depth + 1) for k, v in dict.items(x)}
        return self.new_handle(x)

    # -- operations

    def op_import(self, m):
        name = m.get("name")
        if type(name) is not str or not all(p.isidentifier() for p in name.split(".")):
            raise _GraderError(f"bad module name {name!r}")
        return self.new_handle(self.importlib.import_module(name))

    def op_getattr(self, m):
        return self.out(getattr(self.obj(m["target"]), m["name"]), m.get("ref", False))

    def op_setattr(self, m):
        setattr(self.obj(m["target"]), m["name"], self.resolve(m["value"]))

    def op_getitem(self, m):
        return self.out(self.obj(m["target"])[self.resolve(m["key"])], m.get("ref", False))

    def op_setitem(self, m):
        self.obj(m["target"])[self.resolve(m["key"])] = self.resolve(m["value"])

    def op_call(self, m):
        fn = self.obj(m["target"])
        result = fn(*self.resolve(m.get("args", [])), **self.resolve(m.get("kwargs", {})))
        return self.out(result, m.get("ref", False))

    def op_map(self, m):
        fn = self.obj(m["target"])
        kwargs = self.resolve(m.get("kwargs", {}))
        results = []
        for i, args in enumerate(self.resolve(m["calls"])):
            self.map_index = i
            results.append(self.out(fn(*args, **kwargs)))
        self.map_index = None
        return results

    def op_put(self, m):
        return self.new_handle(self.resolve(m["value"]))

    def op_fetch(self, m):
        obj = self.obj(m["target"])
        value = self.plain(obj, 0)
        if type(value) is self.wire.Handle:
            self.objects.pop(value.id, None)
            raise _GraderError(f"cannot fetch a {type(obj).__qualname__} object: it is not plain data")
        return value

    def op_ids(self, m):
        hid = m["target"].id
        obj = self.obj(m["target"])
        if isinstance(obj, dict):
            items = {str(k): v for k, v in obj.items()}
        elif isinstance(obj, (list, tuple)):
            items = dict(enumerate(obj))
        else:
            items = dict(vars(obj))
        self.pins.setdefault(hid, []).extend(items.values())  # ids stay unique while pinned
        ids = {k: id(v) for k, v in items.items()}
        return list(ids.values()) if isinstance(obj, (list, tuple)) else ids

    def op_same(self, m):
        return self.obj(m["a"]) is self.obj(m["b"])

    def op_probe(self, m):
        if self.probes is None:
            raise _GraderError(f"probes are unavailable: {self.probes_error}")
        name = m.get("name")
        fn = getattr(self.probes, name, None) if type(name) is str and not name.startswith("_") else None
        if fn is None or not callable(fn) or getattr(fn, "__module__", None) != self.probes.__name__:
            raise _GraderError(f"no probe named {name!r}")
        return self.out(fn(**self.resolve(m.get("kwargs", {}))))

    def op_release(self, m):
        for handle in m.get("handles", []):
            self.objects.pop(handle.id, None)
            self.pins.pop(handle.id, None)


def _is_shim_line(line):
    """The one line of an import-style alias the grader writes (autograder.submission._SHIM):
    not the student's code, so never shown in their traceback."""
    return bool(line) and line.endswith("# grader alias")


def _comma_for_dot(name, frame, lineno):
    """['np.sqrt'] when the line reads `np,sqrt(...)`: a comma typed for the dot makes a tuple whose
    second item is the undefined name `sqrt` (seen in a learner's AdaGrad)."""
    import linecache
    import re

    line = linecache.getline(frame.f_code.co_filename, lineno)
    for owner in re.findall(r"\b([A-Za-z_]\w*)\s*,\s*" + re.escape(name) + r"\b", line):
        module = frame.f_locals.get(owner, frame.f_globals.get(owner))
        if module is not None and hasattr(module, name):
            return [f"{owner}.{name}"]
    return []


def _suggestion(exc):
    """' (did you mean `x`, `y`?)' for an AttributeError or NameError with similar names.

    The names come from the object (AttributeError) or from the globals and builtins of the
    frame that raised (NameError); nothing of the grader's is listed.
    """
    import difflib

    try:
        name = getattr(exc, "name", None)
        if type(name) is not str or not isinstance(exc, (AttributeError, NameError)):
            return ""
        if isinstance(exc, AttributeError):
            obj = getattr(exc, "obj", None)
            if obj is None:
                return ""
            candidates = [n for n in dir(obj) if type(n) is str and not n.startswith("__")]
        else:
            tb = exc.__traceback__
            if tb is None:
                return ""
            while tb.tb_next is not None:
                tb = tb.tb_next
            frame = tb.tb_frame
            candidates = [n for n in (*frame.f_locals, *frame.f_globals) if type(n) is str and not n.startswith("__")]
        close = difflib.get_close_matches(name, candidates, n=3, cutoff=0.6)
        close += [n for n in candidates if n.lower() == name.lower() and n not in close and n != name]
        if isinstance(exc, NameError):
            close = _comma_for_dot(name, frame, tb.tb_lineno) + close
        if not close:
            return ""
        return " (did you mean " + " or ".join(f"`{n}`" for n in close[:3]) + "?)"
    except Exception:  # noqa: BLE001 - a student __dir__ may raise anything
        return ""


def _safe_str(obj):
    try:
        return str(obj)
    except BaseException:  # noqa: BLE001 - a student __str__ may raise anything
        return "<message could not be converted to text>"


def _text(value, limit):
    return value[:limit] if type(value) is str else "?"
