"""Numerical differentiation and gradient descent (book chapter 4).

How the parts fit: ``two_layer_net.TwoLayerNet.numerical_gradient`` uses
:func:`numerical_gradient` to check the backprop gradient; the chapter-4
examples use :func:`numerical_diff` and :func:`gradient_descent` directly.
All derivatives are central differences with h = 1e-4.
"""
import numpy as np


def _check_float_array(x, name):
    """Refuse anything but a float ndarray: it is perturbed in place by h = 1e-4,
    which an integer array would silently round away."""
    if not isinstance(x, np.ndarray) or not np.issubdtype(x.dtype, np.floating):
        kind = x.dtype if isinstance(x, np.ndarray) else type(x).__name__
        raise TypeError(f"{name} must be a float numpy array (e.g. np.array([3.0, 4.0])), got {kind}")


def numerical_diff(f, x):
    """Derivative of a one-variable function by central difference.

    Inputs:
    - f: Function of one number returning a number.
    - x: Number at which to differentiate.

    Returns:
    - (f(x + h) - f(x - h)) / (2h) with h = 1e-4.
    """
    ### BEGIN SOLUTION
    h = 1e-4  # small, but not so small that rounding error dominates
    return (f(x + h) - f(x - h)) / (2 * h)
    ### END SOLUTION


def numerical_gradient(f, x):
    """Gradient of a scalar function of an array, by central differences.

    Inputs:
    - f: Function taking an array shaped like x and returning a scalar.
    - x: Float array of any shape. Each element is perturbed in place by
      +-h (h = 1e-4) in turn and restored afterwards, so f sees the change
      (TwoLayerNet relies on this: its layers share the arrays in params).

    Returns:
    - grad: Array of the same shape as x; grad[idx] = df/dx[idx].
    """
    _check_float_array(x, "x")
    ### BEGIN SOLUTION  hint: for every index (np.nditer with flags=['multi_index']): set x[idx] to x+h and x-h, call f, restore x[idx]
    h = 1e-4
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"], op_flags=["readwrite"])
    while not it.finished:
        idx = it.multi_index
        tmp_val = x[idx]
        x[idx] = tmp_val + h
        fxh1 = f(x)  # f(x + h)
        x[idx] = tmp_val - h
        fxh2 = f(x)  # f(x - h)
        grad[idx] = (fxh1 - fxh2) / (2 * h)
        x[idx] = tmp_val  # restore the original value
        it.iternext()
    return grad
    ### END SOLUTION


def gradient_descent(f, init_x, lr=0.01, step_num=100):
    """Minimise f by plain gradient descent with numerical gradients.

    Inputs:
    - f: Function taking an array shaped like init_x and returning a scalar.
    - init_x: Float array, the starting point. It is not modified.
    - lr: Learning rate.
    - step_num: Number of steps.

    Returns:
    - x: Array shaped like init_x, the point after step_num steps
      (x <- x - lr * grad f(x) each step).
    """
    _check_float_array(init_x, "init_x")
    ### BEGIN SOLUTION  hint: start from a copy of init_x; repeat step_num times: x -= lr * numerical_gradient(f, x)
    x = init_x.copy()  # the caller's array stays untouched
    for _ in range(step_num):
        grad = numerical_gradient(f, x)
        x -= lr * grad
    return x
    ### END SOLUTION
