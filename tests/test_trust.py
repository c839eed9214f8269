"""The grader trusts nothing that came back from a worker (issue 7, part 2).

- the reference and the checks are imported before any student code runs;
- replies are capped and decoded within bounded memory and time; the grader's peak RSS
  stays under 1 GiB whatever a submission sends;
- a time budget per exercise and per submission bounds a grading whose every call stays
  just under the per-call timeout;
- student text (messages, output, reprs) is sanitised before any output: no forged
  report, no crash on invalid Unicode, strict JSON;
- the checks' inputs derive from a course secret, so a table of answers earns nothing;
- the notebook reader survives any notebook;
- a broken check suite is the grader's own error, with pytest's log.

Hostile submissions used here live in tests/submissions/hostile/ (their verdicts are also
checked by test_corpus.py).
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import corpus
from autograder.exercises import EXERCISES
from autograder.grading import CHECKS_DIR, GradeOptions, grade

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = ROOT / "solutions"
DLGRADE = [sys.executable, "-m", "autograder"]
BY_ID = {e.id: e for e in corpus.load_all()}


def dlgrade(*args, env=None, timeout=300):
    return subprocess.run([*DLGRADE, *map(str, args)], capture_output=True, timeout=timeout,
                          env=env, cwd=ROOT)


def assembled(entry_id, tmp_path):
    return corpus.assemble(BY_ID[entry_id], tmp_path / "submission")


def strict_json(text):
    """Parse JSON, refusing the NaN / Infinity tokens that Python's json accepts by default."""
    def refuse(token):
        raise ValueError(f"non-standard JSON token {token}")
    return json.loads(text, parse_constant=refuse)


# --------------------------------------------------------------------------- eager imports

_IMPORT_PROBE = r"""
import json, sys
from pathlib import Path
import autograder.pool as pool
from autograder import grading

kit = [str(Path(p).resolve()) for p in sys.argv[1:4]]
first_request = {}
send = pool.Worker._request

def observed(self, *args, **kwargs):  # records, then does exactly what it did before
    if not first_request:
        first_request.update(dict.fromkeys(sys.modules))
    return send(self, *args, **kwargs)

pool.Worker._request = observed

def kit_modules():
    found = set()
    for name, module in list(sys.modules.items()):
        path = getattr(module, "__file__", None) or ""
        if any(str(Path(path).resolve()).startswith(k) for k in kit if path):
            found.add(name)
    return found

result = grading.grade(sys.argv[4], grading.GradeOptions(only=frozenset(sys.argv[5:])))
late = sorted(m for m in kit_modules() if m not in first_request)
import autograder.stubgen  # control: a kit module imported now must be seen as late
control = sorted(m for m in kit_modules() if m not in first_request)
print(json.dumps({"late": late, "control": control, "score": result.score, "max": result.max_score,
                  "requests": bool(first_request)}))
"""


