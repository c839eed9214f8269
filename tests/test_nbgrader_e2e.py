"""The kit's nbgrader course, end to end, with the real nbgrader (0.9.6).

In a temporary folder: ``dlgrade nbgrader build`` writes the course; nbgrader's
validator passes every source notebook; ``generate_assignment`` releases
notebooks without solutions or hidden tests, whose tests all fail when run
unchanged; ``autograde`` grades, for each assignment, a correct submission (full
marks) and one with a realistic bug (a ``tests/submissions/buggy`` corpus
entry: the exercises it names lose points, all others keep them), and one ps1
submission with an infinite loop in an answer cell (the cell times out, grading
finishes). ``generate_feedback`` must not reveal hidden tests, the CSV export
must hold the gradebook's totals, and the gradebook must agree check by check
with ``dlgrade grade NOTEBOOK.ipynb --json`` on the same notebook (not for the
looping one: the engine imports a notebook's answers as one module per exercise
module, so a top-level loop costs the whole module there, one cell in nbgrader).

nbgrader is driven through its Python API in this process (its command costs
seconds of start-up per call); notebooks run in the ``python3`` kernel, which
resolves to this interpreter. Each xdist worker builds its own course (its
gradebook is a sqlite file in the course folder). Call timings go to stderr
(``pytest -s``). The ps3 tests run the MNIST accuracy gate: they need
MNIST_DATA_DIR and fail without it.
"""
from __future__ import annotations

import csv
import os
import re
import shutil
import sys

import nbgrader  # noqa: F401  (the test extra installs nbgrader==0.9.6; without it this module fails)
import pytest

import corpus
import nbgrader_helpers as nbh
from autograder.grading import collect_checks
from autograder.nbbuild import conventions as conv

COURSE_ID = "dlscratch-e2e"
# Per cell, for the infinite-loop submission only: the course's own limit (long enough for
# the MNIST gate) would make that test wait minutes for nothing.
LOOP_TIMEOUT = 10
# Points are micro-points: results.json rounds each check's points to 6 decimals, the
# builder splits each exercise's points into 6-decimal shares that add up exactly.
CHECK_TOL = 2e-6
TOTAL_TOL = 1e-5

# Per assignment: the corpus entry that makes the buggy submission.
BUGGY = {
    "ps1_losses_gradients": "softmax_book_1d_on_batch",  # softmax over the whole batch
    "ps2_backprop_layers": "affine_db_mean",  # Affine.backward: db is a mean, not a sum
    "ps3_two_layer_net": "momentum_forgets_velocity",  # Momentum rebuilds self.v at every call
}
# Buggy submissions that also fail a hidden check, whose traceback could leak it into the
# feedback (so these must really exercise that path; the looping submission does too).
BUGGY_FAILS_HIDDEN = {"ps1_losses_gradients", "ps3_two_layer_net"}
# Per assignment: the exercise whose answer loops forever, and where (None: at the answer
# cell's top level, so the cell itself times out; else inside that method, so the first test
# cell calling it times out and the exercise's later test cells fail at once).
LOOPS = {
    "ps1_losses_gradients": ("functions.cross_entropy_error", None),  # has a hidden check; nothing else in ps1 uses it
    "ps2_backprop_layers": ("layers.Affine", "backward"),
    "ps3_two_layer_net": ("optimizer.Momentum", "update"),  # the gate trains with the grader's own update
}
ASSIGNMENTS = sorted(conv.ASSIGNMENTS)
NEEDS_MNIST = {a for a, exercises in conv.ASSIGNMENTS.items() if "mnist" in exercises}

pytestmark = [
    # nbgrader 0.9.6 with SQLAlchemy 2.x warns about its own session use while autograding.
    pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning"),
]


def test_scenarios_cover_every_assignment():
    assert sorted(BUGGY) == ASSIGNMENTS and BUGGY_FAILS_HIDDEN <= set(ASSIGNMENTS)
    assert sorted(LOOPS) == ASSIGNMENTS
    assert all(exercise in conv.ASSIGNMENTS[a] for a, (exercise, _) in LOOPS.items())


