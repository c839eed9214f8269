# coding: utf-8
# 4.3節の例: 数値微分で接線を引くための関数
import numpy as np


def function_1(x):
    return 0.01 * x ** 2 + 0.1 * x


def function_2(x):
    if x.ndim == 1:
        return np.sum(x ** 2)
    return np.sum(x ** 2, axis=1)


def tangent_line(f, x, numerical_diff):
    d = numerical_diff(f, x)
    y = f(x) - d * x
    return lambda t: d * t + y
