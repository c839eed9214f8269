"""``dlgrade student build OUT_DIR``: the student distribution (self-check without the solutions).

The work is done by :mod:`autograder.studentdist.build`; this module parses the arguments and
prints where the distribution went.
"""
from autograder.i18n import LANGUAGES, _
from autograder.sandbox.isolation import REQUESTS


def add_parser(sub):
    parser = sub.add_parser("student", help="write the student distribution (self-check without the solutions)",
                            description="Work with the student distribution of the course.")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    build = actions.add_parser(
        "build", help="write a pip-installable student distribution into OUT_DIR",
        description=("Write a pip-installable folder for students: the stubs (exercises/), the engine and the "
                     "visible checks, the notebooks as released to students, and the reference's answers on the checks' "
                     "inputs recorded now; no "
                     "reference code, no hidden or after-due-date checks, no MNIST gate. Students install it "
                     "(pip install OUT_DIR, also in nbgrader kernels) and run `dlgrade grade exercises/`."))
    build.add_argument("out_dir", metavar="OUT_DIR", help="the folder to write (must not exist, or be empty)")
    build.add_argument("--rubric", metavar="FILE", help="TOML rubric whose [visibility] decides the visible checks")
    build.add_argument("--lang", choices=LANGUAGES, default=None,
                       help="language of the notebooks (default: DLGRADE_LANG, else the locale)")
    build.add_argument("--sandbox", choices=REQUESTS, default="auto",
                       help="isolation of the recording run, as for dlgrade grade (default auto)")
    build.set_defaults(run=run_build)
    return parser


def run_build(args):
    from autograder.rubric import Rubric
    from autograder.studentdist.build import build

    rubric = Rubric.load(args.rubric) if args.rubric else None
    out = build(args.out_dir, rubric=rubric, sandbox=args.sandbox, lang=args.lang)
    print(_("wrote the student distribution to {out}: install it with  pip install {out}").format(out=out))
    return 0