def require_mnist():
    import mnist_data

    data = os.environ.get("MNIST_DATA_DIR")
    if not data:
        pytest.fail("this assignment runs the MNIST accuracy gate: set MNIST_DATA_DIR to the "
                    "folder with the four MNIST .gz files")
    try:
        mnist_data.cache_paths(data)
    except mnist_data.MNISTError as exc:
        pytest.fail(f"MNIST_DATA_DIR={data} is not usable: {exc}")


# ----------------------------------------------------------------------------- the course


@pytest.fixture(scope="session")
def course(tmp_path_factory):
    """The course, built with the dlgrade command (in-process) in a fresh folder.

    Session scope: one course per xdist worker, however the worker's tests interleave
    with other modules (a module-scoped fixture would be rebuilt at each switch).
    """
    course = nbh.make_course(tmp_path_factory, COURSE_ID)
    assert sorted(p.name for p in (course.root / "source").iterdir()) == ASSIGNMENTS
    return course


@pytest.fixture(scope="session")
def specs():
    """{check_id: CheckSpec} of the grading engine (points and visibility)."""
    return {s.check_id: s for s in collect_checks()}


def assignment_checks(specs, assignment):
    return [s for s in specs.values() if s.exercise in conv.ASSIGNMENTS[assignment]]


# ----------------------------------------------------------------------------- kernel


def test_kernel_is_this_interpreter(tmp_path):
    """Notebooks name the kernel "python3": it must run this venv's Python (where the kit is)."""
    import nbformat

    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                           "language": "python"}})
    nb.cells = [nbformat.v4.new_code_cell("import sys, autograder; print(sys.prefix)")]
    path = tmp_path / "kernel.ipynb"
    nbh.write_nb(nb, path)
    ran = nbh.execute_notebook(path, timeout=60)
    outputs = ran.cells[0].outputs
    assert not nbh.error_outputs(ran.cells[0]), outputs
    assert os.path.realpath(outputs[0].text.strip()) == os.path.realpath(sys.prefix)


# ----------------------------------------------------------------------------- source and release


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_source_notebook_passes_validation(course, assignment):
    """nbgrader's validator runs the source notebook: every test cell passes.

    ``nbgrader validate`` exits 0 even when tests fail (nbgrader #1908), so the
    validator's result is checked instead.
    """
    from nbgrader.validator import Validator

    if assignment in NEEDS_MNIST:
        require_mnist()
    path = course.source_path(assignment)
    assert nbh.grade_cells(nbh.read_nb(path)), "the source notebook has no graded cells"
    with course.env(), nbh.timed(f"validate {assignment}"):
        result = Validator(config=course.config).validate(str(path))
    failed = [f"{c['source'][:200]}\n{c.get('raw_error', '')[-1500:]}" for c in result.get("failed", [])]
    assert result == {}, "\n\n".join(failed) or result


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_has_no_solutions_and_no_hidden_tests(course, specs, assignment):
    source = nbh.read_nb(course.source_path(assignment))
    release = nbh.read_nb(course.release_path(assignment))
    release_text = "\n".join(c.source for c in release.cells)

    # Solutions: no line of a reference body survives (lines also found outside any
    # solution region, e.g. in given code, prove nothing and are left out).
    outside = {line.strip() for c in source.cells
               for line in _without_regions(c.source).splitlines()}
    release_lines = {line.strip() for line in release_text.splitlines()}
    answer_ids = [nbh.grade_id(c) for c in source.cells if nbh.is_solution_cell(c)]
    assert answer_ids, "the source notebook has no answer cells"
    for cell in source.cells:
        if not nbh.is_solution_cell(cell):
            continue
        regions = nbh.solution_regions(cell.source)
        assert regions, f"answer cell {nbh.grade_id(cell)} has no solution region"
        body = {line.strip() for region in regions for line in region
                if line.strip() and not line.strip().startswith("#")} - outside
        assert body, f"answer cell {nbh.grade_id(cell)}: no distinctive reference line to look for"
        leaked = body & release_lines
        assert not leaked, f"{nbh.grade_id(cell)}: reference code in the release: {sorted(leaked)}"
    assert nbh.SOLUTION_BEGIN not in release_text and nbh.SOLUTION_END not in release_text
    released_answers = {nbh.grade_id(c): c for c in release.cells if nbh.is_solution_cell(c)}
    assert sorted(released_answers) == sorted(answer_ids)
    for gid, cell in released_answers.items():
        assert "raise NotImplementedError" in cell.source, gid

    # Hidden tests: in the source, gone from the release; visible ones stay.
    checks = assignment_checks(specs, assignment)
    hidden = {s.check_id for s in checks if s.visibility != "visible"}
    visible = {s.check_id for s in checks if s.visibility == "visible"}
    assert hidden, f"{assignment} has no hidden checks: this test would prove nothing about them"
    in_hidden_regions = {cid for c in source.cells for region in nbh.hidden_regions(c.source)
                         for cid in nbh.run_check_calls(region)}
    assert in_hidden_regions == hidden
    assert nbh.HIDDEN_BEGIN not in release_text and nbh.HIDDEN_END not in release_text, "hidden-test markers"
    leaked = sorted(c for c in hidden if c in release_text)
    assert not leaked, f"hidden checks named in the release: {leaked}"
    assert set(nbh.run_check_calls(release_text)) == visible


