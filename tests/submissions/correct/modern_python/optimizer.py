from __future__ import annotations

import numpy as np


class SGD:
    def __init__(self, lr: float = 0.01) -> None:
        self.lr = lr

    def update(self, params: dict, grads: dict) -> None:
        for key in params:
            params[key] -= self.lr * grads[key]


class Momentum:
    def __init__(self, lr: float = 0.01, momentum: float = 0.9) -> None:
        self.lr = lr
        self.momentum = momentum
        self.v: dict | None = None

    def update(self, params: dict, grads: dict) -> None:
        if self.v is None:
            self.v = {key: np.zeros_like(p) for key, p in params.items()}
        for key, p in params.items():
            v = self.v[key]
            v *= self.momentum
            v -= self.lr * grads[key]
            p += v


class AdaGrad:
    def __init__(self, lr: float = 0.01) -> None:
        self.lr = lr
        self.h: dict | None = None

    def update(self, params: dict, grads: dict) -> None:
        if self.h is None:
            self.h = {key: np.zeros_like(p) for key, p in params.items()}
        for key, p in params.items():
            self.h[key] += np.square(grads[key])
            p -= self.lr * grads[key] / (np.sqrt(self.h[key]) + 1e-7)


class Adam:
    def __init__(self, lr: float = 0.001, beta1: float = 0.9, beta2: float = 0.999) -> None:
        self.lr, self.beta1, self.beta2 = lr, beta1, beta2
        self.iter = 0
        self.m: dict | None = None
        self.v: dict | None = None

    def update(self, params: dict, grads: dict) -> None:
        if self.m is None:
            self.m = {key: np.zeros_like(p) for key, p in params.items()}
            self.v = {key: np.zeros_like(p) for key, p in params.items()}
        self.iter += 1
        lr_t = self.lr * np.sqrt(1.0 - self.beta2 ** self.iter) / (1.0 - self.beta1 ** self.iter)
        for key, p in params.items():
            g = grads[key]
            self.m[key] += (1 - self.beta1) * (g - self.m[key])
            self.v[key] += (1 - self.beta2) * (g ** 2 - self.v[key])
            p -= lr_t * self.m[key] / (np.sqrt(self.v[key]) + 1e-7)
