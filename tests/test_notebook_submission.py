"""``dlgrade grade NOTEBOOK.ipynb``: a course notebook graded by the isolated engine.

- the source notebook of each assignment scores that assignment's full points, and only
  its exercises are graded;
- a realistic bug in one answer cell costs points in that exercise only;
- the released notebook (answers cleared by nbgrader) scores 0 with the engine's messages;
- IPython magics in an answer cell do not break reading the notebook;
- a corrupt or foreign file is one line on stderr and exit status 2.
"""
import copy
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from autograder import UserError
from autograder.cli import main
from autograder.exercises import EXERCISES
from autograder.grading import GradeOptions, collect_checks, grade
from autograder.nbbuild import build, conventions
from autograder.nbbuild.extract import notebook_modules, strip_ipython

PS1, PS2, PS3 = conventions.ASSIGNMENTS


def require_mnist():
    data = os.environ.get("MNIST_DATA_DIR")
    if not data or not Path(data).is_dir():
        pytest.fail("MNIST_DATA_DIR must point at the four MNIST .gz files for this test")


def dlgrade(*args):
    return subprocess.run([sys.executable, "-m", "autograder", *map(str, args)], capture_output=True,
                          text=True, timeout=300)


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = tmp_path_factory.mktemp("course")
    build.build_course(root)
    return {a: root / "source" / a / f"{a}.ipynb" for a in conventions.ASSIGNMENTS}


@pytest.fixture(scope="module")
def points():
    totals = {}
    for spec in collect_checks():
        totals[spec.exercise] = totals.get(spec.exercise, 0.0) + spec.max_score
    return totals


def points_of(assignment):
    """{exercise: points} of an assignment's exercises under the built-in rubric."""
    totals = {}
    for spec in collect_checks():
        if spec.exercise in conventions.ASSIGNMENTS[assignment]:
            totals[spec.exercise] = totals.get(spec.exercise, 0.0) + spec.max_score
    return totals


def edit_cell(src, dst, grade_id, old, new):
    """Copy a notebook, replacing text in one cell (which must contain it)."""
    nb = nbformat.read(src, as_version=4)
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
    assert old in cell.source, f"{grade_id} no longer contains {old!r}"
    cell.source = cell.source.replace(old, new)
    nbformat.write(nb, dst)
    return dst


def by_exercise(result):
    return {e.exercise: e for e in result.exercises}


# ----------------------------------------------------------------------------- reading


def test_modules_read_from_a_notebook(course):
    files = notebook_modules(course[PS2])
    assert sorted(files) == ["functions.py", "layers.py"]
    assert files.exercises == conventions.ASSIGNMENTS[PS2]
    layers = files["layers.py"].decode()
    # star-imports first, so the student's own definitions below them take precedence
    assert layers.index("from .functions import *") < layers.index("class MulLayer")
    assert "import numpy as np" in layers
    compile(layers, "layers.py", "exec")
    functions = files["functions.py"].decode()
    assert "def softmax" in functions and "def sum_squared_error" not in functions


def test_strip_ipython_only_touches_invalid_cells():
    cell = "%matplotlib inline\n!pip install numpy\ndef f(x):\n    %time y = x\n    return x\n"
    stripped = strip_ipython(cell)
    compile(stripped, "cell", "exec")
    assert "def f(x):" in stripped and "%matplotlib" in stripped  # kept as a comment
    valid = 'text = """\n% of samples\n!important\n"""\n'
    assert strip_ipython(valid) == valid


def test_source_notebooks_cover_their_assignments(course):
    for assignment, path in course.items():
        assert notebook_modules(path).exercises == conventions.ASSIGNMENTS[assignment]


# ----------------------------------------------------------------------------- grading


@pytest.mark.parametrize("assignment", [PS1, PS2, PS3])
def test_source_notebook_scores_full_points(course, points, assignment):
    if assignment == PS3:
        require_mnist()
    result = grade(course[assignment])
    wanted = conventions.ASSIGNMENTS[assignment]
    assert result.max_score == pytest.approx(sum(points[e] for e in wanted))
    assert result.score == pytest.approx(result.max_score)
    for exercise in result.exercises:
        assert exercise.graded == (exercise.exercise in wanted), exercise.exercise
    assert "Missing module" not in result.output


def test_bug_in_one_answer_costs_only_that_exercise(course, points, tmp_path):
    # Forgetting to divide by the batch size: right for one sample, wrong for batches.
    buggy = edit_cell(course[PS1], tmp_path / "ps1.ipynb", "sol-functions-cross_entropy_error",
                      "/ batch_size", "")
    result = by_exercise(grade(buggy))
    for exercise in conventions.ASSIGNMENTS[PS1]:
        if exercise == "functions.cross_entropy_error":
            assert result[exercise].score < points[exercise]
        else:
            assert result[exercise].score == pytest.approx(points[exercise]), exercise


