"""Grader code that runs inside a worker process, next to the student's code.

A check calls ``worker.probe(name, **kwargs)``; the worker runs the function
of that name from this module and sends back its result as plain data (or a
handle, for objects). Probes never decide a verdict: they only gather data
that the grader's process compares. Keep them small and free of imports of the
student's modules (handles to those are passed in).
"""
import difflib

import numpy as np

from autograder import callstyle, numgrad


def N_(message):
    """Mark a message for the catalogs (autograder.i18n.N_; this module runs in the worker,
    which gets only the modules it needs, so it does not import autograder.i18n)."""
    return message


# What each probe does, in the words of the message a student reads when student code fails
# during it (the grader's plugin puts these, translated, in place of the probe's own name).
TITLES = {
    "function": N_("preparing a test function"),
    "call_with_global": N_("calling your gradient_descent (with the grader's numerical_gradient)"),
    "set_params_inplace": N_("writing test weights into net.params"),
    "describe_layers": N_("reading net.layers and net.lastLayer"),
    "new_two_layer_net": N_("creating a TwoLayerNet"),
    "backward_unit": N_("calling backward(1) after forward(x, t)"),
    "resolve_names": N_("looking up the names your module defines"),
    "gate_network": N_("creating your TwoLayerNet for the MNIST gate"),
    "gate_chunk": N_("running net.gradient(x, t) on the MNIST gate's mini-batches"),
}

# Functions the gradient checks differentiate. The grader evaluates the same
# definitions in its own process for the expected values.
FUNCTIONS = {
    "function_1": lambda x: 0.01 * x ** 2 + 0.1 * x,  # the book's chapter 4 example
    "function_2": lambda x: np.sum(x ** 2),  # the book's x0² + x1², any shape
    "exp": lambda x: np.exp(x),
    "weighted_cubes": lambda x: np.sum(np.linspace(0.5, 1.5, x.size).reshape(x.shape) * x ** 3),
    # Couples every element (its gradient is softmax(x)): f evaluated on one element alone
    # gives a wrong gradient here, where the separable functions above cannot tell.
    "log_sum_exp": lambda x: np.log(np.sum(np.exp(x))),
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


def call_with_global(function, module, attribute, replacement, args=(), kwargs=None, book_order=None):
    """Call function(*args, **kwargs) with module.<attribute> temporarily replaced by HELPERS[replacement].

    Used to grade gradient_descent with the grader's numerical_gradient, so a
    bug in the student's numerical_gradient is not charged twice. With ``book_order`` (the
    book's parameter names), keywords the learner named otherwise go by place (callstyle).
    """
    missing = object()
    saved = getattr(module, attribute, missing)
    setattr(module, attribute, HELPERS[replacement])
    try:
        if book_order:
            return callstyle.call_in_book_order(function, tuple(book_order), args, kwargs)
        return function(*args, **(kwargs or {}))
    finally:
        if saved is missing:
            delattr(module, attribute)
        else:
            setattr(module, attribute, saved)


_STUB_MARK = "TODO: implement"


def _codes(obj):
    """The code objects of a function or of a class's methods (nested ones included)."""
    if isinstance(obj, type):
        funcs = []
        for value in vars(obj).values():
            value = getattr(value, "__func__", value)  # staticmethod / classmethod
            if callable(value) and hasattr(value, "__code__"):
                funcs.append(value)
    else:
        funcs = [obj] if hasattr(obj, "__code__") else []
    todo = [f.__code__ for f in funcs]
    while todo:
        code = todo.pop()
        yield code
        todo.extend(c for c in code.co_consts if hasattr(c, "co_consts"))


def _is_stub(obj):
    """True when obj still raises the exercise stub's NotImplementedError("TODO: implement ...")."""
    return any(isinstance(c, str) and c.startswith(_STUB_MARK) for code in _codes(obj) for c in code.co_consts)


def resolve_names(module, wanted):
    """Find each exercise under its own name or an accepted alias; bind the alias to the name.

    Inputs:
    - module: the student's module.
    - wanted: list of [name, aliases, any_case] (autograder.exercises.alias_candidates).

    Returns a dict:
    - aliased: {name: alias} for each exercise graded under another name (the module now
      also has ``name``, bound to the alias's object).
    - missing: {name: [similar names the module defines]} for names found nowhere.
    An alias is used only when ``name`` is missing or still the stub, and only if it is not a
    stub itself; with any_case (classes) any class whose name differs only in case counts.
    """
    namespace = dict(vars(module))
    aliased, missing = {}, {}
    # Names of the other exercises (and their variants, numerical_gradient_2d) are never offered as
    # a misspelling: "it defines `numerical_gradient`: is that meant to be `numerical_diff`?" misled.
    exercise_names = {n for entry in wanted for n in (entry[0], *entry[1])}
    for name, aliases, any_case in wanted:
        others = exercise_names - {name, *aliases}
        try:
            _resolve_one(module, namespace, name, aliases, any_case, aliased, missing, others)
        except Exception:  # noqa: BLE001 - odd student objects: grade under the name as it is
            continue
    return {"aliased": aliased, "missing": missing}


def _spelling(name):
    """A class name without case or underscores: a learner's `softmax_with_loss` class is SoftmaxWithLoss."""
    return name.replace("_", "").lower()


def _resolve_one(module, namespace, name, aliases, any_case, aliased, missing, others=frozenset()):
    """resolve_names for one exercise name (records into aliased / missing)."""
    own = namespace.get(name)
    if own is not None and not _is_stub(own):
        return
    candidates = [a for a in aliases if a in namespace]
    if any_case:
        candidates += sorted(k for k, v in namespace.items()
                             if k != name and _spelling(k) == _spelling(name) and isinstance(v, type)
                             and k not in candidates)
    for alias in candidates:
        obj = namespace[alias]
        if callable(obj) and not _is_stub(obj) and (not any_case or isinstance(obj, type)):
            setattr(module, name, obj)
            aliased[name] = alias
            return
    if own is None:
        public = [k for k in namespace if not k.startswith("_")
                  and not any(k == o or k.startswith(o + "_") for o in others)]
        missing[name] = (difflib.get_close_matches(name, public, n=3, cutoff=0.6)
                         or [k for k in public if k.lower() == name.lower()])


def new_two_layer_net(cls, sizes, weight_init_std=None):
    """A new TwoLayerNet(*sizes[, weight_init_std]) built in the learner's style (callstyle)."""
    return callstyle.make_two_layer_net(cls, *sizes, weight_init_std=weight_init_std)


def backward_unit(layer):
    """layer.backward(1), or layer.backward() for a backward without a dout parameter."""
    return callstyle.backward_with_unit(layer)


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
    """Names and class names of net.layers, the class of net.lastLayer, and the attribute names.

    ``last`` is None when the network has no attribute ``lastLayer`` (a misspelling is then
    found among ``attributes`` by the check, which names it).
    """
    layers = net.layers
    missing = object()
    last = getattr(net, "lastLayer", missing)
    return {
        "names": [str(k) for k in layers.keys()],
        "types": [type(v).__name__ for v in layers.values()],
        "last": None if last is missing else type(last).__name__,
        "attributes": sorted(str(k) for k in vars(net)),
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
    net = callstyle.make_two_layer_net(module.TwoLayerNet, 784, hidden_size, 10)
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
