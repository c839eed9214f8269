"""Given code: the helper modules the book hands out beside the exercises.

The book's exercise files import them (its ``common/layers.py`` begins with
``from common.util import im2col, col2im``), so the kit provides its own version of each,
with the same names and behaviour. The catalog (``autograder.exercises.GIVEN_MODULES``)
lists them; the grader lays them out beside the submission's modules (importable as
``util``, ``.util`` and ``common.util``; a module of the same name that the student submits
wins) and ``dlgrade stubs`` copies them into ``exercises/``. They are not exercises and are
never graded.
"""
