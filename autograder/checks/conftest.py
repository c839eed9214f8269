"""Fixtures for the checks. Read a check file first; this is the plumbing.

- ``student``: the student's module for the check's exercise, living in a
  worker process (a ``worker.Remote``). Calling into it sends plain data to the
  worker and returns plain data (or another Remote for objects).
- ``worker``: that worker itself, for ``put``/``fetch`` of arrays the student
  code may modify, and for ``probe`` helpers (grader code run in the worker).
- ``ref``: the reference module (the repository's ``solutions/``, installed as
  ``dlscratch_reference``), imported in the grader's process. In a student distribution,
  which has no reference code, a stand-in that replays the reference's recorded answers
  (``autograder.studentdist``).
- ``rng``: a numpy Generator drawn from the run's input seed (a course secret, or a
  random seed per run; see ``autograder.seeds``) and the check's id. Every input a check
  makes comes from it, so no table of answers to the public kit's inputs earns anything;
  the book's fixed examples stay only beside inputs drawn from it.
- ``extra_data``: a dict stored with the check's result (Gradescope extra_data).
"""
import pytest

from autograder import reference, studentdist
from autograder.plugin import CONFIG, CONTEXT, EXTRA, SPEC

if reference.available():
    import dlscratch_reference.functions
    import dlscratch_reference.gradient
    import dlscratch_reference.layers
    import dlscratch_reference.optimizer
    import dlscratch_reference.two_layer_net

    # Imported here, at collection, before any student code runs (never lazily during a check).
    REFERENCE = {m.__name__.rpartition(".")[2]: m for m in (
        dlscratch_reference.functions, dlscratch_reference.gradient, dlscratch_reference.layers,
        dlscratch_reference.two_layer_net, dlscratch_reference.optimizer)}
else:
    REFERENCE = {}  # a student distribution: the recording answers (studentdist.reference_module)


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
    config = _config(request, context, exercise)
    module = context.pool.exercise_module(config, exercise)
    context.seed_random(config, request.node.stash[SPEC].check_id)
    return module


@pytest.fixture
def ref(request, context, exercise):
    module = exercise.split(".", 1)[0]
    return studentdist.reference_module(context, request.node.stash[SPEC].check_id, module, REFERENCE.get(module))


@pytest.fixture
def rng(request, context):
    return context.seed.rng(request.node.stash[SPEC].check_id)


@pytest.fixture
def extra_data(request):
    return request.node.stash[EXTRA]
