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


BLAS_PROBE = """
import numpy  # noqa: F401  (loads OpenBLAS)
from threadpoolctl import threadpool_info


def blas_threads():
    return max(pool["num_threads"] for pool in threadpool_info())
"""


def blas_threads(path, options):
    """No grading: the BLAS threads of this slot and of a sandboxed worker it starts."""
    from threadpoolctl import threadpool_info

    from autograder.sandbox.isolation import resolve
    from autograder.sandbox.worker import Worker

    Path(path, "probe.py").write_text(BLAS_PROBE)
    with Worker(path, import_paths=[path], isolation=resolve(options.sandbox)) as worker:
        in_worker = worker.import_module("probe").blas_threads()
    return {"slot": max(pool["num_threads"] for pool in threadpool_info()), "worker": in_worker}
