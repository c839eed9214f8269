"""Checks for gradient.py: numerical differentiation and gradient descent (book chapter 4).

The functions being differentiated (``probes.FUNCTIONS``) are the grader's own
code; a check gets a handle to the worker's copy with ``worker.probe("function", ...)``.
"""
import numpy as np
import pytest

from autograder import callstyle, numgrad, probes
from autograder.compare import expect_close
from autograder.i18n import _


def forward_difference(f, x, h=1e-4):
    return (f(x + h) - f(x)) / h


class TestNumericalDiff:
    pytestmark = pytest.mark.exercise("gradient.numerical_diff")

    @pytest.mark.parametrize("x", [5.0, 10.0])
    def test_book_function(self, student, ref, worker, rng, x):
        """numerical_diff of the book's function_1 = 0.01x² + 0.1x"""
        f = probes.FUNCTIONS["function_1"]
        for point, shown in ((x, f"{x}"), (float(rng.uniform(-10.0, 10.0)), _("another x in [-10, 10]"))):
            expect_close(student.numerical_diff(worker.probe("function", key="function_1"), point),
                         ref.numerical_diff(f, point), f"numerical_diff(function_1, {shown})", rtol=1e-6, hints={
                             _("Use the central difference (f(x + h) - f(x - h)) / (2 * h); "
                               "the forward difference is less accurate."): forward_difference(f, point),
                             _("h is too small: with h = 1e-50 rounding error wipes out the difference. "
                               "Use h = 1e-4."): 0.0,
                         })

    def test_curved_function(self, student, ref, worker, rng):
        """numerical_diff of exp(x) near 1.0"""
        x = float(rng.uniform(0.5, 1.5))
        expect_close(student.numerical_diff(worker.probe("function", key="exp"), x),
                     np.exp(x), _("numerical_diff(np.exp, x) for an x in [0.5, 1.5]"), rtol=1e-6,
                     hints={_("Use the central difference (f(x + h) - f(x - h)) / (2 * h)."):
                            forward_difference(np.exp, x)})


class TestNumericalGradient:
    pytestmark = pytest.mark.exercise("gradient.numerical_gradient")

    @pytest.mark.parametrize("point", [(3.0, 4.0), (0.0, 2.0), (3.0, 0.0)])
    def test_book_function(self, student, worker, rng, point):
        """numerical_gradient of the book's function_2 = x0² + x1²"""
        f = probes.FUNCTIONS["function_2"]
        another = rng.uniform(-5.0, 5.0, size=2)
        for x, shown in ((np.array(point), f"np.array({list(point)})"), (another, _("another x of shape (2,)"))):
            expect_close(student.numerical_gradient(worker.probe("function", key="function_2"), x),
                         2 * x, f"numerical_gradient(function_2, {shown})", rtol=1e-6, atol=1e-7,
                         hints={_("Use the central difference (f(x + h) - f(x - h)) / (2 * h)."):
                                np.array([forward_difference(lambda v: f(np.array([v, x[1]])), x[0]),
                                          forward_difference(lambda v: f(np.array([x[0], v])), x[1])])})

    @pytest.mark.weight(2)
    @pytest.mark.visibility("after_due_date")  # an edge case: revealed after the deadline
    @pytest.mark.parametrize("shape", [(3, 4), (2, 3, 2)])
    def test_any_shape(self, student, worker, rng, shape):
        """numerical_gradient works for x of any shape"""
        x = rng.normal(size=shape)
        f = probes.FUNCTIONS["weighted_cubes"]
        expect_close(student.numerical_gradient(worker.probe("function", key="weighted_cubes"), x),
                     numgrad.numerical_gradient(f, x), _("numerical_gradient(f, x) for x of shape {shape}").format(shape=shape),
                     rtol=1e-5, atol=1e-7)

    def test_coupled_function(self, student, worker):
        """numerical_gradient of log(sum(exp(x))), a function of all elements at once (gradient softmax(x))"""
        x = np.array([0.3, 2.9, 4.0, -1.0])
        f = probes.FUNCTIONS["log_sum_exp"]
        expect_close(student.numerical_gradient(worker.probe("function", key="log_sum_exp"), x),
                     numgrad.numerical_gradient(f, x), _("numerical_gradient(f, np.array([0.3, 2.9, 4.0, -1.0])) "
                                                        "for f(x) = np.log(np.sum(np.exp(x)))"),
                     rtol=1e-5, atol=1e-7, hints={
                         _("Call f on the whole array x, with only x[idx] changed: f(x), not f(x[idx])."):
                             np.ones_like(x),
                     })

    def test_matrix(self, student, worker, rng):
        """numerical_gradient works for a matrix x (as W1 in TwoLayerNet), with f of all its elements"""
        # Visible because a 1-D-only loop (range(len(x)), or ch04's row-by-row gradient_2d) passes
        # every 1-D check and only breaks on the network's weight matrices.
        x = rng.normal(size=(2, 3))
        f = probes.FUNCTIONS["log_sum_exp"]
        expected = numgrad.numerical_gradient(f, x)
        by_rows = np.exp(x) / np.exp(x).sum(axis=1, keepdims=True)  # f applied to each row alone
        whole_rows = np.broadcast_to(expected.sum(axis=1, keepdims=True), x.shape)  # x[i] += h moves a row
        expect_close(student.numerical_gradient(worker.probe("function", key="log_sum_exp"), x),
                     expected, _("numerical_gradient(f, x) for x of shape (2, 3) "
                                 "and f(x) = np.log(np.sum(np.exp(x)))"), rtol=1e-5, atol=1e-7, hints={
                         _("f must see the whole matrix: do not call it on one row at a time. Visit every "
                           "element with np.nditer(x, flags=['multi_index'])."): by_rows,
                         _("x[idx] with idx from range(len(x)) is a whole row of a matrix: visit every "
                           "element with np.nditer(x, flags=['multi_index'])."): whole_rows,
                     })

    def test_restores_x(self, student, worker, rng):
        """numerical_gradient leaves x as it found it"""
        x = rng.normal(size=(2, 3))
        remote_x = worker.put(x)
        student.numerical_gradient(worker.probe("function", key="weighted_cubes"), remote_x)
        expect_close(worker.fetch(remote_x), x,
                     _("x after numerical_gradient(f, x) (it must be restored: x[idx] = tmp_val)"),
                     rtol=0, atol=1e-12)


