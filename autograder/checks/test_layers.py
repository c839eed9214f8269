"""Checks for layers.py: forward/backward of each layer (book chapter 5).

Every backward is checked twice: against the reference backward on the same
inputs, and against the grader's float64 numerical gradient of the student's
own forward (so a student learns whether forward or backward is off). Inputs
stay away from ReLU's kink at 0, where no convention may decide a grade.
"""
import numpy as np
import pytest

from autograder import numgrad
from autograder.compare import as_numeric_array, expect_close, expect_true, expect_unchanged, rel_error
from autograder.i18n import _


def away_from_zero(rng, shape, margin=0.1):
    """Normal samples with |x| >= margin (no ReLU kink within reach of h)."""
    x = rng.normal(size=shape)
    return np.where(np.abs(x) < margin, np.sign(x + 1e-12) * (margin + np.abs(x)), x)


def weighted_sums(outputs, dout, what):
    """sum(out * dout) for each forward output: the scalar whose gradient backward computes."""
    sums = []
    for out in outputs:
        out = as_numeric_array(out, what)
        expect_true(out.shape == dout.shape, _("{what} returned shape {got}, expected {expected}.").format(
            what=what, got=out.shape, expected=dout.shape))
        sums.append(np.sum(out * dout))
    return sums


def numeric_input_gradient(forward_map, x, dout, *other_args, what="forward(x)"):
    """Numerical gradient of sum(forward(x, *other_args) * dout) with respect to x."""
    outputs = forward_map([(p, *other_args) for p in numgrad.perturbations(x)])
    return numgrad.from_values(weighted_sums(outputs, dout, what), x.shape)


def expect_pair(got, what):
    if isinstance(got, (tuple, list)):
        expect_true(len(got) == 2, _("{what} must return a pair (dx, dy), got {type} of length {length}").format(
            what=what, type=type(got).__name__, length=len(got)))
    else:
        expect_true(False, _("{what} must return a pair (dx, dy), got {type}").format(what=what, type=type(got).__name__))
    return got


def _not_stored(name):
    """The message for a gradient attribute backward left at None."""
    return _("layer.{name} is None after Affine.backward(dout): backward must store it (self.{name} = ...) "
             "as well as return dx.").format(name=name)


def expect_gradient_check(analytic, numeric, what, tol=1e-6, none=None):
    analytic = as_numeric_array(analytic, what, none=none)
    expect_true(analytic.shape == numeric.shape,
                _("{what} has shape {got}, but the gradient has shape {expected}.").format(
                    what=what, got=analytic.shape, expected=numeric.shape))
    error = rel_error(analytic, numeric)
    expect_true(error < tol,
                _("{what} does not match the numerical gradient of your forward "
                  "(relative error {error}, should be below {tol}).").format(what=what, error=f"{error:.2g}", tol=f"{tol:g}"))


class TestMulLayer:
    pytestmark = pytest.mark.exercise("layers.MulLayer")

    def test_apple_example(self, student, rng):
        """the book's apple example: 2 apples at 100, tax 1.1"""
        another = (float(rng.integers(50, 300)), float(rng.integers(1, 10)), float(rng.uniform(1.0, 1.2)))
        for (apple, num, tax), which in (((100.0, 2.0, 1.1), _("the apple example")),
                                         (another, _("the apple example with other prices"))):
            mul_apple, mul_tax = student.MulLayer(), student.MulLayer()
            apple_price = mul_apple.forward(apple, num)
            price = mul_tax.forward(apple_price, tax)
            expect_close(price, apple * num * tax, _("price = MulLayer().forward(MulLayer().forward(apple, num), "
                                                     "tax) in {which}").format(which=which))
            dapple_price, dtax = expect_pair(mul_tax.backward(1.0), "MulLayer.backward(1)")
            dapple, dapple_num = expect_pair(mul_apple.backward(dapple_price), "MulLayer.backward(dout)")
            hint = {_("dx is dout times the *other* input: dx = dout * y, dy = dout * x."): [tax * apple, tax * num]}
            expect_close([dapple, dapple_num], [tax * num, tax * apple], _("(dapple, dapple_num) in {which}").format(which=which),
                         hints=hint)
            expect_close(dtax, apple * num, _("dtax in {which}").format(which=which))

    @pytest.mark.weight(2)
    def test_arrays(self, student, rng):
        """MulLayer forward and backward on arrays"""
        x, y, dout = rng.normal(size=(3, 4)), rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
        layer = student.MulLayer()
        expect_close(layer.forward(x, y), x * y, _("MulLayer.forward(x, y) for x, y of shape (3, 4)"))
        dx, dy = expect_pair(layer.backward(dout), "MulLayer.backward(dout)")
        swap = _("dx is dout times the *other* input: dx = dout * y, dy = dout * x.")
        expect_close(dx, dout * y, _("dx from MulLayer.backward(dout)"), hints={swap: dout * x})
        expect_close(dy, dout * x, _("dy from MulLayer.backward(dout)"), hints={swap: dout * y})


class TestAddLayer:
    pytestmark = pytest.mark.exercise("layers.AddLayer")

    def test_apple_orange_example(self, student, rng):
        """the book's apple and orange example: the add node"""
        another = (float(rng.integers(100, 500)), float(rng.integers(100, 900)), float(rng.uniform(1.0, 1.2)))
        for (x, y, dout), shown in (((200.0, 450.0, 1.1), _("(200, 450) and dout 1.1")),
                                    (another, _("other prices x, y and dout"))):
            add = student.AddLayer()
            expect_close(add.forward(x, y), x + y, _("AddLayer().forward(x, y) for {shown}").format(shown=shown))
            dapple, dorange = expect_pair(add.backward(dout), "AddLayer.backward(dout)")
            expect_close([dapple, dorange], [dout, dout], _("AddLayer.backward(dout) for {shown}").format(shown=shown),
                         hints={_("An add node passes dout through unchanged: dx = dy = dout."): [0.0, 0.0]})

    @pytest.mark.weight(2)
    def test_arrays(self, student, rng):
        """AddLayer forward and backward on arrays"""
        x, y, dout = rng.normal(size=(2, 5)), rng.normal(size=(2, 5)), rng.normal(size=(2, 5))
        layer = student.AddLayer()
        expect_close(layer.forward(x, y), x + y, _("AddLayer.forward(x, y) for x, y of shape (2, 5)"))
        dx, dy = expect_pair(layer.backward(dout), "AddLayer.backward(dout)")
        expect_close(dx, dout, _("dx from AddLayer.backward(dout)"))
        expect_close(dy, dout, _("dy from AddLayer.backward(dout)"))


class TestRelu:
    pytestmark = pytest.mark.exercise("layers.Relu")

    def test_forward(self, student, ref, rng):
        """Relu.forward on a batch"""
        x = away_from_zero(rng, (4, 6))
        expect_close(student.Relu().forward(x), ref.Relu().forward(x), _("Relu.forward(x) for x of shape (4, 6)"),
                     hints={_("Relu keeps positive values and sets the rest to 0 (not the other way round)."):
                            np.where(x <= 0, x, 0.0)})

    @pytest.mark.weight(2)
    def test_backward(self, student, ref, rng):
        """Relu.backward uses the mask of the forward input"""
        x, dout = away_from_zero(rng, (4, 6)), away_from_zero(rng, (4, 6))
        layer, reference = student.Relu(), ref.Relu()
        layer.forward(x)
        reference.forward(x)
        expected = reference.backward(dout.copy())
        expect_close(layer.backward(dout), expected, _("Relu.backward(dout) after forward(x), shape (4, 6)"), hints={
            _("The mask must come from the forward input x (where x <= 0), not from dout."): np.where(dout > 0, dout, 0),
            _("Where x > 0 the gradient is dout itself (not 1)."): (x > 0).astype(float),
        })

    def test_numerical_gradient(self, student, rng):
        """Relu.backward agrees with the numerical gradient of Relu.forward"""
        x, dout = away_from_zero(rng, (3, 4)), rng.normal(size=(3, 4))
        layer = student.Relu()
        numeric = numeric_input_gradient(student.Relu().forward.map, x, dout, what="Relu.forward(x)")
        layer.forward(x)
        expect_gradient_check(layer.backward(dout), numeric, "Relu.backward")

    def test_nd_input_unchanged(self, student, ref, worker, rng):
        """Relu.forward works on any shape and leaves x unchanged"""
        x = away_from_zero(rng, (2, 3, 4))
        remote_x = worker.put(x)
        expect_close(student.Relu().forward(remote_x), ref.Relu().forward(x), _("Relu.forward(x) for x of shape (2, 3, 4)"))
        expect_unchanged(x, worker.fetch(remote_x), "Relu.forward(x)")


