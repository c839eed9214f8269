"""The nbgrader side of the kit: course notebooks built from ``solutions/``, and read back.

How the parts fit:

- :mod:`.conventions`: grade-id rules and which exercises each assignment grades; shared by
  both directions and cheap to import.
- :mod:`.source`: cuts functions and classes out of ``solutions/<module>.py`` (with ``ast``)
  for answer cells (solution markers kept, in nbgrader's syntax) and given cells.
- :mod:`.content`: the prose and demo code of the three assignments.
- :mod:`.build`: turns an assignment into cells (one locked, graded test cell per check of
  the grading engine, calling :func:`autograder.notebook.run_check`) and writes the nbgrader
  course directory (``dlgrade nbgrader build``).
- :mod:`.extract`: turns a student's notebook back into exercise modules, so that
  ``dlgrade grade NOTEBOOK.ipynb`` grades it with the isolated engine
  (used by :mod:`autograder.submission`).
"""
from autograder.nbbuild.conventions import ASSIGNMENTS

__all__ = ["ASSIGNMENTS", "build_course"]


def build_course(course_dir, course_id="dlscratch", **kwargs):
    """Write the nbgrader course directory; see :func:`autograder.nbbuild.build.build_course`."""
    from autograder.nbbuild.build import build_course as _build

    return _build(course_dir, course_id, **kwargs)
