"""The engine end to end: reference and stubs, result formats, rubric, CLI behaviour.

The corpus of buggy, correct and hostile submissions is in test_corpus.py.
"""
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest

from autograder.exercises import EXERCISES
from autograder.grading import GradeOptions, collect_checks, grade
from autograder.rubric import Rubric

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = ROOT / "solutions"
EXERCISES_DIR = ROOT / "exercises"
NO_MNIST = frozenset(e for e in EXERCISES if e != "mnist")


def require_mnist():
    data = os.environ.get("MNIST_DATA_DIR")
    if not data or not Path(data).is_dir():
        pytest.fail("MNIST_DATA_DIR must point at the four MNIST .gz files for this test")


def dlgrade(*args, cwd=None, env=None):
    return subprocess.run([sys.executable, "-m", "autograder", *map(str, args)], capture_output=True,
                          text=True, cwd=cwd, env=env, timeout=300)


@pytest.fixture(scope="module")
def reference_run(tmp_path_factory):
    """dlgrade grade solutions/ --json --junit, run once for the module's tests."""
    require_mnist()
    out = tmp_path_factory.mktemp("reference")
    proc = dlgrade("grade", SOLUTIONS, "--json", out / "results.json", "--junit", out / "junit.xml")
    return proc, json.loads((out / "results.json").read_text()), ET.parse(out / "junit.xml")


def test_reference_scores_full_marks(reference_run):
    proc, results, _ = reference_run
    assert proc.returncode == 0, proc.stderr
    assert results["score"] == results["max_score"] == 100
    failed = [t["name"] for t in results["tests"] if t["status"] != "passed"]
    assert failed == []
    assert "Total" in proc.stdout and "100 / 100" in proc.stdout


def test_gradescope_format(reference_run):
    _, results, _ = reference_run
    assert set(results) >= {"score", "max_score", "execution_time", "output", "tests"}
    assert results["execution_time"] > 0
    tags = {t["tags"][0] for t in results["tests"]}
    assert tags == set(EXERCISES), "every exercise must appear in every result"
    for test in results["tests"]:
        assert set(test) >= {"name", "score", "max_score", "status", "output", "visibility", "tags"}
        assert test["status"] in ("passed", "failed")
        assert test["visibility"] in ("hidden", "after_due_date", "after_published", "visible")
    assert abs(sum(t["max_score"] for t in results["tests"]) - results["max_score"]) < 1e-4
    gate = next(t for t in results["tests"] if t["tags"][0] == "mnist")
    curve = gate["extra_data"]
    assert len(curve["loss"]) == 1200 and curve["loss"][-1] < curve["loss"][0]
    assert curve["test_accuracy"][-1] >= 0.95 and len(curve["test_accuracy"]) == len(curve["iterations"]) >= 2


def test_junit_xml(reference_run):
    _, results, tree = reference_run
    cases = tree.getroot().iter("testcase")
    cases = list(cases)
    assert len(cases) == len(results["tests"])
    assert not any(c.find("failure") is not None or c.find("error") is not None for c in cases)
    props = {p.get("name") for c in cases for p in c.iter("property")}
    assert {"exercise", "max_score"} <= props


def test_stubs_score_zero_with_not_implemented_messages():
    result = grade(EXERCISES_DIR, GradeOptions(only=NO_MNIST, timeout=5))
    assert result.score == 0 and result.max_score == 92
    for check in result.checks:
        if check.exercise in NO_MNIST:
            assert not check.passed and not check.internal_error
            assert "not implemented yet" in check.output, check.output


def test_same_submission_twice_gives_identical_results():
    options = GradeOptions(only=NO_MNIST)
    first, second = grade(SOLUTIONS, options).to_dict(), grade(SOLUTIONS, options).to_dict()
    first.pop("execution_time"), second.pop("execution_time")
    assert first == second


def test_default_points_total_100():
    specs = collect_checks()
    assert round(sum(s.max_score for s in specs), 6) == 100
    assert {s.exercise for s in specs} == set(EXERCISES)
    assert len({s.check_id for s in specs}) == len(specs), "check ids must be unique"


def test_rubric_overrides_points_visibility_and_weight(tmp_path):
    rubric = tmp_path / "rubric.toml"
    rubric.write_text('[points]\n"layers.Affine" = 20\nmnist = 0\n'
                      '[visibility]\n"layers.Relu" = "hidden"\n'
                      '[weight]\n"layers.Affine::test_forward" = 5\n')
    specs = collect_checks(Rubric.load(rubric))
    affine = [s for s in specs if s.exercise == "layers.Affine"]
    assert round(sum(s.max_score for s in affine), 6) == 20
    forward = next(s for s in affine if s.check_id == "layers.Affine::test_forward")
    assert forward.weight == 5
    # shares are eighths of a point (rubric.POINT_UNIT), within an eighth of the proportional share
    assert forward.max_score == pytest.approx(20 * 5 / sum(s.weight for s in affine), abs=0.125)
    assert all(s.visibility == "hidden" for s in specs if s.exercise == "layers.Relu")
    assert sum(s.max_score for s in specs if s.exercise == "mnist") == 0
    assert round(sum(s.max_score for s in specs), 6) == 100 - 10 + 20 - 8


