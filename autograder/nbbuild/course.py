"""``dlgrade nbgrader autograde``: nbgrader's autograde, then the isolated engine's scores.

For each student with a submission of the assignment (``submitted/<student>/<assignment>/``):

1. nbgrader's own autograde runs (through its Python API, with the course's
   ``nbgrader_config.py``), so students still get executed notebooks and feedback;
2. each autograded notebook is regraded with the engine and the engine's scores replace the
   kernel's in the gradebook (:mod:`autograder.nbbuild.regrade`);
3. manual scores (a TA's overrides) are kept. Every kernel runs before the engine writes
   anything, and the gradebook's scores are put back as they were before the kernels
   (auto scores of the regraded submissions excepted): a kernel runs as the instructor's
   user and can write ``gradebook.db``, e.g. give itself manual scores.

Which students are graded: a regraded notebook carries a record (in its metadata) of the
submission it was regraded from: the SHA-256 of every file in the student's submitted folder,
``timestamp.txt`` included. Without ``--force`` a student whose autograded notebooks all carry
the record of the current submission is skipped; anyone else is graded. nbgrader autograde is
then asked to redo its work only where its copy is of another submission (a record that no
longer matches), or everywhere with ``--force``; otherwise nbgrader's own rule applies (it
redoes a submission whose timestamp is newer than its autograded copy).
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from autograder import UserError
from autograder.nbbuild import conventions as conv
from autograder.nbbuild import regrade as rg

CONFIG_FILE = "nbgrader_config.py"
RECORD_VERSION = 1


@dataclass
class StudentOutcome:
    """What happened to one student's submission."""

    student: str
    status: str  # "regraded", "skipped" (unchanged since regraded) or "failed"
    notebooks: list[rg.NotebookRegrade] = field(default_factory=list)
    kernel_score: float | None = None  # the submission's total as nbgrader's kernel left it
    score: float | None = None  # the total now in the gradebook
    max_score: float | None = None
    detail: str = ""

    @property
    def overturned(self):
        return [c for nb in self.notebooks for c in nb.overturned]

    def to_dict(self):
        return {"student": self.student, "status": self.status, "kernel_score": self.kernel_score,
                "score": self.score, "max_score": self.max_score, "detail": self.detail,
                "notebooks": [nb.to_dict() for nb in self.notebooks]}


@contextlib.contextmanager
def _quiet_nbgrader():
    # nbgrader 0.9.6 with SQLAlchemy 2.x warns about its own session use on every autograde.
    with warnings.catch_warnings():
        try:
            from sqlalchemy.exc import SAWarning
        except ImportError:  # pragma: no cover - nbgrader depends on SQLAlchemy
            pass
        else:
            warnings.simplefilter("ignore", SAWarning)
        yield


class NbgraderCourse:
    """The nbgrader course in the current directory, configured as ``nbgrader`` would be."""

    def __init__(self) -> None:
        if not Path(CONFIG_FILE).is_file():
            raise UserError(f"no {CONFIG_FILE} in {os.getcwd()}: run this in the course directory "
                            "(the folder `dlgrade nbgrader build` wrote)")
        try:
            from nbgrader.apps import NbGraderAPI
            from nbgrader.apps.baseapp import NbGrader
        except ImportError:
            raise UserError("autograding needs nbgrader: pip install 'dlscratch-kit[nbgrader]'") from None
        app = NbGrader()
        app.load_config_file()  # the files `nbgrader autograde` reads, this folder's included
        config = app.config
        if "root" not in config.CourseDirectory:
            config.CourseDirectory.root = os.getcwd()
        with _quiet_nbgrader():
            self.api = NbGraderAPI(config=config)
        self.coursedir = self.api.coursedir

    @contextlib.contextmanager
    def gradebook(self):
        from nbgrader.api import Gradebook

        with _quiet_nbgrader(), Gradebook(self.coursedir.db_url, self.coursedir.course_id) as gb:
            yield gb

    def submitted_dir(self, student: str, assignment: str) -> Path:
        return Path(self.coursedir.format_path(self.coursedir.submitted_directory, student, assignment))

    def autograded_dir(self, student: str, assignment: str) -> Path:
        return Path(self.coursedir.format_path(self.coursedir.autograded_directory, student, assignment))

    def notebooks(self, assignment: str) -> list[str]:
        """Names of the assignment's notebooks (from the gradebook; generate_assignment puts them there).

        Raises UserError for an assignment of another course or one not yet released.
        """
        from nbgrader.api import MissingEntry

        if assignment not in conv.ASSIGNMENTS:
            raise UserError(f"unknown assignment {assignment!r}: this course's are {', '.join(conv.ASSIGNMENTS)}")
        with self.gradebook() as gb:
            try:
                names = sorted(nb.name for nb in gb.find_assignment(assignment).notebooks)
            except MissingEntry:
                names = []
        if not names:
            raise UserError(f"assignment {assignment!r} is not in the gradebook: "
                            f"run `nbgrader generate_assignment {assignment}` first")
        return names

    def students(self, assignment: str, student: str | None = None) -> list[str]:
        """The students with a submission of the assignment (sorted), or just ``student``."""
        if student is not None:
            if not student or student in (".", "..") or "/" in student or os.sep in student:
                raise UserError(f"invalid student id {student!r}")
            if not self.submitted_dir(student, assignment).is_dir():
                raise UserError(f"unknown student {student!r}: no submission of {assignment} in "
                                f"{self.submitted_dir(student, assignment)}")
            return [student]
        found = sorted(self.api.get_submitted_students(assignment))
        if not found:
            raise UserError(f"no submissions of {assignment} in "
                            f"{self.submitted_dir('*', assignment)} (run `nbgrader collect` first?)")
        return found


