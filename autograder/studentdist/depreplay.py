"""The reference's dependency modules, recorded in a worker and replayed without their code.

The course's grader grades module M beside the reference copies of the modules M builds on
(blame isolation: ``two_layer_net.py`` runs on the reference ``layers.py``). A student
distribution has no reference code; it ships, in place of each reference module, a module
generated from this file (:mod:`autograder.studentdist.depgen`) that answers the calls the
reference copy answered while the builder graded the reference with the visible checks.

This file is standalone on purpose: it runs inside a worker, where ``autograder`` cannot be
imported, and it is pasted at the top of each generated module. Two modes:

- record (the builder): the generated module runs the real reference code (its source
  embedded) and wraps every public function and class; each call is noted under a key, a
  hash of what was called, the instance's state and the bound arguments (arrays by their
  exact bytes), with what it returned, the state it left, the arguments it changed in place,
  the exception it raised, and the calls it made into callables it was given
  (``numerical_gradient(f, x)`` calls ``f``);
- replay (the student distribution): the same names, no code; a call looks its key up and
  gives back the recorded effects bit for bit. Calls into given callables are made again,
  with the recorded arguments, and must return what they returned then; otherwise, and for a
  key not in the recording, :class:`DependencyReplayMiss` is raised (the check then runs
  beside the student's own modules, as the course's grader does when a check fails beside
  the reference ones).
"""
import base64 as _b64
import builtins as _builtins
import hashlib as _hashlib
import inspect as _inspect
import json as _json
import zlib as _zlib

import numpy as _np

_PLAIN = (type(None), bool, int, float, str)


class DependencyReplayMiss(Exception):
    """A call into a replayed reference module that the recording does not answer."""


def _enc(value, refs=()):
    """JSON data for a value; an input object (``refs``: [(path, obj)]) becomes a reference."""
    if not isinstance(value, _PLAIN):
        for path, obj in refs:
            if value is obj:
                return {"r": path}
    if value is None or isinstance(value, (bool, str)):
        return value
    if type(value) is int:
        return {"i": str(value)}
    if type(value) is float:
        return {"f": value.hex()}
    if isinstance(value, _np.ndarray) and not value.dtype.hasobject:
        data = _np.ascontiguousarray(value)
        return {"a": data.dtype.str, "s": list(data.shape), "d": _b64.b64encode(data.tobytes()).decode()}
    if isinstance(value, _np.generic) and not isinstance(value, _np.object_):
        return {"g": value.dtype.str, "d": _b64.b64encode(value.tobytes()).decode()}
    if type(value) in (tuple, list):
        return {"T" if type(value) is tuple else "L": [_enc(v, refs) for v in value]}
    if type(value) is dict and all(type(k) is str for k in value):
        return {"D": [[k, _enc(v, refs)] for k, v in value.items()]}
    return {"x": type(value).__name__}  # not replayable: a replay that needs it misses


def _dec(data, refs=None):
    """The value _enc made data from (fresh arrays); references resolved in ``refs`` ({path: obj})."""
    if data is None or isinstance(data, (bool, str)):
        return data
    if "r" in data:
        return refs[tuple(data["r"])]
    if "i" in data:
        return int(data["i"])
    if "f" in data:
        return float.fromhex(data["f"])
    if "a" in data:
        raw = _b64.b64decode(data["d"])
        return _np.frombuffer(raw, dtype=_np.dtype(data["a"])).reshape(data["s"]).copy()
    if "g" in data:
        return _np.frombuffer(_b64.b64decode(data["d"]), dtype=_np.dtype(data["g"]))[0]
    if "T" in data:
        return tuple(_dec(v, refs) for v in data["T"])
    if "L" in data:
        return [_dec(v, refs) for v in data["L"]]
    if "D" in data:
        return {k: _dec(v, refs) for k, v in data["D"]}
    raise DependencyReplayMiss("the recording holds a value that cannot be replayed: " + data.get("x", "?"))


def _feed(digest, value, depth=0):
    """Hash a value: its type, shape and exact bytes (numbers by value, callables as one mark)."""
    if depth > 20:
        digest.update(b"?deep")
    elif value is None or isinstance(value, (bool, _np.bool_)):
        digest.update(b"B" + repr(None if value is None else bool(value)).encode())
    elif isinstance(value, (int, float, _np.integer, _np.floating)) and not isinstance(value, _np.ndarray):
        # 1, 1.0 and np.float64(1.0) are the same number to the reference's arithmetic.
        try:
            digest.update(b"N" + float(value).hex().encode())
        except OverflowError:
            digest.update(b"N" + str(int(value)).encode())
    elif isinstance(value, str):
        digest.update(b"S" + value.encode("utf-8", "replace"))
    elif isinstance(value, _np.ndarray):
        if value.dtype.hasobject:
            digest.update(b"?object-array")
        else:
            data = _np.ascontiguousarray(value)
            digest.update(("A" + data.dtype.str + repr(data.shape)).encode() + data.tobytes())
    elif isinstance(value, (tuple, list)):
        digest.update(("L%d" % len(value)).encode())
        for v in value:
            _feed(digest, v, depth + 1)
    elif isinstance(value, dict):
        digest.update(("D%d" % len(value)).encode())
        for k, v in value.items():
            _feed(digest, k, depth + 1)
            _feed(digest, v, depth + 1)
    elif isinstance(value, Replayed):
        digest.update(("O" + type(value).__name__).encode())
        _feed(digest, _state(value), depth + 1)
    elif callable(value):
        digest.update(b"C")
    else:
        digest.update(("?" + type(value).__name__).encode())


