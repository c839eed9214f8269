"""One worker process per configuration, shared by all checks of a grading run.

A configuration is what one worker imports: for exercise module M, the
student's M beside reference copies of the other modules (blame isolation);
for the MNIST gate (``exercises.ALL_STUDENT``), only the student's modules.
``M.own`` (:meth:`WorkerPool.own_deps_config`) grades M with the student's own
copies of the modules M builds on: the plugin reruns a failed check of M there
(started only then), for code that relies on something the reference lacks.
Workers start together, are reused while healthy, and are replaced by
``sandbox.worker.Worker`` after a timeout or crash. An import that fails is
remembered, so the checks of a module that hangs at import cost one timeout,
not one per check.
"""
from __future__ import annotations

from autograder.exercises import (ALIAS_NOTE_FORMAT, ALL_STUDENT, CATALOG, MODULES, alias_candidates, by_id,
                                  deps_of, module_of)
from autograder.i18n import _, ngettext
from autograder.sandbox.errors import StudentCodeError, StudentException
from autograder.sandbox.worker import Worker

# Suffix of the configuration that grades module M with the student's own dependencies.
OWN_DEPS = ".own"
# Exceptions that say a name was not found: when the reference dependencies raise one, the
# learner's module relied on something only their own modules define.
NAME_ERRORS = ("ImportError", "ModuleNotFoundError", "NameError", "AttributeError")
# CPU time one worker process may use in all (RLIMIT_CPU): far above what grading needs (the
# MNIST gate takes a few seconds), a backstop behind the per-call wall-clock timeouts.
CPU_SECONDS = 600


class MissingModule(Exception):
    """The submission has no file for a module a check needs."""

    def __init__(self, module):
        super().__init__(module)
        self.module = module

    def describe(self):
        return _("{module}.py is missing from the submission, so this exercise scores 0. "
                 "Submit {module}.py next to your other modules.").format(module=self.module)


class ModuleImportFailed(Exception):
    """Importing a student module raised, hung or crashed the worker."""

    def __init__(self, module, cause):
        super().__init__(module)
        self.module = module
        self.cause = cause

    def describe(self):
        return (_("{module}.py could not be imported, so none of its checks can run.").format(module=self.module)
                + "\n" + self.cause.describe())


class MissingName(Exception):
    """The student's module defines neither the exercise's name nor an accepted alias."""

    def __init__(self, module, name, similar, aliases):
        super().__init__(name)
        self.module, self.name, self.similar, self.aliases = module, name, tuple(similar), tuple(aliases)

    def describe(self):
        if self.similar:
            text = _("{module}.py defines no `{name}`, which this exercise grades; it defines {similar}: is that "
                     "meant to be `{name}`?").format(module=self.module, name=self.name,
                                                    similar=", ".join(f"`{s}`" for s in self.similar))
        else:
            text = _("{module}.py defines no `{name}`, which this exercise grades.").format(
                module=self.module, name=self.name)
        if self.aliases:
            text += " " + ngettext("(Also accepted under the name {names}.)", "(Also accepted under the names {names}.)",
                                   len(self.aliases)).format(names=", ".join(f"`{a}`" for a in self.aliases))
        return text