def _without_regions(source):
    """A cell's source without its solution regions (markers included)."""
    out, inside = [], False
    for line in source.splitlines():
        if nbh.SOLUTION_BEGIN in line:
            inside = True
        elif nbh.SOLUTION_END in line:
            inside = False
        elif not inside:
            out.append(line)
    return "\n".join(out)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_fails_every_test_unchanged(course, specs, assignment, tmp_path):
    """Run the released notebook as a student gets it: every test cell with code errors."""
    work = tmp_path / assignment
    shutil.copytree(course.release_path(assignment).parent, work)
    path = work / course.release_path(assignment).name
    with course.env(), nbh.timed(f"nbclient run of the release {assignment}"):
        ran = nbh.execute_notebook(path, timeout=int(course.config.Execute.timeout))
    visible = {conv.test_id(s.check_id) for s in assignment_checks(specs, assignment) if s.visibility == "visible"}
    errored, passed = set(), []
    for cell in nbh.grade_cells(ran):
        gid = nbh.grade_id(cell)
        if nbh.error_outputs(cell):
            errored.add(gid)
        elif gid in visible:
            passed.append(gid)
    assert not passed, f"test cells that pass on the unchanged release: {passed}"
    assert errored == visible, f"errored but not visible tests: {sorted(errored - visible)}"


# ----------------------------------------------------------------------------- autograde


def compare_with_dlgrade(course, assignment, student, submitted, tmp_path, specs):
    """Assert the gradebook equals ``dlgrade grade SUBMITTED --json`` check by check; return the scores.

    Returns: ({check_id: score}, (total, max_total)).
    """
    cells, notebook, total = course.grades(assignment, student)
    with course.env(), nbh.timed(f"dlgrade grade {assignment} {student}"):
        status, document = nbh.dlgrade_json(submitted, tmp_path / f"{student}-{assignment}.json")
    assert status == 0
    engine = nbh.dlgrade_check_scores(document)
    checks = assignment_checks(specs, assignment)
    assert sorted(engine) == sorted(s.check_id for s in checks), "dlgrade graded other checks"
    test_cells = {gid: v for gid, v in cells.items() if gid.startswith("test-")}
    assert sorted(test_cells) == sorted(conv.test_id(s.check_id) for s in checks)
    per_check = {}
    mismatches = []
    for spec in checks:
        nb_score, nb_max = test_cells[conv.test_id(spec.check_id)]
        dl_score, dl_max = engine[spec.check_id]
        if abs(nb_max - dl_max) > CHECK_TOL or abs(nb_score - dl_score) > CHECK_TOL:
            mismatches.append(f"{spec.check_id}: nbgrader {nb_score}/{nb_max}, dlgrade {dl_score}/{dl_max}")
        per_check[spec.check_id] = nb_score
    assert not mismatches, "\n".join(mismatches)
    assert notebook[0] == pytest.approx(document["score"], abs=TOTAL_TOL)
    assert notebook[1] == pytest.approx(document["max_score"], abs=TOTAL_TOL)
    assert total == pytest.approx(notebook, abs=1e-9)  # one notebook per assignment
    return per_check, total


