# coding: utf-8
"""내가 자주 쓰는 보조 함수 모음 (책의 common/util.py 를 참고해서 직접 작성)"""
import numpy as np


def as_batch(y, t):
    """1차원 입력이면 배치 크기 1인 2차원으로 바꾼다"""
    if y.ndim == 1:
        return y.reshape(1, -1), t.reshape(1, -1)
    return y, t


def to_label(t, n_class):
    """원-핫이면 정답 레이블(인덱스)로 바꾼다"""
    if t.ndim == 2 and t.shape[1] == n_class:
        return np.argmax(t, axis=1)
    return t.reshape(-1)


def smooth_curve(x, window=11):
    """손실 그래프를 부드럽게 (이동 평균)"""
    w = np.ones(window) / window
    return np.convolve(x, w, mode='valid')


def shuffle_dataset(x, t):
    perm = np.random.permutation(x.shape[0])
    return x[perm], t[perm]


def im2col(input_data, filter_h, filter_w, stride=1, pad=0):
    """(N, C, H, W) 이미지를 2차원 행렬로 펼친다 (7장 합성곱용)"""
    N, C, H, W = input_data.shape
    out_h = (H + 2 * pad - filter_h) // stride + 1
    out_w = (W + 2 * pad - filter_w) // stride + 1
    img = np.pad(input_data, [(0, 0), (0, 0), (pad, pad), (pad, pad)], 'constant')
    col = np.zeros((N, C, filter_h, filter_w, out_h, out_w))
    for y in range(filter_h):
        for x in range(filter_w):
            col[:, :, y, x, :, :] = img[:, :, y:y + stride * out_h:stride, x:x + stride * out_w:stride]
    return col.transpose(0, 4, 5, 1, 2, 3).reshape(N * out_h * out_w, -1)


def col2im(col, input_shape, filter_h, filter_w, stride=1, pad=0):
    """im2col의 역변환 (겹치는 부분은 더한다)"""
    N, C, H, W = input_shape
    out_h = (H + 2 * pad - filter_h) // stride + 1
    out_w = (W + 2 * pad - filter_w) // stride + 1
    col = col.reshape(N, out_h, out_w, C, filter_h, filter_w).transpose(0, 3, 4, 5, 1, 2)
    img = np.zeros((N, C, H + 2 * pad + stride - 1, W + 2 * pad + stride - 1))
    for y in range(filter_h):
        for x in range(filter_w):
            img[:, :, y:y + stride * out_h:stride, x:x + stride * out_w:stride] += col[:, :, y, x, :, :]
    return img[:, :, pad:H + pad, pad:W + pad]