class TestSigmoid:
    pytestmark = pytest.mark.exercise("layers.Sigmoid")

    def test_forward(self, student, ref, rng):
        """Sigmoid.forward on a batch"""
        x = rng.normal(scale=2.0, size=(3, 5))
        expect_close(student.Sigmoid().forward(x), ref.Sigmoid().forward(x), _("Sigmoid.forward(x) for x of shape (3, 5)"))

    @pytest.mark.weight(2)
    def test_backward(self, student, ref, rng):
        """Sigmoid.backward is dout * y * (1 - y) with the cached output y"""
        x, dout = rng.normal(scale=2.0, size=(3, 5)), rng.normal(size=(3, 5))
        layer, reference = student.Sigmoid(), ref.Sigmoid()
        layer.forward(x)
        y = reference.forward(x)
        expect_close(layer.backward(dout), reference.backward(dout), _("Sigmoid.backward(dout) after forward(x)"), hints={
            _("Use the cached *output* y: dx = dout * y * (1 - y), not the input x."): dout * x * (1 - x),
            _("Multiply by dout: dx = dout * y * (1 - y)."): y * (1 - y),
        })

    def test_numerical_gradient(self, student, rng):
        """Sigmoid.backward agrees with the numerical gradient of Sigmoid.forward"""
        x, dout = rng.normal(size=(2, 4)), rng.normal(size=(2, 4))
        numeric = numeric_input_gradient(student.Sigmoid().forward.map, x, dout, what="Sigmoid.forward(x)")
        layer = student.Sigmoid()
        layer.forward(x)
        expect_gradient_check(layer.backward(dout), numeric, "Sigmoid.backward")

    def test_extreme_inputs(self, student, ref):
        """Sigmoid forward and backward on inputs of +-800 saturate to 0 and 1, with no NaN"""
        x = np.array([[-800.0, -50.0, 0.0], [50.0, 800.0, -1.0]])
        dout = np.array([[1.0, -2.0, 0.5], [3.0, 1.5, -1.0]])
        layer, reference = student.Sigmoid(), ref.Sigmoid()
        expect_close(layer.forward(x), reference.forward(x),
                     _("Sigmoid.forward(x) for x = [[-800., -50., 0.], [50., 800., -1.]]"))
        y = reference.forward(x)
        # The mistakes test_backward names, named here too: this check is not about them.
        expect_close(layer.backward(dout), reference.backward(dout),
                     _("Sigmoid.backward(dout) after forward(x) with x = +-800"),
                     hints={_("Compute dx from the cached output y alone: dx = dout * y * (1 - y)."): np.zeros((2, 3)),
                            _("Use the cached *output* y: dx = dout * y * (1 - y), not the input x."):
                                dout * x * (1 - x),
                            _("Multiply by dout: dx = dout * y * (1 - y)."): y * (1 - y)})

    def test_input_unchanged(self, student, worker, rng):
        """Sigmoid.forward leaves x unchanged"""
        x = rng.normal(size=(2, 3))
        remote_x = worker.put(x)
        student.Sigmoid().forward(remote_x)
        expect_unchanged(x, worker.fetch(remote_x), "Sigmoid.forward(x)")


