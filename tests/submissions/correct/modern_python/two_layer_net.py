from __future__ import annotations

from collections import OrderedDict

import numpy as np

from .gradient import numerical_gradient
from .layers import Affine, Relu, SoftmaxWithLoss


class TwoLayerNet:
    def __init__(self, input_size: int, hidden_size: int, output_size: int,
                 weight_init_std: float = 0.01) -> None:
        self.params: dict[str, np.ndarray] = {
            "W1": weight_init_std * np.random.randn(input_size, hidden_size),
            "b1": np.zeros(hidden_size),
            "W2": weight_init_std * np.random.randn(hidden_size, output_size),
            "b2": np.zeros(output_size),
        }
        self.layers = OrderedDict(
            Affine1=Affine(self.params["W1"], self.params["b1"]),
            Relu1=Relu(),
            Affine2=Affine(self.params["W2"], self.params["b2"]),
        )
        self.lastLayer = SoftmaxWithLoss()

    def predict(self, x: np.ndarray) -> np.ndarray:
        out = x
        for layer in self.layers.values():
            out = layer.forward(out)
        return out

    def loss(self, x: np.ndarray, t: np.ndarray) -> float:
        return self.lastLayer.forward(self.predict(x), t)

    def accuracy(self, x: np.ndarray, t: np.ndarray) -> float:
        predicted = self.predict(x).argmax(axis=1)
        labels = t if t.ndim == 1 else t.argmax(axis=1)
        return float(np.count_nonzero(predicted == labels)) / len(x)

    def numerical_gradient(self, x: np.ndarray, t: np.ndarray) -> dict[str, np.ndarray]:
        return {key: numerical_gradient(lambda _w: self.loss(x, t), self.params[key])
                for key in ("W1", "b1", "W2", "b2")}

    def gradient(self, x: np.ndarray, t: np.ndarray) -> dict[str, np.ndarray]:
        self.loss(x, t)
        dout = self.lastLayer.backward(1)
        for name in ("Affine2", "Relu1", "Affine1"):
            dout = self.layers[name].backward(dout)
        a1, a2 = self.layers["Affine1"], self.layers["Affine2"]
        return {"W1": a1.dW, "b1": a1.db, "W2": a2.dW, "b2": a2.db}
