"""Parameter updates (chapter 6). Every update is in place: the layers share the arrays."""
from __future__ import annotations

import numpy as np
import numpy.typing as npt

Params = dict[str, npt.NDArray]


class SGD:
    def __init__(self, lr: float = 0.01) -> None:
        self.lr = lr

    def update(self, params: Params, grads: Params) -> None:
        for k, p in params.items():
            p -= self.lr * grads[k]


class Momentum:
    def __init__(self, lr: float = 0.01, momentum: float = 0.9) -> None:
        self.lr, self.momentum = lr, momentum
        self.v: Params = {}

    def update(self, params: Params, grads: Params) -> None:
        for k, p in params.items():
            v = self.v.setdefault(k, np.zeros_like(p))
            v *= self.momentum
            v -= self.lr * grads[k]
            p += v


class AdaGrad:
    def __init__(self, lr: float = 0.01) -> None:
        self.lr = lr
        self.h: Params = {}

    def update(self, params: Params, grads: Params) -> None:
        for k, p in params.items():
            h = self.h.setdefault(k, np.zeros_like(p))
            h += grads[k] ** 2
            p -= self.lr * grads[k] / (np.sqrt(h) + 1e-7)


class Adam:
    def __init__(self, lr: float = 0.001, beta1: float = 0.9, beta2: float = 0.999) -> None:
        self.lr, self.beta1, self.beta2 = lr, beta1, beta2
        self.iter = 0
        self.m: Params = {}
        self.v: Params = {}

    def update(self, params: Params, grads: Params) -> None:
        self.iter += 1
        lr_t = self.lr * np.sqrt(1 - self.beta2 ** self.iter) / (1 - self.beta1 ** self.iter)
        for k, p in params.items():
            m = self.m.setdefault(k, np.zeros_like(p))
            v = self.v.setdefault(k, np.zeros_like(p))
            m += (1 - self.beta1) * (grads[k] - m)
            v += (1 - self.beta2) * (grads[k] ** 2 - v)
            p -= lr_t * m / (np.sqrt(v) + 1e-7)
