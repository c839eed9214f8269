"""Compatibility alias: the isolation layer now lives in ``autograder.sandbox``.

New code imports from ``autograder.sandbox.worker``, ``.errors``, ``.remote`` and
``.strays``; this module only re-exports their public names.
"""
from autograder.sandbox.errors import (  # noqa: F401
    OutputLimitExceeded, StaleRemoteError, StudentCodeError, StudentException, WorkerCrashed,
    WorkerProtocolError, WorkerStartupError, WorkerTimeout, WorkerUsageError,
)
from autograder.sandbox.process import pid_namespace_prefix  # noqa: F401
from autograder.sandbox.remote import Remote  # noqa: F401
from autograder.sandbox.strays import TOKEN_ENV, kill_strays  # noqa: F401
from autograder.sandbox.worker import (  # noqa: F401
    DEFAULT_MEMORY_LIMIT, DEFAULT_OUTPUT_LIMIT, DEFAULT_TIMEOUT, Worker,
)

__all__ = [
    "Worker", "Remote", "kill_strays", "pid_namespace_prefix",
    "StudentCodeError", "StudentException", "OutputLimitExceeded", "WorkerTimeout",
    "WorkerCrashed", "WorkerProtocolError", "StaleRemoteError", "WorkerStartupError", "WorkerUsageError",
    "DEFAULT_TIMEOUT", "DEFAULT_MEMORY_LIMIT", "DEFAULT_OUTPUT_LIMIT", "TOKEN_ENV",
]
