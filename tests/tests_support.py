"""Small helpers shared by test modules."""
import re
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


# Names of the grader's own machinery that no report may show a student: the kit's modules and
# files, its probes and proxies, pytest's vocabulary, worker-process and traceback-frame jargon,
# the grader's temporary folders. (A student's own source line may quote anything: the corpus
# entries checked with this quote none of these.)
INTERNAL_NAMES = re.compile(
    r"\bautograder\b|\bsolutions[./]|\b_worker_main\b|\bprobes?\b|\bcall_with_global\b|\bforward_fresh\b"
    r"|\bgate_(?:chunk|network|update)\b|\bGateSession\b|\bset_params_inplace\b|\bRemote\b|\bHandle\b"
    r"|\bworkers?\b|\bframes?\b|\bpytest\b|\bconftest\b|\bfixtures?\b|\bnodeid\b|\bstash\b|\bmap_index\b"
    r"|\bcall #\d|\bsubmission\.\w|dlgrade-\w|\b(?:compare|plugin|grading|gate|numgrad|callstyle|wire|pool"
    r"|sandbox|test_\w+)\.py\b")


def internal_names(report):
    """The lines of a report that show a grader-internal name, with the name (empty: none).

    The header's "Graded PATH." (the path the TA typed) and "Isolation: ..." (the sandbox
    the machine gave) describe the run, not a failure, and are left out.
    """
    found = []
    for line in report.splitlines():
        if line.startswith(("Graded ", "Isolation: ")):
            continue
        found += [f"{m.group(0)!r} in: {line.strip()}" for m in INTERNAL_NAMES.finditer(line)]
    return found


def run_dlgrade(*args, env=None, timeout=600):
    """Run ``python -m autograder ARGS`` (the dlgrade command) and return the CompletedProcess (text)."""
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "autograder", *map(str, args)], capture_output=True, text=True,
                          env=env, timeout=timeout)
