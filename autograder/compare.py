"""Student-facing comparisons: the assertions the checks use.

Each ``expect_*`` helper raises ``AssertionError`` whose text is exactly what a
student reads: what was called, on what shapes, expected vs got (abridged) and,
when the wrong answer matches a known mistake, a hint. In a hidden check
(``hidden_check(True)``) the message names the problem but shows no expected
values, so hidden tests do not leak their answers.

Tolerances accept float64 rounding differences between correct formulas
(np.dot vs @ vs einsum, log-sum-exp softmax), never a different formula.

Student values are untrusted data: a value is turned into an array only when it holds at
most MAX_ELEMENTS numbers (counted without converting anything), and a check validates
its shape before any arithmetic on it (``as_numeric_array(..., shape=...)``,
``expect_close``), so no reply can make the grader compute on, or convert, arrays larger
than the ones it asked for.
"""
from __future__ import annotations

import contextvars
from contextlib import contextmanager

import numpy as np

from autograder.i18n import _

_hidden = contextvars.ContextVar("hidden_check", default=False)

# Largest student value turned into an array: far above every check's arrays (the MNIST
# gate's W1 has 39,200 entries), far below what could strain the grader's memory even at
# the widest dtype (16 bytes for complex128).
MAX_ELEMENTS = 2_000_000


@contextmanager
def hidden_check(hidden):
    """Within this block, failure messages leave out expected values."""
    token = _hidden.set(bool(hidden))
    try:
        yield
    finally:
        _hidden.reset(token)


def rel_error(x, y):
    """CS231n's relative error: max |x - y| / max(1e-8, |x| + |y|) over all entries."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.size == 0:
        return 0.0
    return float(np.max(np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y))))


def abridge(a):
    """Short printable form of an array: a few entries, 4 significant digits."""
    a = np.asarray(a)
    if a.dtype.kind in "fc":
        return np.array2string(a, precision=4, threshold=12, edgeitems=2, suppress_small=True)
    return np.array2string(a, threshold=12, edgeitems=2)


def describe(value):
    """A short description of a value's type and shape for messages."""
    if isinstance(value, np.ndarray):
        return _("array of shape {shape}, dtype {dtype}").format(shape=value.shape, dtype=value.dtype)
    return type(value).__name__


class CheckFailure(AssertionError):
    """A failed comparison, with its parts kept for the report (the text is the whole message).

    Attributes:
    - what: the call as a student reads it (``softmax(x) for x of shape (4, 10)``), or "".
    - hint: the known mistake the wrong answer matches, or None.
    - kind: ``"values"``, ``"shape"``, ``"nonfinite"``, ``"none"``, ``"type"``, ``"modified"`` or
      ``"message"`` (a check's own sentence, from ``expect_true``).
    """

    def __init__(self, message, *, what="", hint=None, kind="message"):
        super().__init__(message)
        self.what, self.hint, self.kind = what, hint, kind


def fail(message, *, what="", hint=None, kind="message"):
    raise CheckFailure(message, what=what, hint=hint, kind=kind)


def count_elements(value, limit=MAX_ELEMENTS):
    """Number of scalars in a value from the wire (arrays, scalars, nested lists/tuples).

    Stops counting past ``limit`` (returns a number > limit): cheap whatever the value.
    """
    if isinstance(value, np.ndarray):
        return value.size
    if not isinstance(value, (list, tuple)):
        return 1
    total, stack = 0, [value]
    while stack and total <= limit:
        item = stack.pop()
        if isinstance(item, (list, tuple)):
            stack.extend(item)
            total += not item  # an empty list still makes an entry of a ragged array
        else:
            total += item.size if isinstance(item, np.ndarray) else 1
    return total


