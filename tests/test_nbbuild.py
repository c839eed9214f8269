"""The nbgrader course builder (``dlgrade nbgrader build``, autograder/nbbuild/).

- the written files: config, three notebooks that validate against nbformat's schema and
  nbgrader's cell-metadata schema v3, with unique grade ids following the conventions;
- points: one test cell per check, worth its points; each assignment's total equals the
  ``dlgrade grade`` points of its exercises, and the three add up to 100; every check
  appears in exactly one notebook; hidden checks (and only they) sit in hidden-test regions;
- answer cells: nbgrader's ClearSolutions turns them into the stubs a student starts from
  (hints kept), given cells carry no solution;
- executed in a Jupyter kernel, every source notebook passes all its test cells and writes
  nothing to stderr, while its released (stub) version fails every test cell.

The real nbgrader pipeline (generate_assignment, autograde, feedback) is exercised in
tests/test_nbgrader_e2e.py.
"""
import ast
import copy
import os
import re
import sys
from pathlib import Path

import nbformat
import pytest

from autograder.cli import main
from autograder.grading import collect_checks
from autograder.nbbuild import build, conventions
from autograder.nbbuild.source import Solutions
from autograder.rubric import Rubric

ASSIGNMENTS = list(conventions.ASSIGNMENTS)
HIDDEN_BEGIN, HIDDEN_END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
SOLUTION_BEGIN, SOLUTION_END = "### BEGIN SOLUTION", "### END SOLUTION"
RUN_CHECK = re.compile(r"""run_check\(['"]([^'"]+)['"]\)""")


# ----------------------------------------------------------------------------- helpers


def require_mnist():
    data = os.environ.get("MNIST_DATA_DIR")
    if not data or not Path(data).is_dir():
        pytest.fail("MNIST_DATA_DIR must point at the four MNIST .gz files for this test")


def nbgrader_meta(cell):
    return cell.get("metadata", {}).get("nbgrader")


def grade_id(cell):
    return (nbgrader_meta(cell) or {}).get("grade_id")


def graded_cells(nb):
    return [c for c in nb.cells if (nbgrader_meta(c) or {}).get("grade")]


def checks_called(cell):
    return RUN_CHECK.findall(cell.source)


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """One course built through the CLI for the whole module: {assignment: notebook}."""
    root = tmp_path_factory.mktemp("course")
    assert main(["nbgrader", "build", str(root), "--course-id", "dl-test"]) == 0
    return root, {a: nbformat.read(root / "source" / a / f"{a}.ipynb", as_version=4) for a in ASSIGNMENTS}


@pytest.fixture(scope="module")
def specs():
    return collect_checks()


# ----------------------------------------------------------------------------- files


def test_writes_config_and_three_notebooks(course):
    root, _ = course
    written = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    assert written == sorted(["nbgrader_config.py"] + [f"source/{a}/{a}.ipynb" for a in ASSIGNMENTS])
    config = (root / "nbgrader_config.py").read_text()
    ast.parse(config)
    assert 'c.CourseDirectory.course_id = "dl-test"' in config or "c.CourseDirectory.course_id = 'dl-test'" in config
    assert re.search(r"^c\.ExecutePreprocessor\.timeout = (\d+)$", config, re.M)
    assert "configure_feedback(c)" in config


def test_config_loads_in_nbgrader(course):
    """nbgrader's own loader accepts the file and sees the settings."""
    from traitlets.config.loader import PyFileConfigLoader

    root, _ = course
    config = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()
    assert config.CourseDirectory.course_id == "dl-test"
    assert config.ExecutePreprocessor.timeout == build.CELL_TIMEOUT >= 60
    names = [cls.__name__ for cls in config.GenerateFeedback.preprocessors]
    assert names.index("GetGrades") < names.index("ClearHiddenTestsAndTracebacks") < names.index("FeedbackPage")
    assert config.HTMLExporter.template_file == "dlgrade.html.j2"


def test_rebuild_is_identical_and_atomic(course, tmp_path):
    root, _ = course
    assert main(["nbgrader", "build", str(tmp_path), "--course-id", "dl-test"]) == 0
    for a in ASSIGNMENTS:
        rel = Path("source") / a / f"{a}.ipynb"
        assert (tmp_path / rel).read_bytes() == (root / rel).read_bytes(), f"{rel} differs between two builds"
    assert not [p for p in tmp_path.rglob(".*.tmp")], "temporary files left behind"


@pytest.mark.parametrize("args, message", [
    (["--course-id", "has space"], "course id"),
    (["--course-id", ""], "course id"),
])
def test_bad_course_id_is_a_user_error(tmp_path, capsys, args, message):
    assert main(["nbgrader", "build", str(tmp_path / "c"), *args]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "c").exists()


