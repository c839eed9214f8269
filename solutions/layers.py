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
        ### BEGIN SOLUTION
        self.x = x
        self.y = y
        return x * y
        ### END SOLUTION

    def backward(self, dout):
        """
        Inputs:
        - dout: Upstream gradient, shaped like out.

        Returns a tuple of:
        - dx: dout * y.
        - dy: dout * x.
        """
        ### BEGIN SOLUTION  hint: swap the inputs: dx = dout * y, dy = dout * x
        dx = dout * self.y
        dy = dout * self.x
        return dx, dy
        ### END SOLUTION


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
        ### BEGIN SOLUTION
        return x + y
        ### END SOLUTION

    def backward(self, dout):
        """
        Inputs:
        - dout: Upstream gradient, shaped like out.

        Returns a tuple of:
        - dx: dout.
        - dy: dout.
        """
        ### BEGIN SOLUTION
        dx = dout * 1
        dy = dout * 1
        return dx, dy
        ### END SOLUTION


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
        ### BEGIN SOLUTION  hint: remember mask = (x <= 0); return a copy of x with the masked entries set to 0
        self.mask = x <= 0
        out = x.copy()  # x itself must not change
        out[self.mask] = 0
        return out
        ### END SOLUTION

    def backward(self, dout):
        """
        Inputs:
        - dout: Upstream gradient, shaped like x.

        Returns:
        - dx: dout where x > 0 and 0 elsewhere.
        """
        ### BEGIN SOLUTION
        dx = dout.copy()  # the book zeroes dout in place; a copy leaves the caller's array intact
        dx[self.mask] = 0
        return dx
        ### END SOLUTION


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
        ### BEGIN SOLUTION  hint: use sigmoid() from functions.py and remember the output
        out = sigmoid(x)
        self.out = out
        return out
        ### END SOLUTION

    def backward(self, dout):
        """
        Inputs:
        - dout: Upstream gradient, shaped like x.

        Returns:
        - dx: dout * out * (1 - out).
        """
        ### BEGIN SOLUTION
        return dout * (1.0 - self.out) * self.out
        ### END SOLUTION


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
        ### BEGIN SOLUTION  hint: remember x.shape, flatten x to (N, D), remember it, return x . W + b
        self.original_x_shape = x.shape
        x = x.reshape(x.shape[0], -1)
        self.x = x
        return np.dot(x, self.W) + self.b
        ### END SOLUTION

    def backward(self, dout):
        """
        Inputs:
        - dout: Upstream gradient, shape (N, M).

        Returns:
        - dx: Gradient with respect to x, in x's original shape (N, d_1, ..., d_k).

        Stores self.dW (D, M) and self.db (M,).
        """
        ### BEGIN SOLUTION  hint: dx = dout . W^T (reshaped back), dW = x^T . dout, db = dout summed over the batch
        dx = np.dot(dout, self.W.T)
        self.dW = np.dot(self.x.T, dout)
        self.db = np.sum(dout, axis=0)
        return dx.reshape(*self.original_x_shape)
        ### END SOLUTION


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
        ### BEGIN SOLUTION  hint: remember t, y = softmax(x) and the loss; use the functions from functions.py
        self.t = t
        self.y = softmax(x)
        self.loss = cross_entropy_error(self.y, self.t)
        return self.loss
        ### END SOLUTION

    def backward(self, dout=1):
        """
        Inputs:
        - dout: Upstream gradient of the loss (1 when the loss is the output).

        Returns:
        - dx: dout * (y - t) / N, shape (N, C); with labels, t is the one-hot
          vector of each label.
        """
        ### BEGIN SOLUTION  hint: dx = (y - t) / N; with labels, subtract 1 at each sample's true class
        batch_size = self.t.shape[0]
        if self.t.size == self.y.size:  # one-hot
            dx = (self.y - self.t) / batch_size
        else:  # labels
            dx = self.y.copy()
            dx[np.arange(batch_size), self.t] -= 1
            dx = dx / batch_size
        return dout * dx
        ### END SOLUTION
