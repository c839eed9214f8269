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
import zlib

import numpy as np
import pytest

from autograder.exercises import module_of
from autograder.plugin import CONTEXT, EXTRA, SPEC


@pytest.fixture(scope="session")
def context(request):
    return request.config.stash[CONTEXT]


@pytest.fixture
def exercise(request):
    return request.node.stash[SPEC].exercise


@pytest.fixture
def worker(context, exercise):
    return context.pool.worker(module_of(exercise))


@pytest.fixture
def student(context, exercise):
    module = exercise.split(".", 1)[0]
    return context.pool.student_module(module_of(exercise), module)


@pytest.fixture
def ref(exercise):
    return importlib.import_module(f"solutions.{exercise.split('.', 1)[0]}")


@pytest.fixture
def rng(request):
    # crc32, not hash(): the seed must not change between runs (PYTHONHASHSEED).
    return np.random.default_rng(zlib.crc32(request.node.stash[SPEC].check_id.encode()))


@pytest.fixture
def extra_data(request):
    return request.node.stash[EXTRA]
