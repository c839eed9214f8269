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
from autograder.sanitize import clean_json, clean_text

VISIBILITIES = ("hidden", "after_due_date", "after_published", "visible")


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

    def to_dict(self):
        """Return the Gradescope results.json document."""
        return {
            "score": round(self.score, 6),
            "max_score": round(self.max_score, 6),
            "execution_time": round(self.execution_time, 3),
            "output": clean_text(self.output),
            "isolation": self.isolation,
            "tests": [c.to_dict() for c in self.checks],
            "extra_data": {"seed": self.seed},
        }


def write_json(result, path):
    """Write ``result.to_dict()`` as Gradescope results.json, atomically.

    Strict JSON: no NaN or Infinity tokens (``clean_json`` turns them into null), valid UTF-8.
    """
    text = json.dumps(clean_json(result.to_dict()), indent=2, ensure_ascii=False, allow_nan=False)
    write_text_atomic(path, text + "\n")