def test_course_dir_that_is_a_file_is_a_user_error(tmp_path, capsys):
    target = tmp_path / "file"
    target.write_text("x")
    assert main(["nbgrader", "build", str(target)]) == 2
    err = capsys.readouterr().err
    assert "not a directory" in err and len(err.strip().splitlines()) == 1


# ----------------------------------------------------------------------------- schema


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_notebook_validates_against_nbformat_schema(course, assignment):
    _, nbs = course
    nbformat.validate(nbs[assignment])
    assert nbs[assignment].metadata.kernelspec.name == "python3"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_nbgrader_metadata_schema_v3(course, assignment):
    from nbgrader.nbgraderformat import MetadataValidator

    _, nbs = course
    nb = nbs[assignment]
    MetadataValidator().validate_nb(nb)  # nbgrader's own check (raises on any problem)
    for cell in nb.cells:
        meta = nbgrader_meta(cell)
        if meta is None:
            assert cell.cell_type == "markdown", "every code cell carries nbgrader metadata"
            continue
        assert meta["schema_version"] == 3 and meta["task"] is False
        assert set(meta) >= {"grade", "solution", "locked", "grade_id", "schema_version", "task"}
        if meta["grade"]:
            assert meta["locked"] and not meta["solution"] and meta["points"] > 0
        elif meta["solution"]:
            assert not meta["locked"] and "points" not in meta
        else:
            assert meta["locked"], f"{meta['grade_id']}: a given cell must be read-only"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_grade_ids_are_unique_and_follow_the_conventions(course, assignment):
    _, nbs = course
    ids = [grade_id(c) for c in nbs[assignment].cells if grade_id(c)]
    assert len(ids) == len(set(ids))
    for gid in ids:
        assert re.fullmatch(r"[A-Za-z0-9_-]+", gid), gid
        assert gid == conventions.SETUP_ID or gid.split("-")[0] in ("given", "sol", "test", "demo"), gid
    solutions = {g for g in ids if g.startswith("sol-")}
    expected = {conventions.solution_id(e) for e in conventions.ASSIGNMENTS[assignment] if e != "mnist"}
    assert solutions == expected


# ----------------------------------------------------------------------------- points


def test_every_check_appears_in_exactly_one_notebook(course, specs):
    _, nbs = course
    seen = []
    for nb in nbs.values():
        for cell in graded_cells(nb):
            called = checks_called(cell)
            assert len(called) == 1, f"{grade_id(cell)}: one check per test cell"
            seen += called
    assert sorted(seen) == sorted(s.check_id for s in specs)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_points_follow_the_rubric(course, specs, assignment):
    _, nbs = course
    by_id = {s.check_id: s for s in specs}
    total = 0.0
    for cell in graded_cells(nbs[assignment]):
        spec = by_id[checks_called(cell)[0]]
        points = nbgrader_meta(cell)["points"]
        assert points == spec.max_score
        assert (points * 8).is_integer(), f"{points} is not a multiple of 1/8: nbgrader's sums would be inexact"
        assert grade_id(cell) == conventions.test_id(spec.check_id)
        total += points
    expected = sum(s.max_score for s in specs if s.exercise in conventions.ASSIGNMENTS[assignment])
    assert total == expected


def test_three_totals_add_up_to_100(course):
    _, nbs = course
    totals = {a: sum(nbgrader_meta(c)["points"] for c in graded_cells(nb)) for a, nb in nbs.items()}
    assert sum(totals.values()) == pytest.approx(100, abs=1e-9)
    assert all(t > 0 for t in totals.values())


def test_split_points_is_exact_in_binary():
    """Shares are eighths summing exactly to the exercise's points, each within an eighth of
    its proportional share; sums of them in any order are exact floats (no 24.222222000000002)."""
    import itertools

    from autograder.rubric import split_points

    for points, weights in ((12, [1] * 17), (10, [1, 3, 2, 2, 1]), (8, [1, 1, 2, 2, 1, 1, 1]), (0, [1, 2]),
                            (24.25, [1, 1, 1])):
        shares = split_points(points, weights)
        assert sum(shares) == points
        assert all((x * 8).is_integer() for x in shares)
        assert all(abs(x - points * w / sum(weights)) < 0.125 for x, w in zip(shares, weights))
        for prefix in itertools.accumulate(shares):
            assert prefix == round(prefix * 8) / 8 and repr(prefix) == repr(float(f"{prefix:.3f}"))
    assert split_points(5, [0, 0]) == [0.0, 0.0]
    # Without eighths, shares rounded to decimals leave float noise in sums (5.333334000000001):
    noisy = [round(8 * w / 9, 6) for w in (1, 1, 2, 2, 1, 1, 1)]
    assert any(len(repr(p)) > 12 for p in itertools.accumulate(noisy))


