"""`dlgrade mutants`: making mutants of the reference, recognising equivalent ones, grading them.

The CLI test grades every mutant of one exercise with the real engine (worker
processes, the check suite) and holds its kill rate at the figure the checks
reached when this was written (KILL_RATE_FLOOR): a change to the checks that
lets a mutant survive fails it. `dlgrade mutants` over every exercise is too
slow for CI (about 130 mutants); the figures for all exercises are in the
README ("Measuring the checks").
"""
from __future__ import annotations

import ast
import json
import subprocess
import sys

import pytest

from autograder import mutants, stubgen
from autograder.exercises import EXERCISES

DLGRADE = [sys.executable, "-m", "autograder"]
SOLUTIONS = mutants.solutions_dir()

# The exercise graded in CI, and its kill rate with the default checks (killed / (killed + survived)).
CI_EXERCISE = "layers.Affine"
KILL_RATE_FLOOR = 1.0
VISIBLE_KILL_RATE_FLOOR = 1.0  # killed by at least one visible check

ALL = mutants.mutants_for()
BY_ID = {m.id: m for m in ALL}

SMALL = '''\
import numpy as np


def helper(x):
    return x - 1


def step(x, n, lr=0.1):
    """A small exercise."""
    y = helper(x)
    ### BEGIN SOLUTION
    out = x.copy()
    for _ in range(n):
        out -= lr * np.sum(out, axis=0) / out.shape[0]
    z = a + (b - c)
    return np.log(out + 1e-7) * 1
    ### END SOLUTION
'''


def test_every_operator_makes_mutants_of_the_reference():
    """No operator is dead: each one changes something in solutions/."""
    used = {m.operator for m in ALL}
    assert used == set(mutants.OPERATORS), f"operators without a mutant: {set(mutants.OPERATORS) - used}"
    assert {m.exercise for m in ALL} == set(EXERCISES) - {mutants.GATE}


@pytest.mark.parametrize("module", sorted({m.module for m in ALL}))
def test_mutants_change_only_solution_regions(module):
    """A mutant's stub is the reference's stub (only code a student writes changed); it compiles and differs."""
    reference = (SOLUTIONS / f"{module}.py").read_text(encoding="utf-8")
    stub = stubgen.make_stub(reference, f"solutions/{module}.py")
    sources = set()
    for m in (m for m in ALL if m.module == module):
        assert stubgen.make_stub(m.source, f"solutions/{module}.py") == stub, f"{m.id} changes code outside a region"
        assert ast.dump(ast.parse(m.source)) != ast.dump(ast.parse(reference)), f"{m.id} changes nothing"
        compile(m.source, f"{module}.py", "exec")
        assert m.source not in sources, f"{m.id} duplicates another mutant"
        sources.add(m.source)
        assert reference.splitlines()[m.line - 1].strip().startswith(m.before.split(" / ")[0][:20])


def test_diff_lines_of_known_mutants():
    """The mistakes of the corpus are among the mutants, as one-line diffs that keep the reference's text."""
    diffs = {m.diff_line for m in ALL}
    for expected in (
        "layers.py:219: self.db = np.sum(dout, axis=0)  ->  self.db = np.sum(dout, axis=1)",
        "layers.py:220: return dx.reshape(*self.original_x_shape)  ->  return dx",
        "optimizer.py:43: params[key] -= self.lr * grads[key]  ->  params[key] = params[key] - self.lr * grads[key]",
        "gradient.py:82: for _ in range(step_num):  ->  for _ in range(step_num + 1):",
        "functions.py:112: return -np.sum(np.log(y[np.arange(batch_size), t] + 1e-7)) / batch_size  ->  "
        "return -np.sum(np.log(y[np.arange(batch_size), t])) / batch_size",
        "layers.py:267: dx = (self.y - self.t) / batch_size  ->  dx = self.y - self.t",
    ):
        assert any(d.endswith(expected.split(": ", 1)[1]) and d.startswith(expected.split(":")[0]) for d in diffs), \
            f"no mutant {expected!r}"


