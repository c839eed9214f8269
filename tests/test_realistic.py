"""The autograder against whole submissions written as learners of the book write them.

Each entry of ``tests/submissions/realistic/`` (format: ``tests/corpus.py``) is
graded once, with every exercise except the slow MNIST gate (which runs only
for the entries that ask for it), and must get exactly its stated result:
the exercises under ``[fail]`` lose points, every other exercise keeps full
marks. The corpus reproduces what learners publish: the book's files pasted
whole, older names, own class names, CRLF, CJK comments, helper modules, and
the real bugs that come with them (a bug is charged once: blame isolation).

A student who runs the visible checks before the deadline must learn of every
bug: each ``[fail]`` exercise must also fail at least one *visible* check (hidden
and after-due-date checks may add detail). Both are asserted from the same
grading, so each entry is graded once.

Needs MNIST_DATA_DIR for the entries with ``mnist = true``; without it they fail.
"""
from __future__ import annotations

import os

import pytest

import corpus
from autograder.exercises import EXERCISES
from autograder.grading import GradeOptions, grade
from autograder.report import render
from tests_support import internal_names

ENTRIES = corpus.load_realistic()
MIN_ENTRIES = 25
# Seconds per call into student code. Some entries import matplotlib at module level, as the book's
# chapter scripts do: about 1.5 s of CPU, which a loaded 2-core CI machine can stretch past the default
# 5 s wall-clock limit. These verdicts are about fair checks; time limits are tested by the hostile corpus.
TIMEOUT = 20.0


def verdict_problems(entry, result):
    """Everything in which the grade differs from the entry's expectation (empty = as expected)."""
    problems = []
    for c in result.checks:
        if c.internal_error:
            problems.append(f"internal grader error in {c.check_id}: {c.output}")
    for exercise in sorted(entry.exercises_to_grade(), key=EXERCISES.index):
        ex = result.exercise(exercise)
        if not ex.checks or ex.max_score <= 0:
            problems.append(f"{exercise}: no checks with points were run")
            continue
        full = ex.score >= ex.max_score - 1e-9
        if entry.expected(exercise) == "fail" and full:
            problems.append(f"{exercise}: kept full marks ({ex.score:g}/{ex.max_score:g}) but should lose "
                            f"points: {entry.fail[exercise]}")
        elif entry.expected(exercise) == "pass" and not full:
            details = "\n".join(f"    {c.check_id}: {c.output}" for c in ex.failed)
            problems.append(f"{exercise}: lost points ({ex.score:g}/{ex.max_score:g}) but must keep full marks "
                            f"({entry.why}):\n{details}")
    for exercise, why in entry.fail.items():
        failed = result.exercise(exercise).failed
        if failed and not any(c.visibility == "visible" for c in failed):
            caught_by = ", ".join(f"{c.check_id} ({c.visibility})" for c in failed)
            problems.append(f"{exercise}: no visible check fails ({why}); it is caught only by {caught_by}")
    failures = (c.output for e in entry.fail for c in result.exercise(e).failed)
    text = "\n".join([result.to_dict()["output"], *failures])
    for needle in entry.output_contains:
        if needle.lower() not in text.lower():
            problems.append(f"the report does not mention {needle!r}; it says:\n{text}")
    return problems


def test_corpus_size_and_mix():
    """At least 25 entries; about a third fully correct, the rest with real bugs; every exercise charged somewhere."""
    assert len(ENTRIES) >= MIN_ENTRIES, f"{len(ENTRIES)} realistic entries, need at least {MIN_ENTRIES}"
    correct = [e for e in ENTRIES if not e.fail]
    assert len(ENTRIES) // 5 <= len(correct) <= len(ENTRIES) // 2, (
        f"{len(correct)} of {len(ENTRIES)} entries are fully correct; aim for about a third")
    charged = {x for e in ENTRIES for x in e.fail}
    uncharged = set(EXERCISES) - charged - {"mnist"}
    assert not uncharged, f"no realistic entry has a bug in {sorted(uncharged)}"
    assert any(e.mnist for e in ENTRIES), "no entry runs the MNIST gate"


