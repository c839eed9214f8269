"""Small helpers shared by test modules."""
from pathlib import Path

SOLUTIONS = Path(__file__).resolve().parent.parent / "solutions"


def solution_namespace(*modules):
    """Globals of a notebook that ran the reference code of these modules in order.

    The code is compiled under a kernel-like file name, so tracebacks treat it as student code.
    """
    namespace = {}
    for module in modules:
        source = (SOLUTIONS / f"{module}.py").read_text().replace("from .", "from dlscratch_reference.")
        exec(compile(source, f"/tmp/ipykernel_0/{module}.py", "exec"), namespace)
    return namespace