class TestGradientDescent:
    pytestmark = pytest.mark.exercise("gradient.gradient_descent")
    # Each check runs the student's gradient_descent with the grader's numerical_gradient
    # in place of the student's, so a bug there costs only the numerical_gradient points.

    def run(self, student, worker, init_x, **kwargs):
        result = worker.probe("call_with_global", function=student.gradient_descent, module=student,
                              attribute="numerical_gradient", replacement="numerical_gradient",
                              args=[worker.probe("function", key="function_2"), init_x], kwargs=kwargs,
                              book_order=["f", "init_x", "lr", "step_num"])  # step_number=100 is fine too
        return callstyle.descent_point(result, np.shape(init_x))  # x, or the book's (x, x_history)

    def expected(self, init_x, lr=0.01, step_num=100):
        x = np.array(init_x, dtype=float)
        for _step in range(step_num):
            x = x - lr * numgrad.numerical_gradient(probes.FUNCTIONS["function_2"], x)
        return x

    def test_book_example(self, student, worker, rng):
        """gradient_descent(function_2, init_x=np.array([-3.0, 4.0]), lr=0.1, step_num=100)"""
        for init, shown in ((np.array([-3.0, 4.0]), "np.array([-3.0, 4.0])"),
                            (rng.uniform(-5.0, 5.0, size=2), _("another init_x of shape (2,)"))):
            expect_close(self.run(student, worker, init, lr=0.1, step_num=100), self.expected(init, 0.1, 100),
                         f"gradient_descent(function_2, {shown}, lr=0.1, step_num=100)",
                         rtol=1e-5, atol=1e-8)

    def other_defaults(self, init):
        """Hints for defaults other than the book's (a learner's repository had step_num=200, and was
        told of "a constant factor" everywhere): the result of each plausible pair, named."""
        hints = {}
        for lr in (0.01, 0.1, 0.001):
            for step_num in (10, 20, 50, 100, 200, 1000):
                if (lr, step_num) != (0.01, 100):
                    hints[_("The result is that of lr={lr}, step_num={step_num}: the defaults must be the "
                            "book's, gradient_descent(f, init_x, lr=0.01, step_num=100).").format(
                        lr=lr, step_num=step_num)] = init * (1 - 2 * lr) ** step_num  # function_2's closed form
        return hints

    @pytest.mark.weight(2)
    def test_defaults_and_step_count(self, student, worker, rng):
        """gradient_descent uses lr=0.01 and step_num=100 by default and takes exactly step_num steps"""
        init = rng.uniform(-5.0, 5.0, size=2)
        expect_close(self.run(student, worker, init), self.expected(init),
                     _("gradient_descent(function_2, init_x of shape (2,)) with the default lr and step_num"),
                     rtol=1e-6, hints={
                         _("Take exactly step_num steps (one too many)."): self.expected(init, step_num=101),
                         _("Take exactly step_num steps (one too few)."): self.expected(init, step_num=99),
                         _("Move against the gradient: x -= lr * grad."): init * (1.02 ** 100),
                         **self.other_defaults(init),
                     })
        init3 = rng.uniform(-3.0, 3.0, size=(2, 2))
        expect_close(self.run(student, worker, init3, lr=0.05, step_num=20), self.expected(init3, 0.05, 20),
                     _("gradient_descent(function_2, x of shape (2, 2), lr=0.05, step_num=20)"), rtol=1e-6)
