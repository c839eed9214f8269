"""4장 수치 미분"""
import numpy as np


def numerical_diff(f, x):
    """중심 차분"""
    h = 1e-4
    return (f(x + h) - f(x - h)) / (2 * h)


def numerical_gradient(f, x):
    """x의 모든 원소에 대해 편미분을 구한다 (다차원 배열 지원)"""
    h = 1e-4
    grad = np.zeros_like(x)

    it = np.nditer(x, flags=['multi_index'], op_flags=['readwrite'])
    while not it.finished:
        idx = it.multi_index
        tmp_val = x[idx]

        x[idx] = tmp_val + h
        fxh1 = f(x)  # f(x+h)
        x[idx] = tmp_val - h
        fxh2 = f(x)  # f(x-h)

        grad[idx] = (fxh1 - fxh2) / (2 * h)
        x[idx] = tmp_val  # 값 복원
        it.iternext()

    return grad


def gradient_descent(f, init_x, lr=0.01, step_num=100):
    """경사 하강법"""
    x = init_x.copy()
    for i in range(step_num):
        x -= lr * numerical_gradient(f, x)
    return x
