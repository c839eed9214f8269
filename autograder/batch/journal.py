"""The batch journal: finished gradings, content-addressed, for resuming after a crash.

A grading is reused only when its key is unchanged. The key is a hash of the student id,
the submission's content, the kit (the source of the grader, checks and reference
solutions, and the versions of Python and numpy) and every grading option (all
``GradeOptions`` fields, so options added later count too, plus the report language).
Each finished grading is one file ``OUT_DIR/.dlgrade-journal/<key>.json``, written
atomically after the student's own files, so a run killed at any moment (even kill -9)
leaves only whole entries behind, and the same command grades what is missing.
"""
from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
import platform
from importlib import metadata
from pathlib import Path

import numpy as np

from autograder.atomic import write_text_atomic
from autograder.batch.records import SubmissionRecord

JOURNAL_DIR = ".dlgrade-journal"
_KIT_PACKAGES = ("autograder", "mnist_data")  # and the reference (autograder.reference), when installed
_KIT_SUFFIXES = {".py", ".toml", ".ini"}


def _kit_folders() -> dict:
    """{package name: folder} of the code that decides a verdict, wherever it is installed."""
    import importlib

    from autograder import reference

    folders = {name: Path(importlib.import_module(name).__file__).resolve().parent for name in _KIT_PACKAGES}
    if reference.available():
        folders[reference.PACKAGE] = reference.directory()
    return folders


@functools.lru_cache(maxsize=1)
def kit_fingerprint() -> str:
    """Hash of everything that decides a verdict: the kit's sources and numpy/Python versions."""
    digest = hashlib.sha256()
    try:
        version = metadata.version("dlscratch-kit")
    except metadata.PackageNotFoundError:
        version = "unknown"
    digest.update(f"{version}\0{platform.python_version()}\0{np.__version__}\0".encode())
    for package, folder in _kit_folders().items():
        _hash_sources(digest, folder, package)
    return digest.hexdigest()


def _hash_sources(digest, folder: Path, label: str) -> None:
    """Feed the names (as ``label/relative path``) and bytes of folder's source files into digest."""
    for path in sorted(Path(folder).rglob("*")):
        if path.suffix in _KIT_SUFFIXES and "__pycache__" not in path.parts and path.is_file():
            digest.update(f"{label}/{path.relative_to(folder).as_posix()}\0".encode())
            digest.update(path.read_bytes() + b"\0")


def checks_fingerprint(checks_dir) -> str:
    """Hash of another check suite's sources (``--checks DIR``): its content, wherever it lies."""
    digest = hashlib.sha256()
    _hash_sources(digest, Path(checks_dir), "checks")
    return digest.hexdigest()


def _plain(value):
    """JSON-able form of option values (sets sorted, paths as strings)."""
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot put {type(value).__name__} into a journal key")


def options_fingerprint(options, lang: str = "en") -> str:
    """Canonical JSON of every grading option (the rubric's file name does not count, its content does).

    Inputs:
    - options: a GradeOptions (any dataclass).
    - lang: the report language.
    """
    data = dataclasses.asdict(options)
    if isinstance(data.get("rubric"), dict):
        data["rubric"].pop("source", None)
    data.pop("junit_path", None)  # where a report goes does not change a verdict
    if data.get("checks_dir"):  # another check suite (--checks): what its checks say counts, not where
        data["checks_dir"] = checks_fingerprint(data["checks_dir"])
    data["lang"] = lang
    # The course secret may also come from the environment; only its fingerprint enters the key.
    from autograder import seeds

    secret = os.environ.get(seeds.SECRET_ENV, "")
    data["secret"] = seeds.fingerprint(secret) if secret else ""
    return json.dumps(data, sort_keys=True, default=_plain)


def entry_key(student: str, content: str, kit: str, options_fp: str) -> str:
    """The journal key of one grading: sha256 over student id, content hash, kit and options."""
    return hashlib.sha256("\0".join([student, content, kit, options_fp]).encode("utf-8", "surrogateescape")).hexdigest()


class Journal:
    """Finished gradings under ``OUT_DIR/.dlgrade-journal/``.

    Inputs:
    - out_dir: the batch's output folder.
    """

    def __init__(self, out_dir):
        self.dir = Path(out_dir) / JOURNAL_DIR

    def _path(self, key):
        if not key or not all(c in "0123456789abcdef" for c in key):
            raise ValueError(f"a journal key is a hex digest, got {key!r}")
        return self.dir / f"{key}.json"

    def get(self, key: str) -> SubmissionRecord | None:
        """The record stored under key, or None (also for an unreadable entry: it is regraded)."""
        try:
            data = json.loads(self._path(key).read_text(encoding="utf-8"))
            record = SubmissionRecord.from_dict(data)
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return record if record.key == key else None

    def put(self, record: SubmissionRecord) -> None:
        """Store a finished grading (atomically)."""
        write_text_atomic(self._path(record.key), json.dumps(record.to_dict(), ensure_ascii=False) + "\n")

    def prune(self, keep) -> int:
        """Delete entries whose key is not in keep (superseded gradings); return how many."""
        keep = set(keep)
        removed = 0
        if self.dir.is_dir():
            for path in self.dir.glob("*.json"):
                if path.stem not in keep:
                    path.unlink(missing_ok=True)
                    removed += 1
        return removed
