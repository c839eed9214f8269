"""Exceptions raised by :mod:`mnist_data`.

``mnist_data`` does not depend on the autograder; callers such as the ``dlgrade``
CLI map :class:`MNISTError` onto their own one-line error handling.
"""


class MNISTError(Exception):
    """The MNIST files cannot be used: missing, damaged, or the download failed.

    The message is a single line that names the file or folder and says what to do.
    """


class DamagedFileError(MNISTError):
    """One data file exists but is not a good canonical copy.

    Attributes:
    - path: pathlib.Path of the offending file
    - reason: short description of what is wrong (no advice), e.g. for ``verify``
    """

    def __init__(self, path, reason):
        self.path = path
        self.reason = reason
        super().__init__(
            f"{path} is damaged or not the canonical MNIST file: {reason}. "
            f"Delete it and run `python -m mnist_data download`, "
            f"or point MNIST_DATA_DIR at a folder with good copies."
        )


class DataNotFoundError(MNISTError):
    """None of the four files is in the data folder (and nothing was downloaded).

    The data was never put there: not a damaged or half-copied folder, which is a plain
    :class:`MNISTError`. Callers that can do without the data (the grader leaves the
    accuracy gate out) catch this one only.

    Attributes:
    - folder: pathlib.Path of the data folder looked in
    - origin: where that folder came from (see files.resolve_data_dir)
    """

    def __init__(self, folder, origin):
        self.folder = folder
        self.origin = origin
        where = f"{folder} ({origin})" + ("" if folder.is_dir() else ", which does not exist")
        super().__init__(f"no MNIST files in {where}")