class WorkerPool:
    """The workers of one grading run.

    Inputs:
    - submission: a loaded submission.Submission.
    - reference_dir: the directory of the reference modules (solutions/); None in a student
      distribution, where each module is graded beside the student's own.
    - timeout: seconds per call into student code (also for each import).
    - memory_limit: bytes of address space per worker.
    - isolation: a ``sandbox.isolation.Isolation`` for every worker (None: level "off").
    - max_reply: largest reply accepted from a worker, bytes (None: the wire default).
    """

    def __init__(self, submission, reference_dir, *, timeout, memory_limit, isolation=None,
                 max_reply=None):
        self.submission = submission
        self.reference_dir = reference_dir
        self.timeout = timeout
        self.memory_limit = memory_limit
        self.isolation = isolation
        self.max_reply = max_reply
        self.deadline = None
        self._workers = {}
        self._modules = {}
        self._failures = {}
        self._missing = {}
        # {exercise id: one line for the student}: exercises graded under an alias.
        self.notes = {}

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
        return any(m in self.submission.present for m in self.student_modules(config))

    def student_modules(self, config):
        """The exercise modules a configuration takes from the student."""
        if config == ALL_STUDENT:
            return MODULES
        if self.reference_dir is None:
            # No reference to lend (a student distribution): the student's own modules stand in
            # for all of the reference copies, as beside the reference (a module may import any).
            return (config, *(m for m in MODULES if m != config and m in self.submission.present))
        if config.endswith(OWN_DEPS):
            module = config[:-len(OWN_DEPS)]
            return (module, *(m for m in deps_of(module) if m in self.submission.present))
        return (config,)

    def own_deps_config(self, module):
        """The configuration grading ``module`` with the student's own dependencies, or None.

        None when the student submitted none of the modules ``module`` builds on (the
        reference configuration is then the only one). Its worker starts on first use only.
        """
        if module not in MODULES or not any(m in self.submission.present for m in deps_of(module)) \
                or self.reference_dir is None:
            return None
        return module + OWN_DEPS

    def config_for(self, exercise):
        """The configuration to grade an exercise in: its module's, beside the reference modules,
        unless the student's module cannot even be imported there but can beside the student's
        own modules (then that one, started only now).

        When both imports fail, the reference configuration is kept, except where it failed on a
        name the reference lacks (ImportError, NameError, AttributeError): the learner's own
        modules then tell the real problem.
        """
        config = module_of(exercise)
        own = self.own_deps_config(config)
        if own is None:
            return config
        module = by_id(exercise).module
        try:
            self.student_module(config, module)
            return config
        except ModuleImportFailed as exc:
            first = exc
        except MissingModule:
            return config
        if not isinstance(first.cause, StudentException):
            return config  # a hang or crash at import would only repeat beside other modules
        try:
            self.student_module(own, module)
            return own
        except ModuleImportFailed:
            return own if getattr(first.cause, "type_name", None) in NAME_ERRORS else config

    def worker(self, config):
        """The worker of a configuration, started on first use."""
        if config not in self._workers:
            student = self.student_modules(config)
            layout = self.submission.layout(config, student,
                                            None if config == ALL_STUDENT else self.reference_dir)
            limits = {} if self.max_reply is None else {"max_message": self.max_reply}
            self._workers[config] = Worker(
                layout.root, import_paths=layout.import_paths, timeout=self.timeout,
                memory_limit=self.memory_limit, isolation=self.isolation, cpu_seconds=CPU_SECONDS,
                **limits)
            self._workers[config].deadline = self.deadline
        return self._workers[config]

    def set_deadline(self, deadline):
        """No call into student code runs past this time.monotonic() value (None: no limit)."""
        self.deadline = deadline
        for worker in self._workers.values():
            worker.deadline = deadline

    def student_module(self, config, module):
        """The student's module imported in the configuration's worker (a Remote).

        The exercises of the module are looked up under their names and aliases right after
        the import (``probes.resolve_names``): an exercise found under an alias is bound to its
        own name in the module, and noted (:attr:`notes`).

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
            wanted = [list(alias_candidates(e.id)) for e in CATALOG if e.module == module]
            found = worker.probe("resolve_names", module=remote, wanted=wanted)
        except StudentCodeError as exc:
            self._failures[key] = ModuleImportFailed(module, exc)
            raise self._failures[key] from None
        for name, alias in found["aliased"].items():
            self.notes[f"{module}.{name}"] = _(ALIAS_NOTE_FORMAT).format(alias=alias, name=name, module=module)
        self._missing[key] = found["missing"]
        self._modules[key] = remote
        return remote

    def exercise_module(self, config, exercise):
        """The student's module of an exercise, checked to define the exercise's name.

        Raises MissingName (with similar names the module defines) when neither the name nor
        an accepted alias exists, besides the errors of :meth:`student_module`.
        """
        entry = by_id(exercise)
        remote = self.student_module(config, entry.module)
        similar = self._missing.get((config, entry.module), {}).get(entry.name)
        if similar is not None:
            raise MissingName(entry.module, entry.name, similar, entry.aliases)
        return remote

    def seed_random(self, config, seed):
        """Seed np.random in the configuration's worker (``probes.seed_random``) before a check."""
        self.worker(config).probe("seed_random", seed=seed)

    def close(self):
        """Stop every worker and whatever it left running."""
        self._modules.clear()
        for worker in self._workers.values():
            worker.close()
        self._workers.clear()
