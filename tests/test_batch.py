"""``dlgrade batch``: discovery, journal keys, gradebook, report numbers, and real batches.

The batches here grade a few exercises (``--only``) of complete corpus submissions in real
grader slots, so they run in seconds; the MNIST gate, the browser, kill -9 and Dask are
in the other test_batch_* modules.
"""
import csv
import dataclasses
import io
import json
import os
import pty
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from autograder import UserError
from autograder.batch import discover as disc
from autograder.batch import journal as jr
from autograder.batch.gradebook import COLUMNS, gradebook_rows, points
from autograder.batch.records import CRASHED, GRADED, REFUSED, TIMED_OUT, SubmissionRecord
from autograder.batch.report_html import class_stats, render_report
from autograder.batch.run import grade_class
from autograder.cli import main
from autograder.exercises import EXERCISES
from autograder.grading import GradeOptions, grade
from autograder.results import CheckResult, ExerciseResult, GradeResult
from autograder.rubric import Rubric

TESTS = Path(__file__).resolve().parent
ONLY = ("functions.softmax", "functions.cross_entropy_error", "layers.Relu")
ONLY_ARGS = [a for e in ONLY for a in ("--only", e)]
SMALL_CLASS = {"alice": "correct/book_style", "bob": "buggy/softmax_axis0",
               "carol": "buggy/cee_without_delta", "dave": "hostile/syntax_error"}


def dlgrade(*args, env=None, **kwargs):
    return subprocess.run([sys.executable, "-m", "autograder", *map(str, args)], capture_output=True, text=True,
                          timeout=600, env=env, **kwargs)


def read_gradebook(path):
    return {row["student"]: row for row in csv.DictReader(io.StringIO(Path(path).read_text()))}


# ----------------------------------------------------------------------------- discovery


def test_discover_folders_zips_notebooks_and_skips_the_rest(tmp_path):
    (tmp_path / "alice").mkdir()
    (tmp_path / "alice" / "functions.py").write_text("x = 1\n")
    with zipfile.ZipFile(tmp_path / "bob.zip", "w") as zf:
        zf.writestr("hw/functions.py", "x = 2\n")
    (tmp_path / "carol.ipynb").write_text("{}")
    (tmp_path / "dan").mkdir()  # a folder holding only a notebook: grade the notebook
    (tmp_path / "dan" / "ps1.ipynb").write_text("{}")
    (tmp_path / "notes.txt").write_text("not a submission")
    (tmp_path / ".DS_Store").write_text("")
    (tmp_path / "__MACOSX").mkdir()
    (tmp_path / "out").mkdir()
    (tmp_path / "eve").symlink_to(tmp_path / "alice")
    entries = disc.discover(tmp_path, exclude=[tmp_path / "out"])
    assert [(e.student, e.path.relative_to(tmp_path).as_posix()) for e in entries] == [
        ("alice", "alice"), ("bob", "bob.zip"), ("carol", "carol.ipynb"), ("dan", "dan/ps1.ipynb")]


def test_discover_nbgrader_submitted_tree(tmp_path):
    for student in ("alice", "bob"):
        folder = tmp_path / "submitted" / student / "ps1_losses_gradients"
        folder.mkdir(parents=True)
        (folder / "ps1_losses_gradients.ipynb").write_text("{}")
        (folder / "timestamp.txt").write_text("2026-01-01")
    entries = disc.discover(tmp_path / "submitted")
    assert [(e.student, e.path.name) for e in entries] == [("alice", "ps1_losses_gradients.ipynb"),
                                                           ("bob", "ps1_losses_gradients.ipynb")]
    second = tmp_path / "submitted" / "alice" / "ps2_backprop_layers"
    second.mkdir()
    (second / "ps2_backprop_layers.ipynb").write_text("{}")
    assert [e.student for e in disc.discover(tmp_path / "submitted")] == [
        "alice/ps1_losses_gradients", "alice/ps2_backprop_layers", "bob/ps1_losses_gradients"]