def test_rubric_points_must_be_eighths(tmp_path, capsys):
    rubric = tmp_path / "rubric.toml"
    rubric.write_text('[points]\n"layers.Affine" = 3.3\n')
    assert main(["nbgrader", "build", str(tmp_path / "c"), "--rubric", str(rubric)]) == 2
    assert "multiple of 0.125" in capsys.readouterr().err


def test_hidden_checks_and_only_they_are_in_hidden_regions(tmp_path, specs):
    """With a rubric that hides a visible check, its cell hides it; visibility drives the markers."""
    visible = next(s for s in specs if s.visibility == "visible" and s.exercise == "layers.Affine")
    rubric = Rubric.from_dict({"visibility": {visible.check_id: "hidden"}})
    build.build_course(tmp_path, rubric=rubric)
    hidden = {s.check_id for s in collect_checks(rubric) if s.hidden}
    assert visible.check_id in hidden
    seen = set()
    for a in ASSIGNMENTS:
        nb = nbformat.read(tmp_path / "source" / a / f"{a}.ipynb", as_version=4)
        for cell in graded_cells(nb):
            check = checks_called(cell)[0]
            seen.add(check)
            lines = cell.source.split("\n")
            if check in hidden:
                begin, end = lines.index(HIDDEN_BEGIN), lines.index(HIDDEN_END)
                call = next(i for i, line in enumerate(lines) if "run_check(" in line)
                assert begin < call < end, f"{check}: the call must be inside the hidden region"
                assert not any(line.startswith("#") and "Hidden" not in line for line in lines[:begin])
            else:
                assert HIDDEN_BEGIN not in cell.source and HIDDEN_END not in cell.source
    assert hidden <= seen


def test_rubric_with_mnist_settings_is_refused(tmp_path, capsys):
    rubric = tmp_path / "r.toml"
    rubric.write_text("[mnist]\nthreshold = 0.9\n")
    assert main(["nbgrader", "build", str(tmp_path / "c"), "--rubric", str(rubric)]) == 2
    assert "[mnist]" in capsys.readouterr().err


# ----------------------------------------------------------------------------- cells


def released(nb):
    """What nbgrader generate_assignment gives students: solutions and hidden tests cleared."""
    from nbgrader.preprocessors import ClearHiddenTests, ClearSolutions

    nb = copy.deepcopy(nb)
    nb, resources = ClearSolutions().preprocess(nb, {})
    nb, _ = ClearHiddenTests().preprocess(nb, resources)
    return nb


def test_setup_imports_and_module_deps_match_the_solutions():
    solutions = Solutions()
    for module, deps in conventions.MODULE_DEPS.items():
        assert set(solutions[module].imports()) <= set(conventions.MODULE_IMPORTS), module
        assert tuple(solutions[module].relative_imports()) == tuple(sorted(deps)), module


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_answer_cells_become_stubs_when_released(course, assignment):
    _, nbs = course
    source_cells = {grade_id(c): c for c in nbs[assignment].cells}
    for cell in released(nbs[assignment]).cells:
        gid = grade_id(cell)
        original = source_cells[gid].source if gid else None
        if gid and gid.startswith("sol-"):
            assert SOLUTION_BEGIN in original and SOLUTION_END in original
            assert "### BEGIN" not in cell.source and "### END" not in cell.source
            assert "raise NotImplementedError()" in cell.source
            ast.parse(cell.source)  # the stub still defines its function or class
            name = gid.split("-", 2)[2]
            assert re.search(rf"^(def|class) {name}\b", cell.source, re.M)
        elif gid:
            assert "SOLUTION" not in (original or ""), f"{gid}: solution marker outside an answer cell"
        if gid and (gid.startswith("given-") or gid.startswith("demo-")):
            ast.parse(cell.source)
            assert cell.source == original


def test_hints_survive_the_release(course):
    _, nbs = course
    cells = {grade_id(c): c for c in released(nbs["ps1_losses_gradients"]).cells}
    softmax = cells["sol-functions-softmax"].source
    assert "# Hint: subtract the row maximum" in softmax
    assert "x - np.max" not in softmax


def test_reference_code_is_given_where_later_assignments_build_on_it(course):
    _, nbs = course
    ids = {a: [grade_id(c) for c in nb.cells] for a, nb in nbs.items()}
    assert "given-functions-reference" in ids["ps2_backprop_layers"]
    for gid in ("given-functions-reference", "given-gradient-reference", "given-layers-reference"):
        assert gid in ids["ps3_two_layer_net"]
    # helpers come before the first answer cell of their module
    ps1 = ids["ps1_losses_gradients"]
    assert ps1.index("given-functions-helpers") < ps1.index("sol-functions-sigmoid")
    assert ps1.index("given-gradient-helpers") < ps1.index("sol-gradient-numerical_diff")


# ----------------------------------------------------------------------------- execution


