"""The audited MNIST gate (autograder/gate.py): fair to correct code, unforgeable by hostile code.

Real parts throughout: real MNIST (MNIST_DATA_DIR; the tests FAIL without it), real worker
processes, the reference and the corpus submissions. Most runs are shortened with the
rubric's ``iterations`` (the audit is the same at every iteration); the end-to-end verdicts
of whole gates are in tests/test_corpus.py (hostile/gate_* entries, the correct corpus).

Each protection is shown to matter: the lying gradient passes the whole gate once the audit is
switched off, and the weights a net substitutes inside the worker are really trained ones,
which a grader that took the worker's parameters (as before the audit) would have accepted.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

import corpus
import mnist_data
from autograder import gate as audited
from autograder.exercises import MODULES
from autograder.grading import GradeOptions, grade
from autograder.notebook import run_check
from autograder.rubric import MnistGate
from autograder.sandbox import Worker
from autograder.submission import load_submission
from dlscratch_reference import two_layer_net as ref
from tests_support import solution_namespace

pytestmark = pytest.mark.mnist
SOLUTIONS = Path(__file__).resolve().parent.parent / "solutions"
BY_NAME = {e.id: e for e in corpus.load_all()}

# A net whose params are float32: its whole forward and backward run in float32.
FLOAT32_PARAMS = [(f"weight_init_std * np.random.randn({a}, {b})",
                   f"(weight_init_std * np.random.randn({a}, {b})).astype(np.float32)")
                  for a, b in (("input_size", "hidden_size"), ("hidden_size", "output_size"))] + [
    (f"np.zeros({n})", f"np.zeros({n}, dtype=np.float32)") for n in ("hidden_size", "output_size")]


@pytest.fixture(scope="module")
def data():
    if not os.environ.get("MNIST_DATA_DIR"):
        pytest.fail("MNIST_DATA_DIR is not set; point it at the folder with the four MNIST .gz files")
    paths = mnist_data.cache_paths()
    x = np.load(paths["x_train"], mmap_mode="r")
    return x.reshape(len(x), -1), np.load(paths["t_train"], mmap_mode="r")


def variant(tmp_path, changes, name="variant"):
    """The reference modules with textual changes to two_layer_net.py (each old text occurs once)."""
    dest = tmp_path / name
    dest.mkdir()
    for module in MODULES:
        shutil.copyfile(SOLUTIONS / f"{module}.py", dest / f"{module}.py")
    path = dest / "two_layer_net.py"
    text = path.read_text()
    for old, new in changes:
        if text.count(old) != 1:  # not an AssertionError: the tests expect those from the gate
            raise ValueError(f"{old!r} occurs {text.count(old)} times in two_layer_net.py")
        text = text.replace(old, new)
    path.write_text(text)
    return dest


def entry(tmp_path, entry_id):
    return corpus.assemble(BY_NAME[entry_id], tmp_path / entry_id.replace("/", "_"))


def train(submission, data, *, concurrent=True, **settings):
    """gate.train on the submission's own modules in a real worker; returns the TrainingRun."""
    x_train, t_train = data
    with load_submission(submission) as loaded:
        layout = loaded.layout("all", MODULES)
        # One BLAS thread, as in the gate check: on a loaded machine more only fight each other.
        with Worker(layout.root, import_paths=layout.import_paths, timeout=60) as worker, \
                threadpool_limits(limits=1):
            module = worker.import_module("submission.two_layer_net")
            return audited.train(worker, module, x_train, t_train, MnistGate(**settings), ref,
                                 concurrent=concurrent, timeout=120)


def gate_check(submission):
    """The gate check's result for a submission (grade with only the gate)."""
    result = grade(str(submission), GradeOptions(only=frozenset({"mnist"})))
    (check,) = [c for c in result.checks if c.exercise == "mnist"]
    return check


# --------------------------------------------------------------------------- fairness


@pytest.mark.parametrize("entry_id", ["correct/book_style", "correct/alternative_formulas", "correct/loops_and_views"])
def test_correct_float64_gradients_match_to_rounding(entry_id, tmp_path, data):
    """Correct float64 code in other styles differs from the float32 audit by its rounding only.

    Measured over whole gates (1,200 iterations): < 2.3e-6 for every style, so RTOL leaves a
    margin of 400.
    """
    run = train(entry(tmp_path, entry_id), data, iterations=100)
    assert 0 < max(run.worst.values()) < audited.RTOL / 100, run.worst


def test_float32_network_passes_with_margin(tmp_path, data):
    """A net computing in float32 stays far inside the tolerance (measured: < 1e-6 over a whole gate)."""
    run = train(variant(tmp_path, FLOAT32_PARAMS), data, iterations=300)
    worst = max(run.worst.values())
    assert 1e-9 < worst < audited.RTOL / 10, run.worst  # really float32, and a margin of 10 at least