@pytest.mark.parametrize("setup, message", [
    (lambda p: p / "missing", "no such class folder"),
    (lambda p: (p / "f.txt").write_text("x") and p / "f.txt", "must be a folder"),
    (lambda p: (p / "empty").mkdir() or p / "empty", "nothing to grade"),
])
def test_discover_user_errors(tmp_path, setup, message):
    with pytest.raises(UserError, match=message):
        disc.discover(setup(tmp_path))


def test_discover_refuses_two_submissions_of_one_student(tmp_path):
    (tmp_path / "alice").mkdir()
    (tmp_path / "alice" / "functions.py").write_text("")
    (tmp_path / "alice.zip").write_bytes(b"")
    with pytest.raises(UserError, match="two submissions for student 'alice'"):
        disc.discover(tmp_path)


# ----------------------------------------------------------------------------- journal keys


def test_content_hash_follows_the_files(tmp_path):
    (tmp_path / "functions.py").write_text("a = 1\n")
    (tmp_path / "__pycache__").mkdir()
    first = disc.content_hash(tmp_path)
    (tmp_path / "__pycache__" / "functions.cpython-311.pyc").write_bytes(b"cache")
    assert disc.content_hash(tmp_path) == first, "caches do not change a submission"
    (tmp_path / "functions.py").write_text("a = 2\n")
    assert disc.content_hash(tmp_path) != first
    (tmp_path / "functions.py").write_text("a = 1\n")
    assert disc.content_hash(tmp_path) == first
    (tmp_path / "helper.py").write_text("")
    assert disc.content_hash(tmp_path) != first, "a new (even empty) file changes the hash"


def test_options_fingerprint_covers_every_option_and_the_rubric_content(tmp_path, monkeypatch):
    base = GradeOptions()
    fp = jr.options_fingerprint(base)
    assert jr.options_fingerprint(GradeOptions()) == fp
    assert jr.options_fingerprint(dataclasses.replace(base, timeout=6.0)) != fp
    assert jr.options_fingerprint(dataclasses.replace(base, only=frozenset({"mnist"}))) != fp
    assert jr.options_fingerprint(base, lang="ko") != fp
    monkeypatch.setenv("DLGRADE_SECRET", "another course")
    assert jr.options_fingerprint(base) != fp and "another course" not in jr.options_fingerprint(base)
    monkeypatch.undo()
    rubric = tmp_path / "r.toml"
    rubric.write_text("[points]\n\"layers.Affine\" = 12\n")
    assert jr.options_fingerprint(dataclasses.replace(base, rubric=Rubric.load(rubric))) != fp
    rubric.write_text("[points]\n")
    assert jr.options_fingerprint(dataclasses.replace(base, rubric=Rubric.load(rubric))) == fp, \
        "the rubric's file name is not part of the key, its content is"

    @dataclasses.dataclass
    class Extended(GradeOptions):  # a field added to GradeOptions later counts without code here
        seed: int = 0

    assert jr.options_fingerprint(Extended(seed=1)) != jr.options_fingerprint(Extended(seed=2))


def test_kit_fingerprint_is_stable_and_hex():
    assert jr.kit_fingerprint() == jr.kit_fingerprint()
    assert len(jr.kit_fingerprint()) == 64


def test_journal_roundtrip_and_torn_entries(tmp_path):
    journal = jr.Journal(tmp_path)
    record = fake_record("alice", {"functions.softmax": (1, 2)}, key="ab" * 32)
    journal.put(record)
    back = journal.get(record.key)
    assert back == record and back.result.scores() == record.result.scores()
    (journal.dir / ("cd" * 32 + ".json")).write_text('{"student": "bob", "sta')  # a torn write
    assert journal.get("cd" * 32) is None
    assert journal.prune([record.key]) == 1 and journal.get(record.key) is not None
    assert journal.get("../../etc/passwd") is None
    with pytest.raises(ValueError, match="hex digest"):
        journal.put(dataclasses.replace(record, key="../../x"))


# ----------------------------------------------------------------------------- gradebook and report numbers


