"""Write a student distribution: ``dlgrade student build OUT_DIR``.

OUT_DIR becomes a pip-installable project (``pip install OUT_DIR``, also into the Python of
nbgrader kernels) that holds:

- the kit's packages (``autograder``, ``mnist_data``) without the reference: the same
  engine, sandbox and ``dlgrade grade`` command;
- the visible checks only: the hidden and after-due-date checks are cut out of the check
  files (their code is not in the distribution), and so is the MNIST gate (its check and
  ``autograder/gate.py``), whose audit needs the reference's backprop at every training step;
- ``autograder/studentdist/recording.json``: what the reference returned on the visible
  checks' inputs, drawn from the fixed self-check key (:mod:`.recording`);
- ``autograder/studentdist/deps/``: stand-ins of the reference modules for the workers, with
  what the reference modules answered to the modules graded beside them (:mod:`.depgen`);
- ``exercises/``, the stubs (a folder the student edits, not installed);
- ``notebooks/``, the course's nbgrader notebooks as released to students (no answers, no
  hidden tests); their test cells run the visible checks with this distribution installed.

Everything is generated in a fixed order from fixed inputs: building twice gives the same
bytes.
"""
from __future__ import annotations

import ast
import dataclasses
import inspect
import shutil
import tempfile
from importlib import metadata
from pathlib import Path

from autograder import UserError, reference, stubgen
from autograder.i18n import _
from autograder.exercises import MODULES
from autograder.rubric import Rubric

__all__ = ["BuildError", "build", "cut_checks", "write_checks"]

GATE_FILE = "test_mnist.py"
DISTRIBUTION = "dlscratch-kit"
_COPIED_SUFFIXES = {".py", ".toml", ".ini", ".po", ".mo", ".pot", ".j2"}
_SKIPPED_PARTS = {"__pycache__", "cache"}
# Parts of the autograder package a student distribution leaves out: the check suite (written
# apart, visible checks only), a recording of an earlier build, and the MNIST gate's audit
# (the gate is not part of the self-check; its code replicates part of the reference's layers).
KIT_ONLY = ("checks", "studentdist/recording.json", "studentdist/deps", "gate.py")


class BuildError(UserError):
    """The student distribution cannot be written (one line for the user)."""


# --------------------------------------------------------------------------- the checks


def _function_ranges(tree):
    """{(class name or "", function name): (first line, last line, node)} of the test functions."""
    found = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test"):
            found[("", node.name)] = node
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and item.name.startswith("test"):
                    found[(node.name, item.name)] = item
    return {k: (min([n.lineno, *(d.lineno for d in n.decorator_list)]), n.end_lineno, n) for k, n in found.items()}


def _visibility_decorators(node):
    """Line ranges of a function's @pytest.mark.visibility(...) decorators."""
    ranges = []
    for d in node.decorator_list:
        call = d.func if isinstance(d, ast.Call) else d
        if isinstance(call, ast.Attribute) and call.attr == "visibility":
            ranges.append((d.lineno - 1, d.end_lineno))  # the "@" sits on the decorator's first line
    return ranges


def cut_checks(source: str, visibilities: dict, filename: str) -> str:
    """The check file without its non-visible checks.

    Inputs:
    - source: the text of a check file (``test_<module>.py``).
    - visibilities: {(class name or "", function name): set of the visibilities of its checks}.
    - filename: for messages.

    Returns the text with every test function whose checks are all non-visible removed
    (decorators included), a class left without checks removed, and the visibility markers of
    the kept checks dropped (they are all visible here). Raises BuildError for a function
    whose parametrized checks are partly visible (its code cannot be split).
    """
    tree = ast.parse(source, filename)
    lines = source.splitlines(keepends=True)
    drop = set()
    ranges = _function_ranges(tree)
    for key, (first, last, node) in ranges.items():
        kinds = visibilities.get(key)
        if not kinds:
            continue  # not a check pytest collected (none of this file's business)
        if kinds == {"visible"}:
            for start, end in _visibility_decorators(node):
                drop.update(range(start, end))
        elif "visible" in kinds:
            raise BuildError(f"{filename}: {'.'.join(k for k in key if k)} has visible and non-visible "
                             "parametrizations; give them the same visibility to build a student distribution")
        else:
            drop.update(range(first - 1, last))
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            tests = [k for k in ranges if k[0] == node.name]
            if tests and all(set(range(ranges[k][0] - 1, ranges[k][1])) <= drop for k in tests):
                first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
                drop.update(range(first - 1, node.end_lineno))
    text = "".join(line for i, line in enumerate(lines) if i not in drop)
    ast.parse(text, filename)  # what is left must still be Python
    return text


