"""The corpus of student submissions in ``tests/submissions/``: reading and assembling entries.

How the parts fit: ``tests/test_corpus.py`` grades every entry with
``autograder.grading.grade`` and checks the verdict the entry predicts; this
module only turns an entry directory into a submission directory. An entry is
data, not code:

    tests/submissions/<kind>/<name>/submission.toml
    tests/submissions/<kind>/<name>/<module>.py      (optional whole files)

``kind`` is ``buggy`` (one realistic mistake), ``correct`` (a different but
correct solution: full marks) or ``hostile`` (code that attacks the grader).
``submission.toml`` holds:

- ``description``: one line saying what the submission does.
- ``loses``: exercise ids that must score less than full marks.
- ``may_lose``: exercise ids allowed, not required, to lose points.
- ``output_contains``: substrings (case-insensitive) that must appear in the
  failure messages of the ``loses`` exercises, e.g. the hint for the mistake.
- ``grade_mnist``: grade the MNIST gate even though ``loses`` does not name it
  (to prove it keeps full marks).
- ``omit``: module files left out of the submission.
- ``[[change]]`` tables with ``file``, ``old``, ``new``: textual mutations;
  ``old`` must occur exactly once in ``file``.

A submission is assembled from the five reference modules in ``solutions/``
(not ``__init__.py``), the whole files of the entry copied over them, then the
changes applied, then the omitted modules removed.

The realistic corpus (``tests/submissions/realistic/<name>/``, graded by
``tests/test_realistic.py``) is different: each entry is a whole submission
written as learners of the book write it (every module file is the learner's,
nothing comes from ``solutions/``), with ``expected.toml`` beside it:

- ``description``: who writes like this and what the files look like.
- ``why``: why the exercises not listed under ``[fail]`` keep full marks.
- ``needs``: the fairness features (``FEATURES``) those full marks rely on.
- ``mnist``: also grade the MNIST gate (default false: the gate is slow).
- ``grade``: the modules (``"optimizer"``) or exercise ids the entry is about, graded alone
  (default: every exercise); each costs CI time, so an entry about two modules grades those.
- ``output_contains``: substrings (case-insensitive) the student must read:
  in the report's notes (``graded your `ReLU` as `Relu```) or in the failure
  messages of the ``[fail]`` exercises (the name of the real problem).
- ``[fail]``: exercise id -> why that exercise must lose points (the bug).

Every graded exercise not under ``[fail]`` must keep full marks.
"""
from __future__ import annotations

import shutil
import tomllib
from dataclasses import dataclass
from pathlib import Path

from autograder.exercises import EXERCISES, MODULES, users_of

HERE = Path(__file__).resolve().parent
SUBMISSIONS = HERE / "submissions"
SOLUTIONS = HERE.parent / "solutions"
KINDS = ("buggy", "correct", "hostile")
MODULE_FILES = tuple(f"{m}.py" for m in MODULES)
ENTRY_FILE = "submission.toml"
_KEYS = {"description", "loses", "may_lose", "output_contains", "grade_mnist", "omit", "change"}
REALISTIC = SUBMISSIONS / "realistic"
REALISTIC_FILE = "expected.toml"
_REALISTIC_KEYS = {"description", "why", "needs", "mnist", "output_contains", "fail", "grade"}
# What a fair grader accepts (issue 8) that a realistic entry's full marks may rely on.
FEATURES = {
    "given_util": "the book's helper modules are given (from common.util import im2col, col2im)",
    "given_dataset": "the book's MNIST loader is given (from dataset.mnist import load_mnist)",
    "aliases": "the book's edition names and case variants (mean_squared_error, ReLU)",
    "gd_tuple": "gradient_descent may return (x, x_history) as ch04/gradient_method.py does",
    "backward_no_default": "SoftmaxWithLoss.backward(self, dout) without a default is called with 1",
    "ctor_positional": "TwoLayerNet is built by position when its parameter names differ",
    "own_deps": "a module is also graded with the student's own dependencies (own class names)",
    "extra_module": "extra helper modules of the student are importable",
    "chapter_packages": "from ch05.layers import * and from mnist import load_mnist name the submission's modules",
    "self_import": "a module importing from itself by its book name (common.gradient) works whichever is imported first",
}


class CorpusError(ValueError):
    """An entry is malformed: the message names the entry and the problem."""


@dataclass(frozen=True)
class Change:
    """Replace ``old`` (which must occur exactly once) by ``new`` in ``file``."""

    file: str
    old: str
    new: str


