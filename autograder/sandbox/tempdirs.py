"""The grader's private temporary folder, and the removal of what killed graders left behind.

Every grader process keeps all its temporary files (submission copies, layouts, worker
output, the workers' code) under one folder, ``$TMPDIR/dlgrade-<uid>/run-<pid>-<random>``,
mode 0700 unless a worker uid must traverse it (see :func:`make_traversable`). The folder
holds a lock file that the grader keeps locked (``flock``) for its lifetime, so the next
grader that starts can tell a live run from a dead one and removes the dead ones: grading
leaves nothing behind, even when the grader was SIGKILLed.
"""
from __future__ import annotations

import atexit
import fcntl
import os
import secrets
import shutil
import tempfile
import threading
from pathlib import Path

_LOCK_NAME = ".lock"
_lock = threading.Lock()
_state: dict = {}


def base_dir() -> Path:
    """The folder holding every grader's run folder (one per grader process)."""
    return Path(tempfile.gettempdir()) / f"dlgrade-{os.geteuid()}"


def run_dir() -> Path:
    """This process's private run folder, created (and dead runs removed) on first use."""
    with _lock:
        if _state.get("pid") == os.getpid():
            return _state["dir"]
        base = base_dir()
        base.mkdir(mode=0o711, exist_ok=True)
        st = base.lstat()
        if st.st_uid != os.geteuid() or not os.path.isdir(base) or os.path.islink(base):
            raise RuntimeError(f"{base} belongs to another user or is not a folder; remove it")
        os.chmod(base, 0o711)  # workers with their own uid may traverse, never list
        remove_dead_runs(base)
        name = f"{os.getpid()}-{secrets.token_hex(6)}"
        # Locked before it gets its "run-" name: no other grader ever sees it unlocked.
        new = base / f".new-{name}"
        new.mkdir(mode=0o700)
        fd = os.open(new / _LOCK_NAME, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        path = base / f"run-{name}"
        os.rename(new, path)
        _state.update(pid=os.getpid(), dir=path, fd=fd)
        atexit.register(_remove, path, fd)
        return path


def remove_dead_runs(base: Path | None = None) -> list[Path]:
    """Remove the run folders whose grader is gone (their lock is free); returns them."""
    base = base or base_dir()
    removed = []
    try:
        entries = list(base.iterdir())
    except OSError:
        return removed
    for path in entries:
        if not path.name.startswith("run-") or path.is_symlink() or not path.is_dir():
            continue
        try:
            fd = os.open(path / _LOCK_NAME, os.O_RDWR | os.O_CLOEXEC)
        except FileNotFoundError:  # killed before it made its lock (or already being removed)
            fd = None
        except OSError:
            continue
        try:
            if fd is not None:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # locked: a live grader
            os.close(fd)
            continue
        shutil.rmtree(path, ignore_errors=True)
        if fd is not None:
            os.close(fd)
        removed.append(path)
    return removed


SHARED_TMP = ("/tmp", "/var/tmp", "/dev/shm")  # where any uid may write without namespaces


def remove_files_of(uids, *, folders=SHARED_TMP) -> int:
    """Remove what processes of ``uids`` (a container of uids) wrote into the shared temp folders.

    Only entries owned by one of those uids are removed (with all they contain), so the files
    of everyone else stay. Returns the number of entries removed.
    """
    removed = 0
    for folder in folders:
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            try:
                owner = entry.stat(follow_symlinks=False).st_uid
            except OSError:
                continue
            if owner not in uids:
                continue
            try:
                if entry.is_dir(follow_symlinks=False):
                    shutil.rmtree(entry.path, ignore_errors=True)
                else:
                    os.unlink(entry.path)
                removed += 1
            except OSError:
                pass
    return removed


def make_traversable(path: Path) -> None:
    """Let other uids pass through ``path`` (mode 0711: enter by name, never list)."""
    os.chmod(path, 0o711)


def _remove(path, fd):
    if _state.get("pid") != os.getpid():  # a forked child must not remove its parent's files
        return
    shutil.rmtree(path, ignore_errors=True)
    os.close(fd)


def mkdtemp(prefix: str) -> str:
    """A new private folder inside this process's run folder."""
    return tempfile.mkdtemp(prefix=prefix, dir=run_dir())
