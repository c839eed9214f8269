"""The ``dlgrade`` command: a thin dispatcher, one module per subcommand.

Each subcommand module defines ``add_parser(subparsers)`` and ``run(args) -> int``.
A :class:`autograder.UserError` becomes one line on stderr and exit status 2.
"""
import argparse
import sys

from autograder import UserError
from autograder.i18n import _, process_language, set_language

SUBCOMMANDS = ["stubs", "grade", "batch", "nbgrader", "mutants", "student"]


def _load(name):
    import importlib

    return importlib.import_module(f"autograder.cli.{name}")


def build_parser():
    parser = argparse.ArgumentParser(prog="dlgrade", description="Deep Learning from Scratch course kit")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in SUBCOMMANDS:
        _load(name).add_parser(sub)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    # A command may switch the process's language (--lang); main() is also called in-process
    # (tests, notebooks), where that switch must end with the call.
    before = process_language()
    try:
        return args.run(args) or 0
    except UserError as exc:
        print(_("dlgrade {command}: error: {message}").format(command=args.command, message=exc), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("dlgrade: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (`... | head`): nothing left to say
        sys.stderr.close()
        return 0
    finally:
        set_language(before)


if __name__ == "__main__":
    sys.exit(main())
