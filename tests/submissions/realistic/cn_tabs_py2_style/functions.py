# -*- coding: utf-8 -*-
from __future__ import division, print_function
import numpy as np


def sigmoid(x):
	return 1. / (1. + np.exp(-x))


def softmax(x):
	# 批处理: 每一行减去该行的最大值，防止溢出
	if x.ndim == 2:
		x = x - x.max(axis=1).reshape(-1, 1)
		return np.exp(x) / np.exp(x).sum(axis=1).reshape(-1, 1)
	x = x - np.max(x)
	return np.exp(x) / np.sum(np.exp(x))


def sum_squared_error(y, t):
	return 0.5 * np.sum((y - t) ** 2)


def cross_entropy_error(y, t):
	if y.ndim == 1:
		t = t.reshape(1, t.size)
		y = y.reshape(1, y.size)
	# one-hot转换成标签
	if t.size == y.size:
		t = t.argmax(axis=1)
	batch_size = y.shape[0]
	return -np.sum(np.log(y[np.arange(batch_size), t] + 1e-7)) / batch_size
