# Generated from solutions/two_layer_net.py by `dlgrade stubs`; do not edit it by hand in the course
# repository: change the solution and run `dlgrade stubs` again. (Students: this is your
# exercise; replace each `raise NotImplementedError(...)` with your code.)
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
        raise NotImplementedError("TODO: implement TwoLayerNet.__init__: fill params (weight_init_std * np.random.randn, np.zeros), then layers Affine1, Relu1, Affine2 on those arrays, and lastLayer")

    def predict(self, x):
        """
        Inputs:
        - x: Batch of shape (N, D).

        Returns:
        - scores: Shape (N, C), the output of Affine2 (before softmax).
        """
        raise NotImplementedError("TODO: implement TwoLayerNet.predict (see the docstring)")

    def loss(self, x, t):
        """
        Inputs:
        - x: Batch of shape (N, D).
        - t: One-hot (N, C) or labels (N,).

        Returns:
        - loss: Scalar, the SoftmaxWithLoss of the scores.
        """
        raise NotImplementedError("TODO: implement TwoLayerNet.loss (see the docstring)")

    def accuracy(self, x, t):
        """
        Inputs:
        - x: Batch of shape (N, D).
        - t: One-hot (N, C) or labels (N,).

        Returns:
        - Fraction (float in [0, 1]) of samples whose highest score is the
          correct class.
        """
        raise NotImplementedError("TODO: implement TwoLayerNet.accuracy: compare np.argmax of the scores with the labels (argmax of t too if it is one-hot)")

    def numerical_gradient(self, x, t):
        """Gradient of the loss by central differences (slow; for checking).

        Inputs:
        - x: Batch of shape (N, D).
        - t: One-hot (N, C) or labels (N,).

        Returns:
        - grads: dict keyed like params, each array shaped like its parameter.
        """
        raise NotImplementedError("TODO: implement TwoLayerNet.numerical_gradient: loss_W = lambda W: self.loss(x, t); apply numerical_gradient from gradient.py to each params array")

    def gradient(self, x, t):
        """Gradient of the loss by backpropagation.

        Inputs:
        - x: Batch of shape (N, D).
        - t: One-hot (N, C) or labels (N,).

        Returns:
        - grads: dict keyed like params, each array shaped like its parameter.
        """
        raise NotImplementedError("TODO: implement TwoLayerNet.gradient: run the loss forward, then backward from lastLayer through the layers in reverse; collect dW, db of the Affine layers")
