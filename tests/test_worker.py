"""Tests of the isolation layer (autograder.wire, autograder.sandbox, autograder._worker_main).

Everything runs real worker processes on tiny student modules written to a temp dir: no
mocks. Timeouts are short (1 s) to keep the file fast.
"""
import os
import pickle
import random
import signal
import time

import numpy as np
import pytest

from autograder import wire
from autograder.sandbox import isolation
from autograder.sandbox.errors import (
    OutputLimitExceeded, StaleRemoteError, StudentCodeError, StudentException,
    WorkerCrashed, WorkerProtocolError, WorkerStartupError, WorkerTimeout, WorkerUsageError,
)
from autograder.sandbox.process import pid_namespace_prefix
from autograder.sandbox.remote import Remote
from autograder.sandbox.strays import proc_stat
from autograder.sandbox.worker import Worker

TIMEOUT = 1.0
MEMORY = 512 * 2**20
OUTPUT = 256 * 2**10

STUDENT = '''
import os, subprocess, sys, time
import numpy as np


def add(a, b):
    return a + b


def echo(*args, **kwargs):
    return args, kwargs


def chatty(n):
    for i in range(n):
        print("line", i)
    os.write(2, b"c-level write\\n")
    return n


class Affine:
    def __init__(self, W, b):
        self.W, self.b, self.dW = W, b, None

    def forward(self, x):
        self.x = x
        return x @ self.W + self.b

    def backward(self, dout):
        self.dW = self.x.T @ dout
        self.db = dout.sum(axis=0)
        return dout @ self.W.T


class SGD:
    def __init__(self, lr=0.1):
        self.lr = lr

    def update(self, params, grads):
        for key in params:
            params[key] -= self.lr * grads[key]


class RebindingSGD(SGD):
    def update(self, params, grads):
        for key in params:
            params[key] = params[key] - self.lr * grads[key]


def mutate(x):
    x *= 2


def spin():
    while True:
        pass


def nap():
    time.sleep(10**6)


def do_exit(code):
    sys.exit(code)


def hard_exit(code):
    os._exit(code)


def segfault():
    import ctypes
    ctypes.string_at(0)


def big_array():
    return np.ones((2**31,)).sum()


def growing_list():
    chunks = []
    while True:
        chunks.append([0] * 2**20)


def recurse(n=0):
    return recurse(n + 1)


def interrupt():
    raise KeyboardInterrupt


def todo():
    raise NotImplementedError("softmax is a stub")


def import_solutions():
    import solutions


def import_reference():
    import dlscratch_reference


def import_autograder():
    import autograder.sandbox.worker


def patch_numpy():
    np.allclose = lambda *a, **k: True
    return np.allclose(1, 2)


def raise_memory_limit():
    import resource
    resource.setrlimit(resource.RLIMIT_AS, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))


def flood_print():
    while True:
        print("x" * 1000)


def flood_write():
    block = b"y" * 65536
    while True:
        os.write(1, block)


def _spawn_sleep(new_session=False, double_fork=False):
    """Start `sleep 1000`; return its pid as the grader sees it.

    Inside a PID namespace os.getpid() is namespace-local, but /proc is the grader's, so
    /proc/self names the process by its grader-side pid.
    """
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        if new_session:
            os.setsid()
        if double_fork and os.fork() != 0:  # reparented away from the worker
            os._exit(0)
        os.write(w, os.readlink("/proc/self").encode())
        os.execvp("sleep", ["sleep", "1000"])
    os.close(w)
    host_pid = int(os.read(r, 100))
    os.close(r)
    if double_fork:
        os.waitpid(pid, 0)
    return host_pid


def spawn_children():
    return [_spawn_sleep(), _spawn_sleep(new_session=True), _spawn_sleep(new_session=True, double_fork=True)]


def garbage_reply():
    import fcntl
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        try:
            is_pipe = os.readlink(f"/proc/self/fd/{fd}").startswith("pipe:")
            writable = fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE == os.O_WRONLY
        except OSError:
            continue
        if is_pipe and writable:
            os.write(fd, b"garbage! " * 10)
    return 1


class LyingFloat(float):
    def __eq__(self, other):
        return True

    __hash__ = float.__hash__

    def __float__(self):
        return 0.0


class LyingArray(np.ndarray):
    def __eq__(self, other):
        return np.ones(np.shape(other), bool)


def lies():
    return LyingFloat(2.5), np.arange(3.0).view(LyingArray), [LyingFloat(1.0)]


def huge_int():
    return 10 ** 5000


def unsendable():
    return {1: object()}


def layers_dict():
    from collections import OrderedDict
    return OrderedDict(first=Affine(np.eye(2), np.zeros(2)), count=2)
'''


