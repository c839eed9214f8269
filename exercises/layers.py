# Generated from solutions/layers.py by `dlgrade stubs`; do not edit it by hand in the course
# repository: change the solution and run `dlgrade stubs` again. (Students: this is your
# exercise; replace each `raise NotImplementedError(...)` with your code.)
"""Layers of a computational graph (book chapter 5).

How the parts fit: every layer has ``forward(...)``, which computes the output
and caches what the backward pass needs, and ``backward(dout)``, which takes
the upstream gradient dL/d(output) and returns the gradient with respect to
the inputs. ``two_layer_net.TwoLayerNet`` chains Affine -> Relu -> Affine and
ends with SoftmaxWithLoss. An Affine layer keeps references to its W and b
(not copies), so an optimizer that updates the network's params in place also
updates the layer.

Every cache attribute starts as None in ``__init__``; ``backward`` must only be
called after ``forward``. ``forward`` never modifies its inputs (callers reuse
them).
"""
import numpy as np

from .functions import cross_entropy_error, sigmoid, softmax


class MulLayer:
    """out = x * y."""

    def __init__(self):
        self.x = None
        self.y = None

    def forward(self, x, y):
        """
        Inputs:
        - x, y: Numbers or arrays of the same shape.

        Returns:
        - out: x * y.

        Caches x and y (each is the other's local gradient).
        """
        raise NotImplementedError("TODO: implement MulLayer.forward (see the docstring)")

    def backward(self, dout):
        """
        Inputs:
        - dout: Upstream gradient, shaped like out.

        Returns a tuple of:
        - dx: dout * y.
        - dy: dout * x.
        """
        raise NotImplementedError("TODO: implement MulLayer.backward: swap the inputs: dx = dout * y, dy = dout * x")


class AddLayer:
    """out = x + y."""

    def __init__(self):
        pass  # nothing to cache: the local gradients are 1

    def forward(self, x, y):
        """
        Inputs:
        - x, y: Numbers or arrays of the same shape.

        Returns:
        - out: x + y.
        """
        raise NotImplementedError("TODO: implement AddLayer.forward (see the docstring)")

    def backward(self, dout):
        """
        Inputs:
        - dout: Upstream gradient, shaped like out.

        Returns a tuple of:
        - dx: dout.
        - dy: dout.
        """
        raise NotImplementedError("TODO: implement AddLayer.backward (see the docstring)")


class Relu:
    """out = max(0, x), elementwise."""

    def __init__(self):
        self.mask = None

    def forward(self, x):
        """
        Inputs:
        - x: Array of any shape.

        Returns:
        - out: Array shaped like x, x where x > 0 and 0 elsewhere.

        Caches mask = (x <= 0), where the gradient is blocked.
        """
        raise NotImplementedError("TODO: implement Relu.forward: remember mask = (x <= 0); return a copy of x with the masked entries set to 0")

    def backward(self, dout):
        """
        Inputs:
        - dout: Upstream gradient, shaped like x.

        Returns:
        - dx: dout where x > 0 and 0 elsewhere.
        """
        raise NotImplementedError("TODO: implement Relu.backward (see the docstring)")


class Sigmoid:
    """out = 1 / (1 + exp(-x)), elementwise."""

    def __init__(self):
        self.out = None

    def forward(self, x):
        """
        Inputs:
        - x: Array of any shape.

        Returns:
        - out: sigmoid(x), shaped like x.

        Caches out: the local gradient is out * (1 - out).
        """
        raise NotImplementedError("TODO: implement Sigmoid.forward: use sigmoid() from functions.py and remember the output")

    def backward(self, dout):
        """
        Inputs:
        - dout: Upstream gradient, shaped like x.

        Returns:
        - dx: dout * out * (1 - out).
        """
        raise NotImplementedError("TODO: implement Sigmoid.backward (see the docstring)")


class Affine:
    """Fully connected layer, out = x . W + b.

    W and b are kept by reference: the network's params dict holds the same
    arrays, so updating them in place updates this layer.
    """

    def __init__(self, W, b):
        """
        Inputs:
        - W: Weights, shape (D, M).
        - b: Biases, shape (M,).
        """
        self.W = W
        self.b = b
        self.x = None
        self.original_x_shape = None
        self.dW = None
        self.db = None

    def forward(self, x):
        """
        Inputs:
        - x: Batch of shape (N, d_1, ..., d_k); each sample is flattened to
          D = d_1 * ... * d_k values (e.g. images of shape (N, 1, 28, 28)).

        Returns:
        - out: Array of shape (N, M).

        Caches the flattened x (N, D) and x's original shape.
        """
        if np.ndim(x) < 2:
            raise ValueError(f"Affine.forward expects a batch x of shape (N, ...), got shape {np.shape(x)}")
        raise NotImplementedError("TODO: implement Affine.forward: remember x.shape, flatten x to (N, D), remember it, return x . W + b")

    def backward(self, dout):
        """
        Inputs:
        - dout: Upstream gradient, shape (N, M).

        Returns:
        - dx: Gradient with respect to x, in x's original shape (N, d_1, ..., d_k).

        Stores self.dW (D, M) and self.db (M,).
        """
        raise NotImplementedError("TODO: implement Affine.backward: dx = dout . W^T (reshaped back), dW = x^T . dout, db = dout summed over the batch")


class SoftmaxWithLoss:
    """Softmax followed by the cross-entropy error, as one layer.

    Together their gradient is simply (y - t) / N.
    """

    def __init__(self):
        self.loss = None
        self.y = None  # softmax output
        self.t = None  # targets (one-hot or labels)

    def forward(self, x, t):
        """
        Inputs:
        - x: Scores, shape (N, C).
        - t: Targets, one-hot of shape (N, C) or integer labels of shape (N,).

        Returns:
        - loss: Scalar, the mean cross-entropy error of softmax(x).

        Caches t, y = softmax(x) and the loss. x is not modified.
        """
        if np.ndim(x) != 2:
            raise ValueError(f"SoftmaxWithLoss.forward expects scores of shape (N, C), got shape {np.shape(x)}")
        raise NotImplementedError("TODO: implement SoftmaxWithLoss.forward: remember t, y = softmax(x) and the loss; use the functions from functions.py")

    def backward(self, dout=1):
        """
        Inputs:
        - dout: Upstream gradient of the loss (1 when the loss is the output).

        Returns:
        - dx: dout * (y - t) / N, shape (N, C); with labels, t is the one-hot
          vector of each label.
        """
        raise NotImplementedError("TODO: implement SoftmaxWithLoss.backward: dx = (y - t) / N; with labels, subtract 1 at each sample's true class")