def lost_exercises(per_check, specs):
    """Exercises whose checks did not all get their points."""
    return {specs[c].exercise for c, score in per_check.items() if score < specs[c].max_score - CHECK_TOL}


@pytest.mark.parametrize("kind", ["correct", "buggy"])
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_autograde_matches_dlgrade(course, specs, assignment, kind, tmp_path):
    """Autograde a correct or a buggy submission; gradebook, dlgrade, feedback and CSV agree."""
    if assignment in NEEDS_MNIST:
        require_mnist()
    source = nbh.read_nb(course.source_path(assignment))
    release = nbh.read_nb(course.release_path(assignment))
    submission = nbh.correct_submission(release, source)
    if kind == "buggy":
        entry = corpus.load_entry(corpus.SUBMISSIONS / "buggy" / BUGGY[assignment])
        must_lose = set(entry.loses) & set(conv.ASSIGNMENTS[assignment])
        assert must_lose, f"{entry.id} loses nothing in {assignment}"
        nbh.apply_changes(submission, entry.changes, conv.module_of_cell)
    student = kind
    submitted = course.submit(submission, student, assignment)
    assert course.autograde(assignment, student).is_file()
    per_check, (score, max_score) = compare_with_dlgrade(course, assignment, student, submitted, tmp_path, specs)

    checks = assignment_checks(specs, assignment)
    hidden = {s.check_id for s in checks if s.visibility != "visible"}
    if kind == "correct":
        assert max_score > 0 and score == pytest.approx(max_score, abs=TOTAL_TOL), f"correct: {score}/{max_score}"
    else:
        lost = lost_exercises(per_check, specs)
        assert must_lose <= lost, f"{entry.id}: expected {sorted(must_lose)} to lose points, lost {sorted(lost)}"
        assert lost <= must_lose | set(entry.may_lose), f"{entry.id}: blame leaked to {sorted(lost - must_lose)}"
        if assignment in BUGGY_FAILS_HIDDEN:
            assert any(per_check[c] < specs[c].max_score - CHECK_TOL for c in hidden), \
                f"{entry.id} fails no hidden check: the feedback test below would prove less"

    # Feedback, rendered from the autograded notebook (which has the hidden tests back).
    assert hidden <= set(nbh.run_check_calls("\n".join(
        c.source for c in nbh.read_nb(course.autograded_path(assignment, student)).cells)))
    course.generate_feedback(assignment, student)
    page = course.feedback_html(assignment, student)
    assert_no_hidden_tests(page, hidden)
    shown = re.search(r"\(Score: ([0-9.]+) / ([0-9.]+)\)", page)  # the page's heading, rounded to 0.01
    assert shown, "the feedback page shows no score"
    assert (float(shown[1]), float(shown[2])) == pytest.approx((score, max_score), abs=0.006)
    if kind == "buggy":
        for text in entry.output_contains:  # the student sees why the buggy answer lost points
            assert text.lower() in page.lower(), f"feedback lacks the hint {text!r}"

    # CSV export, as `nbgrader export` writes it.
    csv_path = tmp_path / "grades.csv"
    with nbh.timed("csv export"):
        nbh.export_csv(course.config, csv_path, [assignment])
    with csv_path.open(encoding="utf-8", newline="") as f:
        rows = {r["student_id"]: r for r in csv.DictReader(f) if r["assignment"] == assignment}
    assert float(rows[student]["score"]) == pytest.approx(score, abs=TOTAL_TOL)
    assert float(rows[student]["max_score"]) == pytest.approx(max_score, abs=TOTAL_TOL)
    # No float noise (24.222222000000002): points are eighths, whose sums are exact.
    for key in ("raw_score", "score", "max_score"):
        assert re.fullmatch(r"\d+(\.\d{1,3})?", rows[student][key]), f"{key}: {rows[student][key]}"


