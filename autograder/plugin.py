"""The pytest plugin that turns a run of the checks into a GradeResult.

``grading.grade`` runs pytest in the grader's own process on ``autograder/checks``
with this plugin. The plugin reads each check's markers (see ``rubric``), applies
the rubric, orders checks by exercise, fails fast where an exercise already
timed out twice, and records one CheckResult per check. Failure text comes from
the exception: an ``AssertionError`` raised by ``compare`` or an exception with
a ``describe()`` method (student code errors, missing modules) is student-facing;
anything else is an internal grader error and is flagged as such.
"""
from __future__ import annotations

import re
import time

import numpy as np
import pytest

from autograder.compare import CheckFailure, hidden_check
from autograder.exercises import EXERCISES, POINTS
from autograder.i18n import _, check_title
from autograder.pool import NAME_ERRORS, MissingModule, MissingName, ModuleImportFailed
from autograder.results import CheckResult
from autograder.rubric import CheckSpec
from autograder.sandbox.errors import StudentException, TimeBudgetExceeded, WorkerTimeout
from autograder.sanitize import clean_text

CONTEXT = pytest.StashKey()
SPEC = pytest.StashKey()
EXTRA = pytest.StashKey()
CONFIG = pytest.StashKey()  # set while a check reruns with the student's own dependencies

# Failures a rerun with the student's own dependencies cannot change (the same code would
# hang or crash again) or that are not about the student's code at all.
_NO_RERUN = ("WorkerTimeout", "WorkerCrashed", "WorkerProtocolError", "OutputLimitExceeded",
             "CheckNotRun", "MissingModule", "MissingName")

# After this many timeouts in one exercise, its remaining checks are not run:
# an infinite loop must not cost a TA minutes per submission.
MAX_TIMEOUTS_PER_EXERCISE = 2


class CheckNotRun(Exception):
    """Raised instead of running a check whose exercise already timed out repeatedly."""

    def describe(self):
        return str(self)


class TimeKeeper:
    """When the checks of each exercise must stop: the rubric's time budgets (rubric.TimeBudget).

    An exercise's clock starts with its first check; the submission's with the first check of
    the run. The MNIST gate is outside the submission budget: its budget is its own timeout.
    Checks run exercise by exercise, so an exercise's time is one stretch of the run.
    """

    def __init__(self, budget, gate_seconds, clock=time.monotonic):
        self.budget = budget
        self.gate_seconds = gate_seconds
        self.clock = clock
        self.run_start = None
        self.exercise_start = {}

    def deadline(self, exercise):
        """Return (deadline on self.clock, what runs out then) for a check of exercise starting now."""
        now = self.clock()
        if self.run_start is None:
            self.run_start = now
        start = self.exercise_start.setdefault(exercise, now)
        if exercise == "mnist":
            return start + self.gate_seconds + 5.0, _("the MNIST gate's {seconds} s").format(
                seconds=f"{self.gate_seconds:g}")
        own = start + self.budget.exercise
        whole = self.run_start + self.budget.submission
        if own <= whole:
            return own, _("the {seconds} s allowed for {exercise}").format(
                seconds=f"{self.budget.exercise:g}", exercise=exercise)
        return whole, _("the {seconds} s allowed for the whole submission").format(
            seconds=f"{self.budget.submission:g}")


def budget_message(what):
    """The student-facing reason a check was stopped or not run: what ran out."""
    return _("{what} ran out, so this check and the exercise's remaining checks fail. Each call into "
             "your code has its own time limit, and the calls together have this one: make slow code "
             "faster (no sleeping, no needless loops).").format(what=what)


def check_spec(item):
    """Build the CheckSpec of a collected check from its markers."""
    marker = item.get_closest_marker("exercise")
    if marker is None or not marker.args:
        raise pytest.UsageError(f"check {item.nodeid} has no @pytest.mark.exercise(id) marker")
    exercise = marker.args[0]
    if exercise not in EXERCISES:
        raise pytest.UsageError(f"check {item.nodeid} names unknown exercise {exercise!r}")
    weight = item.get_closest_marker("weight")
    visibility = item.get_closest_marker("visibility")
    # The docstring's first line, in the current language (autograder/locale extracts it).
    title = check_title(getattr(item.function, "__doc__", None))
    title = _(title) if title else item.name
    name = item.name.split("[", 1)
    check_id = f"{exercise}::{name[0]}" + (f"[{name[1]}" if len(name) > 1 else "")
    if len(name) > 1:
        title += f" [{name[1]}"
    return CheckSpec(
        check_id=check_id,
        exercise=exercise,
        title=title,
        weight=float(weight.args[0]) if weight else 1.0,
        visibility=visibility.args[0] if visibility else "visible",
        nodeid=item.nodeid,
    )


def _probe_titles():
    from autograder import probes

    return probes.TITLES


