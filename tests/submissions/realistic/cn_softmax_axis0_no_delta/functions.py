# -*- coding: utf-8 -*-
"""
深度学习入门：基于Python的理论与实现
第3章 神经网络 + 第4章 神经网络的学习  —— 常用函数
"""
import numpy as np


def sigmoid(x):
    """sigmoid函数"""
    return 1 / (1 + np.exp(-x))


def softmax(x):
    """softmax函数，支持批处理

    为了防止溢出，先减去最大值
    """
    c = np.max(x, axis=0)
    exp_x = np.exp(x - c)
    return exp_x / np.sum(exp_x, axis=0)


def sum_squared_error(y, t):
    """均方误差（书上叫 mean squared error）"""
    return 0.5 * np.sum((y - t) ** 2)


def cross_entropy_error(y, t):
    """交叉熵误差，mini-batch版"""
    if y.ndim == 1:
        t = t.reshape(1, t.size)
        y = y.reshape(1, y.size)

    # 如果是one-hot，转换为标签
    if t.size == y.size:
        t = t.argmax(axis=1)

    batch_size = y.shape[0]
    return -np.sum(np.log(y[np.arange(batch_size), t])) / batch_size


if __name__ == '__main__':
    a = np.array([0.3, 2.9, 4.0])
    print(softmax(a))          # [0.01821127 0.24519181 0.73659691]
    print(np.sum(softmax(a)))  # 1.0
    t = np.array([0, 0, 1, 0, 0, 0, 0, 0, 0, 0])
    y = np.array([0.1, 0.05, 0.6, 0.0, 0.05, 0.1, 0.0, 0.1, 0.0, 0.0])
    print(cross_entropy_error(y, t))
