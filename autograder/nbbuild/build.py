"""Assemble the course notebooks and write the nbgrader course directory.

An assignment is described (in :mod:`autograder.nbbuild.content`) as a list of *parts*;
:func:`build_notebook` turns the parts into cells:

- :class:`Markdown`: an explanation cell.
- :class:`Setup`: the locked ``given-setup`` imports cell.
- :class:`Given`: locked reference code of an exercise module (``given-<module>-<what>``).
- :class:`Exercise`: the explanation, the student's answer cell (``sol-<module>-<Name>``,
  preceded by a ``given-<module>-helpers`` cell the first time the module appears) and one
  locked test cell per check of the grading engine, worth that check's points.
- :class:`Demo`: locked code the student runs (a plot, a gradient check, training).

Test cells call :func:`autograder.notebook.run_check`, so a notebook and ``dlgrade grade``
run the very same checks with the same messages and points; checks whose visibility is
not "visible" go between nbgrader's ``### BEGIN HIDDEN TESTS`` / ``### END HIDDEN TESTS``.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from autograder import UserError
from autograder.atomic import write_text_atomic
from autograder.i18n import LANGUAGES, _, current_language, using_language
from autograder.nbbuild import conventions as conv
from autograder.nbbuild import text as nbtext
from autograder.nbbuild.source import HINT_LABEL, Solutions

NBGRADER_SCHEMA_VERSION = 3
LANG_VARIABLE = "DLGRADE_LANG"  # autograder.i18n reads it: the language of the engine's messages
CELL_TIMEOUT = 120  # seconds per cell under nbgrader (the MNIST gate takes ~10 s)
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


# ----------------------------------------------------------------------------- parts


@dataclass(frozen=True)
class Markdown:
    text: str


@dataclass(frozen=True)
class Setup:
    pass


@dataclass(frozen=True)
class Given:
    """Reference code of ``module``: ``names`` and the helpers they use, markers removed."""

    module: str
    names: tuple
    what: str = "reference"
    comment: str = ""


@dataclass(frozen=True)
class Exercise:
    """An exercise id (``layers.Affine``, or ``mnist`` for the gate, which has no answer cell)."""

    exercise: str
    text: str


@dataclass(frozen=True)
class Demo:
    """Locked code the student runs; ``comment`` heads the cell, ``_t("...")`` marks printed phrases."""

    name: str
    comment: str
    source: str


@dataclass(frozen=True)
class Assignment:
    name: str
    parts: tuple


# ----------------------------------------------------------------------------- cells


def _nbgrader(grade_id, *, grade=False, solution=False, locked=False, points=None):
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked,
            "schema_version": NBGRADER_SCHEMA_VERSION, "solution": solution, "task": False}
    if grade:
        meta["points"] = points
    return {"nbgrader": meta}


class _Cells:
    """Collects the cells of one notebook; ids are deterministic so rebuilds diff cleanly."""

    def __init__(self, name):
        self.name = name
        self.cells = []
        self.grade_ids = set()
        self.cell_ids = set()

    def _cell_id(self, base):
        cell_id = conv.sanitize(base)[:64] or "cell"
        if len(base) > 64 or cell_id in self.cell_ids:
            digest = hashlib.sha1(f"{base}#{len(self.cells)}".encode()).hexdigest()[:8]
            cell_id = f"{cell_id[:55]}-{digest}"
        self.cell_ids.add(cell_id)
        return cell_id

    def _add(self, cell_type, source, metadata, base):
        grade_id = metadata.get("nbgrader", {}).get("grade_id")
        if grade_id is not None:
            if grade_id in self.grade_ids:
                raise UserError(f"{self.name}: duplicate grade_id {grade_id!r}")
            self.grade_ids.add(grade_id)
        cell = {"cell_type": cell_type, "id": self._cell_id(base), "metadata": metadata,
                "source": source.strip("\n")}
        if cell_type == "code":
            cell.update(execution_count=None, outputs=[])
        self.cells.append(cell)

    def markdown(self, text):
        self._add("markdown", text, {}, f"md-{len(self.cells)}")

    def given(self, grade_id, source):
        self._add("code", source, _nbgrader(grade_id, locked=True), grade_id)

    def solution(self, grade_id, source):
        self._add("code", source, _nbgrader(grade_id, solution=True), grade_id)

    def test(self, grade_id, source, points):
        self._add("code", source, _nbgrader(grade_id, grade=True, locked=True, points=points), grade_id)


# ----------------------------------------------------------------------------- points


# What the builder itself writes into notebooks for students (the parts' own texts aside), in
# English: the msgids of their translations (see notebook_texts).
SETUP_COMMENT = "Given: the imports this notebook uses. Run this cell first."
LANG_COMMENT = "The language of the test cells' messages."
PLOT_FONT_COMMENT = ("The plots' labels: in this language when a font with its characters is installed "
                     "(e.g. Noto Sans CJK), else in English.")
HELPERS_COMMENT = "Given: helpers that check arguments. Run this cell; do not change it."
TEST_HEADING = "Test ({worth}): {title}"
HIDDEN_TEST_HEADING = "Hidden test ({worth}) of {exercise}: it runs when your work is graded."
ONE_POINT, POINTS = "{points} point", "{points} points"
# What nbgrader's generate_assignment writes in place of each solution region (its default,
# nbgrader.preprocessors.ClearSolutions.code_stub, is "# YOUR CODE HERE" above the raise).
CODE_STUB_COMMENT = "YOUR CODE HERE"
BUILDER_TEXTS = (SETUP_COMMENT, LANG_COMMENT, PLOT_FONT_COMMENT, HELPERS_COMMENT, TEST_HEADING,
                 HIDDEN_TEST_HEADING, ONE_POINT, POINTS, HINT_LABEL, CODE_STUB_COMMENT)


def _fmt_points(value, lang):
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return nbtext.translate(ONE_POINT if text == "1" else POINTS, lang).format(points=text)


# ----------------------------------------------------------------------------- notebooks


RUN_CHECK_IMPORT = "from autograder.notebook import run_check"


def _test_source(spec, points, lang):
    """A test cell: a heading comment (the feedback's summary names the cell by it), the call."""
    call = f"{RUN_CHECK_IMPORT}\nrun_check({spec.check_id!r})"
    worth = _fmt_points(points, lang)
    if spec.hidden:
        head = nbtext.translate(HIDDEN_TEST_HEADING, lang)
        return (f"# {head.format(worth=worth, exercise=spec.exercise)}\n"
                f"### BEGIN HIDDEN TESTS\n{call}\n### END HIDDEN TESTS")
    head = nbtext.translate(TEST_HEADING, lang)
    return f"# {head.format(worth=worth, title=_(spec.title))}\n{call}"


def _comment(text):
    """``text`` as comment lines."""
    return "\n".join("# " + line if line else "#" for line in text.splitlines())


def setup_source(solutions, lang="en"):
    """The given-setup cell: every import the reference modules make, plus matplotlib; and the
    notebook's language in the kernel's environment, which the test cells' messages follow."""
    wanted = set()
    for module in conv.MODULE_DEPS:
        wanted.update(solutions[module].imports())
    missing = wanted - set(conv.MODULE_IMPORTS)
    if missing:
        raise UserError(f"reference modules import {sorted(missing)}; add them to MODULE_IMPORTS")
    return "\n".join([
        _comment(nbtext.translate(SETUP_COMMENT, lang)),
        *conv.MODULE_IMPORTS,
        "",
        "import matplotlib.pyplot as plt",
        "",
        "import os",
        "",
        _comment(nbtext.translate(LANG_COMMENT, lang)),
        f"os.environ[{LANG_VARIABLE!r}] = {lang!r}",
        *(["", _comment(nbtext.translate(PLOT_FONT_COMMENT, lang)), *nbtext.plot_font_source(lang)]
          if nbtext.plot_font_source(lang) else []),
    ])


def notebook_texts(assignments=None, solutions=None):
    """Every English text the builder may translate (the msgids of the ``notebooks`` domain).

    Inputs:
    - assignments: the :class:`Assignment` list (default: the course's, from :mod:`.content`).
    - solutions: a :class:`source.Solutions` for the hints (default: the installed reference).

    Returns: list of texts, each once, in course order.
    """
    from autograder.nbbuild.content import ASSIGNMENT_PARTS
    from autograder.nbbuild.regrade import REGRADED_NOTE

    solutions = solutions or Solutions()
    texts = list(BUILDER_TEXTS) + list(nbtext.FEEDBACK_WORDS) + [REGRADED_NOTE]
    for assignment in assignments or ASSIGNMENT_PARTS:
        for part in assignment.parts:
            if isinstance(part, (Markdown, Exercise)):
                texts.append(part.text)
            elif isinstance(part, Given) and part.comment:
                texts.append(part.comment)
            elif isinstance(part, Demo):
                texts.append(part.comment)
                texts.extend(nbtext.demo_texts(part.source))
    for module in conv.MODULE_DEPS:
        texts.extend(solutions[module].hints())
    return list(dict.fromkeys(t.strip("\n") for t in texts))


def build_notebook(assignment, specs, points, solutions, lang="en"):
    """One assignment's notebook as a plain dict in nbformat v4.5 (not yet validated).

    Inputs:
    - assignment: an :class:`Assignment`.
    - specs: {exercise: [CheckSpec, ...]} in report order.
    - points: {check_id: points}: each check's ``max_score`` (multiples of
      ``rubric.POINT_UNIT``, so nbgrader's sums of them are exact).
    - solutions: a :class:`source.Solutions`.
    - lang: the notebook's language (``en``, ``ko``, ``ja``): its text, from :mod:`.text`.
    """
    cells = _Cells(assignment.name)

    def tr(text):
        return nbtext.translate(text, lang)

    emitted = {}  # module -> names of its definitions already in the notebook

    def emit_given(module, names, what, comment):
        src = solutions[module]
        names = [n for n in src.with_dependencies(names) if n not in emitted.setdefault(module, set())]
        if not names:
            return
        emitted[module].update(names)
        code = src.reference_cell(names)
        head = f"{_comment(tr(comment))}\n" if comment else ""
        cells.given(conv.given_id(module, what), head + code)

    for part in assignment.parts:
        if isinstance(part, Markdown):
            cells.markdown(tr(part.text))
        elif isinstance(part, Setup):
            cells.given(conv.SETUP_ID, setup_source(solutions, lang))
        elif isinstance(part, Given):
            emit_given(part.module, part.names, part.what, part.comment)
        elif isinstance(part, Demo):
            source = nbtext.translate_demo(part.source.strip("\n"), lang)
            cells.given(f"demo-{conv.sanitize(part.name)}", f"{_comment(tr(part.comment))}\n{source}")
        elif isinstance(part, Exercise):
            if part.exercise not in specs:
                raise UserError(f"{assignment.name}: no checks for exercise {part.exercise!r}")
            cells.markdown(tr(part.text))
            if part.exercise != "mnist":
                module, name = part.exercise.split(".", 1)
                src = solutions[module]
                helpers = [h for h in src.helpers if h not in emitted.get(module, set())]
                if helpers:
                    emit_given(module, helpers, "helpers", HELPERS_COMMENT)
                cells.solution(conv.solution_id(part.exercise), src.solution_cell(name, translate=tr))
                emitted.setdefault(module, set()).add(name)
            for spec in specs[part.exercise]:
                cells.test(conv.test_id(spec.check_id), _test_source(spec, points[spec.check_id], lang),
                           points[spec.check_id])
        else:
            raise TypeError(f"unknown notebook part {part!r}")
    return {
        "cells": cells.cells,
        "metadata": {"kernelspec": dict(KERNELSPEC),
                     "language_info": {"name": "python"},
                     "dlgrade": {"assignment": assignment.name, "language": lang}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def assignment_checks(assignment, all_specs):
    """{exercise: [CheckSpec]} of the exercises an assignment grades (conventions.ASSIGNMENTS)."""
    wanted = conv.ASSIGNMENTS[assignment.name]
    by_exercise = {e: [] for e in wanted}
    for spec in all_specs:
        if spec.exercise in by_exercise:
            by_exercise[spec.exercise].append(spec)
    graded = tuple(p.exercise for p in assignment.parts if isinstance(p, Exercise))
    if graded != wanted:
        raise UserError(f"{assignment.name}: its parts grade {graded}, the conventions say {wanted}")
    return by_exercise


# ----------------------------------------------------------------------------- course


NBGRADER_CONFIG = '''\
"""nbgrader configuration of the course, written by `dlgrade nbgrader build`.

Run the nbgrader commands from this folder (it is the course root). Rebuilding
the course overwrites this file.
"""
c = get_config()  # noqa: F821 - provided by nbgrader when it loads this file

c.CourseDirectory.course_id = {course_id!r}

# The notebooks' language is set by `dlgrade nbgrader build --lang`: each notebook's setup
# cell puts it in its kernel's DLGRADE_LANG, which the test cells' messages follow. What
# generate_assignment writes in place of each answer, in that language:
c.ClearSolutions.code_stub = {{"python": {code_stub!r}}}

# Seconds per cell when nbgrader executes a notebook (default 30). The slowest
# graded cell, the MNIST accuracy gate, takes about 10 s; an infinite loop in
# an answer costs this long per test cell that calls it, and only those cells.
c.ExecutePreprocessor.timeout = {timeout}
c.Execute.timeout = {timeout}

# Feedback (generate_feedback) goes through the kit's preprocessors and template
# (autograder/nbbuild/feedback.py): hidden tests removed, also from the tracebacks of their
# cells (nbgrader #917: nbgrader 0.9.6 restores them into the autograded notebook, and
# GenerateFeedback renders that notebook as it is); formulas converted to MathML, so the
# page needs no network; long messages wrapped; every test cell named in the summary.
from autograder.nbbuild.feedback import configure_feedback  # noqa: E402

configure_feedback(c)
'''


def _check_course_id(course_id):
    if not isinstance(course_id, str) or not course_id or not all(ch.isalnum() or ch in "_-." for ch in course_id):
        raise UserError(f"course id must be letters, digits, '_', '-' or '.', got {course_id!r}")


def build_course(course_dir, course_id="dlscratch", solutions_dir=None, rubric=None, lang=None):
    """Write the nbgrader course directory.

    Inputs:
    - course_dir: folder to write (created if needed); existing files other than the
      ones listed below are left alone.
    - course_id: nbgrader's CourseDirectory.course_id.
    - solutions_dir: the reference solutions (default: the installed ``solutions``).
    - rubric: a rubric.Rubric for points and visibility (default: the built-in one).
    - lang: ``en``, ``ko`` or ``ja``: the notebooks' language and their kernels'
      ``DLGRADE_LANG`` (default: the current language, see :mod:`autograder.i18n`).

    Returns: list of the paths written: ``nbgrader_config.py`` and
    ``source/<assignment>/<assignment>.ipynb`` for each assignment.
    """
    import nbformat

    from autograder.grading import collect_checks
    from autograder.nbbuild.content import ASSIGNMENT_PARTS

    _check_course_id(course_id)
    lang = current_language() if lang is None else lang
    if lang not in LANGUAGES:
        raise UserError(f"unknown language {lang!r}: choose one of {', '.join(LANGUAGES)}")
    course_dir = Path(course_dir)
    if course_dir.exists() and not course_dir.is_dir():
        raise UserError(f"{course_dir} exists and is not a directory")
    solutions = Solutions(solutions_dir)
    notebooks = {}
    # Check titles, through autograder.i18n; a context, not set_language: that would outlive
    # the build when called inside another language's context.
    with using_language(lang):
        # Collected in the notebooks' language: a parametrized check's title ("... [5.0]") is
        # translated when it is made, not afterwards.
        specs = collect_checks(rubric)
        points = {spec.check_id: spec.max_score for spec in specs}
        for assignment in ASSIGNMENT_PARTS:
            nb = nbformat.from_dict(build_notebook(assignment, assignment_checks(assignment, specs),
                                                   points, solutions, lang))
            nbformat.validate(nb)  # a schema mistake is a bug in the builder: fail before writing
            notebooks[assignment.name] = nb
    written = []
    config = course_dir / "nbgrader_config.py"
    code_stub = f"# {nbtext.translate(CODE_STUB_COMMENT, lang)}\nraise NotImplementedError()"
    write_text_atomic(config, NBGRADER_CONFIG.format(course_id=course_id, timeout=CELL_TIMEOUT, code_stub=code_stub))
    written.append(config)
    for name, nb in notebooks.items():
        path = course_dir / "source" / name / f"{name}.ipynb"
        write_text_atomic(path, nbformat.writes(nb) + "\n")
        written.append(path)
    return written