def test_small_source_operators_and_parentheses():
    """Each operator on a small module: only the region changes, and parentheses follow precedence."""
    found = mutants.make_mutants(SMALL.replace("def step", "def sigmoid"), "functions")
    afters = {(m.operator, m.after) for m in found}
    for expected in (
        ("copy", "out = x"),
        ("range", "for _ in range(n - 1):"),
        ("range", "for _ in range(n + 1):"),
        ("rebind", "out = out - lr * np.sum(out, axis=0) / out.shape[0]"),
        ("sign", "out += lr * np.sum(out, axis=0) / out.shape[0]"),
        ("axis", "out -= lr * np.sum(out, axis=1) / out.shape[0]"),
        ("axis", "out -= lr * np.sum(out) / out.shape[0]"),
        ("sum-mean", "out -= lr * np.mean(out, axis=0) / out.shape[0]"),
        ("division", "out -= lr * np.sum(out, axis=0)"),
        ("sign", "z = a - (b - c)"),  # the right operand keeps its parentheses under '-'
        ("sign", "z = a + (b + c)"),
        ("epsilon", "return np.log(out) * 1"),
    ):
        assert expected in afters, f"missing {expected}; got {sorted(afters)}"
    assert all(m.line > 10 for m in found), "code outside the solution region was mutated"
    factors = {m.after: m.equivalent for m in found if m.operator == "factor"}
    assert factors["return np.log(out + 1e-7)"] == "multiplying by 1 is the identity"
    assert factors["out -= np.sum(out, axis=0) / out.shape[0]"] == ""  # the forgotten learning rate
    rebind = next(m for m in found if m.operator == "rebind")
    assert "'out'" in rebind.equivalent  # a local holding a new array (out = x.copy())


def test_a_mutant_that_parses_otherwise_than_intended_is_refused(monkeypatch):
    """Every mutant's text parses to the reference's tree with exactly the one node replaced.

    Without parentheses, flipping the outer sign of a + (b - c) would give a - b - c, which is
    not the mutation; the guard refuses it.
    """
    monkeypatch.setattr(mutants, "_needs_parens", lambda child, parent, field: False)
    with pytest.raises(RuntimeError, match="does not parse as intended"):
        mutants.make_mutants(SMALL.replace("def step", "def sigmoid"), "functions", operators=["sign"])


def test_equivalent_and_accepted_mutants_of_the_reference():
    """Static rules mark what cannot change behaviour; the book's accepted conventions are marked apart."""
    marked = {m.diff_line.split(": ", 1)[1]: (m.equivalent, m.accepted) for m in ALL}
    assert marked["dx = dout * 1  ->  dx = dout"][0]
    assert marked["x -= lr * grad  ->  x = x - lr * grad"][0]  # gradient_descent's own copy
    assert marked["self.h[key] += grads[key] * grads[key]  ->  self.h[key] = self.h[key] + grads[key] * grads[key]"][0]
    assert "Fairness" in marked["x = init_x.copy()  ->  x = init_x"][1]
    assert "Fairness" in marked["dx = dout.copy()  ->  dx = dout"][1]
    # Rebinding the caller's params is the classic optimizer bug, never equivalent.
    sgd = marked["params[key] -= self.lr * grads[key]  ->  params[key] = params[key] - self.lr * grads[key]"]
    assert sgd == ("", "")


def test_grading_a_mutant_names_its_killers():
    """A mutant graded by the engine is killed by the visible checks that see its mistake; the reference is not."""
    mutant = next(m for m in ALL if m.diff_line.endswith("self.db = np.sum(dout, axis=1)"))
    outcome = mutants.grade_mutant(mutant.source, mutant.module, (mutant.exercise,))
    failed = dict(outcome["failed"])
    assert "layers.Affine::test_backward" in failed and failed["layers.Affine::test_backward"] == "visible"
    assert not outcome["internal"]
    reference = (SOLUTIONS / "layers.py").read_text(encoding="utf-8")
    assert mutants.grade_mutant(reference, "layers", (mutant.exercise,)) == {"failed": [], "internal": []}


