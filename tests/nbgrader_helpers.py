"""Helpers for the nbgrader tests (test_nbgrader_e2e.py, test_nbgrader_autograde.py): drive the real nbgrader on a built course.

How the parts fit: ``dlgrade nbgrader build`` writes an nbgrader course directory
(``source/<assignment>/<notebook>.ipynb`` and ``nbgrader_config.py``). The test
drives nbgrader through its Python API (:class:`nbgrader.apps.NbGraderAPI`,
in-process: the ``nbgrader`` command costs seconds of start-up per call), makes
student submissions by editing notebooks with nbformat, and compares the
gradebook with ``dlgrade grade NOTEBOOK.ipynb --json``. The cell naming
conventions (``sol-<module>-<Name>``, ``test-...``) are the builder's, in
:mod:`autograder.nbbuild.conventions`.
"""
from __future__ import annotations

import contextlib
import html
import json
import os
import re
import sys
import time
from pathlib import Path

import nbformat
import pytest

NB_VERSION = 4
SOLUTION_BEGIN = "### BEGIN SOLUTION"
SOLUTION_END = "### END SOLUTION"
HIDDEN_BEGIN = "### BEGIN HIDDEN TESTS"
HIDDEN_END = "### END HIDDEN TESTS"
TIMEOUT_ENAME = "CellTimeoutError"  # nbgrader's Execute.error_on_timeout

@contextlib.contextmanager
def timed(label):
    """Print how long the block takes to stderr (seen with ``pytest -s``; never asserted:
    speed is measured under benchmarks/)."""
    started = time.perf_counter()
    try:
        yield
    finally:
        print(f"[timing] {label}: {time.perf_counter() - started:.1f} s", file=sys.stderr)


def venv_environment():
    """Environment changes nbgrader needs to run from this interpreter's venv.

    nbgrader creates a gradebook by running the ``alembic`` command found on PATH
    (nbgrader/api.py, get_alembic_version), so the venv's bin folder must be on PATH
    even when pytest was started as ``.venv/bin/pytest`` without activating the venv.

    Returns: {variable: value} to set.
    """
    bindir = os.path.dirname(sys.executable)
    path = os.environ.get("PATH", "")
    return {"PATH": bindir + os.pathsep + path if path else bindir}


# ----------------------------------------------------------------------------- notebooks


def read_nb(path):
    return nbformat.read(str(path), as_version=NB_VERSION)


