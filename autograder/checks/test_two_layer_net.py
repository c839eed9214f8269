"""Checks for two_layer_net.py (book chapter 5), run with the reference layers.py and gradient.py.

Most checks first write known weights into the student's ``net.params`` in
place (``probes.set_params_inplace``) and compare with a reference network
holding the same weights, so the random initialisation never decides a verdict.
"""
import difflib

import numpy as np
import pytest

from autograder.compare import as_numeric_array, expect_close, expect_true, rel_error
from autograder.exercises import names_match
from autograder.i18n import _

D, H, C, N = 6, 5, 4, 3


def weights_away_from_kinks(rng, x, labels=None, margin=0.05, least=0.05):
    """Random params for which no hidden pre-activation lies within margin of 0.

    With labels, the softmax probability of each sample's target is also at least ``least``:
    the 1e-7 inside the loss's log shifts its gradient by a factor 1e-7 / y, which a
    target probability near 1e-3 would make larger than the checks' tolerance.
    """
    for _attempt in range(1000):
        params = {"W1": rng.normal(scale=0.5, size=(D, H)), "b1": rng.normal(scale=0.1, size=H),
                  "W2": rng.normal(scale=0.5, size=(H, C)), "b2": rng.normal(scale=0.1, size=C)}
        hidden = x @ params["W1"] + params["b1"]
        if np.min(np.abs(hidden)) <= margin:
            continue
        if labels is not None:
            scores = np.maximum(hidden, 0) @ params["W2"] + params["b2"]
            y = np.exp(scores - scores.max(axis=1, keepdims=True))
            y /= y.sum(axis=1, keepdims=True)
            if np.min(y[np.arange(len(labels)), labels]) < least:
                continue
        return params
    raise RuntimeError("could not draw weights away from the ReLU kinks")


def networks(student, ref, worker, rng):
    """A student and a reference TwoLayerNet(D, H, C) holding the same weights, plus inputs."""
    x = rng.normal(size=(N, D))
    labels = rng.integers(0, C, size=N)
    params = weights_away_from_kinks(rng, x, labels)
    net = student.TwoLayerNet(D, H, C)
    worker.probe("set_params_inplace", net=net, values=params)
    reference = ref.TwoLayerNet(D, H, C)
    for key, value in params.items():
        reference.params[key][...] = value
    return net, reference, x, labels


def initial_params(student, worker, *sizes, weight_init_std=None):
    """net.params of a new student TwoLayerNet(*sizes[, weight_init_std]), checked to be a dict of arrays.

    The network is built in the learner's style (callstyle.make_two_layer_net): by keyword or by
    position, with the initial scale under whatever name the constructor gives it.
    """
    params = worker.probe("new_two_layer_net", cls=student.TwoLayerNet, sizes=list(sizes),
                          weight_init_std=weight_init_std).params
    shown = [*map(str, sizes), *([] if weight_init_std is None else [f"weight_init_std={weight_init_std}"])]
    call = f"TwoLayerNet({', '.join(shown)})"
    expect_true(isinstance(params, dict), _("{call}.params must be a dict of arrays, got {type}").format(
        call=call, type=type(params).__name__))
    shapes = {"W1": tuple(sizes[:2]), "b1": tuple(sizes[1:2]), "W2": tuple(sizes[1:3]), "b2": tuple(sizes[2:3])}
    arrays = {}
    for key in ("W1", "b1", "W2", "b2"):
        expect_true(key in params, _("{call}.params has no key '{key}' (keys: {keys})").format(
            call=call, key=key, keys=sorted(map(str, params))))
        # The shape is checked before any statistic is computed on the student's array.
        arrays[key] = as_numeric_array(params[key], f"{call}.params['{key}']", shape=shapes[key])
    return arrays


def expect_param_dict(got, expected, what, inputs="", **tolerance):
    """Compare a dict of gradients keyed like params; ``inputs`` says what the call was given."""
    expect_true(isinstance(got, dict), _("{what}{inputs} must return a dict keyed 'W1', 'b1', 'W2', 'b2', "
                                         "got {type}").format(what=what, inputs=inputs, type=type(got).__name__))
    missing = sorted(set(expected) - set(got))
    expect_true(not missing, _("{what}{inputs} is missing the key(s) {missing}").format(
        what=what, inputs=inputs, missing=missing))
    for key in expected:
        expect_close(got[key], expected[key], f"{what}['{key}']{inputs}", **tolerance)


