"""Backprop layers (chapter 5)."""
from __future__ import annotations

import numpy as np
import numpy.typing as npt

from .functions import cross_entropy_error, sigmoid, softmax

Array = npt.NDArray[np.float64]


class MulLayer:
    def __init__(self) -> None:
        self.x = self.y = None

    def forward(self, x, y):
        self.x, self.y = x, y
        return x * y

    def backward(self, dout):
        return dout * self.y, dout * self.x


class AddLayer:
    def forward(self, x, y):
        return x + y

    def backward(self, dout):
        return dout * 1, dout * 1


class Relu:
    def __init__(self) -> None:
        self.mask: npt.NDArray[np.bool_] | None = None

    def forward(self, x: Array) -> Array:
        self.mask = x > 0
        return np.where(self.mask, x, 0.0)

    def backward(self, dout: Array) -> Array:
        return np.where(self.mask, dout, 0.0)


class Sigmoid:
    def __init__(self) -> None:
        self.out: Array | None = None

    def forward(self, x: Array) -> Array:
        self.out = sigmoid(x)
        return self.out

    def backward(self, dout: Array) -> Array:
        return dout * self.out * (1.0 - self.out)


class Affine:
    def __init__(self, W: Array, b: Array) -> None:
        self.W, self.b = W, b
        self.x: Array | None = None
        self.x_shape: tuple[int, ...] = ()
        self.dW: Array | None = None
        self.db: Array | None = None

    def forward(self, x: Array) -> Array:
        self.x_shape = x.shape
        self.x = x.reshape(len(x), -1)
        return self.x @ self.W + self.b

    def backward(self, dout: Array) -> Array:
        self.dW = self.x.T @ dout
        self.db = dout.sum(axis=0)
        return (dout @ self.W.T).reshape(self.x_shape)


class SoftmaxWithLoss:
    def __init__(self) -> None:
        self.loss: float | None = None
        self.y: Array | None = None
        self.t: npt.NDArray | None = None

    def forward(self, x: Array, t: npt.NDArray) -> float:
        self.t = t
        self.y = softmax(x)
        self.loss = cross_entropy_error(self.y, t)
        return self.loss

    def backward(self, dout: float = 1) -> Array:
        n = len(self.y)
        onehot = self.t if self.t.shape == self.y.shape else np.eye(self.y.shape[1])[self.t]
        return dout * (self.y - onehot) / n
