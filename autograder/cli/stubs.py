"""``dlgrade stubs``: regenerate exercises/ from solutions/, or check it is up to date.

The work is done by :mod:`autograder.stubgen`; this module only parses the
arguments, picks the default directories and prints the outcome.
"""
import sys
from pathlib import Path

from autograder import UserError, reference, stubgen


def _default_dirs(args):
    solutions_dir = args.solutions if args.solutions is not None else reference.directory()
    if args.exercises is not None:
        return solutions_dir, args.exercises
    if solutions_dir.name != reference.SOURCE_FOLDER:
        # An installed (not editable) kit: its reference sits in site-packages, not in a clone.
        raise UserError(f"the reference is not in a clone of the repository ({solutions_dir}); pass --exercises DIR")
    return solutions_dir, solutions_dir.parent / "exercises"


def add_parser(sub):
    parser = sub.add_parser(
        "stubs",
        help="generate the student stubs in exercises/ from solutions/",
        description=(
            "Generate exercises/ from solutions/: every '### BEGIN SOLUTION' ... '### END SOLUTION' "
            "region becomes 'raise NotImplementedError(...)'. With --check, write nothing and exit 1 "
            "when exercises/ is out of date."
        ),
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="only compare; exit 1 listing the files that differ, are missing or are extra",
    )
    parser.add_argument(
        "--solutions",
        type=Path,
        metavar="DIR",
        help="reference solutions (default: the installed reference, the repository's solutions/)",
    )
    parser.add_argument(
        "--exercises",
        type=Path,
        metavar="DIR",
        help="where the stubs go (default: exercises/ next to the solutions directory)",
    )
    parser.set_defaults(run=run)
    return parser


def run(args):
    solutions_dir, exercises_dir = _default_dirs(args)

    if args.check:
        stale = stubgen.check(solutions_dir, exercises_dir)
        if not stale:
            print(f"{exercises_dir} is up to date with {solutions_dir}")
            return 0
        print(f"{exercises_dir} is out of date with {solutions_dir}:", file=sys.stderr)
        for rel, why in stale:
            print(f"  {rel}: {why}", file=sys.stderr)
        print("run `dlgrade stubs` to regenerate it", file=sys.stderr)
        return 1

    changed = stubgen.generate(solutions_dir, exercises_dir)
    for rel in changed:
        path = exercises_dir / rel
        print(f"{'wrote' if path.exists() else 'removed'} {path}")
    if not changed:
        print(f"{exercises_dir} is already up to date")
    return 0
