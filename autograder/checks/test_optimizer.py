"""Checks for optimizer.py: SGD, Momentum (and the bonus AdaGrad, Adam).

Each check runs several update steps on a params dict living in the worker,
then fetches it: the values must follow the reference, and every array must
be the *same object* as before (updated in place), because a network's Affine
layers hold those arrays.
"""
import numpy as np
import pytest

from autograder.compare import expect_close, expect_true
from autograder.i18n import _, ngettext

SHAPES = {"W1": (3, 4), "b1": (4,), "W2": (4, 2), "b2": (2,)}


def clear_of_zero(rng, shape):
    """Random entries of magnitude at least 0.5, for parameters and gradients.

    Where |g| is tiny, the 1e-7 of AdaGrad and Adam shows in the result, and where a
    parameter is near 0 the relative tolerance shrinks below that: only the gradient entry
    that is exactly 0 is there to test the 1e-7, so everything else stays clear of 0.
    """
    g = rng.normal(size=shape)
    return np.sign(g + 1e-300) * (0.5 + np.abs(g))


def run_steps(student, ref, worker, rng, name, steps=4, hints_for=None, tolerance=None, **kwargs):
    """Apply `steps` updates with the student's and the reference optimizer and compare.

    tolerance: rtol/atol for expect_close (default: expect_close's).
    """
    params = {k: clear_of_zero(rng, s) for k, s in SHAPES.items()}
    grads = [{k: clear_of_zero(rng, s) for k, s in SHAPES.items()} for _step in range(steps)]
    for g in grads:  # a parameter whose gradient stays 0: without the 1e-7, AdaGrad and Adam divide 0 by 0
        g["b2"][0] = 0.0
    remote = worker.put(params)
    ids = worker.ids(remote)
    optimizer = getattr(student, name)(**kwargs)
    reference = getattr(ref, name)(**kwargs)
    expected = {k: v.copy() for k, v in params.items()}
    args = ", ".join(f"{k}={v}" for k, v in kwargs.items())
    for step, g in enumerate(grads, 1):
        optimizer.update(remote, g)
        reference.update(expected, {k: v.copy() for k, v in g.items()})
        got = worker.fetch(remote)
        expect_true(worker.ids(remote) == ids,
                    _("{call}.update(params, grads) replaced arrays in params instead of updating them in "
                      "place. Write params[key] -= ... (not params[key] = params[key] - ...): the network's "
                      "Affine layers hold the original arrays and would never see the new values.").format(
                        call=f"{name}({args})"))
        hints = hints_for(params, grads[:step]) if hints_for else None
        for key in SHAPES:
            expect_true(key in got, _("{call}.update(params, grads) removed params['{key}']").format(
                call=f"{name}({args})", key=key))
            what = ngettext("params['{key}'] after {count} {call}.update call",
                            "params['{key}'] after {count} {call}.update calls", step).format(
                key=key, count=step, call=f"{name}({args})")
            expect_close(got[key], expected[key], what,
                         hints=hints[key] if hints else None, **(tolerance or {}))


class TestSGD:
    pytestmark = pytest.mark.exercise("optimizer.SGD")

    def test_updates(self, student, ref, worker, rng):
        """SGD(lr=0.1) over 3 steps, in place"""
        run_steps(student, ref, worker, rng, "SGD", steps=3, lr=0.1, hints_for=lambda p, gs: {
            k: {_("Move against the gradient: params[key] -= lr * grads[key]."):
                p[k] + 0.1 * sum(g[k] for g in gs)} for k in SHAPES})

    def test_default_lr(self, student, ref, worker, rng):
        """SGD() uses lr=0.01 by default"""
        run_steps(student, ref, worker, rng, "SGD", steps=1)


class TestMomentum:
    pytestmark = pytest.mark.exercise("optimizer.Momentum")

    @staticmethod
    def forgetful(p, gs, lr, momentum):
        """The known wrong Momentums: one that starts from v = 0 at every call, and the moving-average
        form of other courses (a learner's repository: v = momentum * v + (1 - momentum) * grad,
        W -= lr * v), a different method whose steps are (1 - momentum) times the book's."""
        averaged = {}
        for k in SHAPES:
            v, w = np.zeros_like(p[k]), p[k].copy()
            for g in gs:
                v = momentum * v + (1 - momentum) * g[k]
                w = w - lr * v
            averaged[k] = w
        return {k: {_("Keep the velocity self.v between calls: create it only on the first update "
                      "(if self.v is None), then v = momentum * v - lr * grad."):
                    p[k] - lr * sum(g[k] for g in gs),
                    _("This is the moving-average form v = momentum * v + (1 - momentum) * grad, "
                      "W -= lr * v; the book's Momentum is v = momentum * v - lr * grad, then W += v "
                      "(no (1 - momentum) factor)."): averaged[k]} for k in SHAPES}

    @pytest.mark.weight(2)
    def test_updates(self, student, ref, worker, rng):
        """Momentum(lr=0.1, momentum=0.9) over 4 steps keeps its velocity between calls"""
        run_steps(student, ref, worker, rng, "Momentum", steps=4, lr=0.1, momentum=0.9,
                  hints_for=lambda p, gs: self.forgetful(p, gs, 0.1, 0.9))

    def test_momentum_argument(self, student, ref, worker, rng):
        """Momentum(lr=0.1, momentum=0.5) uses the momentum it is given"""
        run_steps(student, ref, worker, rng, "Momentum", steps=2, lr=0.1, momentum=0.5,
                  hints_for=lambda p, gs: self.forgetful(p, gs, 0.1, 0.5))

    @pytest.mark.visibility("after_due_date")  # an edge case: revealed after the deadline
    def test_other_coefficients(self, student, ref, worker, rng):
        """Momentum(lr=0.05, momentum=0.5) uses both of its arguments"""
        run_steps(student, ref, worker, rng, "Momentum", steps=3, lr=0.05, momentum=0.5,
                  hints_for=lambda p, gs: self.forgetful(p, gs, 0.05, 0.5))

    def test_defaults(self, student, ref, worker, rng):
        """Momentum() uses lr=0.01 and momentum=0.9 by default"""
        run_steps(student, ref, worker, rng, "Momentum", steps=2,
                  hints_for=lambda p, gs: self.forgetful(p, gs, 0.01, 0.9))


class TestAdaGrad:
    pytestmark = pytest.mark.exercise("optimizer.AdaGrad")

    def test_updates(self, student, ref, worker, rng):
        """AdaGrad(lr=0.1) over 4 steps (bonus)"""
        run_steps(student, ref, worker, rng, "AdaGrad", steps=4, lr=0.1)


class TestAdam:
    pytestmark = pytest.mark.exercise("optimizer.Adam")
    # The textbook form lr * m_hat / (sqrt(v_hat) + eps) puts eps elsewhere than the book's
    # lr_t * m / (sqrt(v) + eps): both are Adam, and they differ by up to ~1e-5 of a step.
    TOLERANCE = {"rtol": 1e-4, "atol": 1e-6}

    def test_updates(self, student, ref, worker, rng):
        """Adam(lr=0.01) over 5 steps (bonus)"""
        run_steps(student, ref, worker, rng, "Adam", steps=5, lr=0.01, tolerance=self.TOLERANCE)

    @pytest.mark.visibility("after_due_date")  # an edge case: revealed after the deadline
    def test_defaults(self, student, ref, worker, rng):
        """Adam() uses lr=0.001, beta1=0.9, beta2=0.999 by default"""
        run_steps(student, ref, worker, rng, "Adam", steps=3, tolerance=self.TOLERANCE)