# Grader-internal names a student must not read, and what to say instead.
_INTERNAL = [
    (re.compile(r"\bfunction forward_fresh\b"), lambda m: _("a new layer's forward")),
    (re.compile(r"\bsubmission\.(\w+)"), r"\1"),
    # The grader's temporary copy of the submission: the file name is what the student knows.
    (re.compile(r"/\S*?dlgrade-[^/\s]+/(?:[^/\s]+/)*?(\w+\.py)"), r"\1"),
    (re.compile(r"/\S*?/(?:submission|plain|common)/(\w+\.py)\b"), r"\1"),  # the path inside a sandbox
    (re.compile(r"\.\.\. (\d+) more frames \.\.\."), r"... \1 more calls ..."),
    (re.compile(r"\bcalling class (\w+)"), r"creating a \1"),  # a class is called to make an object
    # A batch of calls made in one round trip: the student knows the first failing one as "the first call".
    (re.compile(r" \(in call #0 of the batch\)"), ""),
    (re.compile(r"\bin call #(\d+) of the batch\b"), r"in call number \1 of them"),
    # What the grader was calling, named in the student's language (the worker names it in English).
    (re.compile(r"\bfunction ([A-Za-z_][\w.]*)"), lambda m: _("function {name}").format(name=m.group(1))),
    (re.compile(r"\bmethod ([A-Za-z_][\w.]*)"), lambda m: _("method {name}").format(name=m.group(1))),
]


def student_text(text):
    """A failure message in the student's terms: no probe or package names of the grader.

    ``running call_with_global`` (the context of a probe) becomes what the probe does
    (``probes.TITLES``), ``submission.layers`` becomes ``layers`` and the helper that builds
    a fresh layer per evaluation is described, not named.
    """
    titles = _probe_titles()
    text = re.sub(r"\brunning (\w+)", lambda m: _(titles[m.group(1)]) if m.group(1) in titles else m.group(0), text)
    for pattern, replacement in _INTERNAL:
        text = pattern.sub(replacement, text)
    return text


def failure_text(excinfo):
    """Return (student-facing message, is_internal_error) for a failed check."""
    exc = excinfo.value
    if hasattr(exc, "describe"):
        text = student_text(exc.describe())
        printed = (getattr(exc, "output", "") or "").strip()
        if printed:
            text += "\n" + _("Your code printed:") + "\n" + (printed[:1500] + "\n..." if len(printed) > 1500 else printed)
        return text, False
    if isinstance(exc, AssertionError):
        text = str(exc)
        # pytest's assertion rewriting appends "assert ..." lines; a student reads only our message.
        cut = text.find("\nassert ")
        return (text[:cut] if cut > 0 else text).strip() or _("check failed"), False
    if isinstance(exc, pytest.skip.Exception):
        return _("check was skipped ({reason}); skipped checks score 0").format(reason=exc.msg), True
    return _("internal grader error: {error}. Please report this to the course staff.").format(
        error=f"{type(exc).__name__}: {exc}"), True


# What a failure is, for the report's grouping and order (``report``): kept beside the message.
NOT_IMPLEMENTED, IMPORT, MISSING_MODULE, MISSING_NAME, NOT_RUN = (
    "not_implemented", "import", "missing_module", "missing_name", "not_run")
MISMATCH, ERROR, TIMEOUT, INTERNAL = "mismatch", "error", "timeout", "internal"
_SYNTAX_AT = re.compile(r"^(.*?)\s*\((\w+\.py), line (\d+)\)$", re.S)
_LINE_AT = re.compile(r"^\s*(\w+\.py):(\d+)\b", re.M)
_CALLED = re.compile(r"^calling (?:method|function|class) ([\w.]+)")  # the context of a worker call


def classify(exc, internal=False):
    """The structured part of a failure (``CheckResult.failure``): plain data, no prose.

    Returns a dict with ``kind`` (one of the constants above) and, by kind: ``how``
    (``compare.CheckFailure.kind``), ``hint`` and ``what`` (a comparison); ``where`` (what is
    not implemented, when the call says); ``module``, ``error``, ``line``, ``message``, ``source`` (an
    import that failed); ``module``, ``name`` (a missing name).
    """
    if internal:
        return {"kind": INTERNAL}
    if isinstance(exc, CheckFailure):
        return {"kind": MISMATCH, "how": exc.kind, "hint": clean_text(exc.hint or ""), "what": clean_text(exc.what)}
    if isinstance(exc, AssertionError):
        return {"kind": MISMATCH, "how": "message", "hint": "", "what": ""}
    if isinstance(exc, CheckNotRun):
        return {"kind": NOT_RUN}
    if isinstance(exc, MissingModule):
        return {"kind": MISSING_MODULE, "module": exc.module}
    if isinstance(exc, MissingName):
        return {"kind": MISSING_NAME, "module": exc.module, "name": clean_text(exc.name)}
    if isinstance(exc, ModuleImportFailed):
        return _import_failure(exc)
    if isinstance(exc, StudentException) and exc.not_implemented:
        where = _CALLED.match(exc.context or "")
        return {"kind": NOT_IMPLEMENTED, "where": where.group(1) if where else ""}
    if isinstance(exc, (WorkerTimeout, TimeBudgetExceeded)):
        return {"kind": TIMEOUT}
    return {"kind": ERROR}


