"""Cache of the parsed MNIST arrays as plain .npy files.

Decompressing and parsing the gzip files takes about 0.3 s; loading a cached
.npy takes a few milliseconds. Each cache file holds the raw uint8 array of one
source file (images (N, 28, 28), labels (N,)); normalization, flattening and
one-hot encoding are applied on the fly by :func:`mnist_data.book_format`.

Keying: the file name carries the first 16 hex digits of the source .gz file's
SHA-256 (``train-images-idx3-ubyte.440fcabf73cc546f.npy``), and the caller
hashes the source on every load, so a changed source can never be served from a
stale cache. A cache file that is missing, truncated, unreadable or has the
wrong header/shape is treated as absent and rebuilt. Files are written to a
temporary name and renamed, so readers never see a half-written file.

Where: ``MNIST_CACHE_DIR`` if set (only there); otherwise ``mnist_data/cache/``
next to the package, falling back to ``$XDG_CACHE_HOME/mnist_data`` (default
``~/.cache/mnist_data``) when the package folder is not writable. The data folder
itself is never written to, so a read-only shared data folder works. If no cache
folder is writable, loading still works, just without a cache.
"""
import os
import tempfile
from pathlib import Path

import numpy as np

from . import files
from .idx import COLS, NUM_CLASSES, ROWS

CACHE_DIR_ENV = "MNIST_CACHE_DIR"


def candidate_dirs():
    """Cache folders in order of preference.

    Returns:
    - list of (pathlib.Path, origin phrase) pairs
    """
    env = os.environ.get(CACHE_DIR_ENV, "")
    if env:
        return [(Path(os.path.abspath(os.path.expanduser(env))), f"set by {CACHE_DIR_ENV}")]
    user_root = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return [
        (files.PACKAGE_CACHE_DIR, f"package cache; {CACHE_DIR_ENV} is not set"),
        (Path(os.path.abspath(user_root)) / "mnist_data", "per-user cache (package cache not writable)"),
    ]


def file_name(spec, sha256):
    """Cache file name for the source file described by spec with digest sha256."""
    stem = spec.name[:-3] if spec.name.endswith(".gz") else spec.name
    return f"{stem}.{sha256[:16]}.npy"


def open_cached(path, spec):
    """Map a cache file read-only if it is intact.

    Inputs:
    - path: pathlib.Path of a candidate cache file
    - spec: FileSpec of the source it should hold

    Returns:
    - np.memmap (uint8, (N, 28, 28) or (N,)), or None when missing or damaged
    """
    try:
        arr = np.load(path, mmap_mode="r", allow_pickle=False)
        size = os.path.getsize(path)
    except (OSError, ValueError, EOFError):
        return None  # missing, unreadable, truncated or not an .npy file
    if not isinstance(arr, np.memmap) or arr.dtype != np.uint8:
        return None
    want = (ROWS, COLS) if spec.kind == "images" else ()
    if arr.ndim != 1 + len(want) or arr.shape[1:] != want:
        return None
    if spec.count is not None and arr.shape[0] != spec.count:
        return None
    if size != arr.offset + arr.nbytes:  # trailing bytes: not something we wrote
        return None
    if spec.kind == "labels" and arr.size and int(arr.max()) >= NUM_CLASSES:
        return None
    return arr


def find(spec, sha256):
    """Look for an intact cache file in every candidate folder.

    Returns:
    - (array, path) or (None, None)
    """
    name = file_name(spec, sha256)
    for folder, _ in candidate_dirs():
        arr = open_cached(folder / name, spec)
        if arr is not None:
            return arr, folder / name
    return None, None


def store(spec, sha256, arr):
    """Write arr into the first writable candidate folder.

    Inputs:
    - spec, sha256: identify the source, as for file_name
    - arr: uint8 array parsed from that source

    Returns:
    - pathlib.Path of the written file, or None if no folder was writable
    """
    name = file_name(spec, sha256)
    for folder, _ in candidate_dirs():
        try:
            folder.mkdir(parents=True, exist_ok=True)
            _write_atomic(folder / name, arr)
        except OSError:
            continue
        _prune(folder, name)
        return folder / name
    return None


def _write_atomic(path, arr):
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            np.save(out, np.ascontiguousarray(arr), allow_pickle=False)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes it 0600; the package cache may be shared
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _prune(folder, keep):
    """Remove cache files built from older versions of the same source file."""
    stem = keep.rsplit(".", 2)[0]
    for old in folder.glob(f"{stem}.*.npy"):
        if old.name != keep and old.name.rsplit(".", 2)[0] == stem:
            try:
                old.unlink()
            except OSError:
                pass
