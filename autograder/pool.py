"""One worker process per configuration, shared by all checks of a grading run.

A configuration is what one worker imports: for exercise module M, the
student's M beside reference copies of the other modules (blame isolation);
for the MNIST gate (``exercises.ALL_STUDENT``), only the student's modules.
Workers start together, are reused while healthy, and are replaced by
``sandbox.worker.Worker`` after a timeout or crash. An import that fails is
remembered, so the checks of a module that hangs at import cost one timeout,
not one per check.
"""
from __future__ import annotations

from autograder.exercises import ALL_STUDENT, MODULES
from autograder.sandbox.errors import StudentCodeError
from autograder.sandbox.worker import Worker

# CPU time one worker process may use in all (RLIMIT_CPU): far above what grading needs (the
# MNIST gate takes a few seconds), a backstop behind the per-call wall-clock timeouts.
CPU_SECONDS = 600


class MissingModule(Exception):
    """The submission has no file for a module a check needs."""

    def __init__(self, module):
        super().__init__(module)
        self.module = module

    def describe(self):
        return (f"{self.module}.py is missing from the submission, so this exercise scores 0. "
                f"Submit {self.module}.py next to your other modules.")


class ModuleImportFailed(Exception):
    """Importing a student module raised, hung or crashed the worker."""

    def __init__(self, module, cause):
        super().__init__(module)
        self.module = module
        self.cause = cause

    def describe(self):
        return f"{self.module}.py could not be imported, so none of its checks can run.\n" + self.cause.describe()


class WorkerPool:
    """The workers of one grading run.

    Inputs:
    - submission: a loaded submission.Submission.
    - reference_dir: the directory of the reference modules (solutions/).
    - timeout: seconds per call into student code (also for each import).
    - memory_limit: bytes of address space per worker.
    - isolation: a ``sandbox.isolation.Isolation`` for every worker (None: level "off").
    - gate_files: files the MNIST gate's worker may read (and no other worker).
    - max_reply: largest reply accepted from a worker, bytes (None: the wire default).
    """

    def __init__(self, submission, reference_dir, *, timeout, memory_limit, isolation=None, gate_files=(),
                 max_reply=None):
        self.submission = submission
        self.reference_dir = reference_dir
        self.timeout = timeout
        self.memory_limit = memory_limit
        self.isolation = isolation
        self.gate_files = tuple(gate_files)
        self.max_reply = max_reply
        self.deadline = None
        self._workers = {}
        self._modules = {}
        self._failures = {}

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def start(self, configs):
        """Start the workers of these configurations now, in parallel (no waiting)."""
        for config in configs:
            if self._needed(config):
                self.worker(config)

    def _needed(self, config):
        wanted = MODULES if config == ALL_STUDENT else (config,)
        return any(m in self.submission.present for m in wanted)

    def worker(self, config):
        """The worker of a configuration, started on first use."""
        if config not in self._workers:
            student = MODULES if config == ALL_STUDENT else (config,)
            layout = self.submission.layout(config, student,
                                            None if config == ALL_STUDENT else self.reference_dir)
            limits = {} if self.max_reply is None else {"max_message": self.max_reply}
            self._workers[config] = Worker(
                layout.root, import_paths=layout.import_paths, timeout=self.timeout,
                memory_limit=self.memory_limit, isolation=self.isolation, cpu_seconds=CPU_SECONDS,
                data_files=self.gate_files if config == ALL_STUDENT else (), **limits)
            self._workers[config].deadline = self.deadline
        return self._workers[config]

    def set_deadline(self, deadline):
        """No call into student code runs past this time.monotonic() value (None: no limit)."""
        self.deadline = deadline
        for worker in self._workers.values():
            worker.deadline = deadline

    def student_module(self, config, module):
        """The student's module imported in the configuration's worker (a Remote).

        Raises MissingModule or ModuleImportFailed, both with a student-facing describe().
        """
        if module in self.submission.missing:
            raise MissingModule(module)
        key = (config, module)
        if key in self._failures:
            raise self._failures[key]
        worker = self.worker(config)
        cached = self._modules.get(key)
        # After a crash or timeout the worker restarts empty: import again.
        if cached is not None and worker.alive and cached._gen == worker.generation:
            return cached
        try:
            remote = worker.import_module(f"submission.{module}")
        except StudentCodeError as exc:
            self._failures[key] = ModuleImportFailed(module, exc)
            raise self._failures[key] from None
        self._modules[key] = remote
        return remote

    def close(self):
        """Stop every worker and whatever it left running."""
        self._modules.clear()
        for worker in self._workers.values():
            worker.close()
        self._workers.clear()