@pytest.fixture(scope="module")
def student_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("student")
    pkg = root / "pkg"
    pkg.mkdir()
    (pkg / "stud.py").write_text(STUDENT)
    (pkg / "loops_at_import.py").write_text("while True:\n    pass\n")
    (pkg / "fails_at_import.py").write_text("x = 1\nraise ValueError('bad module')\n")
    (pkg / "bad_syntax.py").write_text("def f(:\n    pass\n")
    return root


@pytest.fixture(scope="module", params=["off", "bwrap"])
def worker(student_dir, request):
    """A worker at level off (a plain process) and in the bubblewrap sandbox: both behave the same."""
    level = isolation.OFF if request.param == "off" else isolation.resolve(request.param)
    with Worker(student_dir, import_paths=[student_dir / "pkg"], timeout=TIMEOUT,
                memory_limit=MEMORY, output_limit=OUTPUT, isolation=level) as w:
        yield w


@pytest.fixture
def stud(worker):
    return worker.import_module("stud")


def alive(pid):
    stat = proc_stat(pid)
    return stat is not None and stat[0] not in ("Z", "X")


# ----------------------------------------------------------------------------- round trips


def test_call_round_trip_preserves_dtype_and_shape(stud):
    values = [np.arange(6, dtype=np.int8).reshape(2, 3), np.ones((2, 0, 3), np.float32),
              np.array(2.5), np.array([True, False]), np.array([1 + 2j], np.complex64),
              np.arange(4, dtype=">u2"), np.float32(1.5), np.int64(-3), np.bool_(True)]
    args, kwargs = stud.echo(*values, scale=0.5)
    assert kwargs == {"scale": 0.5}
    assert len(args) == len(values)
    for sent, got in zip(values, args):
        assert type(got) is type(sent)
        assert got.dtype == sent.dtype and np.shape(got) == np.shape(sent)
        assert np.array_equal(got, sent)
    assert stud.add(2, 3) == 5
    out = stud.add(np.ones((100, 784)), 1.0)
    assert out.shape == (100, 784) and out.dtype == np.float64 and np.all(out == 2.0)


def test_remote_object_lifecycle(stud, worker):
    rng = np.random.default_rng(0)
    W, b, x = rng.normal(size=(3, 2)), rng.normal(size=2), rng.normal(size=(4, 3))
    cls = stud.Affine
    assert isinstance(cls, Remote) and "Affine" in repr(cls)
    layer = cls(W, b)
    forward = layer.forward
    out = forward(x)
    np.testing.assert_allclose(out, x @ W + b)
    dout = rng.normal(size=(4, 2))
    dx = layer.backward(dout)
    np.testing.assert_allclose(dx, dout @ W.T)
    np.testing.assert_allclose(layer.dW, x.T @ dout)
    layer.W = np.zeros((3, 2))  # setattr
    np.testing.assert_allclose(layer.forward(x), np.broadcast_to(b, (4, 2)))
    # Results are snapshots: changing the copy does not change the worker's array.
    snapshot = layer.W
    snapshot += 1
    assert np.all(layer.W == 0)


def test_containers_with_objects_come_back_as_remotes(stud):
    result = stud.layers_dict()
    assert set(result) == {"first", "count"} and result["count"] == 2
    assert isinstance(result["first"], Remote)
    np.testing.assert_allclose(result["first"].forward(np.ones((1, 2))), [[1.0, 1.0]])


