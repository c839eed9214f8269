"""The grading options shared by dlgrade grade, batch and mutants (autograder/cli/options.py).

Declared once, with the engine's defaults (GradeOptions); `dlgrade batch` takes all of them,
and its --seed, --max-reply and --checks reach every student's grading and the journal's key.
"""
import json
import re
import shutil
from pathlib import Path

import pytest

from autograder import mutants
from autograder.cli import build_parser
from autograder.cli import options as cli_options
from autograder.grade_options import GradeOptions
from tests_support import run_dlgrade as dlgrade

ROOT = Path(__file__).resolve().parent.parent
CLI = ROOT / "autograder" / "cli"
SOFTMAX = ("--only", "functions.softmax")
CLASS = {"alice": "correct/book_style", "bob": "buggy/softmax_axis0"}


def parse(*argv):
    return build_parser().parse_args([str(a) for a in argv])


def test_every_shared_option_is_declared_in_options_py_only():
    flags = {name: "--" + name.replace("_", "-") for name in cli_options.SHARED}
    for module in ("grade", "batch", "mutants"):
        source = (CLI / f"{module}.py").read_text()
        declared = re.findall(r"add_argument\(\s*\"(--[\w-]+)\"", source)
        assert not set(declared) & set(flags.values()), f"cli/{module}.py declares a shared option itself"
    source = (CLI / "options.py").read_text()
    assert all(f'"{flag}"' in source for flag in flags.values())


def test_defaults_come_from_the_engine():
    engine = GradeOptions()
    for argv in (("grade", "sub"), ("batch", "class", "--out", "out")):
        args = parse(*argv)
        assert cli_options.grade_options(args) == engine
        assert args.timeout == engine.timeout and args.max_reply * 2**20 == engine.max_reply
        assert args.memory * 2**30 == engine.memory_limit and args.sandbox == engine.sandbox
    assert parse("mutants").timeout == mutants.DEFAULT_TIMEOUT  # a subcommand may choose another default


def test_batch_takes_every_grading_option_of_grade(tmp_path):
    checks = tmp_path / "checks"
    checks.mkdir()
    args = parse("batch", "class", "--out", "out", "--seed", "run-1", "--max-reply", "8", "--checks", checks,
                 "--timeout", "3", "--memory", "1", "--only", "functions.softmax", "--sandbox", "off")
    grading = cli_options.grade_options(args)
    assert (grading.seed, grading.max_reply, grading.checks_dir) == ("run-1", 8 * 2**20, str(checks))
    assert (grading.timeout, grading.memory_limit, grading.only, grading.sandbox) == (
        3, 2**30, frozenset({"functions.softmax"}), "off")


@pytest.mark.parametrize("argv, message", [
    (["--max-reply", "0.5"], "--max-reply must be between 1 and 1024 MiB"),
    (["--seed", " "], "--seed must not be empty"),
    (["--checks", "{missing}"], "checks folder not found"),
    (["--lang", "fr"], "--lang must be one of en, ko, ja"),
])
def test_bad_batch_options_are_one_line_before_any_grading(tmp_path, argv, message, make_class):
    klass = make_class(tmp_path / "class", {"alice": "correct/book_style"})
    argv = [a.format(missing=tmp_path / "missing") for a in argv]
    proc = dlgrade("batch", klass, "--out", tmp_path / "out", *SOFTMAX, *argv)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and message in proc.stderr, proc.stderr
    assert not (tmp_path / "out" / "alice").exists()


def seeds_of(out, students):
    return {s: json.loads((out / s / "results.json").read_text())["extra_data"]["seed"] for s in students}


def test_batch_seed_reaches_every_student_and_the_journal(tmp_path, make_class):
    klass = make_class(tmp_path / "class", CLASS)
    out = tmp_path / "out"
    first = dlgrade("batch", klass, "--out", out, "-j", "2", *SOFTMAX, "--seed", "replay-1")
    assert first.returncode == 0, first.stderr
    assert seeds_of(out, CLASS) == dict.fromkeys(CLASS, "replay-1")
    again = dlgrade("batch", klass, "--out", out, "-j", "2", *SOFTMAX, "--seed", "replay-1")
    assert "2 reused from the journal" in again.stdout, again.stdout
    other = dlgrade("batch", klass, "--out", out, "-j", "2", *SOFTMAX, "--seed", "replay-2")
    assert "0 reused from the journal" in other.stdout, other.stdout
    assert seeds_of(out, CLASS) == dict.fromkeys(CLASS, "replay-2")


def test_batch_max_reply_reaches_every_slot(tmp_path):
    klass = tmp_path / "class"
    for student in ("ann", "ben"):  # two students, two slots: each must have the limit
        (klass / student).mkdir(parents=True)
        (klass / student / "functions.py").write_text(
            "import numpy as np\n\n\ndef softmax(x):\n    return np.zeros(300000)  # 2.4 MB\n")
    out = tmp_path / "out"

    def outputs():
        return {s: " ".join(t["output"] for t in json.loads((out / s / "results.json").read_text())["tests"])
                for s in ("ann", "ben")}

    small = dlgrade("batch", klass, "--out", out, "-j", "2", *SOFTMAX, "--max-reply", "1")
    assert small.returncode == 0, small.stderr
    assert all("message too large" in text for text in outputs().values())
    default = dlgrade("batch", klass, "--out", out, "-j", "2", *SOFTMAX)
    assert "0 reused from the journal" in default.stdout, default.stdout
    assert all("message too large" not in text and "got shape (300000,)" in text for text in outputs().values())


def test_batch_runs_another_check_suite_and_a_changed_suite_invalidates_the_journal(tmp_path, make_class):
    checks = tmp_path / "checks"
    shutil.copytree(ROOT / "autograder" / "checks", checks, ignore=shutil.ignore_patterns("__pycache__"))
    title = '"""softmax of a batch normalises each row separately"""'
    source = checks / "test_functions.py"
    assert title in source.read_text()
    source.write_text(source.read_text().replace(title, '"""custom suite: rows of a batch"""'))
    klass = make_class(tmp_path / "class", CLASS)
    out = tmp_path / "out"

    def names():
        return [t["name"] for t in json.loads((out / "bob" / "results.json").read_text())["tests"]]

    first = dlgrade("batch", klass, "--out", out, "-j", "2", *SOFTMAX, "--checks", checks)
    assert first.returncode == 0, first.stderr
    assert "functions.softmax: custom suite: rows of a batch" in names()
    again = dlgrade("batch", klass, "--out", out, "-j", "2", *SOFTMAX, "--checks", checks)
    assert "2 reused from the journal" in again.stdout, again.stdout
    source.write_text(source.read_text().replace("custom suite: rows of a batch", "custom suite, edited"))
    edited = dlgrade("batch", klass, "--out", out, "-j", "2", *SOFTMAX, "--checks", checks)
    assert "0 reused from the journal" in edited.stdout, edited.stdout
    assert "functions.softmax: custom suite, edited" in names()
