"""The reference implementation in solutions/ against the book's own numbers,
hand-computed cases and float64 numerical gradients.

Every warning is an error here: the grader gives 0 to a notebook cell that
writes to stderr, so the reference must stay silent (e.g. sigmoid(-1000)).
"""
import math
from collections import OrderedDict

import numpy as np
import pytest

from dlscratch_reference.functions import cross_entropy_error, sigmoid, softmax, sum_squared_error
from dlscratch_reference.gradient import gradient_descent, numerical_diff, numerical_gradient
from dlscratch_reference.layers import Affine, AddLayer, MulLayer, Relu, Sigmoid, SoftmaxWithLoss
from dlscratch_reference.optimizer import SGD, AdaGrad, Adam, Momentum
from dlscratch_reference.two_layer_net import TwoLayerNet

pytestmark = pytest.mark.filterwarnings("error")

# The book's example output for a '2' (chapter 4.2).
Y_BOOK = np.array([0.1, 0.05, 0.6, 0.0, 0.05, 0.1, 0.0, 0.1, 0.0, 0.0])


def one_hot(labels, n_classes):
    return np.eye(n_classes)[labels]


def rel_error(x, y):
    """CS231n relative error: max |x - y| / max(1e-8, |x| + |y|)."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    return np.max(np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y)))


def num_grad(f, x, dout, h=1e-5):
    """Independent float64 check: d sum(f(x) * dout) / dx by central differences.

    f must compute from the array it is given, which is perturbed in place.
    """
    grad = np.zeros_like(x, dtype=np.float64)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + h
        plus = np.sum(f(x) * dout)
        x[idx] = old - h
        minus = np.sum(f(x) * dout)
        x[idx] = old
        grad[idx] = (plus - minus) / (2 * h)
    return grad


@pytest.fixture
def rng():
    return np.random.default_rng(20240601)


# --------------------------------------------------------------------------- functions


@pytest.mark.parametrize(
    "label, sse, cee",
    [(2, 0.0975, 0.5108), (7, 0.5975, 2.3026)],
)
def test_losses_match_the_book(label, sse, cee):
    t = one_hot(label, 10)
    assert sum_squared_error(Y_BOOK, t) == pytest.approx(sse, abs=1e-12)
    assert round(float(cross_entropy_error(Y_BOOK, t)), 4) == cee
    assert cross_entropy_error(Y_BOOK, np.array(label)) == pytest.approx(cross_entropy_error(Y_BOOK, t), abs=1e-15)


def test_cross_entropy_keeps_log_finite_with_1e_minus_7():
    # y = 0 for the true class: the book's delta gives -log(1e-7), not inf.
    assert cross_entropy_error(Y_BOOK, np.array(3)) == pytest.approx(-math.log(1e-7), rel=1e-12)


def test_cross_entropy_batch_is_the_mean_and_labels_equal_one_hot(rng):
    y = softmax(rng.normal(size=(6, 4)))
    labels = rng.integers(0, 4, size=6)
    per_sample = [-math.log(y[i, labels[i]] + 1e-7) for i in range(6)]
    assert cross_entropy_error(y, labels) == pytest.approx(np.mean(per_sample), rel=1e-12)
    assert cross_entropy_error(y, one_hot(labels, 4)) == pytest.approx(np.mean(per_sample), rel=1e-12)
    singles = [cross_entropy_error(y[i], labels[i]) for i in range(6)]
    assert np.mean(singles) == pytest.approx(np.mean(per_sample), rel=1e-12)


@pytest.mark.parametrize(
    "y, t, error, text",
    [
        (Y_BOOK, np.array(10), ValueError, "out of range"),
        (Y_BOOK, np.array(-1), ValueError, "out of range"),
        (np.full((2, 3), 1 / 3), np.array([0, 3]), ValueError, "out of range"),
        (np.full((2, 3), 1 / 3), np.zeros((2, 4)), ValueError, "shape"),
        (np.full((2, 3), 1 / 3), np.array([0, 1, 2]), ValueError, "shape"),
        (np.full((2, 3), 1 / 3), np.array([0.0, 1.0]), TypeError, "integers"),
        (np.zeros((2, 2, 2)), np.zeros((2, 2, 2)), ValueError, "shape"),
    ],
)
def test_cross_entropy_rejects_bad_arguments(y, t, error, text):
    with pytest.raises(error, match=text):
        cross_entropy_error(y, t)


def test_sum_squared_error_rejects_shape_mismatch():
    with pytest.raises(ValueError, match="same shape"):
        sum_squared_error(Y_BOOK, np.zeros(9))


def test_softmax_matches_the_book_and_sums_to_one():
    y = softmax(np.array([0.3, 2.9, 4.0]))
    np.testing.assert_allclose(y, [0.01821127, 0.24519181, 0.73659691], rtol=0, atol=5e-9)
    assert np.sum(y) == pytest.approx(1.0, abs=1e-15)


def test_softmax_is_overflow_safe():
    # The book's naive version returns nan (with a RuntimeWarning) here.
    a = np.array([1010.0, 1000.0, 990.0])
    np.testing.assert_allclose(softmax(a), softmax(a - 1010.0), rtol=1e-15)
    np.testing.assert_allclose(softmax(a), [9.99954600e-01, 4.53978686e-05, 2.06106005e-09], rtol=1e-7)
    np.testing.assert_allclose(softmax(np.array([-1000.0, -1000.0])), [0.5, 0.5])


def test_softmax_normalises_each_row_of_a_batch_and_keeps_its_input(rng):
    x = rng.normal(scale=50, size=(5, 7))
    x_before = x.copy()
    y = softmax(x)
    assert y.shape == x.shape
    for i in range(5):
        np.testing.assert_allclose(y[i], softmax(x[i]), rtol=1e-14)
    np.testing.assert_allclose(y.sum(axis=1), np.ones(5), rtol=1e-14)
    np.testing.assert_array_equal(x, x_before)


def test_sigmoid_values_and_extremes():
    x = np.array([-5.0, -1.0, 0.0, 1.0, 5.0])
    np.testing.assert_allclose(sigmoid(x), 1 / (1 + np.exp(-x)), rtol=1e-14)
    assert sigmoid(0.0) == 0.5
    # Large |x| must not overflow: no RuntimeWarning (warnings are errors here).
    np.testing.assert_array_equal(sigmoid(np.array([-1000.0, 1000.0])), [0.0, 1.0])
    assert sigmoid(-30.0) == pytest.approx(math.exp(-30) / (1 + math.exp(-30)), rel=1e-13)


# --------------------------------------------------------------------------- gradient


def test_numerical_diff_matches_the_book():
    def function_1(x):
        return 0.01 * x**2 + 0.1 * x

    assert numerical_diff(function_1, 5) == pytest.approx(0.2, abs=1e-9)
    assert numerical_diff(function_1, 10) == pytest.approx(0.3, abs=1e-9)


@pytest.mark.parametrize("point, expected", [((3.0, 4.0), (6.0, 8.0)), ((0.0, 2.0), (0.0, 4.0)), ((3.0, 0.0), (6.0, 0.0))])
def test_numerical_gradient_matches_the_book(point, expected):
    def function_2(x):
        return x[0] ** 2 + x[1] ** 2

    x = np.array(point)
    grad = numerical_gradient(function_2, x)
    np.testing.assert_allclose(grad, expected, atol=1e-7)
    np.testing.assert_array_equal(x, point)  # restored exactly


def test_numerical_gradient_any_shape_restores_x(rng):
    x = rng.normal(size=(2, 3, 4))
    x_before = x.copy()
    seen_shapes = set()

    def f(a):
        seen_shapes.add(a.shape)
        return np.sum(a**3)

    grad = numerical_gradient(f, x)
    assert grad.shape == x.shape
    np.testing.assert_allclose(grad, 3 * x_before**2, rtol=1e-6, atol=1e-7)
    np.testing.assert_array_equal(x, x_before)
    assert seen_shapes == {(2, 3, 4)}


def test_numerical_gradient_refuses_integer_arrays():
    with pytest.raises(TypeError, match="float"):
        numerical_gradient(lambda a: np.sum(a**2), np.array([3, 4]))


def test_gradient_descent_follows_the_recurrence_and_keeps_init_x():
    def function_2(x):
        return x[0] ** 2 + x[1] ** 2

    init_x = np.array([-3.0, 4.0])
    x = gradient_descent(function_2, init_x, lr=0.1, step_num=100)
    # For x0^2 + x1^2 the central difference is exact up to rounding, so each
    # step multiplies x by (1 - 2 * lr) = 0.8.
    np.testing.assert_allclose(x, np.array([-3.0, 4.0]) * 0.8**100, rtol=1e-5)
    assert np.max(np.abs(x)) < 1e-7
    np.testing.assert_array_equal(init_x, [-3.0, 4.0])
    assert x is not init_x


def test_gradient_descent_learning_rate_too_large_or_small():
    def function_2(x):
        return x[0] ** 2 + x[1] ** 2

    big = gradient_descent(function_2, np.array([-3.0, 4.0]), lr=10.0, step_num=100)
    small = gradient_descent(function_2, np.array([-3.0, 4.0]), lr=1e-10, step_num=100)
    assert np.max(np.abs(big)) > 1e10  # the book's "diverges" example
    np.testing.assert_allclose(small, [-3.0, 4.0], rtol=1e-7)


# --------------------------------------------------------------------------- layers


def test_apple_orange_example_matches_the_book():
    apple, apple_num, orange, orange_num, tax = 100, 2, 150, 3, 1.1
    mul_apple, mul_orange, add, mul_tax = MulLayer(), MulLayer(), AddLayer(), MulLayer()

    apple_price = mul_apple.forward(apple, apple_num)
    orange_price = mul_orange.forward(orange, orange_num)
    all_price = add.forward(apple_price, orange_price)
    price = mul_tax.forward(all_price, tax)

    dall_price, dtax = mul_tax.backward(1)
    dapple_price, dorange_price = add.backward(dall_price)
    dorange, dorange_num = mul_orange.backward(dorange_price)
    dapple, dapple_num = mul_apple.backward(dapple_price)

    assert price == pytest.approx(715)
    assert (dapple_num, dapple, dorange, dorange_num, dtax) == pytest.approx((110, 2.2, 3.3, 165, 650))


def test_layers_start_with_empty_caches():
    assert (MulLayer().x, MulLayer().y) == (None, None)
    assert Relu().mask is None
    assert Sigmoid().out is None
    affine = Affine(np.zeros((2, 3)), np.zeros(3))
    assert (affine.x, affine.original_x_shape, affine.dW, affine.db) == (None, None, None, None)
    swl = SoftmaxWithLoss()
    assert (swl.loss, swl.y, swl.t) == (None, None, None)


def test_mul_and_add_backward_with_arrays(rng):
    x, y, dout = rng.normal(size=(3, 4)), rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    mul = MulLayer()
    np.testing.assert_allclose(mul.forward(x, y), x * y)
    dx, dy = mul.backward(dout)
    assert rel_error(dx, num_grad(lambda a: a * y, x.copy(), dout)) < 1e-7
    assert rel_error(dy, num_grad(lambda b: x * b, y.copy(), dout)) < 1e-7
    add = AddLayer()
    np.testing.assert_allclose(add.forward(x, y), x + y)
    dx, dy = add.backward(dout)
    np.testing.assert_array_equal(dx, dout)
    np.testing.assert_array_equal(dy, dout)


def test_relu_forward_backward(rng):
    # Keep every entry away from the kink at 0, where the numerical gradient is meaningless.
    x = rng.normal(size=(4, 5))
    x[np.abs(x) < 1e-3] = 0.5
    x_before = x.copy()
    layer = Relu()
    out = layer.forward(x)
    np.testing.assert_array_equal(out, np.maximum(x_before, 0))
    np.testing.assert_array_equal(x, x_before)  # forward keeps its input
    dout = rng.normal(size=x.shape)
    dout_before = dout.copy()
    dx = layer.backward(dout)
    assert rel_error(dx, num_grad(lambda a: Relu().forward(a), x.copy(), dout)) < 1e-7
    np.testing.assert_array_equal(dout, dout_before)


def test_sigmoid_layer_forward_backward(rng):
    x = rng.normal(scale=3, size=(3, 6))
    layer = Sigmoid()
    out = layer.forward(x)
    np.testing.assert_allclose(out, 1 / (1 + np.exp(-x)), rtol=1e-14)
    dout = rng.normal(size=x.shape)
    dx = layer.backward(dout)
    assert rel_error(dx, num_grad(lambda a: Sigmoid().forward(a), x.copy(), dout)) < 1e-7
    # Saturated inputs: no overflow warning, zero gradient.
    big = Sigmoid()
    np.testing.assert_array_equal(big.forward(np.array([[-1000.0, 1000.0]])), [[0.0, 1.0]])
    np.testing.assert_array_equal(big.backward(np.ones((1, 2))), [[0.0, 0.0]])


def test_affine_with_4d_input_and_non_square_weights(rng):
    x = rng.normal(size=(3, 2, 4, 5))  # N = 3, D = 40
    W = rng.normal(size=(40, 7))
    b = rng.normal(size=7)
    x_before = x.copy()
    layer = Affine(W, b)
    out = layer.forward(x)
    assert out.shape == (3, 7)
    np.testing.assert_allclose(out, x.reshape(3, 40) @ W + b, rtol=1e-12)
    np.testing.assert_array_equal(x, x_before)
    assert layer.W is W and layer.b is b  # references, not copies
    assert layer.original_x_shape == (3, 2, 4, 5)

    dout = rng.normal(size=(3, 7))
    dx = layer.backward(dout)
    assert dx.shape == x.shape
    assert layer.dW.shape == W.shape and layer.db.shape == b.shape
    assert rel_error(dx, num_grad(lambda a: Affine(W, b).forward(a), x.copy(), dout)) < 1e-7
    assert rel_error(layer.dW, num_grad(lambda w: Affine(w, b).forward(x), W.copy(), dout)) < 1e-6
    assert rel_error(layer.db, num_grad(lambda c: Affine(W, c).forward(x), b.copy(), dout)) < 1e-7


def test_affine_rejects_unbatched_input():
    with pytest.raises(ValueError, match=r"\(N, \.\.\.\)"):
        Affine(np.zeros((3, 2)), np.zeros(2)).forward(np.zeros(3))


@pytest.mark.parametrize("target", ["labels", "one_hot"])
def test_softmax_with_loss_forward_backward(rng, target):
    x = rng.normal(size=(5, 4))
    labels = rng.integers(0, 4, size=5)
    t = labels if target == "labels" else one_hot(labels, 4)
    x_before, t_before = x.copy(), t.copy()
    layer = SoftmaxWithLoss()
    loss = layer.forward(x, t)
    expected = -np.mean(np.log(softmax(x)[np.arange(5), labels] + 1e-7))
    assert loss == pytest.approx(expected, rel=1e-12)
    assert layer.loss == loss
    np.testing.assert_array_equal(x, x_before)
    np.testing.assert_array_equal(t, t_before)

    dx = layer.backward()
    np.testing.assert_allclose(dx, (softmax(x) - one_hot(labels, 4)) / 5, rtol=1e-12, atol=1e-15)
    # (y - t) / N ignores the 1e-7 inside the log, so it differs from the true
    # derivative of forward by about 1e-7 / y: a few 1e-7 with these scores.
    assert rel_error(dx, num_grad(lambda a: SoftmaxWithLoss().forward(a, t), x.copy(), 1.0)) < 1e-5
    np.testing.assert_allclose(layer.backward(2.0), 2.0 * dx, rtol=1e-15)


def test_softmax_with_loss_rejects_unbatched_scores():
    with pytest.raises(ValueError, match=r"\(N, C\)"):
        SoftmaxWithLoss().forward(np.zeros(3), np.array(1))


# --------------------------------------------------------------------------- TwoLayerNet


def manual_scores(params, x):
    hidden = np.maximum(x @ params["W1"] + params["b1"], 0)
    return hidden @ params["W2"] + params["b2"]


def test_two_layer_net_structure_and_init_scale():
    np.random.seed(0)
    net = TwoLayerNet(784, 50, 10)
    shapes = {key: value.shape for key, value in net.params.items()}
    assert shapes == {"W1": (784, 50), "b1": (50,), "W2": (50, 10), "b2": (10,)}
    assert net.params["W1"].std() == pytest.approx(0.01, rel=0.03)
    assert net.params["W2"].std() == pytest.approx(0.01, rel=0.15)
    assert not net.params["b1"].any() and not net.params["b2"].any()
    assert isinstance(net.layers, OrderedDict)
    assert list(net.layers) == ["Affine1", "Relu1", "Affine2"]
    assert isinstance(net.layers["Relu1"], Relu)
    assert isinstance(net.lastLayer, SoftmaxWithLoss)
    assert net.layers["Affine1"].W is net.params["W1"] and net.layers["Affine1"].b is net.params["b1"]
    assert net.layers["Affine2"].W is net.params["W2"] and net.layers["Affine2"].b is net.params["b2"]
    assert TwoLayerNet(784, 50, 10, weight_init_std=0.5).params["W1"].std() == pytest.approx(0.5, rel=0.03)


def test_two_layer_net_predict_loss_accuracy(rng):
    np.random.seed(1)
    net = TwoLayerNet(6, 5, 3, weight_init_std=1.0)
    x = rng.normal(size=(8, 6))
    labels = rng.integers(0, 3, size=8)
    scores = net.predict(x)
    np.testing.assert_allclose(scores, manual_scores(net.params, x), rtol=1e-12)
    expected_loss = -np.mean(np.log(softmax(scores)[np.arange(8), labels] + 1e-7))
    assert net.loss(x, labels) == pytest.approx(expected_loss, rel=1e-12)
    assert net.loss(x, one_hot(labels, 3)) == pytest.approx(expected_loss, rel=1e-12)
    expected_acc = np.mean(np.argmax(scores, axis=1) == labels)
    assert net.accuracy(x, labels) == pytest.approx(expected_acc)
    assert net.accuracy(x, one_hot(labels, 3)) == pytest.approx(expected_acc)
    assert net.accuracy(x, np.argmax(scores, axis=1)) == 1.0


def test_two_layer_net_shares_params_with_layers(rng):
    np.random.seed(2)
    net = TwoLayerNet(4, 3, 2, weight_init_std=1.0)
    x = rng.normal(size=(5, 4))
    before = net.predict(x)
    net.params["W2"] *= 3.0  # in place: the Affine layer must see it
    net.params["b2"] += 1.0
    after = net.predict(x)
    np.testing.assert_allclose(after, 3.0 * before + 1.0, rtol=1e-12)
    np.testing.assert_allclose(after, manual_scores(net.params, x), rtol=1e-12)


@pytest.mark.parametrize("target", ["labels", "one_hot"])
def test_two_layer_net_backprop_matches_numerical_gradient(rng, target):
    np.random.seed(3)
    net = TwoLayerNet(5, 4, 3, weight_init_std=0.1)
    x = rng.normal(size=(6, 5))
    labels = rng.integers(0, 3, size=6)
    t = labels if target == "labels" else one_hot(labels, 3)
    # Relu kinks break finite differences (h = 1e-4 moves a pre-activation by
    # up to ~3e-4 here); this seed keeps every one well away from 0.
    assert np.min(np.abs(x @ net.params["W1"])) > 1e-3
    # Small weights keep every probability near 1/3, so the 1e-7 inside the
    # log (ignored by backprop) costs only ~3e-7 in relative error.

    params_before = {k: v.copy() for k, v in net.params.items()}
    numeric = net.numerical_gradient(x, t)
    backprop = net.gradient(x, t)
    assert set(numeric) == set(backprop) == {"W1", "b1", "W2", "b2"}
    for key in net.params:
        assert backprop[key].shape == net.params[key].shape
        assert rel_error(backprop[key], numeric[key]) < 1e-6, key
        np.testing.assert_array_equal(net.params[key], params_before[key])


@pytest.mark.parametrize(
    "args, error",
    [((0, 3, 2), ValueError), ((4, -1, 2), ValueError), ((4, 3, 0), ValueError), ((4.0, 3, 2), TypeError)],
)
def test_two_layer_net_rejects_bad_sizes(args, error):
    with pytest.raises(error, match="size"):
        TwoLayerNet(*args)


# --------------------------------------------------------------------------- optimizers


def make_params(rng):
    return {"W": rng.normal(size=(3, 2)), "b": rng.normal(size=2)}


def grads_like(params, rng):
    return {key: rng.normal(size=value.shape) for key, value in params.items()}


@pytest.mark.parametrize("make", [lambda: SGD(lr=0.1), lambda: Momentum(lr=0.1), lambda: AdaGrad(lr=0.1), lambda: Adam(lr=0.1)])
def test_optimizers_update_in_place_so_the_layers_see_it(rng, make):
    np.random.seed(4)
    net = TwoLayerNet(4, 3, 2, weight_init_std=1.0)
    x = rng.normal(size=(5, 4))
    labels = rng.integers(0, 2, size=5)
    ids = {key: id(value) for key, value in net.params.items()}
    before = {key: value.copy() for key, value in net.params.items()}
    grads = net.gradient(x, labels)
    make().update(net.params, grads)
    for key in net.params:
        assert id(net.params[key]) == ids[key], f"params[{key!r}] was rebound, not updated in place"
        assert not np.array_equal(net.params[key], before[key])
    assert net.layers["Affine1"].W is net.params["W1"]
    np.testing.assert_allclose(net.predict(x), manual_scores(net.params, x), rtol=1e-12)


def test_sgd_step(rng):
    params = make_params(rng)
    start = {k: v.copy() for k, v in params.items()}
    grads = grads_like(params, rng)
    SGD(lr=0.5).update(params, grads)
    for key in params:
        np.testing.assert_allclose(params[key], start[key] - 0.5 * grads[key], rtol=1e-15)


def test_momentum_keeps_velocity_across_calls(rng):
    params = make_params(rng)
    w = {k: v.copy() for k, v in params.items()}
    opt = Momentum(lr=0.1, momentum=0.9)
    assert opt.v is None
    v = {k: np.zeros_like(value) for k, value in params.items()}
    for _ in range(3):
        grads = grads_like(params, rng)
        opt.update(params, grads)
        for key in params:
            v[key] = 0.9 * v[key] - 0.1 * grads[key]
            w[key] = w[key] + v[key]
            np.testing.assert_allclose(opt.v[key], v[key], rtol=1e-14)
            np.testing.assert_allclose(params[key], w[key], rtol=1e-14)


def test_momentum_second_step_by_hand():
    params = {"W": np.array([1.0])}
    opt = Momentum(lr=0.1, momentum=0.9)
    opt.update(params, {"W": np.array([2.0])})  # v = -0.2, W = 0.8
    opt.update(params, {"W": np.array([1.0])})  # v = 0.9 * -0.2 - 0.1 = -0.28, W = 0.52
    assert params["W"][0] == pytest.approx(0.52, abs=1e-15)
    assert opt.v["W"][0] == pytest.approx(-0.28, abs=1e-15)


def test_adagrad_steps_by_hand():
    params = {"W": np.array([1.0, -2.0])}
    opt = AdaGrad(lr=0.1)
    assert opt.h is None
    w, h = [1.0, -2.0], [0.0, 0.0]
    for g in ([0.5, -3.0], [2.0, 1.0]):
        opt.update(params, {"W": np.array(g)})
        for i in range(2):
            h[i] += g[i] * g[i]
            w[i] -= 0.1 * g[i] / (math.sqrt(h[i]) + 1e-7)
        np.testing.assert_allclose(params["W"], w, rtol=1e-14)
        np.testing.assert_allclose(opt.h["W"], h, rtol=1e-14)


def test_adam_steps_by_hand():
    params = {"W": np.array([1.0, -2.0])}
    opt = Adam(lr=0.01, beta1=0.9, beta2=0.999)
    assert (opt.m, opt.v, opt.iter) == (None, None, 0)
    w, m, v = [1.0, -2.0], [0.0, 0.0], [0.0, 0.0]
    for t, g in enumerate(([0.5, -3.0], [2.0, 1.0], [-1.0, 0.25]), start=1):
        opt.update(params, {"W": np.array(g)})
        lr_t = 0.01 * math.sqrt(1 - 0.999**t) / (1 - 0.9**t)
        for i in range(2):
            m[i] += (1 - 0.9) * (g[i] - m[i])
            v[i] += (1 - 0.999) * (g[i] ** 2 - v[i])
            w[i] -= lr_t * m[i] / (math.sqrt(v[i]) + 1e-7)
        assert opt.iter == t
        np.testing.assert_allclose(params["W"], w, rtol=1e-13)
    # Adam's first step moves each weight by about lr, whatever the gradient's size.
    first = {"W": np.array([0.0, 0.0])}
    Adam(lr=0.01).update(first, {"W": np.array([0.1, -50.0])})
    np.testing.assert_allclose(first["W"], [-0.01, 0.01], rtol=1e-3)


@pytest.mark.parametrize(
    "make, text",
    [
        (lambda: SGD(lr=0), "lr"),
        (lambda: Momentum(lr=-0.1), "lr"),
        (lambda: Momentum(momentum=1.0), "momentum"),
        (lambda: AdaGrad(lr=float("nan")), "lr"),
        (lambda: Adam(beta2=1.5), "beta2"),
    ],
)
def test_optimizers_reject_bad_hyperparameters(make, text):
    with pytest.raises(ValueError, match=text):
        make()


def test_momentum_training_fits_a_small_separable_problem():
    # End-to-end smoke test without MNIST: three Gaussian blobs.
    rs = np.random.RandomState(5)
    centres = np.array([[3.0, 0.0], [-3.0, 0.0], [0.0, 3.0]])
    labels = rs.randint(0, 3, size=300)
    x = centres[labels] + rs.normal(scale=0.5, size=(300, 2))
    np.random.seed(5)
    net = TwoLayerNet(2, 16, 3, weight_init_std=0.1)
    opt = Momentum(lr=0.1)
    first_loss = net.loss(x, labels)
    for _ in range(200):
        batch = rs.choice(300, 30)
        opt.update(net.params, net.gradient(x[batch], labels[batch]))
    assert net.loss(x, labels) < 0.1 * first_loss
    assert net.accuracy(x, labels) >= 0.98
