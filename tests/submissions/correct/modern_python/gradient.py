from __future__ import annotations

from typing import Callable

import numpy as np


def numerical_diff(f: Callable[[float], float], x: float) -> float:
    h = 1e-4
    return (f(x + h) - f(x - h)) / (2 * h)


def numerical_gradient(f: Callable[[np.ndarray], float], x: np.ndarray) -> np.ndarray:
    h = 1e-4
    grad = np.zeros_like(x, dtype=np.float64)
    for idx in np.ndindex(x.shape):
        original = x[idx]
        x[idx] = original + h
        f_plus = f(x)
        x[idx] = original - h
        f_minus = f(x)
        x[idx] = original
        grad[idx] = (f_plus - f_minus) / (2 * h)
    return grad


def gradient_descent(f, init_x: np.ndarray, lr: float = 0.01, step_num: int = 100) -> np.ndarray:
    x = np.array(init_x, dtype=np.float64)  # a fresh copy
    for _ in range(step_num):
        x = x - lr * numerical_gradient(f, x)
    return x
