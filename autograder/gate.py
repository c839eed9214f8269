"""The MNIST gate's training loop, run by the grader: the student's network only computes gradients.

How the parts fit: the check (``checks/test_mnist.py``) calls :func:`train`. The grader
holds the authoritative parameters and velocity, chooses every mini-batch and applies
the optimizer's update itself (``probes.gate_update``, the grader's in-place Momentum
or SGD). The student's ``TwoLayerNet`` lives in the worker and is asked only for
``net.gradient(x_batch, t_batch)``; ``probes.gate_chunk`` writes the parameters into
``net.params`` in place before every call (the book's Affine layers hold those very
arrays).

Every gradient is audited against the reference backprop gradient (``solutions``'
TwoLayerNet), computed here for the same parameters and batch. One mismatch beyond
:data:`RTOL` fails the gate, so neither substituting weights inside the worker nor
returning gradients of anything but the grader's parameters can move the parameters
the grader tracks, and the accuracy (measured on those parameters by the check) is
earned by the student's own gradient.

Speed: one round trip per :data:`CHUNK` iterations, and no waiting. The grader sends its
initial parameters once, then only each chunk's images and labels; the worker keeps a
replica of the grader's parameters, advanced between gradients by the grader's own update
code (same code, same inputs: bit-identical), and returns one gradient per iteration.
Nothing it returns or keeps is trusted: the grader advances its own parameters with the
returned gradients and audits each one at *its* parameters, so a replica that strayed
(tampering) fails the audit at once. A second thread asks for the next chunk while the
grader audits this one, so the audit overlaps the student's computation.
"""
from __future__ import annotations

import contextvars
import queue
import threading
import time
from dataclasses import dataclass, field

import numpy as np

from autograder import probes
from autograder.compare import fail
from autograder.i18n import _
from autograder.sandbox.errors import StudentCodeError, WorkerTimeout

__all__ = ["CHUNK", "RTOL", "ATOL", "TrainingRun", "train", "relative_difference"]

KEYS = probes.GATE_KEYS
CHUNK = 50  # iterations per round trip at most (with the default sizes the reply holds about 16 MB)
CHUNK_BYTES = 16 * 2**20  # larger networks or batches (rubric) get fewer iterations per round trip

# A gradient passes the audit when ||g - g_ref|| <= RTOL * ||g_ref|| + ATOL (per parameter,
# Frobenius norms). g_ref is computed in float32 (AUDIT_DTYPE). Measured over the 1,200
# iterations (tests/test_gate.py): correct float64 code (the book's, other formula orders)
# differs from it by < 2.3e-6, a net whose params are float32 (so its whole forward and
# backward) by < 1e-6; every wrong gradient of the buggy corpus by > 1e-2. RTOL leaves
# correct code a margin of 400.
RTOL = 1e-3
ATOL = 1e-8
AUDIT_DTYPE = np.float32  # the reference gradient's precision (see _Auditor)


@dataclass
class TrainingRun:
    """What the grader tracked while training.

    Attributes:
    - losses: (iterations,) reference loss of each mini-batch at the grader's parameters,
      before its update.
    - snapshots: list of {'iteration', 'W1', 'b1', 'W2', 'b2'}: the grader's parameters
      before training, at each epoch's end and at the end.
    - worst: {'W1', 'b1', 'W2', 'b2'}: the largest relative difference between the student's
      gradient and the reference gradient over all iterations.
    """

    losses: np.ndarray
    snapshots: list = field(default_factory=list)
    worst: dict = field(default_factory=lambda: dict.fromkeys(KEYS, 0.0))


def relative_difference(got, expected):
    """||got - expected|| / ||expected|| (Frobenius; inf when expected is zero and got is not)."""
    diff = float(np.linalg.norm(np.asarray(got, dtype=np.float64) - expected))
    scale = float(np.linalg.norm(expected))
    if scale == 0.0:
        return 0.0 if diff == 0.0 else float("inf")
    return diff / scale


