"""Settings shared by the project's own tests.

The checks draw their inputs from a course secret, else from a random seed per run
(``autograder.seeds``). The test suite fixes a secret, for itself and every ``dlgrade`` it
starts, so a failure in CI can be replayed; tests/test_trust.py grades with other seeds.
"""
import os

os.environ.setdefault("DLGRADE_SECRET", "dlgrade's own test suite")


def pytest_configure(config):
    # Slow tests are marked, so that `-m "not nbgrader"` gives a quick run.
    config.addinivalue_line("markers", "nbgrader: runs the real nbgrader and Jupyter kernels (slow)")