def test_subclasses_of_plain_types_arrive_as_their_true_values(stud):
    value, array, items = stud.lies()
    assert type(value) is float and value == 2.5 and value != 3.0
    assert type(array) is np.ndarray and list(array) == [0.0, 1.0, 2.0]
    assert type(items[0]) is float and items[0] == 1.0


def test_put_fetch_sees_in_place_mutation(stud, worker):
    x = np.arange(4.0)
    remote = worker.put(x)
    x[:] = -1  # the worker got its own copy
    assert stud.mutate(remote) is None
    np.testing.assert_allclose(worker.fetch(remote), [0, 2, 4, 6])


def test_ids_tell_in_place_updates_from_rebinding(stud, worker):
    params = {"W1": np.ones((2, 2)), "b1": np.zeros(2)}
    grads = {"W1": np.ones((2, 2)), "b1": np.ones(2)}
    remote = worker.put(params)
    before = worker.ids(remote)
    assert set(before) == {"W1", "b1"}
    stud.SGD(lr=0.5).update(remote, grads)
    assert worker.ids(remote) == before
    np.testing.assert_allclose(worker.fetch(remote)["W1"], 0.5)
    stud.RebindingSGD(lr=0.5).update(remote, grads)
    after = worker.ids(remote)
    assert after["W1"] != before["W1"] and after["b1"] != before["b1"]
    np.testing.assert_allclose(worker.fetch(remote)["W1"], 0.0)


def test_refs_and_identity(stud, worker):
    layer = stud.Affine(np.eye(2), np.zeros(2))
    w_ref = layer.ref("W")
    assert isinstance(w_ref, Remote)
    assert worker.same(w_ref, layer.ref("W"))
    assert not worker.same(w_ref, layer.ref("b"))
    params = worker.put({"W": w_ref})  # a dict holding the layer's own array
    assert worker.same(params.item_ref("W"), w_ref)


def test_map_evaluates_many_calls_in_one_round_trip(stud):
    assert stud.add.map([(1, 2), (3, 4), ("a", "b")]) == [3, 7, "ab"]
    xs = [np.full((2, 2), i, dtype=np.float32) for i in range(5)]
    outs = stud.add.map([(x, x) for x in xs])
    assert [o.dtype for o in outs] == [np.float32] * 5
    assert [float(o[0, 0]) for o in outs] == [0, 2, 4, 6, 8]


def test_map_error_names_the_failing_call(stud):
    with pytest.raises(StudentException) as info:
        stud.add.map([(1, 2), (1, "x")])
    assert info.value.type_name == "TypeError"
    assert "(in call number 1 of them)" in info.value.describe()


def test_probe_runs_grader_code_in_the_worker(stud, worker):
    fn = worker.probe("function", key="function_2")  # autograder/probes.py
    assert isinstance(fn, Remote)
    assert fn(np.array([3.0, 4.0])) == pytest.approx(25.0)
    with pytest.raises(WorkerUsageError):
        worker.probe("no_such_probe")
    with pytest.raises(WorkerUsageError):
        worker.probe("_private")


def test_unsendable_results_are_reported(stud, worker):
    handle_dict = stud.unsendable()  # non-str keys: the whole dict stays in the worker
    assert isinstance(handle_dict, Remote)
    with pytest.raises(WorkerUsageError):
        worker.fetch(handle_dict)
    with pytest.raises(StudentException) as info:
        stud.huge_int()  # plain data, but too long to encode
    assert "cannot be sent" in info.value.describe()
    assert stud.add(1, 2) == 3  # the worker is still fine


def test_captured_output(stud, worker):
    assert stud.chatty(3) == 3
    assert "line 0\nline 1\nline 2\n" in worker.last_output
    assert "c-level write" in worker.last_output
    stud.add(1, 1)
    assert worker.last_output == ""
    stud.chatty(5000)  # ~50 KB: under the cap, but only head and tail are kept
    assert len(worker.last_output) < 4300
    assert worker.last_output.startswith("line 0\n") and "bytes not shown" in worker.last_output
    assert "line 4999" in worker.last_output


