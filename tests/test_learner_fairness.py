"""Unfair grades found by grading real learners' published code of the book, each fixed at its root.

Each test reproduces, on the reference solutions with a small change (``test_fairness.submission``),
what a learner's repository showed: a correct-but-different implementation that lost points, a
harness that failed on an import style, or a message that blamed the wrong thing. The realistic
corpus (tests/submissions/realistic/, tests/test_realistic.py) keeps whole submissions in these
styles graded.
"""
from __future__ import annotations

from autograder.report import render
from test_fairness import failures, full, require_mnist, run, submission

import pytest


@pytest.mark.mnist
def test_a_module_that_fails_inside_another_names_the_file_at_fault(tmp_path):
    """The MNIST gate imports two_layer_net.py, which imports gradient.py, which raises at one of its lines:
    the row names gradient.py and its line, not "two_layer_net.py ... at line 3"."""
    require_mnist()
    path = submission(tmp_path, [("gradient.py", "import numpy as np\n",
                                  "import numpy as np\nimport sys, os\nfrom common.gradient import no_such_name\n")])
    lines = (path / "gradient.py").read_text(encoding="utf-8").splitlines()
    lineno = lines.index("from common.gradient import no_such_name") + 1
    report = render(run(path, "mnist"))
    row = " ".join(next(line for line in report.split("\n  ") if line.startswith("mnist")).split())
    assert f"two_layer_net.py does not import: ImportError in gradient.py at line {lineno}: " in row, report
