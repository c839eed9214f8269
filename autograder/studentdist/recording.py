"""The reference's answers, recorded once from the reference code and replayed without it.

The checks compute expected values by calling the reference (``ref.softmax(x)``,
``ref.Affine(W, b).backward(dout)``, ``reference.dW``; ``autograder/checks/conftest.py``).
A student distribution has no reference code, only what these calls returned on the checks'
inputs. :class:`Recorder` wraps the real reference module while the builder grades the
reference with a fixed seed and notes every event of a check: a call of a function or a
class, a method call on an object the reference made, an attribute read, together with
the arrays the call changed in place. :class:`Replayer` plays the same part in the student
distribution: each event is looked up by the check's id, a hash of the event (what was
called, on which object, with which inputs) and how many times that same event already
happened in the check, so the expected values are bit for bit those of the reference.

An event not in the recording raises :class:`RecordingMiss`: a self-check never passes on
a value it does not have.
"""
from __future__ import annotations

import base64
import hashlib
import json
from collections import defaultdict

import numpy as np

from autograder.i18n import _

__all__ = ["FORMAT", "RecordingMiss", "Recorder", "Replayer", "decode", "encode", "event_key"]

FORMAT = "dlgrade-recording-1"


class RecordingMiss(RuntimeError):
    """A check asked the reference for something the recording does not hold.

    Student-facing (``describe``): the self-check cannot judge the check; the check fails, and
    the course's grader, which has the reference, will judge it.
    """

    def __init__(self, what, check_id):
        super().__init__(f"{check_id}: no recorded reference answer for {what}")
        self.what, self.check_id = what, check_id

    def describe(self):
        return _("The self-check cannot judge this check: your code led it to need the reference's answer for {what}, "
                 "which it did not record (it only has the answers on the inputs that correct code produces). This "
                 "check fails here; your course's grader, which has the reference, will judge it. If your code does "
                 "nothing unusual here, tell your instructor.").format(what=self.what)


# --------------------------------------------------------------------------- values


def encode(value):
    """Plain JSON data for a value the reference returns (exact: arrays by their bytes)."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return {"int": str(value)}
    if isinstance(value, float):
        return {"float": value.hex()}
    if isinstance(value, np.ndarray):
        if value.dtype.hasobject:
            raise TypeError("cannot record an object array")
        data = np.ascontiguousarray(value)
        return {"array": data.dtype.str, "shape": list(data.shape), "data": base64.b64encode(data.tobytes()).decode()}
    if isinstance(value, np.generic):
        return {"scalar": value.dtype.str, "data": base64.b64encode(value.tobytes()).decode()}
    if isinstance(value, (tuple, list)):
        return {"tuple" if isinstance(value, tuple) else "list": [encode(v) for v in value]}
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise TypeError("cannot record a dict with keys that are not str")
        return {"dict": [[k, encode(v)] for k, v in value.items()]}  # insertion order kept
    raise TypeError(f"cannot record a value of type {type(value).__name__}")


def decode(data):
    """The value ``encode`` made ``data`` from (a fresh copy each time)."""
    if data is None or isinstance(data, (bool, str)):
        return data
    (kind,) = (k for k in data if k not in ("shape", "data"))
    if kind == "int":
        return int(data["int"])
    if kind == "float":
        return float.fromhex(data["float"])
    if kind == "array":
        raw = base64.b64decode(data["data"])
        return np.frombuffer(raw, dtype=np.dtype(data["array"])).reshape(data["shape"]).copy()
    if kind == "scalar":
        return np.frombuffer(base64.b64decode(data["data"]), dtype=np.dtype(data["scalar"]))[0]
    if kind == "tuple":
        return tuple(decode(v) for v in data["tuple"])
    if kind == "list":
        return [decode(v) for v in data["list"]]
    if kind == "dict":
        return {k: decode(v) for k, v in data["dict"]}
    raise ValueError(f"unknown recorded value {kind!r}")


def _feed(digest, value):
    """Hash a call's input: its type, shape and exact bytes (a function by its name)."""
    if isinstance(value, _Object):
        digest.update(b"O" + value._key.encode())
    elif value is None or isinstance(value, (bool, int, float, str)):
        digest.update(b"P" + f"{type(value).__name__}:{value!r}".encode())
    elif isinstance(value, np.ndarray):
        data = np.ascontiguousarray(value)
        digest.update(f"A{data.dtype.str}{data.shape}".encode() + data.tobytes())
    elif isinstance(value, np.generic):
        digest.update(f"S{value.dtype.str}".encode() + value.tobytes())
    elif isinstance(value, (tuple, list)):
        digest.update(f"L{type(value).__name__}{len(value)}".encode())
        for v in value:
            _feed(digest, v)
    elif isinstance(value, dict):
        digest.update(f"D{len(value)}".encode())
        for k, v in value.items():
            _feed(digest, k)
            _feed(digest, v)
    elif callable(value):
        digest.update(f"F{getattr(value, '__module__', '')}.{getattr(value, '__qualname__', '')}".encode())
    else:
        raise TypeError(f"cannot key a reference call on a value of type {type(value).__name__}")


