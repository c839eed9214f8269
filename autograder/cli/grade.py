"""``dlgrade grade SUBMISSION``: grade one submission and write its results."""
import sys

from autograder import UserError
from autograder.sandbox.isolation import REQUESTS


def add_parser(sub):
    p = sub.add_parser("grade", help="grade a submission (directory, .zip or course notebook .ipynb)",
                       description="Grade a submission in isolated worker processes.")
    p.add_argument("submission", help="directory holding the exercise modules, a .zip of one, "
                   "or a notebook of the nbgrader course (.ipynb)")
    p.add_argument("--json", metavar="FILE", help="write Gradescope results.json here")
    p.add_argument("--junit", metavar="FILE", help="write JUnit XML here")
    p.add_argument("--rubric", metavar="FILE", help="TOML file overriding points, visibility and the MNIST gate")
    p.add_argument("--timeout", type=float, default=5.0, metavar="S",
                   help="time limit per call into student code, seconds (default 5)")
    p.add_argument("--memory", type=float, default=2.0, metavar="GIB",
                   help="memory limit of a worker process, GiB (default 2)")
    p.add_argument("--data-dir", metavar="DIR",
                   help="folder with the four MNIST .gz files (default: $MNIST_DATA_DIR, else the package cache)")
    p.add_argument("--only", action="append", metavar="EXERCISE",
                   help="grade only this exercise id (repeatable); the others score 0")
    p.add_argument("--fail-under", type=float, metavar="SCORE",
                   help="exit 1 when the score is below SCORE")
    p.add_argument("--sandbox", choices=REQUESTS, default="auto",
                   help="how to isolate student code: auto (default: the strongest this machine allows), "
                   "bwrap (bubblewrap sandbox), uid (a dedicated uid, as root), off (none: trusted code only)")
    p.add_argument("--student-view", action="store_true",
                   help="hide failure details of hidden checks in the report")
    from autograder.wire import DEFAULT_MAX_SIZE

    p.add_argument("--max-reply", type=float, default=DEFAULT_MAX_SIZE / 2**20, metavar="MIB",
                   help=f"largest reply accepted from a worker process, MiB (default {DEFAULT_MAX_SIZE // 2**20})")
    p.add_argument("--seed", metavar="ID",
                   help="draw the checks' inputs from this seed id (as recorded in an earlier results.json) "
                        "to replay that grading; default: the course secret, else a random seed")
    p.add_argument("--lang", metavar="L",
                   help="language of the report and messages: en, ko or ja (default: $DLGRADE_LANG, else the "
                        "locale, LANG)")
    p.add_argument("--checks", metavar="DIR",
                   help="run this check suite (a folder like autograder/checks) instead of the built-in one")
    p.set_defaults(run=run)


# The grader's own failure (its check suite does not run): neither the student's nor the user's.
EXIT_GRADER_ERROR = 3


def run(args):
    from autograder.grading import CheckSuiteError, GradeOptions, grade
    from autograder.i18n import LANGUAGES, set_language
    from autograder.report import render
    from autograder.results import write_json
    from autograder.rubric import Rubric

    if args.lang is not None and args.lang not in LANGUAGES:
        raise UserError(f"--lang must be one of {', '.join(LANGUAGES)}, got {args.lang!r}")
    set_language(args.lang)  # None: DLGRADE_LANG, else the locale
    if args.timeout <= 0:
        raise UserError("--timeout must be positive")
    if args.memory < 0.25:
        raise UserError("--memory must be at least 0.25 GiB")
    rubric = Rubric.load(args.rubric) if args.rubric else Rubric()
    try:
        options = GradeOptions(timeout=args.timeout, memory_limit=int(args.memory * 2**30), rubric=rubric,
                               only=frozenset(args.only) if args.only else None, junit_path=args.junit,
                               data_dir=args.data_dir, checks_dir=args.checks, sandbox=args.sandbox,
                               max_reply=int(args.max_reply * 2**20), seed=args.seed,
                               lang=args.lang)
        options.validate()
    except ValueError as exc:
        raise UserError(str(exc)) from None
    try:
        result = grade(args.submission, options)
    except CheckSuiteError as exc:
        print(f"dlgrade grade: error: {exc}. pytest's log:\n{exc.log}", file=sys.stderr)
        return EXIT_GRADER_ERROR
    sys.stdout.write(render(result, show_hidden=not args.student_view))
    if args.json:
        write_json(result, args.json)
    if args.fail_under is not None and result.score < args.fail_under:
        return 1
    return 0