def fake_record(student, scores, status=GRADED, key="", hint=None, elapsed=1.0, message=""):
    """A record whose exercises score {exercise: (points, max)}; one check per exercise."""
    if status != GRADED:
        return SubmissionRecord(student, status, message=message, elapsed=elapsed, key=key)
    exercises = []
    for exercise in EXERCISES:
        got, top = scores.get(exercise, (0, 0))
        graded = exercise in scores
        output = "" if got == top else "wrong" + (f"\nHint: {hint}" if hint else "")
        exercises.append(ExerciseResult(exercise, [CheckResult(f"{exercise}::test_a", exercise, "a", got, top,
                                                               got == top, output=output, graded=graded)]))
    return SubmissionRecord(student, GRADED, elapsed=elapsed, key=key,
                            result=GradeResult(student, exercises, phases={"mnist gate": 0.25}))


def test_points_format():
    assert [points(x) for x in (100.0, 0.0, 6.666666666, 2.5, 84.22222)] == ["100", "0", "6.6667", "2.5", "84.2222"]


def test_gradebook_rows():
    records = [fake_record("bob", {"functions.softmax": (2, 6), "layers.Relu": (5, 5)}),
               fake_record("alice", {}, status=CRASHED, message="boom")]
    header, alice, bob = gradebook_rows(records, full_marks=11)
    assert header == list(COLUMNS) and header[:3] == ["student", "score", "max_score"]
    assert header[3:-1] == list(EXERCISES)
    assert alice == ["alice", "0", "11", *["0"] * len(EXERCISES), "crashed"]
    assert bob[:3] == ["bob", "7", "11"]
    assert bob[3 + EXERCISES.index("functions.softmax")] == "2"
    assert bob[3 + EXERCISES.index("functions.sigmoid")] == "", "an exercise not graded is an empty cell"


def test_class_stats_counts_failures_hints_and_problems():
    hint = "You normalised the columns."
    records = [fake_record("a", {"functions.softmax": (6, 6)}, elapsed=1.0),
               fake_record("b", {"functions.softmax": (0, 6)}, hint=hint, elapsed=1.2),
               fake_record("c", {"functions.softmax": (0, 6)}, hint=hint, elapsed=9.0),
               fake_record("d", {}, status=REFUSED, message="no exercise module"),
               fake_record("e", {}, status=TIMED_OUT, message="too slow")]
    s = class_stats(records)
    assert s.by_status == {GRADED: 3, REFUSED: 1, TIMED_OUT: 1}
    (exercise, n, mean, rate), = s.exercises
    assert (exercise, n) == ("functions.softmax", 3) and mean == pytest.approx(1 / 3) and rate == pytest.approx(2 / 3)
    assert s.checks[0][:4] == ("functions.softmax::test_a", "a", 3, 2)
    assert s.hints == [(hint, 2, ["functions.softmax::test_a"])]
    assert [p[:2] for p in s.problems] == [("d", REFUSED), ("e", TIMED_OUT)]
    assert s.stragglers[0] == ("c", 9.0)


def test_class_stats_reads_hints_and_timeouts_from_the_failure_data():
    """A report in Korean has no English "Hint:" to find: the hint comes from CheckResult.failure."""
    hint = "열 방향으로 정규화했습니다."
    records = [fake_record(s, {"functions.softmax": (0, 6)}) for s in ("a", "b")]
    for record, failure in zip(records, ({"kind": "mismatch", "hint": hint}, {"kind": "timeout"})):
        check = record.result.exercise("functions.softmax").checks[0]
        check.output, check.failure = "힌트: " + hint, failure
    s = class_stats(records)
    assert s.hints == [(hint, 1, ["functions.softmax::test_a"])]
    assert s.check_timeouts == [("b", 1)]


def test_report_escapes_what_students_name():
    evil = '<img src=x onerror="alert(1)">'
    html = render_report([fake_record(evil, {"functions.softmax": (0, 6)}, hint="<script>x</script>"),
                          fake_record("z", {}, status=CRASHED, message="</pre><script>bad()</script>")],
                         full_marks=6)
    assert evil not in html and "<script>" not in html
    assert "&lt;img src=x onerror=" in html
    assert "http://" not in html and "https://" not in html, "nothing is loaded from the network"


