"""What can go wrong when the grader runs student code, as exceptions.

:class:`StudentCodeError` and its subclasses are the student's failures (the current check
fails, grading goes on); each has a student-facing ``describe()``. :class:`WorkerStartupError`
and :class:`WorkerUsageError` are the grader's own problems.
"""
from __future__ import annotations

import signal

from autograder.i18n import _
from autograder.sandbox.frame import EXIT_PIPE_BROKEN

_SIGNAL_HINTS = {
    "SIGSEGV": "segmentation fault: invalid memory access, e.g. through ctypes or a C extension",
    "SIGBUS": "bus error: invalid memory access",
    "SIGABRT": "aborted by a C library",
    "SIGFPE": "arithmetic error in C code",
    "SIGKILL": "killed; possibly by the system for using too much memory",
    "SIGXCPU": "CPU time limit exceeded",
}


def fmt_bytes(n: float) -> str:
    """A byte count for people: ``1.5 MiB``."""
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024


class StudentCodeError(Exception):
    """Student code failed; the current check fails, grading goes on.

    Attributes:
    - context: what the grader was doing, e.g. ``"calling method Affine.forward"``.
    - output: captured stdout/stderr of the failing call (head and tail, at most ~4 KiB).
    """

    def __init__(self, *, context="", output=""):
        self.context = context
        self.output = output
        super().__init__(self.describe())

    def _lead(self):
        return f"While {self.context}, the" if self.context else "The"

    def describe(self):
        """One student-facing paragraph explaining what went wrong."""
        return f"{self._lead()} submitted code failed."


class StudentException(StudentCodeError):
    """The student code raised an exception (any BaseException).

    Attributes: ``type_name``, ``module``, ``base`` (nearest built-in exception class, e.g.
    ``"MemoryError"`` for numpy's ``_ArrayMemoryError``), ``message``, ``traceback`` (student frames only,
    ``file.py:line in func`` plus the source line), ``not_implemented`` (True for
    NotImplementedError: the exercise is still a stub), ``exit_code`` (for SystemExit),
    ``hint`` (extra advice).
    """

    def __init__(self, type_name, message, traceback="", *, module="builtins", base=None,
                 not_implemented=False, exit_code=None, hint="", context="", output=""):
        self.type_name, self.message, self.traceback = type_name, message, traceback
        self.module, self.not_implemented = module, not_implemented
        self.base = base or type_name
        self.exit_code, self.hint = exit_code, hint
        super().__init__(context=context, output=output)

    def describe(self):
        lead = self._lead()
        if self.not_implemented:
            text = f"{lead} code is not implemented yet (NotImplementedError"
            text += f": {self.message})." if self.message else ")."
        elif self.type_name == "SystemExit":
            code = "" if self.exit_code is None else repr(self.exit_code)
            text = (f"{lead} code called sys.exit({code}) (SystemExit). "
                    "Submitted functions must return their results, not exit the program.")
        elif self.type_name == "KeyboardInterrupt":
            text = f"{lead} code raised KeyboardInterrupt."
        else:
            text = f"{lead} code raised {self.type_name}"
            text += f": {self.message}" if self.message else "."
        if self.hint:
            text += f" ({self.hint})"
        if self.traceback and not self.not_implemented:  # a stub's location is no news to the student
            text += "\n" + self.traceback
        return text


class OutputLimitExceeded(StudentCodeError):
    """The code printed more than the output cap; it was stopped there."""

    def __init__(self, limit, *, context="", output=""):
        self.limit = limit
        super().__init__(context=context, output=output)

    def describe(self):
        return (f"{self._lead()} code printed more than {fmt_bytes(self.limit)} of output and was "
                "stopped (too much printing, e.g. a print inside a long loop?).")


class WorkerTimeout(StudentCodeError):
    """The call did not finish within its time limit; the worker was killed."""

    def __init__(self, seconds, *, context="", output=""):
        self.seconds = seconds
        super().__init__(context=context, output=output)

    def describe(self):
        return (f"{self._lead()} code timed out after {self.seconds:g} s "
                "(infinite loop? very slow code?) and was stopped.")


class TimeBudgetExceeded(StudentCodeError):
    """The time budget the grader set (``Worker.deadline``) ran out before or during the call.

    Each call may stay under its own timeout, yet their sum is bounded: a worker cut short
    by the budget was killed, like after a timeout.
    """

    def describe(self):
        return (f"{self._lead()} code was stopped: the time allowed for this exercise ran out "
                "(calls into your code took too long in total).")


class WorkerCrashed(StudentCodeError):
    """The worker process died during the call.

    Attributes: ``returncode`` (as from ``subprocess``: negative = killed by that signal;
    None = the process broke its pipe to the grader and had to be killed),
    ``signal_name`` (e.g. ``"SIGSEGV"``) or None, ``exit_code`` (for a plain exit) or None.
    """

    def __init__(self, returncode, *, context="", output=""):
        self.returncode = returncode
        self.signal_name = None
        self.exit_code = None
        if returncode is not None and returncode < 0:
            try:
                self.signal_name = signal.Signals(-returncode).name
            except ValueError:
                self.signal_name = f"signal {-returncode}"
        elif returncode is not None:
            self.exit_code = returncode
        super().__init__(context=context, output=output)

    def how(self):
        if self.signal_name:
            hint = _SIGNAL_HINTS.get(self.signal_name)
            return f"killed by {self.signal_name}" + (f" ({hint})" if hint else "")
        if self.exit_code == EXIT_PIPE_BROKEN or self.returncode is None:
            return ("its connection to the grader broke (did the code close or redirect "
                    "file descriptors it does not own?)")
        if self.exit_code is not None:
            return f"the process exited with code {self.exit_code} (os._exit({self.exit_code})?)"

    def describe(self):
        return f"{self._lead()} process running the code crashed: {self.how()}."


class WorkerProtocolError(WorkerCrashed):
    """The worker sent bytes that are not a valid reply (e.g. student code wrote to the pipe)."""

    def __init__(self, detail, *, context="", output=""):
        self.detail = detail
        super().__init__(None, context=context, output=output)

    def describe(self):
        return (f"{self._lead()} process running the code sent a malformed reply ({self.detail}); "
                "the code may have written to the grader's private pipe. The process was stopped.")


class StaleRemoteError(StudentCodeError):
    """A Remote from a worker process that has since been killed and replaced."""

    def __init__(self, description, *, context="", output=""):
        self.description = description
        super().__init__(context=context, output=output)

    def describe(self):
        return _("This object ({description}) was made by an earlier run of your code, stopped after a "
                 "failure (timeout or crash); it no longer exists.").format(description=self.description)


class WorkerStartupError(RuntimeError):
    """The worker process could not start (a grader/installation problem, not the student's)."""


class WorkerUsageError(RuntimeError):
    """The grader asked for something the worker cannot do (unknown probe, fetch of a non-plain object...)."""