def as_numeric_array(got, what, *, shape=None, none=None):
    """Turn a student's return value into a numeric array or fail with a clear message.

    Inputs:
    - got: the value (plain data from the worker: untrusted).
    - what: how the call reads to a student.
    - shape: the shape the value must have (checked before anything is computed from it).
    - none: what to say when got is None (default: a forgotten ``return``); for a value read
      from an attribute, say which assignment is missing.

    Returns:
    - numpy array of a bool / int / uint / float / complex dtype.
    """
    if got is None:
        fail(none or _("{what} returned None. Did you forget a `return` statement?").format(what=what),
             what=what, kind="none")
    size = count_elements(got)
    if size > MAX_ELEMENTS:
        fail((_("{what} returned {value} with more than {limit} numbers; expected shape {shape}.")
              if shape is not None else
              _("{what} returned {value} with more than {limit} numbers; far more than expected.")).format(
                 what=what, value=describe(got), limit=MAX_ELEMENTS, shape=tuple(shape or ())),
             what=what, kind="shape")
    if shape is not None and isinstance(got, np.ndarray) and got.shape != tuple(shape):
        _shape_failure(what, tuple(shape), got.shape)
    try:
        arr = np.asarray(got)
    except Exception:  # ragged lists and other oddities
        fail(_("{what} returned {value}, which is not a numeric array.").format(what=what, value=describe(got)),
             what=what, kind="type")
    if arr.dtype.kind not in "biufc":
        fail(_("{what} returned {value}, which is not a numeric array.").format(what=what, value=describe(got)),
             what=what, kind="type")
    if shape is not None and arr.shape != tuple(shape):
        _shape_failure(what, tuple(shape), arr.shape)
    return arr


def _shape_failure(what, expected, got):
    hint = _("The result is transposed: swap the order of the product or its factors.") \
        if len(expected) == 2 and got == expected[::-1] else None
    msg = _("{what}: expected shape {expected}, got shape {got}.").format(what=what, expected=expected, got=got)
    fail(msg + ("\n" + _("Hint: {hint}").format(hint=hint) if hint else ""), what=what, hint=hint, kind="shape")


def _close(got, expected, rtol, atol, equal_nan=False):
    return got.shape == expected.shape and bool(np.allclose(got, expected, rtol=rtol, atol=atol,
                                                            equal_nan=equal_nan))


def _matching_hint(got, expected, hints, rtol, atol):
    """Return the hint of the first known mistake that explains got, else None.

    A hint's value may hold NaN or infinities (the result of an overflow a student's formula
    makes): it matches a result with the same non-finite entries in the same places.
    """
    with np.errstate(all="ignore"):
        for hint, wrong in (hints or {}).items():
            wrong = np.asarray(wrong, dtype=np.float64)
            if _close(got, wrong, rtol, atol, equal_nan=True):
                return hint
    if not np.all(np.isfinite(got)):
        return None
    # A single number is always "off by a constant factor": the hint only means something for arrays.
    if got.shape == expected.shape and expected.size > 1 and np.any(np.abs(expected) > atol):
        if _close(got, -expected, rtol, atol):
            return _("The result has the wrong sign everywhere: check the sign of your formula.")
        nz = np.abs(expected) > 1e-12
        ratios = got[nz] / expected[nz]
        if ratios.size and np.all(np.isfinite(ratios)) and np.ptp(ratios) < 1e-6 * max(1.0, abs(ratios[0])):
            factor = float(ratios[0])
            if abs(factor - 1) > 1e-3 and abs(factor) > 1e-12:
                return _("The result is off by a constant factor of {factor} everywhere.").format(
                    factor=f"{factor:.4g}")
    if got.ndim == 2 and got.T.shape == expected.shape and _close(got.T, expected, rtol, atol):
        return _("The result is the transpose of what is expected.")
    return None


def _entry(value):
    """One array entry with enough digits to see a small difference."""
    value = complex(value)
    return f"{value.real:.10g}" if value.imag == 0 else f"{value:.10g}"