# ----------------------------------------------------------------------------- failures


def expect_replaced(worker, old_pid, old_generation):
    """The next call works, in a fresh process."""
    assert worker.ping() is None
    assert worker.pid != old_pid and worker.generation == old_generation + 1


def test_infinite_loop_times_out_and_worker_is_replaced(stud, worker):
    pid, gen = worker.pid, worker.generation
    start = time.monotonic()
    with pytest.raises(WorkerTimeout) as info:
        stud.spin()
    assert time.monotonic() - start < TIMEOUT + 3  # the timeout, not some fallback, fired
    assert info.value.seconds == TIMEOUT
    assert "timed out after 1 s" in info.value.describe() and "function spin" in info.value.describe()
    assert not alive(pid)
    with pytest.raises(StaleRemoteError):
        stud.add(1, 2)
    expect_replaced(worker, pid, gen)


def test_sleeping_forever_times_out(stud, worker):
    with pytest.raises(WorkerTimeout):
        stud.nap()
    assert worker.import_module("stud").add(1, 2) == 3


def test_infinite_loop_at_import_times_out(worker):
    with pytest.raises(WorkerTimeout) as info:
        worker.import_module("loops_at_import")
    assert "importing loops_at_import" in info.value.describe()


def test_exception_at_import_and_syntax_error(worker):
    with pytest.raises(StudentException) as info:
        worker.import_module("fails_at_import")
    assert info.value.type_name == "ValueError" and "bad module" in info.value.message
    assert "fails_at_import.py:2" in info.value.traceback
    with pytest.raises(StudentException) as info:
        worker.import_module("bad_syntax")
    assert info.value.type_name == "SyntaxError" and "bad_syntax.py:1" in info.value.traceback


@pytest.mark.parametrize("code", [0, 3])
def test_sys_exit_is_an_exception_not_an_exit(stud, worker, code):
    pid = worker.pid
    with pytest.raises(StudentException) as info:
        stud.do_exit(code)
    assert info.value.type_name == "SystemExit" and info.value.exit_code == code
    assert f"sys.exit({code}) (SystemExit)" in info.value.describe()
    assert worker.pid == pid and stud.add(1, 2) == 3  # same worker, still serving


def test_os_exit_crashes_with_its_code(stud, worker):
    pid, gen = worker.pid, worker.generation
    with pytest.raises(WorkerCrashed) as info:
        stud.hard_exit(7)
    assert info.value.exit_code == 7 and info.value.signal_name is None
    assert "exited with code 7" in info.value.describe()
    expect_replaced(worker, pid, gen)


def test_segfault_is_reported_as_sigsegv(stud, worker):
    pid, gen = worker.pid, worker.generation
    with pytest.raises(WorkerCrashed) as info:
        stud.segfault()
    assert info.value.signal_name == "SIGSEGV" and "SIGSEGV" in info.value.describe()
    expect_replaced(worker, pid, gen)


@pytest.mark.parametrize("fn", ["big_array", "growing_list"])
def test_memory_bombs_raise_memory_error(stud, worker, fn):
    pid = worker.pid
    # Filling 512 MiB page by page takes well over the usual test timeout on a loaded machine.
    with pytest.raises(StudentException) as info, worker.time_limit(30):
        getattr(stud, fn)()
    assert info.value.base == "MemoryError"  # numpy raises its subclass _ArrayMemoryError
    assert "512.0 MiB" in info.value.describe()
    assert worker.pid == pid and stud.add(1, 2) == 3  # memory was given back


def test_memory_limit_cannot_be_raised(stud):
    with pytest.raises(StudentException) as info:
        stud.raise_memory_limit()
    assert info.value.type_name in ("ValueError", "PermissionError")


