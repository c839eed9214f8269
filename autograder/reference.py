"""Where the reference implementation lives, declared once.

The repository keeps it in its top-level ``solutions/`` folder (the single hand-written
copy of every exercise); the full kit installs that folder as the package
``dlscratch_reference`` (pyproject.toml's ``package-dir``), a name no other distribution
takes. A student distribution (``dlgrade student build``) does not install it at all.
"""
from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path
from types import ModuleType

from autograder import UserError

PACKAGE = "dlscratch_reference"
SOURCE_FOLDER = "solutions"  # the folder's name in the repository

__all__ = ["PACKAGE", "SOURCE_FOLDER", "available", "directory", "module"]


def available() -> bool:
    """Whether the reference is installed (the full kit), not a student distribution."""
    return importlib.util.find_spec(PACKAGE) is not None


def module(name: str) -> ModuleType:
    """The reference module ``name`` (e.g. "layers"), imported from the installed package."""
    return importlib.import_module(f"{PACKAGE}.{name}")


def directory() -> Path:
    """The folder of the installed reference package (the repository's ``solutions/``).

    Raises UserError when the reference is not installed (a student distribution).
    """
    if not available():
        raise UserError(f"the reference solutions ({PACKAGE}) are not installed: "
                        "this command needs the full kit (pip install dlscratch-kit), not a student distribution")
    package = importlib.import_module(PACKAGE)
    # __path__ rather than __file__: an editable install may import it as a namespace package.
    for entry in package.__path__:
        if Path(entry).is_dir():
            return Path(entry).resolve()
    raise UserError(f"cannot locate the folder of the reference package {PACKAGE}")
