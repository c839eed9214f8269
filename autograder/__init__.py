"""Grading engine for the Deep Learning from Scratch course kit.

How the parts fit:

- ``autograder.cli``: the thin ``dlgrade`` command, one module per subcommand.
- ``autograder.stubgen``: turns ``solutions/`` into the student stubs in ``exercises/``.
- the engine (``submission``, ``pool``, ``wire``, ``sandbox``, ``checks/``,
  ``plugin``, ``compare``, ``numgrad``, ``probes``, ``rubric``, ``results``,
  ``report``, ``grading``) is described in the README section "How a grade is
  reached".
- ``autograder.nbbuild`` builds the nbgrader course from ``solutions/`` and
  extracts a student's notebook into modules for the engine;
  ``autograder.notebook.run_check`` runs one check inside a notebook kernel
  (the nbgrader test cells).
"""


class UserError(Exception):
    """A mistake in how the command was called (bad path, malformed file).

    The CLI prints the message on one line and exits with status 2; it is never
    shown as a traceback.
    """
