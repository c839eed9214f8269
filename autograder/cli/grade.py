"""``dlgrade grade SUBMISSION``: grade one submission and write its results."""
import sys

from autograder.cli import options


def add_parser(sub):
    p = sub.add_parser("grade", help="grade a submission (directory, .zip or course notebook .ipynb)",
                       description="Grade a submission in isolated worker processes.")
    p.add_argument("submission", help="directory holding the exercise modules, a .zip of one, "
                   "or a notebook of the nbgrader course (.ipynb)")
    p.add_argument("--json", metavar="FILE", help="write Gradescope results.json here")
    p.add_argument("--junit", metavar="FILE", help="write JUnit XML here")
    options.add(p)
    p.add_argument("--fail-under", type=float, metavar="SCORE",
                   help="exit 1 when the score is below SCORE")
    p.add_argument("--student-view", action="store_true",
                   help="hide failure details of hidden checks in the report")
    p.set_defaults(run=run)


# The grader's own failure (its check suite does not run): neither the student's nor the user's.
EXIT_GRADER_ERROR = 3


def run(args):
    from autograder.grading import CheckSuiteError, grade
    from autograder.i18n import set_language
    from autograder.report import render
    from autograder.results import write_json

    set_language(options.language(args))
    grading = options.grade_options(args, junit_path=args.junit)
    try:
        result = grade(args.submission, grading)
    except CheckSuiteError as exc:
        print(f"dlgrade grade: error: {exc}. pytest's log:\n{exc.log}", file=sys.stderr)
        return EXIT_GRADER_ERROR
    sys.stdout.write(render(result, show_hidden=not args.student_view))
    if args.json:
        write_json(result, args.json)
    if args.fail_under is not None and result.score < args.fail_under:
        return 1
    return 0
