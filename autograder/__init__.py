"""Grading engine for the Deep Learning from Scratch course kit.

How the parts fit:

- ``autograder.cli``: the thin ``dlgrade`` command, one module per subcommand.
- ``autograder.stubgen``: turns ``solutions/`` into the student stubs in ``exercises/``.
- the engine (``submission``, ``wire``, ``worker``, ``checks/``, ``plugin``,
  ``rubric``, ``results``, ``report``) is described in the README section
  "How a grade is reached".
"""


class UserError(Exception):
    """A mistake in how the command was called (bad path, malformed file).

    The CLI prints the message on one line and exits with status 2; it is never
    shown as a traceback.
    """
