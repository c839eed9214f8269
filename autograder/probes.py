"""Grader code that runs inside a worker process, next to the student's code.

A check calls ``worker.probe(name, **kwargs)``; the worker runs the function
of that name from this module and sends back its result as plain data (or a
handle, for objects). Probes never decide a verdict: they only gather data
that the grader's process compares. Keep them small and free of imports of the
student's modules (handles to those are passed in).
"""
import numpy as np

from autograder import numgrad

# Functions the gradient checks differentiate. The grader evaluates the same
# definitions in its own process for the expected values.
FUNCTIONS = {
    "function_1": lambda x: 0.01 * x ** 2 + 0.1 * x,  # the book's chapter 4 example
    "function_2": lambda x: np.sum(x ** 2),  # the book's x0² + x1², any shape
    "exp": lambda x: np.exp(x),
    "weighted_cubes": lambda x: np.sum(np.linspace(0.5, 1.5, x.size).reshape(x.shape) * x ** 3),
}


def forward_fresh(cls, init_args, args):
    """cls(*init_args).forward(*args): a layer built anew for each evaluation."""
    return cls(*init_args).forward(*args)


HELPERS = {
    "forward_fresh": forward_fresh,
    "numerical_gradient": numgrad.numerical_gradient,
}


def function(key):
    """Return one of FUNCTIONS or HELPERS (the caller gets a handle to it)."""
    try:
        return FUNCTIONS.get(key) or HELPERS[key]
    except KeyError:
        raise ValueError(f"unknown probe function {key!r}") from None


def call_with_global(function, module, attribute, replacement, args=(), kwargs=None):
    """Call function(*args, **kwargs) with module.<attribute> temporarily replaced by HELPERS[replacement].

    Used to grade gradient_descent with the grader's numerical_gradient, so a
    bug in the student's numerical_gradient is not charged twice.
    """
    missing = object()
    saved = getattr(module, attribute, missing)
    setattr(module, attribute, HELPERS[replacement])
    try:
        return function(*args, **(kwargs or {}))
    finally:
        if saved is missing:
            delattr(module, attribute)
        else:
            setattr(module, attribute, saved)


def set_params_inplace(net, values):
    """Write values into net.params[key] in place (the arrays keep their identity)."""
    params = net.params
    if not isinstance(params, dict):
        raise TypeError(f"net.params must be a dict, got {type(params).__name__}")
    for key, value in values.items():
        if key not in params:
            raise KeyError(f"net.params has no key {key!r} (keys: {sorted(params)})")
        target = params[key]
        if not isinstance(target, np.ndarray) or target.shape != np.shape(value):
            raise ValueError(f"net.params[{key!r}] should be an array of shape {np.shape(value)}, "
                             f"got {getattr(target, 'shape', type(target).__name__)}")
        target[...] = value


def describe_layers(net):
    """Names and class names of net.layers, and the class of net.lastLayer."""
    layers = net.layers
    return {
        "names": [str(k) for k in layers.keys()],
        "types": [type(v).__name__ for v in layers.values()],
        "last": type(getattr(net, "lastLayer", None)).__name__,
    }


GATE_KEYS = ("W1", "b1", "W2", "b2")


class GateSession:
    """The worker's side of one MNIST gate: the student's network and a replica of the grader's parameters."""

    def __init__(self, net):
        self.net = net
        self.params = None
        self.velocity = None


def gate_network(module, hidden_size, seed):
    """Build the student's TwoLayerNet(784, hidden_size, 10) for the MNIST gate.

    np.random is seeded first, so the initial weights are reproducible.

    Returns {'session': a GateSession (a handle for the grader), 'params': copies of the
    network's initial 'W1', 'b1', 'W2', 'b2'}. The grader validates these and from then on
    holds the authoritative parameters itself.
    """
    np.random.seed(seed)
    net = module.TwoLayerNet(input_size=784, hidden_size=hidden_size, output_size=10)
    params = net.params
    return {"session": GateSession(net),
            "params": {key: np.array(params[key]) for key in GATE_KEYS if key in params}}


def gate_update(params, velocity, grads, optimizer, lr, momentum):
    """The gate's optimizer step, in place on params and velocity: the grader's own Momentum or SGD.

    The grader runs this on its authoritative parameters; gate_chunk runs the very same code
    on the worker's replica, so both hold bit-identical parameters when the gradients are the same.
    """
    for key in GATE_KEYS:
        if optimizer == "momentum":
            velocity[key] *= momentum
            velocity[key] -= lr * grads[key]
            params[key] += velocity[key]
        else:
            params[key] -= lr * grads[key]


def gate_chunk(session, x, t, optimizer, lr, momentum, params=None, velocity=None):
    """Consecutive iterations of the MNIST gate: net.gradient on the grader's parameters and batches.

    Inputs:
    - session: the GateSession from gate_network.
    - x: uint8 images, shape (K, N, 784): K batches, normalised here as load_mnist does.
    - t: labels, shape (K, N); one-hot here, as in the book's training script.
    - optimizer, lr, momentum: the grader's update (gate_update).
    - params, velocity: {'W1', 'b1', 'W2', 'b2'} from the grader (first chunk): the replica
      starts from them; later chunks continue from where the replica is.

    Before every gradient the replica is written into net.params in place (the book's Affine
    layers hold those very arrays); after it, the replica advances by the grader's update with
    that gradient, as the grader's own parameters do.

    Returns a list with, for each iteration, what net.gradient(x_batch, t_batch) returned
    (copies of the four parameter keys of a dict). It stops early after a result that cannot
    be used (not a dict of finite arrays shaped like params): the grader reports it.
    The grader trusts none of this: it replays the update and audits every gradient.
    """
    if params is not None:
        session.params, session.velocity = params, velocity
    params, velocity, net = session.params, session.velocity, session.net
    eye = np.eye(10)
    results = []
    for x_batch, labels in zip(x, t):
        set_params_inplace(net, params)
        grads = net.gradient(np.divide(x_batch, np.float32(255.0), dtype=np.float32), eye[labels])
        if not isinstance(grads, dict) or any(key not in grads for key in GATE_KEYS):
            results.append(grads)
            break
        grads = {key: np.array(grads[key]) for key in GATE_KEYS}  # copies: layers may reuse their arrays
        results.append(grads)
        usable = all(g.shape == params[k].shape and g.dtype.kind in "fiu" and np.all(np.isfinite(g))
                     for k, g in grads.items())
        if not usable:
            break
        gate_update(params, velocity, grads, optimizer, lr, momentum)
    return results
