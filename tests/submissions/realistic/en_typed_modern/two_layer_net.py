"""Two-layer net with backprop (chapter 5)."""
from __future__ import annotations

from collections import OrderedDict

import numpy as np
import numpy.typing as npt

from .gradient import numerical_gradient
from .layers import Affine, Relu, SoftmaxWithLoss

KEYS = ("W1", "b1", "W2", "b2")


class TwoLayerNet:
    def __init__(self, input_size: int, hidden_size: int, output_size: int,
                 weight_init_std: float = 0.01) -> None:
        rng = np.random
        self.params: dict[str, npt.NDArray] = {
            "W1": weight_init_std * rng.randn(input_size, hidden_size),
            "b1": np.zeros(hidden_size),
            "W2": weight_init_std * rng.randn(hidden_size, output_size),
            "b2": np.zeros(output_size),
        }
        self.layers: OrderedDict[str, object] = OrderedDict(
            Affine1=Affine(self.params["W1"], self.params["b1"]),
            Relu1=Relu(),
            Affine2=Affine(self.params["W2"], self.params["b2"]),
        )
        self.lastLayer = SoftmaxWithLoss()

    def predict(self, x: npt.NDArray) -> npt.NDArray:
        for layer in self.layers.values():
            x = layer.forward(x)
        return x

    def loss(self, x: npt.NDArray, t: npt.NDArray) -> float:
        return self.lastLayer.forward(self.predict(x), t)

    def accuracy(self, x: npt.NDArray, t: npt.NDArray) -> float:
        labels = t.argmax(axis=1) if t.ndim == 2 else t
        return float(np.mean(self.predict(x).argmax(axis=1) == labels))

    def numerical_gradient(self, x: npt.NDArray, t: npt.NDArray) -> dict[str, npt.NDArray]:
        return {k: numerical_gradient(lambda _w: self.loss(x, t), self.params[k]) for k in KEYS}

    def gradient(self, x: npt.NDArray, t: npt.NDArray) -> dict[str, npt.NDArray]:
        self.loss(x, t)
        dout = self.lastLayer.backward(1)
        for layer in reversed(list(self.layers.values())):
            dout = layer.backward(dout)
        a1, a2 = self.layers["Affine1"], self.layers["Affine2"]
        return {"W1": a1.dW, "b1": a1.db, "W2": a2.dW, "b2": a2.db}