class TestAffine:
    pytestmark = pytest.mark.exercise("layers.Affine")
    # Non-square on purpose (N=4, D=5, M=3), so a transposed product cannot pass by accident.

    def inputs(self, rng, x_shape=(4, 5), m=3):
        d = int(np.prod(x_shape[1:]))
        return (rng.normal(size=x_shape), rng.normal(size=(d, m)), rng.normal(size=m),
                rng.normal(size=(x_shape[0], m)))

    def test_forward(self, student, ref, rng):
        """Affine.forward computes x·W + b"""
        x, W, b, _dout = self.inputs(rng)
        expect_close(student.Affine(W, b).forward(x), ref.Affine(W, b).forward(x),
                     _("Affine(W, b).forward(x) for x (4, 5), W (5, 3), b (3,)"),
                     hints={_("Add the bias b: out = x . W + b."): x @ W})

    @pytest.mark.weight(3)
    def test_backward(self, student, ref, rng):
        """Affine.backward returns dx and stores dW and db"""
        x, W, b, dout = self.inputs(rng)
        layer, reference = student.Affine(W, b), ref.Affine(W, b)
        layer.forward(x)
        reference.forward(x)
        dx = layer.backward(dout)
        expected_dx = reference.backward(dout)
        expect_close(dx, expected_dx, _("dx = Affine.backward(dout) for x (4, 5), W (5, 3), dout (4, 3)"))
        expect_close(layer.dW, reference.dW, _("layer.dW after Affine.backward(dout), W of shape (5, 3)"),
                     none=_not_stored("dW"), hints={
            _("dW must have W's shape (D, M): dW = x^T . dout, not dout^T . x."): (x.T @ dout).T,
            _("dW is the sum over the batch; do not divide it by N here."): x.T @ dout / 4,
        })
        expect_close(layer.db, reference.db, _("layer.db after Affine.backward(dout), b of shape (3,)"),
                     none=_not_stored("db"), hints={
            _("Sum dout over the batch axis: db = np.sum(dout, axis=0)."): dout.sum(axis=1),
            _("db is the sum over the batch (axis=0), not the mean."): dout.mean(axis=0),
        })

    @pytest.mark.weight(2)
    def test_numerical_gradient(self, student, worker, rng):
        """Affine's dx, dW and db agree with numerical gradients of its forward"""
        x, W, b, dout = self.inputs(rng, m=2)
        forward_fresh = worker.probe("function", key="forward_fresh")
        Affine = student.Affine
        what = "Affine(W, b).forward(x)"
        num_dx = numgrad.from_values(weighted_sums(forward_fresh.map(
            [(Affine, (W, b), (p,)) for p in numgrad.perturbations(x)]), dout, what), x.shape)
        num_dW = numgrad.from_values(weighted_sums(forward_fresh.map(
            [(Affine, (p, b), (x,)) for p in numgrad.perturbations(W)]), dout, what), W.shape)
        num_db = numgrad.from_values(weighted_sums(forward_fresh.map(
            [(Affine, (W, p), (x,)) for p in numgrad.perturbations(b)]), dout, what), b.shape)
        layer = Affine(W, b)
        layer.forward(x)
        expect_gradient_check(layer.backward(dout), num_dx, _("dx from Affine.backward"))
        expect_gradient_check(layer.dW, num_dW, _("Affine's dW"), none=_not_stored("dW"))
        expect_gradient_check(layer.db, num_db, _("Affine's db"), none=_not_stored("db"))

    def test_image_batch_shapes(self, student, rng):
        """Affine on a batch of images (N, 1, 4, 4): out is (N, M) and dx has the images' shape"""
        x, W, b, dout = self.inputs(rng, x_shape=(2, 1, 4, 4), m=3)
        layer = student.Affine(W, b)
        out = as_numeric_array(layer.forward(x), "Affine(W, b).forward(x)")
        expect_true(out.shape == (2, 3), _("Affine(W, b).forward(x) for x of shape (2, 1, 4, 4) and W of shape "
                                           "(16, 3) returned shape {got}, expected (2, 3): flatten x to (N, D) "
                                           "first, x.reshape(x.shape[0], -1).").format(got=out.shape))
        dx = as_numeric_array(layer.backward(dout), "Affine.backward(dout)")
        expect_true(dx.shape == x.shape, _("Affine.backward(dout) returned dx of shape {got}; it must have the "
                                           "input's shape (2, 1, 4, 4): remember x.shape in forward and reshape dx "
                                           "back to it.").format(got=dx.shape))

    @pytest.mark.weight(2)
    @pytest.mark.visibility("after_due_date")  # an edge case: revealed after the deadline
    def test_nd_input(self, student, ref, rng):
        """Affine flattens an input of shape (N, 2, 3, 4) and returns dx in that shape"""
        x, W, b, dout = self.inputs(rng, x_shape=(3, 2, 3, 4), m=5)
        layer, reference = student.Affine(W, b), ref.Affine(W, b)
        expect_close(layer.forward(x), reference.forward(x), _("Affine(W, b).forward(x) for x (3, 2, 3, 4), W (24, 5)"))
        expected_dx = reference.backward(dout)
        expect_close(layer.backward(dout), expected_dx, _("dx = Affine.backward(dout) for x of shape (3, 2, 3, 4)"),
                     hints={_("Reshape dx back to the shape of the original input x "
                              "(remember x.shape in forward)."): expected_dx.reshape(3, -1)})
        expect_close(layer.dW, reference.dW, _("layer.dW for an input x of shape (3, 2, 3, 4)"), none=_not_stored("dW"))

    def test_input_unchanged(self, student, worker, rng):
        """Affine.forward leaves x, W and b unchanged"""
        x, W, b, _dout = self.inputs(rng)
        rx, rW, rb = worker.put(x), worker.put(W), worker.put(b)
        student.Affine(rW, rb).forward(rx)
        for name, before, remote in (("x", x, rx), ("W", W, rW), ("b", b, rb)):
            expect_unchanged(before, worker.fetch(remote), _("Affine(W, b).forward(x) (argument {name})").format(name=name))