def assert_no_hidden_tests(page, hidden_check_ids):
    assert nbh.HIDDEN_BEGIN not in page and nbh.HIDDEN_END not in page, "hidden-test markers in the feedback"
    leaked = sorted(c for c in hidden_check_ids if c in page)
    assert not leaked, f"hidden checks named in the feedback: {leaked}"


def loop_timeout(cell):
    """Per-cell limit for the looping submissions: short, but not for the MNIST gate's cell."""
    return None if "mnist::" in cell.source else LOOP_TIMEOUT


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_infinite_loop_costs_only_its_exercise(course, specs, assignment, tmp_path):
    """``while True: pass`` in one answer: one cell times out, grading finishes, the rest is graded."""
    loop_exercise, method = LOOPS[assignment]
    if assignment in NEEDS_MNIST:
        require_mnist()
    source = nbh.read_nb(course.source_path(assignment))
    release = nbh.read_nb(course.release_path(assignment))
    answer = conv.solution_id(loop_exercise)
    submission = nbh.correct_submission(release, source)
    if method is None:
        looping = nbh.insert_infinite_loop(submission, answer)
    else:
        looping = nbh.insert_loop_in_method(submission, answer, method)
    course.submit(looping, "looping", assignment)
    api = nbh.nbgrader_api(nbh.course_config(course.root, **{"Execute.timeout": LOOP_TIMEOUT,
                                                             "Execute.timeout_func": loop_timeout}))
    autograded = nbh.read_nb(course.autograde(assignment, "looping", api=api))

    cells = nbh.cells_by_id(autograded)
    timed_out = [gid for gid, c in cells.items()
                 if any(o.ename == nbh.TIMEOUT_ENAME for o in nbh.error_outputs(c))]
    checks = assignment_checks(specs, assignment)
    loop_cells = {conv.test_id(s.check_id) for s in checks if s.exercise == loop_exercise}
    if method is None:
        assert timed_out == [answer]
    else:
        # One test cell runs into the loop; the exercise's later ones fail without waiting
        # (run_check remembers the interruption). Ungraded demo cells may time out too.
        graded_timeouts = [gid for gid in timed_out if nbh.is_grade_cell(cells[gid])]
        assert len(graded_timeouts) == 1 and graded_timeouts[0] in loop_cells, timed_out
    cell_scores, _, (score, max_score) = course.grades(assignment, "looping")
    for spec in checks:
        got, worth = cell_scores[conv.test_id(spec.check_id)]
        if spec.exercise != loop_exercise:
            assert got == pytest.approx(worth, abs=CHECK_TOL), f"{spec.check_id} lost points to another cell's loop"
        elif method is None:
            assert got == 0, f"{spec.check_id} scored {got} although its definition never ran"
    lost = max_score - score
    worth = sum(s.max_score for s in checks if s.exercise == loop_exercise)
    assert 0 < lost <= worth + TOTAL_TOL
    if method is None:
        assert lost == pytest.approx(worth, abs=TOTAL_TOL)

    # The hidden checks of the looping exercise failed: their feedback must still not show them.
    hidden = {s.check_id for s in checks if s.visibility != "visible"}
    course.generate_feedback(assignment, "looping", api=api)
    assert_no_hidden_tests(course.feedback_html(assignment, "looping"), hidden)


# ----------------------------------------------------------------------------- feedback page


def kit_traceback_lines(output):
    """Lines of an error output that come from a traceback rather than the check's message."""
    import re as _re

    text = _re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", "\n".join(output.get("traceback", [])))
    return [line for line in text.splitlines()
            if "Traceback" in line or "autograder/" in line or line.startswith(("File ", "Cell "))
            or "CheckFailed" in line or "AssertionError" in line]


