"""Numerical differentiation (chapter 4)."""
from __future__ import annotations

from typing import Callable

import numpy as np
import numpy.typing as npt

H = 1e-4


def numerical_diff(f: Callable[[float], float], x: float) -> float:
    return (f(x + H) - f(x - H)) / (2 * H)


def numerical_gradient(f: Callable[[npt.NDArray], float], x: npt.NDArray) -> npt.NDArray:
    grad = np.zeros_like(x)
    flat = x.reshape(-1)  # a view: writing into it perturbs x itself
    for i in range(flat.size):
        original = flat[i]
        flat[i] = original + H
        f_plus = f(x)
        flat[i] = original - H
        f_minus = f(x)
        flat[i] = original
        grad.reshape(-1)[i] = (f_plus - f_minus) / (2 * H)
    return grad


def gradient_descent(f: Callable[[npt.NDArray], float], init_x: npt.NDArray,
                     lr: float = 0.01, step_num: int = 100) -> npt.NDArray:
    x = init_x.astype(float, copy=True)
    for _ in range(step_num):
        x -= lr * numerical_gradient(f, x)
    return x