def test_audit_gradient_is_the_reference_backprop_in_float32(data):
    """The audit's gradient and loss are the reference TwoLayerNet's on float32 copies of the parameters.

    Bit for bit: its first Affine layer skips only dx (unused), and the rest is the reference code.
    """
    x_train, t_train = data
    gate = MnistGate()
    rng = np.random.default_rng(3)
    params = {"W1": rng.normal(0, 0.05, (784, gate.hidden_size)), "b1": rng.normal(0, 0.01, gate.hidden_size),
              "W2": rng.normal(0, 0.05, (gate.hidden_size, 10)), "b2": rng.normal(0, 0.01, 10)}
    auditor = audited._Auditor(ref, gate, params)
    idx = rng.choice(len(x_train), gate.batch_size)
    x, t = np.asarray(x_train[idx]), np.asarray(t_train[idx])
    got, loss = auditor.gradient(params, x, t)

    net = ref.TwoLayerNet(784, gate.hidden_size, 10)
    for key in audited.KEYS:
        net.params[key][...] = params[key]
        net.params[key] = net.params[key].astype(np.float32)
    net.layers["Affine1"] = ref.Affine(net.params["W1"], net.params["b1"])
    net.layers["Affine2"] = ref.Affine(net.params["W2"], net.params["b2"])
    expected = net.gradient(np.divide(x, np.float32(255.0), dtype=np.float32), np.eye(10, dtype=np.float32)[t])
    assert loss == float(net.lastLayer.loss)
    for key in audited.KEYS:
        assert got[key].dtype == np.float32
        np.testing.assert_array_equal(got[key], expected[key])
    # ... and that float32 result is the float64 reference gradient to float32 rounding.
    net64 = ref.TwoLayerNet(784, gate.hidden_size, 10)
    for key in audited.KEYS:
        net64.params[key][...] = params[key]
    exact = net64.gradient(x / 255.0, np.eye(10)[t])
    for key in audited.KEYS:
        assert 0 < audited.relative_difference(got[key], exact[key]) < 1e-5


def test_pipelined_and_inline_training_agree_exactly(tmp_path, data):
    """The concurrent pipeline (a thread talks to the worker) tracks exactly what the inline loop tracks."""
    submission = entry(tmp_path, "correct/book_style")
    # Batches of 1000: chunks of 21 iterations (gate.CHUNK_BYTES), so several chunks and a partial
    # last one, and an epoch end every 60 iterations.
    settings = {"iterations": 120, "batch_size": 1000}
    a = train(submission, data, concurrent=True, **settings)
    b = train(submission, data, concurrent=False, **settings)
    np.testing.assert_array_equal(a.losses, b.losses)
    assert [s["iteration"] for s in a.snapshots] == [0, 60, 120]
    for sa, sb in zip(a.snapshots, b.snapshots):
        for key in audited.KEYS:
            np.testing.assert_array_equal(sa[key], sb[key])


def test_grader_parameters_follow_the_reference_training(tmp_path, data):
    """What the grader tracks for the reference submission is the reference's own training loop."""
    settings = {"iterations": 120}
    run = train(SOLUTIONS, data, **settings)
    x_train, t_train = data
    gate = MnistGate(**settings)
    np.random.seed(gate.seed)
    net = ref.TwoLayerNet(784, gate.hidden_size, 10)
    batches = np.random.default_rng(gate.seed)
    velocity = {k: np.zeros_like(v) for k, v in net.params.items()}
    for i in range(gate.iterations):
        idx = batches.choice(len(x_train), gate.batch_size)
        grads = net.gradient(np.divide(x_train[idx], np.float32(255.0), dtype=np.float32), np.eye(10)[t_train[idx]])
        assert run.losses[i] == pytest.approx(net.lastLayer.loss, rel=1e-5)  # the audit's float32 loss
        for k in velocity:
            velocity[k] = gate.momentum * velocity[k] - gate.lr * grads[k]
            net.params[k] += velocity[k]
    for k in audited.KEYS:
        np.testing.assert_allclose(run.snapshots[-1][k], net.params[k], rtol=1e-9, atol=1e-12)


# --------------------------------------------------------------------------- clear failures


@pytest.mark.parametrize("entry_id, iteration, words", [
    ("buggy/swl_backward_not_divided", 1, "100 times too large"),
    ("buggy/affine_dW_divided_by_N", 1, "100 times too small"),
    ("buggy/tln_layers_on_copies", 2, "gradient at the initial weights"),
    ("buggy/tln_no_relu", 1, "check TwoLayerNet.gradient"),
])
def test_wrong_gradient_names_iteration_parameter_and_hint(entry_id, iteration, words, tmp_path, data):
    with pytest.raises(AssertionError) as failed:
        train(entry(tmp_path, entry_id), data, iterations=5)
    message = str(failed.value)
    assert f"gradient of W1 at iteration {iteration} differs from the backprop gradient" in message
    assert words in message


RETURN = 'grads["W2"], grads["b2"] = self.layers["Affine2"].dW, self.layers["Affine2"].db\n        return grads\n'