@dataclass(frozen=True)
class Entry:
    """One corpus entry as read from its directory."""

    kind: str
    name: str
    path: Path
    description: str
    loses: tuple
    may_lose: tuple
    output_contains: tuple
    grade_mnist: bool
    omit: tuple
    changes: tuple
    files: tuple  # names of the whole files in the entry directory

    @property
    def id(self):
        return f"{self.kind}/{self.name}"

    def exercises_to_grade(self, all_gates=False):
        """The exercise ids to grade: all but the slow MNIST gate, unless the entry is about it.

        ``correct`` entries must reach full marks *including* the gate; the others
        run it only when they predict a verdict about it. ``all_gates=True`` also
        runs it wherever the entry claims it keeps full marks (everywhere except
        where ``may_lose`` names it): slower, for an occasional full check.
        """
        with_gate = self.kind == "correct" or "mnist" in self.loses or self.grade_mnist
        if all_gates:
            with_gate = "mnist" not in self.may_lose
        modules = set(MODULES) if self.kind == "correct" else self.affected_modules()
        return frozenset(e for e in EXERCISES
                         if (e == "mnist" and with_gate) or (e != "mnist" and e.split(".")[0] in modules))

    def affected_modules(self):
        """The modules this entry changes, and those graded with code from them.

        A module the entry leaves alone is the reference itself, and it is graded with
        reference copies of the others, so grading it again proves nothing: the modules that
        use a changed one (layers uses functions; two_layer_net uses functions, gradient and
        layers) are where blame isolation is put to the test.
        """
        touched = {Path(name).stem for name in (*(c.file for c in self.changes), *self.files, *self.omit)}
        touched &= set(MODULES)
        predicted = {e.split(".")[0] for e in (*self.loses, *self.may_lose) if e != "mnist"}
        return touched | predicted | users_of(touched)


def _string_list(data, key, where):
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise CorpusError(f"{where}: '{key}' must be a list of non-empty strings")
    if len(set(value)) != len(value):
        raise CorpusError(f"{where}: '{key}' lists an item twice")
    return tuple(value)


def _read_toml(file, where, known):
    """The table in ``file``, checked to hold only ``known`` keys."""
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise CorpusError(f"{where}: cannot read: {exc}") from None
    unknown = set(data) - known
    if unknown:
        raise CorpusError(f"{where}: unknown key(s) {sorted(unknown)}; known: {sorted(known)}")
    return data


def load_entry(path):
    """Read and validate the entry in directory ``path``; return an :class:`Entry`."""
    path = Path(path)
    kind, name = path.parent.name, path.name
    where = f"{kind}/{name}/{ENTRY_FILE}"
    if kind not in KINDS:
        raise CorpusError(f"{where}: kind must be one of {KINDS}")
    data = _read_toml(path / ENTRY_FILE, where, _KEYS)
    description = data.get("description")
    if not isinstance(description, str) or not description.strip():
        raise CorpusError(f"{where}: 'description' must be a non-empty string")
    loses = _string_list(data, "loses", where)
    may_lose = _string_list(data, "may_lose", where)
    for exercise in loses + may_lose:
        if exercise not in EXERCISES:
            raise CorpusError(f"{where}: unknown exercise id {exercise!r}")
    if set(loses) & set(may_lose):
        raise CorpusError(f"{where}: {sorted(set(loses) & set(may_lose))} both in 'loses' and 'may_lose'")
    output_contains = _string_list(data, "output_contains", where)
    if output_contains and not loses:
        raise CorpusError(f"{where}: 'output_contains' needs 'loses' (it is searched in their failures)")
    grade_mnist = data.get("grade_mnist", False)
    if not isinstance(grade_mnist, bool):
        raise CorpusError(f"{where}: 'grade_mnist' must be true or false")
    omit = _string_list(data, "omit", where)
    for f in omit:
        if f not in MODULE_FILES:
            raise CorpusError(f"{where}: 'omit' names {f!r}, not one of {MODULE_FILES}")
    changes = []
    for i, table in enumerate(data.get("change", [])):
        if not isinstance(table, dict) or set(table) != {"file", "old", "new"} or not all(
                isinstance(v, str) for v in table.values()):
            raise CorpusError(f"{where}: change #{i + 1} must have exactly the string keys file, old, new")
        if not table["old"]:
            raise CorpusError(f"{where}: change #{i + 1} has an empty 'old'")
        changes.append(Change(table["file"], table["old"], table["new"]))
    files = tuple(sorted(p.name for p in path.iterdir() if p.name != ENTRY_FILE and not p.name.startswith(".")
                         and p.name != "__pycache__"))
    for f in files:
        if not (path / f).is_file():
            raise CorpusError(f"{where}: {f} is not a file (only whole files may sit beside {ENTRY_FILE})")
    if kind == "buggy" and not (changes or files or omit):
        raise CorpusError(f"{where}: a buggy entry must change something")
    return Entry(kind, name, path, description.strip(), loses, may_lose, output_contains, grade_mnist,
                 omit, tuple(changes), files)


def load_all(root=SUBMISSIONS):
    """Every entry under ``root``, sorted by id (a stable order for pytest-xdist)."""
    entries = []
    for kind in KINDS:
        folder = Path(root) / kind
        if not folder.is_dir():
            continue
        for path in sorted(folder.iterdir()):
            if path.is_dir() and (path / ENTRY_FILE).exists():
                entries.append(load_entry(path))
            elif path.is_dir() and path.name != "__pycache__":
                raise CorpusError(f"{kind}/{path.name}: directory without {ENTRY_FILE}")
    return entries