def event_key(target, op, name, args=(), kwargs=None):
    """Hash of one event: on what (module or object key), which operation, which inputs."""
    digest = hashlib.sha256(f"{target}\0{op}\0{name}\0".encode())
    _feed(digest, list(args))
    _feed(digest, dict(sorted((kwargs or {}).items())))
    return digest.hexdigest()[:32]


def _mutable_state(args, kwargs):
    """The arguments a call may change in place: arrays and containers holding them."""
    return [v for v in (*args, *(kwargs or {}).values()) if isinstance(v, (np.ndarray, dict, list))]


def _restore(target, recorded):
    """Put recorded post-call contents back into an argument, in place where the shapes allow."""
    if isinstance(target, np.ndarray):
        target[...] = recorded
    elif isinstance(target, dict):
        for key in [k for k in target if k not in recorded]:
            del target[key]
        for key, value in recorded.items():
            old = target.get(key)
            if isinstance(old, np.ndarray) and isinstance(value, np.ndarray) and old.shape == value.shape \
                    and old.dtype == value.dtype and old.flags.writeable:
                old[...] = value
            else:
                target[key] = value
    elif isinstance(target, list):
        target[:] = recorded


# --------------------------------------------------------------------------- events


class _Events:
    """The events of one check; how often each key already occurred."""

    def __init__(self, check_id):
        self.check_id = check_id
        self.seen = defaultdict(int)

    def key(self, target, op, name, args=(), kwargs=None):
        base = event_key(target, op, name, args, kwargs)
        n = self.seen[base]
        self.seen[base] += 1
        return f"{base}.{n}"


class _Object:
    """Stands for an object the reference made (a layer, a network, an optimizer)."""

    def __init__(self, side, key, real=None):
        object.__setattr__(self, "_side", side)
        object.__setattr__(self, "_key", key)
        object.__setattr__(self, "_real", real)

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return self._side.attribute(self, name)

    def __setattr__(self, name, value):
        raise TypeError("the checks do not assign to reference objects")


class _Callable:
    """A function or class of the reference, or a method of a reference object."""

    def __init__(self, side, target, name, real=None, owner=None):
        self._side, self._target, self._name, self._real, self._owner = side, target, name, real, owner

    def __call__(self, *args, **kwargs):
        return self._side.call(self, args, kwargs)


class _Module:
    """Stands for a reference module (the ``ref`` fixture) in one check."""

    def __init__(self, side, module_name, real=None):
        self._side, self._module_name, self._real = side, module_name, real

    def fresh_copy(self):
        """The same module for a rerun of the check: its events are counted from the start again."""
        side = self._side
        return _Module(type(side)(*side.fresh_args()), self._module_name, self._real)

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        if self._real is not None:
            real = getattr(self._real, name)
            if not callable(real):
                self._side.unsupported(f"{self._module_name}.{name}")
        return _Callable(self._side, self._module_name, name, None if self._real is None else real)


