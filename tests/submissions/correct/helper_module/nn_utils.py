"""Small helpers shared by my functions.py and layers.py."""
import numpy as np


def shifted(x):
    """x minus its row maximum: softmax does not change and exp cannot overflow."""
    return x - np.max(x, axis=-1, keepdims=True)


def labels_of(t, y):
    """Integer labels from targets that are either one-hot (shaped like y) or labels already."""
    t = np.asarray(t)
    if t.size == np.size(y):
        return t.reshape(-1, np.shape(y)[-1]).argmax(axis=1)
    return t