def test_recursion_error_shows_a_short_traceback(stud):
    with pytest.raises(StudentException) as info:
        stud.recurse()
    assert info.value.type_name == "RecursionError"
    assert "more frames" in info.value.traceback and info.value.traceback.count("\n") < 30
    assert "_worker_main" not in info.value.traceback  # machinery frames are hidden


def test_keyboard_interrupt_stays_in_the_worker(stud, worker):
    pid = worker.pid
    with pytest.raises(StudentException) as info:
        stud.interrupt()
    assert info.value.type_name == "KeyboardInterrupt"
    assert worker.pid == pid


def test_not_implemented_is_flagged(stud):
    with pytest.raises(StudentException) as info:
        stud.todo()
    assert info.value.not_implemented and "not implemented yet" in info.value.describe()
    assert "softmax is a stub" in info.value.describe()


@pytest.mark.parametrize("fn", ["import_solutions", "import_reference", "import_autograder"])
def test_grader_packages_cannot_be_imported(stud, fn):
    with pytest.raises(StudentException) as info:
        getattr(stud, fn)()
    assert info.value.type_name == "ImportError"
    assert "not available to submissions" in info.value.message


def test_monkeypatching_numpy_in_the_worker_does_not_touch_the_grader(stud):
    assert stud.patch_numpy() is True  # the worker's numpy is now broken...
    assert not np.allclose(1, 2)       # ...the grader's is not


@pytest.mark.parametrize("fn", ["flood_print", "flood_write"])
def test_output_flood_is_stopped_by_the_output_cap(stud, worker, fn):
    pid, gen = worker.pid, worker.generation
    with pytest.raises(OutputLimitExceeded) as info:  # not WorkerTimeout
        getattr(stud, fn)()
    assert "printed more than 256.0 KiB" in info.value.describe()
    assert len(info.value.output) < 4300
    expect_replaced(worker, pid, gen)


def test_garbage_on_the_reply_pipe_is_a_protocol_error(stud, worker):
    pid, gen = worker.pid, worker.generation
    with pytest.raises(WorkerProtocolError) as info:
        stud.garbage_reply()
    assert isinstance(info.value, WorkerCrashed)
    assert "malformed reply" in info.value.describe()
    expect_replaced(worker, pid, gen)


def test_every_failure_is_a_student_code_error():
    for cls in (StudentException, OutputLimitExceeded, WorkerTimeout, WorkerCrashed,
                WorkerProtocolError, StaleRemoteError):
        assert issubclass(cls, StudentCodeError)


def test_leftover_processes_are_killed(student_dir):
    w = Worker(student_dir, import_paths=[student_dir / "pkg"], timeout=TIMEOUT, memory_limit=MEMORY)
    stud = w.import_module("stud")
    first = stud.spawn_children()
    assert len(first) == 3 and all(alive(pid) for pid in first)
    with pytest.raises(WorkerTimeout):  # killing a worker after a timeout kills its children
        stud.spin()
    assert not any(alive(pid) for pid in first)
    second = w.import_module("stud").spawn_children()
    assert all(alive(pid) for pid in second)
    w.close()
    assert not any(alive(pid) for pid in second), [(p, proc_stat(p)) for p in second]
    w.close()  # idempotent
    with pytest.raises(RuntimeError):
        w.ping()


def test_startup_failure_is_a_grader_error(student_dir):
    with Worker(student_dir, import_paths=[], memory_limit=64 * 2**20) as w:
        with pytest.raises(WorkerStartupError):
            w.ping()


def test_bad_arguments(student_dir, worker, stud):
    with pytest.raises(ValueError):
        Worker(student_dir / "nope", import_paths=[])
    with pytest.raises(ValueError):
        Worker(student_dir, import_paths=[], timeout=0)
    with pytest.raises(TypeError):
        Worker(student_dir, import_paths=str(student_dir))
    with pytest.raises(wire.WireError):
        stud.add(object(), 1)  # only plain data can be sent


# ----------------------------------------------------------------------------- wire


def roundtrip(value):
    return wire.decode(wire.encode(value))