def train(worker, module, x_train, t_train, gate, reference, *, concurrent=True, timeout=None):
    """Train the student's TwoLayerNet on MNIST with the grader's parameters, schedule and update.

    Inputs:
    - worker: the worker (``Worker`` or the notebook's in-process one) holding ``module``.
    - module: a Remote of the student's two_layer_net module.
    - x_train: uint8 images of shape (N, 784) (a read-only memmap is fine).
    - t_train: uint8 labels of shape (N,).
    - gate: rubric.MnistGate (iterations, batch_size, hidden_size, lr, momentum, optimizer, seed).
    - reference: the reference two_layer_net module (its TwoLayerNet computes the audit).
    - concurrent: let the worker compute the next chunk while this thread audits one (a
      second thread talks to the worker); False when the student's code runs in this very
      process.
    - timeout: seconds for the whole training (None: the worker's own per-call timeout).

    Returns: a TrainingRun.
    Raises AssertionError with a student-facing message when the network's parameters or
    gradients are malformed or a gradient fails the audit; StudentCodeError subclasses
    when the student's code raises, hangs or crashes.
    """
    deadline = None if timeout is None else time.monotonic() + timeout
    n = len(x_train)
    try:
        start = worker.probe("gate_network", timeout=_remaining(deadline), module=module,
                             hidden_size=gate.hidden_size, seed=gate.seed)
    except StudentCodeError as exc:
        exc.context = _("building TwoLayerNet(784, {hidden}, 10) for the MNIST gate").format(hidden=gate.hidden_size)
        raise
    shapes = {"W1": (784, gate.hidden_size), "b1": (gate.hidden_size,),
              "W2": (gate.hidden_size, 10), "b2": (10,)}
    session, params = _initial_params(start, shapes)
    velocity = {key: np.zeros_like(value) for key, value in params.items()}
    batches = np.random.default_rng(gate.seed)
    schedule = np.stack([batches.choice(n, gate.batch_size) for _ in range(gate.iterations)])
    iter_per_epoch = max(n // gate.batch_size, 1)
    settings = {"optimizer": gate.optimizer, "lr": gate.lr, "momentum": gate.momentum}
    auditor = _Auditor(reference, gate, params)
    run = TrainingRun(np.empty(gate.iterations), [_snapshot(0, params)])

    # Replies and requests stay far below the pipe's message cap, whatever the rubric's sizes.
    per_iteration = max(8 * sum(np.prod(shape) for shape in shapes.values()), 784 * gate.batch_size)
    chunk = int(min(CHUNK, max(1, CHUNK_BYTES // per_iteration)))

    def requests():
        for begin in range(0, gate.iterations, chunk):
            idx = schedule[begin:begin + chunk]
            msg = {"session": session, **settings,
                   "x": np.asarray(x_train[idx.ravel()]).reshape(len(idx), gate.batch_size, -1),
                   "t": np.asarray(t_train[idx.ravel()]).reshape(len(idx), gate.batch_size)}
            if begin == 0:  # the worker's replica starts from the grader's values (copies: sent from a thread)
                msg.update(params={k: v.copy() for k, v in params.items()},
                           velocity={k: v.copy() for k, v in velocity.items()})
            yield msg

    with _Pipeline(worker, requests(), deadline, concurrent) as replies:
        i = 0
        for msg, reply in replies:
            expected = len(msg["x"])
            if type(reply) is not list or not reply or len(reply) > expected:
                fail(_("the gate's training step returned a malformed reply: your code tampered with the "
                       "gate's training loop."))
            for grads, x, t in zip(reply, msg["x"], msg["t"]):
                grads = _checked(grads, i, shapes)
                run.losses[i] = auditor.audit(i, params, grads, x, t, run.worst)
                probes.gate_update(params, velocity, grads, **settings)
                i += 1
                if i % iter_per_epoch == 0 or i == gate.iterations:
                    run.snapshots.append(_snapshot(i, params))
            if len(reply) != expected:
                fail(_("the gate's training step stopped after iteration {i} without an error: your code "
                       "tampered with the gate's training loop.").format(i=i))
    return run


def _remaining(deadline):
    if deadline is None:
        return None
    return max(deadline - time.monotonic(), 0.001)


def _snapshot(iteration, params):
    return {"iteration": iteration, **{key: params[key].copy() for key in KEYS}}


def _initial_params(start, shapes):
    """The network handle and its initial parameters as float64 copies (validated)."""
    if type(start) is not dict or "session" not in start or type(start.get("params")) is not dict:
        fail(_("the gate could not build your TwoLayerNet: what came back was not a network's parameters."))
    got = start["params"]
    params = {}
    for key, shape in shapes.items():
        value = got.get(key)
        if type(value) is not np.ndarray or value.dtype.kind not in "fiu":
            if value is None:
                fail(_("{net}.params['{key}'] should be a numpy array of numbers of shape {shape}; got nothing.")
                     .format(net=f"TwoLayerNet(784, {shapes['b1'][0]}, 10)", key=key, shape=shape))
            fail(_("{net}.params['{key}'] should be a numpy array of numbers of shape {shape}; got {type}.").format(
                net=f"TwoLayerNet(784, {shapes['b1'][0]}, 10)", key=key, shape=shape, type=type(value).__name__))
        if value.shape != shape:
            fail(_("{net}.params['{key}'] has shape {got}; expected {shape}.").format(
                net=f"TwoLayerNet(784, {shapes['b1'][0]}, 10)", key=key, got=value.shape, shape=shape))
        if not np.all(np.isfinite(value)):
            fail(_("{net}.params['{key}'] contains NaN or inf.").format(
                net=f"TwoLayerNet(784, {shapes['b1'][0]}, 10)", key=key))
        params[key] = value.astype(np.float64)
    return start["session"], params


def _checked(grads, i, shapes):
    """The gradients of iteration i as returned, if they are arrays of the right shapes (else fail).

    NaN and inf are left to the audit, which finds them in its difference for free.
    """
    where = _("at iteration {i}").format(i=i + 1)
    if type(grads) is not dict:
        plain = (list, tuple, int, float, str, bool, np.ndarray, type(None))
        what = type(grads).__name__ if type(grads) in plain else _("an object that is not a dict")
        fail(_("net.gradient(x, t) returned {what} {where}; expected a dict with keys {keys}.").format(
            what=what, where=where, keys=", ".join(KEYS)))
    missing = [key for key in KEYS if key not in grads]
    if missing:
        keys = sorted(repr(key[:20]) for key in grads)[:8]
        fail(_("the dict returned by net.gradient(x, t) has no key {missing} {where} (its keys: {keys}); "
               "it must be keyed like params.").format(missing=", ".join(map(repr, missing)), where=where,
                                                        keys=", ".join(keys)))
    for key, shape in shapes.items():
        value = grads[key]
        if type(value) is not np.ndarray or value.dtype.kind not in "fiu":
            fail(_("gradient {key} returned by net.gradient(x, t) {where} is not an array of numbers "
                   "(got {type}).").format(key=key, where=where, type=type(value).__name__))
        if value.shape != shape:
            msg = _("grads['{key}'] returned by net.gradient(x, t) has shape {got}, expected {expected} "
                    "(the shape of params['{key}']), {where}.").format(key=key, got=value.shape, expected=shape,
                                                                      where=where)
            hint = None
            if value.shape == shape[::-1] and len(shape) == 2:
                hint = _("It is transposed: in Affine.backward, dW = np.dot(self.x.T, dout) has W's shape.")
            fail(msg + ("\n" + _("Hint: {hint}").format(hint=hint) if hint else ""), hint=hint)
    return {key: grads[key] for key in KEYS}


def _input_affine(affine):
    """The reference Affine layer as the network's first layer: backward stores dW and db only.

    Same products as ``affine.backward`` (so the same dW and db bit for bit) without
    dx = dout . W^T, the gradient with respect to the images, which no layer consumes.
    """

    class InputAffine(affine):
        def backward(self, dout):
            self.dW = np.dot(self.x.T, dout)
            self.db = np.sum(dout, axis=0)
            return None

    return InputAffine


class _Auditor:
    """Computes the reference gradient for the grader's parameters and compares."""

    def __init__(self, reference, gate, initial):
        # The reference net draws its initial weights from np.random: keep the global state.
        state = np.random.get_state()
        net = reference.TwoLayerNet(784, gate.hidden_size, 10)
        np.random.set_state(state)
        # The audit computes in float32 (AUDIT_DTYPE): the reference layers on float32 copies of
        # the parameters, rebuilt the way the reference builds them (the Affine layers hold the
        # arrays in params). Three times cheaper than float64 with float32 images, and its
        # rounding (< 3e-6 relative, tests/test_gate.py) is far inside RTOL. The first layer
        # skips the gradient with respect to the images, which nothing uses (a third of the
        # matrix products).
        net.params = {key: value.astype(AUDIT_DTYPE) for key, value in net.params.items()}
        net.layers["Affine1"] = _input_affine(reference.Affine)(net.params["W1"], net.params["b1"])
        net.layers["Affine2"] = reference.Affine(net.params["W2"], net.params["b2"])
        self.net = net
        self.eye = np.eye(10, dtype=AUDIT_DTYPE)
        self.batch_size = gate.batch_size
        self.initial = {key: value.copy() for key, value in initial.items()}

    def gradient(self, params, x, t):
        for key in KEYS:
            self.net.params[key][...] = params[key]  # in place: the layers hold these arrays
        x_batch = np.divide(x, AUDIT_DTYPE(255.0), dtype=AUDIT_DTYPE)  # as probes.gate_chunk
        grads = self.net.gradient(x_batch, self.eye[t])
        return grads, float(self.net.lastLayer.loss)

    def audit(self, i, params, grads, x, t, worst):
        """Fail unless grads matches the reference gradient at params; return the batch's loss.

        worst[key] is raised to this iteration's relative difference where it is larger.
        """
        expected, loss = self.gradient(params, x, t)
        for key in KEYS:
            scale = float(np.linalg.norm(expected[key]))
            diff = float(np.linalg.norm(grads[key] - expected[key]))
            rel = diff / scale if scale else (0.0 if diff == 0.0 else float("inf"))
            if not np.isfinite(diff) and not np.all(np.isfinite(grads[key])):
                fail(_("gradient {key} returned by net.gradient(x, t) at iteration {i} contains NaN or inf.").format(
                    key=key, i=i + 1))
            if not diff <= RTOL * scale + ATOL:
                fail(self.message(i, key, grads, expected, params, x, t, rel))
            worst[key] = max(worst[key], rel)
        return loss

    def message(self, i, key, grads, expected, params, x, t, rel):
        text = _("gradient of {key} at iteration {i} differs from the backprop gradient of the reference "
                 "TwoLayerNet for the same parameters and batch (relative difference {rel}, tolerance "
                 "{tol}). The gate writes its own parameters into net.params in place before every call and "
                 "trusts only gradients that match; {verdict}")
        fill = dict(key=key, i=i + 1, rel=f"{rel:.2g}", tol=f"{RTOL:g}")
        got = grads[key].astype(np.float64)
        ratio = float(np.linalg.norm(got)) / max(float(np.linalg.norm(expected[key])), 1e-300)
        if abs(ratio / self.batch_size - 1) < 0.01:
            return text.format(**fill, verdict=_("yours is {n} times too large: divide by the batch size "
                                                 "(in SoftmaxWithLoss.backward).").format(n=self.batch_size))
        if abs(ratio * self.batch_size - 1) < 0.01:
            return text.format(**fill, verdict=_("yours is {n} times too small: is it divided by the batch size "
                                                 "twice?").format(n=self.batch_size))
        if relative_difference(-got, expected[key]) < 1e-3:
            return text.format(**fill, verdict=_("yours has the opposite sign."))
        if i > 0:
            at_start, _loss = self.gradient(self.initial, x, t)
            if relative_difference(got, at_start[key]) < 1e-3:
                return text.format(**fill, verdict=_("yours is the gradient at the initial weights: do the layers "
                                                     "use the very arrays in net.params (not copies)?"))
        return text.format(**fill, verdict=_("check TwoLayerNet.gradient and the backward passes it uses."))


class _Pipeline:
    """The worker's replies to a sequence of requests, in order: ``for msg, reply in pipeline``.

    Concurrent, a second thread sends request k+1 as soon as reply k has arrived, so the
    worker computes while the caller audits; it holds at most two replies the caller has not
    finished with (about 32 MB). Inline, each request is sent when the caller asks for its
    reply. Leaving the ``with`` block waits for a call in flight (its result is dropped),
    so the worker is idle afterwards.
    """

    def __init__(self, worker, requests, deadline, concurrent):
        self.worker = worker
        self.requests = requests
        self.deadline = deadline
        self.concurrent = concurrent
        self.replies = queue.SimpleQueue()
        self.permits = threading.Semaphore(2)
        self.stopping = False
        self.thread = None

    def __enter__(self):
        if self.concurrent:
            # In the caller's context: its language (autograder.i18n.using_language) words the messages.
            self.thread = threading.Thread(target=contextvars.copy_context().run, args=(self._serve,),
                                           name="dlgrade-gate", daemon=True)
            self.thread.start()
        return self

    def __exit__(self, *exc):
        if self.thread is not None:
            self.stopping = True
            self.permits.release()
            self.thread.join()

    def _call(self, msg):
        try:
            return self.worker.probe("gate_chunk", timeout=_remaining(self.deadline), **msg)
        except StudentCodeError as exc:
            exc.context = _("running net.gradient(x, t) on the MNIST gate's mini-batches")
            if isinstance(exc, WorkerTimeout):
                exc.context = _("running net.gradient(x, t) on the MNIST gate's mini-batches (the gate calls it "
                                "once per iteration: it must use backprop, numerical_gradient is far too slow)")
            raise

    def _serve(self):
        try:
            for msg in self.requests:
                self.permits.acquire()
                if self.stopping:
                    return
                self.replies.put((msg, True, self._call(msg)))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
            self.replies.put((None, False, exc))
            return
        self.replies.put(None)

    def __iter__(self):
        if not self.concurrent:
            for msg in self.requests:
                yield msg, self._call(msg)
            return
        while True:
            item = self.replies.get()
            if item is None:
                return
            msg, ok, value = item
            if not ok:
                raise value
            yield msg, value
            self.permits.release()  # this reply is done with: the thread may ask for one more
