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

# What each probe does, in the words of the message a student reads when student code fails
# during it (the grader's plugin puts these in place of the probe's own name).
TITLES = {
    "function": "preparing a test function",
    "call_with_global": "calling your gradient_descent (with the grader's numerical_gradient)",
    "set_params_inplace": "writing test weights into net.params",
    "describe_layers": "reading net.layers and net.lastLayer",
    "new_two_layer_net": "creating a TwoLayerNet",
    "backward_unit": "calling backward(1) after forward(x, t)",
    "resolve_names": "looking up the names your module defines",
    "train_two_layer_net": "training your TwoLayerNet on MNIST",
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
    for name, aliases, any_case in wanted:
        try:
            _resolve_one(module, namespace, name, aliases, any_case, aliased, missing)
        except Exception:  # noqa: BLE001 - odd student objects: grade under the name as it is
            continue
    return {"aliased": aliased, "missing": missing}


def _resolve_one(module, namespace, name, aliases, any_case, aliased, missing):
    """resolve_names for one exercise name (records into aliased / missing)."""
    own = namespace.get(name)
    if own is not None and not _is_stub(own):
        return
    candidates = [a for a in aliases if a in namespace]
    if any_case:
        candidates += sorted(k for k, v in namespace.items()
                             if k != name and k.lower() == name.lower() and isinstance(v, type)
                             and k not in candidates)
    for alias in candidates:
        obj = namespace[alias]
        if callable(obj) and not _is_stub(obj) and (not any_case or isinstance(obj, type)):
            setattr(module, name, obj)
            aliased[name] = alias
            return
    if own is None:
        public = [k for k in namespace if not k.startswith("_")]
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


def train_two_layer_net(module, paths, iterations, batch_size, hidden_size, lr, momentum, optimizer, seed):
    """The MNIST gate's training loop, on the student's own TwoLayerNet.

    Inputs:
    - module: the student's two_layer_net module.
    - paths: {'x_train', 't_train'}: .npy files of uint8 images (N, 28, 28) and labels (N,).
    - iterations, batch_size, hidden_size, lr, momentum: training settings.
    - optimizer: 'momentum' or 'sgd'; the update is the grader's own, in place.
    - seed: seeds both the batch order and np.random (the network's initial weights).

    Returns a dict:
    - losses: (iterations,) loss of each mini-batch before its update.
    - snapshots: list of {'iteration', 'W1', 'b1', 'W2', 'b2'} before training, at each
      epoch's end and at the end.
    """
    x_train = np.load(paths["x_train"], mmap_mode="r")
    t_train = np.load(paths["t_train"], mmap_mode="r")
    n = x_train.shape[0]
    np.random.seed(seed)
    batches = np.random.default_rng(seed)
    net = callstyle.make_two_layer_net(module.TwoLayerNet, 784, hidden_size, 10)
    params = net.params
    velocity = {key: np.zeros_like(value) for key, value in params.items()}
    eye = np.eye(10)
    iter_per_epoch = max(n // batch_size, 1)
    losses = np.empty(iterations)
    # Iteration 0 lets the grader see that training starts from untrained weights.
    snapshots = [{"iteration": 0, **{k: np.array(params[k]) for k in ("W1", "b1", "W2", "b2")}}]
    for i in range(iterations):
        idx = batches.choice(n, batch_size)
        x_batch = x_train[idx].reshape(batch_size, -1).astype(np.float32) / np.float32(255.0)
        t_batch = eye[t_train[idx]]  # one-hot, as in the book's training script
        grads = net.gradient(x_batch, t_batch)
        losses[i] = float(net.loss(x_batch, t_batch))
        for key in ("W1", "b1", "W2", "b2"):
            if optimizer == "momentum":
                velocity[key] *= momentum
                velocity[key] -= lr * grads[key]
                params[key] += velocity[key]
            else:
                params[key] -= lr * grads[key]
        if (i + 1) % iter_per_epoch == 0 or i + 1 == iterations:
            snapshots.append({"iteration": i + 1, **{k: np.array(params[k]) for k in ("W1", "b1", "W2", "b2")}})
    return {"losses": losses, "snapshots": snapshots}