@pytest.mark.parametrize("changes, words", [
    ([(RETURN, RETURN.replace("return grads", "return list(grads.values())"))],
     "returned list at iteration 1"),
    ([(RETURN, RETURN.replace("return grads", 'grads["W2"] = grads["W2"] * np.nan\n        return grads'))],
     "gradient W2 returned by net.gradient(x, t) at iteration 1 contains NaN"),
    ([('self.params["b2"] = np.zeros(output_size)', 'self.params["b2"] = np.zeros((1, output_size))')],
     "params['b2'] has shape (1, 10); expected (10,)"),
])
def test_malformed_gradients_and_params_fail_clearly(changes, words, tmp_path, data):
    with pytest.raises(AssertionError) as failed:
        train(variant(tmp_path, changes), data, iterations=5)
    assert words in str(failed.value)


TAMPER_RESULTS = '''grads["W2"], grads["b2"] = self.layers["Affine2"].dW, self.layers["Affine2"].db
        import sys
        results = sys._getframe(1).f_locals.get("results")
        if isinstance(results, list) and len(results) == 3:
            {action}
        return grads
'''


@pytest.mark.parametrize("action, words", [
    ("results.extend([results[0]] * 100)", "malformed reply"),
    ("results[1] = results[0]", "gradient of W1 at iteration 2 differs"),
])
def test_worker_side_tampering_with_the_replies_fails(action, words, tmp_path, data):
    """Student code that edits the worker's reply (in its caller's frame) fails the gate; the grader never breaks."""
    changes = [(RETURN, TAMPER_RESULTS.format(action=action))]
    with pytest.raises(AssertionError) as failed:
        train(variant(tmp_path, changes), data, iterations=10)
    assert words in str(failed.value)


# --------------------------------------------------------------------------- attacks, with and without the protection


def test_lying_gradient_passes_without_the_audit_and_fails_with_it(tmp_path, data, monkeypatch):
    """hostile/gate_lying_gradient steers the grader's update to its private weights: the audit alone stops it."""
    submission = entry(tmp_path, "hostile/gate_lying_gradient")
    check = gate_check(submission)
    assert not check.passed
    assert "gradient of W1 at iteration 1 differs from the backprop gradient" in check.output
    monkeypatch.setattr(audited, "RTOL", float("inf"))  # no audit: the grader applies whatever comes back
    unaudited = gate_check(submission)
    assert unaudited.passed, unaudited.output
    assert unaudited.extra_data["test_accuracy"][-1] >= 0.95


def test_substituted_weights_are_trained_but_never_reach_the_grader(tmp_path, data):
    """hostile/gate_substitutes_weights really trains what it writes into params (a grader reading the
    worker's parameters, as before the audit, would pass it), yet the grader's own parameters never see them."""
    x_train, t_train = data
    gate = MnistGate(iterations=600)
    with pytest.raises(AssertionError, match="at iteration 2 differs"):
        train(entry(tmp_path, "hostile/gate_substitutes_weights"), data, iterations=gate.iterations)
    # The same net, driven the way the gate drives it but with nobody auditing: what does it hold?
    with load_submission(entry(tmp_path / "again", "hostile/gate_substitutes_weights")) as loaded:
        layout = loaded.layout("all", MODULES)
        # One BLAS thread, as in the gate check: on a loaded machine more only fight each other.
        with Worker(layout.root, import_paths=layout.import_paths, timeout=60) as worker, \
                threadpool_limits(limits=1):
            module = worker.import_module("submission.two_layer_net")
            start = worker.probe("gate_network", module=module, hidden_size=gate.hidden_size, seed=gate.seed)
            params = {k: v.astype(np.float64) for k, v in start["params"].items()}
            velocity = {k: np.zeros_like(v) for k, v in params.items()}
            idx = np.random.default_rng(gate.seed).choice(len(x_train), (gate.iterations, gate.batch_size))
            for begin in range(0, gate.iterations, audited.CHUNK):
                chunk = idx[begin:begin + audited.CHUNK]
                worker.probe("gate_chunk", session=start["session"], x=x_train[chunk.ravel()].reshape(*chunk.shape, -1),
                             t=t_train[chunk.ravel()].reshape(chunk.shape), optimizer=gate.optimizer, lr=gate.lr,
                             momentum=gate.momentum, **({"params": params, "velocity": velocity} if begin == 0 else {}))
            substituted = start["session"].net.params
    paths = mnist_data.cache_paths()
    x_test, t_test = mnist_data.book_format(np.load(paths["x_test"]), np.load(paths["t_test"]))
    net = ref.TwoLayerNet(784, gate.hidden_size, 10)
    for key in audited.KEYS:
        net.params[key][...] = substituted[key]
    assert net.accuracy(x_test, t_test) >= 0.95


# --------------------------------------------------------------------------- the notebook kernel path


def test_gate_in_a_notebook_kernel(monkeypatch):
    """run_check runs the gate inline on the notebook's own TwoLayerNet: the reference passes, a liar fails."""
    namespace = solution_namespace("functions", "gradient", "layers", "two_layer_net")
    assert run_check("mnist::test_trained_accuracy", namespace) is None
    honest = namespace["TwoLayerNet"].gradient

    def scaled(self, x, t):
        return {k: 2 * v for k, v in honest(self, x, t).items()}

    namespace["TwoLayerNet"].gradient = scaled
    with pytest.raises(AssertionError, match="gradient of W1 at iteration 1 differs"):
        run_check("mnist::test_trained_accuracy", namespace)
