# -*- coding: utf-8 -*-
# 4.3 数值微分  4.4 梯度
import numpy as np


# 不好的实现示例（书上4.3.1）
def numerical_diff(f, x):
    h = 10e-50
    return (f(x + h) - f(x)) / h


# 改进后的数值微分（中心差分）
def numerical_diff(f, x):
    h = 1e-4  # 0.0001
    return (f(x + h) - f(x - h)) / (2 * h)


def numerical_gradient(f, x):
    h = 1e-2  # 太小的话有舍入误差，取大一点
    grad = np.zeros_like(x)  # 生成和x形状相同的数组

    it = np.nditer(x, flags=['multi_index'], op_flags=['readwrite'])
    while not it.finished:
        idx = it.multi_index
        tmp_val = x[idx]
        # f(x+h)的计算
        x[idx] = tmp_val + h
        fxh1 = f(x)
        # f(x-h)的计算
        x[idx] = tmp_val - h
        fxh2 = f(x)

        grad[idx] = (fxh1 - fxh2) / (2 * h)
        x[idx] = tmp_val  # 还原值
        it.iternext()

    return grad


def gradient_descent(f, init_x, lr=0.01, step_num=100):
    """f是要进行最优化的函数，init_x是初始值，lr是学习率，step_num是梯度法的重复次数"""
    x = init_x
    for i in range(step_num):
        grad = numerical_gradient(f, x)
        x -= lr * grad
    return x
