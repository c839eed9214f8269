"""``dlgrade batch CLASS_DIR --out OUT_DIR``: grade a whole class (see ``autograder.batch``)."""
import os
import sys

from autograder import UserError
from autograder.sandbox.isolation import REQUESTS


def add_parser(sub):
    p = sub.add_parser("batch", help="grade a class: one folder, .zip or notebook per student",
                       description="Grade every submission of a class folder, N at a time; write each "
                       "student's results.json and report.txt, gradebook.csv and report.html. "
                       "Killed midway, the same command finishes the class.")
    p.add_argument("class_dir", metavar="CLASS_DIR",
                   help="one entry per student (folder, .zip or course .ipynb), or an nbgrader submitted/ folder")
    p.add_argument("--out", required=True, metavar="OUT_DIR", help="output folder (created if needed)")
    p.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1, metavar="N",
                   help="submissions graded at once (default: the number of cores)")
    p.add_argument("--force", action="store_true", help="regrade everything, ignoring the journal")
    p.add_argument("--regrade", action="append", default=[], metavar="STUDENT",
                   help="regrade this student even if the journal has a result (repeatable)")
    p.add_argument("--rubric", metavar="FILE", help="TOML file overriding points, visibility and the MNIST gate")
    p.add_argument("--timeout", type=float, default=5.0, metavar="S",
                   help="time limit per call into student code, seconds (default 5)")
    p.add_argument("--memory", type=float, default=2.0, metavar="GIB",
                   help="memory limit of a worker process, GiB (default 2)")
    p.add_argument("--data-dir", metavar="DIR",
                   help="folder with the four MNIST .gz files (default: $MNIST_DATA_DIR, else the package cache)")
    p.add_argument("--only", action="append", metavar="EXERCISE",
                   help="grade only this exercise id (repeatable)")
    p.add_argument("--lang", default="en", metavar="L", help="report language: en, ko or ja (default en)")
    p.add_argument("--sandbox", choices=REQUESTS, default="auto",
                   help="how to isolate student code, as for dlgrade grade (default auto: the strongest this "
                   "machine allows)")
    p.add_argument("--dask", metavar="ADDRESS",
                   help="grade on this Dask scheduler (tcp://host:8786) instead of local processes")
    p.set_defaults(run=run)


def _options(args):
    from autograder.grading import GradeOptions
    from autograder.rubric import Rubric

    if args.jobs < 1:
        raise UserError("-j must be at least 1")
    if args.timeout <= 0:
        raise UserError("--timeout must be positive")
    if args.memory < 0.25:
        raise UserError("--memory must be at least 0.25 GiB")
    rubric = Rubric.load(args.rubric) if args.rubric else Rubric()
    try:
        options = GradeOptions(timeout=args.timeout, memory_limit=int(args.memory * 2**30), rubric=rubric,
                               only=frozenset(args.only) if args.only else None, data_dir=args.data_dir,
                               sandbox=args.sandbox)
        options.validate()
    except ValueError as exc:
        raise UserError(str(exc)) from None
    return options


def _require_mnist(options):
    """Refuse, once for the class, to grade it without the MNIST gate's data.

    A class graded without the gate would be a different grade for everyone (92 of 92 where
    the course counts 100), so a batch never leaves it out on its own: the TA gets the data,
    or says so with a rubric that gives the gate 0 points (or ``--only`` without it).
    """
    from autograder.grading import GATE, data_help, gate_data_missing, gate_points

    if options.only is not None and GATE not in options.only:
        return
    missing = gate_data_missing(options)  # damaged or incomplete data: a UserError of its own
    if missing is not None and gate_points(options.rubric) != 0:
        raise UserError(f"the class's MNIST accuracy gate cannot run: {data_help(missing)} To grade the class "
                        "without the gate, give it 0 points in a rubric ([points] mnist = 0).")


def _require_sandbox(options):
    """Refuse once, here, when the requested isolation is impossible (not once per student)."""
    from autograder.grading import REFERENCE_DIR
    from autograder.sandbox.isolation import resolve

    resolve(options.sandbox, REFERENCE_DIR)


def run(args):
    from autograder.batch.run import LANGS, grade_class

    if args.lang not in LANGS:
        raise UserError(f"--lang must be one of {', '.join(LANGS)}, got {args.lang!r}")
    options = _options(args)
    if not args.dask:  # on a cluster, the data and the sandbox must be where the Dask workers run
        _require_mnist(options)
        _require_sandbox(options)
    summary = grade_class(args.class_dir, args.out, options, jobs=args.jobs, force=args.force,
                          regrade=tuple(args.regrade), lang=args.lang, dask_address=args.dask)
    counts = ", ".join(f"{summary.count(s)} {s}" for s in ("graded", "refused", "crashed", "timed out")
                       if summary.count(s) or s == "graded")
    print(f"{len(summary.records)} submissions ({counts}; {summary.reused} reused from the journal) "
          f"in {summary.wall_time:.1f} s.")
    print(f"gradebook: {summary.out_dir / 'gradebook.csv'}")
    print(f"report:    {summary.out_dir / 'report.html'}")
    sys.stdout.flush()
    return 0
