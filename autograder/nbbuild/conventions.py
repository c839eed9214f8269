"""What a course notebook looks like to the code that reads it back: grade ids and assignments.

Both sides depend on this module: the builder (:mod:`autograder.nbbuild.build`) writes
notebooks that follow it, and the notebook reader (:mod:`autograder.nbbuild.extract`,
behind ``dlgrade grade NOTEBOOK.ipynb``) turns a student's notebook back into exercise
modules with it. It imports nothing heavy, so grading a folder never pays for it.

nbgrader ``grade_id`` conventions (unique within a notebook):

- ``given-setup``: the locked imports cell at the top.
- ``given-<module>-<what>``: locked code that belongs to exercise module ``<module>``:
  its private helpers (``given-functions-helpers``) or reference code from an earlier
  assignment (``given-functions-reference``). Read back as part of ``<module>.py``.
- ``sol-<module>-<Name>``: the student's answer cell for exercise ``<module>.<Name>``.
  Read back as part of ``<module>.py``.
- ``test-<module>-<Name>-<check>`` (``test-mnist-<check>`` for the gate): one locked,
  graded cell per check of the grading engine.
- ``demo-<what>``: locked code the student runs to see something (a plot, a training
  run); never read back.

Module names use ``_`` (``two_layer_net``) and grade-id fields are separated by ``-``,
so ``grade_id.split("-", 2)`` recovers the module.
"""
import re

from autograder.exercises import ASSIGNMENTS, IMPORTS

# Imported at the top of every module read back from a notebook, and in the notebook's
# given-setup cell: every import the reference solutions make (a test keeps them in sync).
MODULE_IMPORTS = (
    "import numbers",
    "import numpy as np",
    "from collections import OrderedDict",
)

# Exercise modules whose names a module's code uses from earlier notebooks (the
# reference solutions' relative imports; a test keeps them in sync), in module order.
MODULE_DEPS = IMPORTS

# The three assignments, in course order, with the exercises each one grades (from the
# catalog, autograder/exercises.py; "mnist" is the accuracy gate). Re-exported here for the
# notebook code.
__all__ = ["ASSIGNMENTS", "MODULE_DEPS", "MODULE_IMPORTS", "SETUP_ID", "sanitize", "solution_id",
           "given_id", "test_id", "module_of_cell", "exercises_of_solutions"]

SETUP_ID = "given-setup"
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


def sanitize(text):
    """A grade-id fragment: letters, digits, '-' and '_' only (``test_forward[one-hot]``
    becomes ``test_forward-one-hot``)."""
    return _UNSAFE.sub("-", text).strip("-")


def solution_id(exercise):
    """``layers.Affine`` -> ``sol-layers-Affine``."""
    module, name = exercise.split(".", 1)
    return f"sol-{module}-{name}"


def given_id(module, what):
    """``("functions", "helpers")`` -> ``given-functions-helpers``."""
    return f"given-{module}-{sanitize(what)}"


def test_id(check_id):
    """``functions.softmax::test_batch_rows`` -> ``test-functions-softmax-test_batch_rows``."""
    exercise, check = check_id.split("::", 1)
    return "test-" + "-".join(sanitize(part) for part in exercise.split(".")) + "-" + sanitize(check)


def module_of_cell(grade_id):
    """The exercise module a code cell belongs to when a notebook is read back, or None.

    Inputs:
    - grade_id: the cell's nbgrader grade_id (any string).

    Returns: the module name for ``sol-<module>-...`` and ``given-<module>-...`` cells
    (``given-setup`` excluded), None for every other cell.
    """
    if not isinstance(grade_id, str):
        return None
    parts = grade_id.split("-", 2)
    if len(parts) == 3 and parts[0] in ("sol", "given") and parts[1] in MODULE_DEPS and parts[2]:
        return parts[1]
    return None


def exercises_of_solutions(solution_ids):
    """The exercises graded for a notebook holding these solution cells.

    Inputs:
    - solution_ids: grade ids of the notebook's ``sol-`` cells.

    Returns: the exercise ids of every assignment with at least one of these cells, in
    EXERCISES order (a notebook of one assignment gets exactly that assignment's exercises,
    including ones whose answer cell was deleted).
    """
    found = set(solution_ids)
    exercises = []
    for members in ASSIGNMENTS.values():
        if any(solution_id(e) in found for e in members if e != "mnist"):
            exercises.extend(members)
    return tuple(exercises)