def test_bug_in_a_layer_is_charged_once(course, points, tmp_path):
    # Transposed weights in Affine.backward: Affine fails, SoftmaxWithLoss and the rest do not.
    buggy = edit_cell(course[PS2], tmp_path / "ps2.ipynb", "sol-layers-Affine",
                      "np.dot(dout, self.W.T)", "np.dot(dout, self.W.T) * 2")
    result = by_exercise(grade(buggy))
    assert result["layers.Affine"].score < points["layers.Affine"]
    for exercise in conventions.ASSIGNMENTS[PS2]:
        if exercise != "layers.Affine":
            assert result[exercise].score == pytest.approx(points[exercise]), exercise


def test_released_notebook_scores_zero(course, tmp_path):
    from nbgrader.preprocessors import ClearSolutions

    nb = nbformat.read(course[PS1], as_version=4)
    nb, _ = ClearSolutions().preprocess(copy.deepcopy(nb), {})
    path = tmp_path / "released.ipynb"
    nbformat.write(nb, path)
    result = grade(path)
    assert result.score == 0 and result.max_score > 0
    failed = [c for c in result.checks if c.graded]
    assert failed and all("not implemented" in c.output for c in failed)


def test_magics_in_answer_cells_are_harmless(course, points, tmp_path):
    path = edit_cell(course[PS1], tmp_path / "magic.ipynb", "sol-functions-sigmoid",
                     "def sigmoid(x):", "%matplotlib inline\n!echo hello\ndef sigmoid(x):")
    result = by_exercise(grade(path, GradeOptions(only=frozenset({"functions.sigmoid"}))))
    assert result["functions.sigmoid"].score == pytest.approx(points["functions.sigmoid"])
    assert not result["functions.softmax"].graded


def test_plotting_in_an_answer_cell_is_harmless(course, points, tmp_path):
    """plt comes from the notebook's setup cell; the extracted module must have it too."""
    path = edit_cell(course[PS1], tmp_path / "plot.ipynb", "sol-functions-sigmoid",
                     "def sigmoid(x):", "plt.plot([0, 1], [0, 1])\nplt.close()\ndef sigmoid(x):")
    result = by_exercise(grade(path, GradeOptions(only=frozenset({"functions.sigmoid"}))))
    assert result["functions.sigmoid"].score == pytest.approx(points["functions.sigmoid"])


def test_only_outside_the_notebook_is_a_user_error(course):
    with pytest.raises(UserError, match="no exercise of this notebook"):
        grade(course[PS1], GradeOptions(only=frozenset({"layers.Affine"})))


def test_cli_grades_a_notebook(course, tmp_path, capsys):
    import json

    assert main(["grade", str(course[PS2]), "--json", str(tmp_path / "results.json")]) == 0
    out = capsys.readouterr().out
    total = sum(p for e, p in points_of(PS2).items())
    assert f"{total:g} / {total:g}" in out, out

    results = json.loads((tmp_path / "results.json").read_text())
    assert results["score"] == pytest.approx(results["max_score"])
    assert {t["tags"][0] for t in results["tests"]} == set(EXERCISES)


# ----------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("content, message", [
    (b'{"cells": [', "not valid JSON"),
    (b"\xff\xfe\x00garbage", "not UTF-8"),
    (b"[1, 2, 3]", "not a readable Jupyter notebook"),
    (b'{"cells": []}', "not a Jupyter notebook"),
    (b'{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": 7}', "not a readable Jupyter notebook"),
    (b'{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": []}', "not a notebook of this course"),
])
def test_bad_notebook_is_one_line_and_exit_2(tmp_path, capsys, content, message):
    path = tmp_path / "homework.ipynb"
    path.write_bytes(content)
    assert main(["grade", str(path)]) == 2
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and message in lines[0] and "homework.ipynb" in lines[0], err


def test_bad_notebook_in_a_real_process(tmp_path):
    path = tmp_path / "homework.ipynb"
    path.write_bytes(b'{"nbformat": 4, "cells": [')
    proc = dlgrade("grade", path)
    assert proc.returncode == 2
    assert proc.stderr.startswith("dlgrade grade: error: ") and len(proc.stderr.strip().splitlines()) == 1


def test_notebook_of_another_tool_is_refused(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_code_cell("def softmax(x):\n    return x\n"))
    path = tmp_path / "mine.ipynb"
    nbformat.write(nb, path)
    with pytest.raises(UserError, match="not a notebook of this course"):
        grade(path)
