"""``dlgrade nbgrader autograde``: the engine's scores, not the kernel's, end up in the gradebook.

With the real nbgrader (0.9.6), on a ps1 course built by ``dlgrade nbgrader build``:
a correct student, a buggy one (a ``tests/submissions/buggy`` entry) and fakers, each a
``tests/submissions/hostile/nbgrader_*`` entry applied to the correct notebook's answer
cells: one replaces the module the test cells import, one monkeypatches ``run_check``, one
replaces IPython's showtraceback so that no error is shown, one writes full manual scores into
``gradebook.db`` from its kernel. Plain ``nbgrader autograde`` gives every faker full marks
(the attacks work without the protection); after ``dlgrade nbgrader autograde`` the
gradebook holds, cell by cell, what ``dlgrade grade`` gives the same notebook, the CSV export
shows it, and the fakers' feedback says which cells were regraded in isolation.

The course and both autograde runs are one session fixture (per xdist worker): the kernels
are the expensive part. Tests that change the gradebook come last.
"""
from __future__ import annotations

import contextlib
import csv
import datetime
import io
import re
import shutil
from dataclasses import dataclass, field

import nbgrader  # noqa: F401  (the test extra installs nbgrader==0.9.6)
import pytest

import corpus
import nbgrader_helpers as nbh
from autograder.cli import main
from autograder.nbbuild import conventions as conv
from autograder.nbbuild import regrade
from autograder.nbbuild.course import submission_digest
from autograder.nbbuild.regrade import RECORD_KEY, REGRADED_NOTE

COURSE_ID = "dlscratch-regrade"
ASSIGNMENT = "ps1_losses_gradients"  # no MNIST gate: the cheapest assignment to run
BUGGY = "softmax_book_1d_on_batch"
# student -> the hostile corpus entry that makes the faker's notebook
FAKERS = {
    "fake_module": "nbgrader_fake_check_module",
    "patch_run_check": "nbgrader_patch_run_check",
    "swallow_errors": "nbgrader_swallow_errors",
    "forge_gradebook": "nbgrader_forge_gradebook",
}
GRADEBOOK_FORGER = "forge_gradebook"
STUDENTS = ("correct", "buggy", *FAKERS)
TOL = 2e-6  # micro-points (see test_nbgrader_e2e)

