# coding: utf-8
import numpy as np


# 恒等函数
def identity_function(x):
    return x


# sigmoid 函数
def sigmoid(x):
    return 1 / (1 + np.exp(-x))


# softmax 函数（对最后一维做，批处理也可以）
def softmax(x):
    x = x - np.max(x, axis=-1, keepdims=True)  # 溢出对策
    return np.exp(x) / np.sum(np.exp(x), axis=-1, keepdims=True)


# 均方误差
def mean_squared_error(y, t):
    return 0.5 * np.sum((y - t) ** 2)


# mini-batch 版交叉熵误差
def cross_entropy_error(y, t):
    if y.ndim == 1:
        t = t.reshape(1, t.size)
        y = y.reshape(1, y.size)

    # 如果监督数据是 one-hot 向量，转换为正确解标签的索引
    if t.size == y.size:
        t = t.argmax(axis=1)

    batch_size = y.shape[0]
    return -np.sum(np.log(y[np.arange(batch_size), t] + 1e-7)) / batch_size
