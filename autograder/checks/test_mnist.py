"""The MNIST accuracy gate: the student's own TwoLayerNet.gradient, audited, on the grader's schedule.

The grader holds the parameters and applies its own update (``autograder.gate``); the
student's network, in the worker, only returns ``gradient(x, t)`` for the grader's
parameters and batches, and every gradient is checked against the reference backprop
gradient. Test accuracy is measured here, on the parameters the grader tracked, with
the reference ``predict``.
"""
import numpy as np
import pytest
from threadpoolctl import threadpool_limits

import mnist_data
from autograder import gate as audited
from autograder.compare import expect_true
from autograder.exercises import ALL_STUDENT
from autograder.i18n import _
from autograder.pool import WorkerPool
from dlscratch_reference import two_layer_net as ref

pytestmark = pytest.mark.exercise("mnist")


class DataUnavailable(Exception):
    """The gate's data cannot be loaded (a notebook kernel without MNIST): the student's to fix, not a grader bug.

    ``dlgrade grade`` looks for the data first and leaves the gate out without it; a notebook
    kernel runs the gate's cell as it is, so the cell says what is missing.
    """

    def describe(self):
        return str(self)


@pytest.fixture(scope="session")
def mnist(context):
    """The training arrays (raw uint8, read-only) and the evaluation arrays, loaded once per grading run."""
    try:
        paths = mnist_data.cache_paths(context.options.data_dir)
    except mnist_data.MNISTError as exc:
        raise DataUnavailable(_("the MNIST gate needs the MNIST data: {problem}").format(problem=exc)) from None
    raw = {key: np.load(path, mmap_mode="r") for key, path in paths.items()}
    x_test, t_test = mnist_data.book_format(raw["x_test"], raw["t_test"])
    # Training accuracy is measured on a fixed 10,000-image slice: the curve has the same shape,
    # and normalising all 60,000 images would cost more than the training itself.
    x_train, t_train = mnist_data.book_format(raw["x_train"][:10000], raw["t_train"][:10000])
    return {"x_train": x_train, "t_train": t_train, "x_test": x_test, "t_test": t_test,
            "raw_x_train": raw["x_train"].reshape(len(raw["x_train"]), -1), "raw_t_train": raw["t_train"]}


def accuracy(ref_module, params, x, t, hidden_size):
    net = ref_module.TwoLayerNet(784, hidden_size, 10)
    for key in net.params:
        net.params[key][...] = params[key]
    return float(net.accuracy(x, t))


def accuracies(ref_module, snapshots, x, t, hidden_size):
    """accuracy() of each snapshot, with the images cast to float64 once, not once per snapshot.

    np.dot casts float32 images to the float64 weights' type anyway: the same numbers, 20 ms
    less per snapshot and dataset.
    """
    x = np.asarray(x, dtype=np.result_type(x, np.float64))
    return [accuracy(ref_module, s, x, t, hidden_size) for s in snapshots]


def test_trained_accuracy(context, worker, extra_data, mnist):
    """TwoLayerNet(784, 50, 10) trained on MNIST reaches the required test accuracy"""
    gate = context.rubric.mnist
    extra_data["threshold"] = gate.threshold  # the report shows it, whether or not training runs
    module = context.pool.student_module(ALL_STUDENT, "two_layer_net")
    # Student code in a worker process: the audit overlaps its next gradients. In a notebook
    # kernel (no WorkerPool) it runs in this very process, so one thread does both in turn.
    # One BLAS thread: the audit's matrices are small, and a second thread would fight the worker.
    with threadpool_limits(limits=1):
        run = audited.train(worker, module, mnist["raw_x_train"], mnist["raw_t_train"], gate, ref,
                            concurrent=isinstance(context.pool, WorkerPool), timeout=gate.timeout)
    test_acc = accuracies(ref, run.snapshots, mnist["x_test"], mnist["t_test"], gate.hidden_size)
    train_acc = accuracies(ref, run.snapshots, mnist["x_train"], mnist["t_train"], gate.hidden_size)
    extra_data.update({
        "iterations": [s["iteration"] for s in run.snapshots],
        "test_accuracy": [round(a, 4) for a in test_acc],
        "train_accuracy": [round(a, 4) for a in train_acc],
        "loss": [round(float(v), 4) for v in run.losses],
        # How far the student's gradients were from the reference's (the audit's tolerance: gate.RTOL).
        "gradient_max_relative_difference": {k: float(f"{v:.3g}") for k, v in run.worst.items()},
        "threshold": gate.threshold,
    })
    expect_true(test_acc[0] < 0.5,
                _("your TwoLayerNet reaches a test accuracy of {accuracy} before any training. "
                  "The gate measures what the grader's training teaches a freshly initialised network "
                  "(weights weight_init_std * np.random.randn, biases zero).").format(accuracy=f"{test_acc[0]:.4f}"))
    final = test_acc[-1]
    expect_true(final >= gate.threshold,
                _("after {iterations} training iterations ({optimizer}, lr {lr}, batches of {batch_size}) your "
                  "network reaches a test accuracy of {accuracy}; at least {threshold} is required. Losses: first "
                  "{first}, last {last}. Your gradients matched the reference at every iteration, so check the "
                  "initial weights (weight_init_std * np.random.randn, biases zero).").format(
                    iterations=gate.iterations, optimizer=gate.optimizer, lr=gate.lr, batch_size=gate.batch_size,
                    accuracy=f"{final:.4f}", threshold=f"{gate.threshold:.2f}", first=f"{run.losses[0]:.3f}",
                    last=f"{run.losses[-1]:.3f}"))
