import numpy as np


def numerical_diff(f, x):
    h = 1e-4
    return (f(x + h) - f(x - h)) / (2 * h)


def numerical_gradient(f, x):
    """Gradient of f at x (central difference)."""
    h = 1e-4
    grad = np.zeros_like(x)
    for i in range(len(x)):
        old = x[i]
        x[i] = old + h
        fxh1 = f(x)
        x[i] = old - h
        fxh2 = f(x)
        grad[i] = (fxh1 - fxh2) / (2 * h)
        x[i] = old
    return grad


def gradient_descent(f, init_x, lr=0.01, step_num=100):
    x = init_x.copy()
    for _ in range(step_num):
        x = x - lr * numerical_gradient(f, x)
    return x
