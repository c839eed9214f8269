"""The exercises the kit grades, in report order, and the module each lives in.

An exercise id is ``<module>.<name>`` (``layers.Affine``); the MNIST accuracy
gate is the single id ``mnist``. Every grading result lists every id here, even
when the module is missing or broken.
"""

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

EXERCISES = (
    "functions.sigmoid",
    "functions.softmax",
    "functions.sum_squared_error",
    "functions.cross_entropy_error",
    "gradient.numerical_diff",
    "gradient.numerical_gradient",
    "gradient.gradient_descent",
    "layers.MulLayer",
    "layers.AddLayer",
    "layers.Relu",
    "layers.Sigmoid",
    "layers.Affine",
    "layers.SoftmaxWithLoss",
    "two_layer_net.TwoLayerNet",
    "optimizer.SGD",
    "optimizer.Momentum",
    "optimizer.AdaGrad",
    "optimizer.Adam",
    "mnist",
)

# The MNIST gate trains the student's own network end to end, so it runs on
# every student module at once instead of one module with reference helpers.
ALL_STUDENT = "all"


def module_of(exercise):
    """Return the worker configuration an exercise is graded in.

    Inputs:
    - exercise: an exercise id from EXERCISES.

    Returns:
    - the module name (``"layers"``), or ALL_STUDENT for the MNIST gate.
    """
    if exercise not in EXERCISES:
        raise ValueError(f"unknown exercise id {exercise!r}; known: {', '.join(EXERCISES)}")
    return ALL_STUDENT if exercise == "mnist" else exercise.split(".", 1)[0]


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