def submission_digest(folder: str | os.PathLike) -> str:
    """SHA-256 over every file of a submitted folder (paths and contents, timestamp.txt included)."""
    folder = Path(folder)
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(path.relative_to(folder).as_posix().encode("utf-8", "surrogateescape") + b"\0")
        with path.open("rb") as f:
            digest.update(hashlib.file_digest(f, "sha256").digest())
    return digest.hexdigest()


def _record_state(course, student, assignment, notebooks, digest):
    """"current" (every autograded notebook was regraded from this submission), "stale"
    (one was regraded from another submission) or "none"."""
    submitted = [nb for nb in notebooks if (course.submitted_dir(student, assignment) / f"{nb}.ipynb").is_file()]
    records = [rg.read_record(course.autograded_dir(student, assignment) / f"{nb}.ipynb") for nb in submitted]
    if records and all(r and r.get("submission_sha256") == digest for r in records):
        return "current"
    return "stale" if any(records) else "none"


def _snapshot_scores(gb):
    """{grade row id: (auto_score, manual_score, extra_credit)} of the whole gradebook."""
    from nbgrader.api import Grade

    return {g.id: (g.auto_score, g.manual_score, g.extra_credit) for g in gb.db.query(Grade)}


def _restore_scores(gb, before, autograded):
    """Undo what the kernels wrote into the gradebook's scores; return how many rows were restored.

    Inputs:
    - before: :func:`_snapshot_scores` taken before any kernel ran.
    - autograded: ids of the grade rows of the submissions nbgrader autograded in this run:
      their auto scores are nbgrader's new ones (the engine replaces them next), their
      manual scores and extra credit must be the ones from before (a TA's, or none).
    Every other row gets all three values back.
    """
    from nbgrader.api import Grade

    restored = 0
    for grade in gb.db.query(Grade):
        was = before.get(grade.id)
        if grade.id in autograded:
            want = (grade.auto_score, *(was[1:] if was else (None, None)))
        elif was is None:
            continue  # created since: not a score anyone gave
        else:
            want = was
        if (grade.auto_score, grade.manual_score, grade.extra_credit) != want:
            grade.auto_score, grade.manual_score, grade.extra_credit = want
            restored += 1
    gb.db.commit()
    return restored


def _grade_ids(gb, assignment, student):
    return {g.id for nb in gb.find_submission(assignment, student).notebooks for g in nb.grades}


def _last_line(result):
    text = (result.get("error") or result.get("log") or "").strip().splitlines()
    return text[-1] if text else "no details"


def _total(gb, assignment, student):
    submission = gb.find_submission(assignment, student)
    return float(submission.score), float(submission.max_score)


def _reassess_late_penalty(course, path, notebook, assignment, student):
    """Run nbgrader's own AssignLatePenalties again: during autograde it computed the penalty
    of a late submission from the kernel's score (with ``penalty_method = 'zero'``, the
    penalty is the score itself)."""
    import nbformat
    from nbgrader.preprocessors import AssignLatePenalties

    resources = {"nbgrader": {"notebook": notebook, "assignment": assignment, "student": student,
                              "db_url": course.coursedir.db_url}}
    with _quiet_nbgrader():
        AssignLatePenalties(parent=course.api).preprocess(nbformat.read(str(path), as_version=4), resources)


