"""Book-compatible MNIST loader: ``from mnist_data import load_mnist``.

Drop-in replacement for the book's ``dataset/mnist.py``: same signature, same
shapes and dtypes, so the course's training scripts run unchanged. Unlike the
book's loader it checks every source file against its canonical SHA-256 and
parses the IDX headers strictly, so a truncated or wrong file fails loudly
instead of training on garbage.

How the parts fit:

- ``files``: the four canonical files (:data:`files.MNIST_FILES`), where they are
  looked for (``data_dir=`` argument, else ``MNIST_DATA_DIR``, else
  ``mnist_data/cache/``) and checksum checking.
- ``idx``: strict parser for the gzip'd IDX format (bytes in, arrays out).
- ``download``: fetches missing files from public mirrors, atomically.
- ``cache``: the parsed raw arrays as .npy files, keyed by source SHA-256
  (``MNIST_CACHE_DIR`` overrides where they go).
- ``dataset``: glues the above together for a given list of file specs.
- ``__main__``: ``python -m mnist_data info|verify|download`` for TAs.

Errors are :class:`MNISTError` with a one-line message naming the file or folder
and what to do; argument mistakes raise TypeError.
"""
import numpy as np

from . import dataset
from .errors import DataNotFoundError, MNISTError
from .files import MNIST_FILES
from .idx import COLS, NUM_CLASSES, ROWS

__all__ = ["load_mnist", "cache_paths", "book_format", "MNISTError", "DataNotFoundError"]


def _check_flag(name, value):
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def book_format(x, t, normalize=True, flatten=True, one_hot_label=False):
    """Convert raw uint8 arrays to what the book's load_mnist returns.

    Always returns new writable arrays (the inputs may be read-only memmaps).

    Inputs:
    - x: uint8 images of shape (N, 28, 28) or (N, 784)
    - t: uint8 labels of shape (N,)
    - normalize, flatten, one_hot_label: as for load_mnist

    Returns:
    - x: (N, 784) if flatten else (N, 1, 28, 28); float32 in [0, 1] if normalize
      else uint8
    - t: float64 one-hot of shape (N, 10) if one_hot_label else uint8 of shape (N,)
    """
    normalize = _check_flag("normalize", normalize)
    flatten = _check_flag("flatten", flatten)
    one_hot_label = _check_flag("one_hot_label", one_hot_label)
    x, t = np.asarray(x), np.asarray(t)
    if x.dtype != np.uint8 or t.dtype != np.uint8:
        raise TypeError(f"x and t must be uint8 arrays, got {x.dtype} and {t.dtype}")
    if t.ndim != 1 or x.shape[:1] != t.shape or x.size != t.size * ROWS * COLS:
        raise ValueError(f"x of shape {x.shape} and t of shape {t.shape} are not N images with N labels")
    if normalize:
        # Same arithmetic as the book (astype(float32), then /= 255.0), in one pass.
        x = np.divide(x, np.float32(255.0), dtype=np.float32)
    else:
        x = np.array(x)
    x = x.reshape(-1, ROWS * COLS) if flatten else x.reshape(-1, 1, ROWS, COLS)
    if one_hot_label:
        # The book builds T = np.zeros((N, 10)) (float64) and sets one 1 per row.
        one_hot = np.zeros((t.size, NUM_CLASSES))
        one_hot[np.arange(t.size), t] = 1
        t = one_hot
    else:
        t = np.array(t)
    return x, t


def load_mnist(normalize=True, flatten=True, one_hot_label=False, data_dir=None):
    """Load MNIST exactly like the book's ``dataset.mnist.load_mnist``.

    The four canonical .gz files are read from ``data_dir``, else from the folder
    in the ``MNIST_DATA_DIR`` environment variable, else from ``mnist_data/cache/``;
    missing files are downloaded there. Each file's SHA-256 is checked on every
    call; parsed arrays are cached (see ``mnist_data.cache``), so repeated calls
    are fast.

    Inputs:
    - normalize: scale pixels to float32 in [0, 1] (x / 255.0); else keep uint8 0..255
    - flatten: images as rows of 784; else as (1, 28, 28) arrays
    - one_hot_label: labels as float64 one-hot rows of 10; else uint8 digits
    - data_dir: optional str or path of the folder with the .gz files

    Returns:
    - (x_train, t_train), (x_test, t_test) with
      x_train: (60000, 784) or (60000, 1, 28, 28); x_test: (10000, ...) likewise
      t_train: (60000,) or (60000, 10); t_test: (10000,) or (10000, 10)

    Raises MNISTError when a file is missing and cannot be downloaded, or is damaged.
    """
    for name, value in (("normalize", normalize), ("flatten", flatten), ("one_hot_label", one_hot_label)):
        _check_flag(name, value)
    arrays, _ = dataset.load_arrays(data_dir, MNIST_FILES)
    train = book_format(arrays["x_train"], arrays["t_train"], normalize, flatten, one_hot_label)
    test = book_format(arrays["x_test"], arrays["t_test"], normalize, flatten, one_hot_label)
    return train, test


def cache_paths(data_dir=None, *, download=True):
    """Verify the data, build the cache if needed, and return the cache files.

    Meant for handing MNIST to another process cheaply: each path is a plain
    .npy file that ``np.load(path, mmap_mode='r')`` maps without copying; pass
    the arrays through :func:`book_format` to get what load_mnist returns.
    The files are replaced atomically and never modified in place, so an open
    mapping stays valid.

    Inputs:
    - data_dir: as for load_mnist
    - download: False never fetches missing files: DataNotFoundError when none is there

    Returns:
    - dict with keys 'x_train', 't_train', 'x_test', 't_test' mapping to absolute
      pathlib.Path objects; x_* hold uint8 (N, 28, 28), t_* hold uint8 (N,)

    Raises MNISTError as load_mnist does, and also when no cache folder is writable.
    """
    _, files = dataset.load_arrays(data_dir, MNIST_FILES, fetch_missing=download)
    if any(path is None for path in files.values()):
        from .cache import CACHE_DIR_ENV, candidate_dirs

        tried = ", ".join(str(folder) for folder, _ in candidate_dirs())
        raise MNISTError(f"cannot write the MNIST cache in {tried}; set {CACHE_DIR_ENV} to a writable folder")
    return files
