# -*- coding: utf-8 -*-
from __future__ import division, print_function
import numpy as np
from functions import *


class MulLayer(object):
	def __init__(self):
		self.x = None
		self.y = None

	def forward(self, x, y):
		self.x = x
		self.y = y
		return x * y

	def backward(self, dout):
		dx = dout * self.y
		dy = dout * self.x
		return dx, dy


class AddLayer(object):
	def __init__(self):
		pass

	def forward(self, x, y):
		return x + y

	def backward(self, dout):
		return dout * 1, dout * 1


class Relu(object):
	def __init__(self):
		self.mask = None

	def forward(self, x):
		self.mask = (x <= 0)
		out = x.copy()
		out[self.mask] = 0
		return out

	def backward(self, dout):
		dout[self.mask] = 0
		return dout


class Sigmoid(object):
	def __init__(self):
		self.out = None

	def forward(self, x):
		self.out = sigmoid(x)
		return self.out

	def backward(self, dout):
		return dout * (1.0 - self.out) * self.out


class Affine(object):
	u"""Affine层：y = x·W + b"""
	def __init__(self, W, b):
		self.W = W
		self.b = b
		self.x = None
		self.original_x_shape = None
		self.dW = None
		self.db = None

	def forward(self, x):
		self.original_x_shape = x.shape
		x = x.reshape(x.shape[0], -1)
		self.x = x
		return np.dot(x, self.W) + self.b

	def backward(self, dout):
		dx = np.dot(dout, self.W.T)
		self.dW = np.dot(self.x.T, dout)
		self.db = np.sum(dout)   # 偏置的梯度
		dx = dx.reshape(*self.original_x_shape)
		return dx


class SoftmaxWithLoss(object):
	def __init__(self):
		self.loss = None
		self.y = None
		self.t = None

	def forward(self, x, t):
		self.t = t
		self.y = softmax(x)
		self.loss = cross_entropy_error(self.y, self.t)
		return self.loss

	def backward(self, dout=1):
		batch_size = self.t.shape[0]
		if self.t.size == self.y.size:
			dx = (self.y - self.t) / batch_size
		else:
			dx = self.y.copy()
			dx[np.arange(batch_size), self.t] -= 1
			dx = dx / batch_size
		return dx