def test_wire_round_trips_plain_values():
    value = {"none": None, "flags": [True, False], "int": -(2**70), "str": "ünï\ud800",
             "floats": [0.5, -0.0, float("inf"), float("-inf")], "tuple": (1, (2, [3])),
             "nested": {"a": {"b": []}}, "handle": wire.Handle(3, "layers.Affine", "Affine object")}
    assert roundtrip(value) == value
    assert type(roundtrip((1,))) is tuple
    assert np.isnan(roundtrip(float("nan")))
    assert str(roundtrip(-0.0)) == "-0.0"


def test_wire_round_trips_arrays_and_scalars():
    for a in [np.arange(12, dtype=np.int16).reshape(3, 4).T, np.array(7, np.uint64),
              np.zeros((0, 3)), np.array([np.nan, np.inf, -0.0]), np.arange(3, dtype=">f8"),
              np.array([[1 + 1j]], np.complex128), np.ones(5, np.float16), np.array([1.5], np.longdouble)]:
        b = roundtrip(a)
        assert b.dtype == a.dtype and b.shape == a.shape and b.flags.writeable and b.flags.c_contiguous
        assert np.array_equal(a, b, equal_nan=True)
    for s in [np.float32(1.25), np.int8(-5), np.bool_(False), np.complex64(1j)]:
        t = roundtrip(s)
        assert type(t) is type(s) and t == s


@pytest.mark.parametrize("bad", [object(), {1: 2}, np.array([None]), np.array(["a"]),
                                 np.array([1], "datetime64[s]"), {1, 2}, b"bytes",
                                 np.ma.masked_array([1.0]), 10 ** 5000],
                         ids=["object", "int-key", "object-array", "str-array", "datetime", "set",
                              "bytes", "masked", "huge-int"])
def test_wire_rejects_other_types(bad):
    with pytest.raises(wire.WireError):
        wire.encode(bad)


def test_wire_rejects_cycles_depth_and_size():
    cyc = []
    cyc.append(cyc)
    with pytest.raises(wire.WireError):
        wire.encode(cyc)
    deep = []
    for _ in range(wire.MAX_DEPTH + 5):
        deep = [deep]
    with pytest.raises(wire.WireError):
        wire.encode(deep)
    data = wire.encode(np.zeros(1000))
    with pytest.raises(wire.WireError):
        wire.encode(np.zeros(1000), max_size=1000)
    with pytest.raises(wire.WireError):
        wire.decode(data, max_size=1000)


def test_wire_never_unpickles(tmp_path):
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    with pytest.raises(wire.WireError):
        wire.decode(pickle.dumps(Evil()))
    assert not marker.exists()


def header_message(header, tail=b""):
    import json
    import struct
    text = json.dumps(header).encode()
    return b"DLW1" + struct.pack("<I", len(text)) + text + tail


@pytest.mark.parametrize("header,tail", [
    ({"v": {"a": 0}, "a": [["|O", [1]]]}, b"\0" * 8),          # object dtype
    ({"v": {"a": 0}, "a": [["<f8", [-1]]]}, b""),               # negative shape
    ({"v": {"a": 0}, "a": [["<f8", [2]]]}, b"\0" * 8),          # buffer too short
    ({"v": {"a": 0}, "a": [["<f8", [1]]]}, b"\0" * 9),          # trailing bytes
    ({"v": [{"a": 0}, {"a": 0}], "a": [["<f8", [1]]]}, b"\0" * 8),  # buffer used twice
    ({"v": {"s": 0}, "a": [["<f8", [2]]]}, b"\0" * 16),         # scalar that is not 0-d
    ({"v": {"x": 1}, "a": []}, b""),                            # unknown tag
    ({"v": {"d": {}, "t": []}, "a": []}, b""),                  # two tags
    ({"v": {"h": [-1, "a", "b"]}, "a": []}, b""),               # bad handle
    ({"v": 1}, b""),                                            # missing table
    ({"v": {"a": 0}, "a": [["<f8", [10**30, 0]]]}, b""),       # absurd shape
])
def test_wire_rejects_malformed_messages(header, tail):
    with pytest.raises(wire.WireError):
        wire.decode(header_message(header, tail))


