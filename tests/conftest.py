"""Fixtures shared by the test modules (helpers that need no fixture live in tests_support.py)."""
import os
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def mnist_dir():
    """The MNIST folder of MNIST_DATA_DIR; a test using it fails (never skips) without the data."""
    data = os.environ.get("MNIST_DATA_DIR")
    if not data or not Path(data).is_dir():
        pytest.fail("MNIST_DATA_DIR must point at the four MNIST .gz files for this test")
    return Path(data)


@pytest.fixture(scope="session")
def make_class():
    """Build a class folder from corpus entries: make_class(dest, {student: "kind/name"}) -> dest.

    Each student's folder is the corpus entry assembled (``tests/corpus.py``): complete
    submissions with the entry's mistake.
    """
    import corpus

    entries = {e.id: e for e in corpus.load_all()}

    def build(dest, students):
        dest = Path(dest)
        dest.mkdir(parents=True, exist_ok=True)
        for student, entry_id in students.items():
            corpus.assemble(entries[entry_id], dest / student)
        return dest

    return build
