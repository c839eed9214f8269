"""The book's call styles and return conventions, accepted wherever the grader calls student code.

One place decides how the grader calls what a learner wrote, so the checks and the MNIST
gate agree (README, "Fairness"):

- :func:`make_two_layer_net`: ``TwoLayerNet`` is built with the keywords ``input_size``,
  ``hidden_size``, ``output_size`` when its constructor has them, else by position (a
  learner's ``TwoLayerNet(n_in, n_hidden, n_out)`` is the same network).
- :func:`backward_with_unit`: a loss layer's ``backward`` is called as the book calls it in
  ``TwoLayerNet.gradient``, ``backward(1)``; a ``backward(self)`` without a ``dout``
  parameter is called without one.
- :func:`descent_point`: ``gradient_descent`` may return ``x`` or, as the book's
  ``ch04/gradient_method.py`` does, ``(x, x_history)``.
- :func:`call_in_book_order`: a keyword the learner's function names otherwise
  (``gradient_descent(f, init_x, lr=0.01, step_number=100)``) is passed by its place.

The first two run inside a worker (through ``autograder.probes``), on the student's own
objects; they use only the standard library's ``inspect``, which runs no student code.
"""
from __future__ import annotations

import inspect

import numpy as np

__all__ = ["make_two_layer_net", "backward_with_unit", "descent_point", "call_in_book_order"]

_SIZE_NAMES = ("input_size", "hidden_size", "output_size")
_POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)


def _signature(obj):
    try:
        return inspect.signature(obj)
    except (TypeError, ValueError):  # a builtin or an odd callable: call it the plain way
        return None


def make_two_layer_net(cls, input_size, hidden_size, output_size, weight_init_std=None):
    """Build ``cls(input_size, hidden_size, output_size[, weight_init_std])`` in the learner's style.

    Inputs:
    - cls: the learner's TwoLayerNet class.
    - input_size, hidden_size, output_size: the layer sizes (D, H, C).
    - weight_init_std: passed only when not None: as ``weight_init_std=`` when the
      constructor has that parameter, else as its fourth parameter when that one's name
      speaks of a scale (``std``, ``init``, ``scale``, ``weight``).

    Returns:
    - the new network.

    Raises TypeError (with the constructor's parameters) when weight_init_std is given and the
    constructor has no parameter for it.
    """
    sizes = (input_size, hidden_size, output_size)
    sig = _signature(cls)
    if sig is None:
        extra = {} if weight_init_std is None else {"weight_init_std": weight_init_std}
        return cls(*sizes, **extra)
    params = list(sig.parameters.values())
    by_name = {p.name: p for p in params}
    keywords = all(n in by_name and by_name[n].kind != inspect.Parameter.POSITIONAL_ONLY for n in _SIZE_NAMES)
    args, kwargs = ((), dict(zip(_SIZE_NAMES, sizes))) if keywords else (sizes, {})
    if weight_init_std is not None:
        positional = [p for p in params if p.kind in _POSITIONAL]
        fourth = positional[3] if len(positional) > 3 else None
        if "weight_init_std" in by_name:
            kwargs["weight_init_std"] = weight_init_std
        elif fourth is not None and any(w in fourth.name.lower() for w in ("std", "init", "scale", "weight")):
            kwargs[fourth.name] = weight_init_std
        elif any(p.kind == inspect.Parameter.VAR_KEYWORD for p in params):
            kwargs["weight_init_std"] = weight_init_std
        else:
            raise TypeError(f"TwoLayerNet{sig} has no parameter for the initial weight scale "
                            "(the book's weight_init_std=0.01)")
    return cls(*args, **kwargs)


def backward_with_unit(layer):
    """``layer.backward(1)``, as the book's ``TwoLayerNet.gradient`` calls its last layer.

    Inputs:
    - layer: a loss layer after ``forward(x, t)``.

    Returns:
    - what ``backward`` returns (dx). A ``backward(self)`` with no parameter is called
      without arguments; ``backward(self, dout)`` and ``backward(self, dout=1)`` get 1.
    """
    backward = layer.backward
    sig = _signature(backward)
    takes_dout = sig is None or any(
        p.kind in _POSITIONAL or p.kind == inspect.Parameter.VAR_POSITIONAL for p in sig.parameters.values())
    return backward(1) if takes_dout else backward()


def call_in_book_order(function, book_order, args=(), kwargs=None):
    """``function(*args, **kwargs)``, with the book's keywords the function names otherwise passed by place.

    Inputs:
    - function: the learner's function.
    - book_order: the book's parameter names in order, e.g. ("f", "init_x", "lr", "step_num").
    - args, kwargs: the call in the book's terms (args are the first parameters).

    Returns what the function returns. When the signature has every keyword (or takes
    ``**kwargs``), or cannot be read, the call is the plain one; otherwise the keywords follow
    ``args`` by position, in the book's order, as long as they leave no gap.
    """
    kwargs = dict(kwargs or {})
    sig = _signature(function)
    if sig is None or not kwargs:
        return function(*args, **kwargs)
    params = sig.parameters
    if all(n in params for n in kwargs) or any(p.kind == inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return function(*args, **kwargs)
    rest = list(book_order[len(args):])
    placed = rest[:len(kwargs)]
    if set(placed) != set(kwargs):  # a gap (step_num without lr): keep the keywords
        return function(*args, **kwargs)
    return function(*args, *(kwargs[n] for n in placed))


def descent_point(result, shape):
    """The point ``gradient_descent`` arrived at, from either of its return conventions.

    Inputs:
    - result: what the learner's gradient_descent returned (plain data, in the grader).
    - shape: the shape of init_x.

    Returns:
    - ``result[0]`` when result is a pair ``(x, x_history)`` whose first item has init_x's
      shape (the book's ch04/gradient_method.py), else result itself.
    """
    if isinstance(result, (tuple, list)) and len(result) == 2 and np.shape(result[0]) == tuple(shape):
        return result[0]
    return result
