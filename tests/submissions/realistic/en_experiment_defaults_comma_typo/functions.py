#!/usr/bin/python3
import numpy as np


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


# def softmax(a):
#     c = np.max(a)
#     exp_a = np.exp(a - c)
#     return exp_a / np.sum(exp_a)

def softmax(x):
    x = x - np.max(x, axis=-1, keepdims=True)   # works for one sample or a batch
    return np.exp(x) / np.sum(np.exp(x), axis=-1, keepdims=True)


def sum_squared_error(y, t):
    return 0.5 * np.sum((y - t) ** 2)


def cross_entropy_error(y, t):
    if y.ndim == 1:
        y = y.reshape(1, -1)
        t = t.reshape(1, -1)
    if t.size == y.size:  # one-hot -> labels
        t = t.argmax(axis=1)
    n = y.shape[0]
    return -np.sum(np.log(y[np.arange(n), t.ravel()] + 1e-7)) / n
