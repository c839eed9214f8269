from __future__ import annotations

import numpy as np


def sigmoid(x: np.ndarray) -> np.ndarray:
    """Numerically stable: exp is only ever taken of non-positive numbers."""
    x = np.asarray(x, dtype=np.float64)
    out = np.empty_like(x)
    pos = x >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-x[pos]))
    e = np.exp(x[~pos])
    out[~pos] = e / (1.0 + e)
    return out


def softmax(x: np.ndarray) -> np.ndarray:
    shifted = x - x.max(axis=-1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=-1, keepdims=True)


def sum_squared_error(y: np.ndarray, t: np.ndarray) -> float:
    return 0.5 * float(np.sum(np.square(np.asarray(y) - np.asarray(t))))


def cross_entropy_error(y: np.ndarray, t: np.ndarray) -> float:
    y = np.asarray(y, dtype=np.float64)
    t = np.asarray(t)
    if y.ndim == 1:
        y = y[np.newaxis, :]
        t = t.reshape(1, -1) if t.size == y.size else t.reshape(1)
    if t.shape == y.shape:
        t = t.argmax(axis=1)
    n = y.shape[0]
    return float(-np.log(y[np.arange(n), t] + 1e-7).sum() / n)
