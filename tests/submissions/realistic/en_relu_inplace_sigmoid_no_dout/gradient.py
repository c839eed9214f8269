import numpy as np


def numerical_diff(f, x):
    h = 1e-4
    return (f(x + h) - f(x - h)) / (2 * h)


def numerical_gradient(f, x):
    """Central-difference gradient of f at x, for any shape of x."""
    h = 1e-4
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + h
        fxh1 = f(x)
        x[idx] = old - h
        fxh2 = f(x)
        grad[idx] = (fxh1 - fxh2) / (2 * h)
        x[idx] = old
    return grad


def gradient_descent(f, init_x, lr=0.01, step_num=100):
    x = init_x.copy()
    for _ in range(step_num):
        x -= lr * numerical_gradient(f, x)
    return x
