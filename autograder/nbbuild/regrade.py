"""Regrade one autograded course notebook with the isolated engine and make its verdicts count.

Why: nbgrader runs the test cells in the student's own kernel, after the student's cells, so
an answer cell can replace what the test cells import (``autograder.notebook``), swallow
their errors or forge their outputs, and nbgrader then gives full marks. The engine
(:func:`autograder.grading.grade`) never runs student code in the process that decides.

For one notebook nbgrader has autograded (``autograded/<student>/<assignment>/<nb>.ipynb``,
where nbgrader has already put the locked cells back from the source notebook):

1. :func:`engine_verdicts` grades it with the engine and maps each check to its test cell
   through the builder's own naming (:func:`conventions.test_id`).
2. :func:`apply_to_gradebook` writes the engine's score as each test cell's ``auto_score``.
   A TA's ``manual_score`` is left alone (nbgrader's score is the manual one when set).
3. :func:`annotate_notebook` adds, to every test cell whose kernel result the engine
   overturned, an output saying so, which ``nbgrader generate_feedback`` renders; and
   records in the notebook's metadata which submission was regraded.

The orchestration over a course's students is :mod:`autograder.nbbuild.course`.
Importing this module needs nbgrader only for the gradebook functions' arguments.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from autograder import UserError
from autograder.atomic import write_text_atomic
from autograder.i18n import LANGUAGES, _, current_language, using_language
from autograder.nbbuild import conventions as conv
from autograder.nbbuild import text as nbtext

# Where the regrade record goes in the autograded notebook's metadata (nbgrader's autograde
# clears notebook metadata, so a record there means: regraded after nbgrader's last run).
RECORD_KEY = "dlgrade_regrade"
# The sentence every overturned test cell shows in the feedback.
# English; a note speaks the notebook's language (the notebooks' catalog, autograder/nbbuild/text.py).
REGRADED_NOTE = "This test cell was regraded in isolation"
MESSAGE_CAP = 4000  # characters of an engine failure message copied into the feedback
SCORE_TOL = 1e-6  # points: below this, the kernel and the engine agree
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


@dataclass
class CellVerdict:
    """One test cell: what the kernel gave, what the engine gives, and what counts."""

    grade_id: str
    max_score: float
    kernel_score: float | None  # nbgrader's auto_score from the kernel run
    engine_score: float | None  # None: no check of the engine has this cell's grade id
    passed: bool | None = None
    message: str = ""  # the engine's failure message (empty when it passed)
    manual_score: float | None = None  # a TA's override: it counts, whatever the scores above
    internal_error: bool = False

    @property
    def overturned(self):
        """The engine disagrees with the kernel (its score wins)."""
        if self.engine_score is None:
            return False
        return self.kernel_score is None or abs(self.kernel_score - self.engine_score) > SCORE_TOL

    def to_dict(self):
        return {"grade_id": self.grade_id, "max_score": self.max_score, "kernel_score": self.kernel_score,
                "engine_score": self.engine_score, "manual_score": self.manual_score,
                "overturned": self.overturned}


@dataclass
class NotebookRegrade:
    """The verdicts of one notebook of one student's submission."""

    notebook: str
    cells: list[CellVerdict] = field(default_factory=list)
    unreadable: str = ""  # why the engine could not read the notebook (every test cell scores 0)

    @property
    def overturned(self):
        return [c for c in self.cells if c.overturned]

    @property
    def unmapped(self):
        """Test cells the engine has no check for (left as the kernel graded them)."""
        return [c for c in self.cells if c.engine_score is None]

    @property
    def internal_errors(self):
        return [c for c in self.cells if c.internal_error]

    def to_dict(self):
        return {"notebook": self.notebook, "unreadable": self.unreadable,
                "cells": [c.to_dict() for c in self.cells]}


def clean_message(text: str) -> str:
    """Student-originated text made safe for a notebook output: no control characters
    (newlines and tabs kept), no lone surrogates, length capped."""
    text = text.encode("utf-8", "replace").decode("utf-8")
    text = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
    return text if len(text) <= MESSAGE_CAP else text[:MESSAGE_CAP] + "\n[... cut]"


def engine_verdicts(path: str | Path, test_cells: dict[str, float], options=None) -> NotebookRegrade:
    """Grade a course notebook with the engine; the verdict of each test cell.

    Inputs:
    - path: the notebook (.ipynb).
    - test_cells: {grade_id: max_score} of the notebook's graded code cells, from the
      gradebook (the source notebook's cells, not the student's copy).
    - options: grading.GradeOptions (default: the engine's defaults).

    Returns: a NotebookRegrade with engine_score, passed and message set (kernel_score None).
    A cell whose grade id is no check's :func:`conventions.test_id` keeps engine_score None.
    A notebook the engine rejects (UserError) scores 0 in every mapped cell, with the reason;
    sandbox.isolation.SandboxUnavailable is raised (no student is to blame for it).
    """
    from autograder.grading import grade
    from autograder.sandbox.isolation import SandboxUnavailable

    regrade = NotebookRegrade(Path(path).stem)
    by_cell = {}
    try:
        result = grade(str(path), options)
        by_cell = {conv.test_id(c.check_id): c for c in result.checks if c.graded}
    except SandboxUnavailable:
        raise  # the grader's problem, not the notebook's: nobody is graded
    except UserError as exc:
        regrade.unreadable = str(exc)
    known = None
    if regrade.unreadable:
        from autograder.grading import collect_checks

        known = {conv.test_id(spec.check_id) for spec in collect_checks()}
    for grade_id, max_score in test_cells.items():
        cell = CellVerdict(grade_id, max_score, kernel_score=None, engine_score=None)
        check = by_cell.get(grade_id)
        if check is not None:
            # nbgrader scores a test cell all or nothing, and one cell is one check.
            cell.passed = bool(check.passed)
            cell.engine_score = max_score if cell.passed else 0.0
            cell.message = "" if cell.passed else (check.output or "")
            cell.internal_error = bool(check.internal_error)
        elif known is not None and grade_id in known:
            cell.passed, cell.engine_score, cell.message = False, 0.0, regrade.unreadable
        regrade.cells.append(cell)
    return regrade


