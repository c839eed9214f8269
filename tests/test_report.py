"""The terminal report of ``dlgrade grade`` (autograder/report.py): a report that teaches.

Its shape (the untouched stubs: one line per exercise), identical failures collapsed (a
syntax error: one line for its module), the most informative failure first, the MNIST
gate's line with the accuracy reached and the threshold, the student's and the TA's views,
and no grader-internal names (also asserted for every corpus entry, in test_corpus.py and
test_realistic.py, from the gradings those tests make anyway).
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import corpus
from autograder.compare import expect_close
from autograder.exercises import EXERCISES, module_of
from autograder.grading import GradeOptions, collect_checks, grade
from autograder.plugin import classify
from autograder.report import render
from autograder.results import CheckResult, ExerciseResult, GradeResult
from autograder.sandbox.errors import StudentException
from tests_support import internal_names

ROOT = Path(__file__).resolve().parent.parent
LAYERS = frozenset(e for e in EXERCISES if module_of(e) == "layers")


def dlgrade(*args):
    return subprocess.run([sys.executable, "-m", "autograder", *map(str, args)], capture_output=True, text=True,
                          timeout=600)


def rows(report):
    """The table of a report: the lines between the header and the Total line that start a block."""
    lines = report.splitlines()
    start = lines.index("") + 1
    end = next(i for i, line in enumerate(lines) if re.match(r"^ {2}Total\b", line))
    return [line for line in lines[start:end] if re.match(r"^ {2}\S", line)]


def row_of(report, name):
    return next(line for line in rows(report) if line.split()[0] == name)


# --------------------------------------------------------------------------- shape and collapsing


@pytest.mark.mnist
def test_untouched_stubs_give_one_line_per_exercise(mnist_dir):
    proc = dlgrade("grade", ROOT / "exercises")
    assert proc.returncode == 0, proc.stderr
    report = proc.stdout
    table = rows(report)
    assert [line.split()[0] for line in table] == list(EXERCISES), report
    assert all(re.search(r"not implemented yet: \d+ checks?\b", line) for line in table), report
    # Nothing but the header, the table and the total: no failure is spelled out.
    body = report.splitlines()[report.splitlines().index(""):]
    assert len(body) == len(EXERCISES) + 3, report
    assert "NotImplementedError" not in report and "TODO" not in report
    assert internal_names(report) == []


@pytest.fixture(scope="module")
def syntax_error_run(tmp_path_factory):
    """hostile/syntax_error (a colon missing in layers.py), its layers graded, as the command prints it."""
    tmp = tmp_path_factory.mktemp("syntax")
    entry = corpus.load_entry(corpus.SUBMISSIONS / "hostile/syntax_error")
    submission = corpus.assemble(entry, tmp / "submission")
    only = [arg for e in sorted(LAYERS) for arg in ("--only", e)]
    proc = dlgrade("grade", submission, "--json", tmp / "results.json", *only)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout, json.loads((tmp / "results.json").read_text())


def test_a_module_that_does_not_import_is_one_line(syntax_error_run):
    report, results = syntax_error_run
    checks = [c for c in collect_checks() if c.exercise in LAYERS]
    mentions = [line for line in report.splitlines() if "SyntaxError" in line]
    assert len(mentions) == 1, report
    assert re.search(r"layers\.py does not import: SyntaxError at line \d+: expected ':' "
                     rf"\(the {len(checks)} checks of its {len(LAYERS)} exercises\)", mentions[0]), report
    assert mentions[0].startswith("  layers.* ") and re.search(r"\b0 / 34\b", mentions[0])
    assert report.count("class Relu") == 1, "the offending source line is shown once"
    assert not any(line.split()[0] in LAYERS for line in rows(report)), "no row per exercise of the module"
    # results.json keeps the whole message for each check (Gradescope shows it per test).
    layer_tests = [t for t in results["tests"] if t["tags"][0] in LAYERS]
    assert len(layer_tests) == len(checks)
    assert all("could not be imported" in t["output"] and "SyntaxError" in t["output"] for t in layer_tests)
    assert internal_names(report) == []


def test_exercises_not_graded_are_listed_once_at_the_end(syntax_error_run):
    report, _ = syntax_error_run
    others = [e for e in EXERCISES if e not in LAYERS]
    assert not any(line.split()[0] in others for line in rows(report)), "no row for an exercise not graded"
    tail = report[report.index("  Total"):]
    listed = [line for line in tail.splitlines() if "excluded by --only" in line]
    assert len(listed) == 1, tail
    text = " ".join(tail.split())
    assert all(text.count(e) == 1 for e in others), tail


# --------------------------------------------------------------------------- order


def failure_of(call):
    """The exception a comparison or a student call raises, and the CheckResult built from it."""
    try:
        call()
    except Exception as exc:  # noqa: BLE001 - the failure is the point
        return exc
    raise AssertionError("no failure")


def result_with(checks):
    for n, (name, exc) in enumerate(checks):
        yield CheckResult(f"functions.softmax::test_{n}", "functions.softmax", name, 0.0, 1.0, False,
                          output=str(exc.describe() if hasattr(exc, "describe") else exc), failure=classify(exc))


def test_most_informative_failure_first_and_same_hints_collapse():
    """A recognised mistake (hint) before a bare mismatch before "not implemented", whatever the check order."""
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    wrong = x / x.sum()
    hint = "Normalise each row (axis=1), not the whole array."
    checks = list(result_with([
        ("the backward pass", StudentException("NotImplementedError", "TODO", not_implemented=True,
                                               context="calling method Softmax.backward")),
        ("a bare mismatch", failure_of(lambda: expect_close(x + 1, x, "softmax(x) for x of shape (2, 2)"))),
        ("the batch example", failure_of(lambda: expect_close(wrong, x, "softmax(x) for a batch", hints={hint: wrong}))),
        ("another batch", failure_of(lambda: expect_close(wrong, x, "softmax(x) for another batch",
                                                          hints={hint: wrong}))),
    ]))
    result = GradeResult("s", [ExerciseResult("functions.softmax", checks)], output="Graded s.")
    report = render(result)
    lines = report.splitlines()
    first = next(i for i, line in enumerate(lines) if "✗ the batch example" in line)
    bare = next(i for i, line in enumerate(lines) if "✗ a bare mismatch" in line)
    stub = next(i for i, line in enumerate(lines) if "✗ not implemented yet (Softmax.backward): 1 check" in line)
    assert first < bare < stub, report
    assert report.count(hint) == 1 and "The same failure in 1 more check: another batch." in report, report
    assert "✗ another batch" not in report


@pytest.fixture(scope="module")
def cee_sum_not_mean(tmp_path_factory):
    entry = corpus.load_entry(corpus.SUBMISSIONS / "buggy/cee_sum_not_mean")
    submission = corpus.assemble(entry, tmp_path_factory.mktemp("cee") / "submission")
    return grade(submission, GradeOptions(only=frozenset({"functions.cross_entropy_error"})))


def test_a_real_grading_leads_with_the_recognised_mistake(cee_sum_not_mean):
    report = render(cee_sum_not_mean, show_hidden=False)
    block = report[report.index("  functions.cross_entropy_error"):report.index("  Total")].splitlines()
    assert block[1].startswith("      ✗ ") and "Hint: Divide by the batch size" in "\n".join(block[1:6]), report
    assert report.count("Divide by the batch size: the loss of a batch is the mean, not the sum.") == 1, report
    assert "The same failure in 1 more check" in report


def test_edge_case_checks_name_the_mistake_they_detect(cee_sum_not_mean):
    """The "stays finite" check of a loss that is finite but summed says so, not a bare "wrong values"."""
    finite = next(c for c in cee_sum_not_mean.checks if c.check_id.endswith("test_zero_probability_at_target"))
    assert not finite.passed and "the loss of a batch is the mean over its samples" in finite.output
    assert "not finite" not in finite.output


def test_student_view_hides_what_the_ta_view_shows(cee_sum_not_mean):
    ta, student = render(cee_sum_not_mean), render(cee_sum_not_mean, show_hidden=False)
    flat_ta, flat_student = " ".join(ta.split()), " ".join(student.split())
    title = "cross_entropy_error stays finite when the target's probability is 0"
    assert "the loss of a batch is the mean over its samples" in flat_ta
    assert "the loss of a batch is the mean over its samples" not in flat_student
    assert f"✗ {title}: hidden check, details are not shown" in student
    assert internal_names(ta) == [] and internal_names(student) == []


# --------------------------------------------------------------------------- the MNIST gate


def gate_report(tmp_path, submission, threshold, iterations=200):
    rubric = tmp_path / f"rubric-{threshold}.toml"
    rubric.write_text(f"[mnist]\nthreshold = {threshold}\niterations = {iterations}\n")
    out = tmp_path / f"results-{threshold}.json"
    proc = dlgrade("grade", submission, "--only", "mnist", "--rubric", rubric, "--json", out)
    assert proc.returncode == 0, proc.stderr
    gate = next(t for t in json.loads(out.read_text())["tests"] if t["tags"][0] == "mnist")
    return proc.stdout, gate


@pytest.mark.mnist
def test_the_gate_line_shows_accuracy_and_threshold(tmp_path, mnist_dir):
    for threshold, passes in ((0.5, True), (0.99, False)):
        report, gate = gate_report(tmp_path, ROOT / "solutions", threshold)
        reached = gate["extra_data"]["test_accuracy"][-1]
        line = row_of(report, "mnist")
        assert f"test accuracy {reached:.4f} (required: {threshold:g})" in line, report
        assert (gate["status"] == "passed") is passes
        assert line.split()[1:4] == (["8", "/", "8"] if passes else ["0", "/", "8"]), line


@pytest.mark.mnist
def test_a_gate_failure_names_the_students_array(tmp_path, mnist_dir):
    entry = corpus.load_entry(corpus.SUBMISSIONS / "buggy/affine_dW_transposed")
    submission = corpus.assemble(entry, tmp_path / "submission")
    report, gate = gate_report(tmp_path, submission, 0.95)
    assert gate["status"] == "failed"
    assert "grads['W1'] returned by net.gradient(x, t) has shape (50, 784), expected (784, 50)" in report, report
    assert "broadcast" not in report
    assert "failed: required test accuracy: 0.95" in row_of(report, "mnist")
    assert internal_names(report) == []
