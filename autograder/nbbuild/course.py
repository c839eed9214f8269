"""``dlgrade nbgrader autograde``: nbgrader's autograde, then the isolated engine's scores.

For each student with a submission of the assignment (``submitted/<student>/<assignment>/``):

1. nbgrader's own autograde runs (through its Python API, with the course's
   ``nbgrader_config.py``), so students still get executed notebooks and feedback;
2. each autograded notebook is regraded with the engine and the engine's scores replace the
   kernel's in the gradebook (:mod:`autograder.nbbuild.regrade`);
3. manual scores (a TA's overrides) are kept, and restored if the student's kernel changed
   them while it ran: it runs as the instructor's user and can reach ``gradebook.db``.

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

    def __init__(self):
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

    def submitted_dir(self, student, assignment):
        return Path(self.coursedir.format_path(self.coursedir.submitted_directory, student, assignment))

    def autograded_dir(self, student, assignment):
        return Path(self.coursedir.format_path(self.coursedir.autograded_directory, student, assignment))

    def notebooks(self, assignment):
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

    def students(self, assignment, student=None):
        """The students with a submission of the assignment (sorted), or just ``student``."""
        if student is not None:
            if not self.submitted_dir(student, assignment).is_dir():
                raise UserError(f"unknown student {student!r}: no submission of {assignment} in "
                                f"{self.submitted_dir(student, assignment)}")
            return [student]
        found = sorted(self.api.get_submitted_students(assignment))
        if not found:
            raise UserError(f"no submissions of {assignment} in "
                            f"{self.submitted_dir('*', assignment)} (run `nbgrader collect` first?)")
        return found


def submission_digest(folder):
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
    records = [rg.read_record(course.autograded_dir(student, assignment) / f"{nb}.ipynb") for nb in notebooks]
    if records and all(r and r.get("submission_sha256") == digest for r in records):
        return "current"
    return "stale" if any(records) else "none"


def _snapshot_manual(gb, assignment, student):
    """{(notebook, grade_id): (manual_score, extra_credit)} of a submission ({} if none yet)."""
    from nbgrader.api import MissingEntry

    try:
        submission = gb.find_submission(assignment, student)
    except MissingEntry:
        return {}
    return {(nb.name, g.name): (g.manual_score, g.extra_credit) for nb in submission.notebooks for g in nb.grades}


def _restore_manual(gb, assignment, student, before):
    """Put back the manual scores and extra credit of ``before``; return the grade ids changed."""
    changed = []
    for nb in gb.find_submission(assignment, student).notebooks:
        for grade in nb.grades:
            want = before.get((nb.name, grade.name), (None, None))
            if (grade.manual_score, grade.extra_credit) != want:
                grade.manual_score, grade.extra_credit = want
                changed.append(grade.name)
    gb.db.commit()
    return changed


def _last_line(result):
    text = (result.get("error") or result.get("log") or "").strip().splitlines()
    return text[-1] if text else "no details"


def _total(gb, assignment, student):
    submission = gb.find_submission(assignment, student)
    return float(submission.score), float(submission.max_score)


def autograde_student(course, assignment, student, notebooks, *, force=False, options=None):
    """nbgrader autograde, then the engine, for one student; return a StudentOutcome."""
    digest = submission_digest(course.submitted_dir(student, assignment))
    state = _record_state(course, student, assignment, notebooks, digest)
    if state == "current" and not force:
        return StudentOutcome(student, "skipped", detail="unchanged since it was regraded (--force regrades)")
    with course.gradebook() as gb:
        before = _snapshot_manual(gb, assignment, student)
    with _quiet_nbgrader():
        result = course.api.autograde(assignment, student, force=force or state == "stale")
    if not result.get("success"):
        return StudentOutcome(student, "failed", detail=f"nbgrader autograde failed: {_last_line(result)}")
    outcome = StudentOutcome(student, "regraded")
    with course.gradebook() as gb:
        forged = _restore_manual(gb, assignment, student, before)
        outcome.kernel_score, outcome.max_score = _total(gb, assignment, student)
    if forged:
        outcome.detail = f"manual scores changed while the kernel ran were put back: {', '.join(forged)}"
    record = {"version": RECORD_VERSION, "submission_sha256": digest}
    for name in notebooks:
        path = course.autograded_dir(student, assignment) / f"{name}.ipynb"
        if not path.is_file():  # not submitted: nbgrader ran nothing, nothing to overturn
            continue
        with course.gradebook() as gb:
            cells = rg.graded_code_cells(gb, name, assignment)
        regrade = rg.engine_verdicts(path, cells, options)
        with course.gradebook() as gb:
            rg.apply_to_gradebook(gb, regrade, assignment, student)
        rg.annotate_notebook(path, regrade, {**record, "cells": regrade.to_dict()["cells"]})
        outcome.notebooks.append(regrade)
    with course.gradebook() as gb:
        outcome.score, outcome.max_score = _total(gb, assignment, student)
    return outcome


def require_data(assignment, data_dir=None):
    """Stop before any kernel runs when the assignment's MNIST gate has no data."""
    if "mnist" not in conv.ASSIGNMENTS.get(assignment, ()):
        return
    import mnist_data

    try:
        mnist_data.cache_paths(data_dir)
    except mnist_data.MNISTError as exc:
        raise UserError(f"{assignment}'s MNIST accuracy gate needs the MNIST data: {exc}") from None
