"""Fair to the code real learners write (issue 8): the book's given modules, its names, its
call styles, blame isolation that never charges a correct module, one exercise catalog, and
messages that name the real problem.

Each grading test builds a submission from the reference solutions with a few textual
changes (``submission()``), grades only the exercises concerned, and checks the verdict and
what the student reads. ``test_book_repository_scores_100`` grades the corpus entry
``correct/book_repository`` (the book's own way of writing these files) in full, gate
included, so it needs MNIST_DATA_DIR.
"""
from __future__ import annotations

import ast
import inspect
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

import corpus
from autograder import callstyle, probes
from autograder.exercises import (ALIAS_NOTE_FORMAT, ASSIGNMENTS, CATALOG, EXERCISES, GIVEN_DIR, GIVEN_MODULES,
                                  MODULES, POINTS, by_id, deps_of, names_match)
from autograder.given import util
from autograder.grading import GradeOptions, collect_checks, grade
from autograder.pool import WorkerPool

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = ROOT / "solutions"
CHECKS = ROOT / "autograder" / "checks"
INTERNAL_NAMES = ("forward_fresh", "call_with_global", "train_two_layer_net", "submission.", "_sys.modules",
                  "resolve_names", "backward_unit", "new_two_layer_net", "describe_layers")


# --------------------------------------------------------------------------- helpers


def submission(tmp_path, changes=(), files=None, omit=()):
    """A submission folder: the reference modules, then whole files, then (file, old, new) changes."""
    dest = tmp_path / "submission"
    dest.mkdir(parents=True)
    for m in MODULES:
        shutil.copyfile(SOLUTIONS / f"{m}.py", dest / f"{m}.py")
    for name, text in (files or {}).items():
        (dest / name).write_text(text, encoding="utf-8")
    for name, old, new in changes:
        text = (dest / name).read_text(encoding="utf-8")
        assert text.count(old) == 1, f"{old!r} must occur once in {name}"
        (dest / name).write_text(text.replace(old, new), encoding="utf-8")
    for name in omit:
        (dest / name).unlink()
    return dest


def run(path, *exercises, **options):
    return grade(path, GradeOptions(only=frozenset(exercises), **options))


def full(result, exercise):
    ex = result.exercise(exercise)
    return ex.max_score > 0 and ex.score >= ex.max_score - 1e-9


def failures(result, exercise):
    return "\n".join(c.output for c in result.exercise(exercise).failed)


def all_output(result):
    """The result's header and the messages of every failed check."""
    return result.output + "\n" + "\n".join(f"{c.check_id}: {c.output}" for c in result.checks
                                            if c.graded and not c.passed)


@pytest.fixture
def configs_started(monkeypatch):
    """The worker configurations a grading run starts, in order."""
    started = []
    original = WorkerPool.worker

    def worker(self, config):
        if config not in self._workers:
            started.append(config)
        return original(self, config)

    monkeypatch.setattr(WorkerPool, "worker", worker)
    return started


def require_mnist():
    data = os.environ.get("MNIST_DATA_DIR")
    if not data or not Path(data).is_dir():
        pytest.fail("MNIST_DATA_DIR must point at the four MNIST .gz files for this test")


# --------------------------------------------------------------------------- 1. given modules


def test_book_repository_scores_100():
    """The book's way of writing the five files (its imports, names, return values, helper
    modules) gets every point, the MNIST gate included."""
    require_mnist()
    entry = next(e for e in corpus.load_all() if e.id == "correct/book_repository")
    text = "\n".join(p.read_text(encoding="utf-8") for p in entry.path.glob("*.py"))
    # What makes it the book's way (so that this test keeps testing that):
    for needle in ("from common.util import im2col, col2im", "from common.layers import *",
                   "from common.gradient import numerical_gradient", "sys.path.append(os.pardir)",
                   "def mean_squared_error", "return x, np.array(x_history)", "def backward(self, dout=1)",
                   "if __name__ == '__main__':", "from dataset.mnist import load_mnist",
                   "from gradient_1d import"):
        assert needle in text, needle
    assert "def sum_squared_error" not in text
    result = grade(entry.path)
    assert (result.score, result.max_score) == (100, 100), all_output(result)
    assert "graded your `mean_squared_error` as `sum_squared_error`" in result.output


