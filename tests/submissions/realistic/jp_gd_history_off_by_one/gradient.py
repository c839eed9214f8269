# coding: utf-8
# 4章 勾配法  (自分で書いてみた版)
import numpy as np
import matplotlib.pyplot as plt


def numerical_diff(f, x):
    h = 1e-4
    return (f(x + h) - f(x - h)) / (2 * h)


def numerical_gradient(f, x):
    """多次元配列に対応した数値勾配"""
    h = 1e-4
    grad = np.zeros_like(x)

    it = np.nditer(x, flags=['multi_index'], op_flags=['readwrite'])
    while not it.finished:
        idx = it.multi_index
        tmp_val = x[idx]

        x[idx] = tmp_val + h
        fxh1 = f(x)          # f(x+h)

        x[idx] = tmp_val - h
        fxh2 = f(x)          # f(x-h)

        grad[idx] = (fxh1 - fxh2) / (2 * h)
        x[idx] = tmp_val     # 値を元に戻す
        it.iternext()

    return grad


def gradient_descent(f, init_x, lr=0.01, step_num=100):
    x = init_x
    x_history = []   # 軌跡をプロットするため

    i = 0
    while i <= step_num:   # step_num 回まで繰り返す
        x_history.append(x.copy())
        grad = numerical_gradient(f, x)
        x = x - lr * grad
        i += 1

    return x, np.array(x_history)


if __name__ == '__main__':
    def function_2(x):
        return x[0]**2 + x[1]**2

    x, hist = gradient_descent(function_2, np.array([-3.0, 4.0]), lr=0.1, step_num=20)
    print(x)
    plt.plot(hist[:, 0], hist[:, 1], 'o')
    plt.xlabel("X0")
    plt.ylabel("X1")
    plt.show()
