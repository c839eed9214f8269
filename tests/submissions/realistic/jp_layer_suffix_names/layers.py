# 誤差逆伝播法で使うレイヤ
# 活性化関数のレイヤは重み・バイアスの勾配を直接は求めない。
# 重み・バイアスの勾配を求めるのは、順伝播で重みとバイアスを使う Affine レイヤだけ。
import numpy as np
import functions


# 乗算レイヤ（5.4節）
class MulLayer:
    def __init__(self):
        self.x = None
        self.y = None

    def forward(self, x, y):
        self.x = x
        self.y = y
        return x * y

    def backward(self, dout):
        return dout * self.y, dout * self.x


# 加算レイヤ
class AddLayer:
    def __init__(self):
        pass

    def forward(self, x, y):
        return x + y

    def backward(self, dout):
        return dout * 1, dout * 1


# ReLU レイヤ  y = max(0, x)
class ReluLayer:
    def __init__(self):
        self.mask = None

    def forward(self, x):
        self.mask = (x <= 0)   # 0以下のところが True
        out = x.copy()
        out[self.mask] = 0
        return out

    # 順伝播で 0 以下だったところは逆伝播も 0
    def backward(self, dout):
        dout[self.mask] = 0
        return dout


# シグモイドレイヤ  dx = dout * (1 - y) * y
class SigmoidLayer:
    def __init__(self):
        self.y = None

    def forward(self, x):
        self.y = functions.sigmoid(x)
        return self.y

    def backward(self, dout):
        return dout * (self.y * (1 - self.y))


# Affine レイヤ  y = np.dot(x, W) + b
# dx = dout・W.T,  dW = x.T・dout,  db = dout の総和
class AffineLayer:
    def __init__(self, W, b):
        self.W = W
        self.b = b
        self.x = None
        self.dW = None
        self.db = None

    def forward(self, x):
        self.x = x
        return np.dot(x, self.W) + self.b

    def backward(self, dout):
        dx = np.dot(dout, self.W.T)
        self.dW = np.dot(self.x.T, dout)
        self.db = np.sum(dout, axis=0)
        return dx


# 損失関数込みのソフトマックスレイヤ
class SoftmaxWithLossLayer:
    def __init__(self):
        self.loss = None
        self.y = None
        self.t = None

    def forward(self, x, t):
        self.t = t
        self.y = functions.softmax(x)
        self.loss = functions.cross_entropy_error(self.y, t)
        return self.loss

    # dout はいる？ → TwoLayerNet から 1 が渡される
    def backward(self, dout=1):
        batch_size = self.t.shape[0]
        return (self.y - self.t) / batch_size