LAYERS_IMPORTING_UTIL = [
    "from common.util import im2col, col2im\n",
    "from util import smooth_curve, shuffle_dataset\n",
    "from .util import conv_output_size\n",
]


@pytest.mark.parametrize("line", LAYERS_IMPORTING_UTIL)
def test_given_util_imports_in_all_three_styles(tmp_path, line):
    path = submission(tmp_path, [("layers.py", "import numpy as np\n", "import numpy as np\n" + line)])
    result = run(path, "layers.Affine", "two_layer_net.TwoLayerNet")
    assert full(result, "layers.Affine") and full(result, "two_layer_net.TwoLayerNet"), all_output(result)


def test_without_the_given_module_the_book_import_fails(tmp_path, monkeypatch):
    """The attack on fairness the given modules answer: take them away and the book's import costs
    the whole layers module (and so this test shows the protection is what makes it pass)."""
    monkeypatch.setattr("autograder.submission.GIVEN_MODULES", ())
    path = submission(tmp_path, [("layers.py", "import numpy as np\n", "import numpy as np\n" + LAYERS_IMPORTING_UTIL[0])])
    result = run(path, "layers.Affine")
    assert not full(result, "layers.Affine")
    assert "common.util" in failures(result, "layers.Affine")


def test_a_students_own_util_wins_over_the_given_one(tmp_path):
    own = "def im2col(*args):\n    return 'mine'\n\ndef col2im(*args):\n    return 'mine'\n"
    path = submission(tmp_path, [("layers.py", "import numpy as np\n",
                                  "import numpy as np\nfrom common.util import im2col\n"
                                  "assert im2col() == 'mine', 'the given util was used'\n")],
                      files={"util.py": own})
    result = run(path, "layers.Relu")
    assert full(result, "layers.Relu"), all_output(result)


@pytest.mark.parametrize("style", ["from common.nn_helpers import relu_mask",
                                   "from nn_helpers import relu_mask",
                                   "from .nn_helpers import relu_mask"])
def test_student_helper_modules_import_in_all_three_styles(tmp_path, style):
    helper = "def relu_mask(x):\n    return x <= 0\n"
    path = submission(tmp_path, [("layers.py", "import numpy as np\n", f"import numpy as np\n{style}\n"),
                                 ("layers.py", "        self.mask = x <= 0\n", "        self.mask = relu_mask(x)\n")],
                      files={"nn_helpers.py": helper})
    result = run(path, "layers.Relu")
    assert full(result, "layers.Relu"), all_output(result)


def test_the_books_dataset_import_works_and_loading_says_why_not(tmp_path):
    path = submission(tmp_path, [("two_layer_net.py", "import numpy as np\n",
                                  "import numpy as np\nfrom dataset.mnist import load_mnist\n"),
                                 ("optimizer.py", "import numpy as np\n",
                                  "import numpy as np\nfrom dataset.mnist import load_mnist\n"
                                  "(x_train, t_train), _ = load_mnist(normalize=True)\n")])
    result = run(path, "two_layer_net.TwoLayerNet", "optimizer.SGD")
    assert full(result, "two_layer_net.TwoLayerNet"), all_output(result)
    text = failures(result, "optimizer.SGD")
    assert "load_mnist is not available while your code is graded" in text and "__main__" in text, text


