"""Grading without the MNIST files: everything but the gate is graded, the gate is "not run".

"No data anywhere" here is MNIST_DATA_DIR pointing at an empty folder: mnist_data then looks
for the four .gz files only there (never in the package's own ``mnist_data/cache/``), and the
parsed-array cache (MNIST_CACHE_DIR, also emptied) is keyed by the .gz files' SHA-256, so
nothing else can stand in for them. Grading never downloads (a test below makes the network
fail loudly if it tried).
"""
import csv
import json
from pathlib import Path

import pytest

import mnist_data
from autograder.batch.gradebook import NOT_RUN, gradebook_rows
from autograder.batch.records import GRADED, SubmissionRecord
from autograder.exercises import EXERCISES, POINTS
from autograder.grading import GradeOptions, grade
from autograder.report import render
from autograder.rubric import Rubric
from mnist_data import dataset, download
from mnist_data.files import MNIST_FILES
from tests_support import run_dlgrade as dlgrade

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = ROOT / "solutions"
GATE_POINTS = POINTS["mnist"]
OTHERS = [e for e in EXERCISES if e != "mnist"]
# What a user without the data must be told: where the files come from.
HELP = ("MNIST data not found", "python -m mnist_data download", "MNIST_DATA_DIR", "--data-dir")
# The gate made cheap: the comparisons need its presence, not a trained network.
QUICK_GATE = {"mnist": {"iterations": 20, "threshold": 0.0}}


@pytest.fixture
def no_data(tmp_path, monkeypatch):
    """An environment (this process and its children) where no MNIST file can be found."""
    empty = tmp_path / "no-mnist"
    empty.mkdir()
    monkeypatch.setenv("MNIST_DATA_DIR", str(empty))
    monkeypatch.setenv("MNIST_CACHE_DIR", str(tmp_path / "mnist-cache"))

    def no_network(*args, **kwargs):
        raise AssertionError("grading must not download the MNIST files")

    monkeypatch.setattr(download, "fetch", no_network)
    return empty


def one_line(proc):
    return proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr


def by_exercise(results):
    found = {}
    for test in results["tests"]:
        found.setdefault(test["tags"][0], []).append(test)
    return found


def assert_consistent(results):
    """results.json adds up: the total is its tests' sum, and it names what it leaves out."""
    assert results["score"] == pytest.approx(sum(t["score"] for t in results["tests"]))
    assert results["max_score"] == pytest.approx(sum(t["max_score"] for t in results["tests"]))


@pytest.mark.mnist
@pytest.mark.parametrize("entry", ["reference", "buggy/affine_dW_transposed", "buggy/cee_sum_not_mean"])
def test_without_data_everything_but_the_gate_is_graded_as_with_data(entry, mnist_dir, make_class, tmp_path,
                                                                       monkeypatch):
    if entry == "reference":
        submission = SOLUTIONS
    else:
        submission = make_class(tmp_path / "class", {"student": entry}) / "student"
    rubric = tmp_path / "rubric.toml"
    rubric.write_text("[mnist]\niterations = 20\nthreshold = 0.0\n")
    with_data = grade(submission, GradeOptions(rubric=Rubric.load(rubric), data_dir=str(mnist_dir)))
    assert with_data.exercise("mnist").graded and not with_data.left_out()

    empty = tmp_path / "no-mnist"
    empty.mkdir()
    monkeypatch.setenv("MNIST_DATA_DIR", str(empty))
    monkeypatch.setenv("MNIST_CACHE_DIR", str(tmp_path / "mnist-cache"))
    out = tmp_path / "results.json"
    proc = dlgrade("grade", submission, "--rubric", rubric, "--json", out)
    assert proc.returncode == 0, proc.stderr
    results = json.loads(out.read_text())

    tests = by_exercise(results)
    for exercise in OTHERS:  # the same inputs (the test suite's secret), the same verdicts
        assert sum(t["score"] for t in tests[exercise]) == pytest.approx(with_data.exercise(exercise).score), exercise
    gate = tests["mnist"]
    assert all(t["score"] == 0 and t["max_score"] == 0 for t in gate)
    assert all(all(h in t["output"] for h in HELP) for t in gate), gate[0]["output"]
    assert str(empty) in gate[0]["output"]
    others = sum(with_data.exercise(e).score for e in OTHERS)
    assert results["score"] == pytest.approx(others)
    assert results["max_score"] == pytest.approx(100 - GATE_POINTS)
    assert results["extra_data"]["not_run"] == [
        {"exercise": "mnist", "points": GATE_POINTS, "reason": gate[0]["output"]}]
    assert_consistent(results)
    note = f"(the MNIST gate, {GATE_POINTS:g} points, was not run)"
    assert note in results["output"]
    total = next(line for line in proc.stdout.splitlines() if line.strip().startswith("Total"))
    assert note in total and f"/ {100 - GATE_POINTS:g}" in total
    assert all(h in " ".join(proc.stdout.split()) for h in HELP)  # the report says what to do, not only the JSON


