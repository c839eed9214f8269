"""The MNIST accuracy gate: the student's own TwoLayerNet, trained by the grader.

The worker runs the grader's training loop (``probes.train_two_layer_net``:
fixed seed, mini-batches, the grader's in-place Momentum or SGD update) on the
student's network, using only the student's modules. It sends back the
parameters at each epoch; test accuracy is measured here, in the grader's
process, with the reference ``predict``.
"""
import numpy as np
import pytest

import mnist_data
from autograder.compare import as_numeric_array, expect_true
from solutions import two_layer_net as ref
from autograder.exercises import ALL_STUDENT

pytestmark = pytest.mark.exercise("mnist", points=8)


@pytest.fixture(scope="session")
def mnist(context):
    """The cache files the worker maps, and the evaluation arrays, loaded once per grading run."""
    paths = mnist_data.cache_paths(context.options.data_dir)
    raw = {key: np.load(path, mmap_mode="r") for key, path in paths.items()}
    x_test, t_test = mnist_data.book_format(raw["x_test"], raw["t_test"])
    # Training accuracy is measured on a fixed 10,000-image slice: the curve has the same shape,
    # and normalising all 60,000 images would cost more than the training itself.
    x_train, t_train = mnist_data.book_format(raw["x_train"][:10000], raw["t_train"][:10000])
    return {"x_train": x_train, "t_train": t_train, "x_test": x_test, "t_test": t_test,
            "paths": {key: str(path) for key, path in paths.items()}}


def accuracy(ref_module, params, x, t, hidden_size):
    net = ref_module.TwoLayerNet(784, hidden_size, 10)
    for key in net.params:
        net.params[key][...] = params[key]
    return float(net.accuracy(x, t))


def test_trained_accuracy(context, worker, extra_data, mnist):
    """TwoLayerNet(784, 50, 10) trained on MNIST reaches the required test accuracy"""
    gate = context.rubric.mnist
    module = context.pool.student_module(ALL_STUDENT, "two_layer_net")
    run = worker.probe("train_two_layer_net", timeout=gate.timeout, module=module, paths=mnist["paths"],
                       iterations=gate.iterations, batch_size=gate.batch_size, hidden_size=gate.hidden_size,
                       lr=gate.lr, momentum=gate.momentum, optimizer=gate.optimizer, seed=gate.seed)
    test_acc, train_acc = [], []
    shapes = {"W1": (784, gate.hidden_size), "b1": (gate.hidden_size,), "W2": (gate.hidden_size, 10), "b2": (10,)}
    for snapshot in run["snapshots"]:
        for key, shape in shapes.items():
            snapshot[key] = as_numeric_array(snapshot[key], f"net.params['{key}'] during training", shape=shape)
            expect_true(np.all(np.isfinite(snapshot[key])),
                        f"training diverged: params['{key}'] contains NaN or inf after "
                        f"{snapshot['iteration']} iterations. Check your gradient.")
        test_acc.append(accuracy(ref, snapshot, mnist["x_test"], mnist["t_test"], gate.hidden_size))
        train_acc.append(accuracy(ref, snapshot, mnist["x_train"], mnist["t_train"], gate.hidden_size))
    extra_data.update({
        "iterations": [s["iteration"] for s in run["snapshots"]],
        "test_accuracy": [round(a, 4) for a in test_acc],
        "train_accuracy": [round(a, 4) for a in train_acc],
        "loss": [round(float(v), 4) for v in run["losses"]],
        "threshold": gate.threshold,
    })
    expect_true(test_acc[0] < 0.5,
                f"your TwoLayerNet reaches a test accuracy of {test_acc[0]:.4f} before any training. "
                "The gate measures what the grader's training loop teaches a freshly initialised network "
                "(weights weight_init_std * np.random.randn, biases zero).")
    final = test_acc[-1]
    expect_true(final >= gate.threshold,
                f"after {gate.iterations} training iterations ({gate.optimizer}, lr {gate.lr}, batches of "
                f"{gate.batch_size}) your network reaches a test accuracy of {final:.4f}; at least "
                f"{gate.threshold:.2f} is required. Losses: first {run['losses'][0]:.3f}, "
                f"last {run['losses'][-1]:.3f}. If the other exercises pass, check that the layers share the "
                "arrays in params and that gradient() returns the layers' dW and db.")