def test_im2col_is_the_patch_layout_a_convolution_needs():
    """im2col against a direct convolution, col2im as its adjoint (<im2col x, c> = <x, col2im c>)."""
    rng = np.random.default_rng(0)
    for (n, c, h, w), fh, fw, stride, pad in [((2, 3, 7, 6), 3, 2, 1, 0), ((2, 2, 7, 6), 3, 3, 2, 1),
                                              ((1, 1, 5, 5), 2, 2, 2, 0)]:
        x = rng.normal(size=(n, c, h, w))
        filt = rng.normal(size=(4, c, fh, fw))
        out_h, out_w = int(util.conv_output_size(h, fh, stride, pad)), int(util.conv_output_size(w, fw, stride, pad))
        col = util.im2col(x, fh, fw, stride, pad)
        assert col.shape == (n * out_h * out_w, c * fh * fw)
        got = (col @ filt.reshape(4, -1).T).reshape(n, out_h, out_w, 4).transpose(0, 3, 1, 2)
        xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
        want = np.empty_like(got)
        for i in range(out_h):
            for j in range(out_w):
                patch = xp[:, :, i * stride:i * stride + fh, j * stride:j * stride + fw]
                want[:, :, i, j] = np.einsum("nchw,fchw->nf", patch, filt)
        np.testing.assert_allclose(got, want, atol=1e-12)
        cols = rng.normal(size=col.shape)
        back = util.col2im(cols, x.shape, fh, fw, stride, pad)
        assert back.shape == x.shape
        np.testing.assert_allclose(np.sum(col * cols), np.sum(x * back), rtol=1e-10)


