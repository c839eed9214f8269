"""A two-layer network, Affine -> Relu -> Affine -> SoftmaxWithLoss (book chapter 5).

How the parts fit: the weights live in ``self.params``; the Affine layers in
``self.layers`` hold the *same* arrays (not copies), so an optimizer from
``optimizer.py`` that updates ``params`` in place also changes what
``predict`` computes. ``gradient`` (backprop through ``layers.py``) is checked
against ``numerical_gradient`` (``gradient.py``); both return dicts keyed like
``params``.
"""
import numbers
from collections import OrderedDict

import numpy as np

from .gradient import numerical_gradient
from .layers import Affine, Relu, SoftmaxWithLoss


def _check_size(value, name):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value <= 0:
        raise ValueError(f"{name} must be positive, got {value}")


class TwoLayerNet:
    """Affine1 -> Relu1 -> Affine2, trained with SoftmaxWithLoss.

    Attributes:
    - params: dict with 'W1' (input_size, hidden_size), 'b1' (hidden_size,),
      'W2' (hidden_size, output_size), 'b2' (output_size,).
    - layers: OrderedDict 'Affine1', 'Relu1', 'Affine2', built on the arrays
      in params.
    - lastLayer: SoftmaxWithLoss.
    """

    def __init__(self, input_size, hidden_size, output_size, weight_init_std=0.01):
        """
        Inputs:
        - input_size: D, features per sample (784 for MNIST).
        - hidden_size: H, hidden units.
        - output_size: C, classes.
        - weight_init_std: Standard deviation of the Gaussian initial weights;
          biases start at zero.
        """
        _check_size(input_size, "input_size")
        _check_size(hidden_size, "hidden_size")
        _check_size(output_size, "output_size")
        self.params = {}
        self.layers = OrderedDict()
        self.lastLayer = None
        ### BEGIN SOLUTION  hint: fill params (weight_init_std * np.random.randn, np.zeros), then layers Affine1, Relu1, Affine2 on those arrays, and lastLayer
        self.params["W1"] = weight_init_std * np.random.randn(input_size, hidden_size)
        self.params["b1"] = np.zeros(hidden_size)
        self.params["W2"] = weight_init_std * np.random.randn(hidden_size, output_size)
        self.params["b2"] = np.zeros(output_size)

        self.layers["Affine1"] = Affine(self.params["W1"], self.params["b1"])
        self.layers["Relu1"] = Relu()
        self.layers["Affine2"] = Affine(self.params["W2"], self.params["b2"])
        self.lastLayer = SoftmaxWithLoss()
        ### END SOLUTION

    def predict(self, x):
        """
        Inputs:
        - x: Batch of shape (N, D).

        Returns:
        - scores: Shape (N, C), the output of Affine2 (before softmax).
        """
        ### BEGIN SOLUTION
        for layer in self.layers.values():
            x = layer.forward(x)
        return x
        ### END SOLUTION

    def loss(self, x, t):
        """
        Inputs:
        - x: Batch of shape (N, D).
        - t: One-hot (N, C) or labels (N,).

        Returns:
        - loss: Scalar, the SoftmaxWithLoss of the scores.
        """
        ### BEGIN SOLUTION
        y = self.predict(x)
        return self.lastLayer.forward(y, t)
        ### END SOLUTION

    def accuracy(self, x, t):
        """
        Inputs:
        - x: Batch of shape (N, D).
        - t: One-hot (N, C) or labels (N,).

        Returns:
        - Fraction (float in [0, 1]) of samples whose highest score is the
          correct class.
        """
        ### BEGIN SOLUTION  hint: compare np.argmax of the scores with the labels (argmax of t too if it is one-hot)
        y = self.predict(x)
        y = np.argmax(y, axis=1)
        if t.ndim != 1:
            t = np.argmax(t, axis=1)
        return np.sum(y == t) / float(x.shape[0])
        ### END SOLUTION

    def numerical_gradient(self, x, t):
        """Gradient of the loss by central differences (slow; for checking).

        Inputs:
        - x: Batch of shape (N, D).
        - t: One-hot (N, C) or labels (N,).

        Returns:
        - grads: dict keyed like params, each array shaped like its parameter.
        """
        ### BEGIN SOLUTION  hint: loss_W = lambda W: self.loss(x, t); apply numerical_gradient from gradient.py to each params array
        loss_W = lambda W: self.loss(x, t)  # noqa: E731 - the book's idiom; W is perturbed in place

        grads = {}
        for key in ("W1", "b1", "W2", "b2"):
            grads[key] = numerical_gradient(loss_W, self.params[key])
        return grads
        ### END SOLUTION

    def gradient(self, x, t):
        """Gradient of the loss by backpropagation.

        Inputs:
        - x: Batch of shape (N, D).
        - t: One-hot (N, C) or labels (N,).

        Returns:
        - grads: dict keyed like params, each array shaped like its parameter.
        """
        ### BEGIN SOLUTION  hint: run the loss forward, then backward from lastLayer through the layers in reverse; collect dW, db of the Affine layers
        # forward
        self.loss(x, t)

        # backward
        dout = 1
        dout = self.lastLayer.backward(dout)
        for layer in reversed(list(self.layers.values())):
            dout = layer.backward(dout)

        grads = {}
        grads["W1"], grads["b1"] = self.layers["Affine1"].dW, self.layers["Affine1"].db
        grads["W2"], grads["b2"] = self.layers["Affine2"].dW, self.layers["Affine2"].db
        return grads
        ### END SOLUTION