def expect_close(got, expected, what, *, rtol=1e-6, atol=1e-9, hints=None, none=None):
    """Fail unless got equals expected within tolerance.

    Inputs:
    - got: what the student's code returned (plain data from the worker).
    - expected: the reference value, computed in the grader's process.
    - what: how the call reads to a student, e.g. "softmax(x) for x of shape (4, 10)".
    - rtol, atol: tolerance as in np.allclose.
    - hints: {hint text: value a student with that mistake would return}.
    - none: what to say when got is None (see ``as_numeric_array``).

    Returns:
    - got as a numpy array (for further checks).
    """
    expected = np.asarray(expected)
    arr = as_numeric_array(got, what, none=none)
    hidden = _hidden.get()
    if arr.shape != expected.shape:
        # Only a value of a size some hint or the expected value has can match a hint: an
        # array of any other size is not converted at all.
        sizes = {expected.size, *(np.size(w) for w in (hints or {}).values())}
        hint = None
        if arr.size in sizes:
            hint = _matching_hint(arr.astype(np.complex128 if arr.dtype.kind == "c" else np.float64),
                                  expected, hints, rtol, atol)
        msg = _("{what}: expected a result of shape {expected}, got shape {got}.").format(
            what=what, expected=expected.shape, got=arr.shape)
        fail(msg + ("\n" + _("Hint: {hint}").format(hint=hint) if hint else ""), what=what, hint=hint, kind="shape")
    if not np.all(np.isfinite(arr)) and np.all(np.isfinite(expected)):
        bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
        hint = _matching_hint(arr.astype(np.float64) if arr.dtype.kind != "c" else arr, expected, hints, rtol, atol)
        msg = _("{what}: the result contains {count} NaN or infinite value(s).").format(what=what, count=bad)
        if hint:
            msg += "\n" + _("Hint: {hint}").format(hint=hint)
        else:
            msg += " " + _("Overflow in np.exp, a log of 0 or a division by 0 are the usual causes.")
        fail(msg, what=what, hint=hint, kind="nonfinite")
    if _close(arr, expected, rtol, atol):
        return arr
    hint = _matching_hint(arr.astype(np.float64) if arr.dtype.kind != "c" else arr, expected, hints, rtol, atol)
    err = np.abs(arr.astype(np.complex128) - expected.astype(np.complex128))
    # Name the entry furthest outside np.allclose's tolerance, not merely the largest difference.
    excess = err - (atol + rtol * np.abs(expected))
    where = np.unravel_index(int(np.nanargmax(np.where(np.isnan(excess), np.inf, excess))), err.shape) if err.ndim else ()
    index = tuple(int(i) for i in where)
    if hidden:  # neither the expected value nor the difference (which would give it away)
        msg = (_("{what}: wrong values at index {index}.") if index else _("{what}: wrong values.")).format(
            what=what, index=index)
    else:
        msg = (_("{what}: wrong values at index {index}: expected {expected}, got {got} (off by {diff}).") if index
               else _("{what}: wrong values: expected {expected}, got {got} (off by {diff}).")).format(
            what=what, index=index, expected=_entry(expected[where]), got=_entry(arr[where]),
            diff=f"{float(err[where]):.3g}")
    if not hidden and expected.size > 1:
        msg += "\n  " + _("expected:") + " " + _indented(abridge(expected), 12) + \
               "\n  " + _("got:") + "      " + _indented(abridge(arr), 12)
    if hint:
        msg += "\n" + _("Hint: {hint}").format(hint=hint)
    fail(msg, what=what, hint=hint, kind="values")


def _indented(text, width):
    """A multi-line array printout whose later lines line up under its first."""
    return text.replace("\n", "\n" + " " * width)


def expect_unchanged(before, after, what):
    """Fail when a call modified an input array it should only read.

    Inputs:
    - before: the array as the grader sent it.
    - after: the same object read back from the worker (untrusted).
    """
    before = np.asarray(before)
    changed = (not isinstance(after, np.ndarray) or after.shape != before.shape
               or not np.array_equal(before, after, equal_nan=True))
    if changed:
        fail(_("{what} modified its input in place. Work on a copy (e.g. `x = x.copy()`) "
               "or build a new array instead of writing into the one you were given.").format(what=what),
             what=what, kind="modified")


def expect_true(condition, message):
    """Fail with message unless condition holds."""
    if not condition:
        fail(message)
