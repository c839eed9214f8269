"""Run the checks inside a Jupyter kernel, on what a notebook defines (nbgrader test cells).

An nbgrader test cell reads::

    from autograder.notebook import run_check
    run_check("functions.softmax::test_batch_rows")

``run_check`` runs that one check — the same code ``dlgrade grade`` runs — on
the names the notebook defined, and raises :class:`CheckFailed` (an ``AssertionError``)
with the same student-facing message when it fails. IPython shows that exception as the
message alone (no traceback through the kit), and nbgrader still scores the cell 0: the
cell's output is an error. nbgrader executes student code in the
kernel itself, so here the student's objects live in this process: an
``InProcessWorker`` serves the checks through the very request handler a worker
process uses (``_worker_main.RequestServer``) and the same wire encoding, so values
are snapshots and errors read exactly as they do in ``dlgrade grade``. Time
limits are nbgrader's (``ExecutePreprocessor.timeout``); nothing is written to
stderr, because nbgrader gives 0 to a test cell that does (nbgrader #1904).
"""
from __future__ import annotations

import contextlib
import functools
import inspect
import io
import threading
import warnings

import numpy as np
from threadpoolctl import threadpool_limits

from autograder import _worker_main, probes, wire
from autograder.exercises import module_of
from autograder.i18n import _
from autograder.sandbox.worker import Worker


class CheckFailed(AssertionError):
    """A failing check in a notebook: IPython shows its message alone.

    IPython renders an exception that has ``_render_traceback_`` with that method instead of
    a traceback, so the student reads the check's message, not frames of the kit; the output
    is still an error, which is how nbgrader knows that the test cell failed.
    """

    def _render_traceback_(self) -> list:
        return [str(self)]


class NamespaceModule:
    """Module-like view of a notebook's globals: reads and writes go to the dict itself.

    (gradient_descent is graded with the grader's numerical_gradient swapped into the
    namespace its code reads from, exactly as it is swapped into a module in a worker.)
    """

    def __init__(self, namespace):
        object.__setattr__(self, "_namespace", namespace)

    def __getattr__(self, name):
        try:
            return self._namespace[name]
        except KeyError:
            raise NameError(_("name {name} is not defined in the notebook: run the cell that "
                              "defines it first").format(name=repr(name))) from None

    def __setattr__(self, name, value):
        self._namespace[name] = value

    def __delattr__(self, name):
        self._namespace.pop(name, None)


class _KernelServer(_worker_main.RequestServer):
    """The worker's request handler, in this process: no pipes, student frames from notebook cells."""

    def __init__(self):
        super().__init__(wire, np, None, None, "/", wire.DEFAULT_MAX_SIZE, probes, None)

    def is_student_file(self, filename):
        # IPython compiles cells into files under .../ipykernel_<pid>/ (or "<ipython-input-…>").
        return "ipykernel" in filename or filename.startswith("<ipython-input")

    def flush_output(self):
        pass


class InProcessWorker(Worker):
    """A Worker whose "process" is this one: same operations, same errors, no isolation."""

    def __init__(self):  # no process to start: none of Worker.__init__ applies
        self._server = _KernelServer()
        self._lock = threading.RLock()
        self._gen = 1
        self._pending_release = []
        self.timeout = None
        self.last_output = ""
        self.memory_limit = 0

    closed = False
    alive = True
    interrupted = False  # student code was stopped by KeyboardInterrupt (nbclient's cell timeout)

    @property
    def generation(self):
        return self._gen

    def close(self):
        self._server.objects.clear()

    def adopt(self, obj):
        """A Remote for an object of this process (e.g. the notebook's namespace)."""
        return self._from_wire(self._server.new_handle(obj), self._gen)

    def _request(self, msg, context, timeout=None):
        with self._lock:
            msg = self._to_wire(msg)
            release, self._pending_release = self._pending_release, []
            if release:
                msg["release"] = release
            reply = self._server.handle(wire.encode(msg))
            # Through the codec, as across a pipe: the check gets snapshots, never live objects.
            reply = wire.decode(wire.encode(reply))
            if reply["ok"]:
                return self._from_wire(reply.get("value"), self._gen)
            error = self._error(reply["error"], context, "")
            if getattr(error, "type_name", "") == "KeyboardInterrupt":
                self.interrupted = True
            raise error


class KernelPool:
    """The pool interface of ``pool.WorkerPool``, backed by the notebook's namespace."""

    def __init__(self, namespace):
        self._worker = InProcessWorker()
        self._module = self._worker.adopt(NamespaceModule(namespace))

    def worker(self, config):
        return self._worker

    notes = {}  # a notebook's names are the exercise's own: no aliases to note

    def student_module(self, config, module):
        return self._module

    def config_for(self, exercise):
        return module_of(exercise)

    def own_deps_config(self, module):
        return None  # one namespace: nothing to rerun elsewhere

    def exercise_module(self, config, exercise):
        return self._module

    def close(self):
        self._worker.close()


# Exercises whose student code was interrupted in this kernel (nbgrader stops a cell that
# exceeds its timeout with KeyboardInterrupt): their later checks fail at once instead of
# each hanging until the timeout, as `dlgrade grade` stops an exercise after two timeouts.
_interrupted = set()


@functools.lru_cache(maxsize=1)
def _specs():
    from autograder.grading import collect_checks

    return {spec.check_id: spec for spec in collect_checks()}


def run_check(check_id, namespace=None, *, data_dir=None):
    """Run one check on the notebook's definitions.

    Inputs:
    - check_id: e.g. "layers.Affine::test_backward" (see ``dlgrade`` results' tags).
    - namespace: the notebook's globals; by default the caller's.
    - data_dir: MNIST folder for the accuracy gate (default: $MNIST_DATA_DIR or the cache).

    Returns None when the check passes; raises :class:`CheckFailed` (an AssertionError)
    with the student-facing message, in the current language, when it fails.
    """
    from autograder.grading import GradeOptions, GradingContext, _run_checks
    from autograder.plugin import GradingPlugin

    if namespace is None:
        namespace = inspect.currentframe().f_back.f_globals
    spec = _specs().get(check_id)
    if spec is None:
        from autograder import studentdist

        if studentdist.active():  # a student distribution holds the visible checks only
            raise AssertionError(studentdist.not_in_self_check(check_id))
        raise ValueError(f"unknown check {check_id!r}")
    if spec.exercise in _interrupted:
        raise CheckFailed(_("not run: an earlier check of {exercise} was stopped by the time limit "
                            "(infinite loop? very slow code?). Fix that first, then restart the kernel "
                            "and run again.").format(exercise=spec.exercise))
    pool = KernelPool(namespace)
    plugin = GradingPlugin(GradingContext(None, pool, GradeOptions(data_dir=data_dir)))
    sink = io.StringIO()
    try:
        # One BLAS thread, as in a worker: the checks' matrices are small, and on a busy
        # JupyterHub node threads fighting over cores made the MNIST gate 5x slower.
        with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink), warnings.catch_warnings(), \
                threadpool_limits(limits=1):
            warnings.simplefilter("ignore")
            _run_checks(plugin, None, nodeids=[spec.nodeid], in_process_student=True)
    finally:
        if pool._worker.interrupted:
            _interrupted.add(spec.exercise)
        pool.close()
    results = list(plugin.results.values())
    if len(results) != 1:
        raise RuntimeError(f"check {check_id} did not run:\n{sink.getvalue()[-2000:]}")
    if not results[0].passed:
        raise CheckFailed(results[0].output)