# ----------------------------------------------------------------------------- real batches


@pytest.fixture(scope="module")
def small_class(tmp_path_factory, make_class):
    root = make_class(tmp_path_factory.mktemp("class"), SMALL_CLASS)
    (root / "erin").mkdir()  # handed in the wrong thing
    (root / "erin" / "essay.txt").write_text("my answers")
    with zipfile.ZipFile(root / "frank.zip", "w") as zf:  # a zip with one top-level folder
        for f in (root / "alice").iterdir():
            zf.write(f, f"hw5/{f.name}")
    return root


@pytest.mark.slow
def test_batch_grades_a_class_and_a_rerun_reuses_the_journal(small_class, tmp_path):
    out = tmp_path / "out"
    first = dlgrade("batch", small_class, "--out", out, "-j", "2", *ONLY_ARGS)
    assert first.returncode == 0, first.stderr
    assert "6 submissions (5 graded, 1 refused; 0 reused from the journal)" in first.stdout
    book = read_gradebook(out / "gradebook.csv")
    assert sorted(book) == ["alice", "bob", "carol", "dave", "erin", "frank"]
    options = GradeOptions(only=frozenset(ONLY))
    for student in ("alice", "bob", "carol", "dave"):  # what `dlgrade grade` gives, one by one
        alone = grade(small_class / student, options)
        assert book[student]["score"] == points(alone.score)
        assert [book[student][e] for e in ONLY] == [points(alone.exercise(e).score) for e in ONLY]
    assert book["frank"]["score"] == book["alice"]["score"] == book["alice"]["max_score"]
    assert float(book["bob"]["score"]) < float(book["alice"]["score"]), "the corpus mistake costs points"
    assert float(book["dave"]["layers.Relu"]) == 0 and book["dave"]["functions.softmax"] == book["alice"]["functions.softmax"]
    assert book["erin"]["status"] == "refused" and book["erin"]["score"] == "0"
    assert book["alice"]["functions.sigmoid"] == book["erin"]["functions.sigmoid"] == "", "not graded: empty"
    results = json.loads((out / "bob" / "results.json").read_text())
    assert results["score"] == pytest.approx(float(book["bob"]["score"]))
    assert {t["tags"][0] for t in results["tests"] if t["status"] == "failed" and t["max_score"]} == {"functions.softmax"}
    assert "Graded bob." in (out / "bob" / "report.txt").read_text()
    assert "no exercise module" in (out / "erin" / "report.txt").read_text()
    assert str(small_class) not in (out / "erin" / "report.txt").read_text(), "messages name the student, not paths"
    # Plain progress lines when stderr is not a terminal: one per submission, with a count.
    lines = [line for line in first.stderr.splitlines() if line.startswith("[")]
    assert len(lines) == 6 and any(line.startswith("[6/6]") for line in lines), first.stderr
    assert any("erin: refused" in line and "failures so far: 1" in line for line in lines)

    gradebook = (out / "gradebook.csv").read_bytes()
    second = dlgrade("batch", small_class, "--out", out, "-j", "2", *ONLY_ARGS)
    assert second.returncode == 0, second.stderr
    assert "6 reused from the journal" in second.stdout
    assert (out / "gradebook.csv").read_bytes() == gradebook

    (small_class / "carol" / "functions.py").write_text(
        (small_class / "alice" / "functions.py").read_text())  # carol fixes her mistake
    third = dlgrade("batch", small_class, "--out", out, "-j", "2", *ONLY_ARGS, "--regrade", "bob")
    assert third.returncode == 0, third.stderr
    assert "4 reused from the journal" in third.stdout, "carol (changed) and bob (--regrade) are regraded"
    assert read_gradebook(out / "gradebook.csv")["carol"]["score"] == book["alice"]["score"]
    assert len(list((out / ".dlgrade-journal").glob("*.json"))) == 6, "superseded entries are pruned"

    forced = dlgrade("batch", small_class, "--out", out, "-j", "2", *ONLY_ARGS, "--force")
    assert "0 reused from the journal" in forced.stdout, forced.stderr


