"""The isolation layer: student code runs only in worker processes, never in the grader.

One concern per module:

- ``frame``: the frame format of the pipes, shared by both ends (stdlib only: the
  worker imports it too);
- ``errors``: what can go wrong, as exceptions with student-facing ``describe()``;
- ``strays``: finding, killing and reaping what a worker left running;
- ``isolation``: the isolation levels (bwrap, uid, off), choosing one, and the
  bubblewrap command line (the sandbox launcher);
- ``boot``: what a sandboxed worker runs: read-only copies of its code, the runtime;
- ``tempdirs``: the grader's private run folder, and removing what killed runs left;
- ``process``: one worker process and the grader's end of its pipes;
- ``remote``: :class:`Remote`, the proxy for an object that lives in a worker;
- ``worker``: :class:`Worker`, requests, replies and restarts.

The worker's own side is ``autograder._worker_main`` (its request handler is
``RequestServer``). Names are exported lazily, so the worker can import ``frame``
without loading the grader's side.
"""
from __future__ import annotations

import importlib

_EXPORTS = {
    "Worker": "worker", "DEFAULT_TIMEOUT": "worker", "DEFAULT_MEMORY_LIMIT": "worker",
    "DEFAULT_OUTPUT_LIMIT": "worker",
    "Remote": "remote",
    "kill_strays": "strays", "TOKEN_ENV": "strays",
    "pid_namespace_prefix": "process",
    "Isolation": "isolation", "resolve": "isolation", "SandboxUnavailable": "isolation",
    "StudentCodeError": "errors", "StudentException": "errors", "OutputLimitExceeded": "errors",
    "WorkerTimeout": "errors", "TimeBudgetExceeded": "errors", "WorkerCrashed": "errors", "WorkerProtocolError": "errors",
    "StaleRemoteError": "errors", "WorkerStartupError": "errors", "WorkerUsageError": "errors",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