def assemble(entry, dest):
    """Build the submission of ``entry`` in the (new or empty) directory ``dest``; return dest.

    Raises CorpusError when a change's ``old`` text does not occur exactly once,
    which keeps the corpus honest when the reference solution is edited.
    """
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    for f in MODULE_FILES:
        shutil.copyfile(SOLUTIONS / f, dest / f)
    for f in entry.files:
        shutil.copyfile(entry.path / f, dest / f)
    for i, change in enumerate(entry.changes, 1):
        target = dest / change.file
        if not target.is_file():
            raise CorpusError(f"{entry.id}: change #{i} names {change.file}, which the submission does not have")
        text = target.read_text(encoding="utf-8")
        count = text.count(change.old)
        if count != 1:
            raise CorpusError(f"{entry.id}: change #{i}: 'old' occurs {count} times in {change.file} "
                              f"(must be exactly once): {change.old[:80]!r}")
        target.write_text(text.replace(change.old, change.new), encoding="utf-8")
    for f in entry.omit:
        (dest / f).unlink()
    return dest


# --------------------------------------------------------------------------- the realistic corpus


@dataclass(frozen=True)
class RealisticEntry:
    """One whole learner submission and its expected grade."""

    name: str
    path: Path
    description: str
    why: str
    needs: tuple
    mnist: bool
    output_contains: tuple
    fail: dict  # exercise id -> why it loses points
    grade: tuple = ()  # modules or exercise ids to grade; () = all

    @property
    def id(self):
        return f"realistic/{self.name}"

    def exercises_to_grade(self):
        """The entry's exercises (every one by default), the slow MNIST gate only where it asks for it."""
        chosen = {e for e in EXERCISES if not self.grade or e in self.grade or e.split(".")[0] in self.grade}
        return frozenset(chosen - {"mnist"}) | ({"mnist"} if self.mnist else frozenset())

    def expected(self, exercise):
        """'fail' or 'pass' for a graded exercise."""
        return "fail" if exercise in self.fail else "pass"


def load_realistic_entry(path):
    """Read and validate a realistic entry in directory ``path``; return a :class:`RealisticEntry`."""
    path = Path(path)
    where = f"realistic/{path.name}/{REALISTIC_FILE}"
    data = _read_toml(path / REALISTIC_FILE, where, _REALISTIC_KEYS)
    texts = {}
    for key in ("description", "why"):
        value = data.get(key)
        if not isinstance(value, str) or not value.strip():
            raise CorpusError(f"{where}: '{key}' must be a non-empty string")
        texts[key] = " ".join(value.split())
    needs = _string_list(data, "needs", where)
    for feature in needs:
        if feature not in FEATURES:
            raise CorpusError(f"{where}: unknown feature {feature!r} in 'needs'; known: {sorted(FEATURES)}")
    mnist = data.get("mnist", False)
    if not isinstance(mnist, bool):
        raise CorpusError(f"{where}: 'mnist' must be true or false")
    fail = data.get("fail", {})
    if not isinstance(fail, dict):
        raise CorpusError(f"{where}: [fail] must be a table of exercise id = \"why\"")
    for exercise, why in fail.items():
        if exercise not in EXERCISES:
            raise CorpusError(f"{where}: unknown exercise id {exercise!r} in [fail]")
        if exercise == "mnist" and not mnist:
            raise CorpusError(f"{where}: [fail] names the MNIST gate, which only runs with mnist = true")
        if not isinstance(why, str) or not why.strip():
            raise CorpusError(f"{where}: [fail] {exercise!r} needs a reason")
    missing = [f for f in MODULE_FILES if not (path / f).is_file()]
    if missing:
        raise CorpusError(f"{where}: a whole submission needs all five modules, missing {missing}")
    output_contains = _string_list(data, "output_contains", where)
    grade = _string_list(data, "grade", where)
    for item in grade:
        if item not in EXERCISES and item not in MODULES:
            raise CorpusError(f"{where}: unknown module or exercise id {item!r} in 'grade'")
    entry = RealisticEntry(path.name, path, texts["description"], texts["why"], needs, mnist, output_contains,
                           {k: " ".join(v.split()) for k, v in fail.items()}, tuple(grade))
    outside = sorted(set(entry.fail) - entry.exercises_to_grade())
    if outside:
        raise CorpusError(f"{where}: [fail] names {outside}, which 'grade' leaves out")
    return entry


def load_realistic(root=REALISTIC):
    """Every realistic entry under ``root``, sorted by name."""
    entries = []
    for path in sorted(Path(root).iterdir()):
        if path.name == "__pycache__" or not path.is_dir():
            continue
        if not (path / REALISTIC_FILE).exists():
            raise CorpusError(f"realistic/{path.name}: directory without {REALISTIC_FILE}")
        entries.append(load_realistic_entry(path))
    return entries


def copy_realistic(entry, dest):
    """Copy the submission of ``entry`` (every file but expected.toml) into ``dest``; return dest."""
    return Path(shutil.copytree(entry.path, dest, ignore=shutil.ignore_patterns(REALISTIC_FILE, "__pycache__")))
