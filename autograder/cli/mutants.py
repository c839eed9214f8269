"""``dlgrade mutants``: measure the checks by the share of mutants of the reference they kill.

The work is done by :mod:`autograder.mutants`; this module parses the arguments,
shows progress and writes the report.
"""
import json
import os
import sys

from autograder import UserError
from autograder.cli import options


def add_parser(sub):
    from autograder import mutants

    p = sub.add_parser(
        "mutants", help="mutation-test the checks: grade small changes of the reference and count those caught",
        description="Make mutants of the reference solutions (the mistakes students make in numpy: a changed "
                    "axis, a dropped division, a transpose, a flipped sign, a rebinding instead of an in-place "
                    "update, a missing copy, an off-by-one step count, a dropped epsilon, ...), grade each with "
                    "the real engine, and report the kill rate per exercise, the surviving mutants and the "
                    "visible checks that kill each. The mutants are the kit's own reference code: "
                    "--sandbox off is safe for them, and faster.")
    p.add_argument("--exercise", action="append", metavar="ID",
                   help="mutate only this exercise (repeatable; default: all but the MNIST gate). "
                        "'mnist' grades mutants of the layers and TwoLayerNet by the MNIST gate alone (slow)")
    p.add_argument("--operator", action="append", metavar="NAME",
                   help="use only this mutation operator (repeatable; default: all)")
    p.add_argument("-j", "--jobs", type=int, default=None, metavar="N",
                   help="grade N mutants at once (default: the number of CPUs)")
    options.add(p, ("timeout", "sandbox", "data_dir"), timeout=mutants.DEFAULT_TIMEOUT)
    p.add_argument("--json", metavar="FILE", help="write the whole report as JSON here")
    p.add_argument("--fail-under", type=float, metavar="RATE",
                   help="exit 1 when the kill rate of any exercise is below RATE (0 to 1)")
    p.add_argument("-v", "--verbose", action="store_true",
                   help="also list every killed mutant with the visible checks that kill it")
    p.add_argument("--list", action="store_true", help="only list the mutants (no grading)")
    p.set_defaults(run=run)


def run(args):
    from autograder import mutants
    from autograder.atomic import write_text_atomic

    jobs = args.jobs if args.jobs is not None else (os.cpu_count() or 1)
    try:
        options = mutants.MutationOptions(
            exercises=tuple(args.exercise) if args.exercise else None,
            operators=tuple(args.operator) if args.operator else None, jobs=jobs,
            timeout=args.timeout, data_dir=args.data_dir, sandbox=args.sandbox)
        options.validate()
    except ValueError as exc:
        raise UserError(str(exc)) from None
    if args.fail_under is not None and not 0 <= args.fail_under <= 1:
        raise UserError("--fail-under must be a kill rate between 0 and 1")
    if args.list:
        for _, _, mutant in mutants.plan(options):
            print(f"{mutant.id:34} [{mutant.operator}] {mutant.diff_line}")
        return 0
    report = mutants.run(options, progress=_progress() if sys.stderr.isatty() else None)
    sys.stdout.write(mutants.render(report, verbose=args.verbose))
    if args.json:
        write_text_atomic(args.json, json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n")
    if args.fail_under is not None:
        low = [e.exercise for e in report.exercises if e.kill_rate is not None and e.kill_rate < args.fail_under]
        if low:
            print(f"kill rate below {args.fail_under:g}: {', '.join(low)}", file=sys.stderr)
            return 1
    return 0


def _progress():
    def show(done, total):
        sys.stderr.write(f"\rgraded {done}/{total} mutants")
        if done == total:
            sys.stderr.write("\n")
        sys.stderr.flush()

    return show