def test_engine_without_data_reports_the_gate_not_run(no_data):
    result = grade(SOLUTIONS)
    gate = result.exercise("mnist")
    assert not gate.graded and gate.score == gate.max_score == 0
    check = gate.checks[0]
    assert not check.graded and check.not_run and all(h in check.not_run for h in HELP)
    assert all(result.exercise(e).score == result.exercise(e).max_score > 0 for e in OTHERS)
    assert result.score == result.max_score == 100 - GATE_POINTS
    assert result.left_out() == [{"exercise": "mnist", "points": GATE_POINTS, "reason": check.not_run}]
    report = " ".join(render(result).split())  # the report wraps long lines
    assert f"(the MNIST gate, {GATE_POINTS:g} points, was not run)" in report
    assert "python -m mnist_data download" in report
    assert not list(no_data.iterdir()), "nothing may be written into the data folder"


def test_gate_worth_zero_points_needs_no_data_and_is_not_mentioned(no_data, tmp_path):
    rubric = tmp_path / "rubric.toml"
    rubric.write_text("[points]\nmnist = 0\n")
    out = tmp_path / "results.json"
    proc = dlgrade("grade", SOLUTIONS, "--rubric", rubric, "--json", out)
    assert proc.returncode == 0, proc.stderr
    text = out.read_text()
    assert "mnist" not in text.lower() and "mnist" not in proc.stdout.lower()
    results = json.loads(text)
    assert results["score"] == results["max_score"] == 100 - GATE_POINTS
    assert "not_run" not in results["extra_data"]
    assert_consistent(results)


def test_gate_worth_zero_points_ignores_damaged_data(tmp_path, monkeypatch):
    bad = tmp_path / "bad"
    bad.mkdir()
    for spec in MNIST_FILES:
        (bad / spec.name).write_bytes(b"not a gzip file")
    result = grade(SOLUTIONS, GradeOptions(data_dir=str(bad), only=frozenset({"functions.sigmoid", "mnist"}),
                                           rubric=Rubric.from_dict({"points": {"mnist": 0}})))
    assert result.exercise("mnist").checks == [] and not result.left_out()
    assert result.score == result.max_score == POINTS["functions.sigmoid"]
    # ... and says so, once: the files are there but unusable (a TA would want to know).
    said = [line for line in result.output.splitlines() if "MNIST" in line]
    assert len(said) == 1 and "0 points" in said[0] and "damaged" in said[0], result.output


def test_gate_mutants_without_data_refuse_without_downloading(no_data, capsys):
    from autograder.cli import main

    assert main(["mutants", "--exercise", "mnist"]) == 2  # no_data: a download would raise
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "python -m mnist_data download" in err, err


def test_only_without_the_gate_needs_no_data(no_data, tmp_path):
    out = tmp_path / "results.json"
    proc = dlgrade("grade", SOLUTIONS, "--only", "functions.softmax", "--json", out)
    assert proc.returncode == 0, proc.stderr
    assert "MNIST" not in proc.stdout and "not_run" not in json.loads(out.read_text())["extra_data"]


def test_only_the_gate_without_data_is_one_clear_error(no_data):
    proc = dlgrade("grade", SOLUTIONS, "--only", "mnist")
    assert one_line(proc), proc.stderr
    assert all(h in proc.stderr for h in HELP)


def test_damaged_data_is_a_user_error(tmp_path, monkeypatch):
    bad = tmp_path / "bad"
    bad.mkdir()
    for spec in MNIST_FILES:
        (bad / spec.name).write_bytes(b"\x1f\x8b truncated")
    monkeypatch.setenv("MNIST_DATA_DIR", str(bad))
    monkeypatch.setenv("MNIST_CACHE_DIR", str(tmp_path / "mnist-cache"))
    proc = dlgrade("grade", SOLUTIONS)
    assert one_line(proc), proc.stderr
    assert "damaged" in proc.stderr and "not found" not in proc.stderr