def graded_code_cells(gradebook, notebook: str, assignment: str) -> dict[str, float]:
    """{grade_id: max_score} of a notebook's autograded code cells, as the gradebook knows them.

    Inputs:
    - gradebook: an open nbgrader.api.Gradebook.
    - notebook, assignment: nbgrader's notebook id (file stem) and assignment id.
    """
    nb = gradebook.find_notebook(notebook, assignment)
    return {cell.name: float(cell.max_score) for cell in nb.grade_cells if cell.cell_type == "code"}


def apply_to_gradebook(gradebook, regrade: NotebookRegrade, assignment: str, student: str) -> NotebookRegrade:
    """Write the engine's scores into the gradebook as the test cells' auto scores.

    Inputs:
    - gradebook: an open nbgrader.api.Gradebook.
    - regrade: a NotebookRegrade from :func:`engine_verdicts`; its cells' kernel_score and
      manual_score are filled in from the gradebook here (before anything is changed).
    - assignment, student: nbgrader ids.

    A manual score stays: it is the TA's override and nbgrader counts it instead of the
    auto score, as nbgrader's own autograde does; ``needs_manual_grade`` follows nbgrader's
    rule (set when there is a manual score to review).
    """
    for cell in regrade.cells:
        grade = gradebook.find_grade(cell.grade_id, regrade.notebook, assignment, student)
        cell.kernel_score = grade.auto_score
        cell.manual_score = grade.manual_score
        if cell.engine_score is None:
            continue
        grade.auto_score = cell.engine_score
        grade.needs_manual_grade = grade.manual_score is not None
    gradebook.db.commit()
    return regrade


def _note(cell, lang="en"):
    """The output that tells the student the engine overturned the kernel's result."""
    verdict = (_("{note} (outside your notebook's kernel, by the course's grader): it passes, "
                 "score {score} / {max_score}. The result your notebook's kernel gave does not count.")
               if cell.passed else
               _("{note} (outside your notebook's kernel, by the course's grader): it fails, "
                 "score {score} / {max_score}. The result your notebook's kernel gave does not count."))
    head = verdict.format(note=nbtext.translate(REGRADED_NOTE, lang), score=f"{cell.engine_score:g}", max_score=f"{cell.max_score:g}")
    if cell.passed:
        return {"output_type": "stream", "name": "stdout", "text": head + "\n"}
    lines = [head] + clean_message(cell.message).splitlines()
    # An error output, so the feedback shows the cell as failed, as for any failing test
    # (the feedback's ClearHiddenTestsAndTracebacks keeps "ename: evalue" of hidden cells).
    return {"output_type": "error", "ename": "RegradedInIsolation", "evalue": "\n".join(lines),
            "traceback": lines}


def annotate_notebook(path: str | Path, regrade: NotebookRegrade, record: dict) -> None:
    """Add the "regraded in isolation" note to the overturned test cells; store the record.

    Inputs:
    - path: the autograded notebook (rewritten atomically).
    - regrade: the NotebookRegrade whose verdicts were written to the gradebook.
    - record: JSON-able dict stored in the notebook's metadata under RECORD_KEY (which
      submission was regraded; see :mod:`autograder.nbbuild.course`).
    """
    import nbformat

    nb = nbformat.read(str(path), as_version=4)
    overturned = {c.grade_id: c for c in regrade.overturned}
    # The note speaks the notebook's language (``dlgrade nbgrader build --lang``).
    lang = nb.metadata.get("dlgrade", {}).get("language")
    lang = lang if lang in LANGUAGES else current_language()
    with using_language(lang):
        for cell in nb.cells:
            grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
            if cell.cell_type == "code" and grade_id in overturned:
                cell.outputs.append(nbformat.from_dict(_note(overturned[grade_id], lang)))
    nb.metadata[RECORD_KEY] = json.loads(json.dumps(record))
    write_text_atomic(path, nbformat.writes(nb) + "\n")


def read_record(path: str | Path) -> dict | None:
    """The regrade record stored in an autograded notebook, or None (never regraded, or
    nbgrader autograded it again since, or it cannot be read)."""
    try:
        with open(path, encoding="utf-8") as f:
            record = json.load(f).get("metadata", {}).get(RECORD_KEY)
    except (OSError, ValueError, AttributeError):
        return None
    return record if isinstance(record, dict) else None
