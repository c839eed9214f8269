"""How to grade: :class:`GradeOptions`, the one place the grading options and their defaults live.

``autograder.grading.grade`` takes them; the ``dlgrade`` subcommands declare their flags from
these defaults (``autograder/cli/options.py``). A light module: building the command line
must not import the grader (pytest, the reference solutions).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from autograder import wire
from autograder.exercises import EXERCISES
from autograder.i18n import LANGUAGES
from autograder.rubric import Rubric
from autograder.sandbox.isolation import REQUESTS

__all__ = ["GradeOptions"]


@dataclass
class GradeOptions:
    """How to grade. The defaults are what ``dlgrade grade`` uses."""

    timeout: float = 5.0  # seconds per call into student code
    memory_limit: int = 2 * 2**30  # bytes per worker process
    rubric: Rubric = field(default_factory=Rubric)
    only: frozenset | None = None
    junit_path: str | None = None
    data_dir: str | None = None
    checks_dir: str | None = None  # another check suite (a folder like autograder/checks)
    max_reply: int = wire.DEFAULT_MAX_SIZE  # bytes: the largest reply accepted from a worker
    seed: str | None = None  # replay the inputs of this seed id (see autograder.seeds)
    sandbox: str = "auto"  # isolation level requested: auto, bwrap, uid or off (see sandbox.isolation)
    lang: str | None = None  # language of what the student reads: en, ko, ja (None: the current one, i18n)

    def validate(self) -> None:
        """Raise ValueError naming the first field with a bad value."""
        if self.lang is not None and self.lang not in LANGUAGES:
            raise ValueError(f"lang must be one of {', '.join(LANGUAGES)}, got {self.lang!r}")
        if self.sandbox not in REQUESTS:
            raise ValueError(f"sandbox must be one of {', '.join(REQUESTS)}, got {self.sandbox!r}")
        if self.timeout <= 0:
            raise ValueError(f"timeout must be positive, got {self.timeout}")
        if not 2**20 <= self.max_reply <= 2**30:
            raise ValueError(f"max_reply must be between 1 MiB and 1 GiB, got {self.max_reply}")
        if self.memory_limit < 256 * 2**20:
            raise ValueError(f"memory_limit must be at least 256 MiB, got {self.memory_limit}")
        if self.only is not None:
            unknown = set(self.only) - set(EXERCISES)
            if unknown:
                raise ValueError(f"unknown exercise id(s): {', '.join(sorted(unknown))}")
        if self.checks_dir is not None and not Path(self.checks_dir).is_dir():
            raise ValueError(f"checks folder not found: {self.checks_dir}")
