"""What can go wrong when the grader runs student code, as exceptions.

:class:`StudentCodeError` and its subclasses are the student's failures (the current check
fails, grading goes on); each has a student-facing ``describe()``. :class:`WorkerStartupError`
and :class:`WorkerUsageError` are the grader's own problems.
"""
from __future__ import annotations

import re
import signal

from autograder.i18n import N_, _
from autograder.sandbox.frame import EXIT_PIPE_BROKEN

_SIGNAL_HINTS = {
    "SIGSEGV": N_("segmentation fault: invalid memory access, e.g. through ctypes or a C extension"),
    "SIGBUS": N_("bus error: invalid memory access"),
    "SIGABRT": N_("aborted by a C library"),
    "SIGFPE": N_("arithmetic error in C code"),
    "SIGKILL": N_("killed; possibly by the system for using too much memory"),
    "SIGXCPU": N_("CPU time limit exceeded"),
}


# What the grader was doing (StudentCodeError.context) and the extra advice of an exception
# (StudentException.hint) are plain English data, set where the call is made (worker.py; the
# report matches them); they are put into the student's language only when described.
_CONTEXTS = [(re.compile(pattern), template) for pattern, template in (
    (r"calling (?P<target>.+) (?P<count>\d+) times", N_("calling {target} {count} times")),
    (r"calling (?P<target>.+)", N_("calling {target}")),
    (r"importing (?P<name>.+)", N_("importing {name}")),
    (r"getting attribute (?P<name>.+) of (?P<target>.+)", N_("getting attribute {name} of {target}")),
    (r"setting attribute (?P<name>.+) of (?P<target>.+)", N_("setting attribute {name} of {target}")),
    (r"getting item (?P<key>.+) of (?P<target>.+)", N_("getting item {key} of {target}")),
    (r"setting item (?P<key>.+) of (?P<target>.+)", N_("setting item {key} of {target}")),
    (r"storing a value in the worker", N_("storing a value in the worker")),
    (r"reading (?P<target>.+)", N_("reading {target}")),
    (r"inspecting (?P<target>.+)", N_("inspecting {target}")),
    (r"comparing objects", N_("comparing objects")),
)]
_HINTS = [(re.compile(pattern), template) for pattern, template in (
    (r"ran out of memory; the limit is (?P<size>[\d.]+ \w+)", N_("ran out of memory; the limit is {size}")),
    (r"infinite recursion\?", N_("infinite recursion?")),
    # The first call of a batch is just "the call"; a later one is counted from 1, as people count.
    (r"(?:; )?in call #0 of the batch", ""),
    (r"in call #(?P<index>\d+) of the batch", N_("in call number {index} of them")),
)]


def _translated(text: str, table) -> str:
    """text in the current language when one of table's patterns matches all of it, else as it is."""
    for pattern, template in table:
        match = pattern.fullmatch(text)
        if match:
            return _(template).format(**match.groupdict())
    return text


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

    def _say(self, with_context, without_context, **fields):
        """The translated sentence that fits: with ``{context}`` (what the grader was doing) or without."""
        context = _translated(self.context, _CONTEXTS) if self.context else ""
        return (with_context if self.context else without_context).format(context=context, **fields)

    def describe(self):
        """One student-facing paragraph explaining what went wrong."""
        return self._say(_("While {context}, the submitted code failed."), _("The submitted code failed."))


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
        if self.not_implemented and self.message:
            text = self._say(_("While {context}, the code is not implemented yet (NotImplementedError: {message})."),
                             _("The code is not implemented yet (NotImplementedError: {message})."),
                             message=self.message)
        elif self.not_implemented:
            text = self._say(_("While {context}, the code is not implemented yet (NotImplementedError)."),
                             _("The code is not implemented yet (NotImplementedError)."))
        elif self.type_name == "SystemExit":
            code = "" if self.exit_code is None else repr(self.exit_code)
            text = self._say(_("While {context}, the code called sys.exit({code}) (SystemExit). "
                               "Submitted functions must return their results, not exit the program."),
                             _("The code called sys.exit({code}) (SystemExit). "
                               "Submitted functions must return their results, not exit the program."), code=code)
        elif self.type_name == "KeyboardInterrupt":
            text = self._say(_("While {context}, the code raised KeyboardInterrupt."),
                             _("The code raised KeyboardInterrupt."))
        elif self.message:
            text = self._say(_("While {context}, the code raised {error}: {message}"),
                             _("The code raised {error}: {message}"), error=self.type_name, message=self.message)
        else:
            text = self._say(_("While {context}, the code raised {error}."), _("The code raised {error}."),
                             error=self.type_name)
        if self.base.endswith("Warning") and not self.not_implemented:
            # A learner's layers.py began with warnings.filterwarnings('error'): the book's sigmoid
            # stopped at x = -800, where it only warns and returns the exact 0.
            text += " " + _("Python only warns of this by default; your modules turn warnings into errors "
                            "(warnings.filterwarnings('error') or warnings.simplefilter('error')), so the code "
                            "stopped here.")
        elif self.base == "FloatingPointError":
            text += " " + _("numpy only warns of this by default; your modules make it an error "
                            "(np.seterr(all='raise')), so the code stopped here.")
        if self.hint:
            hint = self.hint
            for pattern, template in _HINTS:
                hint = pattern.sub(lambda m, template=template: _(template).format(**m.groupdict()) if template
                                   else "", hint)
            if hint:
                text += f" ({hint})"
        if self.traceback and not self.not_implemented:  # a stub's location is no news to the student
            text += "\n" + self.traceback
        return text


