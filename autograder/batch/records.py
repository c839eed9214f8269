"""One submission's outcome in a batch, as plain data (journal, gradebook and report read it)."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from autograder.results import CheckResult, ExerciseResult, GradeResult

GRADED, REFUSED, CRASHED, TIMED_OUT = "graded", "refused", "crashed", "timed out"
STATUSES = (GRADED, REFUSED, CRASHED, TIMED_OUT)


@dataclass
class SubmissionRecord:
    """What became of one submission.

    Attributes:
    - student: the student id (see ``discover.Entry``).
    - status: GRADED (a GradeResult exists, whatever the score), REFUSED (not a submission:
      no exercise module, corrupt zip, ...), CRASHED (the grader process died or failed) or
      TIMED_OUT (the whole grading overran its deadline).
    - message: why, for the last three.
    - elapsed: wall seconds spent grading it (0 when reused from the journal).
    - result: the GradeResult when graded, else None.
    - key: the journal key (content, kit, options).
    - reused: True when taken from the journal in this run (not stored).
    """

    student: str
    status: str
    message: str = ""
    elapsed: float = 0.0
    result: GradeResult | None = None
    key: str = ""
    lang: str = "en"
    reused: bool = field(default=False, compare=False)

    def __post_init__(self):
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, got {self.status!r}")

    @property
    def score(self) -> float:
        return self.result.score if self.result else 0.0

    def to_dict(self) -> dict:
        """Plain JSON data; :meth:`from_dict` reads it back."""
        return {"student": self.student, "status": self.status, "message": self.message,
                "elapsed": round(self.elapsed, 3), "key": self.key, "lang": self.lang,
                "result": dataclasses.asdict(self.result) if self.result else None}

    @classmethod
    def from_dict(cls, data: dict) -> "SubmissionRecord":
        result = data.get("result")
        return cls(student=data["student"], status=data["status"], message=data.get("message", ""),
                   elapsed=float(data.get("elapsed", 0.0)), key=data.get("key", ""),
                   lang=data.get("lang", "en"), result=grade_result_from_dict(result) if result else None)


def _known(cls, data):
    names = {f.name for f in dataclasses.fields(cls)}
    return {k: v for k, v in data.items() if k in names}


def grade_result_from_dict(data: dict) -> GradeResult:
    """Rebuild a GradeResult from ``dataclasses.asdict`` output (unknown keys ignored).

    Inputs:
    - data: ``dataclasses.asdict(result)`` of a GradeResult.

    Returns:
    - an equal GradeResult.
    """
    exercises = []
    for ex in data["exercises"]:
        checks = [CheckResult(**_known(CheckResult, c)) for c in ex["checks"]]
        exercises.append(ExerciseResult(ex["exercise"], checks))
    rest = _known(GradeResult, data)
    rest["exercises"] = exercises
    return GradeResult(**rest)
