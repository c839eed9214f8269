"""Which files make up MNIST, where they are looked for, and checking their bytes.

The four canonical gzip files are described by :data:`MNIST_FILES`. Lower layers
take a sequence of :class:`FileSpec` instead of reading the constant, so tests
can run the same code on small synthetic files with their own checksums; the
public API always passes :data:`MNIST_FILES`.
"""
import hashlib
import os
from pathlib import Path
from typing import NamedTuple, Optional

from .errors import DamagedFileError

DATA_DIR_ENV = "MNIST_DATA_DIR"
#: Default data folder when neither ``data_dir=`` nor MNIST_DATA_DIR is given
#: (git-ignored; created only when something is downloaded into it).
PACKAGE_CACHE_DIR = Path(__file__).resolve().parent / "cache"


class FileSpec(NamedTuple):
    """One data file.

    - key: name of the array it holds: 'x_train', 't_train', 'x_test' or 't_test'
    - name: file name inside the data folder
    - kind: 'images' or 'labels'
    - count: number of items the IDX header must declare (None: any)
    - size: exact size of the .gz file in bytes (None: any)
    - sha256: hex SHA-256 of the .gz file
    """

    key: str
    name: str
    kind: str
    count: Optional[int]
    size: Optional[int]
    sha256: str


MNIST_FILES = (
    FileSpec("x_train", "train-images-idx3-ubyte.gz", "images", 60000, 9912422,
             "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609"),
    FileSpec("t_train", "train-labels-idx1-ubyte.gz", "labels", 60000, 28881,
             "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c"),
    FileSpec("x_test", "t10k-images-idx3-ubyte.gz", "images", 10000, 1648877,
             "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"),
    FileSpec("t_test", "t10k-labels-idx1-ubyte.gz", "labels", 10000, 4542,
             "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"),
)

#: Images of each digit 0..9 in the canonical label files (used by ``verify``).
LABEL_COUNTS = {
    "t_train": (5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949),
    "t_test": (980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009),
}

#: Image file key -> label file key, for the "same number of images and labels" check.
PAIRS = (("x_train", "t_train"), ("x_test", "t_test"))


def resolve_data_dir(data_dir=None):
    """Decide which folder holds the .gz files.

    Inputs:
    - data_dir: str, os.PathLike or None

    Returns:
    - (path, origin): absolute pathlib.Path and a short phrase saying where it came
      from, for messages (always mentions MNIST_DATA_DIR)
    """
    if data_dir is not None:
        if not isinstance(data_dir, (str, os.PathLike)):
            raise TypeError(f"data_dir must be a str, a path or None, got {type(data_dir).__name__}")
        return Path(os.path.abspath(os.path.expanduser(data_dir))), "given as data_dir; MNIST_DATA_DIR ignored"
    env = os.environ.get(DATA_DIR_ENV, "")
    if env:
        return Path(os.path.abspath(os.path.expanduser(env))), f"set by {DATA_DIR_ENV}"
    return PACKAGE_CACHE_DIR, f"default location; {DATA_DIR_ENV} is not set"


def read_verified(path, spec):
    """Read a .gz file and check its size and SHA-256 against the spec.

    Inputs:
    - path: pathlib.Path of an existing file
    - spec: FileSpec

    Returns:
    - (data, sha256): the file's bytes and hex digest

    Raises DamagedFileError naming the file when it does not match.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DamagedFileError(path, f"cannot be read ({exc.strerror or exc})") from None
    if spec.size is not None and len(data) != spec.size:
        hint = "truncated download?" if len(data) < spec.size else "wrong file?"
        raise DamagedFileError(path, f"it is {len(data):,} bytes, expected {spec.size:,} ({hint})")
    digest = hashlib.sha256(data).hexdigest()
    if digest != spec.sha256:
        raise DamagedFileError(path, f"SHA-256 is {digest}, expected {spec.sha256}")
    return data, digest
