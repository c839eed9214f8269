"""The student distribution: self-check without the solutions (``dlgrade student build``).

A student distribution is the kit without the reference code and without the hidden and
after-due-date checks, plus the stubs and a *recording* of what the reference returned on
the visible checks' inputs (:mod:`.recording`). Installed, it grades with the same
``dlgrade grade`` (and ``run_check`` in a notebook): the checks' ``ref`` fixture replays
the recording instead of calling the reference, and the inputs are drawn from the fixed
key the recording was made with. How a distribution is written: :mod:`.build`.

Which mode a grading run is in is decided here, once:

- the reference is installed (the full kit): the checks call it (a builder may record it);
- it is not, and a recording lies beside this file: the self-check of a student distribution.
"""
from __future__ import annotations

import functools
import hashlib
from pathlib import Path

import numpy as np

from autograder import UserError, reference, seeds
from autograder.i18n import _

__all__ = ["DEPENDENCIES", "RECORDING", "SELF_CHECK_SECRET", "active", "annotate", "dependency_dir", "input_seed", "not_in_self_check", "note",
           "reference_module"]

RECORDING = Path(__file__).resolve().parent / "recording.json"
# The stand-ins of the reference modules that workers import (studentdist.depgen).
DEPENDENCIES = RECORDING.parent / "deps"
# The key of the self-check's inputs. Not a secret: the self-check's inputs and answers are
# public; the course's grader draws its own from the course secret.
SELF_CHECK_SECRET = "dlgrade self-check"


def dependency_dir():
    """The folder of the replaying stand-ins of the reference modules, or None (not a student distribution)."""
    return DEPENDENCIES if not reference.available() and DEPENDENCIES.is_dir() else None


def active() -> bool:
    """Whether this install is a student distribution (no reference, a recording)."""
    return not reference.available() and RECORDING.is_file()


@functools.lru_cache(maxsize=1)
def _replayer():
    from autograder.studentdist.recording import Replayer

    return Replayer(RECORDING.read_text(encoding="utf-8"))


def input_seed(seed_id: str | None, secret: str) -> seeds.InputSeed:
    """The InputSeed of a grading run: the recording's in a student distribution, else ``seeds.resolve``."""
    if not active():
        if not reference.available():
            raise UserError(f"neither the reference ({reference.PACKAGE}) nor a self-check recording is "
                            "installed: reinstall the kit")
        return seeds.resolve(seed_id, secret)
    fixed = seeds.resolve(None, SELF_CHECK_SECRET)
    if seed_id is not None and seed_id.strip() != fixed.id:
        raise UserError(f"the self-check replays the inputs it recorded (seed {fixed.id}); "
                        "--seed is for your course's grader")
    if _replayer().seed_id != fixed.id:
        raise UserError("the self-check's recording was made with other inputs: rebuild the student distribution")
    return fixed


def reference_module(context, check_id: str, module: str, real):
    """What the checks' ``ref`` fixture hands a check: the reference module ``module``.

    - real: the imported reference module, or None in a student distribution.
    - context.recorder (the builder's grading run): the real module, every call recorded.
    """
    recorder = getattr(context, "recorder", None)
    if recorder is not None:
        # Reference objects draw from numpy's global generator (TwoLayerNet's initial weights):
        # a fixed state per check keeps the recording the same from build to build.
        np.random.seed(int.from_bytes(hashlib.sha256(check_id.encode()).digest()[:4], "big"))
        return recorder.module(check_id, module, real)
    if real is not None:
        return real
    return _replayer().module(check_id, module)


def note() -> str:
    """A line for the report of a self-check ("" for the course's grader)."""
    if not active():
        return ""
    return "\n" + _("Self-check: the visible checks, compared with the reference's answers recorded on fixed inputs. "
                    "Your course's grader also runs the hidden checks and the MNIST accuracy gate, on other inputs.")


def annotate(result) -> None:
    """Say where a self-check verdict may differ from the course grader's (in place).

    The course's grader grades module M beside the reference copies of the modules it builds
    on (blame isolation); the self-check beside stand-ins that replay the reference's recorded
    answers (``studentdist.depgen``). When the student's M asks them something they did not
    record, the check ran beside the student's own modules instead (``failure["own_dependencies"]``);
    where one of those fails its checks, the failure may be theirs, and the message says so.
    """
    if not active():
        return
    from autograder.exercises import by_id, deps_of

    failing = {}
    for check in result.checks:
        if check.graded and not check.passed:
            failing.setdefault(by_id(check.exercise).module, set()).add(check.exercise)
    for check in result.checks:
        if not check.graded or check.passed or not (check.failure or {}).get("own_dependencies"):
            continue
        blamed = [m for m in deps_of(by_id(check.exercise).module) if m in failing]
        if blamed:
            names = ", ".join(sorted(e for m in blamed for e in failing[m]))
            check.output += "\n" + _(
                "Note: the self-check ran this with your own {modules}, where {names} fail their checks (your code "
                "asked the reference {modules} something the self-check did not record); your course's grader uses "
                "the reference {modules} here. Fix those first.").format(
                modules=", ".join(f"{m}.py" for m in blamed), names=names)


def not_in_self_check(check_id: str) -> str:
    """What a notebook's test cell says when its check is not in the student distribution."""
    return _("{check} is not part of the self-check (a hidden check, or the MNIST gate): your course's grader "
             "runs it.").format(check=check_id)
