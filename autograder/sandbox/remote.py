"""Proxies for objects that live in a worker process."""
from __future__ import annotations


class Remote:
    """Proxy for an object that lives in a worker process.

    Attribute access, item access and calls are forwarded: a result that is plain data
    (numbers, strings, arrays, lists/tuples/dicts of those) comes back as a *copy*; any
    other object comes back as another Remote. Helpers: ``map(calls)``, ``fetch()``,
    ``ref(name)``, ``item_ref(key)``, ``call_ref(*args, **kw)`` (the ``*_ref`` forms always
    return a Remote, e.g. to pass ``net.params`` by reference and see in-place updates).
    """

    __slots__ = ("_worker", "_gen", "_handle", "__weakref__")

    def __init__(self, worker, gen, handle):
        object.__setattr__(self, "_worker", worker)
        object.__setattr__(self, "_gen", gen)
        object.__setattr__(self, "_handle", handle)

    def __getattr__(self, name):
        if (name.startswith("__") and name.endswith("__")) or name in Remote.__slots__:
            raise AttributeError(name)  # keep Python protocols (copy, numpy, pickle) local
        return self._worker.getattr(self, name)

    def __setattr__(self, name, value):
        self._worker.setattr(self, name, value)

    def __getitem__(self, key):
        return self._worker.getitem(self, key)

    def __setitem__(self, key, value):
        self._worker.setitem(self, key, value)

    def __call__(self, /, *args, **kwargs):
        return self._worker.call(self, *args, **kwargs)

    def __iter__(self):
        raise TypeError("a Remote cannot be iterated; use fetch() to get a copy first")

    def __reduce__(self):
        raise TypeError("a Remote cannot be pickled")

    def __repr__(self):
        return f"<Remote {self._handle.repr} ({self._handle.type_name})>"

    def __del__(self):
        try:
            self._worker._forget(self)
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass

    def map(self, calls, *, kwargs=None, timeout=None):
        """Call this object once per argument tuple in ``calls``, in one round trip."""
        return self._worker.map(self, calls, kwargs=kwargs, timeout=timeout)

    def fetch(self):
        return self._worker.fetch(self)

    def ref(self, name):
        return self._worker.getattr(self, name, ref=True)

    def item_ref(self, key):
        return self._worker.getitem(self, key, ref=True)

    def call_ref(self, /, *args, **kwargs):
        return self._worker.call_with(self, args, kwargs, ref=True)

