"""gradebook.csv: one row per student, points per exercise; the same class gives the same bytes."""
from __future__ import annotations

import csv
import io

from autograder.atomic import write_text_atomic
from autograder.exercises import EXERCISES
from autograder.sanitize import clean_cell

COLUMNS = ("student", "score", "max_score", *EXERCISES, "status")
NOT_RUN = "not run"  # an exercise cell whose exercise could not be run (no data): outside score and max_score


def points(x: float) -> str:
    """A score as the gradebook writes it: at most 4 decimals, no trailing zeros (6.6667, 10)."""
    return f"{round(x, 4) + 0.0:g}" if abs(x) < 1e6 else f"{round(x, 4)}"


def gradebook_rows(records, full_marks: float, only=None) -> list[list[str]]:
    """The gradebook as rows of strings (header first), sorted by student id.

    Inputs:
    - records: SubmissionRecords.
    - full_marks: max_score for a submission that has no result (refused, crashed, timed out).
    - only: the exercise ids graded in this batch (None: all).

    An exercise cell is empty when the submission did not cover it (a notebook of another
    assignment, ``--only``) and says "not run" when it could not be graded (the MNIST gate
    without data: score and max_score leave it out); a submission without a result scores 0
    everywhere. No timings:
    the file depends only on the verdicts.
    """
    rows = [list(COLUMNS)]
    for record in sorted(records, key=lambda r: r.student):
        result = record.result
        if result is None:
            zeros = ["0" if only is None or e in only else "" for e in EXERCISES]
            rows.append([clean_cell(record.student), "0", points(full_marks), *zeros, record.status])
            continue
        cells = []
        for exercise in EXERCISES:
            try:
                ex = result.exercise(exercise)
            except KeyError:
                cells.append("")
                continue
            if any(c.not_run for c in ex.checks):  # e.g. the gate on a Dask worker without MNIST data
                cells.append(NOT_RUN)
            else:
                cells.append(points(ex.score) if ex.graded else "")
        # The id is a file name a student may have chosen: never a formula (sanitize.clean_cell).
        rows.append([clean_cell(record.student), points(result.score), points(result.max_score), *cells,
                     record.status])
    return rows


def write_gradebook(records, path, full_marks: float, only=None) -> None:
    """Write gradebook.csv atomically (see gradebook_rows)."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(gradebook_rows(records, full_marks, only))
    write_text_atomic(path, buf.getvalue())