class Recorder:
    """Records the reference's answers, check by check (the builder's grading run)."""

    def __init__(self, methods):
        self.methods = methods  # {class name: its method names}: the replayer needs no code to tell them
        self.entries = {}  # check id -> {event key: [encoded value, [encoded post-call args]]}
        self.dependencies = None  # a depgen.DependencyRecording: what the workers' reference modules answer

    def module(self, check_id, module_name, real_module):
        return _Module(_RecordingSide(self, check_id), module_name, real_module)

    def to_json(self, seed_id):
        """The recording as text: the same bytes for the same answers."""
        doc = {"format": FORMAT, "seed": seed_id, "methods": self.methods,
               "checks": {c: dict(sorted(e.items())) for c, e in sorted(self.entries.items()) if e}}
        return json.dumps(doc, sort_keys=True, separators=(",", ":")) + "\n"


class _RecordingSide:
    def __init__(self, recorder, check_id):
        self.recorder, self.events = recorder, _Events(check_id)
        self.store = recorder.entries.setdefault(check_id, {})

    def fresh_args(self):
        return self.recorder, self.events.check_id

    def unsupported(self, what):
        raise TypeError(f"the recorder supports calls into the reference, not reading {what}")

    def _wrap(self, key, value):
        """Reference objects stay live (wrapped); other values go back as they are."""
        if type(value).__module__.split(".")[0] == "dlscratch_reference":
            return _Object(self, key, value), {"object": key}
        return value, encode(value)

    def call(self, fn, args, kwargs):
        key = self.events.key(fn._target, "call", fn._name, args, kwargs)
        real_args = [a._real if isinstance(a, _Object) else a for a in args]
        value = fn._real(*real_args, **kwargs)
        wrapped, data = self._wrap(key, value)
        self.store[key] = [data, [encode(a) for a in _mutable_state(args, kwargs)]]
        return wrapped

    def attribute(self, obj, name):
        value = getattr(obj._real, name)
        if callable(value) and not isinstance(value, (np.ndarray, dict)):
            return _Callable(self, obj._key, name, value, obj)
        key = self.events.key(obj._key, "attr", name)
        wrapped, data = self._wrap(key, value)
        self.store[key] = [data, []]
        return wrapped


class Replayer:
    """Answers the checks' reference calls from a recording (the student distribution)."""

    def __init__(self, text):
        doc = json.loads(text)
        if doc.get("format") != FORMAT:
            raise ValueError(f"not a {FORMAT} recording")
        self.seed_id = doc["seed"]
        self.methods = doc["methods"]
        self.entries = doc["checks"]

    def module(self, check_id, module_name):
        """A stand-in for reference module ``module_name`` in check ``check_id``."""
        return _Module(_ReplayingSide(self, check_id, self.methods), module_name)


class _ReplayingSide:
    def __init__(self, replayer, check_id, methods):
        self.replayer, self.events, self.methods = replayer, _Events(check_id), methods
        self.store = replayer.entries.get(check_id, {})
        self.classes = {}  # object key -> class name

    def fresh_args(self):
        return self.replayer, self.events.check_id, self.methods

    def unsupported(self, what):
        raise TypeError(what)

    def _lookup(self, key, what):
        entry = self.store.get(key)
        if entry is None:
            raise RecordingMiss(what, self.events.check_id)
        return entry

    def _value(self, key, data, cls=None):
        if isinstance(data, dict) and "object" in data:
            self.classes[key] = cls
            return _Object(self, key)
        return decode(data)

    def call(self, fn, args, kwargs):
        key = self.events.key(fn._target, "call", fn._name, args, kwargs)
        data, changed = self._lookup(key, f"{fn._name}(...)")
        for target, recorded in zip(_mutable_state(args, kwargs), changed):
            _restore(target, decode(recorded))
        return self._value(key, data, fn._name)

    def attribute(self, obj, name):
        cls = self.classes.get(obj._key)
        if name in self.methods.get(cls, ()):
            return _Callable(self, obj._key, name, None, obj)
        key = self.events.key(obj._key, "attr", name)
        data, _ = self._lookup(key, f"the attribute {name} of a reference {cls}")
        return self._value(key, data)
