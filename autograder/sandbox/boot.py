"""What a sandboxed worker runs: read-only copies of the worker's code, and its Python runtime.

The worker imports its own code (``autograder._worker_main`` and the few modules it needs)
before any student code runs. In a sandbox that code comes from copies made once per grader
process in the grader's private run folder (see ``tempdirs``), never from the kit itself:
student code can neither read the kit through them nor change what the grader imports.

The runtime is the base interpreter and the site-packages entries the grader's own
environment has, except the kit's (its packages, its editable-install hook and metadata),
found from the installed distribution's file list.
"""
from __future__ import annotations

import functools
import glob
import importlib.metadata
import os
import shutil
import site
import sys
import sysconfig
from pathlib import Path

from autograder.sandbox import tempdirs

# The modules a worker imports from the kit (relative to the folder holding ``autograder``).
WORKER_MODULES = (
    "autograder/__init__.py", "autograder/_worker_main.py", "autograder/wire.py",
    "autograder/probes.py", "autograder/numgrad.py", "autograder/callstyle.py",
    "autograder/sandbox/__init__.py", "autograder/sandbox/frame.py", "autograder/workermsg.py",
)
DISTRIBUTION = "dlscratch-kit"
_PACKAGE_PARENT = Path(__file__).resolve().parent.parent.parent


@functools.lru_cache(maxsize=1)
def worker_code_dir() -> Path:
    """A read-only copy of the worker's modules, made once per grader process."""
    target = Path(tempdirs.mkdtemp("boot-"))
    for rel in WORKER_MODULES:
        dest = target / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(_PACKAGE_PARENT / rel, dest)
    return target


@functools.lru_cache(maxsize=1)
def kit_names() -> frozenset:
    """Top-level names the kit's distribution installs into site-packages (to hide)."""
    names = {"autograder", "dlscratch_reference", "solutions", "exercises", "mnist_data"}
    try:
        dist = importlib.metadata.distribution(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        return frozenset(names)
    names.update(Path(str(f)).parts[0] for f in dist.files or () if Path(str(f)).parts)
    return frozenset(names)


@functools.lru_cache(maxsize=1)
def site_dirs() -> list:
    """The site-packages folders of the grader's environment, and the folders their ``.pth``
    files add (how conda-develop, ``pip install --user`` setups and some venvs provide numpy).

    Workers start with ``python -I -S``, so these are all they see of the environment. A
    folder added by a ``.pth`` line is left out when it holds the kit or the reference (an
    old-style editable install adds the repository itself): binding it would show the
    solutions to student code.
    """
    dirs = list(site.getsitepackages())
    if site.ENABLE_USER_SITE and site.getusersitepackages() in sys.path:
        dirs.append(site.getusersitepackages())
    dirs = [d for d in dict.fromkeys(dirs) if os.path.isdir(d)]
    markers = [name for name in kit_names() if name.isidentifier()]  # packages, not dist-info or ../bin
    for folder in list(dirs):
        for path in _pth_dirs(folder):
            if path not in dirs and not any(os.path.exists(os.path.join(path, name)) for name in markers):
                dirs.append(path)
    return dirs


def _pth_dirs(folder: str) -> list:
    """The folders the ``.pth`` files in ``folder`` add to sys.path (their plain lines, as
    ``site.addsitedir`` reads them; ``import`` lines run code and add nothing here)."""
    found = []
    for name in sorted(os.listdir(folder)):
        if not name.endswith(".pth"):
            continue
        try:
            lines = Path(folder, name).read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            continue
        for line in lines:
            line = line.strip()
            if not line or line.startswith("#") or line.startswith(("import ", "import\t")):
                continue
            path = os.path.realpath(os.path.join(folder, line))
            if os.path.isdir(path):
                found.append(path)
    return found


@functools.lru_cache(maxsize=1)
def kit_entries() -> tuple:
    """Paths in the site-packages folders that belong to the kit (its packages, editable hook, .pth)."""
    hidden = kit_names()
    found = []
    for folder in site_dirs():
        for name in sorted(os.listdir(folder)):
            if name in hidden or name.startswith("__editable__") or name.endswith(".pth"):
                found.append(os.path.join(folder, name))
    return tuple(found)


def interpreter() -> str:
    """The base interpreter (a virtualenv's python is a link to it)."""
    return os.path.realpath(getattr(sys, "_base_executable", None) or sys.executable)


def runtime_prefix() -> str:
    return os.path.realpath(sys.base_prefix)


@functools.lru_cache(maxsize=1)
def hidden_site_dirs() -> tuple:
    """Site-packages folders inside the runtime's trees, to cover: a kit installed there stays hidden."""
    patterns = [os.path.join(runtime_prefix(), "lib", "python3*", "site-packages"),
                "/usr/lib/python3*/dist-packages", "/usr/lib/python3*/site-packages",
                "/usr/local/lib/python3*/dist-packages", "/usr/local/lib/python3*/site-packages"]
    purelib = sysconfig.get_paths(vars={"base": sys.base_prefix, "platbase": sys.base_prefix})["purelib"]
    found = {os.path.realpath(p) for pattern in patterns for p in glob.glob(pattern)}
    if os.path.isdir(purelib):
        found.add(os.path.realpath(purelib))
    return tuple(sorted(found))

