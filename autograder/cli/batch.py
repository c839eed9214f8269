"""``dlgrade batch CLASS_DIR --out OUT_DIR``: grade a whole class (see ``autograder.batch``)."""
import os
import sys

from autograder import UserError
from autograder.cli import options


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
    options.add(p)
    p.add_argument("--dask", metavar="ADDRESS",
                   help="grade on this Dask scheduler (tcp://host:8786) instead of local processes")
    p.set_defaults(run=run)


def _options(args):
    from autograder import seeds

    if args.jobs < 1:
        raise UserError("-j must be at least 1")
    grading = options.grade_options(args)
    if grading.seed is not None:  # refused once here, not once per student
        seeds.resolve(grading.seed, grading.rubric.grading.secret)
    return grading


def _require_mnist(grading):
    """Refuse, once for the class, to grade it without the MNIST gate's data.

    A class graded without the gate would be a different grade for everyone (92 of 92 where
    the course counts 100), so a batch never leaves it out on its own: the TA gets the data,
    or says so with a rubric that gives the gate 0 points (or ``--only`` without it).
    """
    from autograder.grading import GATE, data_help, gate_data_missing, gate_points

    if grading.only is not None and GATE not in grading.only:
        return
    missing = gate_data_missing(grading)  # damaged or incomplete data: a UserError of its own
    if missing is not None and gate_points(grading.rubric) != 0:
        raise UserError(f"the class's MNIST accuracy gate cannot run: {data_help(missing)} To grade the class "
                        "without the gate, give it 0 points in a rubric ([points] mnist = 0).")


def _require_sandbox(grading):
    """Refuse once, here, when the requested isolation is impossible (not once per student)."""
    from autograder.grading import REFERENCE_DIR
    from autograder.sandbox.isolation import resolve

    resolve(grading.sandbox, REFERENCE_DIR)


def run(args):
    from autograder.batch.run import grade_class

    lang = options.language(args)
    grading = _options(args)
    if not args.dask:  # on a cluster, the data and the sandbox must be where the Dask workers run
        _require_mnist(grading)
        _require_sandbox(grading)
    summary = grade_class(args.class_dir, args.out, grading, jobs=args.jobs, force=args.force,
                          regrade=tuple(args.regrade), lang=lang, dask_address=args.dask)
    counts = ", ".join(f"{summary.count(s)} {s}" for s in ("graded", "refused", "crashed", "timed out")
                       if summary.count(s) or s == "graded")
    print(f"{len(summary.records)} submissions ({counts}; {summary.reused} reused from the journal) "
          f"in {summary.wall_time:.1f} s.")
    print(f"gradebook: {summary.out_dir / 'gradebook.csv'}")
    print(f"report:    {summary.out_dir / 'report.html'}")
    sys.stdout.flush()
    return 0