def test_wire_fuzz_random_bytes_and_mutations():
    rng = random.Random(1234)
    valid = wire.encode({"x": np.arange(6.0).reshape(2, 3), "t": (1, "a", None), "s": np.float32(2)})
    for i in range(3000):
        if i % 3 == 0:
            data = bytes(rng.randrange(256) for _ in range(rng.randrange(64)))
            if i % 2:
                data = b"DLW1" + data
        elif i % 3 == 1:
            data = bytearray(valid)
            for _ in range(rng.randrange(1, 4)):
                data[rng.randrange(len(data))] = rng.randrange(256)
        else:
            data = valid[:rng.randrange(len(valid))] + bytes(rng.randrange(256) for _ in range(rng.randrange(8)))
        try:
            wire.decode(bytes(data))
        except wire.WireError:
            pass
    nested = b"DLW1" + (10**6 + 9).to_bytes(4, "little") + b'{"v":' + b"[" * 10**6 + b"]" * 10**6 + b',"a":[]}'
    with pytest.raises(wire.WireError):
        wire.decode(nested)


def test_closing_the_workers_pipes_is_a_crash_with_a_clear_message(student_dir):
    (student_dir / "pkg" / "closer.py").write_text("import os\n\ndef close_all():\n    os.closerange(3, 4096)\n")
    with Worker(student_dir, import_paths=[student_dir / "pkg"], timeout=TIMEOUT) as w:
        closer = w.import_module("closer")
        with pytest.raises(WorkerCrashed) as info:
            closer.close_all()
        assert "connection to the grader broke" in info.value.describe()
        assert w.ping() is None


GRADER_SCRIPT = '''
import sys
from autograder.sandbox.worker import Worker
w = Worker(sys.argv[1], import_paths=[sys.argv[2]], timeout=600)
stud = w.import_module("stud")
print(w.pid, *stud.spawn_children(), flush=True)
if sys.argv[3] == "hang":
    stud.spin()  # the test kills this grader while the worker spins
'''


def wait_gone(pids, seconds=5.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and any(alive(p) for p in pids):
        time.sleep(0.05)
    return not any(alive(p) for p in pids)


def test_grader_exit_or_death_leaves_no_worker_behind(student_dir, tmp_path):
    import subprocess
    import sys
    script = tmp_path / "grader.py"
    script.write_text(GRADER_SCRIPT)
    args = [sys.executable, str(script), str(student_dir), str(student_dir / "pkg")]
    # 1. The grader exits without closing its worker: the exit-time finalizer cleans up.
    done = subprocess.run(args + ["exit"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    pids = [int(p) for p in done.stdout.split()]
    assert len(pids) == 4 and wait_gone(pids, 0.5)
    # 2. The grader is SIGKILLed while student code spins: the worker's watchdog notices.
    # Its plain child process goes with it; the ones that left its session only where the worker
    # has its own PID namespace (without one they cannot be found).
    grader = subprocess.Popen(args + ["hang"], stdout=subprocess.PIPE, text=True)
    pids = []
    try:
        pids = [int(p) for p in grader.stdout.readline().split()]
        assert all(alive(p) for p in pids)
        grader.kill()
        grader.wait()
        assert wait_gone(pids[:2])
        if pid_namespace_prefix():  # the kernel ends the whole namespace with its pid 1
            assert wait_gone(pids[2:])
    finally:
        grader.kill()
        grader.wait()
        for pid in pids[2:]:  # the escaped sleeps: clean up by hand
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


def test_keyword_arguments_named_like_api_parameters_pass_through(stud, worker):
    args, kwargs = stud.echo(self=1, remote=2, name=3)
    assert kwargs == {"self": 1, "remote": 2, "name": 3}
    assert worker.call(stud.echo, remote=4)[1] == {"remote": 4}
