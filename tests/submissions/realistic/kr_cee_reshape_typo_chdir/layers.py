# coding: utf-8
import os
os.chdir(os.path.dirname(os.path.abspath(__file__)))  # VS Code에서 실행할 때 경로 문제 때문에
import numpy as np
from common.functions import *


class MulLayer:
    def __init__(self):
        self.x = None
        self.y = None

    def forward(self, x, y):
        self.x = x
        self.y = y
        return x * y

    def backward(self, dout):
        dx = dout * self.y  # x와 y를 바꾼다
        dy = dout * self.x
        return dx, dy


class AddLayer:
    def __init__(self):
        pass

    def forward(self, x, y):
        return x + y

    def backward(self, dout):
        return dout * 1, dout * 1


class Relu:
    def __init__(self):
        self.mask = None

    def forward(self, x):
        self.mask = (x <= 0)  # 0 이하인 곳은 True
        out = x.copy()
        out[self.mask] = 0
        return out

    def backward(self, dout):
        # dx 는 x 와 size 가 같다. True 인 곳은 0 으로 막는다
        dout[self.mask] = 0
        dx = dout
        return dx


class Sigmoid:
    def __init__(self):
        self.out = None

    def forward(self, x):
        out = sigmoid(x)
        self.out = out
        return out

    def backward(self, dout):
        return dout * (1.0 - self.out) * self.out


class Affine:  # X @ W + b (행렬 곱 & 더하기) 계층
    def __init__(self, W, b):
        self.W = W  # (n1 x n2)
        self.b = b  # (1 x n2)
        self.x = None  # (m x n1)
        self.original_x_shape = None
        # 가중치와 편향 매개변수의 미분
        self.dW = None  # (n1 x n2)
        self.db = None  # (1 x n2)

    def forward(self, x):
        # 텐서 대응
        self.original_x_shape = x.shape
        x = x.reshape(x.shape[0], -1)
        self.x = x
        return np.dot(self.x, self.W) + self.b  # (m x n2)

    def backward(self, dout):
        dx = np.dot(dout, self.W.T)  # (m x n1) = (m x n2) * (n2 x n1)
        self.dW = np.dot(self.x.T, dout)  # (n1 x n2) = (n1 x m) * (m x n2)
        self.db = np.sum(dout, axis=0)  # (m x n2) -> (1 x n2)
        dx = dx.reshape(*self.original_x_shape)  # 입력 데이터 모양으로 되돌린다
        return dx


class SoftmaxWithLoss:
    def __init__(self):
        self.loss = None  # 손실함수
        self.y = None  # softmax의 출력
        self.t = None  # 정답 레이블

    def forward(self, x, t):
        self.t = t
        self.y = softmax(x)
        self.loss = cross_entropy_error(self.y, self.t)
        return self.loss

    def backward(self, dout=1):
        batch_size = self.t.shape[0]
        if self.t.size == self.y.size:  # 정답 레이블이 원-핫 인코딩 형태일 때
            dx = (self.y - self.t) / batch_size
        else:
            dx = self.y.copy()
            dx[np.arange(batch_size), self.t] -= 1
            dx = dx / batch_size
        return dx
