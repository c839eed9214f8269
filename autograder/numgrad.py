"""The grader's own float64 central differences.

Student code is evaluated in a worker, so a numerical gradient is computed in
two steps: ``perturbations`` lists the points at which to evaluate (sent to
the worker in one ``map`` round trip), ``from_values`` turns the returned
values into the gradient, here in the grader's process.
"""
import numpy as np

H = 1e-5


def perturbations(x, h=H):
    """Points x + h·e_i and x - h·e_i for every index i of x.

    Inputs:
    - x: float array of any shape.
    - h: step.

    Returns:
    - list of 2·x.size arrays shaped like x: [x + h e_0, x - h e_0, x + h e_1, ...].
    """
    x = np.asarray(x, dtype=np.float64)
    points = []
    for i in range(x.size):
        for sign in (1.0, -1.0):
            p = x.copy()
            p.flat[i] += sign * h
            points.append(p)
    return points


def from_values(values, shape, h=H):
    """Central-difference gradient from f evaluated at ``perturbations(x, h)``.

    Inputs:
    - values: sequence of 2·size scalars, in the order ``perturbations`` made them.
    - shape: shape of x.

    Returns:
    - grad: float64 array of the given shape.
    """
    v = np.asarray(values, dtype=np.float64).reshape(-1, 2)
    size = int(np.prod(shape, dtype=np.int64))
    if v.shape[0] != size:
        raise ValueError(f"expected {2 * size} values for shape {shape}, got {v.size}")
    return ((v[:, 0] - v[:, 1]) / (2 * h)).reshape(shape)


def numerical_gradient(f, x, h=H):
    """Gradient of scalar f at x, evaluated locally (x itself is not modified).

    Inputs:
    - f: function of an array shaped like x returning a scalar.
    - x: float array of any shape.

    Returns:
    - grad: float64 array shaped like x.
    """
    x = np.asarray(x, dtype=np.float64)
    return from_values([f(p) for p in perturbations(x, h)], x.shape, h)
