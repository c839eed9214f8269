"""The kit as pip installs it: a built wheel, installed into a fresh virtual environment, grades.

- every package of the repository is in pyproject.toml's list (a package left out would be
  missing from the wheel only, where the editable install of the tests never looks);
- the reference is installed as ``dlscratch_reference`` (the repository's ``solutions/``),
  ``exercises/`` is not installed, the check suite (its ``pytest.ini`` included) is;
- the wheel, installed into a new virtual environment without the system's site-packages,
  grades a copy of ``solutions/`` with full marks, from a folder outside the repository (so
  nothing is imported from the clone).
"""
import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

from autograder import reference

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
SETUPTOOLS = PYPROJECT["tool"]["setuptools"]


def _repository_packages():
    """Dotted names of the folders with an __init__.py, as they are installed."""
    found = set()
    for top in ("autograder", "mnist_data", reference.SOURCE_FOLDER):
        for init in (ROOT / top).rglob("__init__.py"):
            if "__pycache__" in init.parts:
                continue
            parts = list(init.parent.relative_to(ROOT).parts)
            if parts[0] == reference.SOURCE_FOLDER:
                parts[0] = reference.PACKAGE
            found.add(".".join(parts))
    return found


def test_every_package_is_listed():
    assert set(SETUPTOOLS["packages"]) == _repository_packages()


def test_reference_is_mapped_and_exercises_are_not_installed():
    assert SETUPTOOLS["package-dir"] == {reference.PACKAGE: reference.SOURCE_FOLDER}
    assert not any(p == "exercises" or p.startswith(("exercises.", "solutions")) for p in SETUPTOOLS["packages"])
    assert reference.directory() == (ROOT / reference.SOURCE_FOLDER).resolve()


def _build_wheel(dest):
    """pip wheel of a copy of the repository (building in place would leave build/ in the clone)."""
    source = dest / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", "tests", "benchmarks", "test-artifacts",
        "cache"))
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dest / "dist"),
                           str(source)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    (wheel,) = (dest / "dist").glob("*.whl")
    return wheel


@pytest.fixture(scope="module")
def installed(tmp_path_factory, fresh_venv):
    """(venv's bin folder, wheel): the wheel installed into a fresh venv (conftest.fresh_venv)."""
    tmp = tmp_path_factory.mktemp("wheel")
    wheel = _build_wheel(tmp)
    python = fresh_venv(tmp / "venv", wheel)
    return python.parent, wheel


@pytest.mark.slow
def test_wheel_holds_the_checks_and_the_renamed_reference(installed):
    _, wheel = installed
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "autograder/checks/pytest.ini" in names and "autograder/checks/conftest.py" in names
    assert {f"{reference.PACKAGE}/{m}.py" for m in ("functions", "layers", "two_layer_net")} <= names
    assert not any(n.startswith(("solutions/", "exercises/", "tests/")) for n in names)


@pytest.mark.slow
@pytest.mark.mnist
def test_wheel_grades_the_reference_outside_the_repository(installed, tmp_path, mnist_dir):
    bin_dir, _ = installed
    submission = shutil.copytree(ROOT / reference.SOURCE_FOLDER, tmp_path / "submission")
    cwd = tmp_path / "elsewhere"
    cwd.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(MNIST_DATA_DIR=str(mnist_dir), PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}")
    probe = subprocess.run(
        [str(bin_dir / "python"), "-c",
         "import autograder, dlscratch_reference, importlib.util as u; "
         "print(autograder.__file__); print(dlscratch_reference.__file__); "
         "print(u.find_spec('solutions'), u.find_spec('exercises'))"],
        capture_output=True, text=True, cwd=cwd, env=env, timeout=120)
    assert probe.returncode == 0, probe.stderr
    kit, ref, missing = probe.stdout.splitlines()
    site = str(bin_dir.parent)
    assert kit.startswith(site) and ref.startswith(site), probe.stdout  # from the venv, not the clone
    assert missing == "None None"
    results = tmp_path / "results.json"
    done = subprocess.run([str(bin_dir / "dlgrade"), "grade", str(submission), "--json", str(results)],
                          capture_output=True, text=True, cwd=cwd, env=env, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    import json

    doc = json.loads(results.read_text())
    assert doc["score"] == 100, done.stdout
    failed = [t["name"] for t in doc["tests"] if t.get("status") == "failed"]
    assert failed == []