def test_prestarted_slots_are_used_and_the_unneeded_ones_ended(monkeypatch):
    """run_local grades on slots started earlier (start_slots) and ends every one, used or not."""
    from autograder.batch.runner import run_local, start_slots

    monkeypatch.setenv("PYTHONPATH", str(TESTS))  # the slots import batch_targets
    slots = start_slots(3, "batch_targets:name_only")
    pids = [s.pid for s in slots]
    done = []
    run_local([{"id": 0, "path": "/nowhere/alice"}], GradeOptions(), 3, lambda t, o: done.append(o),
              target="batch_targets:name_only", slots=slots, deadline=60)
    assert [(o["status"], o["result"]) for o in done] == [(GRADED, "alice")]
    assert slots[0].proc.poll() is not None and all(s.proc.poll() is not None for s in slots), pids
    with pytest.raises(ValueError, match="jobs must be at least 1"):
        start_slots(0)


def test_slots_and_their_workers_run_one_blas_thread(monkeypatch, tmp_path):
    """Two slots on two cores: BLAS threads of their own would spin against each other (4+ on 2 cores)."""
    from autograder.batch.runner import run_local

    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    probe = "import numpy; from threadpoolctl import threadpool_info; print(max(p['num_threads'] for p in threadpool_info()))"
    alone = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert os.cpu_count() < 2 or int(alone.stdout) > 1  # what a process gets without the setting
    monkeypatch.setenv("PYTHONPATH", str(TESTS))  # the slots import batch_targets
    done = []
    run_local([{"id": 0, "path": str(tmp_path)}], GradeOptions(), 1, lambda t, o: done.append(o),
              target="batch_targets:blas_threads", deadline=120)
    assert [(o["status"], o["result"]) for o in done] == [(GRADED, {"slot": 1, "worker": 1})], done


@pytest.mark.slow
def test_grader_slot_crash_and_hang_stay_in_their_rows(make_class, tmp_path, monkeypatch):
    root = make_class(tmp_path / "class", {"alice": "correct/book_style", "bob": "correct/book_style",
                                           "carol": "correct/book_style", "dave": "buggy/softmax_axis0"})
    monkeypatch.setenv("PYTHONPATH", str(TESTS))  # the slots import batch_targets
    options = GradeOptions(only=frozenset(ONLY))
    summary = grade_class(root, tmp_path / "out", options, jobs=2, target="batch_targets:crash_or_hang",
                          deadline=30, progress_stream=io.StringIO())
    status = {r.student: r for r in summary.records}
    assert status["bob"].status == CRASHED and "exited with status 7" in status["bob"].message
    assert status["carol"].status == TIMED_OUT and "30 s" in status["carol"].message
    assert status["alice"].status == GRADED and status["alice"].result.score == status["alice"].result.max_score > 0
    assert status["dave"].status == GRADED and status["dave"].result.score < status["alice"].result.score
    book = read_gradebook(tmp_path / "out" / "gradebook.csv")
    assert (book["bob"]["status"], book["bob"]["score"], book["carol"]["status"]) == ("crashed", "0", "timed out")
    page = (tmp_path / "out" / "report.html").read_text()
    assert "exited with status 7" in page and "timed out" in page
    leftover = subprocess.run(["pgrep", "-f", "autograder.batch.slot .*batch_targets"], capture_output=True)
    assert leftover.stdout == b"", "every slot was ended, the hung one included"