def _state(obj, names=None):
    """The attributes of a reference object (``names``: only those), sorted by name."""
    return {k: v for k, v in sorted(vars(obj).items())
            if not k.startswith("_dl") and (names is None or k in names)}


def _hash(qual, *values):
    digest = _hashlib.sha256(qual.encode() + b"\0")
    for value in values:
        _feed(digest, value)
    return digest.hexdigest()[:32]


def _signature(spec):
    """An inspect.Signature from [[name, kind, default or absent]] (kinds by inspect's numbers)."""
    params = []
    for item in spec:
        name, kind = item[0], _inspect._ParameterKind(item[1])
        default = _dec(item[2]) if len(item) > 2 else _inspect.Parameter.empty
        params.append(_inspect.Parameter(name, kind, default=default))
    return _inspect.Signature(params)


def _bind(signature, args, kwargs):
    bound = signature.bind(*args, **kwargs)
    bound.apply_defaults()
    return bound


def _arrays(arguments):
    """The top-level array arguments (those a call may change in place)."""
    return [(name, v) for name, v in arguments.items() if isinstance(v, _np.ndarray)]


def _inputs(arguments, state):
    return [(["a", k], v) for k, v in arguments.items()] + [(["s", k], v) for k, v in state.items()]


def _close(got, expected):
    if type(got) is type(expected) and not isinstance(got, _np.ndarray):
        try:
            if got == expected:
                return True
        except Exception:  # noqa: BLE001
            pass
    try:
        a = _np.asarray(got, dtype=float)
        b = _np.asarray(expected, dtype=float)
    except (TypeError, ValueError):
        return False
    # Losses computed in another order differ by rounding only: the reference's answer stands.
    return a.shape == b.shape and bool(_np.allclose(a, b, rtol=1e-9, atol=1e-12, equal_nan=True))


class Replayed:
    """Base of the classes of a generated module (recorded or replayed instances)."""


class Recorded(Replayed):
    """Mixin of the record mode's classes: notes which attributes a method call reads and writes."""

    def __getattribute__(self, name):
        if not name.startswith("_"):
            attrs = object.__getattribute__(self, "__dict__")
            stack = attrs.get("_dl_calls")
            if stack and name in attrs and name not in stack[-1][1]:
                stack[-1][0].add(name)
        return object.__getattribute__(self, name)

    def __setattr__(self, name, value):
        stack = self.__dict__.get("_dl_calls")
        if stack and not name.startswith("_dl"):
            stack[-1][1].add(name)
        object.__setattr__(self, name, value)


