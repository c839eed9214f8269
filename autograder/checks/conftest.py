"""Fixtures for the checks. Read a check file first; this is the plumbing.

- ``student``: the student's module for the check's exercise, living in a
  worker process (a ``worker.Remote``). Calling into it sends plain data to the
  worker and returns plain data (or another Remote for objects).
- ``worker``: that worker itself, for ``put``/``fetch`` of arrays the student
  code may modify, and for ``probe`` helpers (grader code run in the worker).
- ``ref``: the reference module from ``solutions``, imported in the grader's process.
- ``rng``: a numpy Generator drawn from the run's input seed (a course secret, or a
  random seed per run; see ``autograder.seeds``) and the check's id. Every input a check
  makes comes from it, so no table of answers to the public kit's inputs earns anything;
  the book's fixed examples stay only beside inputs drawn from it.
- ``extra_data``: a dict stored with the check's result (Gradescope extra_data).
"""
import pytest

import solutions.functions
import solutions.gradient
import solutions.layers
import solutions.optimizer
import solutions.two_layer_net
from autograder.exercises import module_of
from autograder.plugin import CONTEXT, EXTRA, SPEC

# Imported here, at collection, before any student code runs (never lazily during a check).
REFERENCE = {m.__name__.rpartition(".")[2]: m for m in (
    solutions.functions, solutions.gradient, solutions.layers, solutions.two_layer_net, solutions.optimizer)}


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
    return REFERENCE[exercise.split(".", 1)[0]]


@pytest.fixture
def rng(request, context):
    return context.seed.rng(request.node.stash[SPEC].check_id)


@pytest.fixture
def extra_data(request):
    return request.node.stash[EXTRA]