def test_reference_and_checks_are_imported_before_student_code(tmp_path):
    """No module of the kit (autograder, the reference, mnist_data) is first imported after the first request."""
    import mnist_data

    kit = [ROOT / "autograder", SOLUTIONS, Path(mnist_data.__file__).parent]
    only = [e for e in EXERCISES if e != "mnist"]
    proc = subprocess.run([sys.executable, "-c", _IMPORT_PROBE, *map(str, kit), str(SOLUTIONS), *only],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["requests"] and report["score"] == report["max"] > 0
    assert report["late"] == [], f"kit modules imported after student code ran: {report['late']}"
    assert "autograder.stubgen" in report["control"], "the probe does not see late imports"


# --------------------------------------------------------------------------- a broken check suite


@pytest.mark.parametrize("breakage", ["syntax error", "misspelt marker"])
def test_broken_check_suite_is_the_graders_error(tmp_path, breakage):
    """A collection error in the checks is reported as the grader's error with pytest's log, not 'interrupted'."""
    checks = tmp_path / "checks"
    shutil.copytree(CHECKS_DIR, checks, ignore=shutil.ignore_patterns("__pycache__"))
    if breakage == "syntax error":
        (checks / "test_extra.py").write_text("def test_oops(:\n    pass\n")
        needle = "test_extra.py"
    else:
        path = checks / "test_functions.py"
        text = path.read_text()
        assert "@pytest.mark.weight(2)" in text
        path.write_text(text.replace("@pytest.mark.weight(2)", "@pytest.mark.wieght(2)", 1))
        needle = "wieght"
    proc = dlgrade("grade", SOLUTIONS, "--only", "functions.sigmoid", "--checks", checks)
    err = proc.stderr.decode()
    assert proc.returncode == 3, (proc.returncode, err[-3000:])
    assert "interrupted" not in err.lower().replace("interrupted: ", "")
    assert "check suite could not run" in err and needle in err, err[-3000:]
    # The same suite, unbroken, grades normally: the option itself is sound.
    ok = dlgrade("grade", SOLUTIONS, "--only", "functions.sigmoid", "--checks", CHECKS_DIR)
    assert ok.returncode == 0, ok.stderr.decode()[-3000:]


# --------------------------------------------------------------------------- sanitised output


def test_ansi_escapes_cannot_forge_the_report(tmp_path):
    """Escape sequences in a message or in printed output reach the report only as visible text."""
    submission = assembled("hostile/ansi_fake_report", tmp_path)
    out_json = tmp_path / "results.json"
    junit = tmp_path / "junit.xml"
    proc = dlgrade("grade", submission, "--only", "functions.softmax", "--only", "functions.sigmoid",
                   "--json", out_json, "--junit", junit)
    assert proc.returncode == 0, proc.stderr.decode()[-3000:]
    report = proc.stdout.decode("utf-8")
    # The submission did send the escapes (they show, escaped), and none reached the terminal.
    assert "\\x1b[2J" in report and "\\x9b" in report and "\\u202e" in report
    for char in ("\x1b", "\x9b", "\r", "\u202e"):
        assert char not in report
    totals = [line for line in report.splitlines() if re.match(r"^ {2}Total\b", line)]
    assert len(totals) == 1 and re.search(r"\b3 / 9\b", totals[0]), totals
    forged = [line for line in report.splitlines() if "100 / 100" in line]
    assert forged and all(line.startswith("    ") for line in forged), "forged text must stay inside the details"
    doc = strict_json(out_json.read_text(encoding="utf-8"))
    assert "\x1b" not in json.dumps(doc, ensure_ascii=False)
    xml = junit.read_text(encoding="utf-8")
    assert "\x1b" not in xml and "&#27;" not in xml and "\\x1b[2J" in xml


def test_lone_surrogates_do_not_crash_dlgrade(tmp_path):
    """An exception message with lone surrogates is graded and written, with U+FFFD in their place."""
    submission = assembled("hostile/lone_surrogate", tmp_path)
    out_json = tmp_path / "results.json"
    junit = tmp_path / "junit.xml"
    proc = dlgrade("grade", submission, "--only", "functions.sigmoid", "--json", out_json, "--junit", junit)
    assert proc.returncode == 0, proc.stderr.decode()[-3000:]
    report = proc.stdout.decode("utf-8")  # strict: valid UTF-8
    assert "bad value \ufffd here" in report
    doc = strict_json(out_json.read_bytes().decode("utf-8"))
    sigmoid = [t for t in doc["tests"] if t["tags"][0] == "functions.sigmoid"]
    assert sigmoid and all(t["score"] == 0 for t in sigmoid)
    assert all("\ufffd" in t["output"] for t in sigmoid)
    junit.read_bytes().decode("utf-8")


def test_results_json_is_strict_json_with_nan_from_student_values(tmp_path):
    """NaN and infinity a student's loss returns reach the gate's learning curve as null, never as NaN tokens."""
    if not os.environ.get("MNIST_DATA_DIR"):
        pytest.fail("MNIST_DATA_DIR must point at the four MNIST .gz files for this test")
    submission = assembled("hostile/nan_in_results", tmp_path)
    out_json = tmp_path / "results.json"
    proc = dlgrade("grade", submission, "--only", "mnist", "--json", out_json)
    assert proc.returncode == 0, proc.stderr.decode()[-3000:]
    text = out_json.read_text(encoding="utf-8")
    doc = strict_json(text)  # refuses NaN / Infinity tokens
    assert any(t["tags"][0] == "mnist" for t in doc["tests"])
    # Student numbers that do reach a check's extra_data are written as null.
    from autograder.results import CheckResult, ExerciseResult, GradeResult, write_json

    check = CheckResult("mnist::x", "mnist", "x", 0.0, 1.0, False,
                        extra_data={"loss": [float("nan"), float("inf"), 1.5]})
    write_json(GradeResult("s", [ExerciseResult("mnist", [check])]), tmp_path / "direct.json")
    direct = strict_json((tmp_path / "direct.json").read_text())
    assert direct["tests"][0]["extra_data"]["loss"] == [None, None, 1.5]


# --------------------------------------------------------------------------- bounded replies

# VmHWM, not getrusage's ru_maxrss: Linux carries ru_maxrss across exec, so a grader started
# from a pytest worker that once held 1.3 GB (MNIST tests) would report that worker's peak.
_PEAK_RSS = r"""
import sys
from autograder.cli import main
code = main(sys.argv[1:])
with open("/proc/self/status") as status:
    hwm = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
print("PEAK_RSS_KIB", hwm, file=sys.stderr)
sys.exit(code)
"""


def grader_peak_rss(*args):
    """Run `dlgrade` in a subprocess; return (completed process, the grader's own peak RSS in bytes).

    Measured inside the grader process (its own memory map's high-water mark), so worker
    processes and the process that started it do not count.
    """
    proc = subprocess.run([sys.executable, "-c", _PEAK_RSS, *map(str, args)], capture_output=True,
                          text=True, timeout=600, cwd=ROOT)
    found = re.findall(r"PEAK_RSS_KIB (\d+)", proc.stderr)
    assert found, proc.stderr[-3000:]
    return proc, int(found[-1]) * 1024


def test_crafted_replies_keep_the_grader_under_1_gib(tmp_path):
    """Huge, deep and amplifying replies are refused before they cost memory; the grader stays under 1 GiB."""
    submission = assembled("hostile/crafted_replies", tmp_path)
    functions = [e for e in EXERCISES if e.startswith("functions.")]
    only = [a for e in functions for a in ("--only", e)]
    out_json = tmp_path / "results.json"
    proc, peak = grader_peak_rss("grade", submission, "--timeout", "5", "--memory", "1", *only, "--json", out_json)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert peak < 2**30, f"the grader peaked at {peak / 2**20:.0f} MiB"
    doc = strict_json(out_json.read_text())
    for exercise in functions:
        tests = [t for t in doc["tests"] if t["tags"][0] == exercise]
        assert sum(t["score"] for t in tests) < sum(t["max_score"] for t in tests), exercise
    # What the refused values would have cost: numpy stacks the 100,000 int8 arrays and the one
    # complex256 array of cross_entropy_error's reply into one complex256 array.
    import numpy as np
    stacked = np.result_type(np.int8, np.clongdouble).itemsize * 100_000 * 600
    assert stacked > 2**30


def test_wire_refuses_headers_that_would_cost_memory():
    """Header bombs are refused from their size alone; nesting and element counts are bounded."""
    import struct
    import tracemalloc

    from autograder import wire

    def message(header, data=b""):
        return b"DLW1" + struct.pack("<I", len(header)) + header + data

    n = 1_000_000
    bomb = message(b'{"v":[' + b"[]," * (n - 1) + b'[]],"a":[]}')
    tracemalloc.start()
    try:
        with pytest.raises(wire.WireError, match="too many values"):
            wire.decode(bomb)
        _, refused_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        json.loads(bomb[8:])  # what parsing it would have cost
        _, parsed_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert parsed_peak > 10 * len(bomb) and refused_peak < 2 * len(bomb)
    with pytest.raises(wire.WireError, match="header too large"):
        wire.decode(message(b" " * (wire.MAX_HEADER + 1)))
    with pytest.raises(wire.WireError):
        wire.decode(message(b'{"v":' + b"[" * 100_000 + b"]" * 100_000 + b',"a":[]}'))
    with pytest.raises(wire.WireError, match="more than"):
        wire.encode([0] * (wire.MAX_ELEMENTS + 1))
    assert wire.DEFAULT_MAX_SIZE <= 64 * 2**20
    with pytest.raises(wire.WireError, match="too large"):
        wire.decode(b"DLW1" + bytes(wire.DEFAULT_MAX_SIZE))


# --------------------------------------------------------------------------- time budgets


def test_time_budget_bounds_calls_that_each_stay_under_the_timeout(tmp_path):
    """Calls that each sleep just under the timeout stretch grading without budgets; with them it stops."""
    from autograder.rubric import Rubric

    submission = assembled("hostile/sleep_under_timeout", tmp_path)
    only = frozenset(e for e in EXERCISES if e.startswith("functions."))
    generous = Rubric.from_dict({"budget": {"exercise": 600, "submission": 600}})
    unbounded = grade(submission, GradeOptions(timeout=3, only=only, rubric=generous))
    stretched = sum(c.duration for c in unbounded.checks)
    assert unbounded.score == unbounded.max_score, "each call stays under its timeout: nothing fails"
    assert stretched > 6, f"the sleeps should stretch grading well past the budgets below ({stretched:.1f} s)"

    tight = Rubric.from_dict({"budget": {"exercise": 2.0, "submission": 4.0}})
    bounded = grade(submission, GradeOptions(timeout=3, only=only, rubric=tight))
    sigmoid, softmax = bounded.exercise("functions.sigmoid"), bounded.exercise("functions.softmax")
    sse = bounded.exercise("functions.sum_squared_error")
    assert sigmoid.score < sigmoid.max_score and softmax.score < softmax.max_score
    assert any("the 2 s allowed for functions.sigmoid ran out" in c.output for c in sigmoid.failed)
    # Once the submission's budget is spent, every later exercise fails at once, with the reason.
    assert sse.failed and all("the 4 s allowed for the whole submission ran out" in c.output for c in sse.failed)
    assert all(not c.internal_error for c in bounded.checks)
    assert sum(c.duration for c in bounded.checks) < stretched  # generous bound: no timing threshold


def test_budget_settings_come_from_the_rubric():
    from autograder import UserError
    from autograder.rubric import Rubric, TimeBudget

    assert Rubric().budget == TimeBudget()
    assert Rubric.from_dict({"budget": {"exercise": 3}}).budget.exercise == 3.0
    for bad in ({"exercise": 0}, {"submission": "soon"}, {"per_call": 1}):
        with pytest.raises(UserError, match=r"\[budget\]"):
            Rubric.from_dict({"budget": bad})


# --------------------------------------------------------------------------- inputs nobody can memorise


def memoriser_with_table(tmp_path, secret, monkeypatch):
    """The memoriser entry, its table filled the way an attacker would fill it.

    The attacker runs the kit's public checks on the reference, in process (as a notebook
    kernel runs them), with every function wrapped to record its arguments and answer, and
    pastes the table into the submission. ``secret`` is the course secret the attacker
    assumes (None: record nothing, the empty table).
    """
    import runpy

    import numpy as np

    from autograder.grading import REFERENCE, collect_checks
    from autograder.notebook import run_check

    submission = assembled("hostile/memoriser", tmp_path)
    module = submission / "functions.py"
    key = runpy.run_path(str(module))["_key"]
    table = {}

    def recording(name):
        function = getattr(REFERENCE["functions"], name)

        def wrapped(*args):
            answer = function(*args)
            table[key(name, *args)] = np.asarray(answer).tolist()
            return answer
        return wrapped

    if secret is not None:
        names = ("sigmoid", "softmax", "sum_squared_error", "cross_entropy_error")
        namespace = {name: recording(name) for name in names}
        with monkeypatch.context() as patch:
            patch.setenv("DLGRADE_SECRET", secret)
            for spec in collect_checks():
                if spec.exercise.startswith("functions."):
                    run_check(spec.check_id, namespace)
        assert len(table) > 20
    text = module.read_text()
    module.write_text(text.replace("TABLE = {}", f"TABLE = {table!r}", 1))
    return submission


def test_a_table_of_answers_earns_nothing_with_a_course_secret(tmp_path, monkeypatch):
    """The memoriser scores full marks on the secret its table was built with, and no more than garbage on another."""
    from autograder import seeds
    from autograder.rubric import Rubric

    only = frozenset(e for e in EXERCISES if e.startswith("functions."))

    def score(submission, secret):
        rubric = Rubric.from_dict({"grading": {"secret": secret}})
        result = grade(submission, GradeOptions(only=only, rubric=rubric))
        return result.score, result.max_score, result

    table = memoriser_with_table(tmp_path / "table", "the public kit", monkeypatch)
    empty = memoriser_with_table(tmp_path / "empty", None, monkeypatch)
    with monkeypatch.context() as patch:  # inputs that ignore the submission's code (test_redteam.py)
        patch.setattr(seeds.InputSeed, "for_submission", lambda self, digest: self)
        known, maximum, _ = score(table, "the public kit")
    assert known == maximum, "with the secret it was built for, the table answers every check"
    garbage, _, _ = score(empty, "the course's real secret")
    salted, _, _ = score(table, "the public kit")
    assert salted <= garbage, "inputs salted with the code: even the right secret's table earns nothing"
    memorised, _, result = score(table, "the course's real secret")
    assert memorised <= garbage < maximum, f"the table earned {memorised - garbage:g} points"
    assert result.seed.startswith("secret-") and "real secret" not in json.dumps(result.to_dict())


def test_seed_is_recorded_and_replays_the_inputs(tmp_path, monkeypatch):
    """results.json names the seed; --seed replays the same inputs (the same failure messages)."""
    from autograder import UserError, seeds

    sub = tmp_path / "sub"
    sub.mkdir()
    source = (SOLUTIONS / "functions.py").read_text()
    (sub / "functions.py").write_text(source.replace("return 0.5 * np.sum((y - t) ** 2)",
                                                     "return np.sum((y - t) ** 2)"))
    only = frozenset({"functions.sum_squared_error"})
    monkeypatch.delenv("DLGRADE_SECRET", raising=False)
    first = grade(sub, GradeOptions(only=only))
    second = grade(sub, GradeOptions(only=only))
    replay = grade(sub, GradeOptions(only=only, seed=first.seed))
    assert first.seed.startswith("run-") and first.seed != second.seed, "without a secret, a new seed per run"
    messages = [[c.output for c in r.checks if c.graded] for r in (first, second, replay)]
    assert messages[0] == messages[2] and messages[0] != messages[1]
    assert first.to_dict()["extra_data"]["seed"] == first.seed
    with pytest.raises(UserError, match="another secret"):
        seeds.resolve(seeds.fingerprint("one secret"), "another")
    assert seeds.resolve(seeds.fingerprint("s3"), "s3").key == seeds.resolve(None, "s3").key


# --------------------------------------------------------------------------- notebooks that break parsers

_BROKEN_CELLS = {
    "huge expression": "x = [" + "1, " * 20_000 + "]\n",
    "deep nesting (RecursionError in the parser)": "x = " + "1 + " * 20_000 + "1\n",
    "unary chain (MemoryError in the parser)": "x = " + "-" * 40_000 + "1\n",
    "binary junk": "def softmax(x):\n    return x\n" + "".join(map(chr, range(0, 256))) + "\x00\ud800\udfff",
    "plain syntax error": "def softmax(x)\n    return x\n",
}


@pytest.fixture(scope="module")
def ps1_notebook(tmp_path_factory):
    from autograder.nbbuild import build

    root = tmp_path_factory.mktemp("course")
    build.build_course(root)
    return root / "source" / "ps1_losses_gradients" / "ps1_losses_gradients.ipynb"


@pytest.mark.parametrize("kind", list(_BROKEN_CELLS))
def test_a_cell_that_breaks_the_parser_costs_only_its_exercise(ps1_notebook, tmp_path, kind):
    """softmax's answer cell is unreadable: softmax scores 0 with a message saying why; sigmoid keeps full marks."""
    import nbformat

    nb = nbformat.read(ps1_notebook, as_version=4)
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "sol-functions-softmax")
    cell.source = _BROKEN_CELLS[kind]
    path = tmp_path / "ps1.ipynb"
    # Written as JSON text with escapes: lone surrogates cannot be encoded as UTF-8 directly.
    path.write_text(json.dumps(nb, ensure_ascii=True))
    result = grade(path, GradeOptions(only=frozenset({"functions.softmax", "functions.sigmoid"})))
    softmax, sigmoid = result.exercise("functions.softmax"), result.exercise("functions.sigmoid")
    assert sigmoid.score == sigmoid.max_score > 0
    if kind != "huge expression":  # a valid cell (no softmax in it): graded, and failing, as usual
        assert all("could not read the notebook cell sol-functions-softmax" in c.output for c in softmax.checks)
    assert softmax.score == 0 and not any(c.internal_error for c in result.checks)


@pytest.mark.parametrize("content", [
    b"\x00\xff\xfe junk " * 1000,
    b'{"nbformat": 4, "cells": ' + b"[" * 200_000 + b"]" * 200_000 + b"}",
    b'{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [], "x": [' + b"[]," * 3_000_000 + b"[]]}",
])
def test_a_notebook_that_breaks_the_reader_is_one_clear_error(tmp_path, content):
    """Binary junk, deep JSON and a JSON bomb: exit 2 with one line, no traceback, bounded memory."""
    path = tmp_path / "junk.ipynb"
    path.write_bytes(content)
    proc, peak = grader_peak_rss("grade", path)
    assert proc.returncode == 2, proc.stderr[-2000:]
    lines = [line for line in proc.stderr.splitlines() if not line.startswith("PEAK_RSS_KIB")]
    assert len(lines) == 1 and "Traceback" not in proc.stderr and str(path) in lines[0]
    assert peak < 2**30


@pytest.mark.parametrize("seed", ["run-0000000000000001", "run-00000000000000ff", "a course secret's key"])
def test_reference_scores_full_marks_whatever_the_inputs(seed):
    """Secret-derived inputs never fail correct code: the reference keeps full marks under other seeds."""
    only = frozenset(e for e in EXERCISES if e != "mnist")
    result = grade(SOLUTIONS, GradeOptions(only=only, seed=seed))
    failed = [(c.check_id, c.output) for c in result.checks if c.graded and not c.passed]
    assert result.score == result.max_score and not failed, failed
    assert result.seed == seed