class Engine:
    """The recording, or the replay, of one reference module inside a worker.

    An entry is found by the hash of what was called and the bound arguments; for a method,
    the attributes of the instance the reference read in that call (before writing them) must
    also hash as they did then.
    """

    def __init__(self, module, signatures, data=None):
        self.module = module
        self.signatures = {q: _signature(s) for q, s in signatures.items()}
        self.recording = data is None
        self.log = {}
        self._data = data
        self._entries = None
        self._cache = {}  # id of a key's entry texts (kept alive by _entries) -> parsed entries

    # -- record

    def record(self, qual, fn, args, kwargs, instance=None):
        bound = _bind(self.signatures[qual], args, kwargs)
        key = _hash(qual, list(bound.arguments.items()))
        before = _state(instance) if instance is not None else {}
        digests = {k: _hash("attr", v) for k, v in before.items()}  # before the call changes anything
        arrays = _arrays(bound.arguments)
        copies = [a.copy() for _name, a in arrays]
        trace = []
        for name, value in list(bound.arguments.items()):
            if callable(value) and not isinstance(value, (type, Replayed)):
                bound.arguments[name] = self._tracer(value, trace, bound.arguments, arrays)
        if instance is not None:
            stack = instance.__dict__.setdefault("_dl_calls", [])
            stack.append((set(), set()))
        raised = result = None
        try:
            result = fn(*bound.args, **bound.kwargs) if instance is None else fn(instance, *bound.args, **bound.kwargs)
        except Exception as exc:  # noqa: BLE001 - recorded, then raised again
            raised = exc
        finally:
            if instance is not None:
                read, written = stack.pop()
                if stack:  # a method calling another: the outer call read and wrote these too
                    stack[-1][0].update(read - stack[-1][1])
                    stack[-1][1].update(written)
        entry = {"q": qual}
        refs = _inputs(bound.arguments, before)
        entry["c"] = [[name, _enc(a)] for (name, a), old in zip(arrays, copies)
                      if a.shape != old.shape or a.tobytes() != old.tobytes()]
        if instance is not None:
            read = sorted(read & set(before))
            entry["r"] = [read, _hash("state", [[k, digests[k]] for k in read])]
            entry["s"] = [[k, _enc(v, refs)] for k, v in _state(instance, written).items()]
        if raised is not None:
            entry["e"] = [type(raised).__name__, str(raised)]
        else:
            entry["v"] = _enc(result, refs)
        if trace:
            entry["t"] = trace
        text = _json.dumps(entry, sort_keys=True, separators=(",", ":"))
        found = self.log.setdefault(key, [])
        if text not in found:
            found.append(text)
        if raised is not None:
            raise raised
        return result

    def _tracer(self, fn, trace, arguments, arrays):
        def traced(*args, **kwargs):
            refs = _inputs(arguments, {})
            event = {"a": [_enc(a, refs) for a in args], "k": [[k, _enc(v, refs)] for k, v in sorted(kwargs.items())],
                     "x": [[name, _enc(a)] for name, a in arrays]}
            result = fn(*args, **kwargs)
            event["v"] = _enc(result)
            trace.append(event)
            return result
        return traced

    def take_log(self):
        """The notes so far, compressed (uint8 array: travels as array data), and forget them."""
        text = _json.dumps(self.log, sort_keys=True, separators=(",", ":"))
        self.log = {}
        return _np.frombuffer(_zlib.compress(text.encode(), 6), dtype=_np.uint8).copy()

    # -- replay

    def entries(self):
        if self._entries is None:
            self._entries = _json.loads(_zlib.decompress(_b64.b64decode("".join(self._data))).decode())
        return self._entries

    def replay(self, qual, args, kwargs, instance=None):
        bound = _bind(self.signatures[qual], args, kwargs)
        entries = self.entries()
        # "any:": a constructor that, whatever its inputs, only kept them (the builder saw no other kind).
        candidates = entries.get(_hash(qual, list(bound.arguments.items()))) or entries.get("any:" + qual)
        if not candidates:
            raise DependencyReplayMiss(qual)
        before = _state(instance) if instance is not None else {}
        refs = {tuple(p): v for p, v in _inputs(bound.arguments, before)}
        arrays = dict(_arrays(bound.arguments))
        for entry in self._parsed(candidates):
            if instance is not None:
                read, digest = entry["r"]
                if any(k not in before for k in read) or \
                        _hash("state", [[k, _hash("attr", before[k])] for k in read]) != digest:
                    continue
            if "t" in entry:
                saved = {name: a.copy() for name, a in arrays.items()}
                answered = self._retrace(entry["t"], bound.arguments, arrays, refs)
                for name, a in arrays.items():  # as before the call; its own changes follow ("c")
                    if a.shape == saved[name].shape:
                        a[...] = saved[name]
                if not answered:
                    continue
            for name, data in entry["c"]:
                target, value = arrays[name], _dec(data)
                if target.shape == value.shape:
                    target[...] = value
            if instance is not None:
                for name, data in entry["s"]:
                    object.__setattr__(instance, name, _dec(data, refs))
            if "e" in entry:
                kind = getattr(_builtins, entry["e"][0], None)
                if not (isinstance(kind, type) and issubclass(kind, Exception)):
                    kind = RuntimeError
                raise kind(entry["e"][1])
            return _dec(entry["v"], refs)
        raise DependencyReplayMiss(qual)

    def _parsed(self, texts):
        """The entries of one key, parsed once (a numerical gradient asks for them a hundred times)."""
        key = id(texts)
        if key not in self._cache:
            self._cache[key] = [_json.loads(t) for t in texts]
        return self._cache[key]

    @staticmethod
    def _retrace(trace, arguments, arrays, refs):
        """Call the given callables as the reference did; whether they answered as then."""
        fn = next((v for v in arguments.values() if callable(v) and not isinstance(v, (type, Replayed))), None)
        for event in trace:
            for name, data in event["x"]:
                value = _dec(data)
                if arrays[name].shape != value.shape:
                    return False
                arrays[name][...] = value
            if fn is None:
                return False
            got = fn(*[_dec(a, refs) for a in event["a"]], **{k: _dec(v, refs) for k, v in event["k"]})
            if not _close(got, _dec(event["v"])):
                return False
        return True
