"""``dlgrade nbgrader build|validate``: the nbgrader version of the course.

- ``build COURSE_DIR [--lang ko|ja|en]``: write the course as an nbgrader course directory, in
  one language (the work is done by :mod:`autograder.nbbuild`; building needs only nbformat,
  and Babel for a translated course).
- ``validate NOTEBOOK...``: run notebooks with nbgrader's own Validator (its Python API)
  and exit 1 when a test cell fails; ``nbgrader validate`` itself exits 0 even then
  (nbgrader #1908). Needs nbgrader (``pip install 'dlscratch-kit[nbgrader]'``).

- ``autograde ASSIGNMENT [--student ID] [--force]``: nbgrader's autograde, then every
  submission regraded with the isolated engine, whose scores replace the kernel's in the
  gradebook (the work is done by :mod:`autograder.nbbuild.course`). Run it in the course
  directory instead of ``nbgrader autograde``: the test cells run in the student's kernel,
  where an answer cell can fake them.

Releasing and collecting is nbgrader's job (see the README).
"""
import re

from autograder import UserError
from autograder.i18n import LANGUAGES
from autograder.sandbox.isolation import REQUESTS

DEFAULT_COURSE_ID = "dlscratch"


def add_parser(sub):
    parser = sub.add_parser("nbgrader", help="build the course as nbgrader notebooks",
                            description="Work with the nbgrader version of the course.")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    build = actions.add_parser(
        "build", help="write nbgrader_config.py and source/<assignment>/<assignment>.ipynb",
        description=("Write an nbgrader course directory: nbgrader_config.py and one source notebook per "
                     "assignment (ps1_losses_gradients, ps2_backprop_layers, ps3_two_layer_net), with answer "
                     "cells from solutions/ and one graded test cell per check of `dlgrade grade`. Existing "
                     "files of the same names are replaced; nothing else in the folder is touched."))
    build.add_argument("course_dir", metavar="COURSE_DIR", help="the course folder (created if needed)")
    build.add_argument("--course-id", default=DEFAULT_COURSE_ID, metavar="ID",
                       help=f"nbgrader course id (default {DEFAULT_COURSE_ID!r})")
    build.add_argument("--rubric", metavar="FILE",
                       help="TOML rubric whose [points], [weight] and [visibility] the test cells follow")
    build.add_argument("--lang", choices=LANGUAGES, default=None,
                       help="the notebooks' language, and their kernels' DLGRADE_LANG, which the test cells' "
                            "messages follow (default: DLGRADE_LANG, else the locale, else en)")
    build.set_defaults(run=run_build)

    validate = actions.add_parser(
        "validate", help="run notebooks with nbgrader's validator; exit 1 if a test cell fails",
        description=("Execute each notebook with nbgrader's Validator (as `nbgrader validate` does) and report "
                     "the test cells that fail. Unlike `nbgrader validate` (nbgrader #1908), exit with status 1 "
                     "when any test cell fails, a locked cell was changed, or a notebook has no test cells."))
    validate.add_argument("notebooks", nargs="+", metavar="NOTEBOOK", help="a course notebook (.ipynb)")
    validate.set_defaults(run=run_validate)

    autograde = actions.add_parser(
        "autograde", help="nbgrader autograde, then regrade every submission with the isolated engine",
        description=("Run in the course directory instead of `nbgrader autograde`. Runs nbgrader's autograde "
                     "(executed notebooks, feedback as usual), then grades each submitted notebook with the "
                     "isolated engine and writes its scores into the gradebook: the test cells run in the "
                     "student's kernel, where an answer cell can fake them. Where the engine and the kernel "
                     "disagree the engine wins and the cell's feedback says it was regraded in isolation. "
                     "Manual scores are kept. Without --force, submissions regraded before and unchanged since "
                     "are skipped."))
    autograde.add_argument("assignment", metavar="ASSIGNMENT", help="the assignment id, e.g. ps1_losses_gradients")
    autograde.add_argument("--student", metavar="ID", help="only this student (default: every submission)")
    autograde.add_argument("--force", action="store_true",
                           help="regrade (and re-run nbgrader's autograde for) submissions already regraded")
    autograde.add_argument("--sandbox", choices=REQUESTS, default="auto",
                           help="isolation of the engine's workers, as for `dlgrade grade` (default auto)")
    autograde.set_defaults(run=run_autograde)
    return parser


def run_build(args):
    from pathlib import Path

    from autograder.nbbuild import build_course
    from autograder.rubric import MnistGate, Rubric

    rubric = None
    if args.rubric:
        rubric = Rubric.load(args.rubric)
        # Test cells run the checks with the built-in gate settings (run_check has no rubric).
        if rubric.mnist != MnistGate():
            raise UserError(f"{args.rubric}: the notebooks' MNIST gate uses the built-in [mnist] settings; "
                            "remove the [mnist] section to build them")
    try:
        written = build_course(args.course_dir, args.course_id, rubric=rubric, lang=args.lang)
    except OSError as exc:
        raise UserError(f"cannot write the course into {args.course_dir}: {exc.strerror or exc}") from None
    root = Path(args.course_dir)
    for path in written:
        print(f"wrote {path}")
    print(f"next: cd {root} && nbgrader generate_assignment ps1_losses_gradients")
    return 0


