"""Activation and loss functions (book chapters 3 and 4).

How the parts fit: ``layers.Sigmoid`` uses :func:`sigmoid`, and
``layers.SoftmaxWithLoss`` combines :func:`softmax` with
:func:`cross_entropy_error`; ``two_layer_net.TwoLayerNet`` reaches them through
those layers. Inputs are numpy arrays; a 2-D array is a batch with one sample
per row.
"""
import numpy as np


def _check_y_t(y, t):
    """Validate the arguments of the losses; return them as numpy arrays.

    Kept outside the student's code so that a wrong call fails with a clear
    message instead of a confusing broadcasting or indexing error.
    """
    y = np.asarray(y)
    t = np.asarray(t)
    if y.ndim not in (1, 2):
        raise ValueError(f"y must have shape (C,) or (N, C), got shape {y.shape}")
    if t.shape == y.shape:
        return y, t  # one-hot (or any target of y's shape)
    if t.shape == y.shape[:-1]:
        if not np.issubdtype(t.dtype, np.integer):
            raise TypeError(f"label t must hold integers, got dtype {t.dtype}")
        n_classes = y.shape[-1]
        if t.size and (t.min() < 0 or t.max() >= n_classes):
            raise ValueError(f"label t out of range: labels must be in 0..{n_classes - 1}")
        return y, t
    raise ValueError(
        f"t must be one-hot of y's shape {y.shape} or labels of shape {y.shape[:-1]}, "
        f"got shape {t.shape}"
    )


def sigmoid(x):
    """Logistic function 1 / (1 + exp(-x)), elementwise.

    Inputs:
    - x: Number or array of any shape.

    Returns:
    - Array of the same shape as x with values in [0, 1].

    Must not overflow (or warn) for large |x|, e.g. x = -1000.
    """
    ### BEGIN SOLUTION  hint: 1 / (1 + exp(-x)), written so that exp never overflows for x << 0
    # exp(-log(1 + exp(-x))) equals 1 / (1 + exp(-x)); logaddexp computes
    # log(1 + exp(-x)) without forming exp(1000), so nothing overflows.
    return np.exp(-np.logaddexp(0, -x))
    ### END SOLUTION


def softmax(x):
    """Softmax over the last axis.

    Inputs:
    - x: Scores, shape (C,) for one sample or (N, C) for a batch (one row each).

    Returns:
    - Probabilities of the same shape as x; each row sums to 1.

    Subtract the (row) maximum first: softmax does not change, and exp cannot
    overflow.
    """
    ### BEGIN SOLUTION  hint: subtract the row maximum (keepdims=True) before np.exp
    x = x - np.max(x, axis=-1, keepdims=True)  # overflow guard; x is not modified
    exp_x = np.exp(x)
    return exp_x / np.sum(exp_x, axis=-1, keepdims=True)
    ### END SOLUTION


def sum_squared_error(y, t):
    """Sum of squared errors, 0.5 * sum((y - t)**2).

    Inputs:
    - y: Network output, any shape.
    - t: Target of the same shape as y (e.g. one-hot).

    Returns:
    - loss: Scalar.
    """
    y, t = np.asarray(y), np.asarray(t)
    if y.shape != t.shape:
        raise ValueError(f"y and t must have the same shape, got {y.shape} and {t.shape}")
    ### BEGIN SOLUTION
    return 0.5 * np.sum((y - t) ** 2)
    ### END SOLUTION


def cross_entropy_error(y, t):
    """Cross-entropy error, averaged over the batch.

    Inputs:
    - y: Probabilities, shape (C,) for one sample or (N, C) for a batch.
    - t: Targets, either one-hot of the same shape as y, or integer labels of
      shape () for one sample / (N,) for a batch.

    Returns:
    - loss: Scalar, -sum(log(y[i, t_i] + 1e-7)) / N. The 1e-7 keeps log(0)
      finite.
    """
    y, t = _check_y_t(y, t)
    ### BEGIN SOLUTION  hint: make one sample a batch of one, turn one-hot t into labels, then average -log(y + 1e-7) of the true class
    if y.ndim == 1:
        t = t.reshape(1, t.size)
        y = y.reshape(1, y.size)
    if t.size == y.size:  # one-hot: use the index of the correct class
        t = t.argmax(axis=1)
    batch_size = y.shape[0]
    return -np.sum(np.log(y[np.arange(batch_size), t] + 1e-7)) / batch_size
    ### END SOLUTION