def _visibilities(specs):
    """{file name: {(class, function): set of visibilities}} from the collected CheckSpecs."""
    table = {}
    for spec in specs:
        parts = spec.nodeid.split("::")
        file, names = Path(parts[0]).name, parts[1:]
        function = names[-1].split("[", 1)[0]
        cls = names[0] if len(names) == 2 else ""
        table.setdefault(file, {}).setdefault((cls, function), set()).add(spec.visibility)
    return table


def write_checks(checks_src: Path, checks_dest: Path, specs) -> None:
    """Write the check suite of a student distribution: the visible checks of checks_src.

    Inputs:
    - checks_src: the kit's check folder; checks_dest: the folder to write (must not exist).
    - specs: the collected CheckSpecs (``grading.collect_checks(rubric)``): their visibility.
    """
    table = _visibilities(specs)
    checks_dest.mkdir(parents=True)
    for path in sorted(checks_src.iterdir()):
        if path.name == GATE_FILE or not path.is_file() or path.suffix not in (".py", ".ini"):
            continue
        text = path.read_text(encoding="utf-8")
        if path.name.startswith("test_") and path.suffix == ".py":
            text = cut_checks(text, table.get(path.name, {}), path.name)
        (checks_dest / path.name).write_text(text, encoding="utf-8")


# --------------------------------------------------------------------------- the packages


def _copy_package(src: Path, dest: Path, skip=()) -> None:
    """Copy a package's source files (no bytecode, no caches), in sorted order."""
    for path in sorted(src.rglob("*")):
        rel = path.relative_to(src)
        if not path.is_file() or _SKIPPED_PARTS & set(rel.parts) or path.suffix not in _COPIED_SUFFIXES:
            continue
        if any(rel.parts[:len(Path(s).parts)] == Path(s).parts for s in skip):
            continue
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)


def _packages(root: Path) -> list:
    return sorted(".".join(p.parent.relative_to(root).parts) for top in ("autograder", "mnist_data")
                  for p in (root / top).rglob("__init__.py") if "__pycache__" not in p.parts)


def _pyproject(root: Path) -> str:
    try:
        dist = metadata.distribution(DISTRIBUTION)
        version, requires = dist.version, [r for r in dist.requires or () if "extra ==" not in r]
    except metadata.PackageNotFoundError:  # pragma: no cover - the kit runs installed
        raise BuildError(f"the kit's distribution {DISTRIBUTION} is not installed") from None
    version = version.split("+", 1)[0] + "+student"
    packages = ", ".join(f'"{p}"' for p in _packages(root))
    deps = "".join(f"    {_toml_str(r)},\n" for r in requires)
    return f'''# A student distribution of the Deep Learning from Scratch course kit, written by
# `dlgrade student build`: the engine and the visible checks, without the reference
# solutions. Install it with `pip install .` in this folder.
[build-system]
requires = ["setuptools>=68", "wheel"]
build-backend = "setuptools.build_meta"

[project]
name = "{DISTRIBUTION}"
version = "{version}"
description = "Self-check for the Deep Learning from Scratch course exercises (student distribution)"
readme = "README.md"
requires-python = ">=3.11"
dependencies = [
{deps}]

[project.scripts]
dlgrade = "autograder.cli:main"

[tool.setuptools]
packages = [{packages}]

[tool.setuptools.package-data]
autograder = ["*.toml", "checks/*.py", "checks/pytest.ini", "studentdist/recording.json", "studentdist/deps/*.py"]
"autograder.nbbuild" = ["templates/*/*.j2"]
"autograder.locale" = ["*.pot", "*/LC_MESSAGES/*.po", "*/LC_MESSAGES/*.mo"]
'''


