"""The kit's own messages raised inside a worker, sent as codes the grader words in the student's language.

Grader code that runs in a worker (``_worker_main``, ``probes``, ``callstyle``, the given
modules) cannot translate: a worker has no catalogs and no language. It raises an ordinary
exception with the English text, tagged with a code and its fields (:func:`error`); the
worker sends the code and fields beside the message (``_worker_main.RequestServer.error_info``)
and the grader replaces the message with ``_(MESSAGES[code]).format(**fields)``
(``autograder.sandbox.worker.Worker._error``). A code the grader does not know, or fields
that do not fit its template, leave the English message as it is.

Stdlib only: a sandboxed worker imports this module from its copy of the worker's code
(``autograder.sandbox.boot.WORKER_MODULES``). The given modules, which run as the student's
code and cannot import the kit, set :data:`ATTRIBUTE` themselves (a test keeps their text
equal to the template here).
"""

ATTRIBUTE = "dlgrade_message"  # on an exception: (code, {field: str})


def N_(message):
    """Mark a message for the catalogs (``autograder.i18n.N_``; the worker does not import it)."""
    return message


MESSAGES = {
    # _worker_main
    "blocked_import": N_("{name} is not available to submissions"),
    "unprintable": N_("<message could not be converted to text>"),
    "unsendable": N_("the result cannot be sent to the grader: {reason}"),
    # callstyle
    "no_init_std": N_("TwoLayerNet{signature} has no parameter for the initial weight scale "
                      "(the book's weight_init_std=0.01)"),
    # probes
    "params_not_dict": N_("net.params must be a dict, got {type}"),
    "params_no_key": N_("net.params has no key {key} (keys: {keys})"),
    "params_shape": N_("net.params[{key}] should be an array of shape {shape}, got {got}"),
    # given/dataset_mnist.py (sets ATTRIBUTE itself)
    "load_mnist_unavailable": N_("load_mnist is not available while your code is graded: the grader trains "
                                 "your network itself. Keep training code under `if __name__ == \"__main__\":`."),
}

# Appended by the grader to an AttributeError or NameError when the worker found similar names.
SUGGESTION = N_("did you mean {names}?")


def error(cls, code, **fields):
    """``cls(English text)`` tagged with ``code`` and ``fields`` (str values) for the grader."""
    fields = {k: str(v) for k, v in fields.items()}
    exc = cls(MESSAGES[code].format(**fields))
    setattr(exc, ATTRIBUTE, (code, fields))
    return exc


def tag(exc):
    """``(code, fields)`` of an exception raised by :func:`error` (or tagged likewise), else None.

    Student code could tag its own exceptions: it then chooses one of these texts, with fields
    it could have written into its message anyway.
    """
    try:
        found = getattr(exc, ATTRIBUTE, None)
    except Exception:  # noqa: BLE001 - a student __getattr__ may raise anything
        return None
    return checked(*found) if type(found) is tuple and len(found) == 2 else None


def checked(code, fields):
    """``(code, fields)`` when ``code`` is a known code and ``fields`` a dict of str fitting its template, else None."""
    if type(code) is not str or code not in MESSAGES or type(fields) is not dict:
        return None
    if not all(type(k) is str and type(v) is str for k, v in fields.items()):
        return None
    try:
        MESSAGES[code].format(**fields)
    except (KeyError, IndexError, ValueError):
        return None
    return code, dict(fields)