@dataclass
class RunReport:
    """The outcome of every student, and how many gradebook scores had to be put back."""

    outcomes: list[StudentOutcome]
    restored: int = 0

    def to_dict(self):
        return {"restored": self.restored, "students": [o.to_dict() for o in self.outcomes]}


def autograde(course: NbgraderCourse, assignment: str, students: list[str], *, force: bool = False,
              options=None) -> RunReport:
    """nbgrader autograde, then the engine, for these students; return a RunReport.

    Inputs:
    - course: an NbgraderCourse; assignment: its id; students: ids with a submission.
    - force: re-run nbgrader's autograde and the engine for everyone.
    - options: grading.GradeOptions for the engine (default: its defaults).

    Every kernel runs before the engine writes anything, and the gradebook's scores are
    restored after the kernels (see :func:`_restore_scores`): a kernel runs as this user
    and can write gradebook.db, e.g. give itself manual scores, which would count.
    """
    notebooks = course.notebooks(assignment)
    outcomes, work = {}, {}
    for student in students:
        digest = submission_digest(course.submitted_dir(student, assignment))
        state = _record_state(course, student, assignment, notebooks, digest)
        if state == "current" and not force:
            outcomes[student] = StudentOutcome(student, "skipped",
                                               detail="unchanged since it was regraded (--force regrades)")
        else:
            work[student] = (digest, state)
    # 1. The kernels (nbgrader's autograde).
    with course.gradebook() as gb:
        before = _snapshot_scores(gb)
    for student, (_, state) in work.items():
        with _quiet_nbgrader():
            result = course.api.autograde(assignment, student, force=force or state == "stale")
        if not result.get("success"):
            outcomes[student] = StudentOutcome(student, "failed",
                                               detail=f"nbgrader autograde failed: {_last_line(result)}")
    done = [s for s in work if s not in outcomes]
    with course.gradebook() as gb:
        autograded = set().union(*(_grade_ids(gb, assignment, s) for s in done))
        restored = _restore_scores(gb, before, autograded)
    # 2. The engine.
    for student in done:
        outcome = outcomes[student] = StudentOutcome(student, "regraded")
        with course.gradebook() as gb:
            outcome.kernel_score, outcome.max_score = _total(gb, assignment, student)
        record = {"version": RECORD_VERSION, "submission_sha256": work[student][0]}
        for name in notebooks:
            path = course.autograded_dir(student, assignment) / f"{name}.ipynb"
            if not path.is_file():  # not submitted: nbgrader ran nothing, nothing to overturn
                continue
            with course.gradebook() as gb:
                cells = rg.graded_code_cells(gb, name, assignment)
            regrade = rg.engine_verdicts(path, cells, options)
            with course.gradebook() as gb:
                rg.apply_to_gradebook(gb, regrade, assignment, student)
            _reassess_late_penalty(course, path, name, assignment, student)
            rg.annotate_notebook(path, regrade, {**record, "cells": regrade.to_dict()["cells"]})
            outcome.notebooks.append(regrade)
        with course.gradebook() as gb:
            outcome.score, outcome.max_score = _total(gb, assignment, student)
    return RunReport([outcomes[s] for s in students], restored)


def require_engine(sandbox: str = "auto"):
    """The workers' isolation for ``--sandbox``, resolved before any kernel runs (one clear
    line, exit 2, when it cannot be made); returns sandbox.isolation.Isolation."""
    from autograder.grading import REFERENCE_DIR
    from autograder.sandbox.isolation import resolve

    return resolve(sandbox, REFERENCE_DIR)


def require_data(assignment: str, data_dir: str | None = None) -> None:
    """Stop before any kernel runs when the assignment's MNIST gate has no data.

    Unlike ``dlgrade grade``, autograde cannot leave the gate out: it is a test cell worth
    points, and nbgrader knows no "not run". Looked for, never downloaded (as in grading).
    """
    if "mnist" not in conv.ASSIGNMENTS.get(assignment, ()):
        return
    from autograder.grading import data_help, gate_data_missing
    from autograder.grade_options import GradeOptions

    missing = gate_data_missing(GradeOptions(data_dir=data_dir))  # damaged data: a UserError of its own
    if missing is not None:
        raise UserError(f"{assignment}'s MNIST accuracy gate needs the MNIST data: {data_help(missing)}")
