# 4.3 数値微分 / 4.4 勾配
import numpy as np


# 悪い実装例（丸め誤差・前方差分）
# def numerical_diff(f, x):
#     h = 10e-50
#     return (f(x + h) - f(x)) / h

def numerical_diff(f, x):
    h = 1e-4  # 0.0001
    return (f(x+h) - f(x-h)) / (2*h)


def function_1(x):
    return 0.01*x**2 + 0.1*x


print(numerical_diff(function_1, 5))   # 0.1999999999990898
print(numerical_diff(function_1, 10))  # 0.2999999999986347


def function_2(x):
    return x[0]**2 + x[1]**2


# 4.4 勾配
def numerical_gradient(f, x):
    h = 1e-4  # 0.0001
    grad = np.zeros_like(x)  # xと同じ形状の配列を生成

    for idx in range(x.size):
        tmp_val = x[idx]
        # f(x+h) の計算
        x[idx] = tmp_val + h
        fxh1 = f(x)

        # f(x-h) の計算
        x[idx] = tmp_val - h
        fxh2 = f(x)

        grad[idx] = (fxh1 - fxh2) / (2*h)
        x[idx] = tmp_val  # 値を元に戻す

    return grad


print(numerical_gradient(function_2, np.array([3.0, 4.0])))  # [6. 8.]
print(numerical_gradient(function_2, np.array([0.0, 2.0])))  # [0. 4.]
print(numerical_gradient(function_2, np.array([3.0, 0.0])))  # [6. 0.]


# 4.4.1 勾配法
def gradient_descent(f, init_x, lr=0.01, step_num=100):
    x = init_x

    for i in range(step_num):
        grad = numerical_gradient(f, x)
        x -= lr * grad

    return x


init_x = np.array([-3.0, 4.0])
print(gradient_descent(function_2, init_x=init_x, lr=0.1, step_num=100))
