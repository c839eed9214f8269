"""The grading options ``dlgrade grade``, ``batch`` and ``mutants`` share: declared once.

Each option is declared here, once, with its help text; its default comes from
``grade_options.GradeOptions`` (the engine's defaults), so the help, the parser and the engine
cannot disagree. A subcommand adds the ones it takes with :func:`add` and turns the parsed
arguments into a ``GradeOptions`` with :func:`grade_options` (a bad value is one line,
exit 2).

    from autograder.cli import options

    options.add(parser)                                    # all of SHARED
    options.add(parser, ("timeout", "sandbox"), timeout=2)  # some, another default
    grading = options.grade_options(args, junit_path=args.junit)
"""
from __future__ import annotations

import argparse
from dataclasses import fields

from autograder import UserError

# Every shared option, in the order the help lists them.
SHARED = ("rubric", "timeout", "memory", "data_dir", "only", "sandbox", "seed", "max_reply", "checks", "lang")
_MIB, _GIB = 2**20, 2**30


def _defaults():
    """The engine's defaults, by option name (CLI units: GiB, MiB)."""
    from autograder.grade_options import GradeOptions

    engine = {f.name: f.default for f in fields(GradeOptions) if not callable(f.default_factory)}
    return {"timeout": engine["timeout"], "memory": engine["memory_limit"] / _GIB,
            "max_reply": engine["max_reply"] / _MIB, "sandbox": engine["sandbox"]}


def _declarations(default):
    """{name: (flag, argparse keywords)} of every shared option; default(name) gives its default."""
    from autograder.i18n import LANGUAGES
    from autograder.sandbox.isolation import REQUESTS

    def number(name):
        return f"{default(name):g}"

    return {
        "rubric": ("--rubric", dict(
            metavar="FILE", help="TOML file overriding points, visibility, time budgets and the MNIST gate")),
        "timeout": ("--timeout", dict(
            type=float, default=default("timeout"), metavar="S",
            help=f"time limit per call into student code, seconds (default {number('timeout')})")),
        "memory": ("--memory", dict(
            type=float, default=default("memory"), metavar="GIB",
            help=f"memory limit of a worker process, GiB (default {number('memory')})")),
        "data_dir": ("--data-dir", dict(
            metavar="DIR", help="folder with the four MNIST .gz files, for the MNIST gate (default: "
                                "$MNIST_DATA_DIR, else mnist_data/cache/)")),
        "only": ("--only", dict(
            action="append", metavar="EXERCISE",
            help="grade only this exercise id (repeatable); the others are not graded")),
        "sandbox": ("--sandbox", dict(
            choices=REQUESTS, default=default("sandbox"),
            help="how to isolate student code: auto (the strongest this machine allows), bwrap (bubblewrap "
                 "sandbox), uid (a dedicated uid, as root), off (none: trusted code only) "
                 f"(default {default('sandbox')})")),
        "seed": ("--seed", dict(
            metavar="ID", help="draw the checks' inputs from this seed id (as recorded in an earlier "
                               "results.json) to replay that grading; default: the course secret, else a "
                               "random seed")),
        "max_reply": ("--max-reply", dict(
            type=float, default=default("max_reply"), metavar="MIB",
            help=f"largest reply accepted from a worker process, MiB (default {number('max_reply')})")),
        "checks": ("--checks", dict(
            metavar="DIR", help="run this check suite (a folder like autograder/checks) instead of the "
                                "built-in one")),
        "lang": ("--lang", dict(
            default=default("lang"), metavar="LANG",
            help=f"language of the reports: {', '.join(LANGUAGES)} (default: the locale, $DLGRADE_LANG or "
                 "$LANG, else en)")),
    }


def add(parser: argparse.ArgumentParser, names=SHARED, **defaults) -> None:
    """Declare the shared options called names on parser.

    Inputs:
    - parser: a subcommand's parser.
    - names: option names from SHARED (dest spelling: ``data_dir``, ``max_reply``).
    - defaults: another default for some of them (``timeout=2``); else the engine's.
    """
    unknown = set(defaults) - set(names)
    if unknown:
        raise ValueError(f"defaults given for options not added: {', '.join(sorted(unknown))}")
    engine = _defaults()
    table = _declarations(lambda name: defaults.get(name, engine.get(name)))
    for name in names:
        if name not in table:
            raise ValueError(f"unknown grading option {name!r}; known: {', '.join(SHARED)}")
        flag, keywords = table[name]
        parser.add_argument(flag, **keywords)


def grade_options(args: argparse.Namespace, **extra):
    """The GradeOptions the parsed shared options ask for, validated.

    Inputs:
    - args: parsed arguments; shared options the subcommand did not declare keep the
      engine's defaults.
    - extra: further GradeOptions fields (``junit_path=...``).

    Returns:
    - a GradeOptions. Raises UserError (one line, exit 2) for a bad value.
    """
    from autograder.grade_options import GradeOptions
    from autograder.rubric import Rubric

    engine = _defaults()

    def given(name):
        value = getattr(args, name, None)
        return engine.get(name) if value is None else value

    timeout, memory, max_reply = given("timeout"), given("memory"), given("max_reply")
    if timeout <= 0:
        raise UserError("--timeout must be positive")
    if memory < 0.25:
        raise UserError("--memory must be at least 0.25 GiB")
    if not 1 <= max_reply <= 1024:
        raise UserError("--max-reply must be between 1 and 1024 MiB")
    rubric = Rubric.load(args.rubric) if getattr(args, "rubric", None) else Rubric()
    only = getattr(args, "only", None)
    try:
        options = GradeOptions(timeout=timeout, memory_limit=int(memory * _GIB), rubric=rubric,
                               only=frozenset(only) if only else None, data_dir=getattr(args, "data_dir", None),
                               checks_dir=getattr(args, "checks", None), sandbox=given("sandbox"),
                               max_reply=int(max_reply * _MIB), seed=getattr(args, "seed", None), **extra)
        options.validate()
    except ValueError as exc:
        raise UserError(str(exc)) from None
    return options


def language(args: argparse.Namespace) -> str:
    """The report language ``--lang`` asks for, else the environment's (see autograder.i18n).

    Raises UserError (one line, exit 2) for a language the kit does not speak.
    """
    from autograder.i18n import LANGUAGES, language_from_env

    lang = getattr(args, "lang", None)
    if lang is None:
        return language_from_env()
    if lang not in LANGUAGES:
        raise UserError(f"--lang must be one of {', '.join(LANGUAGES)}, got {lang!r}")
    return lang
