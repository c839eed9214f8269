"""Grading functions for batch slots in tests (``slot.Slot(target="batch_targets:...")``).

They grade as ``autograder.grading.grade`` does, except for the submission a test names,
whose grader process really dies or really hangs: the batch must keep that to its row.
The test puts this folder on PYTHONPATH so that slot processes can import the module.
"""
import os
import time
from pathlib import Path

from autograder.grading import grade


def crash_or_hang(path, options):
    """bob's grader process exits (status 7); carol's hangs; the others are graded."""
    name = Path(path).name
    if name == "bob":
        os._exit(7)
    if name == "carol":
        time.sleep(600)
    return grade(path, options)


def slow(path, options):
    """Grade after a pause, so a test can act while a submission is being graded."""
    time.sleep(float(os.environ.get("DLGRADE_TEST_PAUSE", "3")))
    return grade(path, options)


def name_only(path, options):
    """No grading: the submission's folder name (for tests of the slots themselves)."""
    return Path(path).name
