#!/usr/bin/env python
# coding: utf-8

# # 第3章 神经网络 / 第4章 损失函数
# 从 Jupyter Notebook 导出 (File -> Download as -> Python)

# In[1]:


import numpy as np
import matplotlib.pyplot as plt
get_ipython().run_line_magic('matplotlib', 'inline')


# ## sigmoid

# In[2]:


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


# ## softmax（批处理版，转置后按列计算）

# In[3]:


def softmax(x):
    if x.ndim == 2:
        x = x.T
        x = x - np.max(x, axis=0)
        y = np.exp(x) / np.sum(np.exp(x), axis=0)
        return y.T
    x = x - np.max(x)
    return np.exp(x) / np.sum(np.exp(x))


# In[4]:


softmax(np.array([0.3, 2.9, 4.0]))


# ## 损失函数

# In[5]:


def sum_squared_error(y, t):
    return 0.5 * np.sum((y - t) ** 2)


def cross_entropy_error(y, t):
    if y.ndim == 1:
        t = t.reshape(1, t.size)
        y = y.reshape(1, y.size)
    if t.size == y.size:
        t = t.argmax(axis=1)
    batch_size = y.shape[0]
    return -np.sum(np.log(y[np.arange(batch_size), t] + 1e-7)) / batch_size


# In[6]:


t = np.array([0, 0, 1, 0, 0, 0, 0, 0, 0, 0])
y = np.array([0.1, 0.05, 0.6, 0.0, 0.05, 0.1, 0.0, 0.1, 0.0, 0.0])
print(sum_squared_error(y, t), cross_entropy_error(y, t))


# In[ ]:




