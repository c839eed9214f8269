"""A small, safe serialization format for the grader <-> worker pipe.

The grader (parent) must never unpickle bytes produced by the worker: the worker runs
student code, and unpickling attacker-controlled bytes executes code. This codec can only
ever produce inert values, and ``decode`` validates everything it reads.

Values that travel:

- ``None``, ``bool``, ``int``, ``float`` (NaN, inf and -0.0 round-trip), ``str``;
- ``list``, ``tuple`` (decoded as ``tuple``), ``dict`` with ``str`` keys;
- ``numpy.ndarray`` of bool / int / uint / float / complex dtype, any shape including 0-d.
  Decoded arrays are fresh, writable, C-contiguous copies with the same dtype and shape;
- numpy scalars (``np.float32(1.5)``, ``np.int64(3)``, ``np.bool_(True)``) of those dtypes.
  They decode as numpy scalars of the *same* type (``np.float32`` stays ``np.float32``), so
  a check can tell whether student code returned ``float32`` or ``float64``;
- :class:`Handle`, a reference to an object that lives in the worker.

Encoding is strict about types: only the exact built-in types above are accepted (no
subclasses such as ``OrderedDict`` or ``IntEnum``, no object arrays); anything else raises
:class:`WireError`. The worker converts student results to these types first (see
``autograder._worker_main``).

Message layout (all integers little-endian)::

    b"DLW1"  uint32 header_length  header (ASCII JSON)  buffer_0 buffer_1 ...

The JSON header is ``{"v": value, "a": [[dtype, shape], ...]}``. ``value`` uses JSON
scalars and arrays for scalars and lists; every JSON object is a one-key tag so that user
data can never be confused with structure: ``{"t": [...]}`` tuple, ``{"d": {...}}`` dict,
``{"a": i}`` array ``i``, ``{"s": i}`` numpy scalar stored as 0-d array ``i``,
``{"h": [id, type_name, repr]}`` handle. The raw array buffers follow the header in the
order of ``"a"``; each buffer is used exactly once, so a small message cannot decode into
many copies of one large buffer.
"""
from __future__ import annotations

import json
import math
import struct
from dataclasses import dataclass

import numpy as np

__all__ = ["Handle", "WireError", "encode", "decode", "DEFAULT_MAX_SIZE", "MAX_DEPTH",
           "MAX_HEADER", "MAX_ELEMENTS"]

MAGIC = b"DLW1"
# A check's arrays are small (the MNIST gate's parameter snapshots, the largest, are a few
# MB): 64 MiB leaves room and keeps one reply far from the grader's 1 GiB budget.
DEFAULT_MAX_SIZE = 64 * 2**20
MAX_DEPTH = 64
# Decoding must stay bounded in memory and time whatever the bytes say. The JSON header is
# what could blow up (``[[],[],...]`` costs ~20x its size as Python objects), so it is
# capped in bytes and in values before it is parsed; array data is bounded by the size cap
# and copied once.
MAX_HEADER = 4 * 2**20
MAX_ELEMENTS = 200_000
_MAX_HEADER_VALUES = 4 * MAX_ELEMENTS  # JSON items: a tuple or an array reference is several
_MAX_NDIM = 32
_MAX_DIM = 2**40
_PREFIX = struct.Struct("<4sI")


def N_(message):
    """Mark a message for the catalogs (``autograder.i18n.N_``; a worker does not import it)."""
    return message


# Why a value cannot be sent or bytes are no message, by code: the grader tells a student in
# their language (``autograder.sandbox.worker``) when their code's result cannot be sent.
MESSAGES = {
    "encode": N_("cannot encode value: {error}"),
    "too_large": N_("message too large: {size} bytes (limit {limit})"),
    "header_too_large": N_("message header too large: {size} bytes (limit {limit}); "
                           "send numbers as numpy arrays, not long lists"),
    "too_many_values": N_("message has too many values ({count} JSON items, limit {limit}); "
                          "send numbers as numpy arrays, not long lists"),
    "too_deep": N_("value nested deeper than {depth} levels (or contains a cycle)"),
    "too_many_elements": N_("value has more than {limit} elements; send numbers as numpy arrays"),
    "dict_key": N_("dict keys must be str, got {type}"),
    "array_dtype": N_("array dtype {dtype} cannot be sent (only bool/int/uint/float/complex)"),
    "scalar_dtype": N_("numpy scalar of dtype {dtype} cannot be sent"),
    "type": N_("values of type {type} cannot be sent"),
    "duplicate_key": N_("duplicate key {key} in message header"),
    "not_bytes": N_("expected bytes, got {type}"),
    "truncated": N_("message truncated"),
    "bad_magic": N_("not a wire message (bad magic)"),
    "truncated_header": N_("message truncated (header)"),
    "malformed_header_error": N_("malformed message header: {error}"),
    "malformed_header": N_("malformed message header"),
    "malformed_array_entry": N_("malformed array entry"),
    "dtype_not_allowed": N_("array dtype not allowed: {dtype}"),
    "malformed_shape": N_("malformed array shape"),
    "truncated_arrays": N_("message truncated (array data)"),
    "trailing_bytes": N_("{count} unexpected trailing bytes in message"),
    "nested_too_deeply": N_("message nested too deeply"),
    "bad_array_reference": N_("bad array reference"),
    "rebuild_array": N_("cannot rebuild array: {error}"),
    "message_too_deep": N_("message nested deeper than {depth} levels"),
    "scalar_not_0d": N_("numpy scalar must be stored as a 0-d array"),
    "malformed_handle": N_("malformed handle"),
    "malformed_value": N_("malformed value in message"),
}


class WireError(ValueError):
    """A value cannot be encoded, or bytes are not a valid message.

    ``WireError(code, **fields)``: the message is ``MESSAGES[code]`` with the fields (kept as
    text in ``fields``, for a translation).
    """

    def __init__(self, code, **fields):
        self.code = code
        self.fields = {k: str(v) for k, v in fields.items()}
        super().__init__(MESSAGES[code].format(**self.fields))


@dataclass(frozen=True)
class Handle:
    """A reference to an object kept alive in a worker's object table.

    Inputs / attributes:
    - id: the worker's table key (non-negative int).
    - type_name: qualified type name of the object, e.g. ``"layers.Affine"``.
    - repr: short description made by the worker *without* running student code
      (e.g. ``"method Affine.forward"``).
    """

    id: int
    type_name: str
    repr: str


def map_leaves(value, fn, depth=0):
    """Rebuild lists, tuples and dicts (exact types) with fn applied to everything else.

    Used on both sides of the pipe to swap objects for their handles and back. Past
    MAX_DEPTH the value is returned unchanged: encode/decode report the depth problem.
    """
    t = type(value)
    if depth > MAX_DEPTH or t not in (list, tuple, dict):
        return value if depth > MAX_DEPTH else fn(value)
    if t is dict:
        return {k: map_leaves(v, fn, depth + 1) for k, v in value.items()}
    items = [map_leaves(v, fn, depth + 1) for v in value]
    return items if t is list else tuple(items)


def _dtype_whitelist():
    names = ["?", "i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8",
             "f2", "f4", "f8", "c8", "c16", "g", "G"]
    allowed = set()
    for name in names:
        dt = np.dtype(name)
        allowed.add(dt.str)
        allowed.add(dt.newbyteorder().str)  # both byte orders: '<f8' and '>f8'
    return frozenset(allowed)


_DTYPES = _dtype_whitelist()


# ----------------------------------------------------------------------------- encode


def encode(obj, *, max_size=DEFAULT_MAX_SIZE):
    """Serialize ``obj`` to bytes.

    Inputs:
    - obj: a value built only from the allowed types (see the module docstring).
    - max_size: largest message allowed, in bytes.

    Returns: bytes.
    Raises WireError for any other type, dicts with non-str keys, nesting deeper than
    MAX_DEPTH (this also catches cycles), ints too long to print, or a too large result.
    """
    return b"".join(encode_chunks(obj, max_size=max_size))


