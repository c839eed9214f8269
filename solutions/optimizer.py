"""Parameter update rules (book chapter 6): SGD, Momentum, AdaGrad, Adam.

How the parts fit: ``update(params, grads)`` takes ``TwoLayerNet.params`` and
the dict returned by ``TwoLayerNet.gradient`` (same keys) and changes the
parameter arrays IN PLACE (``params[key] -= ...``). That is required, not a
style choice: the Affine layers hold references to these very arrays, so
``params[key] = params[key] - ...`` would bind a new array in the dict while
the layers keep computing with the old one, and the network would never learn.

State that persists between calls (Momentum's v, AdaGrad's h, Adam's m and v)
is created lazily on the first update as zeros shaped like each parameter.
AdaGrad and Adam are bonus exercises.
"""
import numpy as np


def _check_lr(lr):
    if not lr > 0:  # also refuses NaN
        raise ValueError(f"lr must be positive, got {lr!r}")


def _check_decay(value, name):
    if not 0 <= value < 1:
        raise ValueError(f"{name} must be in [0, 1), got {value!r}")


class SGD:
    """Stochastic gradient descent: W <- W - lr * dW."""

    def __init__(self, lr=0.01):
        _check_lr(lr)
        self.lr = lr

    def update(self, params, grads):
        """Take one step, in place (the layers share the arrays in params).

        Inputs:
        - params: dict name -> parameter array; each array is modified in place.
        - grads: dict with the same keys, gradients shaped like the parameters.
        """
        ### BEGIN SOLUTION  hint: for each key: params[key] -= ... (in place, so the layers see it)
        for key in params.keys():
            params[key] -= self.lr * grads[key]
        ### END SOLUTION


class Momentum:
    """Momentum SGD: v <- momentum * v - lr * dW; W <- W + v."""

    def __init__(self, lr=0.01, momentum=0.9):
        _check_lr(lr)
        _check_decay(momentum, "momentum")
        self.lr = lr
        self.momentum = momentum
        self.v = None  # dict of velocities, created on the first update

    def update(self, params, grads):
        """Take one step, in place (the layers share the arrays in params).

        Inputs:
        - params: dict name -> parameter array; each array is modified in place.
        - grads: dict with the same keys, gradients shaped like the parameters.

        On the first call, self.v becomes a dict of zeros shaped like params;
        it is kept across calls.
        """
        ### BEGIN SOLUTION  hint: on the first call create self.v = {key: np.zeros_like(...)}; then v = momentum*v - lr*grad and params[key] += v
        if self.v is None:
            self.v = {}
            for key, val in params.items():
                self.v[key] = np.zeros_like(val)

        for key in params.keys():
            self.v[key] = self.momentum * self.v[key] - self.lr * grads[key]
            params[key] += self.v[key]
        ### END SOLUTION


class AdaGrad:
    """AdaGrad: h <- h + dW * dW; W <- W - lr * dW / (sqrt(h) + 1e-7)."""

    def __init__(self, lr=0.01):
        _check_lr(lr)
        self.lr = lr
        self.h = None  # dict of summed squared gradients, created on the first update

    def update(self, params, grads):
        """Take one step, in place (the layers share the arrays in params).

        Inputs:
        - params: dict name -> parameter array; each array is modified in place.
        - grads: dict with the same keys, gradients shaped like the parameters.

        On the first call, self.h becomes a dict of zeros shaped like params;
        the 1e-7 avoids dividing by zero.
        """
        ### BEGIN SOLUTION
        if self.h is None:
            self.h = {}
            for key, val in params.items():
                self.h[key] = np.zeros_like(val)

        for key in params.keys():
            self.h[key] += grads[key] * grads[key]
            params[key] -= self.lr * grads[key] / (np.sqrt(self.h[key]) + 1e-7)
        ### END SOLUTION


class Adam:
    """Adam (Kingma and Ba, 2015), in the book's formulation.

    With t the number of updates so far (self.iter):
    lr_t = lr * sqrt(1 - beta2**t) / (1 - beta1**t)
    m <- m + (1 - beta1) * (dW - m)
    v <- v + (1 - beta2) * (dW**2 - v)
    W <- W - lr_t * m / (sqrt(v) + 1e-7)
    """

    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999):
        _check_lr(lr)
        _check_decay(beta1, "beta1")
        _check_decay(beta2, "beta2")
        self.lr = lr
        self.beta1 = beta1
        self.beta2 = beta2
        self.iter = 0
        self.m = None  # dicts of moment estimates, created on the first update
        self.v = None

    def update(self, params, grads):
        """Take one step, in place (the layers share the arrays in params).

        Inputs:
        - params: dict name -> parameter array; each array is modified in place.
        - grads: dict with the same keys, gradients shaped like the parameters.

        On the first call, self.m and self.v become dicts of zeros shaped like
        params; self.iter counts the updates (bias correction uses it).
        """
        ### BEGIN SOLUTION
        if self.m is None:
            self.m, self.v = {}, {}
            for key, val in params.items():
                self.m[key] = np.zeros_like(val)
                self.v[key] = np.zeros_like(val)

        self.iter += 1
        lr_t = self.lr * np.sqrt(1.0 - self.beta2**self.iter) / (1.0 - self.beta1**self.iter)

        for key in params.keys():
            self.m[key] += (1 - self.beta1) * (grads[key] - self.m[key])
            self.v[key] += (1 - self.beta2) * (grads[key] ** 2 - self.v[key])
            params[key] -= lr_t * self.m[key] / (np.sqrt(self.v[key]) + 1e-7)
        ### END SOLUTION
