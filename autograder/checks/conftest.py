"""Fixtures for the checks. Read a check file first; this is the plumbing.

- ``student``: the student's module for the check's exercise, living in a
  worker process (a ``worker.Remote``). Calling into it sends plain data to the
  worker and returns plain data (or another Remote for objects).
- ``worker``: that worker itself, for ``put``/``fetch`` of arrays the student
  code may modify, and for ``probe`` helpers (grader code run in the worker).
- ``ref``: the reference module from ``solutions``, imported in the grader's process.
- ``rng``: a numpy Generator seeded from the check's id, so every run sees the
  same inputs.
- ``extra_data``: a dict stored with the check's result (Gradescope extra_data).
"""
import importlib

import pytest

from autograder.plugin import CONFIG, CONTEXT, EXTRA, SPEC, check_rng


@pytest.fixture(scope="session")
def context(request):
    return request.config.stash[CONTEXT]


@pytest.fixture
def exercise(request):
    return request.node.stash[SPEC].exercise


def _config(request, context, exercise):
    # The plugin may rerun a check with the student's own dependencies (pool.OWN_DEPS); a
    # module that cannot be imported beside the reference ones starts there (pool.config_for).
    return request.node.stash.get(CONFIG, None) or context.pool.config_for(exercise)


@pytest.fixture
def worker(request, context, exercise):
    return context.pool.worker(_config(request, context, exercise))


@pytest.fixture
def student(request, context, exercise):
    return context.pool.exercise_module(_config(request, context, exercise), exercise)


@pytest.fixture
def ref(exercise):
    return importlib.import_module(f"solutions.{exercise.split('.', 1)[0]}")


@pytest.fixture
def rng(request):
    return check_rng(request.node.stash[SPEC])


@pytest.fixture
def extra_data(request):
    return request.node.stash[EXTRA]
