"""The autograder against a corpus of student submissions (tests/submissions/, see tests/corpus.py).

Every entry predicts its verdict: the exercises in ``loses`` must score less
than full marks, every other graded exercise (unless in ``may_lose``) must keep
full marks — the blame-isolation promise — and the failure messages must
contain the entry's ``output_contains`` texts (the hints), and every exercise a
non-hostile entry loses must fail at least one *visible* check (a student who
checks their work is told). ``correct`` entries
must score 100 / 100 including the MNIST gate; the others skip the slow gate
unless they predict something about it. ``hostile`` entries run with a short
time limit (1 s per call) and 1 GiB of memory.

Some hostile submissions are also graded through the ``dlgrade grade`` command
in a subprocess (with its temporary folder inside the test's tmp_path): those
whose failure could escape into the command itself (SystemExit,
KeyboardInterrupt, a dying, hanging or flooding worker), the one that leaves
child processes running (they must be seen during grading and gone after it)
and the one that forges results.json (the file must hold the real score, also
after a detached forger had its chance). Grading the same submission twice must
give the same results document.

Needs MNIST_DATA_DIR (the MNIST gate); without it the tests that run the gate fail.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

import corpus
from autograder.exercises import EXERCISES
from autograder.grading import GradeOptions, grade
from autograder.report import render
from autograder.rubric import Rubric
from tests_support import internal_names

ENTRIES = corpus.load_all()
BY_ID = {e.id: e for e in ENTRIES}
MIN_ENTRIES = {"buggy": 30, "correct": 8, "hostile": 12}

# CORPUS_ALL_GATES=1 also runs the MNIST gate where an entry claims it keeps full marks
# (about 4 s more per entry); CI runs it only where an entry predicts a loss there.
ALL_GATES = os.environ.get("CORPUS_ALL_GATES") == "1"
HOSTILE_TIMEOUT = 1.0  # seconds per call into student code
HOSTILE_MEMORY = 2**30
CLI_TIMEOUT = 120  # the dlgrade subprocess must finish well within this
DLGRADE = [sys.executable, "-m", "autograder"]
FORGED = "forged: all checks passed"  # in the fake results of hostile/fake_results*


def options_for(entry):
    only = entry.exercises_to_grade(ALL_GATES)
    if entry.kind == "hostile":
        return GradeOptions(timeout=HOSTILE_TIMEOUT, memory_limit=HOSTILE_MEMORY, only=only)
    return GradeOptions(only=only)


def require_mnist(entry):
    if "mnist" in entry.exercises_to_grade(ALL_GATES) and not os.environ.get("MNIST_DATA_DIR"):
        pytest.fail(f"{entry.id} runs the MNIST gate: set MNIST_DATA_DIR to the folder with the four MNIST .gz files")


def failure_text(result, exercises):
    return "\n".join(c.output for e in exercises for c in result.exercise(e).failed)


def verdict_problems(entry, result, graded):
    """Everything in which the grade differs from what the entry predicts (empty = as predicted)."""
    problems = []
    for c in result.checks:
        if c.internal_error:
            problems.append(f"internal grader error in {c.check_id}: {c.output}")
    for exercise in sorted(graded, key=EXERCISES.index):
        ex = result.exercise(exercise)
        if not ex.checks or ex.max_score <= 0:
            problems.append(f"{exercise}: no checks with points were run")
            continue
        full = ex.score >= ex.max_score - 1e-9
        if exercise in entry.loses and full:
            problems.append(f"{exercise}: kept full marks ({ex.score:g}/{ex.max_score:g}) but should lose points")
        elif exercise not in entry.loses and exercise not in entry.may_lose and not full:
            details = "\n".join(f"    {c.check_id}: {c.output}" for c in ex.failed)
            problems.append(f"{exercise}: lost points ({ex.score:g}/{ex.max_score:g}) but must keep full marks:\n"
                            f"{details}")
    text = failure_text(result, entry.loses).lower()
    for needle in entry.output_contains:
        if needle.lower() not in text:
            problems.append(f"the failures of {list(entry.loses)} do not mention {needle!r}; they say:\n{text}")
    return problems


def visible_problems(entry, result, graded):
    """The mistakes of an entry that only non-visible checks catch (empty = every one is caught visibly).

    A student who runs the visible checks before the deadline must learn of every mistake they can
    check for: each exercise a buggy (or realistic) entry loses needs at least one failing *visible*
    check; hidden and after-due-date checks may add detail. Attacks (hostile entries) are exempt.
    """
    if entry.kind == "hostile":
        return []
    problems = []
    for exercise in sorted(set(entry.loses) & set(graded), key=EXERCISES.index):
        failed = result.exercise(exercise).failed
        if failed and not any(c.visibility == "visible" for c in failed):
            problems.append(f"{exercise}: only non-visible checks fail "
                            f"({', '.join(f'{c.check_id} [{c.visibility}]' for c in failed)}); "
                            "add a visible check that catches this mistake")
    return problems


def grade_entry(entry, tmp_path, options=None):
    submission = corpus.assemble(entry, tmp_path / "submission")
    return grade(submission, options or options_for(entry))


# --------------------------------------------------------------------------- the corpus itself


def test_corpus_size_and_coverage():
    """Enough entries of each kind, and every exercise is the target of some buggy entry."""
    counts = {kind: sum(e.kind == kind for e in ENTRIES) for kind in corpus.KINDS}
    for kind, minimum in MIN_ENTRIES.items():
        assert counts[kind] >= minimum, f"{counts[kind]} {kind} entries, need at least {minimum}"
    for e in ENTRIES:
        if e.kind == "buggy":
            assert e.loses, f"{e.id}: a buggy entry must name the exercises it loses"
        if e.kind == "correct":
            assert not e.loses and not e.may_lose, f"{e.id}: a correct entry must keep full marks everywhere"
    targeted = {x for e in ENTRIES if e.kind == "buggy" for x in e.loses}
    assert set(EXERCISES) <= targeted, f"no buggy entry loses {sorted(set(EXERCISES) - targeted)}"


@pytest.mark.parametrize("entry", ENTRIES, ids=[e.id for e in ENTRIES])
def test_entry_assembles(entry, tmp_path):
    """Each change applies exactly once; buggy and correct submissions differ from the reference and compile."""
    dest = corpus.assemble(entry, tmp_path)
    changed = [f for f in corpus.MODULE_FILES
               if not (dest / f).exists() or (dest / f).read_bytes() != (corpus.SOLUTIONS / f).read_bytes()]
    extra = set(entry.files) - set(corpus.MODULE_FILES)
    assert changed or extra, f"{entry.id} is identical to the reference"
    if entry.kind in ("buggy", "correct"):
        for f in dest.glob("*.py"):
            compile(f.read_text(encoding="utf-8"), str(f), "exec")


# --------------------------------------------------------------------------- grading every entry


@pytest.mark.parametrize("entry", ENTRIES, ids=[e.id for e in ENTRIES])
def test_entry_verdict(entry, tmp_path):
    """The grade of each entry is what it predicts (see the module docstring)."""
    require_mnist(entry)
    result = grade_entry(entry, tmp_path)
    graded = entry.exercises_to_grade(ALL_GATES)
    problems = verdict_problems(entry, result, graded)
    assert not problems, f"{entry.id} ({entry.description}):\n" + "\n".join(problems)
    unseen = visible_problems(entry, result, graded)  # from the same grading: the corpus is graded once
    assert not unseen, f"{entry.id} ({entry.description}) passes every visible check:\n" + "\n".join(unseen)
    if entry.kind != "hostile":  # an attack's own source lines may quote the kit's names
        for view in (render(result), render(result, show_hidden=False)):
            leaks = internal_names(view)
            assert not leaks, f"{entry.id}: the report shows grader-internal names:\n" + "\n".join(leaks)
    if entry.kind == "correct":
        assert result.score == pytest.approx(result.max_score) and result.max_score == pytest.approx(100)


@pytest.mark.parametrize("entry_id", ["buggy/cee_labels_indexed_y_colon_t", "correct/book_style"])
def test_grading_is_deterministic(entry_id, tmp_path):
    """Grading the same submission twice gives the same results document (bar the run time)."""
    entry = BY_ID[entry_id]
    require_mnist(entry)
    submission = corpus.assemble(entry, tmp_path / "submission")
    first, second = (grade(submission, options_for(entry)).to_dict() for _ in range(2))
    for doc in (first, second):
        doc.pop("execution_time")
    assert first["score"] < first["max_score"] or entry.kind == "correct"
    assert first == second


def test_visible_coverage_is_enforced(tmp_path):
    """A mistake that only an after-due-date check catches is reported by visible_problems.

    softmax without the max subtraction is caught by a visible check; with that check moved
    after the due date (as it was before it existed), the enforcement must flag the entry.
    """
    entry = BY_ID["buggy/softmax_no_max_subtraction"]
    graded = entry.exercises_to_grade()
    submission = corpus.assemble(entry, tmp_path / "submission")
    visible = grade(submission, GradeOptions(only=graded))
    assert not visible_problems(entry, visible, graded)
    catching = [c.check_id for c in visible.exercise("functions.softmax").failed if c.visibility == "visible"]
    assert catching, "no visible softmax check fails on this entry"
    rubric = Rubric(visibility={check_id: "after_due_date" for check_id in catching})
    hidden = grade(submission, GradeOptions(only=graded, rubric=rubric))
    assert hidden.exercise("functions.softmax").failed, "the after-due-date checks must still catch it"
    problems = visible_problems(entry, hidden, graded)
    assert len(problems) == 1 and "functions.softmax: only non-visible checks fail" in problems[0], problems


# --------------------------------------------------------------------------- the dlgrade command on hostile code


def _cmdlines():
    """{pid: command line} of every live process but this one."""
    found = {}
    for name in os.listdir("/proc"):
        if name.isdigit() and int(name) != os.getpid():
            try:
                with open(f"/proc/{name}/cmdline", "rb") as f:
                    found[int(name)] = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
            except OSError:
                pass
    return found


def _belongs_to(pid, cmdline, folder):
    """Whether a live process belongs to a grading run inside folder (a path ending in os.sep).

    Without a sandbox a worker runs in a layout directory under the grader's temporary
    folder, with HOME set to it, and every process it starts inherits both; a process
    that changed both is still found when its command line names a path in folder
    (e.g. the results file it waits for). In a sandbox the worker sees other paths, so a
    process also belongs when one of its ancestors does (the sandbox's bwrap process names
    the layout it mounts).
    """
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
        if fields[0] in (b"Z", b"X"):
            return False
        cwd = os.path.join(os.readlink(f"/proc/{pid}/cwd"), "")
        with open(f"/proc/{pid}/environ", "rb") as f:
            env = f.read().split(b"\0")
    except (OSError, IndexError):
        return False
    homes = [os.path.join(v.split(b"=", 1)[1].decode(errors="replace"), "") for v in env if v.startswith(b"HOME=")]
    if cwd.startswith(folder) or any(h.startswith(folder) for h in homes) or folder in cmdline:
        return True
    ppid = int(fields[1])
    for _ in range(64):  # the ancestors' command lines
        if ppid <= 1:
            return False
        try:
            with open(f"/proc/{ppid}/cmdline", "rb") as f:
                if folder in f.read().replace(b"\0", b" ").decode(errors="replace"):
                    return True
            with open(f"/proc/{ppid}/stat", "rb") as f:
                ppid = int(f.read().rsplit(b")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            return False
    return False


def _processes_of(folder, needles=None):
    """{pid: command line} of the live processes of a grading run inside folder.

    ``needles``: only look at processes whose command line contains one of these.
    """
    folder = os.path.join(str(folder), "")
    return {pid: cmd for pid, cmd in _cmdlines().items()
            if (needles is None or any(n in cmd for n in needles)) and _belongs_to(pid, cmd, folder)}


def run_dlgrade(entry, tmp_path, *extra, watch=(), settle=0.2):
    """Grade entry with `dlgrade grade` in a subprocess whose temporary files live in tmp_path/tmp.

    After the command exits, waits ``settle`` seconds (a process killed at the very
    end needs a moment to disappear from /proc; one that survived gets its chance
    to act), then kills whatever of the run is still alive. Returns (completed process, {pid: command line} of the run's processes seen
    while it ran whose command line contains one of the strings in ``watch``,
    {pid: command line} of the run's processes still alive after it).
    """
    submission = corpus.assemble(entry, tmp_path / "submission")
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    args = [*DLGRADE, "grade", str(submission), "--timeout", str(HOSTILE_TIMEOUT),
            "--memory", str(HOSTILE_MEMORY / 2**30), *extra]
    for exercise in sorted(entry.exercises_to_grade(ALL_GATES), key=EXERCISES.index):
        args += ["--only", exercise]
    env = dict(os.environ, TMPDIR=str(tmp))
    seen = {}
    with subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=tmp_path,
                          text=True) as proc:
        deadline = time.monotonic() + CLI_TIMEOUT
        while watch and proc.poll() is None and time.monotonic() < deadline:
            seen.update(_processes_of(tmp_path, watch))
            time.sleep(0.02)
        try:
            out, err = proc.communicate(timeout=max(1.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
            pytest.fail(f"dlgrade grade {entry.id} did not finish within {CLI_TIMEOUT} s:\n{out[-2000:]}\n{err[-2000:]}")
    time.sleep(settle)
    left = _processes_of(tmp_path)  # the command ran in tmp_path; its temporary folder is in there too
    for pid in left:  # do not leave them running on the test machine
        try:
            os.kill(pid, 9)
        except OSError:
            pass
    return subprocess.CompletedProcess(args, proc.returncode, out, err), seen, left


# Hostile entries whose failure could escape into the command itself: an exception that
# means "stop" (SystemExit, KeyboardInterrupt), a dying or hanging worker, a flood.
CLI_ENTRIES = [BY_ID[f"hostile/{name}"] for name in (
    "sys_exit_in_function", "keyboard_interrupt", "os_exit_at_import", "segfault_ctypes", "close_pipes",
    "pipe_garbage", "import_infinite_loop", "memory_bomb", "output_flood")]


@pytest.mark.parametrize("entry", CLI_ENTRIES, ids=[e.id for e in CLI_ENTRIES])
def test_dlgrade_survives_hostile(entry, tmp_path):
    """`dlgrade grade` on hostile code exits 0 in bounded time, writes the real verdict and leaves no process."""
    require_mnist(entry)
    out_json = tmp_path / "out" / "results.json"
    done, _, left = run_dlgrade(entry, tmp_path, "--json", str(out_json))
    assert done.returncode == 0, f"exit status {done.returncode}\nstdout:\n{done.stdout[-3000:]}\nstderr:\n{done.stderr[-3000:]}"
    assert not left, f"processes left running after grading: {left}"
    doc = json.loads(out_json.read_text())
    graded = entry.exercises_to_grade(ALL_GATES)
    by_exercise = {}
    for test in doc["tests"]:
        exercise = test["tags"][0]
        if exercise in graded:
            got, maximum = by_exercise.get(exercise, (0.0, 0.0))
            by_exercise[exercise] = (got + test["score"], maximum + test["max_score"])
    assert set(by_exercise) == graded, f"exercises missing from the results file: {graded - set(by_exercise)}"
    for exercise, (got, maximum) in by_exercise.items():
        if exercise in entry.loses:
            assert got < maximum - 1e-9, f"{exercise} kept full marks in the results file"
        elif exercise not in entry.may_lose:
            assert got == pytest.approx(maximum), f"{exercise} lost points in the results file"


@pytest.mark.parametrize("sandbox", ["off", "auto"])
def test_stray_processes_are_killed(sandbox, tmp_path):
    """A submission's child processes (same session or a new one) run during grading and are gone
    after it (``--sandbox off``); in the sandbox, whose seccomp filter refuses new processes, none
    ever runs."""
    entry = BY_ID["hostile/child_processes"]
    done, seen, left = run_dlgrade(entry, tmp_path, "--sandbox", sandbox, watch=["sleep 1000"])
    assert done.returncode == 0, done.stderr[-3000:]
    sleeps = {pid: cmd for pid, cmd in seen.items() if cmd == "sleep 1000"}
    if sandbox == "off":
        assert len(sleeps) >= 2, f"the submission's `sleep 1000` children were never seen running: {seen}"
    else:
        assert not sleeps, f"the submission started processes in the sandbox: {sleeps}"
    assert not left, f"processes left running after grading: {left}"


@pytest.mark.parametrize("sandbox", ["off", "auto"])
@pytest.mark.parametrize("entry_id", ["hostile/fake_results", "hostile/fake_results_detached"])
def test_forged_results_do_not_count(entry_id, sandbox, tmp_path):
    """A submission that forges results.json (also later, from a process it left running) gets its real score.

    With ``--sandbox off`` the forger finds the results file and runs (killed with its worker);
    in the sandbox it cannot even see the grader's command line.
    """
    entry = BY_ID[entry_id]
    real = grade_entry(entry, tmp_path / "api")
    assert real.score < real.max_score
    out_json = tmp_path / "out" / "results.json"
    # A surviving forger overwrites the results file within 0.05 s of its appearance.
    done, seen, left = run_dlgrade(entry, tmp_path, "--json", str(out_json), "--sandbox", sandbox,
                                   watch=[FORGED], settle=1.0)
    assert done.returncode == 0, done.stderr[-3000:]
    assert seen or sandbox != "off", "the forging process was never seen running"
    doc = json.loads(out_json.read_text())
    assert FORGED not in doc["output"], "the results file was overwritten by the submission"
    assert doc["score"] == pytest.approx(real.score)
    assert doc["max_score"] == pytest.approx(real.max_score)
    assert len(doc["tests"]) == len(real.checks)
    assert not left, f"processes left running after grading: {left}"