def encode_chunks(obj, *, max_size=DEFAULT_MAX_SIZE):
    """Like :func:`encode` but returns a list of bytes-like chunks (no final join copy).

    Array chunks may be views of the arrays themselves: write them out before the arrays
    can change.
    """
    arrays = []
    count = [0]
    tree = _enc(obj, arrays, 0, count)
    meta = [[a.dtype.str, list(a.shape)] for a in arrays]
    try:
        header = json.dumps({"v": tree, "a": meta}, ensure_ascii=True, allow_nan=True,
                            separators=(",", ":")).encode("ascii")
    except (ValueError, OverflowError) as exc:  # e.g. int with more than 4300 digits
        raise WireError("encode", error=exc) from None
    buffers = []
    total = _PREFIX.size + len(header)
    for a in arrays:
        if not a.flags.c_contiguous:
            a = a.copy(order="C")
        flat = a.reshape(-1).view(np.uint8)  # works for 0-d and empty arrays too
        buffers.append(memoryview(flat))
        total += flat.nbytes
    if total > max_size:
        raise WireError("too_large", size=total, limit=max_size)
    _check_header(header)
    return [_PREFIX.pack(MAGIC, len(header)), header, *buffers]


def _check_header(header):
    """Refuse a header whose parsing could cost more than a bounded amount of memory.

    Every JSON value but the first follows one of ``,[{:``: counting those bytes bounds the
    number of objects ``json.loads`` would create, before any is created. (Both ends apply
    the same test, so a value the worker cannot send fails there, with a clear message.)
    """
    if len(header) > MAX_HEADER:
        raise WireError("header_too_large", size=len(header), limit=MAX_HEADER)
    values = 1 + sum(header.count(c) for c in (b",", b"[", b"{", b":"))
    if values > _MAX_HEADER_VALUES:
        raise WireError("too_many_values", count=values, limit=_MAX_HEADER_VALUES)


def _enc(x, arrays, depth, count):
    if depth > MAX_DEPTH:
        raise WireError("too_deep", depth=MAX_DEPTH)
    count[0] += 1
    if count[0] > MAX_ELEMENTS:
        raise WireError("too_many_elements", limit=MAX_ELEMENTS)
    t = type(x)
    if x is None or t is bool or t is int or t is str:
        return x
    if t is float:
        return x  # json writes NaN / Infinity / -Infinity, and reads them back
    if t is list:
        return [_enc(v, arrays, depth + 1, count) for v in x]
    if t is tuple:
        return {"t": [_enc(v, arrays, depth + 1, count) for v in x]}
    if t is dict:
        out = {}
        for k, v in x.items():
            if type(k) is not str:
                raise WireError("dict_key", type=type(k).__name__)
            out[k] = _enc(v, arrays, depth + 1, count)
        return {"d": out}
    if t is np.ndarray:
        if x.dtype.str not in _DTYPES:
            raise WireError("array_dtype", dtype=x.dtype)
        arrays.append(x)
        return {"a": len(arrays) - 1}
    if isinstance(x, np.generic):
        if x.dtype.str not in _DTYPES:
            raise WireError("scalar_dtype", dtype=x.dtype)
        arrays.append(np.asarray(x))
        return {"s": len(arrays) - 1}
    if t is Handle:
        return {"h": [x.id, x.type_name, x.repr]}
    raise WireError("type", type=f"{t.__module__}.{t.__qualname__}")


# ----------------------------------------------------------------------------- decode


def _pairs_no_duplicates(pairs):
    out = {}
    for k, v in pairs:
        if k in out:
            raise WireError("duplicate_key", key=repr(k))
        out[k] = v
    return out