def write_nb(nb, path):
    """Write a notebook (validated by nbformat) to path, creating its folder."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.validate(nb)
    nbformat.write(nb, str(path))


def grade_id(cell):
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def is_grade_cell(cell):
    return bool(cell.get("metadata", {}).get("nbgrader", {}).get("grade"))


def is_solution_cell(cell):
    return bool(cell.get("metadata", {}).get("nbgrader", {}).get("solution"))


def cells_by_id(nb):
    """{grade_id: cell} for every nbgrader cell of nb."""
    return {grade_id(c): c for c in nb.cells if grade_id(c) is not None}


def grade_cells(nb):
    """The graded (test) cells of nb, in order."""
    return [c for c in nb.cells if is_grade_cell(c)]


def solution_regions(source):
    """The lines between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` in a cell's source.

    Returns: list of regions, each a list of source lines (markers excluded).
    """
    regions, current = [], None
    for line in source.splitlines():
        if SOLUTION_BEGIN in line:
            if current is not None:
                raise ValueError("nested '### BEGIN SOLUTION'")
            current = []
        elif SOLUTION_END in line:
            if current is None:
                raise ValueError("'### END SOLUTION' without a BEGIN")
            regions.append(current)
            current = None
        elif current is not None:
            current.append(line)
    if current is not None:
        raise ValueError("'### BEGIN SOLUTION' without an END")
    return regions


def strip_solution_markers(source):
    """A source cell's code as a student would hand it in: the solution markers removed.

    Ends with a newline, as the lines of a module do (so a corpus change's ``old``
    text that ends a function still matches).
    """
    return "".join(line + "\n" for line in source.splitlines()
                   if SOLUTION_BEGIN not in line and SOLUTION_END not in line)


def run_check_calls(source):
    """The check ids a cell's source passes to run_check("...")."""
    return re.findall(r"""run_check\(\s*["']([^"']+)["']""", source)


def hidden_regions(source):
    """The text between the hidden-test markers of a cell (list of strings)."""
    out, current = [], None
    for line in source.splitlines():
        if HIDDEN_BEGIN in line:
            current = []
        elif HIDDEN_END in line and current is not None:
            out.append("\n".join(current))
            current = None
        elif current is not None:
            current.append(line)
    return out


def error_outputs(cell):
    return [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]


# ----------------------------------------------------------------------------- submissions


def correct_submission(release_nb, source_nb):
    """The release notebook with every answer cell filled in from the source notebook.

    Inputs:
    - release_nb, source_nb: nbformat notebooks of the same assignment.

    Returns: a new notebook (the release notebook is not modified).
    """
    sources = cells_by_id(source_nb)
    nb = nbformat.from_dict(json.loads(json.dumps(release_nb)))
    filled = 0
    for cell in nb.cells:
        if is_solution_cell(cell) and not is_grade_cell(cell):
            gid = grade_id(cell)
            if gid not in sources:
                raise ValueError(f"answer cell {gid!r} is not in the source notebook")
            cell.source = strip_solution_markers(sources[gid].source)
            filled += 1
    if not filled:
        raise ValueError("the release notebook has no answer cells")
    return nb


def apply_changes(nb, changes, module_of_cell):
    """Apply textual mutations (corpus ``[[change]]`` tables) to a submission's answer cells.

    Inputs:
    - nb: a notebook; modified in place.
    - changes: objects with ``file`` (``layers.py``), ``old`` and ``new``.
    - module_of_cell: grade_id -> exercise module or None (the builder's convention).

    Each ``old`` must occur exactly once among the answer cells of that module,
    so a change that no longer matches the reference fails loudly instead of
    leaving a correct submission behind.
    """
    for change in changes:
        module = change.file[:-3] if change.file.endswith(".py") else change.file
        hits = [c for c in nb.cells if is_solution_cell(c) and module_of_cell(grade_id(c)) == module
                for _ in range(c.source.count(change.old))]
        if len(hits) != 1:
            raise ValueError(f"change to {change.file}: 'old' occurs {len(hits)} times in the "
                             f"notebook's answer cells of {module} (must be once): {change.old[:80]!r}")
        hits[0].source = hits[0].source.replace(change.old, change.new)
    return nb


def insert_infinite_loop(nb, answer_id):
    """Prepend ``while True: pass`` to answer cell answer_id (in place); return nb."""
    cells = cells_by_id(nb)
    if answer_id not in cells or not is_solution_cell(cells[answer_id]):
        raise ValueError(f"no answer cell {answer_id!r}")
    cells[answer_id].source = "while True: pass\n" + cells[answer_id].source
    return nb


def insert_loop_in_method(nb, answer_id, method):
    """Make method ``method`` of the class in answer cell answer_id loop forever (in place); return nb."""
    cells = cells_by_id(nb)
    if answer_id not in cells or not is_solution_cell(cells[answer_id]):
        raise ValueError(f"no answer cell {answer_id!r}")
    lines = cells[answer_id].source.split("\n")
    starts = [i for i, line in enumerate(lines) if line.lstrip().startswith(f"def {method}(")]
    if len(starts) != 1:
        raise ValueError(f"answer cell {answer_id!r} has {len(starts)} definitions of {method}")
    indent = lines[starts[0]][: len(lines[starts[0]]) - len(lines[starts[0]].lstrip())]
    lines.insert(starts[0] + 1, indent + "    while True: pass")
    cells[answer_id].source = "\n".join(lines)
    return nb


# ----------------------------------------------------------------------------- nbgrader


def course_config(course_dir, **overrides):
    """The traitlets Config of the course: its nbgrader_config.py, rooted at course_dir.

    Inputs:
    - course_dir: the course directory (holds nbgrader_config.py, written by the builder);
      an empty ``exchange`` folder is created in it.
    - overrides: ``"Section.trait": value`` pairs applied on top (e.g. Execute.timeout).

    Returns: traitlets.config.Config.
    """
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader

    course_dir = Path(course_dir).resolve()
    config_file = course_dir / "nbgrader_config.py"
    config = PyFileConfigLoader(config_file.name, path=str(config_file.parent)).load_config()
    config.CourseDirectory.root = str(course_dir)
    # An exchange of the course's own, so NbGraderAPI does not complain (CRITICAL) about the
    # system-wide one; local grading never uses it.
    exchange = course_dir / "exchange"
    exchange.mkdir(exist_ok=True)
    config.Exchange.root = str(exchange)
    extra = Config()
    for key, value in overrides.items():
        section, trait = key.split(".")
        setattr(extra[section], trait, value)
    config.merge(extra)
    return config


def nbgrader_api(config):
    """An NbGraderAPI on config (no exchange is needed for local grading)."""
    from nbgrader.apps import NbGraderAPI

    return NbGraderAPI(config=config)


def check_api_result(result, what):
    """Fail with nbgrader's captured log when an API call did not succeed."""
    if not result.get("success"):
        raise AssertionError(f"nbgrader {what} failed:\n{result.get('error')}\n{result.get('log', '')[-6000:]}")
    return result


def open_gradebook(config):
    """The course's gradebook (nbgrader's default place: gradebook.db in the course root)."""
    from nbgrader.api import Gradebook

    course_id = config.CourseDirectory.course_id if "course_id" in config.CourseDirectory else ""
    return Gradebook("sqlite:///" + os.path.join(config.CourseDirectory.root, "gradebook.db"), course_id)


def gradebook_grades(config, assignment, notebook, student):
    """Per-cell scores of one autograded notebook, from the gradebook.

    Returns: ({grade_id: (score, max_score)}, notebook (score, max_score), assignment (score, max_score)).
    """
    with open_gradebook(config) as gb:
        nb = gb.find_submission_notebook(notebook, assignment, student)
        cells = {g.name: (g.score, g.max_score) for g in nb.grades}
        sub = gb.find_submission(assignment, student)
        return cells, (nb.score, nb.max_score), (sub.score, sub.max_score)


def export_csv(config, path, assignments=()):
    """Write the gradebook as CSV with nbgrader's CsvExportPlugin (what ``nbgrader export`` runs)."""
    from nbgrader.plugins import CsvExportPlugin

    plugin = CsvExportPlugin(to=str(path), assignment=list(assignments))
    with open_gradebook(config) as gb:
        plugin.export(gb)


def execute_notebook(path, timeout):
    """Run a notebook with nbclient in its own folder, errors allowed; return the executed notebook."""
    from nbclient import NotebookClient

    nb = read_nb(path)
    client = NotebookClient(nb, timeout=timeout, allow_errors=True, kernel_name="python3",
                            resources={"metadata": {"path": str(Path(path).parent)}})
    client.execute()
    return nb


# ----------------------------------------------------------------------------- dlgrade


def dlgrade_json(notebook_path, json_path, extra_args=()):
    """Grade a notebook with ``dlgrade grade NOTEBOOK --json FILE`` (in-process) and read the JSON.

    Returns: (exit status, results.json document).
    """
    from autograder.cli import main

    status = main(["grade", str(notebook_path), "--json", str(json_path), *extra_args])
    with open(json_path, encoding="utf-8") as f:
        return status, json.load(f)


def dlgrade_check_scores(document):
    """{check_id: (score, max_score)} of the checks a results.json graded (max_score > 0)."""
    out = {}
    for test in document["tests"]:
        check_id = test["tags"][1]
        if test["max_score"] > 0:
            out[check_id] = (test["score"], test["max_score"])
    return out


# ----------------------------------------------------------------------------- a course


class Course:
    """One built course directory and the nbgrader steps already run on it .

    ``env()`` holds the environment nbgrader, its kernels and dlgrade need; every call into
    them runs inside it (set for the call only, so other test modules never see it).
    """

    def __init__(self, root, environ):
        self.root = Path(root)
        self.environ = dict(environ)
        self.config = course_config(self.root)
        self.api = nbgrader_api(self.config)
        self._released = set()

    @contextlib.contextmanager
    def env(self):
        with pytest.MonkeyPatch.context() as mp:
            for key, value in self.environ.items():
                mp.setenv(key, value)
            yield

    def notebook_name(self, assignment):
        found = sorted((self.root / "source" / assignment).glob("*.ipynb"))
        assert len(found) == 1, f"expected one notebook in source/{assignment}, found {found}"
        return found[0].stem

    def source_path(self, assignment):
        return self.root / "source" / assignment / f"{self.notebook_name(assignment)}.ipynb"

    def release_path(self, assignment):
        """Run generate_assignment once; return the released notebook's path."""
        if assignment not in self._released:
            with self.env(), timed(f"generate_assignment {assignment}"):
                check_api_result(self.api.generate_assignment(assignment), "generate_assignment")
            self._released.add(assignment)
        return self.root / "release" / assignment / f"{self.notebook_name(assignment)}.ipynb"

    def submit(self, nb, student, assignment):
        """Put nb where nbgrader collects it: submitted/<student>/<assignment>/<notebook>.ipynb."""
        path = self.root / "submitted" / student / assignment / f"{self.notebook_name(assignment)}.ipynb"
        write_nb(nb, path)
        return path

    def autograded_path(self, assignment, student):
        return self.root / "autograded" / student / assignment / f"{self.notebook_name(assignment)}.ipynb"

    def autograde(self, assignment, student, api=None):
        with self.env(), timed(f"autograde {assignment} {student}"):
            check_api_result((api or self.api).autograde(assignment, student), "autograde")
        return self.autograded_path(assignment, student)

    def generate_feedback(self, assignment, student, api=None):
        with self.env(), timed(f"generate_feedback {assignment} {student}"):
            check_api_result((api or self.api).generate_feedback(assignment, student), "generate_feedback")

    def grades(self, assignment, student):
        return gradebook_grades(self.config, assignment, self.notebook_name(assignment), student)

    def feedback_html(self, assignment, student):
        path = self.root / "feedback" / student / assignment / f"{self.notebook_name(assignment)}.html"
        assert path.is_file(), f"no feedback at {path}"
        return html.unescape(path.read_text(encoding="utf-8"))


def make_course(tmp_path_factory, course_id):
    """Build the kit's course with ``dlgrade nbgrader build`` (in-process) in a fresh folder.

    Returns: a :class:`Course` whose environment keeps the MNIST cache out of the repository
    and kernels on one BLAS thread.
    """
    from autograder.cli import main

    environ = venv_environment()
    # The gate's MNIST cache (written by kernels and dlgrade workers) stays out of the repo;
    # one per session, shared by every course: in-process grading must not see it change.
    cache = tmp_path_factory.getbasetemp() / "mnist-cache"
    cache.mkdir(exist_ok=True)
    environ["MNIST_CACHE_DIR"] = str(cache)
    # Kernels inherit these: multithreaded OpenBLAS on 2 busy cores makes the gate cell
    # several times slower (dlgrade's workers limit their own threads).
    environ.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    # Build matplotlib's font cache now, in this process: the notebooks import pyplot, and
    # a kernel building the cache takes seconds (longer than a short cell timeout on a busy machine).
    from matplotlib import font_manager  # noqa: F401

    root = tmp_path_factory.mktemp("course")
    with timed("dlgrade nbgrader build"):
        assert main(["nbgrader", "build", str(root), "--course-id", course_id]) == 0
    assert (root / "nbgrader_config.py").is_file()
    return Course(root, environ)
