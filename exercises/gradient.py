# Generated from solutions/gradient.py by `dlgrade stubs`; do not edit it by hand in the course
# repository: change the solution and run `dlgrade stubs` again. (Students: this is your
# exercise; replace each `raise NotImplementedError(...)` with your code.)
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
    raise NotImplementedError("TODO: implement numerical_diff (see the docstring)")


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
    raise NotImplementedError("TODO: implement numerical_gradient: for every index (np.nditer with flags=['multi_index']): set x[idx] to x+h and x-h, call f, restore x[idx]")


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
    raise NotImplementedError("TODO: implement gradient_descent: start from a copy of init_x; repeat step_num times: x -= lr * numerical_gradient(f, x)")
