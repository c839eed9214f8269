"""Strict parser for the IDX format used by the MNIST files.

Pure functions on bytes; they know nothing about paths, checksums or caching.
Every problem raises :class:`IDXError` (a ValueError) with a short reason, which
callers turn into an :class:`mnist_data.MNISTError` naming the file.

IDX layout (big-endian): a 4-byte magic number (2051 for 3-d unsigned-byte image
files, 2049 for 1-d unsigned-byte label files), one 4-byte size per dimension,
then the raw bytes.
"""
import gzip
import struct
import zlib

import numpy as np

IMAGES_MAGIC = 2051
LABELS_MAGIC = 2049
ROWS = COLS = 28
NUM_CLASSES = 10


class IDXError(ValueError):
    """The bytes are not a well-formed MNIST IDX (or gzip) stream."""


def gunzip(data):
    """Decompress a complete gzip stream.

    Inputs:
    - data: bytes of a .gz file

    Returns:
    - bytes: the decompressed contents

    Raises IDXError if the stream is not gzip, is corrupt, or is cut short.
    """
    if data[:2] != b"\x1f\x8b":
        raise IDXError("not a gzip file")
    try:
        return gzip.decompress(data)
    except EOFError:
        raise IDXError("gzip stream is truncated") from None
    except (OSError, zlib.error) as exc:  # BadGzipFile is an OSError
        raise IDXError(f"gzip data is corrupt ({exc})") from None


def _header(raw, magic, ndim):
    """Check the magic number and return the ndim dimension sizes."""
    size = 4 * (1 + ndim)
    if len(raw) < size:
        raise IDXError(f"file is {len(raw)} bytes, shorter than the {size}-byte IDX header")
    got_magic, *dims = struct.unpack(f">{1 + ndim}I", raw[:size])
    if got_magic != magic:
        raise IDXError(f"IDX magic number is {got_magic}, expected {magic}")
    return dims, size


def _payload(raw, offset, expected):
    """Return the payload after the header, insisting on exactly `expected` bytes."""
    got = len(raw) - offset
    if got < expected:
        raise IDXError(f"payload is truncated: {got} bytes, the header promises {expected}")
    if got > expected:
        raise IDXError(f"{got - expected} unexpected trailing bytes after the payload")
    return np.frombuffer(raw, dtype=np.uint8, offset=offset)


def _check_count(n, count, what):
    if count is not None and n != count:
        raise IDXError(f"header says {n} {what}, expected {count}")


def parse_images(raw, count=None):
    """Parse a decompressed IDX image file.

    Inputs:
    - raw: bytes of the decompressed file
    - count: expected number of images, or None to accept what the header says

    Returns:
    - x: read-only uint8 array of shape (N, 28, 28) viewing `raw`
    """
    (n, rows, cols), offset = _header(raw, IMAGES_MAGIC, 3)
    _check_count(n, count, "images")
    if (rows, cols) != (ROWS, COLS):
        raise IDXError(f"images are {rows}x{cols}, expected {ROWS}x{COLS}")
    return _payload(raw, offset, n * rows * cols).reshape(n, rows, cols)


def parse_labels(raw, count=None):
    """Parse a decompressed IDX label file.

    Inputs:
    - raw: bytes of the decompressed file
    - count: expected number of labels, or None to accept what the header says

    Returns:
    - t: read-only uint8 array of shape (N,) with values in 0..9
    """
    (n,), offset = _header(raw, LABELS_MAGIC, 1)
    _check_count(n, count, "labels")
    t = _payload(raw, offset, n)
    # One-hot encoding indexes with the labels, so an out-of-range value must stop here.
    if t.size and int(t.max()) >= NUM_CLASSES:
        raise IDXError(f"label value {int(t.max())} is out of range 0..{NUM_CLASSES - 1}")
    return t


def parse(raw, kind, count=None):
    """Dispatch to parse_images / parse_labels by kind ('images' or 'labels')."""
    if kind == "images":
        return parse_images(raw, count)
    if kind == "labels":
        return parse_labels(raw, count)
    raise ValueError(f"kind must be 'images' or 'labels', got {kind!r}")
