# -*- coding: utf-8 -*-
# 第5章 误差反向传播法 —— 我自己的写法：前向传播时保存输入x，反向传播时再算导数
import numpy as np
from functions import sigmoid, softmax, cross_entropy_error


class MulLayer:
    def __init__(self):
        self.x = None
        self.y = None

    def forward(self, x, y):
        self.x, self.y = x, y
        return x * y

    def backward(self, dout):
        return dout * self.y, dout * self.x   # 乘法节点：交换输入


class AddLayer:
    def forward(self, x, y):
        return x + y

    def backward(self, dout):
        return dout, dout                      # 加法节点：原样传回


class Relu:
    def __init__(self):
        self.x = None

    def forward(self, x):
        self.x = x
        return np.maximum(0, x)

    def backward(self, dout):
        return dout * (self.x > 0)             # x>0 的地方导数为1，其余为0


class Sigmoid:
    def __init__(self):
        self.x = None

    def forward(self, x):
        self.x = x
        return sigmoid(x)

    def backward(self, dout):
        s = sigmoid(self.x)
        return dout * s * (1 - s)              # sigmoid' = s(1-s)


class Affine:
    def __init__(self, W, b):
        self.W = W
        self.b = b
        self.x = None
        self.x_shape = None
        self.dW = None
        self.db = None

    def forward(self, x):
        self.x_shape = x.shape
        self.x = x.reshape(x.shape[0], -1)     # 图像等高维输入先展平
        return np.dot(self.x, self.W) + self.b

    def backward(self, dout):
        self.dW = np.dot(self.x.T, dout)
        self.db = dout.sum(axis=0)
        dx = np.dot(dout, self.W.T)
        return dx.reshape(self.x_shape)


class SoftmaxWithLoss:
    def __init__(self):
        self.loss = None
        self.y = None
        self.t = None

    def forward(self, x, t):
        self.t = t
        self.y = softmax(x)
        self.loss = cross_entropy_error(self.y, self.t)
        return self.loss

    def backward(self, dout=1):
        batch_size = self.y.shape[0]
        if self.t.size == self.y.size:
            t = self.t
        else:                                  # 标签 -> one-hot
            t = np.zeros_like(self.y)
            t[np.arange(batch_size), self.t] = 1
        return dout * (self.y - t) / batch_size