def test_hidden_checks_reveal_no_expected_values(tmp_path):
    sub = tmp_path / "sub"
    sub.mkdir()
    source = (SOLUTIONS / "functions.py").read_text()
    (sub / "functions.py").write_text(source.replace("return 0.5 * np.sum((y - t) ** 2)", "return np.sum((y - t) ** 2)"))
    visible = grade(sub, GradeOptions(only=frozenset({"functions.sum_squared_error"})))
    hidden = grade(sub, GradeOptions(only=frozenset({"functions.sum_squared_error"}), rubric=Rubric.from_dict(
        {"visibility": {"functions.sum_squared_error": "hidden"}})))
    shown = visible.exercise("functions.sum_squared_error").failed[0].output
    secret = hidden.exercise("functions.sum_squared_error").failed[0].output
    assert "expected 0.0975" in shown and "expected" not in secret and "0.0975" not in secret
    assert "wrong values" in secret


@pytest.mark.parametrize("content, message", [
    ("[points]\nnot.an.exercise = 3\n", "unknown exercise"),
    ("[points]\n\"layers.Relu\" = -1\n", ">= 0"),
    ("[visibility]\n\"layers.Relu\" = \"secret\"\n", "visibility"),
    ("[mnist]\nthreshold = 2.0\n", "threshold"),
    ("[mnist]\nepochs = 3\n", "unknown [mnist] setting"),
    ("[points\n", "not valid TOML"),
    ("[extra]\n", "unknown section"),
])
def test_bad_rubric_is_a_user_error(tmp_path, content, message):
    rubric = tmp_path / "rubric.toml"
    rubric.write_text(content)
    proc = dlgrade("grade", SOLUTIONS, "--rubric", rubric, "--only", "layers.Relu")
    assert proc.returncode == 2
    assert message in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert "Traceback" not in proc.stderr


def make_bad_inputs(tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "notes.txt").write_text("hello")
    (tmp_path / "broken.zip").write_bytes(b"PK\x03\x04 this is not really a zip")
    with zipfile.ZipFile(tmp_path / "nothing.zip", "w") as z:
        z.writestr("readme.md", "no modules here")
    return {
        "missing path": (tmp_path / "does-not-exist", "does-not-exist"),
        "empty dir": (tmp_path / "empty", "empty"),
        "plain file": (tmp_path / "notes.txt", "notes.txt"),
        "corrupt zip": (tmp_path / "broken.zip", "broken.zip"),
        "zip without modules": (tmp_path / "nothing.zip", "nothing.zip"),
    }


def test_bad_submission_paths_exit_2_with_one_line(tmp_path):
    for case, (path, name) in make_bad_inputs(tmp_path).items():
        proc = dlgrade("grade", path, "--json", tmp_path / "out.json")
        assert proc.returncode == 2, case
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and name in lines[0], (case, proc.stderr)
        assert not (tmp_path / "out.json").exists(), case


def test_zip_submission_json_atomic_and_fail_under(tmp_path):
    archive = tmp_path / "hw.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for module in ("functions.py", "layers.py"):
            z.write(SOLUTIONS / module, f"hw5/{module}")
    out = tmp_path / "results.json"
    out.write_text("previous results")
    proc = dlgrade("grade", archive, "--json", out, "--only", "functions.softmax", "--only", "layers.Affine",
                   "--only", "optimizer.SGD", "--fail-under", "20")
    assert proc.returncode == 1, proc.stderr  # 16 points < 20
    results = json.loads(out.read_text())
    by_exercise = {}
    for t in results["tests"]:
        by_exercise.setdefault(t["tags"][0], []).append(t)
    assert sum(t["score"] for t in by_exercise["functions.softmax"]) == pytest.approx(6)
    assert sum(t["score"] for t in by_exercise["layers.Affine"]) == pytest.approx(10)
    sgd = by_exercise["optimizer.SGD"]
    assert sum(t["score"] for t in sgd) == 0 and "optimizer.py is missing" in sgd[0]["output"]
    assert "optimizer.py" in results["output"]
    assert not list(tmp_path.glob(".results.json.*")), "no temporary files may be left behind"
    passing = dlgrade("grade", archive, "--only", "functions.softmax", "--fail-under", "5")
    assert passing.returncode == 0, passing.stderr


def test_gate_threshold_is_configurable(tmp_path):
    require_mnist()
    rubric = tmp_path / "strict.toml"
    rubric.write_text("[mnist]\nthreshold = 0.995\n")
    result = grade(SOLUTIONS, GradeOptions(only=frozenset({"mnist"}), rubric=Rubric.load(rubric)))
    gate = result.exercise("mnist").checks[0]
    assert not gate.passed and "0.99 is required" in gate.output.replace("0.995", "0.99")
    assert gate.extra_data["test_accuracy"][-1] < 0.995