def decode(data, *, max_size=DEFAULT_MAX_SIZE):
    """Parse bytes produced by :func:`encode`.

    Inputs:
    - data: bytes / bytearray / memoryview (untrusted).
    - max_size: reject messages larger than this many bytes.

    Returns: the value; arrays are fresh writable copies.
    Raises WireError (and nothing else) for any malformed or oversized input.
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise WireError("not_bytes", type=type(data).__name__)
    data = memoryview(data).cast("B")
    n = len(data)
    if n > max_size:
        raise WireError("too_large", size=n, limit=max_size)
    if n < _PREFIX.size:
        raise WireError("truncated")
    magic, hlen = _PREFIX.unpack_from(data, 0)
    if magic != MAGIC:
        raise WireError("bad_magic")
    if hlen > n - _PREFIX.size:
        raise WireError("truncated_header")
    if hlen > MAX_HEADER:
        raise WireError("header_too_large", size=hlen, limit=MAX_HEADER)
    raw = bytes(data[_PREFIX.size:_PREFIX.size + hlen])
    _check_header(raw)
    try:
        text = raw.decode("ascii")
        top = json.loads(text, object_pairs_hook=_pairs_no_duplicates)
    except WireError:
        raise
    except (ValueError, RecursionError, MemoryError) as exc:  # UnicodeDecodeError, JSONDecodeError
        raise WireError("malformed_header_error", error=type(exc).__name__) from None
    if type(top) is not dict or set(top) != {"v", "a"} or type(top["a"]) is not list:
        raise WireError("malformed_header")
    # Check the buffer table against the bytes actually present before allocating anything.
    offset = _PREFIX.size + hlen
    specs = []
    for entry in top["a"]:
        if type(entry) is not list or len(entry) != 2:
            raise WireError("malformed_array_entry")
        dtype_str, shape = entry
        if type(dtype_str) is not str or dtype_str not in _DTYPES:
            raise WireError("dtype_not_allowed", dtype=repr(str(dtype_str)[:20]))
        if type(shape) is not list or len(shape) > _MAX_NDIM or any(
                type(d) is not int or not 0 <= d <= _MAX_DIM for d in shape):
            raise WireError("malformed_shape")
        dtype = np.dtype(dtype_str)
        nbytes = math.prod(shape) * dtype.itemsize
        if nbytes > n - offset:
            raise WireError("truncated_arrays")
        specs.append((dtype, tuple(shape), offset, nbytes))
        offset += nbytes
    if offset != n:
        raise WireError("trailing_bytes", count=n - offset)
    used = [False] * len(specs)
    try:
        return _dec(top["v"], data, specs, used, 0)
    except RecursionError:
        raise WireError("nested_too_deeply") from None


def _array(i, data, specs, used):
    if type(i) is not int or not 0 <= i < len(specs) or used[i]:
        raise WireError("bad_array_reference")
    used[i] = True
    dtype, shape, offset, nbytes = specs[i]
    count = nbytes // dtype.itemsize
    try:
        flat = np.frombuffer(data, dtype=dtype, count=count, offset=offset)
        return flat.reshape(shape).copy()  # own, aligned, writable memory
    except (ValueError, MemoryError, OverflowError) as exc:
        raise WireError("rebuild_array", error=exc) from None


def _dec(x, data, specs, used, depth):
    if depth > MAX_DEPTH:
        raise WireError("message_too_deep", depth=MAX_DEPTH)
    t = type(x)
    if x is None or t is bool or t is int or t is float or t is str:
        return x
    if t is list:
        return [_dec(v, data, specs, used, depth + 1) for v in x]
    if t is not dict or len(x) != 1:
        raise WireError("malformed_value")
    (tag, body), = x.items()
    if tag == "t" and type(body) is list:
        return tuple(_dec(v, data, specs, used, depth + 1) for v in body)
    if tag == "d" and type(body) is dict:
        return {k: _dec(v, data, specs, used, depth + 1) for k, v in body.items()}
    if tag == "a":
        return _array(body, data, specs, used)
    if tag == "s":
        arr = _array(body, data, specs, used)
        if arr.ndim != 0:
            raise WireError("scalar_not_0d")
        return arr[()]
    if tag == "h" and type(body) is list and len(body) == 3:
        hid, type_name, rep = body
        if type(hid) is not int or hid < 0 or type(type_name) is not str or type(rep) is not str:
            raise WireError("malformed_handle")
        return Handle(hid, type_name, rep)
    raise WireError("malformed_value")
