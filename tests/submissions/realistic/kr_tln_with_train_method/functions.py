"""밑바닥부터 시작하는 딥러닝 3~4장: 활성화 함수와 손실 함수"""
import numpy as np


def sigmoid(x):
    """시그모이드 함수. x가 아주 작아도 overflow 경고가 나지 않게 부호에 따라 나눠서 계산한다."""
    x = np.asarray(x, dtype=float)
    out = np.empty_like(x)
    pos = x >= 0
    out[pos] = 1 / (1 + np.exp(-x[pos]))
    ex = np.exp(x[~pos])
    out[~pos] = ex / (1 + ex)
    return out if out.ndim else out.item()


def softmax(x):
    """소프트맥스 함수 (배치면 행마다)"""
    c = np.max(x, axis=-1, keepdims=True)  # 오버플로 방지
    exp_x = np.exp(x - c)
    return exp_x / np.sum(exp_x, axis=-1, keepdims=True)


def sum_squared_error(y, t):
    """오차제곱합"""
    return 0.5 * np.sum((y - t) ** 2)


def cross_entropy_error(y, t):
    """교차 엔트로피 오차 (배치 평균, 원-핫/레이블 모두 지원)"""
    if y.ndim == 1:
        t = t.reshape(1, t.size)
        y = y.reshape(1, y.size)

    # 원-핫 벡터면 정답 레이블의 인덱스로 바꾼다
    if t.size == y.size:
        t = t.argmax(axis=1)

    batch_size = y.shape[0]
    return -np.sum(np.log(y[np.arange(batch_size), t] + 1e-7)) / batch_size