def _import_failure(exc):
    """An import that failed: which error, at which line of the student's file."""
    cause = exc.cause
    failure = {"kind": IMPORT, "module": exc.module, "error": "", "line": 0, "file": "", "message": "", "source": ""}
    if isinstance(cause, StudentException):
        failure["error"] = clean_text(cause.type_name)
        message = cause.message
        at = _SYNTAX_AT.match(message) if cause.base in ("SyntaxError", "IndentationError", "TabError") or \
            cause.type_name in ("SyntaxError", "IndentationError", "TabError") else None
        if at:
            message = at.group(1)
        lines = _LINE_AT.findall(cause.traceback or "")
        if lines:  # the innermost student frame: maybe another module that this one imports
            failure["file"], failure["line"] = lines[-1][0], int(lines[-1][1])
        elif at:
            failure["file"], failure["line"] = at.group(2), int(at.group(3))
        failure["message"] = clean_text(student_text(message))
        failure["source"] = clean_text(student_text(cause.traceback or ""))
    else:  # it hung or crashed: its own sentence says how (without "While importing ...", said already)
        context, cause.context = getattr(cause, "context", ""), ""
        try:
            text = cause.describe()
        finally:
            cause.context = context
        failure["message"] = clean_text(student_text(text[:1].lower() + text[1:]))
    return failure


