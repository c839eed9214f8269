"""Grading results as plain dataclasses, and the files made from them.

``GradeResult.to_dict()`` is Gradescope's results.json schema
(https://gradescope-autograders.readthedocs.io/en/latest/specs/): top-level
``score``, ``max_score``, ``execution_time``, ``output``, ``tests``; each test
has ``name``, ``score``, ``max_score``, ``status``, ``output``,
``visibility``, ``tags`` (first tag = exercise id) and, where useful,
``extra_data``. One test entry is one check; an exercise's points are shared
among its checks by weight.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

from autograder.atomic import write_text_atomic
from autograder.i18n import _
from autograder.sanitize import clean_json, clean_text

VISIBILITIES = ("hidden", "after_due_date", "after_published", "visible")
# extra_data key of a check that was not run (CheckResult.not_run): the points it was worth,
# which its max_score (0: outside the total) no longer says.
POINTS_NOT_RUN = "points_not_run"


@dataclass
class CheckResult:
    """The verdict of one check.

    check_id is stable across runs (``layers.Affine::test_backward_values``);
    name is the human title shown to students.
    """

    check_id: str
    exercise: str
    name: str
    score: float
    max_score: float
    passed: bool
    output: str = ""
    visibility: str = "visible"
    extra_data: dict = field(default_factory=dict)
    duration: float = 0.0
    internal_error: bool = False
    graded: bool = True  # False when the run excluded this check's exercise (--only) or could not run it
    not_run: str = ""  # when graded is False for a reason the student must act on (no MNIST data): what to do
    # What kind of failure this is, as plain data (plugin.classify): the report groups and orders by it.
    failure: dict = field(default_factory=dict)

    @property
    def status(self):
        return "passed" if self.passed else "failed"

    def to_dict(self):
        d = {
            "name": f"{self.exercise}: {self.name}",
            "score": round(self.score, 6),
            "max_score": round(self.max_score, 6),
            "status": self.status,
            "output": clean_text(self.output),
            "visibility": self.visibility,
            "tags": [self.exercise, self.check_id],
        }
        if self.extra_data:
            d["extra_data"] = clean_json(self.extra_data)
        return d


@dataclass
class ExerciseResult:
    """The checks of one exercise and the points they add up to."""

    exercise: str
    checks: list[CheckResult]

    @property
    def score(self):
        return sum(c.score for c in self.checks)

    @property
    def max_score(self):
        return sum(c.max_score for c in self.checks)

    @property
    def failed(self):
        return [c for c in self.checks if not c.passed and c.graded]

    @property
    def graded(self):
        return any(c.graded for c in self.checks)

    def to_dict(self):
        return {
            "exercise": self.exercise,
            "score": round(self.score, 6),
            "max_score": round(self.max_score, 6),
            "checks": [c.to_dict() for c in self.checks],
        }


@dataclass
class GradeResult:
    """Everything one grading run found, in exercise order."""

    submission: str
    exercises: list[ExerciseResult]
    execution_time: float = 0.0
    output: str = ""
    phases: dict = field(default_factory=dict)
    isolation: str = ""  # the workers' isolation level: "bwrap", "uid" or "off"
    seed: str = ""  # the id of the checks' inputs (autograder.seeds); --seed replays them

    @property
    def score(self):
        return sum(e.score for e in self.exercises)

    @property
    def max_score(self):
        return sum(e.max_score for e in self.exercises)

    @property
    def checks(self):
        return [c for e in self.exercises for c in e.checks]

    def exercise(self, exercise_id):
        for e in self.exercises:
            if e.exercise == exercise_id:
                return e
        raise KeyError(exercise_id)

    def scores(self):
        """Return {exercise id: points scored}, rounded for comparisons."""
        return {e.exercise: round(e.score, 4) for e in self.exercises}

    def left_out(self):
        """The exercises this run could not grade for a reason to act on (CheckResult.not_run).

        Returns:
        - list of {"exercise", "points", "reason"} in report order: points is what the total
          (score and max_score) leaves out, reason the student-facing text.
        """
        out = []
        for ex in self.exercises:
            skipped = [c for c in ex.checks if c.not_run]
            if skipped:
                points = sum(float(c.extra_data.get(POINTS_NOT_RUN, 0.0)) for c in skipped)
                out.append({"exercise": ex.exercise, "points": round(points, 6), "reason": skipped[0].not_run})
        return out

    def total_note(self):
        """What the total leaves out, to follow it: "(the MNIST gate, 8 points, was not run)", or ""."""
        parts = []
        for item in self.left_out():
            points = f"{item['points']:g}"
            if item["exercise"] == "mnist":
                parts.append(_("the MNIST gate, {points} points, was not run").format(points=points))
            else:
                parts.append(_("{exercise}, {points} points, was not run").format(
                    exercise=item["exercise"], points=points))
        return f"({'; '.join(parts)})" if parts else ""

    def to_dict(self):
        """Return the Gradescope results.json document.

        An exercise that was not run (``left_out``) is outside score and max_score; its
        checks are listed with 0 of 0 points and the reason, and ``extra_data.not_run``
        names it with the points it was worth.
        """
        extra = {"seed": self.seed}
        if self.left_out():
            extra["not_run"] = self.left_out()
        return {
            "score": round(self.score, 6),
            "max_score": round(self.max_score, 6),
            "execution_time": round(self.execution_time, 3),
            "output": clean_text(self.output),
            "isolation": self.isolation,
            "tests": [c.to_dict() for c in self.checks],
            "extra_data": extra,
        }


def write_json(result, path):
    """Write ``result.to_dict()`` as Gradescope results.json, atomically.

    Strict JSON: no NaN or Infinity tokens (``clean_json`` turns them into null), valid UTF-8.
    """
    text = json.dumps(clean_json(result.to_dict()), indent=2, ensure_ascii=False, allow_nan=False)
    write_text_atomic(path, text + "\n")