def _toml_str(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


README = """\
# Deep Learning from Scratch: exercises and self-check

The exercises are in `exercises/`: fill in every `raise NotImplementedError` (the book's
names and signatures). Install the self-check once, then check your work as often as you like:

```bash
python3 -m venv .venv && . .venv/bin/activate && pip install .
dlgrade grade exercises/
```

The same exercises as Jupyter notebooks are in `notebooks/`: their test cells run the same
checks (`run_check(...)`) in a kernel where this folder is installed (`pip install .`).

The self-check runs the course's visible checks, with the same verdicts, messages and hints as
the course's grader. It compares your results with the reference's results recorded on fixed
inputs; the reference code is not part of it. Not included: the hidden and after-due-date
checks, and the MNIST accuracy gate. The course's grader runs those, on other inputs.
"""


# --------------------------------------------------------------------------- the notebooks

NOTEBOOKS = "notebooks"


def _write_notebooks(dest: Path, rubric: Rubric | None, lang: str | None) -> None:
    """The course's notebooks as students get them: ``dlgrade nbgrader build``'s, released.

    Released as ``nbgrader generate_assignment`` releases them (its preprocessors, in its
    order; without the gradebook, which a student distribution has no use for): answers
    replaced by ``# YOUR CODE HERE``, hidden tests removed, outputs cleared, cells locked and
    checksummed. Their test cells call ``run_check``, which the distribution answers.
    """
    try:
        import nbformat
        from nbgrader import preprocessors as nbp
    except ImportError:
        raise BuildError("the student distribution's notebooks are built with nbgrader: pip install "
                         "'dlscratch-kit[nbgrader]'") from None
    from autograder.nbbuild.build import build_course

    from autograder.nbbuild.source import Solutions

    solutions = Solutions(reference.directory())
    chain = (nbp.LockCells, nbp.ClearSolutions, nbp.ClearOutput, nbp.CheckCellMetadata, nbp.ComputeChecksums,
             nbp.ClearHiddenTests, nbp.ClearMarkScheme, nbp.ComputeChecksums, nbp.CheckCellMetadata)
    with tempfile.TemporaryDirectory(prefix="dlgrade-course-") as course:
        sources = [p for p in build_course(course, rubric=rubric, lang=lang) if p.suffix == ".ipynb"]
        dest.mkdir(parents=True)
        for source in sorted(sources):
            nb, resources = nbformat.read(source, as_version=4), {}
            for cell in nb.cells:
                _earlier_answers(cell, solutions, lang)
            for step in chain:
                nb, resources = step().preprocess(nb, resources)
            (dest / source.name).write_text(nbformat.writes(nb) + "\n", encoding="utf-8")


def _earlier_answers(cell, solutions, lang) -> None:
    """A given cell with an earlier problem set's reference answers becomes an answer cell (in place).

    ``dlgrade nbgrader build`` hands out, with problem set 2, the reference version of problem
    set 1's functions (and so on): released after problem set 1's deadline, they give nothing
    away. A student distribution holds every notebook at once: there these cells keep the
    definitions with their answers cleared (``# YOUR CODE HERE``), for the student's own.
    """
    from autograder.i18n import using_language

    meta = cell.get("metadata", {}).get("nbgrader", {})
    grade_id = meta.get("grade_id", "")
    if cell.get("cell_type") != "code" or not (grade_id.startswith("given-") and grade_id.endswith("-reference")):
        return
    module = grade_id.split("-")[1]
    src = solutions[module]
    names = [n.name for n in ast.parse(cell.source).body if isinstance(n, (ast.FunctionDef, ast.ClassDef))]
    parts = [src.solution_cell(n) if src.has_solution(n) else src.reference_cell([n]) for n in names]
    with using_language(lang):
        head = _("From an earlier problem set: put your own answers here (copy them from that notebook); "
                 "the cells below use them.")
    cell.source = "# " + head + "\n" + "\n\n\n".join(parts)
    cell.metadata["nbgrader"] = {**meta, "grade_id": grade_id.replace("given-", "earlier-", 1),
                                 "solution": True, "grade": False, "locked": False}


# --------------------------------------------------------------------------- the recording


def _methods() -> dict:
    """{class name: its public method names} of the reference classes."""
    found = {}
    for module in MODULES:
        for name, cls in inspect.getmembers(reference.module(module), inspect.isclass):
            if cls.__module__.startswith(reference.PACKAGE):
                found[name] = sorted(n for n, _ in inspect.getmembers(cls, callable) if not n.startswith("_"))
    return dict(sorted(found.items()))


def _record(checks_dir: Path, sandbox: str, deps_dir: Path) -> str:
    """Grade the reference with the distribution's checks, recording the reference's answers:
    to the checks (returned, the text of recording.json) and to the modules under test in the
    workers (the replaying stand-ins, written into deps_dir)."""
    from autograder import grading, studentdist
    from autograder.studentdist.depgen import DependencyRecording
    from autograder.studentdist.recording import Recorder

    rubric = Rubric()
    rubric.grading = dataclasses.replace(rubric.grading, secret=studentdist.SELF_CHECK_SECRET)
    recorder = Recorder(_methods())
    recorder.dependencies = DependencyRecording()
    try:
        options = grading.GradeOptions(rubric=rubric, checks_dir=str(checks_dir), sandbox=sandbox,
                                       only=frozenset(e for e in grading.EXERCISES if e != "mnist"))
        result = grading.grade(reference.directory(), options, recorder=recorder)
        failed = [c.check_id for c in result.checks if c.graded and not c.passed]
        if failed:
            raise BuildError(f"the reference fails checks of the student distribution: {', '.join(failed)}")
        recorder.dependencies.write_replay(deps_dir)
    finally:
        recorder.dependencies.close()
    return recorder.to_json(result.seed)


# --------------------------------------------------------------------------- build


def build(out_dir, rubric: Rubric | None = None, sandbox: str = "auto", lang: str | None = None) -> Path:
    """Write a student distribution into out_dir (which must not exist or be empty).

    Inputs:
    - out_dir: the folder to write.
    - rubric: its [visibility] decides which checks are visible (default: the checks' markers).
    - sandbox: isolation level of the recording run (the reference runs in workers).
    - lang: the notebooks' language (``en``, ``ko``, ``ja``; default: the current language).

    Returns the folder. Raises BuildError (a UserError) when it cannot be written.
    """
    from autograder.grading import CHECKS_DIR, collect_checks

    out = Path(out_dir)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise BuildError(f"{out} exists and is not an empty folder")
    if not reference.available():
        raise BuildError("a student distribution is built from the full kit (with the reference), not from another "
                         "student distribution")
    specs = collect_checks(rubric or Rubric())
    import autograder
    import mnist_data

    kit = Path(autograder.__file__).resolve().parent
    out.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    try:
        _copy_package(kit, stage / "autograder", skip=KIT_ONLY)
        _copy_package(Path(mnist_data.__file__).resolve().parent, stage / "mnist_data")
        write_checks(CHECKS_DIR, stage / "autograder" / "checks", specs)
        for rel, text in sorted(stubgen.build_stubs(reference.directory()).items()):
            target = stage / "exercises" / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        _write_notebooks(stage / NOTEBOOKS, rubric, lang)
        (stage / "pyproject.toml").write_text(_pyproject(stage), encoding="utf-8")
        (stage / "README.md").write_text(README, encoding="utf-8")
        recording = _record(stage / "autograder" / "checks", sandbox, stage / "autograder" / "studentdist" / "deps")
        (stage / "autograder" / "studentdist" / "recording.json").write_text(recording, encoding="utf-8")
        if out.exists():
            out.rmdir()
        stage.rename(out)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return out
