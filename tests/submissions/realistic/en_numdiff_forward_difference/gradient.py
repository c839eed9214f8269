"""Numerical differentiation (chapter 4).

I use the definition of the derivative directly: (f(x + h) - f(x)) / h.
"""
import numpy as np

H = 1e-4


def numerical_diff(f, x):
    return (f(x + H) - f(x)) / H


def numerical_gradient(f, x):
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=['multi_index'], op_flags=['readwrite'])
    for _ in it:
        idx = it.multi_index
        tmp = x[idx]
        x[idx] = tmp + H
        f_plus = f(x)
        x[idx] = tmp - H
        f_minus = f(x)
        x[idx] = tmp
        grad[idx] = (f_plus - f_minus) / (2 * H)
    return grad


def gradient_descent(f, init_x, lr=0.01, step_num=100):
    x = np.array(init_x, dtype=float)
    for step in range(step_num):
        x -= lr * numerical_gradient(f, x)
    return x


if __name__ == "__main__":
    print(numerical_diff(lambda x: 0.01 * x ** 2 + 0.1 * x, 5))   # ~0.2
    print(numerical_gradient(lambda x: np.sum(x ** 2), np.array([3.0, 4.0])))
