# -*- coding: utf-8 -*-
import numpy as np


# 数值微分（中心差分）
def numerical_diff(f, x):
    h = 1e-4  # 0.0001
    return (f(x + h) - f(x - h)) / (2 * h)


# 梯度
def numerical_gradient(f, x):
    h = 1e-4  # 0.0001
    grad = np.zeros_like(x)  # 生成和x形状相同的数组

    it = np.nditer(x, flags=['multi_index'], op_flags=['readwrite'])
    while not it.finished:
        idx = it.multi_index
        tmp_val = x[idx]
        # f(x+h)的计算
        x[idx] = float(tmp_val) + h
        fxh1 = f(x)

        # f(x-h)的计算
        x[idx] = tmp_val - h
        fxh2 = f(x)

        grad[idx] = (fxh1 - fxh2) / (2 * h)
        x[idx] = tmp_val  # 还原值
        it.iternext()

    return grad


# 梯度下降法
def gradient_descent(f, init_x, lr=0.01, step_num=100):
    x = init_x

    for i in range(step_num):
        grad = numerical_gradient(f, x)
        x -= lr * grad

    return x


if __name__ == '__main__':
    def function_1(x):
        return 0.01 * x ** 2 + 0.1 * x

    def function_2(x):
        return x[0] ** 2 + x[1] ** 2

    print(numerical_diff(function_1, 5))
    print(numerical_diff(function_1, 10))
    print(numerical_gradient(function_2, np.array([3.0, 4.0])))
    print(gradient_descent(function_2, init_x=np.array([-3.0, 4.0]), lr=0.1, step_num=100))