def test_incomplete_data_folder_is_a_user_error(no_data):
    (no_data / MNIST_FILES[3].name).write_bytes(b"only one of the four files")
    proc = dlgrade("grade", SOLUTIONS)
    assert one_line(proc), proc.stderr
    assert MNIST_FILES[0].name in proc.stderr and "python -m mnist_data download" in proc.stderr


def test_a_data_dir_given_on_purpose_must_hold_the_data(no_data):
    proc = dlgrade("grade", SOLUTIONS, "--data-dir", no_data)
    assert one_line(proc), proc.stderr
    assert "--data-dir" in proc.stderr and str(no_data) in proc.stderr


def test_looking_for_data_never_downloads(no_data):
    with pytest.raises(mnist_data.DataNotFoundError) as found:
        mnist_data.cache_paths(download=False)
    assert found.value.folder == no_data
    (no_data / MNIST_FILES[0].name).write_bytes(b"x")
    with pytest.raises(mnist_data.MNISTError) as partial:
        dataset.ensure_present(no_data, "test", MNIST_FILES, fetch_missing=False)
    assert not isinstance(partial.value, mnist_data.DataNotFoundError)


def test_batch_without_data_refuses_unless_the_gate_is_worth_zero(no_data, tmp_path, make_class):
    klass = make_class(tmp_path / "class", {"ann": "correct/book_style"})
    refused = dlgrade("batch", klass, "--out", tmp_path / "out", "-j", "1")
    assert one_line(refused), refused.stderr
    assert "mnist = 0" in refused.stderr and "python -m mnist_data download" in refused.stderr
    assert not (tmp_path / "out" / "gradebook.csv").exists()

    rubric = tmp_path / "rubric.toml"
    rubric.write_text("[points]\nmnist = 0\n")
    done = dlgrade("batch", klass, "--out", tmp_path / "out", "-j", "1", "--rubric", rubric)
    assert done.returncode == 0, done.stderr
    with open(tmp_path / "out" / "gradebook.csv", newline="") as f:
        row = next(csv.DictReader(f))
    assert row["score"] == row["max_score"] == f"{100 - GATE_POINTS:g}" and row["mnist"] == ""


def test_gradebook_says_not_run_for_a_gate_graded_without_data(no_data):
    """On a Dask cluster the data is the workers' business: a worker without it grades the
    submission without the gate, and the gradebook must not pass 92 of 92 off as full marks."""
    result = grade(SOLUTIONS, GradeOptions(only=frozenset({"functions.sigmoid", "mnist"})))
    rows = gradebook_rows([SubmissionRecord("ann", GRADED, result=result)], full_marks=100.0)
    row = dict(zip(rows[0], rows[1]))
    assert row["mnist"] == NOT_RUN and row["functions.sigmoid"] == "3" and row["max_score"] == "3"


def test_nbgrader_autograde_of_the_gates_assignment_needs_the_data(no_data):
    """nbgrader scores the gate's test cell like any other: it cannot be "not run", so autograde refuses."""
    from autograder import UserError
    from autograder.nbbuild.course import require_data

    with pytest.raises(UserError) as refused:
        require_data("ps3_two_layer_net")
    assert all(h in str(refused.value) for h in HELP) and "\n" not in str(refused.value)
    require_data("ps1_losses_gradients")  # no gate there: no data needed


def test_the_gate_cell_of_a_notebook_without_data_says_what_is_missing(no_data, monkeypatch):
    """In a kernel the gate's cell runs as it is: no data is the student's to fix, not a grader bug."""
    from autograder.notebook import run_check
    from tests_support import solution_namespace

    def offline(spec, *args, **kwargs):
        raise download.DownloadError(f"could not download {spec.name} (offline)")

    monkeypatch.setattr(download, "fetch", offline)
    namespace = solution_namespace("functions", "gradient", "layers", "two_layer_net", "optimizer")
    with pytest.raises(AssertionError) as failed:
        run_check("mnist::test_trained_accuracy", namespace)
    message = str(failed.value)
    assert "internal grader error" not in message and "report this" not in message
    assert "MNIST data" in message and "MNIST_DATA_DIR" in message and str(no_data) in message
