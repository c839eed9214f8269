# !user/bin/python
# -*- coding: UTF-8 -*-
# 第三章、第四章用到的函数，自己整理的版本

import numpy as np


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def softmax(x):
    # 二维时按行处理：先转置，每一列减去该列最大值，防止溢出
    if x.ndim == 2:
        x = x.T
        x = x - np.max(x, axis=0)
        y = np.exp(x) / np.sum(np.exp(x), axis=0)
        return y.T
    x = x - np.max(x)
    return np.exp(x) / np.sum(np.exp(x))


def mean_squared_error(y, t):
    return 0.5 * np.sum((y - t) ** 2)


def cross_entropy_error(y, t):
    # 只有一个样本时，变成 1 * n 的矩阵
    if y.ndim == 1:
        t = t.reshape(1, t.size)
        y = y.reshape(1, y.size)
    # t 是 one-hot 的话转成标签
    if t.size == y.size:
        t = t.argmax(axis=1)
    N = y.shape[0]
    return -np.sum(np.log(y[np.arange(N), t] + 1e-7)) / N
