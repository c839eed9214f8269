"""Chapter 5: a two-layer net trained with backprop.

    x -> Affine1 -> Relu1 -> Affine2 -> SoftmaxWithLoss
"""
from collections import OrderedDict

import numpy as np

from .gradient import numerical_gradient
from .layers import Affine, Relu, SoftmaxWithLoss


class TwoLayerNet:
    def __init__(self, n_input, n_hidden, n_output, init_std=0.01):
        """n_input: pixels per image (784), n_hidden: hidden units, n_output: classes (10)."""
        self.params = {
            'W1': init_std * np.random.randn(n_input, n_hidden),
            'b1': np.zeros(n_hidden),
            'W2': init_std * np.random.randn(n_hidden, n_output),
            'b2': np.zeros(n_output),
        }
        self.layers = OrderedDict([
            ('Affine1', Affine(self.params['W1'], self.params['b1'])),
            ('Relu1', Relu()),
            ('Affine2', Affine(self.params['W2'], self.params['b2'])),
        ])
        self.lastLayer = SoftmaxWithLoss()

    def predict(self, x):
        for layer in self.layers.values():
            x = layer.forward(x)
        return x

    def loss(self, x, t):
        return self.lastLayer.forward(self.predict(x), t)

    def accuracy(self, x, t):
        pred = np.argmax(self.predict(x), axis=1)
        if t.ndim == 2:
            t = np.argmax(t, axis=1)
        return float(np.sum(pred == t)) / x.shape[0]

    def numerical_gradient(self, x, t):
        def f(_):
            return self.loss(x, t)
        return {key: numerical_gradient(f, self.params[key]) for key in self.params}

    def gradient(self, x, t):
        self.loss(x, t)
        dout = self.lastLayer.backward(1)
        for name in reversed(self.layers):
            dout = self.layers[name].backward(dout)
        grads = {}
        for i in (1, 2):
            grads[f'W{i}'] = self.layers[f'Affine{i}'].dW
            grads[f'b{i}'] = self.layers[f'Affine{i}'].db
        return grads
