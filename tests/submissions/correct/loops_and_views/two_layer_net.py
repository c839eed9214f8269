from collections import OrderedDict

import numpy as np

from .gradient import numerical_gradient
from .layers import Affine, Relu, SoftmaxWithLoss


class TwoLayerNet:
    def __init__(self, input_size, hidden_size, output_size, weight_init_std=0.01):
        sizes = [input_size, hidden_size, output_size]
        self.params = {}
        for i in (1, 2):
            self.params[f"W{i}"] = weight_init_std * np.random.randn(sizes[i - 1], sizes[i])
            self.params[f"b{i}"] = np.zeros(sizes[i])

        self.layers = OrderedDict()
        for i in (1, 2):
            self.layers[f"Affine{i}"] = Affine(self.params[f"W{i}"], self.params[f"b{i}"])
            if i < 2:
                self.layers[f"Relu{i}"] = Relu()
        self.lastLayer = SoftmaxWithLoss()

    def predict(self, x):
        for layer in self.layers.values():
            x = layer.forward(x)
        return x

    def loss(self, x, t):
        return self.lastLayer.forward(self.predict(x), t)

    def accuracy(self, x, t):
        y = np.argmax(self.predict(x), axis=1)
        if t.ndim != 1:
            t = np.argmax(t, axis=1)
        return np.mean(y == t)

    def numerical_gradient(self, x, t):
        def loss_w(_):
            return self.loss(x, t)

        return {key: numerical_gradient(loss_w, param) for key, param in self.params.items()}

    def gradient(self, x, t):
        self.loss(x, t)
        dout = self.lastLayer.backward(1)
        for layer in reversed(self.layers.values()):
            dout = layer.backward(dout)
        grads = {}
        for i in (1, 2):
            affine = self.layers[f"Affine{i}"]
            grads[f"W{i}"] = affine.dW
            grads[f"b{i}"] = affine.db
        return grads