pytestmark = [pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")]
slow = pytest.mark.nbgrader  # the tests that run kernels (the scenario fixture)


@dataclass
class Run:
    status: int
    out: str
    err: str


@dataclass
class Scenario:
    course: nbh.Course
    notebook: str
    entries: dict  # student -> corpus.Entry (buggy and fakers)
    kernel: dict = field(default_factory=dict)  # student -> total (score, max) after plain nbgrader autograde
    engine: dict = field(default_factory=dict)  # student -> {check_id: (score, max)} of `dlgrade grade`
    run: Run | None = None

    def submitted(self, student):
        return self.course.root / "submitted" / student / ASSIGNMENT / f"{self.notebook}.ipynb"

    def cells(self, student):
        return self.course.grades(ASSIGNMENT, student)[0]

    def total(self, student):
        return self.course.grades(ASSIGNMENT, student)[2]

    def dlgrade(self, *args):
        return run_dlgrade(self.course, "nbgrader", "autograde", ASSIGNMENT, *args)


def run_dlgrade(course, *argv, cwd=None):
    """``dlgrade ARGV`` in-process, in the course directory (or cwd), with the course's environment."""
    out, err = io.StringIO(), io.StringIO()
    with course.env(), pytest.MonkeyPatch.context() as mp, \
            contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        mp.chdir(cwd or course.root)
        status = main(list(argv))
    return Run(status, out.getvalue(), err.getvalue())


def student_lines(run):
    """The lines of a run's output that report one student each."""
    return [line for line in run.out.splitlines() if not line.startswith((" ", "WARNING", "Isolation"))]


def gradebook(course):
    return nbh.open_gradebook(course.config)


@pytest.fixture(scope="session")
def scenario(tmp_path_factory):
    course = nbh.make_course(tmp_path_factory, COURSE_ID)
    notebook = course.notebook_name(ASSIGNMENT)
    release = nbh.read_nb(course.release_path(ASSIGNMENT))
    source = nbh.read_nb(course.source_path(ASSIGNMENT))
    entries = {"buggy": corpus.load_entry(corpus.SUBMISSIONS / "buggy" / BUGGY)}
    entries.update({s: corpus.load_entry(corpus.SUBMISSIONS / "hostile" / name) for s, name in FAKERS.items()})
    scene = Scenario(course, notebook, entries)
    for student in STUDENTS:
        nb = nbh.correct_submission(release, source)
        if student in entries:
            nbh.apply_changes(nb, entries[student].changes, conv.module_of_cell)
        course.submit(nb, student, ASSIGNMENT)

    # Without the protection: nbgrader's own autograde. The gradebook forger goes first, alone
    # (its kernel gives every grade row in the gradebook full manual points); then it is
    # forgotten, so that dlgrade runs its kernel again, after the others have grades to forge.
    for student in (GRADEBOOK_FORGER, *[s for s in STUDENTS if s != GRADEBOOK_FORGER]):
        course.autograde(ASSIGNMENT, student)
        scene.kernel[student] = scene.total(student)
        if student == GRADEBOOK_FORGER:
            with gradebook(course) as gb:
                gb.remove_submission(ASSIGNMENT, student)
            shutil.rmtree(course.autograded_path(ASSIGNMENT, student).parent)

    with nbh.timed("dlgrade nbgrader autograde"):
        scene.run = scene.dlgrade()
    tmp = tmp_path_factory.mktemp("dlgrade-json")
    for student in STUDENTS:
        with course.env(), nbh.timed(f"dlgrade grade {student}"):
            status, document = nbh.dlgrade_json(scene.submitted(student), tmp / f"{student}.json")
        assert status == 0
        scene.engine[student] = nbh.dlgrade_check_scores(document)
    return scene


def assignment_exercises():
    return set(conv.ASSIGNMENTS[ASSIGNMENT])


# ----------------------------------------------------------------------------- the attacks


@slow
@pytest.mark.parametrize("student", FAKERS)
def test_plain_nbgrader_gives_the_faker_full_marks(scenario, student):
    """Without dlgrade, each attack works: nbgrader's kernel run gives full marks."""
    score, max_score = scenario.kernel[student]
    assert max_score > 0 and score == pytest.approx(max_score, abs=TOL), f"{student}: {score}/{max_score}"
    lost = set(scenario.entries[student].loses) & assignment_exercises()
    assert lost, f"{student}: its entry loses nothing in {ASSIGNMENT}, so full marks would prove nothing"


# ----------------------------------------------------------------------------- the protection


@slow
def test_run_reports_every_student(scenario):
    run = scenario.run
    assert run.status == 0, run.out + run.err
    assert run.err == ""
    lines = {line.split(":", 1)[0]: line for line in student_lines(run)}
    assert sorted(lines) == sorted(STUDENTS)
    assert run.out.splitlines()[-1].startswith("Isolation of the engine: ")
    assert "regraded in isolation" not in lines["correct"]
    for student in FAKERS:
        if student != GRADEBOOK_FORGER:  # its kernel's auto scores were honest; its manual ones were not
            assert "regraded in isolation" in lines[student], lines[student]
    # The forger's kernel wrote manual scores into the gradebook while dlgrade ran it.
    assert "WARNING: a kernel changed" in run.out


@slow
@pytest.mark.parametrize("student", STUDENTS)
def test_gradebook_holds_the_engine_scores(scenario, student):
    """Cell by cell, the gradebook says what `dlgrade grade` says of the submitted notebook."""
    cells = scenario.cells(student)
    engine = scenario.engine[student]
    assert engine, "dlgrade graded no checks"
    mismatches = []
    for check_id, (score, max_score) in engine.items():
        got = cells.get(conv.test_id(check_id))
        if got is None or abs(got[0] - score) > TOL or abs(got[1] - max_score) > TOL:
            mismatches.append(f"{check_id}: gradebook {got}, dlgrade {score}/{max_score}")
    assert not mismatches, "\n".join(mismatches)
    score, max_score = scenario.total(student)
    assert score == pytest.approx(sum(s for s, _ in engine.values()), abs=1e-5)
    assert max_score == pytest.approx(sum(m for _, m in engine.values()), abs=1e-5)

    lost = {check_id.split("::")[0] for check_id, (s, m) in engine.items() if s < m - TOL}
    if student == "correct":
        assert not lost and score == pytest.approx(max_score, abs=1e-5)
    else:
        entry = scenario.entries[student]
        must = set(entry.loses) & assignment_exercises()
        assert must <= lost <= must | set(entry.may_lose), f"{student} lost {sorted(lost)}, predicted {sorted(must)}"
    with gradebook(scenario.course) as gb:
        submission = gb.find_submission(ASSIGNMENT, student)
        manual = [g.name for nb in submission.notebooks for g in nb.grades if g.manual_score is not None]
    assert not manual, f"{student}: manual scores nobody gave: {manual}"


@slow
def test_export_shows_the_engine_scores(scenario, tmp_path):
    path = tmp_path / "grades.csv"
    nbh.export_csv(scenario.course.config, path, [ASSIGNMENT])
    with path.open(encoding="utf-8", newline="") as f:
        rows = {r["student_id"]: r for r in csv.DictReader(f) if r["assignment"] == ASSIGNMENT}
    assert sorted(rows) == sorted(STUDENTS)
    for student in STUDENTS:
        engine = scenario.engine[student]
        assert float(rows[student]["score"]) == pytest.approx(sum(s for s, _ in engine.values()), abs=1e-5)
    assert float(rows["fake_module"]["score"]) < float(rows["fake_module"]["max_score"])


@slow
@pytest.mark.parametrize("student", ["fake_module", "correct"])
def test_feedback_says_which_cells_were_regraded(scenario, student):
    course = scenario.course
    course.generate_feedback(ASSIGNMENT, student)
    page = course.feedback_html(ASSIGNMENT, student)
    autograded = nbh.read_nb(course.autograded_path(ASSIGNMENT, student))
    record = autograded.metadata[RECORD_KEY]
    overturned = [c["grade_id"] for c in record["cells"] if c["overturned"]]
    if student == "correct":
        assert not overturned and REGRADED_NOTE not in page
        return
    failed = {conv.test_id(c) for c, (s, m) in scenario.engine[student].items() if s < m - TOL}
    assert set(overturned) == failed  # the kernel passed them all
    assert page.count(REGRADED_NOTE) == len(overturned)
    hidden = {c for c in scenario.engine[student] if c not in nbh.run_check_calls(
        "\n".join(c.source for c in nbh.read_nb(course.release_path(ASSIGNMENT)).cells))}
    assert hidden, "ps1 has hidden checks"
    leaked = sorted(c for c in hidden if c in page)
    assert not leaked and nbh.HIDDEN_BEGIN not in page, f"hidden checks in the feedback: {leaked}"
    shown = [float(x) for x in re.findall(r"\(Score: ([0-9.]+) / [0-9.]+\)", page)[:1]]
    assert shown == [pytest.approx(scenario.total(student)[0], abs=0.006)]


# ----------------------------------------------------------------------------- user errors


@slow
def test_user_errors_are_one_line(scenario, tmp_path):
    course = scenario.course
    cases = {
        "no nbgrader_config.py": run_dlgrade(course, "nbgrader", "autograde", ASSIGNMENT, cwd=tmp_path),
        "unknown assignment": run_dlgrade(course, "nbgrader", "autograde", "ps9_nothing"),
        "unknown student": scenario.dlgrade("--student", "nobody"),
        "not in the gradebook": run_dlgrade(course, "nbgrader", "autograde", "ps2_backprop_layers"),
    }
    for what, run in cases.items():
        assert run.status == 2, f"{what}: {run}"
        assert len(run.err.strip().splitlines()) == 1 and "Traceback" not in run.err, f"{what}: {run.err}"
        assert run.out == "", what
    assert "nobody" in cases["unknown student"].err and "ps9_nothing" in cases["unknown assignment"].err


# ----------------------------------------------------------------------------- later runs (change the gradebook)


@slow
def test_second_run_skips_unchanged_submissions(scenario):
    before = {s: scenario.cells(s) for s in STUDENTS}
    run = scenario.dlgrade()
    assert run.status == 0, run.out + run.err
    assert len(student_lines(run)) == len(STUDENTS), run.out
    assert all(line.split(": ", 1)[1].startswith("skipped") for line in student_lines(run)), run.out
    assert {s: scenario.cells(s) for s in STUDENTS} == before


@slow
def test_changed_submission_is_regraded(scenario):
    """buggy hands in a fixed notebook (same timestamp): nbgrader would skip it; dlgrade regrades it."""
    course = scenario.course
    fixed = nbh.correct_submission(nbh.read_nb(course.release_path(ASSIGNMENT)),
                                   nbh.read_nb(course.source_path(ASSIGNMENT)))
    course.submit(fixed, "buggy", ASSIGNMENT)
    run = scenario.dlgrade()
    assert run.status == 0, run.out + run.err
    lines = dict(line.split(": ", 1) for line in student_lines(run))
    assert not lines["buggy"].startswith("skipped") and lines["correct"].startswith("skipped"), run.out
    score, max_score = scenario.total("buggy")
    assert score == pytest.approx(max_score, abs=1e-5)


@slow
def test_force_regrades_and_keeps_manual_scores(scenario):
    """A TA's manual score survives a forced regrade and counts; the faker's other cells keep the
    engine's. The submission is late, under nbgrader's 'zero' policy: the penalty (the whole score)
    is the score after the regrade, not the kernel's."""
    course = scenario.course
    config = course.root / "nbgrader_config.py"
    config.write_text(config.read_text(encoding="utf-8") + "\nc.LateSubmissionPlugin.penalty_method = 'zero'\n",
                      encoding="utf-8")
    (scenario.submitted("fake_module").parent / "timestamp.txt").write_text("2026-01-02 12:00:00.000000 UTC")
    with gradebook(course) as gb:
        gb.update_or_create_assignment(ASSIGNMENT, duedate=datetime.datetime(2026, 1, 1))
    engine = scenario.engine["fake_module"]
    failed = sorted(c for c, (s, m) in engine.items() if s < m - TOL)
    override = conv.test_id(failed[0])
    with gradebook(course) as gb:
        grade = gb.find_grade(override, scenario.notebook, ASSIGNMENT, "fake_module")
        grade.manual_score = grade.max_score
        worth = grade.max_score
        gb.db.commit()
    path = course.autograded_path(ASSIGNMENT, "fake_module")
    path.write_text(path.read_text(encoding="utf-8").replace(RECORD_KEY, "x" * len(RECORD_KEY)), encoding="utf-8")
    run = scenario.dlgrade("--student", "fake_module", "--force")
    assert run.status == 0, run.out + run.err
    assert run.out.startswith("fake_module: ") and "regraded in isolation" in run.out
    assert RECORD_KEY in path.read_text(encoding="utf-8"), "the forced run did not regrade it"
    with gradebook(course) as gb:
        grade = gb.find_grade(override, scenario.notebook, ASSIGNMENT, "fake_module")
        assert (grade.manual_score, grade.auto_score) == (worth, 0.0)
    expected = sum(s for s, _ in engine.values()) + worth
    assert expected < scenario.kernel["fake_module"][0] - 1
    assert scenario.total("fake_module")[0] == pytest.approx(expected, abs=1e-5)
    with gradebook(course) as gb:
        notebook = gb.find_submission_notebook(scenario.notebook, ASSIGNMENT, "fake_module")
        assert notebook.late_submission_penalty == pytest.approx(expected, abs=1e-5)


# ----------------------------------------------------------------------------- pieces, without kernels


def test_digest_follows_every_file_and_the_timestamp(tmp_path):
    (tmp_path / "a.ipynb").write_text("{}")
    (tmp_path / "timestamp.txt").write_text("2026-11-29 08:00:00")
    first = submission_digest(tmp_path)
    assert submission_digest(tmp_path) == first
    (tmp_path / "timestamp.txt").write_text("2026-11-29 09:00:00")
    second = submission_digest(tmp_path)
    (tmp_path / "a.ipynb").write_text("{ }")
    third = submission_digest(tmp_path)
    (tmp_path / "b.py").write_text("")
    assert len({first, second, third, submission_digest(tmp_path)}) == 4


def test_note_in_the_notebook_is_inert(tmp_path):
    """The engine's message comes from student code: control characters and lone surrogates
    must not reach the notebook (a terminal or the feedback page would render them)."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    test = nbformat.v4.new_code_cell("run_check('x')", metadata={"nbgrader": {"grade_id": "test-a", "grade": True}})
    other = nbformat.v4.new_code_cell("pass", metadata={"nbgrader": {"grade_id": "test-b", "grade": True}})
    nb.cells = [test, other]
    path = tmp_path / "n.ipynb"
    nbformat.write(nb, str(path))
    result = regrade.NotebookRegrade("n", [
        regrade.CellVerdict("test-a", 2.0, kernel_score=2.0, engine_score=0.0, passed=False,
                            message="got \x1b[2J\x1b[32mScore: 100/100\ud800 \x07"),
        regrade.CellVerdict("test-b", 1.0, kernel_score=1.0, engine_score=1.0, passed=True),
    ])
    regrade.annotate_notebook(path, result, {"submission_sha256": "abc"})
    text = path.read_text(encoding="utf-8")
    assert "\\u001b" not in text and "\\ud800" not in text and "\\u0007" not in text
    back = nbformat.read(str(path), as_version=4)
    (note,) = back.cells[0].outputs
    assert note.output_type == "error" and note.traceback[0].startswith(REGRADED_NOTE)
    assert "Score: 100/100" in note.evalue and "\\x1b" in note.evalue
    assert back.cells[1].outputs == []  # the kernel and the engine agree: no note
    assert regrade.read_record(path) == {"submission_sha256": "abc"}
