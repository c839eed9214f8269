# coding: utf-8
import numpy as np
from common.functions import *
from common.util import im2col, col2im


class MulLayer:
    def __init__(self):
        self.x = None
        self.y = None

    def forward(self, x, y):
        self.x = x
        self.y = y
        out = x * y

        return out

    def backward(self, dout):
        dx = dout * self.y  # x와 y를 바꾼다
        dy = dout * self.x

        return dx, dy


class AddLayer:
    def __init__(self):
        pass

    def forward(self, x, y):
        out = x + y

        return out

    def backward(self, dout):
        dx = dout * 1
        dy = dout * 1

        return dx, dy


class Relu:
    def __init__(self):
        self.mask = None

    def forward(self, x):
        self.mask = (x <= 0)
        out = x.copy()
        out[self.mask] = 0

        return out

    def backward(self, dout):
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
        dx = dout * (1.0 - self.out) * self.out

        return dx


class Affine:
    def __init__(self, W, b):
        self.W = W
        self.b = b

        self.x = None
        self.original_x_shape = None
        # 가중치와 편향 매개변수의 미분
        self.dW = None
        self.db = None

    def forward(self, x):
        # 텐서 대응
        self.original_x_shape = x.shape
        x = x.reshape(x.shape[0], -1)
        self.x = x

        out = np.dot(self.x, self.W) + self.b

        return out

    def backward(self, dout):
        dx = np.dot(dout, self.W.T)
        self.dW = np.dot(self.x.T, dout)
        self.db = np.sum(dout, axis=0)

        dx = dx.reshape(*self.original_x_shape)  # 입력 데이터 모양 변경(텐서 대응)
        return dx


class SoftmaxWithLoss:
    def __init__(self):
        self.loss = None  # 손실함수
        self.y = None     # softmax의 출력
        self.t = None     # 정답 레이블(원-핫 인코딩 형태)

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


class Dropout:
    def __init__(self, dropout_ratio=0.5):
        self.dropout_ratio = dropout_ratio
        self.mask = None

    def forward(self, x, train_flg=True):
        if train_flg:
            self.mask = np.random.rand(*x.shape) > self.dropout_ratio
            return x * self.mask
        return x * (1.0 - self.dropout_ratio)

    def backward(self, dout):
        return dout * self.mask


class Convolution:
    # 7장: im2col로 펼쳐서 행렬 곱 한 번으로 합성곱을 계산한다
    def __init__(self, W, b, stride=1, pad=0):
        self.W = W
        self.b = b
        self.stride = stride
        self.pad = pad

        self.x = None
        self.col = None
        self.col_W = None

        self.dW = None
        self.db = None

    def forward(self, x):
        n_filters, _, fh, fw = self.W.shape
        n = x.shape[0]
        oh = (x.shape[2] + 2 * self.pad - fh) // self.stride + 1
        ow = (x.shape[3] + 2 * self.pad - fw) // self.stride + 1

        self.x = x
        self.col = im2col(x, fh, fw, self.stride, self.pad)
        self.col_W = self.W.reshape(n_filters, -1).T

        out = self.col @ self.col_W + self.b
        return out.reshape(n, oh, ow, n_filters).transpose(0, 3, 1, 2)

    def backward(self, dout):
        n_filters, c, fh, fw = self.W.shape
        flat = dout.transpose(0, 2, 3, 1).reshape(-1, n_filters)

        self.db = flat.sum(axis=0)
        self.dW = (self.col.T @ flat).T.reshape(n_filters, c, fh, fw)

        dcol = flat @ self.col_W.T
        return col2im(dcol, self.x.shape, fh, fw, self.stride, self.pad)


class Pooling:
    # 최대 풀링: 창마다 최댓값의 위치를 기억해 두었다가 역전파에 쓴다
    def __init__(self, pool_h, pool_w, stride=2, pad=0):
        self.pool_h = pool_h
        self.pool_w = pool_w
        self.stride = stride
        self.pad = pad

        self.x = None
        self.arg_max = None

    def forward(self, x):
        n, c, h, w = x.shape
        oh = (h - self.pool_h) // self.stride + 1
        ow = (w - self.pool_w) // self.stride + 1

        windows = im2col(x, self.pool_h, self.pool_w, self.stride, self.pad)
        windows = windows.reshape(-1, self.pool_h * self.pool_w)

        self.x = x
        self.arg_max = windows.argmax(axis=1)
        return windows.max(axis=1).reshape(n, oh, ow, c).transpose(0, 3, 1, 2)

    def backward(self, dout):
        grad = dout.transpose(0, 2, 3, 1).ravel()
        size = self.pool_h * self.pool_w
        dwin = np.zeros((grad.size, size))
        dwin[np.arange(grad.size), self.arg_max] = grad

        n, c, h, w = self.x.shape
        dcol = dwin.reshape(-1, c * size)
        return col2im(dcol, self.x.shape, self.pool_h, self.pool_w, self.stride, self.pad)