class TestTwoLayerNet:
    pytestmark = pytest.mark.exercise("two_layer_net.TwoLayerNet")

    def test_init_shapes(self, student, worker):
        """TwoLayerNet(784, 50, 10) has params W1 (784, 50), b1 (50,), W2 (50, 10), b2 (10,), biases zero"""
        params = initial_params(student, worker, 784, 50, 10)
        for key, shape in (("W1", (784, 50)), ("b1", (50,)), ("W2", (50, 10)), ("b2", (10,))):
            got = params[key]
            expect_true(got.shape == shape, _("net.params['{key}'] should have shape {expected}, got {got}").format(
                key=key, expected=shape, got=got.shape))
        for key in ("b1", "b2"):
            expect_true(not np.any(params[key]), _("net.params['{key}'] should start at zero (np.zeros)").format(key=key))

    @pytest.mark.parametrize("std", [0.01, 0.5])
    def test_init_scale(self, student, worker, std):
        """the initial weights are weight_init_std * np.random.randn(...)"""
        params = initial_params(student, worker, 400, 50, 20, weight_init_std=std)
        for key in ("W1", "W2"):
            w = params[key].astype(float)
            hint = ""
            if abs(w.std() - 1.0) < 0.1 and std != 1.0:
                hint = " " + _("Multiply np.random.randn(...) by weight_init_std.")
            elif np.all(w >= 0):
                hint = " " + _("Use np.random.randn (normal, mean 0), not np.random.rand (uniform in [0, 1)).")
            expect_true(abs(w.mean()) < 0.2 * std and abs(w.std() - std) < 0.1 * std,
                        _("TwoLayerNet(400, 50, 20, weight_init_std={std}).params['{key}'] should look like "
                          "{std} * np.random.randn(...): mean {mean}, standard deviation {sd}.").format(
                            std=std, key=key, mean=f"{w.mean():.3g}", sd=f"{w.std():.3g}") + hint)

    def test_layers(self, student, worker):
        """net.layers is an OrderedDict Affine1 -> Relu1 -> Affine2 and net.lastLayer a SoftmaxWithLoss"""
        info = worker.probe("describe_layers", net=student.TwoLayerNet(4, 3, 2))
        # Keys in another case (`ReLU1`, `ReLu1`) go with the class names learners use (exercises aliases).
        expect_true([n.lower() for n in info["names"]] == ["affine1", "relu1", "affine2"],
                    _("net.layers should hold 'Affine1', 'Relu1', 'Affine2' in this order, got {names}").format(
                        names=info["names"]))
        if info["last"] in (None, "NoneType"):  # missing, or still the stub's `self.lastLayer = None`
            others = [a for a in info["attributes"] if a != "lastLayer"]
            similar = difflib.get_close_matches("lastLayer", others, n=3, cutoff=0.5)
            problem = (_("net.lastLayer should be a SoftmaxWithLoss, but your TwoLayerNet leaves it None")
                       if info["last"] else
                       _("net.lastLayer should be a SoftmaxWithLoss, but your TwoLayerNet has no attribute `lastLayer`"))
            expect_true(False, _("{problem}; it sets {names}: rename it to `lastLayer`.").format(
                problem=problem, names=", ".join(f"`{a}`" for a in similar)) if similar else problem + ".")
        # A network built from the learner's own `ReLU` class is built from a Relu (exercises aliases).
        kinds = ["layers.Affine", "layers.Relu", "layers.Affine"]
        expect_true(len(info["types"]) == 3 and all(names_match(k, t) for k, t in zip(kinds, info["types"]))
                    and names_match("layers.SoftmaxWithLoss", info["last"]),
                    _("net.layers should be Affine, Relu, Affine and net.lastLayer SoftmaxWithLoss; "
                      "got {types} and {last}").format(types=", ".join(info["types"]), last=info["last"]))

    @pytest.mark.weight(2)
    def test_params_shared_with_layers(self, student, ref, worker, rng):
        """updating net.params in place changes net.predict (the layers share the arrays)"""
        x = rng.normal(size=(N, D))
        net = student.TwoLayerNet(D, H, C)
        before = net.predict(x)
        params = weights_away_from_kinks(rng, x)
        worker.probe("set_params_inplace", net=net, values=params)
        reference = ref.TwoLayerNet(D, H, C)
        for key, value in params.items():
            reference.params[key][...] = value
        expect_close(net.predict(x), reference.predict(x), _("net.predict(x) after updating net.params in place"),
                     hints={_("The Affine layers must be built on the arrays in self.params themselves "
                              "(Affine(self.params['W1'], self.params['b1'])), not on copies."): before})

    def test_predict(self, student, ref, worker, rng):
        """predict returns the scores of Affine2, before softmax"""
        net, reference, x, _t = networks(student, ref, worker, rng)
        expected = reference.predict(x)
        e = np.exp(expected - expected.max(axis=1, keepdims=True))
        expect_close(net.predict(x), expected, _("net.predict(x) for x of shape {shape}").format(shape=x.shape), hints={
            _("predict returns the scores before softmax; the softmax belongs to lastLayer."): e / e.sum(axis=1, keepdims=True),
        })

    @pytest.mark.parametrize("targets", ["one-hot", "labels"])
    def test_loss_and_accuracy(self, student, ref, worker, rng, targets):
        """loss(x, t) and accuracy(x, t) with one-hot or label targets"""
        net, reference, x, labels = networks(student, ref, worker, rng)
        t = np.eye(C)[labels] if targets == "one-hot" else labels
        expect_close(net.loss(x, t), reference.loss(x, t), _("net.loss(x, t) for one-hot t") if targets == "one-hot"
                     else _("net.loss(x, t) for labels t"))
        x_many = rng.normal(size=(40, D))
        t_many = rng.integers(0, C, size=40)
        t_many = np.eye(C)[t_many] if targets == "one-hot" else t_many
        expect_close(net.accuracy(x_many, t_many), reference.accuracy(x_many, t_many),
                     _("net.accuracy(x, t) for 40 samples and one-hot t") if targets == "one-hot" else
                     _("net.accuracy(x, t) for 40 samples and labels t"),
                     hints={_("accuracy is a fraction: divide the number of correct predictions by N."):
                            reference.accuracy(x_many, t_many) * 40})

    @pytest.mark.weight(3)
    @pytest.mark.parametrize("targets", ["one-hot", "labels"])
    def test_gradient(self, student, ref, worker, rng, targets):
        """gradient(x, t) by backprop equals the reference gradient"""
        net, reference, x, labels = networks(student, ref, worker, rng)
        t = np.eye(C)[labels] if targets == "one-hot" else labels
        expect_param_dict(net.gradient(x, t), reference.gradient(x, t), "net.gradient(x, t)",
                          " " + (_("with one-hot t") if targets == "one-hot" else _("with labels t")))

    @pytest.mark.weight(2)
    def test_numerical_gradient(self, student, ref, worker, rng):
        """numerical_gradient(x, t) agrees with the backprop gradient"""
        net, reference, x, labels = networks(student, ref, worker, rng)
        numeric = net.numerical_gradient(x, labels)
        expect_param_dict(numeric, reference.gradient(x, labels), "net.numerical_gradient(x, t)",
                          rtol=1e-4, atol=1e-6)
        backprop = net.gradient(x, labels)
        expect_param_dict(backprop, reference.gradient(x, labels), "net.gradient(x, t)")
        for key in ("W1", "b1", "W2", "b2"):
            # np.allclose, not the largest entrywise relative error: an entry that is a near-zero
            # sum over the batch has a large relative error in any correct central difference.
            error = rel_error(numeric[key], backprop[key])
            expect_true(np.allclose(numeric[key], backprop[key], rtol=1e-4, atol=1e-6),
                        _("net.numerical_gradient and net.gradient disagree on '{key}' (relative error {error})").format(
                            key=key, error=f"{error:.2g}"))
