"""Atomic file writes: a crash midway leaves the old file or the new one, never half of one."""
import os
import tempfile
from pathlib import Path


def write_text_atomic(path, text):
    """Write text to path via a temporary file in the same directory and os.replace.

    Inputs:
    - path: destination; its folder is created if needed.
    - text: the whole new content (UTF-8, "\\n" line endings).

    An existing file keeps its permissions; a new one gets 0o644 (mkstemp's 0o600
    would hide results from the TAs who share them).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
