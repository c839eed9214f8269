# coding: utf-8
import numpy as np


def step_function(x):
    return np.array(x > 0, dtype=np.int)  # 계단 함수 (3장)


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def softmax(x):
    if x.ndim == 2:  # 배치 처리: 행마다 최댓값을 빼 준다
        x = x - x.max(axis=1, keepdims=True)
        return np.exp(x) / np.sum(np.exp(x), axis=1, keepdims=True)
    x = x - np.max(x)  # 오버플로 대책
    return np.exp(x) / np.sum(np.exp(x))


def mean_squared_error(y, t):
    return 0.5 * np.sum((y - t) ** 2)  # 평균 제곱 오차 (예측값 - 정답)의 제곱 합


# 배치용 교차 엔트로피 오차
def cross_entropy_error(y, t):
    if y.ndim == 1:  # 1차원 입력이면 reshape로 형상을 바꿔준다
        t = t.reshape(1, t.size)
        y = t.reshape(1, y.size)

    # 정답 레이블이 원-핫 인코딩이면 인덱스로 바꾼다
    if t.size == y.size:
        t = t.argmax(axis=1)

    batch_size = y.shape[0]  # 행의 개수 = 배치 크기
    return -np.sum(np.log(y[np.arange(batch_size), t] + 1e-7)) / batch_size
