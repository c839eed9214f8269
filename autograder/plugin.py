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

import time

import numpy as np
import pytest

from autograder.compare import hidden_check
from autograder.exercises import EXERCISES
from autograder.results import CheckResult
from autograder.rubric import CheckSpec
from autograder.sandbox.errors import TimeBudgetExceeded, WorkerTimeout
from autograder.sanitize import clean_text

CONTEXT = pytest.StashKey()
SPEC = pytest.StashKey()
EXTRA = pytest.StashKey()

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
            return start + self.gate_seconds + 5.0, f"the MNIST gate's {self.gate_seconds:g} s"
        own = start + self.budget.exercise
        whole = self.run_start + self.budget.submission
        if own <= whole:
            return own, f"the {self.budget.exercise:g} s allowed for {exercise}"
        return whole, f"the {self.budget.submission:g} s allowed for the whole submission"


def budget_message(what):
    """The student-facing reason a check was stopped or not run: what ran out."""
    return (f"{what} ran out, so this check and the exercise's remaining checks fail. Each call into "
            "your code has its own time limit, and the calls together have this one: make slow code "
            "faster (no sleeping, no needless loops).")


def check_spec(item):
    """Build the CheckSpec of a collected check from its markers."""
    marker = item.get_closest_marker("exercise")
    if marker is None or not marker.args:
        raise pytest.UsageError(f"check {item.nodeid} has no @pytest.mark.exercise(id, points=...) marker")
    exercise = marker.args[0]
    if exercise not in EXERCISES:
        raise pytest.UsageError(f"check {item.nodeid} names unknown exercise {exercise!r}")
    weight = item.get_closest_marker("weight")
    visibility = item.get_closest_marker("visibility")
    doc = (getattr(item.function, "__doc__", None) or "").strip()
    title = doc.splitlines()[0].rstrip(".") if doc else item.name
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


def failure_text(excinfo):
    """Return (student-facing message, is_internal_error) for a failed check."""
    exc = excinfo.value
    if hasattr(exc, "describe"):
        text = exc.describe()
        printed = (getattr(exc, "output", "") or "").strip()
        if printed:
            text += "\nYour code printed:\n" + (printed[:1500] + "\n..." if len(printed) > 1500 else printed)
        return text, False
    if isinstance(exc, AssertionError):
        text = str(exc)
        # pytest's assertion rewriting appends "assert ..." lines; a student reads only our message.
        cut = text.find("\nassert ")
        return (text[:cut] if cut > 0 else text).strip() or "check failed", False
    if isinstance(exc, pytest.skip.Exception):
        return f"check was skipped ({exc.msg}); skipped checks score 0", True
    return f"internal grader error: {type(exc).__name__}: {exc}. Please report this to the course staff.", True


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
        self.deadline_what = "the time budget"  # what the deadline of the running check is
        self.budget_spent = {}  # exercise: what ran out

    def pytest_keyboard_interrupt(self, excinfo):
        # pytest also stops for collection errors by raising Session.Interrupted, a
        # KeyboardInterrupt subclass: that one is the grader's error, not the user's Ctrl-C.
        self.keyboard_interrupted = not isinstance(excinfo.value, pytest.Session.Interrupted)

    def pytest_configure(self, config):
        config.stash[CONTEXT] = self.context
        for line in (
            "exercise(id, points): the exercise a check belongs to and the exercise's default points",
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
            marker = item.get_closest_marker("exercise")
            points = float(marker.kwargs.get("points", 0))
            if default_points.setdefault(spec.exercise, points) != points:
                raise pytest.UsageError(f"exercise {spec.exercise} declares different points in different places")
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
            raise CheckNotRun(f"not run: {MAX_TIMEOUTS_PER_EXERCISE} earlier checks of {spec.exercise} "
                              "timed out, so its remaining checks were skipped to keep grading fast. "
                              "Fix the infinite loop or slow code first.")
        deadline, what = self.timekeeper.deadline(spec.exercise)
        set_deadline = getattr(self.context.pool, "set_deadline", None)  # a notebook kernel has none
        if set_deadline is None:
            return
        if spec.exercise in self.budget_spent or deadline <= self.timekeeper.clock():
            self.budget_spent.setdefault(spec.exercise, what)
            raise CheckNotRun("not run: " + budget_message(self.budget_spent[spec.exercise]))
        set_deadline(deadline)
        self.deadline_what = what

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item):
        # Student values (huge, NaN) may overflow in the grader's own arithmetic: that is data,
        # not a grader bug, so numpy's floating-point warnings must not become errors here.
        with hidden_check(item.stash[SPEC].hidden), np.errstate(all="ignore"):
            return (yield)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item, call):
        report = yield
        spec = item.stash[SPEC]
        if call.excinfo is not None and (report.failed or report.skipped):
            message, internal = failure_text(call.excinfo)
            if isinstance(call.excinfo.value, TimeBudgetExceeded):
                what = self.deadline_what
                self.budget_spent.setdefault(spec.exercise, what)
                message = "stopped: " + budget_message(what) + "\n" + message
            # Student text (messages, output, reprs) reaches the report, results.json and JUnit
            # XML from here on: never with control characters or invalid Unicode.
            message = clean_text(message)
            if isinstance(call.excinfo.value, WorkerTimeout):
                self.timeouts[spec.exercise] = self.timeouts.get(spec.exercise, 0) + 1
            report.longrepr = message
            report.outcome = "failed"
            if item.nodeid not in self.results or self.results[item.nodeid].passed:
                self._record(item, spec, False, message, internal)
        elif report.when == "call" and report.passed:
            self._record(item, spec, True, "", False)
        if report.when == "call":
            item.user_properties.extend([("exercise", spec.exercise), ("max_score", round(spec.max_score, 4))])
        return report

    def _record(self, item, spec, passed, message, internal):
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
        )
