#!/usr/bin/python3
import numpy as np


def numerical_diff(f, x):
    h = 1e-4
    return (f(x + h) - f(x - h)) / (2 * h)


def numerical_gradient(f, x):
    h = 1e-4
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        tmp_val = x[idx]
        x[idx] = tmp_val + h
        fxh1 = f(x)
        x[idx] = tmp_val - h
        fxh2 = f(x)
        grad[idx] = (fxh1 - fxh2) / (2 * h)
        x[idx] = tmp_val
    return grad


# step_num was 100 in the book; I tried 200 to see it converge and forgot to put it back
def gradient_descent(f, init_x, lr=0.01, step_num=200):
    x = init_x
    x_history = []
    for i in range(step_num):
        x_history.append(x.copy())
        x -= lr * numerical_gradient(f, x)
    return x, np.array(x_history)


def function_2(x):
    return x[0] ** 2 + x[1] ** 2


if __name__ == "__main__":
    x, hist = gradient_descent(function_2, np.array([-3.0, 4.0]), lr=0.1, step_num=100)
    print(x)
