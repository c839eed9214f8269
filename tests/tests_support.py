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


def run_dlgrade(*args, env=None, timeout=600):
    """Run ``python -m autograder ARGS`` (the dlgrade command) and return the CompletedProcess (text)."""
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "autograder", *map(str, args)], capture_output=True, text=True,
                          env=env, timeout=timeout)