_ERROR_LINE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Interrupt|Exit)\b")
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _summary(failure):
    """The check a failed cell runs (or its first line), and the error's final message.

    A failing check's output is its message alone (``notebook.CheckFailed``); any other
    error is a traceback, whose last ``SomeError: ...`` line onwards is kept.
    """
    source = failure.get("source", "")
    called = re.search(r"""run_check\(['"]([^'"]+)['"]""", source)
    name = called.group(1) if called else (source.strip().splitlines() or ["(empty cell)"])[0]
    lines = _ANSI.sub("", failure.get("raw_error", "")).rstrip().splitlines()
    starts = [i for i, line in enumerate(lines) if _ERROR_LINE.match(line)]
    if not any("Traceback" in line for line in lines):
        return name, lines
    return name, lines[starts[-1]:] if starts else lines[-3:]


def run_validate(args):
    from pathlib import Path

    from autograder.nbbuild.build import CELL_TIMEOUT
    from autograder.nbbuild.extract import read_notebook

    notebooks = {}
    for path in map(Path, args.notebooks):
        if not path.is_file():
            raise UserError(f"no such notebook: {path}")
        nb = read_notebook(path)  # a corrupt file is a one-line error, before any kernel starts
        notebooks[path] = [c for c in nb["cells"]
                           if isinstance(c, dict) and c.get("metadata", {}).get("nbgrader", {}).get("grade")]
    status = 0
    for path, graded in notebooks.items():
        if not graded:
            print(f"{path}: FAILED: no test cells (is this a course notebook?)")
            status = 1
            continue
        try:
            from nbgrader.validator import Validator
            from traitlets.config import Config
        except ImportError:
            raise UserError("validating needs nbgrader: pip install 'dlscratch-kit[nbgrader]'") from None
        config = Config()
        config.Execute.timeout = CELL_TIMEOUT
        results = Validator(config=config).validate(str(path.resolve()))
        if results.get("type_changed") or results.get("changed"):
            what = "type_changed" if results.get("type_changed") else "changed"
            print(f"{path}: FAILED: {len(results[what])} locked or test cell(s) were changed; "
                  "restore them from the released notebook")
            status = 1
        elif results.get("failed"):
            print(f"{path}: FAILED: {len(results['failed'])} of {len(graded)} test cells fail")
            for failure in results["failed"]:
                name, message = _summary(failure)
                print(f"  {name}")
                for line in message:
                    print(f"      {line}")
            status = 1
        else:
            print(f"{path}: ok, all {len(graded)} test cells pass")
    return status


def _points(value):
    return f"{value:.2f}".rstrip("0").rstrip(".")


def run_autograde(args) -> int:
    from autograder.grading import GradeOptions
    from autograder.nbbuild.course import NbgraderCourse, autograde, require_data, require_engine
    from autograder.nbbuild.regrade import clean_message

    course = NbgraderCourse()
    course.notebooks(args.assignment)  # a user error for an unknown or unreleased assignment
    students = course.students(args.assignment, args.student)
    require_data(args.assignment)
    isolation = require_engine(args.sandbox)
    report = autograde(course, args.assignment, students, force=args.force,
                       options=GradeOptions(sandbox=args.sandbox))
    status = 0
    if report.restored:
        print(f"WARNING: a kernel changed {report.restored} score(s) in the gradebook while it ran; "
              "they were put back")
    for outcome in report.outcomes:
        student = outcome.student
        if outcome.status == "skipped":
            print(f"{student}: skipped, {outcome.detail}")
            continue
        if outcome.status == "failed":
            print(f"{student}: FAILED, {clean_message(outcome.detail)}; the gradebook holds no engine scores for it")
            status = 1
            continue
        line = (f"{student}: {_points(outcome.score)} / {_points(outcome.max_score)}"
                f" (the kernel gave {_points(outcome.kernel_score)})")
        overturned = outcome.overturned
        if overturned:
            line += f"; {len(overturned)} test cell(s) regraded in isolation"
        print(line)
        for nb in outcome.notebooks:
            if nb.unreadable:
                print(f"  {nb.notebook}: the engine could not read it, its test cells score 0: "
                      f"{clean_message(nb.unreadable)}")
            for cell in nb.unmapped:
                print(f"  {nb.notebook}: WARNING: no check of this kit grades test cell {cell.grade_id}; "
                      "it keeps the kernel's score (was the course built with another version of the kit?)")
            if nb.internal_errors:
                print(f"  {nb.notebook}: the grader hit an internal error in "
                      f"{len(nb.internal_errors)} check(s); run `dlgrade grade` on the notebook for the log")
                status = 1
        if outcome.detail:
            print(f"  {outcome.detail}")
    print(f"Isolation of the engine: {isolation.describe()}.")
    return status
