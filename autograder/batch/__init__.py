"""Grade a whole class at once: ``dlgrade batch CLASS_DIR --out OUT_DIR``.

How the parts fit:

- ``discover``: the class folder's entries (folders, .zip, course notebooks, an nbgrader
  ``submitted/`` tree) become :class:`discover.Entry` objects, each with a content hash.
- ``journal``: the content-addressed key of a grading (submission content, kit, options)
  and the journal of finished gradings in ``OUT_DIR/.dlgrade-journal/`` (resume after kill -9).
- ``records``: :class:`records.SubmissionRecord`, one submission's outcome (graded, refused,
  crashed, timed out) as plain data.
- ``slot``: a long-lived grader process that imports the kit once and grades one
  submission after another; ``runner`` keeps N of them busy on this machine, and
  ``dask_runner`` sends the submissions to a Dask cluster instead.
- ``gradebook`` (CSV), ``report_html`` (the class report) and ``progress`` (the bar).
- ``run``: :func:`run.grade_class`, what the CLI calls.
"""
