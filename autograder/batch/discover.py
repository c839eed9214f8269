"""Find the submissions of a class folder.

Every entry of the class folder is one student: a folder, a ``.zip`` or a course notebook
(``.ipynb``); the student id is the entry's name without its suffix. An nbgrader course's
``submitted/`` folder is recognised by its shape, ``<student>/<assignment>/<notebook>.ipynb``
with no ``.py`` files: each assignment folder is one submission, graded from its notebook.
When the class holds one assignment, the id is the student's name, otherwise
``<student>/<assignment>``.
"""
from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from autograder import UserError

SUFFIXES = (".zip", ".ipynb")
# Not submissions: editor, OS and notebook debris that sits in class folders.
_JUNK = {"__MACOSX", "__pycache__", ".ipynb_checkpoints", ".git", "Thumbs.db"}
_SEARCH_DEPTH = 4  # folder levels looked at for .py files (as deep as the loader looks)


@dataclass(frozen=True)
class Entry:
    """One submission of the class.

    Attributes:
    - student: the id (``alice``, or ``alice/ps1_losses_gradients`` in a multi-assignment
      nbgrader tree); a relative path of safe names, used as the folder in OUT_DIR.
    - path: what is graded (a folder, a .zip or a .ipynb).
    """

    student: str
    path: Path

    def content_hash(self) -> str:
        """sha256 of what the submission holds (file names and bytes; symlinks by target)."""
        return content_hash(self.path)


def content_hash(path) -> str:
    """sha256 over a file's bytes, or over a folder's relative paths and file contents.

    Inputs:
    - path: a file or a folder (walked in sorted order; symlinks are not followed, their
      target string is hashed; editor and cache folders are skipped).

    Returns:
    - the hex digest.
    """
    path = Path(path)
    digest = hashlib.sha256()
    if path.is_file():
        _hash_file(digest, path)
        return digest.hexdigest()
    for dirpath, dirnames, filenames in os.walk(path, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if d not in _JUNK)
        rel_dir = Path(dirpath).relative_to(path)
        for name in sorted(filenames):
            full = Path(dirpath) / name
            digest.update(b"\0name\0" + (rel_dir / name).as_posix().encode("utf-8", "surrogateescape"))
            try:
                st = full.lstat()
                if stat.S_ISLNK(st.st_mode):
                    digest.update(b"\0link\0" + os.readlink(full).encode("utf-8", "surrogateescape"))
                elif stat.S_ISREG(st.st_mode):
                    _hash_file(digest, full)
            except OSError as exc:  # unreadable: the grader will say so; the key just records it
                digest.update(f"\0error\0{exc.errno}".encode())
    return digest.hexdigest()


def _hash_file(digest, path):
    digest.update(b"\0data\0")
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(2**20), b""):
            digest.update(block)


def _visible(path):
    return not path.name.startswith(".") and path.name not in _JUNK


def _has_python(folder, depth=0):
    try:
        children = list(os.scandir(folder))
    except OSError:
        return False
    for child in children:
        if child.name.startswith(".") or child.name in _JUNK:
            continue
        if child.is_file(follow_symlinks=False) and child.name.endswith(".py"):
            return True
        if child.is_dir(follow_symlinks=False) and depth < _SEARCH_DEPTH and _has_python(child.path, depth + 1):
            return True
    return False


def _notebooks(folder):
    return sorted(p for p in folder.iterdir() if p.suffix == ".ipynb" and p.is_file() and _visible(p))


def _assignments(student_dir):
    """{assignment: notebook or folder} when student_dir looks like nbgrader's submitted/<student>/."""
    if _has_python(student_dir):
        return {}
    found = {}
    for sub in sorted(student_dir.iterdir()):
        if sub.is_dir() and not sub.is_symlink() and _visible(sub):
            notebooks = _notebooks(sub)
            if notebooks:
                named = [nb for nb in notebooks if nb.stem == sub.name]
                # nbgrader names the notebook after its assignment; a lone notebook is that one.
                found[sub.name] = named[0] if named else (notebooks[0] if len(notebooks) == 1 else sub)
    return found


def _entry_target(path):
    """What to grade for a plain class entry: the folder, or the lone notebook in a notebook-only folder."""
    if path.is_dir() and not _has_python(path):
        notebooks = _notebooks(path)
        if len(notebooks) == 1:
            return notebooks[0]
    return path


def discover(class_dir, exclude=()) -> list[Entry]:
    """List the submissions in a class folder, sorted by student id.

    Inputs:
    - class_dir: the class folder (or an nbgrader course's ``submitted/`` folder).
    - exclude: paths inside class_dir that are not submissions (e.g. the output folder).

    Returns:
    - list of Entry, sorted by student id.

    Raises UserError (one line) when class_dir is missing or not a folder, when it holds
    nothing gradable, or when two entries would have the same student id.
    """
    root = Path(class_dir)
    if not root.exists():
        raise UserError(f"no such class folder: {class_dir}")
    if not root.is_dir():
        raise UserError(f"{class_dir}: the class must be a folder (one entry per student)")
    skip = {Path(p).resolve() for p in exclude}
    try:
        children = sorted(p for p in root.iterdir() if _visible(p) and p.resolve() not in skip)
    except OSError as exc:
        raise UserError(f"cannot read class folder {class_dir}: {exc.strerror or exc}") from None
    plain, nbgrader = [], []
    for child in children:
        if child.is_symlink():
            continue  # a link could point anywhere, e.g. at another student's folder
        if child.is_dir():
            assignments = _assignments(child)
            if assignments:
                nbgrader += [(child.name, a, target) for a, target in assignments.items()]
            else:
                plain.append(Entry(child.name, _entry_target(child)))
        elif child.is_file() and child.suffix.lower() in SUFFIXES:
            plain.append(Entry(child.stem, child))
    several = len({a for _, a, _ in nbgrader}) > 1
    entries = plain + [Entry(f"{s}/{a}" if several else s, target) for s, a, target in nbgrader]
    if not entries:
        raise UserError(f"{class_dir}: nothing to grade (expected one folder, .zip or .ipynb per student)")
    seen = {}
    for entry in entries:
        if entry.student in seen:
            raise UserError(f"{class_dir}: two submissions for student {entry.student!r}: "
                            f"{seen[entry.student].name} and {entry.path.name}; keep one")
        seen[entry.student] = entry.path
    return sorted(entries, key=lambda e: e.student)