def test_cli_kill_rate_of_one_exercise(tmp_path):
    """`dlgrade mutants --exercise layers.Affine -j 2` kills at least KILL_RATE_FLOOR of its mutants."""
    out = tmp_path / "mutants.json"
    done = subprocess.run([*DLGRADE, "mutants", "--exercise", CI_EXERCISE, "-j", "2", "--json", str(out)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    doc = json.loads(out.read_text())
    (exercise,) = doc["exercises"]
    assert exercise["exercise"] == CI_EXERCISE
    assert exercise["mutants"] == len([m for m in ALL if m.exercise == CI_EXERCISE]) >= 10
    assert exercise["error"] == 0
    assert exercise["kill_rate"] >= KILL_RATE_FLOOR, f"kill rate {exercise['kill_rate']} fell below " \
        f"{KILL_RATE_FLOOR}; survivors: {[r['diff'] for r in exercise['results'] if r['status'] == 'survived']}"
    assert exercise["visible_kill_rate"] >= VISIBLE_KILL_RATE_FLOOR, \
        [r["diff"] for r in exercise["results"] if r["status"] == "killed" and not r["visible_killers"]]
    for result in exercise["results"]:
        if result["status"] == "killed":
            assert result["killed_by"] and set(result["visible_killers"]) <= set(result["killed_by"])
    assert f"{CI_EXERCISE}" in done.stdout and "kill rate" in done.stdout


@pytest.mark.parametrize("args, message", [
    (["--exercise", "layers.Nope"], "unknown exercise"),
    (["--operator", "nope"], "unknown operator"),
    (["-j", "0"], "jobs must be at least 1"),
    (["--fail-under", "2"], "--fail-under"),
])
def test_cli_bad_arguments(args, message):
    """A bad argument is one line on stderr and exit status 2."""
    done = subprocess.run([*DLGRADE, "mutants", *args, "--list"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stdout + done.stderr
    assert message in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr


def test_kill_rate_and_report_leave_out_equivalent_and_accepted():
    """The kill rate counts killed and surviving mutants only; the text report lists each kind apart."""
    pick = {status: m for status, m in zip(("killed", "survived", "equivalent", "accepted"), ALL[:4])}
    report = mutants.MutationReport([mutants.ExerciseReport("layers.Affine", [
        mutants.MutantResult(pick["killed"], "killed", ["layers.Affine::test_backward"],
                             ["layers.Affine::test_backward"]),
        mutants.MutantResult(pick["killed"], "killed", ["layers.Affine::test_nd_input"], []),
        mutants.MutantResult(pick["survived"], "survived"),
        mutants.MutantResult(pick["equivalent"], "equivalent", note="multiplying by 1 is the identity"),
        mutants.MutantResult(pick["accepted"], "accepted", note="the book's own way"),
    ])])
    assert report.kill_rate == pytest.approx(2 / 3)
    assert report.exercises[0].visible_kill_rate == pytest.approx(1 / 3)
    doc = report.to_dict()["exercises"][0]
    assert doc["visible_kill_rate"] == pytest.approx(0.3333)
    assert (doc["killed"], doc["survived"], doc["equivalent"], doc["accepted"]) == (2, 1, 1, 1)
    text = mutants.render(report, verbose=True)
    survivors = text.split("Surviving mutants")[1].split("\n\n")[0]
    assert pick["survived"].diff_line in survivors and pick["killed"].diff_line not in survivors
    assert "killed by layers.Affine::test_nd_input" in text.split("not visible")[1]
    assert "multiplying by 1 is the identity" in text and "the book's own way" in text
    assert " 66.7%" in text and " 33.3%" in text


def test_run_in_process_and_the_known_survivor():
    """run() with one job grades in this process; --fail-under exits 1 when an exercise falls below it.

    SoftmaxWithLoss's `dx = self.y.copy()` -> `dx = self.y` survives the default checks (it changes
    only the cached y that a second backward() would read; see README). If a check comes to kill it,
    this test must pick another survivor.
    """
    report = mutants.run(mutants.MutationOptions(exercises=("layers.SoftmaxWithLoss",), operators=("copy",)))
    (result,) = report.results
    assert result.mutant.after == "dx = self.y" and result.status == "survived"
    done = subprocess.run([*DLGRADE, "mutants", "--exercise", "layers.SoftmaxWithLoss", "--operator", "copy",
                           "-j", "1", "--fail-under", "0.5"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "kill rate below 0.5: layers.SoftmaxWithLoss" in done.stderr
    assert "dx = self.y.copy()  ->  dx = self.y" in done.stdout


def test_gate_mutants_need_mnist(tmp_path):
    """`--exercise mnist` lists the mutants of the layers and TwoLayerNet; without MNIST data it refuses at once."""
    listed = subprocess.run([*DLGRADE, "mutants", "--exercise", "mnist", "--list"], capture_output=True, text=True,
                            timeout=120)
    assert listed.returncode == 0 and "two_layer_net.TwoLayerNet#1" in listed.stdout and "layers.Affine#" in listed.stdout
    empty = tmp_path / "no-mnist"
    empty.mkdir()
    done = subprocess.run([*DLGRADE, "mutants", "--exercise", "mnist", "--data-dir", str(empty)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "MNIST" in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr
