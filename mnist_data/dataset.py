"""Putting the pieces together: find or download the files, verify, parse, cache.

Every function takes the file specs as an argument (the public API passes
:data:`mnist_data.files.MNIST_FILES`), so tests can drive the whole pipeline with
small synthetic IDX files and their own checksums.
"""
import numpy as np

from . import cache, download
from .errors import DamagedFileError, DataNotFoundError, MNISTError
from .files import PAIRS, read_verified, resolve_data_dir
from .idx import NUM_CLASSES, IDXError, gunzip, parse


def ensure_present(folder, origin, specs, *, progress=None, fetch_missing=True):
    """Download whichever files are missing from folder.

    Inputs:
    - folder, origin: as returned by files.resolve_data_dir
    - specs: sequence of FileSpec
    - progress: passed to download.fetch
    - fetch_missing: False only looks: nothing is downloaded

    Returns:
    - dict key -> pathlib.Path of each file (present, not yet verified)

    Raises MNISTError naming the folder and MNIST_DATA_DIR if a download fails; without
    fetch_missing, DataNotFoundError when none of the files is there, MNISTError when only some are.
    """
    missing = [s for s in specs if not (folder / s.name).is_file()]
    if missing and not fetch_missing:
        raise _not_present(folder, origin, missing, specs)
    for i, spec in enumerate(missing):
        try:
            download.fetch(spec, folder, progress=progress)
        except download.DownloadError as exc:
            raise MNISTError(_missing_message(folder, origin, missing[i:], specs, exc)) from None
    return {s.key: folder / s.name for s in specs}


def _not_present(folder, origin, missing, specs):
    """The error for files missing where nothing may be downloaded.

    Nothing there at all is "not found"; some files, or uncompressed copies, are a folder
    the user must fix (an interrupted copy, unpacked files), never mistaken for no data.
    """
    unpacked = any((folder / s.name[:-3]).is_file() for s in missing if s.name.endswith(".gz"))
    if len(missing) < len(specs) or unpacked:
        names = ", ".join(s.name for s in missing)
        extra = " (it has uncompressed copies, but the original .gz files are needed)" if unpacked else ""
        return MNISTError(
            f"{folder} ({origin}) lacks {names}{extra}. Run `python -m mnist_data download` to fetch "
            f"the missing files there, or point MNIST_DATA_DIR at a folder with all four."
        )
    return DataNotFoundError(folder, origin)


def _missing_message(folder, origin, missing, specs, reason):
    if len(missing) == len(specs):
        what = "The MNIST files are"
    else:
        what = ", ".join(s.name for s in missing) + (" is" if len(missing) == 1 else " are")
    where = f"{folder} ({origin})"
    if not folder.is_dir():
        where += ", which does not exist"
    elif any((folder / s.name[:-3]).is_file() for s in missing if s.name.endswith(".gz")):
        where += "; it has uncompressed copies, but the original .gz files are needed"
    return (
        f"{what} missing from {where}, and downloading failed: {reason}. "
        f"Put the four MNIST .gz files in {folder}, or set MNIST_DATA_DIR to a folder that has them."
    )


def parse_file(path, data, spec):
    """Decompress and parse the verified bytes of one file.

    Returns:
    - read-only uint8 array, (N, 28, 28) for images or (N,) for labels

    Raises DamagedFileError naming path.
    """
    try:
        return parse(gunzip(data), spec.kind, spec.count)
    except IDXError as exc:
        raise DamagedFileError(path, str(exc)) from None


def check_pairs(arrays, sources):
    """Raise MNISTError if an image file and its label file disagree on N."""
    for x_key, t_key in PAIRS:
        if x_key in arrays and t_key in arrays and len(arrays[x_key]) != len(arrays[t_key]):
            raise MNISTError(
                f"{sources[x_key]} holds {len(arrays[x_key])} images but {sources[t_key]} holds "
                f"{len(arrays[t_key])} labels; they do not belong together. Delete them and run "
                f"`python -m mnist_data download`, or point MNIST_DATA_DIR at a folder with good copies."
            )


def load_arrays(data_dir, specs, *, use_cache=True, progress=None, fetch_missing=True):
    """Return the raw arrays of all files, from the cache when possible.

    Inputs:
    - data_dir: str, path or None (see files.resolve_data_dir)
    - specs: sequence of FileSpec
    - use_cache: False skips reading and writing the cache (CLI verify, tests)
    - progress: passed to download.fetch
    - fetch_missing: False never downloads a missing file (see ensure_present)

    Returns:
    - arrays: dict key -> read-only uint8 array (an np.memmap when cached);
      images (N, 28, 28), labels (N,)
    - cache_files: dict key -> pathlib.Path of the cache file, or None if the
      array could not be cached
    """
    folder, origin = resolve_data_dir(data_dir)
    sources = ensure_present(folder, origin, specs, progress=progress, fetch_missing=fetch_missing)
    arrays, cache_files = {}, {}
    for spec in specs:
        # Hashing the .gz on every load (about 6 ms for all four files with
        # hardware SHA) is what lets the cache be keyed by content.
        data, sha = read_verified(sources[spec.key], spec)
        arr, where = cache.find(spec, sha) if use_cache else (None, None)
        if arr is None:
            arr = parse_file(sources[spec.key], data, spec)
            where = cache.store(spec, sha, arr) if use_cache else None
        arrays[spec.key], cache_files[spec.key] = arr, where
    check_pairs(arrays, sources)
    return arrays, cache_files


def verify_file(path, spec, label_counts=None):
    """Fully check one file: size, SHA-256, gzip, IDX header, payload, label counts.

    Inputs:
    - path: pathlib.Path
    - spec: FileSpec
    - label_counts: expected number of each digit 0..9 for a label file, or None

    Returns:
    - (array, summary): the parsed array and a short description for reports

    Raises DamagedFileError naming path.
    """
    if not path.is_file():
        raise DamagedFileError(path, "missing")
    data, _ = read_verified(path, spec)
    arr = parse_file(path, data, spec)
    if spec.kind == "images":
        return arr, f"{len(arr)} images {arr.shape[1]}x{arr.shape[2]}"
    counts = np.bincount(arr, minlength=NUM_CLASSES).tolist()
    if label_counts is not None and counts != list(label_counts):
        raise DamagedFileError(path, f"label counts {counts}, expected {list(label_counts)}")
    return arr, f"{len(arr)} labels, counts per digit {counts}"
