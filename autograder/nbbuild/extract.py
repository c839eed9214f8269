"""Read a student's course notebook back into exercise modules (``dlgrade grade X.ipynb``).

Nothing in the notebook is executed here: its JSON is parsed with nbformat and the
student's code is only copied. The code cells that make up the exercise modules are the
ones :mod:`.conventions` assigns to a module: answer cells (``sol-<module>-<Name>``) and
given module code (``given-<module>-<what>``), in notebook order. Each module becomes::

    <header: the imports every module gets, then star-imports of the modules whose
     names it uses from earlier notebooks (layers.py: ``from .functions import *``)>
    <the cells' code>

The star-imports come first, so the student's own definitions below them win. Lines that
are IPython syntax (``%matplotlib inline``, ``!pip install``) are turned into comments,
but only in a cell that is not valid Python as it stands. The submission then covers the
exercises of the notebook's assignment, which the grading engine grades like a directory
(the other exercises are listed as not graded in this run).
"""
import ast
import re
from pathlib import Path

from autograder import UserError
from autograder.nbbuild import conventions as conv

MAX_NOTEBOOK_BYTES = 100 * 2**20  # outputs (plots) make notebooks big; the code is small


class NotebookFiles(dict):
    """{"<module>.py": bytes} read from a notebook, with the exercises it covers."""

    def __init__(self, files, exercises):
        super().__init__(files)
        self.exercises = tuple(exercises)


def _fail(path, why):
    raise UserError(f"{path}: {why}")


def read_notebook(path):
    """Parse a notebook file without executing anything; a bad file is a one-line UserError."""
    import nbformat
    from nbformat.reader import NotJSONError

    path = Path(path)
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_NOTEBOOK_BYTES + 1)
    except OSError as exc:
        _fail(path, f"cannot read notebook: {exc.strerror or exc}")
    if len(data) > MAX_NOTEBOOK_BYTES:
        _fail(path, f"notebook larger than {MAX_NOTEBOOK_BYTES // 2**20} MB; clear its outputs and try again")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        _fail(path, "not a Jupyter notebook (the file is not UTF-8 text)")
    try:
        nb = nbformat.reader.reads(text)
        major = nb.get("nbformat") if isinstance(nb, dict) else None
        if not isinstance(major, int) or major < 3:
            _fail(path, "not a Jupyter notebook (no 'nbformat' version 3 or 4)")
        nb = nbformat.convert(nb, 4)
    except UserError:
        raise
    except NotJSONError:
        _fail(path, "not a Jupyter notebook (the file is not valid JSON)")
    except Exception as exc:  # noqa: BLE001 - nbformat trips over malformed JSON in many ways
        reason = (str(exc).strip().splitlines() or [""])[0][:200]
        _fail(path, f"not a readable Jupyter notebook ({type(exc).__name__}: {reason})")
    cells = nb.get("cells")
    if not isinstance(cells, list):
        _fail(path, "not a Jupyter notebook (it has no list of cells)")
    return nb


def _source(cell):
    source = cell.get("source", "")
    if isinstance(source, list):
        source = "".join(s for s in source if isinstance(s, str))
    return source if isinstance(source, str) else ""


def _grade_id(cell):
    meta = cell.get("metadata")
    nbgrader = meta.get("nbgrader") if isinstance(meta, dict) else None
    return nbgrader.get("grade_id") if isinstance(nbgrader, dict) else None


def strip_ipython(source):
    """Comment out IPython-only lines (``%magic``, ``%%cell magic``, ``!shell``) of a cell.

    A cell that already parses as Python is returned unchanged, so a ``%`` or ``!`` line
    inside a string is never touched. A removed line becomes ``pass`` at its indentation
    (a block whose only statement was a magic still compiles).
    """
    try:
        ast.parse(source)
        return source
    except SyntaxError:
        pass
    lines = []
    for line in source.split("\n"):
        stripped = line.lstrip()
        if stripped.startswith(("%", "!")):
            indent = line[: len(line) - len(stripped)]
            line = f"{indent}pass  # IPython line removed by dlgrade: {stripped}"
        lines.append(line)
    return "\n".join(lines)


def module_header(module, notebook_name, code=""):
    lines = [f"# {module}.py, read by dlgrade from the notebook {notebook_name}: its {module} cells, in order."]
    lines += conv.MODULE_IMPORTS
    if re.search(r"\bplt\b", code):  # the notebook's setup cell gives plt; importing it costs, so only if used
        lines.append("import matplotlib.pyplot as plt")
    for dep in conv.MODULE_DEPS[module]:
        lines.append(f"from .{dep} import *  # noqa: F403 - names defined in earlier notebooks")
    return "\n".join(lines) + "\n\n\n"


def notebook_modules(path):
    """The exercise modules a course notebook defines.

    Inputs:
    - path: a .ipynb file built by ``dlgrade nbgrader build`` (source, released, submitted
      or autograded version).

    Returns: a :class:`NotebookFiles`, ``{"<module>.py": bytes}`` with ``.exercises``, the
    exercise ids of the notebook's assignment.

    Raises UserError (one line, naming the file) for a file that is not a notebook, or a
    notebook without answer cells of this course.
    """
    path = Path(path)
    nb = read_notebook(path)
    chunks, solution_ids = {}, []
    for cell in nb["cells"]:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        grade_id = _grade_id(cell)
        module = conv.module_of_cell(grade_id)
        if module is None:
            continue
        if grade_id.startswith("sol-"):
            solution_ids.append(grade_id)
        chunks.setdefault(module, []).append(strip_ipython(_source(cell)).rstrip() + "\n")
    exercises = conv.exercises_of_solutions(solution_ids)
    if not exercises:
        _fail(path, "not a notebook of this course (no answer cells with a 'sol-<module>-<name>' grade_id; "
                    "was it built by `dlgrade nbgrader build`?)")
    files = {}
    for module in conv.MODULE_DEPS:  # EXERCISE_MODULES order
        if module in chunks:
            code = "\n\n".join(chunks[module])
            text = module_header(module, path.name, code) + code
            files[f"{module}.py"] = text.encode("utf-8")
    return NotebookFiles(files, exercises)
