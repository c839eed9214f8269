# 活性化関数と損失関数をまとめたライブラリ
import numpy as np


# シグモイド関数  y = 1 / (1 + exp(-x))
def sigmoid(x):
    return 1 / (1 + np.exp(-x))


# ソフトマックス関数  y = exp(x) / Σexp(x)
# 行ごとに最大値を引いてオーバーフローを防ぐ
def softmax(x):
    c = np.max(x, axis=-1, keepdims=True)
    exp_x = np.exp(x - c)
    return exp_x / np.sum(exp_x, axis=-1, keepdims=True)


# 二乗和誤差
def sum_squared_error(y, t):
    return 0.5 * np.sum((y - t) ** 2)


# 交差エントロピー誤差（バッチ対応・ラベルでもone-hotでも）
def cross_entropy_error(y, t):
    if y.ndim == 1:
        t = t.reshape(1, t.size)
        y = y.reshape(1, y.size)
    if t.size == y.size:
        t = t.argmax(axis=1)
    batch_size = y.shape[0]
    return -np.sum(np.log(y[np.arange(batch_size), t] + 1e-7)) / batch_size
