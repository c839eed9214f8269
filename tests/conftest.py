"""Shared pytest set-up of the project's own tests."""


def pytest_configure(config):
    # Slow tests are marked, so that `-m "not nbgrader"` gives a quick run.
    config.addinivalue_line("markers", "nbgrader: runs the real nbgrader and Jupyter kernels (slow)")