def _execute(nb, workdir):
    """Run a notebook in a fresh kernel of this interpreter (this venv's ipykernel)."""
    import gc

    from jupyter_client.kernelspec import KernelSpec
    from jupyter_client.manager import AsyncKernelManager
    from nbclient import NotebookClient

    class ThisPython(AsyncKernelManager):
        # Whatever "python3" kernelspec the machine has, the kernel must be this venv's.
        @property
        def kernel_spec(self):
            return KernelSpec(argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                              display_name="Python 3", language="python")

    env = dict(os.environ)
    # One BLAS thread, as in the grader's workers: on a busy 2-core machine a threaded BLAS
    # makes the MNIST training cells several times slower.
    env.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    nb = copy.deepcopy(nb)
    # The client owns (and so shuts down) the kernel it starts from kernel_manager_class.
    client = NotebookClient(nb, kernel_name="python3", kernel_manager_class=ThisPython,
                            timeout=build.CELL_TIMEOUT, allow_errors=True,
                            resources={"metadata": {"path": str(workdir)}})
    client.execute(env=env)
    del client
    # Collect the kernel client's sockets now: left to a later collection, their ResourceWarnings
    # surface inside the next in-process pytest run (collect_checks, grade) of this worker.
    gc.collect()
    return nb


def _problems(cell):
    return [o for o in cell.get("outputs", []) if o.output_type == "error"
            or (o.output_type == "stream" and o.name == "stderr")]