class OutputLimitExceeded(StudentCodeError):
    """The code printed more than the output cap; it was stopped there."""

    def __init__(self, limit, *, context="", output=""):
        self.limit = limit
        super().__init__(context=context, output=output)

    def describe(self):
        return self._say(_("While {context}, the code printed more than {size} of output and was stopped "
                           "(too much printing, e.g. a print inside a long loop?)."),
                         _("The code printed more than {size} of output and was stopped "
                           "(too much printing, e.g. a print inside a long loop?)."), size=fmt_bytes(self.limit))


class WorkerTimeout(StudentCodeError):
    """The call did not finish within its time limit; the worker was killed."""

    def __init__(self, seconds, *, context="", output=""):
        self.seconds = seconds
        super().__init__(context=context, output=output)

    def describe(self):
        return self._say(_("While {context}, the code timed out after {seconds} s (infinite loop? very slow code?) "
                           "and was stopped."),
                         _("The code timed out after {seconds} s (infinite loop? very slow code?) and was stopped."),
                         seconds=f"{self.seconds:g}")


class TimeBudgetExceeded(StudentCodeError):
    """The time budget the grader set (``Worker.deadline``) ran out before or during the call.

    Each call may stay under its own timeout, yet their sum is bounded: a worker cut short
    by the budget was killed, like after a timeout.
    """

    def describe(self):
        return self._say(_("While {context}, the code was stopped: the time allowed for this exercise ran out "
                           "(calls into your code took too long in total)."),
                         _("The code was stopped: the time allowed for this exercise ran out "
                           "(calls into your code took too long in total)."))


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
            if hint:
                return _("killed by {signal} ({reason})").format(signal=self.signal_name, reason=_(hint))
            return _("killed by {signal}").format(signal=self.signal_name)
        if self.exit_code == EXIT_PIPE_BROKEN or self.returncode is None:
            return _("its connection to the grader broke (did the code close or redirect "
                     "file descriptors it does not own?)")
        if self.exit_code is not None:
            return _("the process exited with code {code} (os._exit({code})?)").format(code=self.exit_code)

    def describe(self):
        return self._say(_("While {context}, the process running the code crashed: {how}."),
                         _("The process running the code crashed: {how}."), how=self.how())


class WorkerProtocolError(WorkerCrashed):
    """The worker sent bytes that are not a valid reply (e.g. student code wrote to the pipe)."""

    def __init__(self, detail, *, context="", output=""):
        self.detail = detail
        super().__init__(None, context=context, output=output)

    def describe(self):
        return self._say(_("While {context}, the process running the code sent a malformed reply ({detail}); "
                           "the code may have written to the grader's private pipe. The process was stopped."),
                         _("The process running the code sent a malformed reply ({detail}); "
                           "the code may have written to the grader's private pipe. The process was stopped."),
                         detail=self.detail)


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