def test_the_other_util_helpers():
    assert util.conv_output_size(28, 5, 1, 0) == 24 and util.conv_output_size(7, 3, 2, 1) == 4
    ramp = np.linspace(0.0, 1.0, 40)
    smooth = util.smooth_curve(ramp)
    assert smooth.shape == ramp.shape
    np.testing.assert_allclose(smooth[5:-5], ramp[5:-5], atol=1e-12)  # a symmetric window keeps a line
    np.testing.assert_allclose(util.smooth_curve(np.full(30, 2.5)), 2.5)
    noisy = 1.0 + np.random.default_rng(0).normal(scale=0.1, size=200)
    assert util.smooth_curve(noisy).std() < 0.5 * noisy.std()
    x = np.arange(20).reshape(10, 2)
    t = np.arange(10)
    xs, ts = util.shuffle_dataset(x, t)
    assert sorted(ts.tolist()) == list(range(10)) and np.array_equal(xs[:, 0] // 2, ts)


def test_given_modules_are_listed_and_present():
    assert GIVEN_MODULES == ("util",)
    for name in GIVEN_MODULES:
        assert (GIVEN_DIR / f"{name}.py").is_file()
        assert name not in MODULES


# --------------------------------------------------------------------------- 2. aliases


def test_edition_name_is_graded_with_a_note(tmp_path):
    path = submission(tmp_path, [("functions.py", "def sum_squared_error(", "def mean_squared_error(")])
    result = run(path, "functions.sum_squared_error")
    assert full(result, "functions.sum_squared_error"), all_output(result)
    assert "Note: graded your `mean_squared_error` as `sum_squared_error` (functions.py)." in result.output


def test_alias_with_a_bug_still_loses(tmp_path):
    path = submission(tmp_path, [("functions.py", "def sum_squared_error(", "def sum_squares_error("),
                                 ("functions.py", "    return 0.5 * np.sum((y - t) ** 2)\n",
                                  "    return np.sum((y - t) ** 2)\n")])
    result = run(path, "functions.sum_squared_error")
    assert not full(result, "functions.sum_squared_error")
    assert "0.5" in failures(result, "functions.sum_squared_error")
    assert "graded your `sum_squares_error` as `sum_squared_error`" in result.output


def test_alias_only_when_the_own_name_is_missing_or_the_stub(tmp_path):
    wrong = "\n\ndef mean_squared_error(y, t):\n    return 42.0\n"
    stub = ('def sum_squared_error(y, t):\n'
            '    raise NotImplementedError("TODO: implement sum_squared_error (see the docstring)")\n\n\n'
            'def mean_squared_error(y, t):\n    return 0.5 * np.sum((y - t) ** 2)\n')
    own = submission(tmp_path / "own", files={})
    with open(own / "functions.py", "a", encoding="utf-8") as f:
        f.write(wrong)  # the exercise's own, correct function is there: the alias is ignored
    result = run(own, "functions.sum_squared_error")
    assert full(result, "functions.sum_squared_error") and "Note:" not in result.output

    stubbed = submission(tmp_path / "stub", [("functions.py", "def sum_squared_error(", "def _replaced_sse(")])
    with open(stubbed / "functions.py", "a", encoding="utf-8") as f:
        f.write("\n\n" + stub)  # still the stub: the book's name is graded instead
    result = run(stubbed, "functions.sum_squared_error")
    assert full(result, "functions.sum_squared_error"), all_output(result)
    assert "graded your `mean_squared_error`" in result.output


@pytest.mark.parametrize("name", ["ReLU", "ReLu", "RELU"])
def test_class_names_differing_only_in_case(tmp_path, name):
    path = submission(tmp_path, [("layers.py", "class Relu:", f"class {name}:"),
                                 ("two_layer_net.py", "from .layers import Affine, Relu, SoftmaxWithLoss",
                                  f"from .layers import Affine, {name}, SoftmaxWithLoss"),
                                 ("two_layer_net.py", 'self.layers["Relu1"] = Relu()', f'self.layers["Relu1"] = {name}()')])
    result = run(path, "layers.Relu", "two_layer_net.TwoLayerNet")
    assert full(result, "layers.Relu") and full(result, "two_layer_net.TwoLayerNet"), all_output(result)
    assert f"graded your `{name}` as `Relu` (layers.py)" in result.output


def test_a_function_is_not_a_class_alias(tmp_path):
    """`relu` (the book's function in functions.py) is not the Relu layer."""
    path = submission(tmp_path, [("layers.py", "class Relu:", "class _Unused:")],
                      files={})
    with open(path / "layers.py", "a", encoding="utf-8") as f:
        f.write("\n\ndef relu(x):\n    return np.maximum(0, x)\n")
    result = run(path, "layers.Relu")
    assert not full(result, "layers.Relu")
    assert "defines no `Relu`" in failures(result, "layers.Relu")


def _module(source):
    import types

    module = types.ModuleType("student_functions")
    exec(compile(source, "student_functions.py", "exec"), module.__dict__)
    return module


def test_resolve_names_prefers_the_own_name_and_skips_stubs():
    stub = 'def sse(y, t):\n    raise NotImplementedError("TODO: implement sse (see the docstring)")\n'
    module = _module(stub + "def mse(y, t):\n    return 1\n\nclass ReLU:\n    pass\n\ndef relu(x):\n    return x\n")
    found = probes.resolve_names(module, [["sse", ("mse",), False], ["Relu", (), True], ["Affine", (), True]])
    assert found["aliased"] == {"sse": "mse", "Relu": "ReLU"}
    assert module.sse is module.mse and module.Relu is module.ReLU
    assert found["missing"] == {"Affine": []}
    own = _module("def sse(y, t):\n    return 0\n\ndef mse(y, t):\n    return 1\n")
    assert probes.resolve_names(own, [["sse", ("mse",), False]]) == {"aliased": {}, "missing": {}}
    assert own.sse(0, 0) == 0
    stubs_only = _module(stub + 'def mse(y, t):\n    raise NotImplementedError("TODO: implement mse")\n')
    assert probes.resolve_names(stubs_only, [["sse", ("mse",), False]]) == {"aliased": {}, "missing": {}}


def test_reference_copies_answer_to_the_learners_class_names(tmp_path):
    from autograder.submission import load_submission

    path = submission(tmp_path, [("two_layer_net.py", 'self.layers["Relu1"] = Relu()', 'self.layers["Relu1"] = ReLU()')])
    with load_submission(path) as sub:
        layout = sub.layout("two_layer_net", ["two_layer_net"], SOLUTIONS)
        layers = (layout.root / "submission" / "layers.py").read_text(encoding="utf-8")
        functions = (layout.root / "submission" / "functions.py").read_text(encoding="utf-8")
    assert "\nReLU = Relu\n" in layers and "\nReLu = Relu\n" in layers
    assert "sigmoid = Sigmoid" not in layers  # the function beside the class is never replaced
    assert "\nmean_squared_error = sum_squared_error\n" in functions


def test_aliases_are_catalog_data():
    assert by_id("functions.sum_squared_error").aliases == ("mean_squared_error", "sum_squares_error")
    assert {"ReLU", "ReLu"} <= set(by_id("layers.Relu").aliases)
    assert names_match("layers.Relu", "ReLU") and names_match("layers.Relu", "RELU")
    assert not names_match("layers.Relu", "Sigmoid") and not names_match("functions.softmax", "Softmax")
    assert ALIAS_NOTE_FORMAT.format(alias="a", name="b", module="m") == "graded your `a` as `b` (m.py)"


# --------------------------------------------------------------------------- 3. call styles


def test_gradient_descent_returning_x_and_history(tmp_path):
    path = submission(tmp_path, [("gradient.py", "    return x\n    ### END SOLUTION",
                                  "    return x, np.array([init_x])\n    ### END SOLUTION")])
    result = run(path, "gradient.gradient_descent")
    assert full(result, "gradient.gradient_descent"), all_output(result)


def test_gradient_descent_returning_something_else_still_fails(tmp_path):
    """A pair is read as (x, x_history): its first item must be the point reached."""
    path = submission(tmp_path, [("gradient.py", "    return x\n    ### END SOLUTION",
                                  "    return init_x, x\n    ### END SOLUTION")])
    result = run(path, "gradient.gradient_descent")
    assert not full(result, "gradient.gradient_descent")


@pytest.mark.parametrize("signature, body", [
    ("def backward(self, dout):", "        return dout * dx\n"),   # no default, as some learners write it
    ("def backward(self):", "        return dx\n"),                # no dout at all
])
def test_softmax_with_loss_backward_signatures(tmp_path, signature, body):
    path = submission(tmp_path, [("layers.py", "def backward(self, dout=1):", signature),
                                 ("layers.py", "        return dout * dx\n", body)])
    result = run(path, "layers.SoftmaxWithLoss")
    assert full(result, "layers.SoftmaxWithLoss"), all_output(result)


def test_two_layer_net_with_other_parameter_names(tmp_path):
    path = submission(tmp_path, [
        ("two_layer_net.py", "def __init__(self, input_size, hidden_size, output_size, weight_init_std=0.01):",
         "def __init__(self, n_in, n_hidden, n_out, init_std=0.01):\n"
         "        input_size, hidden_size, output_size, weight_init_std = n_in, n_hidden, n_out, init_std")])
    result = run(path, "two_layer_net.TwoLayerNet")
    assert full(result, "two_layer_net.TwoLayerNet"), all_output(result)


class _KwNet:
    def __init__(self, input_size, hidden_size, output_size, weight_init_std=0.01):
        self.args = (input_size, hidden_size, output_size, weight_init_std)


class _PositionalNet:
    def __init__(self, d, h, c, std=0.01):
        self.args = (d, h, c, std)


class _NoScaleNet:
    def __init__(self, d, h, c, seed=0):
        self.args = (d, h, c, seed)


class _OnlyKeywordsNet:
    def __init__(self, *, input_size, hidden_size, output_size, **options):
        self.args = (input_size, hidden_size, output_size, options.get("weight_init_std"))


def test_make_two_layer_net_conventions():
    assert callstyle.make_two_layer_net(_KwNet, 4, 3, 2).args == (4, 3, 2, 0.01)
    assert callstyle.make_two_layer_net(_KwNet, 4, 3, 2, 0.5).args == (4, 3, 2, 0.5)
    assert callstyle.make_two_layer_net(_PositionalNet, 4, 3, 2, 0.5).args == (4, 3, 2, 0.5)
    assert callstyle.make_two_layer_net(_OnlyKeywordsNet, 4, 3, 2, 0.5).args == (4, 3, 2, 0.5)
    assert callstyle.make_two_layer_net(_NoScaleNet, 4, 3, 2).args == (4, 3, 2, 0)
    with pytest.raises(TypeError, match="weight_init_std"):
        callstyle.make_two_layer_net(_NoScaleNet, 4, 3, 2, 0.5)


def test_backward_with_unit_and_descent_point():
    class WithDefault:
        def backward(self, dout=1):
            return ("dout", dout)

    class WithoutDout:
        def backward(self):
            return "none"

    assert callstyle.backward_with_unit(WithDefault()) == ("dout", 1)
    assert callstyle.backward_with_unit(WithoutDout()) == "none"
    x = np.array([1.0, 2.0])
    assert callstyle.descent_point((x, np.zeros((5, 2))), (2,)) is x
    assert callstyle.descent_point(x, (2,)) is x
    pair = [1.0, 2.0]  # a plain list that *is* the point
    assert callstyle.descent_point(pair, (2,)) is pair


def test_the_gate_builds_the_net_the_shared_way():
    """The MNIST gate and the checks build a TwoLayerNet through callstyle, nothing else."""
    source = inspect.getsource(probes)
    assert "callstyle.make_two_layer_net(module.TwoLayerNet" in source
    assert "TwoLayerNet(input_size=" not in source


# --------------------------------------------------------------------------- 4. blame isolation


OWN_HELPER_LAYERS = '''

def he_scale(fan_in):
    """A helper only this student's layers.py has."""
    return np.sqrt(2.0 / fan_in)
'''


def test_two_layer_net_relying_on_the_students_own_layers(tmp_path, configs_started):
    """The reference layers lack `he_scale`: the check is rerun with the student's own layers."""
    path = submission(tmp_path, [
        ("two_layer_net.py", "from .layers import Affine, Relu, SoftmaxWithLoss",
         "from .layers import Affine, Relu, SoftmaxWithLoss, he_scale"),
        ("two_layer_net.py", "        self.lastLayer = SoftmaxWithLoss()\n",
         "        self.lastLayer = SoftmaxWithLoss()\n        self.scale = he_scale(input_size)\n")])
    with open(path / "layers.py", "a", encoding="utf-8") as f:
        f.write(OWN_HELPER_LAYERS)
    result = run(path, "two_layer_net.TwoLayerNet")
    assert full(result, "two_layer_net.TwoLayerNet"), all_output(result)
    assert "two_layer_net.own" in configs_started


def test_second_configuration_only_when_needed(tmp_path, configs_started):
    path = submission(tmp_path)
    result = run(path, "layers.Affine", "two_layer_net.TwoLayerNet")
    assert full(result, "two_layer_net.TwoLayerNet")
    assert not [c for c in configs_started if c.endswith(".own")], configs_started


def test_own_class_name_and_a_bug_in_own_layers_is_charged_once(tmp_path):
    """ReLU (the learner's name) + a wrong Affine: Affine loses, TwoLayerNet (run on the reference
    layers, which answer to ReLU too) keeps full marks."""
    path = submission(tmp_path, [
        ("layers.py", "class Relu:", "class ReLU:"),
        ("layers.py", "        self.db = np.sum(dout, axis=0)\n", "        self.db = np.sum(dout, axis=1)\n"),
        ("two_layer_net.py", "from .layers import Affine, Relu, SoftmaxWithLoss",
         "from .layers import Affine, ReLU, SoftmaxWithLoss"),
        ("two_layer_net.py", 'self.layers["Relu1"] = Relu()', 'self.layers["Relu1"] = ReLU()')])
    result = run(path, "layers.Affine", "layers.Relu", "two_layer_net.TwoLayerNet")
    assert not full(result, "layers.Affine")
    assert full(result, "layers.Relu") and full(result, "two_layer_net.TwoLayerNet"), all_output(result)


def test_a_real_bug_in_the_dependent_module_still_fails(tmp_path, configs_started):
    path = submission(tmp_path, [("two_layer_net.py", 'grads["W2"], grads["b2"] = self.layers["Affine2"].dW, '
                                  'self.layers["Affine2"].db', 'grads["W2"], grads["b2"] = self.layers["Affine2"].dW.T, '
                                  'self.layers["Affine2"].db')])
    result = run(path, "two_layer_net.TwoLayerNet")
    assert not full(result, "two_layer_net.TwoLayerNet")
    assert "two_layer_net.own" in configs_started  # tried, and the bug is still there


def test_deps_come_from_the_catalog():
    assert deps_of("two_layer_net") == ("functions", "gradient", "layers")
    assert deps_of("layers") == ("functions",) and deps_of("optimizer") == ()


# --------------------------------------------------------------------------- 7. the catalog


def test_catalog_points_add_up_and_drive_the_checks():
    assert sum(POINTS.values()) == 100
    assert EXERCISES == tuple(e.id for e in CATALOG)
    specs = collect_checks()
    assert {s.exercise for s in specs} == set(EXERCISES)
    for exercise in EXERCISES:
        assert sum(s.max_score for s in specs if s.exercise == exercise) == pytest.approx(POINTS[exercise])


def test_checks_do_not_repeat_the_catalog():
    """Points live in the catalog only: no check marker declares them again."""
    for path in CHECKS.glob("test_*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "exercise":
                assert not node.keywords, f"{path.name}:{node.lineno} declares points beside the catalog"


def test_assignments_and_modules_derive_from_the_catalog():
    from autograder.nbbuild import conventions
    from autograder.submission import EXERCISE_MODULES

    assert conventions.ASSIGNMENTS is ASSIGNMENTS
    assert sorted(e for a in ASSIGNMENTS.values() for e in a) == sorted(EXERCISES)
    assert EXERCISE_MODULES == MODULES
    assert {e.module for e in CATALOG if e.module} == set(MODULES)


# --------------------------------------------------------------------------- 8. messages


def test_missing_name_says_what_was_expected_and_what_exists(tmp_path):
    path = submission(tmp_path, [("functions.py", "def sum_squared_error(", "def sum_square_error(")])
    result = run(path, "functions.sum_squared_error")
    text = failures(result, "functions.sum_squared_error")
    assert "functions.py defines no `sum_squared_error`" in text and "`sum_square_error`" in text, text
    assert "`mean_squared_error`" in text  # what else would be accepted
    assert "submission." not in text


def test_misspelt_last_layer(tmp_path):
    path = submission(tmp_path, [("two_layer_net.py", "        self.lastLayer = SoftmaxWithLoss()\n",
                                  "        self.last_layer = SoftmaxWithLoss()\n")])
    result = run(path, "two_layer_net.TwoLayerNet")
    layers_check = next(c for c in result.exercise("two_layer_net.TwoLayerNet").checks
                        if c.check_id.endswith("::test_layers"))
    assert not layers_check.passed
    text = layers_check.output
    assert "`lastLayer`" in text and "`last_layer`" in text, text
    assert "NoneType" not in text


def test_error_points_at_the_students_line_with_a_suggestion(tmp_path):
    path = submission(tmp_path, [("layers.py", "        return np.dot(x, self.W) + self.b\n",
                                  "        return np.dot(x, self.w) + self.b\n")])
    lines = (path / "layers.py").read_text(encoding="utf-8").splitlines()
    lineno = next(i for i, line in enumerate(lines, 1) if "np.dot(x, self.w)" in line)
    result = run(path, "layers.Affine")
    text = failures(result, "layers.Affine")
    assert f"layers.py:{lineno} in forward" in text and "did you mean `W`" in text, text


def test_import_error_traceback_has_no_grader_frames(tmp_path):
    """An error while importing a helper through `common.` shows the student's two lines, not the
    grader's alias module in between."""
    path = submission(tmp_path, [("layers.py", "import numpy as np\n", "import numpy as np\nfrom common.helpers import x\n")],
                      files={"helpers.py": "import numpy as np\n\nx = np.zeros(2)\ny = x.nonexistent\n"})
    result = run(path, "layers.Relu")
    text = failures(result, "layers.Relu")
    assert "layers.py:16 in <module>" in text and "helpers.py:4 in <module>" in text, text
    assert "_sys.modules" not in text and "import_module" not in text, text


def test_a_name_the_learner_defined_is_not_reported_undefined(tmp_path):
    """TwoLayerNet uses a helper of the learner's layers.py, whose Affine has a bug: the message
    is about the bug (the learner's own layers), not 'name he_scale is not defined'."""
    path = submission(tmp_path, [
        ("two_layer_net.py", "        self.lastLayer = SoftmaxWithLoss()\n",
         "        self.lastLayer = SoftmaxWithLoss()\n        self.scale = he_scale(input_size)\n"),
        ("two_layer_net.py", "from .layers import Affine, Relu, SoftmaxWithLoss", "from .layers import *"),
        ("layers.py", "        return np.dot(x, self.W) + self.b\n", "        return np.dot(x, self.W)\n")])
    with open(path / "layers.py", "a", encoding="utf-8") as f:
        f.write(OWN_HELPER_LAYERS)
    result = run(path, "two_layer_net.TwoLayerNet")
    text = failures(result, "two_layer_net.TwoLayerNet")
    assert text and "he_scale" not in text, text


def test_import_error_names_the_file_not_the_graders_path(tmp_path):
    path = submission(tmp_path, [("two_layer_net.py", "from .layers import Affine, Relu, SoftmaxWithLoss",
                                  "from .layers import Affine, Relu, SoftmaxWithLoss, nothing_here")],
                      omit=("layers.py",))
    shutil.copyfile(SOLUTIONS / "layers.py", path / "layers.py")
    result = run(path, "two_layer_net.TwoLayerNet")
    text = failures(result, "two_layer_net.TwoLayerNet")
    assert "cannot import name 'nothing_here' from 'layers' (layers.py)" in text, text
    assert "/submission/" not in text and "dlgrade-" not in text


def test_no_grader_internal_names_in_student_messages(tmp_path):
    """Failures inside probes and helpers the grader runs in the worker read in the student's terms."""
    path = submission(tmp_path, [
        ("gradient.py", "    x = init_x.copy()  # the caller's array stays untouched\n",
         "    x = init_x.copy()  # the caller's array stays untouched\n    raise RuntimeError('boom gd')\n"),
        ("layers.py", "        return np.dot(x, self.W) + self.b\n",
         "        raise RuntimeError('boom affine')\n"),
        ("two_layer_net.py", '        self.params["b2"] = np.zeros(output_size)\n',
         '        self.params["b2"] = np.zeros(output_size)\n        raise RuntimeError("boom net")\n')])
    result = run(path, "gradient.gradient_descent", "layers.Affine", "two_layer_net.TwoLayerNet")
    text = "\n".join(c.output for c in result.checks)
    for needle in ("boom gd", "boom affine", "boom net"):
        assert needle in text
    for name in INTERNAL_NAMES:
        assert name not in text, (name, text)
    assert "calling your gradient_descent" in text