@pytest.fixture(scope="module")
def font_cache():
    """Build matplotlib's font cache here, so its one-time notice never lands in a notebook's stderr."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot  # noqa: F401


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_source_notebook_passes_its_own_tests(course, assignment, tmp_path, font_cache):
    if assignment == "ps3_two_layer_net":
        require_mnist()
    _, nbs = course
    done = _execute(nbs[assignment], tmp_path)
    for cell in done.cells:
        if cell.cell_type == "code":
            assert _problems(cell) == [], f"{grade_id(cell)} failed or wrote to stderr"
    graded = graded_cells(done)
    assert graded and all(c.execution_count for c in graded), "every test cell ran"
    demos = {grade_id(c): c for c in done.cells if (grade_id(c) or "").startswith("demo-")}
    for gid, cell in demos.items():
        assert cell.outputs, f"{gid} shows nothing"
        text = "".join(o.get("text", "") for o in cell.outputs)
        assert "check this" not in text, f"{gid} flags the reference solution:\n{text}"
    if assignment == "ps3_two_layer_net":
        text = "".join(o.get("text", "") for o in demos["demo-train-mnist"].outputs)
        accuracy = float(re.search(r"test accuracy (\d\.\d+)", text).group(1))
        assert accuracy > 0.9, text
        assert any("image/png" in o.get("data", {}) for o in demos["demo-learning-curves"].outputs)


# That a released notebook fails every visible test cell is checked with nbgrader's own
# generate_assignment in test_nbgrader_e2e.py (test_release_fails_every_test_unchanged).


def test_feedback_preprocessor_hides_hidden_tests_in_tracebacks(course):
    """What GenerateFeedback does with a failing hidden test cell, and a failing visible one."""
    from autograder.nbbuild.feedback import ClearHiddenTestsAndTracebacks

    _, nbs = course
    nb = copy.deepcopy(nbs["ps1_losses_gradients"])
    cells = graded_cells(nb)
    hidden = next(c for c in cells if HIDDEN_BEGIN in c.source)
    visible = next(c for c in cells if HIDDEN_BEGIN not in c.source)
    for cell in (hidden, visible):
        quoted = [f"----> {i} {line}" for i, line in enumerate(cell.source.split("\n"), 1)]
        cell.outputs = [nbformat.v4.new_output("error", ename="AssertionError", evalue="the message",
                                               traceback=["AssertionError Traceback", *quoted])]
    visible_traceback = list(visible.outputs[0].traceback)
    nb, _ = ClearHiddenTestsAndTracebacks().preprocess(nb, {})
    assert HIDDEN_BEGIN not in hidden.source and "run_check" not in hidden.source
    assert hidden.outputs[0].traceback == ["the message"]
    assert visible.outputs[0].traceback == visible_traceback
    check = checks_called(nbs["ps1_losses_gradients"].cells[nb.cells.index(hidden)])[0]
    assert check not in nbformat.writes(nb)


# ----------------------------------------------------------------------------- validate


def _small_notebook(nb, path, keep_solution=True):
    """The setup, helper, sigmoid answer and sigmoid test cells of ps1 (a quick notebook to run)."""
    small = copy.deepcopy(nb)
    wanted = ("given-setup", "given-functions-helpers", "sol-functions-sigmoid", "test-functions-sigmoid-")
    small.cells = [c for c in small.cells if (grade_id(c) or "").startswith(wanted)]
    if not keep_solution:
        small = released(small)
    nbformat.write(small, path)
    return path


def _dlgrade(*args):
    import subprocess

    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    return subprocess.run([sys.executable, "-m", "autograder", *map(str, args)], capture_output=True,
                          text=True, timeout=300, env=env)


def test_validate_passes_a_correct_notebook_and_fails_a_stub(course, tmp_path, font_cache):
    """Exit 1 when a test fails, unlike `nbgrader validate` (nbgrader #1908)."""
    _, nbs = course
    good = _small_notebook(nbs["ps1_losses_gradients"], tmp_path / "good.ipynb")
    stub = _small_notebook(nbs["ps1_losses_gradients"], tmp_path / "stub.ipynb", keep_solution=False)
    proc = _dlgrade("nbgrader", "validate", good, stub)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    out = proc.stdout.splitlines()
    assert any(line.startswith(f"{good}: ok, all 3 test cells pass") for line in out), proc.stdout
    assert any(line.startswith(f"{stub}: FAILED: 3 of 3 test cells fail") for line in out), proc.stdout
    assert "functions.sigmoid::test_book_example" in proc.stdout and "not implemented" in proc.stdout


def test_validate_refuses_bad_input(tmp_path, capsys):
    corrupt = tmp_path / "corrupt.ipynb"
    corrupt.write_text('{"cells": [')
    assert main(["nbgrader", "validate", str(corrupt)]) == 2
    err = capsys.readouterr().err
    assert "corrupt.ipynb" in err and len(err.strip().splitlines()) == 1, err
    assert main(["nbgrader", "validate", str(tmp_path / "missing.ipynb")]) == 2
    capsys.readouterr()
    empty = tmp_path / "empty.ipynb"
    nbformat.write(nbformat.v4.new_notebook(), empty)
    assert main(["nbgrader", "validate", str(empty)]) == 1
    assert "no test cells" in capsys.readouterr().out


# ----------------------------------------------------------------------------- ps2's self-check


def _run_cells_in_process(nb, prefixes, patch=None):
    """Execute the cells of nb whose grade id starts with one of prefixes in one namespace (as a
    kernel would, solution markers being comments); ``patch(namespace)`` runs before the demos.
    Returns the demos' printed output."""
    import contextlib
    import io

    namespace = {"__name__": "__main__"}
    out = io.StringIO()
    for cell in nb.cells:
        gid = grade_id(cell) or ""
        if not gid.startswith(prefixes):
            continue
        if gid.startswith("demo-") and patch is not None:
            patch(namespace)
            patch = None
        with contextlib.redirect_stdout(out):
            exec(compile(cell.source, gid, "exec"), namespace)
    return out.getvalue()


def test_layer_gradient_check_reports_a_transposed_dW(course):
    """ps2's "check your gradients yourself" cell: a transposed dW is a clear failure naming dW,
    W and both shapes (it used to crash with a broadcast error)."""
    _, nbs = course
    wanted = ("given-", "sol-layers-", "demo-layer-gradient-check")
    clean = _run_cells_in_process(nbs["ps2_backprop_layers"], wanted)
    assert "check this" not in clean and clean.count(" ok") == 6, clean

    def transpose_dW(namespace):
        backward = namespace["Affine"].backward

        def wrong(self, dout):
            dx = backward(self, dout)
            self.dW = self.dW.T  # the classic mistake: dout^T . x instead of x^T . dout
            return dx

        namespace["Affine"].backward = wrong

    text = _run_cells_in_process(nbs["ps2_backprop_layers"], wanted, patch=transpose_dW)
    line = next(line for line in text.splitlines() if line.startswith("Affine.backward: dW"))
    assert "dW has shape (3, 5), but W has shape (5, 3)" in line and "check this" in line, text
    # the other layers are still checked
    assert "SoftmaxWithLoss.backward: dx" in text and text.count("check this") == 1, text

    def no_dW(namespace):
        backward = namespace["Affine"].backward

        def forgets(self, dout):
            dx = backward(self, dout)
            self.dW = None
            return dx

        namespace["Affine"].backward = forgets

    text = _run_cells_in_process(nbs["ps2_backprop_layers"], wanted, patch=no_dW)
    assert "dW is not an array, but W has shape (5, 3)" in text, text


# ----------------------------------------------------------------------------- languages


SCRIPT = {"ko": re.compile(r"[\uac00-\ud7a3]"), "ja": re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")}
FORMULA = re.compile(r"\$\$.+?\$\$|\$[^$\n]+?\$", re.S)


@pytest.mark.parametrize("lang", ["ko", "ja"])
def test_every_notebook_text_is_translated(lang):
    """Each text the builder writes (markdown, comments, hints, headings, demo phrases) has a
    translation that keeps its {placeholders} and its formulas."""
    from autograder.nbbuild import text as nbtext

    texts = build.notebook_texts()
    assert len(texts) > 60 and any(t.startswith("# Problem set 1") for t in texts)
    catalog = nbtext.catalog(lang)
    missing = [t[:70] for t in texts if not catalog.get(t)]
    assert not missing, f"{len(missing)} notebook texts lack a {lang} translation " \
                        f"(run autograder.nbbuild.text.update_catalogs, then translate): {missing}"
    for english in texts:
        translated = catalog[english]
        assert nbtext.placeholders(translated) == nbtext.placeholders(english), (english, translated)
        assert sorted(FORMULA.findall(translated)) == sorted(FORMULA.findall(english)), (english, translated)
        if re.search(r"[A-Za-z]{4}", re.sub(r"`[^`]*`|\$[^$]*\$|\{[^}]*\}|[A-Za-z_]+\(|\w*[._]\w*", "", english)):
            assert SCRIPT[lang].search(translated), f"not {lang}: {translated!r}"


def test_a_text_without_translation_falls_back_to_english_and_is_reported(tmp_path, monkeypatch):
    from autograder.nbbuild import text as nbtext

    monkeypatch.setattr(nbtext, "LOCALE_DIR", tmp_path)
    nbtext.catalog.cache_clear()
    try:
        nbtext.update_catalogs(["Hint:", "A new paragraph."], langs=("ko",))
        po = (tmp_path / "ko" / "LC_MESSAGES" / "notebooks.po").read_text(encoding="utf-8")
        assert 'msgid "A new paragraph."' in po
        assert nbtext.translate("A new paragraph.", "ko") == "A new paragraph."
        assert nbtext.catalog("ko") == {}
    finally:
        nbtext.catalog.cache_clear()


@pytest.mark.parametrize("lang", ["ko", "ja"])
def test_a_course_in_one_language(tmp_path, lang, monkeypatch):
    """`dlgrade nbgrader build --lang`: no untranslated markdown, comment or heading; the kernels
    get DLGRADE_LANG; the same cells, checks and points as the English course."""
    root = tmp_path / lang
    assert main(["nbgrader", "build", str(root), "--lang", lang]) == 0
    english_root = tmp_path / "en"
    assert main(["nbgrader", "build", str(english_root), "--lang", "en"]) == 0
    for assignment in ASSIGNMENTS:
        nb = nbformat.read(root / "source" / assignment / f"{assignment}.ipynb", as_version=4)
        en = nbformat.read(english_root / "source" / assignment / f"{assignment}.ipynb", as_version=4)
        assert nb.metadata["dlgrade"]["language"] == lang
        assert [grade_id(c) for c in nb.cells] == [grade_id(c) for c in en.cells]
        assert [nbgrader_meta(c) for c in nb.cells] == [nbgrader_meta(c) for c in en.cells]
        for cell, english in zip(nb.cells, en.cells):
            if cell.cell_type == "markdown":
                assert SCRIPT[lang].search(cell.source) and cell.source != english.source, cell.source[:200]
                continue
            gid = grade_id(cell)
            assert checks_called(cell) == checks_called(english)
            comments = [line for line in cell.source.splitlines() if line.startswith("# ")]
            if gid.startswith(("given-", "demo-", "test-")):
                assert comments and SCRIPT[lang].search(comments[0]), f"{gid}: {comments[:1]}"
            if gid.startswith("sol-") and "# Hint:" in english.source:
                assert "# Hint:" not in cell.source and SCRIPT[lang].search(cell.source), gid
        setup = next(c for c in nb.cells if grade_id(c) == "given-setup")
        namespace = {}
        # The cell sets this process's DLGRADE_LANG: monkeypatch puts the suite's "en" back after.
        monkeypatch.setenv("DLGRADE_LANG", "unset")
        exec(setup.source.replace("import matplotlib.pyplot as plt", ""), namespace)
        assert namespace["os"].environ["DLGRADE_LANG"] == lang


def test_feedback_preprocessors_accept_the_exporters_config(caplog):
    """No "Config option `display_data_priority` not recognized" warning from the kit's
    preprocessors under HTMLExporter's config (nbgrader's own ClearHiddenTests gets one)."""
    from nbconvert.exporters import HTMLExporter
    from nbgrader.preprocessors import ClearHiddenTests
    from traitlets.config import Config

    from autograder.nbbuild.feedback import ClearHiddenTestsAndTracebacks, FeedbackPage

    config = Config(HTMLExporter().default_config)

    def warnings_of(cls):
        caplog.clear()
        with caplog.at_level("WARNING"):
            cls(config=config)
        return [r.getMessage() for r in caplog.records if "not recognized" in r.getMessage()]

    assert warnings_of(ClearHiddenTests), "the check would not see the warning"
    assert warnings_of(ClearHiddenTestsAndTracebacks) == []
    assert warnings_of(FeedbackPage) == []


def test_latex_becomes_mathml_outside_code():
    from autograder.nbbuild.feedback import cell_name, latex_to_mathml

    text = latex_to_mathml("Use $h = 10^{-4}$:\n\n$$f'(x) \\approx \\frac{f(x + h) - f(x - h)}{2h}$$\n\n"
                           "and `x$1 = $2` stays code.")
    assert text.count("<math") == 2 and 'display="block"' in text and "<mfrac>" in text
    assert "`x$1 = $2`" in text and "$$" not in text and "\\frac" not in text
    assert cell_name("# Test (1.5 points): softmax of a batch\nrun_check('x')") == "Test: softmax of a batch"
    assert cell_name("# 숨겨진 테스트 (2점), layers.Affine: 과제를 채점할 때 실행됩니다.\n### BEGIN HIDDEN TESTS") \
        == "숨겨진 테스트, layers.Affine: 과제를 채점할 때 실행됩니다."


def test_feedback_page_speaks_the_notebooks_language(course):
    from autograder.nbbuild.feedback import FeedbackPage

    _, nbs = course
    nb = copy.deepcopy(nbs["ps1_losses_gradients"])
    nb.metadata["dlgrade"]["language"] = "ja"
    nb, resources = FeedbackPage().preprocess(nb, {})
    assert resources["dlgrade"]["words"]["Score"] == "得点"
    names = [c.metadata["dlgrade_feedback"]["name"] for c in graded_cells(nb)]
    assert names and all(names) and all(n.startswith(("Test: ", "Hidden test of ")) for n in names), names
    assert not any("$$" in c.source for c in nb.cells if c.cell_type == "markdown")


_PAGE_WORDS = ("Student's answer", "Grade cell", "(Top)", "Comments:", "Score", "Late submission penalty",
               "Test cell")


def _feedback_html(root, assignment):
    """The feedback page of a notebook as generate_feedback renders it with the kit's config (the
    scores, a comment and a late penalty filled in as nbgrader's GetGrades leaves them)."""
    import nbgrader
    from nbconvert.exporters import HTMLExporter
    from traitlets.config import Config

    from autograder.nbbuild.feedback import ClearHiddenTestsAndTracebacks, FeedbackPage, configure_feedback

    nb = nbformat.read(root / "source" / assignment / f"{assignment}.ipynb", as_version=4)
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade"):
            meta["score"] = 0
        if meta.get("solution"):
            meta["comment"] = "ok"
    config = Config()
    configure_feedback(config)
    # As nbgrader's GenerateFeedback sets them (nbgrader/converters/generate_feedback.py).
    config.HTMLExporter.template_name = "feedback"
    config.HTMLExporter.extra_template_paths = [str(Path(nbgrader.__file__).parent / "server_extensions" / "formgrader"
                                                    / "static" / "node_modules" / "bootstrap" / "dist" / "css")]
    exporter = HTMLExporter(config=config)
    for preprocessor in (ClearHiddenTestsAndTracebacks, FeedbackPage):  # GetGrades needs a gradebook
        exporter.register_preprocessor(preprocessor, enabled=True)
    html, _ = exporter.from_notebook_node(nb, resources={"nbgrader": {
        "notebook": assignment, "score": 1.0, "max_score": 34.0, "late_penalty": 0.5}})
    return html


def _page_frame(html):
    """The page's own words: the summary, and each nbgrader cell's heading and footer (not the cells)."""
    parts = re.findall(r"<div id=\"toc\">.*?</div>", html, re.S)
    parts += re.findall(r"<div class=\"panel-heading\">.*?</div>", html, re.S)
    parts += re.findall(r"<div class=\"panel-footer\">.*?</div>", html, re.S)
    return re.sub(r"<[^>]+>", " ", "\n".join(parts))


@pytest.mark.parametrize("lang", ["en", "ko", "ja"])
def test_feedback_html_speaks_the_notebooks_language(tmp_path, lang):
    """The feedback page's own words (nbgrader's template says "Student's answer", "Grade cell:
    <grade id>", "(Top)", "Comments:" in English) come in the notebook's language."""
    from autograder.i18n import _, using_language
    from autograder.nbbuild import text as nbtext

    build.build_course(tmp_path, lang=lang)
    frame = _page_frame(_feedback_html(tmp_path, "ps1_losses_gradients"))
    assert frame.count("<") == 0 and len(frame) > 1000, frame[:500]
    if lang == "en":
        for word in ("Student's answer", "(Top)", "Comments:", "Score", "Late submission penalty"):
            assert word in frame, word  # the check below would see them
        assert "Grade cell" not in frame and "Test: " in frame
        return
    with using_language(lang):
        for word in ("Student's answer", "Top", "Comments:", "Score", "Late submission penalty"):
            assert nbtext.translate(word, lang) in frame, word
    left = [w for w in _PAGE_WORDS if w in frame]
    assert not left, left
    assert SCRIPT[lang].search(frame)
    assert not re.findall(r"\b[A-Za-z][a-z']+(?:,? [A-Za-z][a-z']+){3,}\b", frame), frame
    # Every test cell's name is its check's title, translated (parametrized ones too: "... [5.0]").
    english = {re.sub(r" \[[^]]*\]$", "", spec.title) for spec in collect_checks()}
    with using_language(lang):
        english = {t for t in english if _(t) != t}  # a title that is all code reads the same
    assert len(english) > 20 and not [t for t in english if t in frame], [t for t in english if t in frame]


@pytest.mark.parametrize("lang", ["ko", "ja"])
def test_released_answer_cells_speak_the_notebooks_language(tmp_path, lang):
    """nbgrader's generate_assignment (its ClearSolutions, under the built nbgrader_config.py) writes
    the stub of each answer in the notebook's language, not nbgrader's "# YOUR CODE HERE"."""
    from nbgrader.preprocessors import ClearSolutions
    from traitlets.config import Config

    from autograder.nbbuild import text as nbtext

    build.build_course(tmp_path, lang=lang)
    config = Config()
    exec((tmp_path / "nbgrader_config.py").read_text(encoding="utf-8"), {"get_config": lambda: config})
    nb = nbformat.read(tmp_path / "source" / "ps1_losses_gradients" / "ps1_losses_gradients.ipynb", as_version=4)
    released, _ = ClearSolutions(config=config).preprocess(nb, {})
    answers = [c.source for c in released.cells if (grade_id(c) or "").startswith("sol-")]
    stub = re.compile(rf"^( *)# {re.escape(nbtext.translate('YOUR CODE HERE', lang))}\n\1raise NotImplementedError\(\)$", re.M)
    assert answers and all(stub.search(a) for a in answers), answers[:1]
    assert not any("YOUR CODE HERE" in a for a in answers)


def _plotted_labels(lang, font):
    """The labels of ps3's learning curves and ps1's gradient-descent plot as the built demo cells draw
    them, run after the setup cell with PLOT_FONT found (font) or not (None); and the warnings of
    drawing them."""
    import warnings

    import matplotlib
    import numpy as np

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from IPython import display as ipython_display

    from autograder.nbbuild import text as nbtext
    from autograder.nbbuild.content import ASSIGNMENT_PARTS, Demo

    demos = {p.name: nbtext.translate_demo(p.source, lang) for a in ASSIGNMENT_PARTS for p in a.parts
             if isinstance(p, Demo)}
    shown = []
    namespace = {"np": np, "history": {"loss": [2.3, 1.0, 0.5], "epoch": [0.0, 1.0], "train_acc": [0.1, 0.9],
                                       "test_acc": [0.1, 0.9]},
                 "numerical_gradient": lambda f, x: 2 * x, "gradient_descent": lambda f, init_x, lr, step_num: init_x}
    exec(build.setup_source(Solutions(), lang), namespace)
    namespace["PLOT_FONT"] = font
    saved = plt.rcParams.copy()
    original = ipython_display.display
    ipython_display.display = lambda fig: shown.append(fig)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            for name in ("learning-curves", "gradient-descent-path"):
                exec(demos[name], namespace)
            for fig in shown:
                fig.canvas.draw()
    finally:
        ipython_display.display = original
        plt.rcParams.update(saved)
    labels = [text for fig in shown for ax in fig.axes
              for text in (ax.get_xlabel(), ax.get_ylabel(), ax.get_title(),
                           *[t.get_text() for t in (ax.get_legend().get_texts() if ax.get_legend() else [])])]
    return labels, [str(w.message) for w in caught]


@pytest.mark.parametrize("lang", ["ko", "ja"])
def test_plot_labels_follow_the_notebooks_language_when_a_font_can_draw_them(lang):
    """With a font for the language (the setup cell's PLOT_FONT), the plots' axis titles, titles and
    legends are translated; without one, English, and drawing them warns of no missing glyph."""
    english, warned = _plotted_labels(lang, None)
    assert {"iteration", "loss", "epoch", "accuracy", "train", "test"} <= set(english), english
    assert not SCRIPT[lang].search(" ".join(english)) and not warned, warned
    translated, _ = _plotted_labels(lang, "DejaVu Sans")  # any font: only the choice of labels is tested here
    assert len(translated) == len(english) and "$x_0$" in translated
    words = [t for t in translated if t not in ("$x_0$", "$x_1$")]
    assert words and all(SCRIPT[lang].search(t) for t in words), translated