def test_bytecode_planted_beside_the_checks_is_never_loaded(tmp_path):
    """A worker that wrote a forged, valid .pyc of a check into __pycache__ does not change the checks run."""
    import importlib.util
    import marshal

    import _pytest.assertion.rewrite as rewrite

    checks = tmp_path / "checks"
    shutil.copytree(CHECKS_DIR, checks, ignore=shutil.ignore_patterns("__pycache__"))
    source_path = checks / "test_functions.py"
    source = source_path.read_bytes()
    forged = source.decode() + (
        "\n\nclass TestSigmoid:  # the forgery: every sigmoid check passes\n"
        "    pytestmark = pytest.mark.exercise('functions.sigmoid', points=3)\n\n"
        "    def test_values(self):\n        pass\n\n"
        "    def test_book_example(self):\n        pass\n\n"
        "    def test_extreme_inputs(self):\n        pass\n")
    code = compile(forged, str(source_path), "exec")
    cache = checks / "__pycache__"
    cache.mkdir()
    pyc = cache / f"test_functions.{rewrite.PYTEST_TAG}.pyc"
    with open(pyc, "wb") as fh:  # pytest's own format: a checked-hash pyc of the real source
        rewrite._write_pyc_fp(fh, importlib.util.source_hash(source), code)
    plain = importlib.util.cache_from_source(str(source_path))
    Path(plain).write_bytes(importlib.util.MAGIC_NUMBER + b"\x03\x00\x00\x00"
                            + importlib.util.source_hash(source) + marshal.dumps(code))
    # Without a private bytecode folder, pytest would accept the forgery as the check's code.
    assert rewrite._read_pyc(source_path, pyc) is not None
    proc = dlgrade("grade", ROOT / "exercises", "--only", "functions.sigmoid", "--checks", checks,
                   "--json", tmp_path / "results.json")
    assert proc.returncode == 0, proc.stderr.decode()[-3000:]
    doc = strict_json((tmp_path / "results.json").read_text())
    sigmoid = [t for t in doc["tests"] if t["tags"][0] == "functions.sigmoid"]
    assert len(sigmoid) == 3 and all(t["score"] == 0 and "not implemented" in t["output"] for t in sigmoid)