def test_entries_are_the_learners_own_files():
    """Every entry is a whole submission of the learner's own modules: none is the kit's reference or stub."""
    for entry in ENTRIES:
        for f in corpus.MODULE_FILES:
            text = (entry.path / f).read_text(encoding="utf-8")
            assert "### BEGIN SOLUTION" not in text, f"{entry.id}/{f} is the reference solution"
            assert "YOUR CODE HERE" not in text and "NotImplementedError" not in text, f"{entry.id}/{f} is a stub"


@pytest.mark.parametrize("text, message", [
    ('description = "d"\nwhy = "w"\nloses = ["layers.Affine"]', "unknown key(s) ['loses']"),
    ('description = "d"\nwhy = "w"\n[fail]\n"layers.Afine" = "typo"', "unknown exercise id 'layers.Afine'"),
    ('description = "d"\nwhy = "w"\n[fail]\n"mnist" = "slow"', "only runs with mnist = true"),
    ('description = "d"\nwhy = "w"\nneeds = ["magic"]', "unknown feature 'magic'"),
    ('description = "d"\n', "'why' must be a non-empty string"),
    ('description = "d"\nwhy = "w"\ngrade = ["optimiser"]', "unknown module or exercise id 'optimiser'"),
    ('description = "d"\nwhy = "w"\ngrade = ["optimizer"]\n[fail]\n"layers.Affine" = "b"', "which 'grade' leaves out"),
])
def test_malformed_entries_are_refused(tmp_path, text, message):
    """A typo in expected.toml is an error naming the entry, not a silently weaker expectation."""
    entry = tmp_path / "some_learner"
    entry.mkdir()
    for f in corpus.MODULE_FILES:
        (entry / f).write_text("import numpy as np\n")
    (entry / corpus.REALISTIC_FILE).write_text(text)
    with pytest.raises(corpus.CorpusError, match="some_learner") as info:
        corpus.load_realistic_entry(entry)
    assert message in str(info.value)
    (entry / corpus.REALISTIC_FILE).write_text('description = "d"\nwhy = "w"\n')
    (entry / "layers.py").unlink()
    with pytest.raises(corpus.CorpusError, match="missing"):
        corpus.load_realistic_entry(entry)


def test_grade_limits_an_entry_to_its_modules(tmp_path):
    """`grade` names modules or exercise ids; the MNIST gate comes with `mnist = true` alone."""
    entry = tmp_path / "some_learner"
    entry.mkdir()
    for f in corpus.MODULE_FILES:
        (entry / f).write_text("import numpy as np\n")
    (entry / corpus.REALISTIC_FILE).write_text('description = "d"\nwhy = "w"\nmnist = true\n'
                                               'grade = ["optimizer", "layers.Relu"]\n')
    loaded = corpus.load_realistic_entry(entry)
    assert loaded.exercises_to_grade() == {e for e in EXERCISES if e.startswith("optimizer.")} | {"layers.Relu", "mnist"}
    (entry / corpus.REALISTIC_FILE).write_text('description = "d"\nwhy = "w"\n')
    assert corpus.load_realistic_entry(entry).exercises_to_grade() == set(EXERCISES) - {"mnist"}


@pytest.mark.parametrize("entry", ENTRIES, ids=[e.id for e in ENTRIES])
def test_entry_gets_its_stated_result(entry, tmp_path):
    """The [fail] exercises lose points (a visible check among them), every other exercise keeps full marks."""
    if entry.mnist and not os.environ.get("MNIST_DATA_DIR"):
        pytest.fail(f"{entry.id} runs the MNIST gate: set MNIST_DATA_DIR to the folder with the four MNIST .gz files")
    submission = corpus.copy_realistic(entry, tmp_path / "submission")
    result = grade(submission, GradeOptions(timeout=TIMEOUT, only=entry.exercises_to_grade()))
    problems = verdict_problems(entry, result)
    assert not problems, f"{entry.id} ({entry.description}):\n" + "\n".join(problems)
    for view in (render(result), render(result, show_hidden=False)):
        leaks = internal_names(view)
        assert not leaks, f"{entry.id}: the report shows grader-internal names:\n" + "\n".join(leaks)

