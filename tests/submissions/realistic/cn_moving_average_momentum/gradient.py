# !user/bin/python
# -*- coding: UTF-8 -*-

import numpy as np


def numerical_diff(f, x):
    h = 1e-4
    return (f(x + h) - f(x - h)) / (2 * h)


def numerical_gradient(f, x):
    h = 1e-4
    grad = np.zeros_like(x)
    it = np.nditer(x, flags = ['multi_index'], op_flags = ['readwrite'])
    while not it.finished:
        i = it.multi_index
        old = x[i]
        # 注意这里要把整个 x 传给 f，只改变第 i 个元素
        x[i] = float(old) + h
        f1 = f(x)
        x[i] = float(old) - h
        f2 = f(x)
        grad[i] = (f1 - f2) / (2 * h)
        x[i] = old  # 还原
        it.iternext()
    return grad


def gradient_descent(f, init_x, lr = 0.01, step_num = 100):
    x = init_x
    for i in range(step_num):
        x -= lr * numerical_gradient(f, x)
    return x
