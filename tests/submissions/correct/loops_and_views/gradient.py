import numpy as np


def numerical_diff(f, x):
    h = 1e-4
    return (f(x + h) - f(x - h)) / (2 * h)


def numerical_gradient(f, x):
    h = 1e-5
    flat = x.reshape(-1)  # a view of x: writing flat[i] changes x, which f reads
    grad = np.zeros(flat.size)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + h
        up = f(x)
        flat[i] = old - h
        down = f(x)
        flat[i] = old
        grad[i] = (up - down) / (2 * h)
    return grad.reshape(x.shape)


def gradient_descent(f, init_x, lr=0.01, step_num=100):
    x = init_x
    for step in range(step_num):
        x -= lr * numerical_gradient(f, x)
    return x
