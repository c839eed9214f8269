"""The exercise catalog: the one place that says what the kit grades.

Everything else is derived from :data:`CATALOG` and :data:`MODULES`: the exercise ids and
their report order, the points (the checks' ``@pytest.mark.exercise`` markers name only the
id), the names a submission may use instead (aliases), the nbgrader assignments, the
modules a submission consists of and the given helper modules laid out beside them.
See README, "Adding an exercise".

An exercise id is ``<module>.<name>`` (``layers.Affine``); the MNIST accuracy gate is the
single id ``mnist``. Every grading result lists every id here, even when the module is
missing or broken.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from autograder.i18n import N_

__all__ = ["Exercise", "CATALOG", "ALIAS_NOTE_FORMAT", "MODULES", "IMPORTS", "GIVEN_MODULES", "GIVEN_DIR", "ASSIGNMENTS",
           "EXERCISES", "POINTS", "ALL_STUDENT", "by_id", "module_of", "users_of", "deps_of",
           "names_match", "alias_candidates"]


@dataclass(frozen=True)
class Exercise:
    """One graded exercise.

    Attributes:
    - id: ``<module>.<name>``, or ``mnist`` for the accuracy gate.
    - points: default points (a rubric may change them).
    - assignment: the nbgrader assignment that grades it.
    - kind: ``function``, ``class`` or ``gate``.
    - aliases: other names a submission may define it under (the book's editions, common
      spellings), tried in this order when ``name`` is missing or still the stub. A class
      is also found under any spelling that differs only in case (``ReLU`` for ``Relu``).
    - note: why these aliases are accepted (shown in the README's Fairness section).
    """

    id: str
    points: float
    assignment: str
    kind: str = "function"
    aliases: tuple = ()
    note: str = ""

    @property
    def module(self):
        """The exercise module (``layers``), or None for the gate."""
        return None if self.kind == "gate" else self.id.split(".", 1)[0]

    @property
    def name(self):
        """The name the module defines (``Affine``), or None for the gate."""
        return None if self.kind == "gate" else self.id.split(".", 1)[1]


# The exercise modules of a submission, in course order.
MODULES = ("functions", "gradient", "layers", "two_layer_net", "optimizer")

# The exercise modules each module imports (the reference solutions' relative imports).
# Blame isolation grades a module beside reference copies of these.
IMPORTS = {
    "functions": (),
    "gradient": (),
    "layers": ("functions",),
    "two_layer_net": ("gradient", "layers"),
    "optimizer": (),
}

# Helper modules the book hands out with the exercises (its common/util.py), written for
# the kit in autograder/given/. They sit beside the exercise modules in every worker
# (importable as `util`, `.util` and `common.util`) and are copied into exercises/.
GIVEN_MODULES = ("util",)
GIVEN_DIR = Path(__file__).resolve().parent / "given"

_PS1, _PS2, _PS3 = "ps1_losses_gradients", "ps2_backprop_layers", "ps3_two_layer_net"
ASSIGNMENTS_ORDER = (_PS1, _PS2, _PS3)

CATALOG = (
    Exercise("functions.sigmoid", 3, _PS1),
    Exercise("functions.softmax", 6, _PS1),
    Exercise("functions.sum_squared_error", 3, _PS1,
             aliases=("mean_squared_error", "sum_squares_error"),
             note="`mean_squared_error` is the book's name in its Korean edition and in the Japanese "
                  "repository until 2019 (the formula is the same 0.5 * sum); `sum_squares_error` is a "
                  "common spelling"),
    Exercise("functions.cross_entropy_error", 8, _PS1),
    Exercise("gradient.numerical_diff", 3, _PS1),
    Exercise("gradient.numerical_gradient", 7, _PS1),
    Exercise("gradient.gradient_descent", 4, _PS1),
    Exercise("layers.MulLayer", 3, _PS2, "class"),
    Exercise("layers.AddLayer", 3, _PS2, "class"),
    Exercise("layers.Relu", 5, _PS2, "class", aliases=("ReLU", "ReLu", "ReluLayer", "ReLULayer"),
             note="the usual spellings of the abbreviation, and the `Layer` suffix of MulLayer and "
                  "AddLayer carried over (a Japanese learner's ReluLayer, SigmoidLayer, AffineLayer, "
                  "SoftmaxWithLossLayer)"),
    Exercise("layers.Sigmoid", 5, _PS2, "class", aliases=("SigmoidLayer",),
             note="the `Layer` suffix of MulLayer and AddLayer carried over"),
    Exercise("layers.Affine", 10, _PS2, "class", aliases=("AffineLayer",),
             note="the `Layer` suffix of MulLayer and AddLayer carried over"),
    Exercise("layers.SoftmaxWithLoss", 8, _PS2, "class", aliases=("SoftmaxWithLossLayer",),
             note="the `Layer` suffix of MulLayer and AddLayer carried over"),
    Exercise("two_layer_net.TwoLayerNet", 12, _PS3, "class"),
    Exercise("optimizer.SGD", 3, _PS3, "class"),
    Exercise("optimizer.Momentum", 5, _PS3, "class"),
    Exercise("optimizer.AdaGrad", 2, _PS3, "class"),
    Exercise("optimizer.Adam", 2, _PS3, "class"),
    Exercise("mnist", 8, _PS3, "gate"),
)

# The note a student reads when an exercise was found under an alias.
ALIAS_NOTE_FORMAT = N_("graded your `{alias}` as `{name}` ({module}.py)")  # translated where shown

EXERCISES = tuple(e.id for e in CATALOG)
POINTS = {e.id: float(e.points) for e in CATALOG}
_BY_ID = {e.id: e for e in CATALOG}

# The three nbgrader assignments, in course order, with the exercises each one grades.
ASSIGNMENTS = {a: tuple(e.id for e in CATALOG if e.assignment == a) for a in ASSIGNMENTS_ORDER}

# The MNIST gate trains the student's own network end to end, so it runs on
# every student module at once instead of one module with reference helpers.
ALL_STUDENT = "all"


def by_id(exercise):
    """The catalog entry of an exercise id (ValueError for an unknown id)."""
    try:
        return _BY_ID[exercise]
    except (KeyError, TypeError):
        raise ValueError(f"unknown exercise id {exercise!r}; known: {', '.join(EXERCISES)}") from None


def module_of(exercise):
    """Return the worker configuration an exercise is graded in.

    Inputs:
    - exercise: an exercise id from EXERCISES.

    Returns:
    - the module name (``"layers"``), or ALL_STUDENT for the MNIST gate.
    """
    entry = by_id(exercise)
    return ALL_STUDENT if entry.module is None else entry.module


def users_of(modules):
    """The modules that import any of these, directly or through another module.

    Inputs:
    - modules: iterable of module names.

    Returns:
    - set of module names (not including the given ones, unless one uses another).
    """
    found, changed = set(), True
    wanted = set(modules)
    while changed:
        changed = False
        for module, imports in IMPORTS.items():
            if module not in found and wanted.union(found).intersection(imports):
                found.add(module)
                changed = True
    return found


def deps_of(module):
    """The exercise modules a module builds on, directly or indirectly, in MODULES order.

    Inputs:
    - module: a name from MODULES.

    Returns:
    - tuple of module names (``two_layer_net`` -> ``("functions", "gradient", "layers")``).
    """
    if module not in IMPORTS:
        raise ValueError(f"unknown exercise module {module!r}; known: {', '.join(MODULES)}")
    found, todo = set(), list(IMPORTS[module])
    while todo:
        m = todo.pop()
        if m not in found:
            found.add(m)
            todo.extend(IMPORTS[m])
    return tuple(m for m in MODULES if m in found)


def alias_candidates(exercise):
    """{name: [aliases in order]} to resolve for one exercise, plus whether case may differ.

    Inputs:
    - exercise: an exercise id (not the gate).

    Returns:
    - (name, aliases, any_case): the exercise's own name, its catalog aliases, and True
      for classes (whose names may also differ only in case).
    """
    entry = by_id(exercise)
    if entry.kind == "gate":
        raise ValueError("the MNIST gate has no name to resolve")
    return entry.name, entry.aliases, entry.kind == "class"


def names_match(exercise, name):
    """True when ``name`` is the exercise's name or one it is accepted under.

    Used where a check compares class names (``type(layer).__name__``): a network built
    from the learner's own ``ReLU`` class is built from a Relu.
    """
    own, aliases, any_case = alias_candidates(exercise)
    return name == own or name in aliases or (any_case and same_class_spelling(name, own))


def same_class_spelling(a, b):
    """True when two class names differ only in case and underscores (ReLU, softmax_with_loss)."""
    return a.replace("_", "").lower() == b.replace("_", "").lower()