@pytest.mark.slow
def test_batch_grades_an_nbgrader_submitted_tree(tmp_path):
    from autograder.nbbuild import build, conventions

    ps1 = next(iter(conventions.ASSIGNMENTS))
    build.build_course(tmp_path / "course")
    source = (tmp_path / "course" / "source" / ps1 / f"{ps1}.ipynb").read_text()
    for student in ("kim", "sato"):
        folder = tmp_path / "course" / "submitted" / student / ps1
        folder.mkdir(parents=True)
        (folder / f"{ps1}.ipynb").write_text(source)
    proc = dlgrade("batch", tmp_path / "course" / "submitted", "--out", tmp_path / "out", "-j", "2",
                   "--only", "functions.softmax", "--only", "functions.sigmoid")
    assert proc.returncode == 0, proc.stderr
    book = read_gradebook(tmp_path / "out" / "gradebook.csv")
    assert sorted(book) == ["kim", "sato"]
    assert book["kim"]["score"] == book["kim"]["max_score"] == book["sato"]["score"]
    assert float(book["kim"]["functions.softmax"]) > 0 and float(book["kim"]["functions.sigmoid"]) > 0
    assert book["kim"]["layers.Affine"] == "", "exercises of other assignments are not graded"


@pytest.mark.parametrize("args, message", [
    (["{missing}"], "no such class folder"),
    (["{empty}"], "nothing to grade"),
    (["{klass}", "--out", "{file}"], "exists and is not a folder"),
    (["{klass}", "--lang", "fr"], "--lang must be one of en, ko, ja"),
    (["{klass}", "-j", "0"], "-j must be at least 1"),
    (["{klass}", "--regrade", "nobody"], "no submission for nobody"),
    (["{klass}", "--rubric", "{missing}"], "rubric file not found"),
    (["{klass}", "--out", "{klass}"], "another folder than the class folder"),
])
def test_user_errors_are_one_line_and_exit_2(tmp_path, capsys, args, message):
    (tmp_path / "empty").mkdir()
    (tmp_path / "klass" / "alice").mkdir(parents=True)
    (tmp_path / "klass" / "alice" / "functions.py").write_text("")
    (tmp_path / "file").write_text("")
    paths = {k: str(tmp_path / k) for k in ("missing", "empty", "klass", "file")}
    argv = ["batch", *[a.format(**paths) for a in args]]
    if "--out" not in argv:
        argv += ["--out", str(tmp_path / "out")]
    assert main(argv + ["--only", "functions.softmax"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("dlgrade batch: error: ") and message in err, err


def test_progress_bar_on_a_terminal(make_class, tmp_path):
    root = make_class(tmp_path / "class", {"alice": "correct/book_style", "bob": "buggy/softmax_axis0"})
    primary, secondary = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "autograder", "batch", str(root), "--out", str(tmp_path / "out"),
                             "--only", "functions.softmax"], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=secondary)
    os.close(secondary)
    chunks = []
    while True:
        try:
            data = os.read(primary, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    assert proc.wait(timeout=300) == 0
    os.close(primary)
    screen = b"".join(chunks).decode("utf-8", "replace")
    assert "2/2" in screen and "sub/s" in screen and "failures 0" in screen, screen
    assert "[1/2]" not in screen, "a terminal gets the bar, not the plain lines"


def test_pack_for_the_cluster_keeps_the_files_and_drops_links(tmp_path):
    from autograder.batch.dask_runner import pack, unpack

    sub = tmp_path / "alice"
    (sub / "hw").mkdir(parents=True)
    (sub / "hw" / "functions.py").write_text("import numpy as np\n")
    (sub / "notes.md").write_text("hello")
    (sub / "__pycache__").mkdir()
    (sub / "__pycache__" / "x.pyc").write_bytes(b"junk")
    (tmp_path / "secret.txt").write_text("another student's file")
    (sub / "link.py").symlink_to(tmp_path / "secret.txt")
    payload = pack(sub)
    assert payload["folder"] and payload["name"] == "alice"
    dest = tmp_path / "remote"
    dest.mkdir()
    copy = unpack(payload, dest)
    assert sorted(p.relative_to(copy).as_posix() for p in copy.rglob("*") if p.is_file()) == ["hw/functions.py", "notes.md"]
    (sub / "link.py").unlink()
    assert disc.content_hash(copy) == disc.content_hash(sub), "the worker grades the same content"
    notebook = tmp_path / "bob.ipynb"
    notebook.write_text("{}")
    assert unpack(pack(notebook), dest).read_text() == "{}"