@pytest.mark.browser
@pytest.mark.slow
def test_feedback_page_offline_in_chromium(course, specs, tmp_path, offline_page):
    """A buggy ps2 submission's feedback: test cells show the check's message alone (no traceback
    through the kit) and score 0; no warning from the kit's preprocessors; in headless Chromium
    with the network blocked, the page makes no request and logs no error, its formulas render
    as MathML, long messages wrap, and the summary names every test cell."""
    assignment, student = "ps2_backprop_layers", "reader"
    source = nbh.read_nb(course.source_path(assignment))
    submission = nbh.correct_submission(nbh.read_nb(course.release_path(assignment)), source)
    # Affine.backward with db a mean over the batch: failures with long messages
    nbh.apply_changes(submission, corpus.load_entry(corpus.SUBMISSIONS / "buggy" / "affine_db_mean").changes,
                      conv.module_of_cell)
    course.submit(submission, student, assignment)
    autograded = nbh.read_nb(course.autograde(assignment, student))
    cells, _, _ = course.grades(assignment, student)
    failed = [c for c in nbh.grade_cells(autograded) if nbh.error_outputs(c)]
    assert failed, "the buggy submission fails no test cell"
    for cell in failed:
        assert cells[nbh.grade_id(cell)][0] == 0, f"{nbh.grade_id(cell)} failed but scored"
        for output in nbh.error_outputs(cell):
            assert output["traceback"] and not kit_traceback_lines(output), output["traceback"]
            assert "\n".join(output["traceback"]) == output["evalue"]

    with course.env():
        result = nbh.check_api_result(course.api.generate_feedback(assignment, student), "generate_feedback")
    warnings = [line for line in result.get("log", "").splitlines() if "WARNING" in line or "not recognized" in line]
    assert not warnings, warnings
    path = course.root / "feedback" / student / assignment / f"{course.notebook_name(assignment)}.html"
    html_text = path.read_text(encoding="utf-8")
    assert "MathJax.Hub" not in html_text and "<script src=" not in html_text

    # The listeners see what they should: a page that loads a script from a CDN and logs an error.
    probe = tmp_path / "probe.html"
    probe.write_text('<script src="https://cdn.example.org/x.js"></script><script>console.error("probe")</script>')
    _, problems = offline_page(probe)
    assert any("network request" in p for p in problems) and any("probe" in p for p in problems), problems

    page, problems = offline_page(path, width=700)
    toc = page.evaluate("Array.from(document.querySelectorAll('#toc li a')).map(a => a.textContent.trim())")
    maths = page.evaluate("""Array.from(document.querySelectorAll('math')).map(m => {
        const r = m.getBoundingClientRect(); return [m.getAttribute('display'), r.width, r.height]; })""")
    fractions = page.evaluate("""Array.from(document.querySelectorAll('mfrac')).map(f => {
        const [num, den] = f.children; return num.getBoundingClientRect().bottom <= den.getBoundingClientRect().top + 1; })""")
    text = page.evaluate("document.body.innerText")
    overflowing = """Array.from(document.querySelectorAll('.output_area pre')).filter(
        p => p.scrollWidth > p.clientWidth + 1).map(p => p.textContent.slice(0, 80))"""
    wrapped = page.evaluate(overflowing)
    longest = page.evaluate("Math.max(...Array.from(document.querySelectorAll('.output_area pre')).map("
                            "p => Math.max(...p.textContent.split('\\n').map(l => l.length))))")
    page.add_style_tag(content="div.output_area pre { white-space: pre !important; }")
    unwrapped = page.evaluate(overflowing)
    assert problems == [], problems

    graded = nbh.grade_cells(autograded)
    assert len(toc) == len(graded) and all(toc) and "Test cell" not in toc, toc
    hidden = [s for s in assignment_checks(specs, assignment) if s.visibility != "visible"]
    visible = [s for s in assignment_checks(specs, assignment) if s.visibility == "visible"]
    assert sum(name.startswith("Hidden test") for name in toc) == len(hidden)
    for spec in visible:
        assert f"Test: {spec.title}" in toc, spec.title
    assert len(maths) >= 10 and all(w > 0 and h > 0 for _, w, h in maths), maths
    assert any(display == "block" for display, _, _ in maths)
    assert fractions and all(fractions), "a fraction's numerator is not drawn above its denominator"
    assert "$$" not in text and "\\frac" not in text, "LaTeX source left on the page"
    assert longest > 90, "no message long enough to need wrapping at this width"
    assert wrapped == [], wrapped
    assert unwrapped, "the wrapping check would not notice clipped messages"