class GradingPlugin:
    """Collects verdicts; one instance per grading run."""

    def __init__(self, context):
        self.context = context
        self.specs = {}
        self.results = {}
        self.timeouts = {}
        self.started = {}
        self.keyboard_interrupted = False
        rubric = context.rubric
        self.timekeeper = TimeKeeper(rubric.budget, rubric.mnist.timeout)
        self.deadline_what = _("the time budget")  # what the deadline of the running check is
        self.budget_spent = {}  # exercise: what ran out

    def pytest_keyboard_interrupt(self, excinfo):
        # pytest also stops for collection errors by raising Session.Interrupted, a
        # KeyboardInterrupt subclass: that one is the grader's error, not the user's Ctrl-C.
        self.keyboard_interrupted = not isinstance(excinfo.value, pytest.Session.Interrupted)

    def pytest_configure(self, config):
        config.stash[CONTEXT] = self.context
        for line in (
            "exercise(id): the exercise a check belongs to (its points are in autograder/exercises.py)",
            "weight(w): the check's share of its exercise's points (default 1)",
            "visibility(v): Gradescope visibility of the check (default visible)",
        ):
            config.addinivalue_line("markers", line)

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, session, config, items):
        default_points = {}
        specs = []
        for item in items:
            spec = check_spec(item)
            # The catalog holds the points; a marker that still names some must agree with it.
            declared = item.get_closest_marker("exercise").kwargs.get("points")
            if declared is not None and float(declared) != POINTS[spec.exercise]:
                raise pytest.UsageError(f"check {item.nodeid} declares {declared} points for {spec.exercise}; "
                                        f"the catalog (autograder/exercises.py) says {POINTS[spec.exercise]:g}")
            default_points[spec.exercise] = POINTS[spec.exercise]
            item.stash[SPEC] = spec
            item.stash[EXTRA] = {}
            specs.append(spec)
        self.context.rubric.resolve(specs, default_points)
        self.default_points = default_points
        only = self.context.only
        keep = [i for i in items if only is None or i.stash[SPEC].exercise in only]
        dropped = [i for i in items if i not in keep]
        if dropped:
            config.hook.pytest_deselected(items=dropped)
        order = {e: n for n, e in enumerate(EXERCISES)}
        keep.sort(key=lambda i: order[i.stash[SPEC].exercise])  # stable: file order within an exercise
        items[:] = keep
        self.specs = {i.nodeid: i.stash[SPEC] for i in keep}
        self.all_specs = specs

    @pytest.hookimpl(tryfirst=True)  # before the fixtures, which already call student code
    def pytest_runtest_setup(self, item):
        spec = item.stash[SPEC]
        self.started[item.nodeid] = time.perf_counter()
        if self.timeouts.get(spec.exercise, 0) >= MAX_TIMEOUTS_PER_EXERCISE:
            raise CheckNotRun(_("not run: {count} earlier checks of {exercise} timed out, so its remaining "
                                "checks were skipped to keep grading fast. Fix the infinite loop or slow "
                                "code first.").format(count=MAX_TIMEOUTS_PER_EXERCISE, exercise=spec.exercise))
        deadline, what = self.timekeeper.deadline(spec.exercise)
        set_deadline = getattr(self.context.pool, "set_deadline", None)  # a notebook kernel has none
        if set_deadline is None:
            return
        if spec.exercise in self.budget_spent or deadline <= self.timekeeper.clock():
            self.budget_spent.setdefault(spec.exercise, what)
            raise CheckNotRun(_("not run: {reason}").format(reason=budget_message(self.budget_spent[spec.exercise])))
        set_deadline(deadline)
        self.deadline_what = what

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item):
        # Student values (huge, NaN) may overflow in the grader's own arithmetic: that is data,
        # not a grader bug, so numpy's floating-point warnings must not become errors here.
        with hidden_check(item.stash[SPEC].hidden), np.errstate(all="ignore"):
            try:
                return (yield)
            except Exception as first:  # noqa: BLE001 - decided below, re-raised unless the rerun passes
                config = self._rerun_config(item, first)
                if config is None:
                    raise
                try:
                    self._rerun(item, config)
                except Exception as second:  # noqa: BLE001
                    raise self._better_failure(first, second) from None
                return None  # passes with the student's own dependencies: the better result

    def _rerun_config(self, item, exc):
        """The own-dependencies configuration to rerun a failed check in, or None.

        Blame isolation grades module M beside the reference modules M builds on; when the
        student's M relies on something only their own modules have (another class name, a
        helper), the check is run again beside the student's own modules and keeps the better
        result. A bug in those modules is still charged once: there, and not here, unless M
        also fails with the reference (which it then does for a reason of its own).
        """
        pool = getattr(self.context, "pool", None)
        if pool is None or item.stash.get(CONFIG, None) is not None:
            return None
        if type(exc).__name__ in _NO_RERUN or not (hasattr(exc, "describe") or isinstance(exc, AssertionError)):
            return None
        config = pool.config_for(item.stash[SPEC].exercise)
        return pool.own_deps_config(config)  # None when already there (or nowhere to go)

    def _rerun(self, item, config):
        spec = item.stash[SPEC]
        pool = self.context.pool
        item.stash[CONFIG] = config
        args = item.funcargs
        if "worker" in args:
            args["worker"] = pool.worker(config)
        if "student" in args:
            args["student"] = pool.exercise_module(config, spec.exercise)
        if "rng" in args:
            args["rng"] = self.context.seed.rng(spec.check_id)  # the same inputs as the first run
        item.stash[EXTRA].clear()
        item.runtest()

    @staticmethod
    def _better_failure(first, second):
        """Both runs failed: report the reference run, unless it failed on a name the
        reference lacks (then the learner's own run says what is really wrong)."""
        cause = getattr(first, "cause", first)  # ModuleImportFailed wraps the import's error
        if getattr(cause, "type_name", None) in NAME_ERRORS:
            return second
        return first

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item, call):
        report = yield
        spec = item.stash[SPEC]
        if call.excinfo is not None and (report.failed or report.skipped):
            message, internal = failure_text(call.excinfo)
            if isinstance(call.excinfo.value, TimeBudgetExceeded):
                what = self.deadline_what
                self.budget_spent.setdefault(spec.exercise, what)
                message = _("stopped: {reason}").format(reason=budget_message(what)) + "\n" + message
            # Student text (messages, output, reprs) reaches the report, results.json and JUnit
            # XML from here on: never with control characters or invalid Unicode.
            message = clean_text(message)
            if isinstance(call.excinfo.value, WorkerTimeout):
                self.timeouts[spec.exercise] = self.timeouts.get(spec.exercise, 0) + 1
            report.longrepr = message
            report.outcome = "failed"
            if item.nodeid not in self.results or self.results[item.nodeid].passed:
                self._record(item, spec, False, message, internal, classify(call.excinfo.value, internal))
        elif report.when == "call" and report.passed:
            self._record(item, spec, True, "", False)
        if report.when == "call":
            item.user_properties.extend([("exercise", spec.exercise), ("max_score", round(spec.max_score, 4))])
        return report

    def _record(self, item, spec, passed, message, internal, failure=None):
        self.results[item.nodeid] = CheckResult(
            check_id=spec.check_id,
            exercise=spec.exercise,
            name=spec.title,
            score=spec.max_score if passed else 0.0,
            max_score=spec.max_score,
            passed=passed,
            output=message,
            visibility=spec.visibility,
            extra_data=dict(item.stash[EXTRA]),
            duration=time.perf_counter() - self.started.get(item.nodeid, time.perf_counter()),
            internal_error=internal,
            failure=failure or {},
        )
