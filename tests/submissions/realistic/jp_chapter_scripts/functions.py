# 3章 ニューラルネットワーク / 4章 損失関数 のノート
# (写経しながら print で確認したものをそのまま残している)
import numpy as np


# ステップ関数
def step_function(x):
    y = x > 0
    return y.astype(np.int64)


# シグモイド関数
def sigmoid(x):
    return 1 / (1 + np.exp(-x))


x = np.array([-1.0, 1.0, 2.0])
print(sigmoid(x))


def relu(x):
    return np.maximum(0, x)


# ソフトマックス関数（オーバーフロー対策版）
def softmax(a):
    c = np.max(a)
    exp_a = np.exp(a - c)  # オーバーフロー対策
    sum_exp_a = np.sum(exp_a)
    y = exp_a / sum_exp_a

    return y


a = np.array([1010, 1000, 990])
print(softmax(a))
print(np.sum(softmax(np.array([0.3, 2.9, 4.0]))))  # 1.0 になる


# 4.2.1 二乗和誤差
def sum_squares_error(y, t):
    return 0.5 * np.sum((y - t)**2)


# 4.2.2 交差エントロピー誤差
def cross_entropy_error(y, t):
    delta = 1e-7  # np.log(0) は -inf になるので微小な値を足す
    return -np.sum(t * np.log(y + delta))


# 「2」を正解とする
t = [0, 0, 1, 0, 0, 0, 0, 0, 0, 0]
# 例1：「2」の確率が最も高い場合 (0.6)
y = [0.1, 0.05, 0.6, 0.0, 0.05, 0.1, 0.0, 0.1, 0.0, 0.0]
print(sum_squares_error(np.array(y), np.array(t)))    # 0.0975
print(cross_entropy_error(np.array(y), np.array(t)))  # 0.510825...
# 例2：「7」の確率が最も高い場合 (0.6)
y = [0.1, 0.05, 0.1, 0.0, 0.05, 0.1, 0.0, 0.6, 0.0, 0.0]
print(sum_squares_error(np.array(y), np.array(t)))    # 0.5975
print(cross_entropy_error(np.array(y), np.array(t)))  # 2.302584...
