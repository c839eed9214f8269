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
but only in a cell that is not valid Python as it stands.

The notebook is untrusted: any notebook must be read without crashing the grader or
costing it unbounded memory. Its JSON is sized up before it is parsed (``MAX_JSON_VALUES``),
and an answer cell the parser cannot handle (too large, nested too deeply, null bytes,
invalid Unicode, or a ``RecursionError`` / ``MemoryError`` inside the parser) is *graded as
broken*: it becomes a stub whose names raise a ``SyntaxError`` that says why, so only that
exercise scores 0. The submission then covers the
exercises of the notebook's assignment, which the grading engine grades like a directory
(the other exercises are listed as not graded in this run).
"""
import re
import warnings
from pathlib import Path

from autograder import UserError
from autograder.i18n import _
from autograder.nbbuild import conventions as conv

MAX_NOTEBOOK_BYTES = 100 * 2**20  # outputs (plots) make notebooks big; the code is small
# JSON values parsed from one notebook: a real one has a few thousand (lines of sources and
# outputs); 100 MB of "[]," would be 33 million Python lists (2 GB).
MAX_JSON_VALUES = 2_000_000
# Compiling costs ~15 us per token here: these bound the time and memory the parser may take.
MAX_CELL_CHARS = 50_000  # an answer cell is a few dozen lines
MAX_CODE_CHARS = 500_000  # all module cells of a notebook together


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
        _fail(path, _("cannot read notebook: {error}").format(error=exc.strerror or exc))
    if len(data) > MAX_NOTEBOOK_BYTES:
        _fail(path, _("notebook larger than {size} MB; clear its outputs and try again").format(
            size=MAX_NOTEBOOK_BYTES // 2**20))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        _fail(path, _("not a Jupyter notebook (the file is not UTF-8 text)"))
    # Every JSON value but the first follows one of these bytes: parsing cannot create more.
    if 1 + sum(data.count(c) for c in (b",", b"[", b"{", b":")) > MAX_JSON_VALUES:
        _fail(path, _("notebook with more than {count} JSON values; clear its outputs and try again").format(
            count=MAX_JSON_VALUES))
    try:
        nb = nbformat.reader.reads(text)
        major = nb.get("nbformat") if isinstance(nb, dict) else None
        if not isinstance(major, int) or major < 3:
            _fail(path, _("not a Jupyter notebook (no 'nbformat' version 3 or 4)"))
        nb = nbformat.convert(nb, 4)
    except UserError:
        raise
    except NotJSONError:
        _fail(path, _("not a Jupyter notebook (the file is not valid JSON)"))
    except Exception as exc:  # noqa: BLE001 - nbformat trips over malformed JSON in many ways
        reason = (str(exc).strip().splitlines() or [""])[0][:200]
        _fail(path, _("not a readable Jupyter notebook ({error}: {reason})").format(error=type(exc).__name__,
                                                                                   reason=reason))
    cells = nb.get("cells")
    if not isinstance(cells, list):
        _fail(path, _("not a Jupyter notebook (it has no list of cells)"))
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


class UnreadableCell(ValueError):
    """The parser itself fails on a cell (not a plain syntax error); the message says why."""


def _parses(source):
    """Whether source is valid Python; UnreadableCell when the parser cannot even tell."""
    return syntax_error(source) is None


def syntax_error(source):
    """The SyntaxError of source (None if it is valid Python); UnreadableCell when the parser
    cannot even tell."""
    if len(source) > MAX_CELL_CHARS:
        raise UnreadableCell(_("it is too large ({count} characters; at most {limit})").format(
            count=len(source), limit=MAX_CELL_CHARS))
    try:
        source.encode("utf-8")
    except UnicodeEncodeError:
        raise UnreadableCell(_("it contains invalid Unicode (lone surrogates)")) from None
    if "\0" in source:
        raise UnreadableCell(_("it contains null bytes"))
    try:
        # compile, not ast.parse: the same front end, without building a tree of Python
        # objects (faster, smaller, and it accepts the long expressions Python itself does).
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarnings are the worker's to show
            compile(source, "<cell>", "exec", dont_inherit=True)
        return None
    except SyntaxError as exc:
        return exc
    except RecursionError:
        raise UnreadableCell(_("it is nested too deeply for Python's parser (RecursionError)")) from None
    except MemoryError:
        raise UnreadableCell(_("it is too complex for Python's parser (MemoryError)")) from None
    except (ValueError, OverflowError) as exc:
        raise UnreadableCell(_("Python's parser rejects it ({error})").format(error=type(exc).__name__)) from None


def strip_ipython(source):
    """Comment out IPython-only lines (``%magic``, ``%%cell magic``, ``!shell``) of a cell.

    A cell that already parses as Python is returned unchanged, so a ``%`` or ``!`` line
    inside a string is never touched. A removed line becomes ``pass`` at its indentation
    (a block whose only statement was a magic still compiles). Raises UnreadableCell for a
    cell the parser cannot handle.
    """
    if _parses(source):
        return source
    return _comment_out_magics(source)


def _comment_out_magics(source):
    lines = []
    for line in source.split("\n"):
        stripped = line.lstrip()
        if stripped.startswith(("%", "!")):
            indent = line[: len(line) - len(stripped)]
            line = f"{indent}pass  # IPython line removed by dlgrade: {stripped}"
        lines.append(line)
    return "\n".join(lines)


def broken_cell(grade_id, why):
    """Code standing in for an answer cell that cannot be read: its names raise, saying why.

    ``sol-layers-Affine`` defines ``Affine``; calling it (or any name of a given cell,
    which defines nothing here) raises SyntaxError, so the cell's exercise scores 0 with
    that message and the other exercises of the module are graded as usual.
    """
    message = _("dlgrade could not read the notebook cell {cell}: {why}").format(cell=grade_id, why=why)
    lines = [f"# {message}"]
    name = grade_id.split("-", 2)[2] if grade_id.startswith("sol-") else ""
    if name.isidentifier():
        lines += [f"def {name}(*args, **kwargs):", f"    raise SyntaxError({message!r})"]
    return "\n".join(lines) + "\n"


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
    budget = MAX_CODE_CHARS
    for cell in nb["cells"]:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        grade_id = _grade_id(cell)
        module = conv.module_of_cell(grade_id)
        if module is None:
            continue
        if grade_id.startswith("sol-"):
            solution_ids.append(grade_id)
        source = _source(cell)
        budget -= len(source)
        try:
            if budget < 0:
                raise UnreadableCell(_("the notebook's code cells hold more than {limit} characters").format(
                    limit=MAX_CODE_CHARS))
            code, error = source, syntax_error(source)
            if error is not None:
                code = _comment_out_magics(source)
                error = syntax_error(code) if code != source else error
            if error is not None:  # as under nbgrader: only this cell is lost, not its whole module
                raise UnreadableCell(_("SyntaxError: {message} (line {line} of the cell)").format(
                    message=error.msg, line=error.lineno))
            code = code.rstrip() + "\n"
        except UnreadableCell as exc:
            code = broken_cell(grade_id, str(exc))
        chunks.setdefault(module, []).append(code)
    exercises = conv.exercises_of_solutions(solution_ids)
    if not exercises:
        _fail(path, _("not a notebook of this course (no answer cells with a 'sol-<module>-<name>' grade_id; "
                      "was it built by `dlgrade nbgrader build`?)"))
    files = {}
    for module in conv.MODULE_DEPS:  # EXERCISE_MODULES order
        if module in chunks:
            code = "\n\n".join(chunks[module])
            text = module_header(module, path.name, code) + code
            files[f"{module}.py"] = text.encode("utf-8")
    return NotebookFiles(files, exercises)