class TestSoftmaxWithLoss:
    pytestmark = pytest.mark.exercise("layers.SoftmaxWithLoss")

    def scores(self, rng, n=4, c=5):
        return rng.normal(scale=2.0, size=(n, c)), rng.integers(0, c, size=n)

    @pytest.mark.parametrize("targets", ["one-hot", "labels"])
    def test_forward(self, student, ref, rng, targets):
        """SoftmaxWithLoss.forward returns the mean cross-entropy loss"""
        x, labels = self.scores(rng)
        t = np.eye(5)[labels] if targets == "one-hot" else labels
        expected = ref.SoftmaxWithLoss().forward(x, t)
        expect_close(student.SoftmaxWithLoss().forward(x, t), expected,
                     _("SoftmaxWithLoss.forward(x, t) for x (4, 5) and one-hot t") if targets == "one-hot" else
                     _("SoftmaxWithLoss.forward(x, t) for x (4, 5) and labels t"))

    @pytest.mark.weight(2)
    @pytest.mark.parametrize("targets", ["one-hot", "labels"])
    def test_backward(self, student, ref, worker, rng, targets):
        """SoftmaxWithLoss.backward(1) returns (y - t) / N"""
        x, labels = self.scores(rng)
        t = np.eye(5)[labels] if targets == "one-hot" else labels
        layer, reference = student.SoftmaxWithLoss(), ref.SoftmaxWithLoss()
        layer.forward(x, t)
        reference.forward(x, t)
        expected = reference.backward()
        expect_close(worker.probe("backward_unit", layer=layer), expected,
                     _("SoftmaxWithLoss.backward(1) for x (4, 5) and one-hot t") if targets == "one-hot" else
                     _("SoftmaxWithLoss.backward(1) for x (4, 5) and labels t"), hints={
            _("Divide by the batch size: dx = (y - t) / N."): expected * 4,
        })

    def test_numerical_gradient(self, student, worker, rng):
        """SoftmaxWithLoss.backward agrees with the numerical gradient of its loss"""
        x, labels = self.scores(rng, n=3, c=4)
        x = x / 2  # moderate scores: the 1e-7 inside the loss's log shifts the numerical gradient by ~1e-7 / y
        outputs = student.SoftmaxWithLoss().forward.map([(p, labels) for p in numgrad.perturbations(x)])
        losses = [as_numeric_array(o, "SoftmaxWithLoss.forward(x, t)") for o in outputs]
        expect_true(all(o.size == 1 for o in losses), _("SoftmaxWithLoss.forward(x, t) must return one number, the loss."))
        numeric = numgrad.from_values([o.item() for o in losses], x.shape)
        layer = student.SoftmaxWithLoss()
        layer.forward(x, labels)
        expect_gradient_check(worker.probe("backward_unit", layer=layer), numeric, "SoftmaxWithLoss.backward",
                              tol=1e-4)

    @pytest.mark.visibility("after_due_date")  # an edge case: revealed after the deadline
    def test_large_scores_and_inputs_unchanged(self, student, ref, worker, rng):
        """SoftmaxWithLoss handles scores around 1000 and leaves x and t unchanged"""
        x = np.array([1000.0 + rng.normal(scale=10.0, size=3), rng.normal(scale=3.0, size=3)])
        t = np.eye(3)[rng.integers(0, 3, size=2)]
        rx, rt = worker.put(x), worker.put(t)
        layer = student.SoftmaxWithLoss()
        expect_close(layer.forward(rx, rt), ref.SoftmaxWithLoss().forward(x, t),
                     _("SoftmaxWithLoss.forward(x, t) for scores around 1000"), rtol=1e-6)
        expect_unchanged(x, worker.fetch(rx), _("SoftmaxWithLoss.forward(x, t) (argument x)"))
        expect_unchanged(t, worker.fetch(rt), _("SoftmaxWithLoss.forward(x, t) (argument t)"))

