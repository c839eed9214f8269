"""Fetching missing MNIST files from public mirrors.

Each file is streamed into a hidden temporary file in the destination folder,
hashed on the way, and renamed to its final name only when its size and SHA-256
match the spec, so a half-finished or wrong download is never picked up by a
later load. A mirror that fails (unreachable, HTTP error, timeout, wrong bytes)
is skipped and the next one is tried.
"""
import hashlib
import http.client
import os
import tempfile
import urllib.error
import urllib.request

from .errors import MNISTError

#: Base URLs tried in order; each must serve the canonical file names.
MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)
#: Seconds allowed for connecting and for each read, so an offline machine fails fast.
TIMEOUT = 20.0
_CHUNK = 1 << 16


class DownloadError(MNISTError):
    """No mirror delivered a good copy of a file."""


class _MirrorFailed(Exception):
    """This mirror did not work; try the next one."""


def fetch(spec, dest_dir, *, mirrors=None, timeout=None, progress=None):
    """Download one file into dest_dir, trying each mirror in turn.

    Inputs:
    - spec: FileSpec of the file to fetch
    - dest_dir: pathlib.Path of the data folder (created if needed)
    - mirrors: sequence of base URLs; None means MIRRORS
    - timeout: seconds per network operation; None means TIMEOUT
    - progress: True/False to show/hide the tqdm bar; None shows it on a terminal

    Returns:
    - pathlib.Path of the verified file, dest_dir / spec.name

    Raises DownloadError when every mirror fails, MNISTError when dest_dir cannot
    be written.
    """
    mirrors = MIRRORS if mirrors is None else mirrors
    timeout = TIMEOUT if timeout is None else timeout
    failures = []
    for base in mirrors:
        url = base.rstrip("/") + "/" + spec.name
        try:
            return _fetch_one(url, spec, dest_dir, timeout, progress)
        except _MirrorFailed as exc:
            failures.append(str(exc))
    last = failures[-1] if failures else "no mirrors configured"
    raise DownloadError(
        f"could not download {spec.name} from any of {len(mirrors)} mirror(s) (last error: {last})"
    )


def _open(url, timeout):
    try:
        return urllib.request.urlopen(url, timeout=timeout)
    except urllib.error.HTTPError as exc:
        raise _MirrorFailed(f"HTTP {exc.code}") from None
    except urllib.error.URLError as exc:
        raise _MirrorFailed(str(exc.reason)) from None
    except (OSError, http.client.HTTPException, ValueError) as exc:
        raise _MirrorFailed(str(exc) or type(exc).__name__) from None


def _read(response, n):
    try:
        return response.read(n)
    except (OSError, http.client.HTTPException) as exc:  # timeouts are OSErrors
        raise _MirrorFailed(f"transfer interrupted ({exc or type(exc).__name__})") from None


def _fetch_one(url, spec, dest_dir, timeout, progress):
    from tqdm.auto import tqdm  # only needed when downloading

    with _open(url, timeout) as response:
        total = int(response.headers.get("Content-Length") or 0) or spec.size
        try:
            dest_dir.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=dest_dir, prefix=f".{spec.name}.", suffix=".part")
        except OSError as exc:
            raise MNISTError(
                f"cannot write to {dest_dir} ({exc.strerror or exc}); "
                f"set MNIST_DATA_DIR to a writable folder or copy the MNIST files there"
            ) from None
        try:
            digest = hashlib.sha256()
            received = 0
            with os.fdopen(fd, "wb") as out, tqdm(
                total=total, unit="B", unit_scale=True, unit_divisor=1024,
                desc=spec.name, disable=None if progress is None else not progress,
            ) as bar:
                while chunk := _read(response, _CHUNK):
                    received += len(chunk)
                    # A mirror serving something huge must not fill the disk.
                    if spec.size is not None and received > spec.size:
                        raise _MirrorFailed(f"served more than the expected {spec.size:,} bytes")
                    digest.update(chunk)
                    out.write(chunk)
                    bar.update(len(chunk))
                out.flush()
                os.fsync(out.fileno())
            if spec.size is not None and received != spec.size:
                raise _MirrorFailed(f"served {received:,} bytes, expected {spec.size:,}")
            if digest.hexdigest() != spec.sha256:
                raise _MirrorFailed("served a file with the wrong SHA-256")
            os.chmod(tmp, 0o644)  # mkstemp makes it 0600; the data folder may be shared
            final = dest_dir / spec.name
            os.replace(tmp, final)
            tmp = None
            return final
        except OSError as exc:  # network errors were already turned into _MirrorFailed
            raise MNISTError(
                f"cannot write {dest_dir / spec.name} ({exc.strerror or exc}); "
                f"free some space or set MNIST_DATA_DIR to a writable folder"
            ) from None
        finally:
            if tmp is not None:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass
