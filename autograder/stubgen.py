"""Generate the student stubs in ``exercises/`` from the reference in ``solutions/``.

``solutions/`` is plain runnable Python. Every part a student writes sits
between two comment lines, each alone on its line at the code's indentation::

    def forward(self, x):
        \"\"\"...docstring...\"\"\"
        ### BEGIN SOLUTION  hint: flatten x to (N, D), then x . W + b
        ...reference code...
        ### END SOLUTION

:func:`make_stub` replaces each such region by one line,
``raise NotImplementedError("TODO: implement Affine.forward: <hint>")``, at the
markers' indentation, and copies everything else (imports, signatures,
docstrings, helper code) verbatim. The hint after ``hint:`` is optional; without
it the message points at the docstring. A region must lie inside one function
or method, otherwise the stub module would fail on import.

:func:`generate` writes the stubs (atomically) and :func:`check` reports stubs
that are stale, missing or extra; ``dlgrade stubs [--check]`` is the CLI. A
marker that is malformed, nested, unclosed or unmatched raises
:class:`StubError` naming ``file:line``: a mistake there could leak a solution
into the exercises, so nothing is written.
"""
import ast
import io
import json
import re
import tokenize
from dataclasses import dataclass
from pathlib import Path

from autograder import UserError
from autograder.atomic import write_text_atomic
from autograder.exercises import GIVEN_DIR, GIVEN_MODULES
from autograder.i18n import N_

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"

# Anything that looks like a marker (any number of '#', any case) is caught by
# the loose pattern; only the exact forms are accepted, so a typo cannot
# silently copy a solution into the stubs.
_LOOSE_RE = re.compile(r"#+\s*(BEGIN|END)\s*SOLUTION", re.IGNORECASE)
_BEGIN_RE = re.compile(r"### BEGIN SOLUTION(?:\s+hint:(?P<hint>.*))?\s*$")
_END_RE = re.compile(r"### END SOLUTION\s*$")

HEADER_MARK = "by `dlgrade stubs`"
_HEADER = (
    "# Generated from {filename} " + HEADER_MARK + "; do not edit it by hand in the course\n"
    "# repository: change the solution and run `dlgrade stubs` again. (Students: this is your\n"
    "# exercise; replace each `raise NotImplementedError(...)` with your code.)\n"
)
_GIVEN_HEADER = (
    "# Generated from {filename} " + HEADER_MARK + "; do not edit it by hand in the course\n"
    "# repository. (Students: this is given code, the book's helpers; nothing to write here.)\n"
)
_PLACEHOLDER = "__STUB_HINT_{}__"


class StubError(UserError):
    """A solution file whose markers cannot be turned into a stub."""


@dataclass(frozen=True)
class Region:
    """One solution region: marker lines (1-based), indentation and hint."""

    begin: int
    end: int
    indent: str
    hint: str | None


def _lines(source):
    """Split like Python's tokenizer (\\n, \\r\\n, \\r), unlike str.splitlines(),
    which also splits on form feeds and Unicode separators inside strings."""
    lines = source.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def _fail(filename, line, message):
    raise StubError(f"{filename}:{line}: {message}")


def _parse(source, filename):
    try:
        return ast.parse(source, filename=filename)
    except SyntaxError as exc:
        _fail(filename, exc.lineno or 0, f"does not parse: {exc.msg}")


def _markers(source, filename):
    """Yield (kind, line, indent, hint) for each marker comment, in order."""
    lines = _lines(source)
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type != tokenize.COMMENT or not _LOOSE_RE.match(tok.string):
            continue
        row, col = tok.start
        before = lines[row - 1][:col]
        if before.strip():
            _fail(filename, row, "a solution marker must be alone on its line")
        begin = _BEGIN_RE.match(tok.string)
        if begin:
            hint = begin.group("hint")
            if hint is not None:
                hint = hint.strip()
                if not hint:
                    _fail(filename, row, "empty hint after 'hint:'")
            yield "begin", row, before, hint
        elif _END_RE.match(tok.string):
            yield "end", row, before, None
        else:
            _fail(
                filename,
                row,
                f"malformed solution marker {tok.string!r}; expected '{BEGIN}' "
                f"(optionally followed by '  hint: ...') or '{END}'",
            )


def find_regions(source, filename="<solution>"):
    """Parse a solution source into its solution regions.

    Inputs:
    - source: Text of a solution module.
    - filename: Name used in error messages.

    Returns:
    - List of Region, in file order.

    Raises StubError (with file:line) for a source that does not parse and for
    malformed, nested, unclosed or unmatched markers, or a region that is not
    properly nested in the code around it.
    """
    tree = _parse(source, filename)
    regions = []
    open_marker = None
    for kind, line, indent, hint in _markers(source, filename):
        if kind == "begin":
            if open_marker is not None:
                _fail(filename, line, f"nested '{BEGIN}' (the region opened at line {open_marker[0]} is not closed)")
            open_marker = (line, indent, hint)
        else:
            if open_marker is None:
                _fail(filename, line, f"unmatched '{END}' (no open '{BEGIN}')")
            begin, begin_indent, begin_hint = open_marker
            if indent != begin_indent:
                _fail(filename, line, f"'{END}' is indented differently from its '{BEGIN}' at line {begin}")
            regions.append(Region(begin, line, begin_indent, begin_hint))
            open_marker = None
    if open_marker is not None:
        _fail(filename, open_marker[0], f"'{BEGIN}' is never closed by '{END}'")

    # Every statement starting inside a region must end inside it and must not
    # be indented less than the markers; otherwise the region would cut a
    # block (or a whole method) in half.
    for node in ast.walk(tree):
        if not isinstance(node, ast.stmt):
            continue
        for region in regions:
            if region.begin < node.lineno < region.end:
                if node.end_lineno >= region.end:
                    _fail(filename, node.lineno, f"statement runs past the '{END}' at line {region.end}")
                if node.col_offset < len(region.indent):
                    _fail(filename, node.lineno, f"code is indented less than the '{BEGIN}' at line {region.begin}")
    return regions


def _qualnames(tree):
    """Yield (qualname, node) for every function, e.g. 'Affine.forward'."""

    def walk(node, prefix):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = f"{prefix}{child.name}"
                if not isinstance(child, ast.ClassDef):
                    yield name, child
                yield from walk(child, name + ".")
            else:
                yield from walk(child, prefix)

    yield from walk(tree, "")


# A stub's NotImplementedError message. The stubs stay English; the grader shows the message
# in the student's language (sandbox.errors), the hint from the notebooks' catalog, where the
# answer cells' hints are translated.
STUB_MESSAGE = N_("TODO: implement {name}: {hint}")
STUB_MESSAGE_NO_HINT = N_("TODO: implement {name} (see the docstring)")
_STUB_MESSAGE_RE = re.compile(r"TODO: implement (?P<name>[\w.]+)(?:: (?P<hint>.+)| \(see the docstring\))", re.S)


def _hint_text(qualname, hint):
    if hint:
        return STUB_MESSAGE.format(name=qualname, hint=hint)
    return STUB_MESSAGE_NO_HINT.format(name=qualname)


def parse_stub_message(message):
    """``(qualname, hint or None)`` of a stub's NotImplementedError message, or None for another text."""
    match = _STUB_MESSAGE_RE.fullmatch(message)
    return (match.group("name"), match.group("hint")) if match else None


def make_stub(source, filename="<solution>"):
    """Turn a solution module into its student stub.

    Inputs:
    - source: Text of a solution module.
    - filename: Its path as shown in the header and in error messages
      (e.g. 'solutions/layers.py').

    Returns:
    - The stub text: a header comment, then the source with each solution
      region replaced by ``raise NotImplementedError("<hint>")``.

    Raises StubError (with file:line) when the markers are wrong or the stub
    would not compile.
    """
    regions = find_regions(source, filename)
    lines = _lines(source)
    out = []  # stub lines
    origin = []  # solution line number of each stub line, for error messages
    raise_rows = []  # (stub row, region index, region)
    pos = 1
    for i, region in enumerate(regions):
        for n in range(pos, region.begin):
            out.append(lines[n - 1])
            origin.append(n)
        out.append(f"{region.indent}raise NotImplementedError({_PLACEHOLDER.format(i)})")
        origin.append(region.begin)
        raise_rows.append((len(out), i, region))
        pos = region.end + 1
    for n in range(pos, len(lines) + 1):
        out.append(lines[n - 1])
        origin.append(n)

    try:
        stub_tree = ast.parse("\n".join(out) + "\n", filename=filename)
    except SyntaxError as exc:
        row = exc.lineno or 1
        line = origin[min(row, len(origin)) - 1] if origin else 0
        _fail(filename, line, f"the stub would not compile ({exc.msg}); check the markers' indentation")

    functions = list(_qualnames(stub_tree))
    for row, i, region in raise_rows:
        enclosing = [
            (node.lineno, name) for name, node in functions if node.lineno < row <= node.end_lineno
        ]
        if not enclosing:
            _fail(filename, region.begin, "a solution region must be inside a function or method body")
        qualname = max(enclosing)[1]  # innermost: the latest def that still contains the row
        literal = json.dumps(_hint_text(qualname, region.hint), ensure_ascii=False)
        out[row - 1] = out[row - 1].replace(_PLACEHOLDER.format(i), literal)

    return _HEADER.format(filename=filename) + "\n".join(out) + "\n"


def _solution_files(solutions_dir):
    """Relative POSIX paths of the .py files under solutions_dir, sorted."""
    files = []
    for path in solutions_dir.rglob("*.py"):
        rel = path.relative_to(solutions_dir)
        if any(part == "__pycache__" or part.startswith(".") for part in rel.parts):
            continue
        files.append(rel.as_posix())
    return sorted(files)


def _exercise_files(exercises_dir):
    if not exercises_dir.is_dir():
        return []
    return _solution_files(exercises_dir)


def _check_dirs(solutions_dir, exercises_dir):
    solutions_dir, exercises_dir = Path(solutions_dir), Path(exercises_dir)
    if not solutions_dir.is_dir():
        raise StubError(f"solutions directory not found: {solutions_dir}")
    if exercises_dir.exists() and not exercises_dir.is_dir():
        raise StubError(f"exercises path is not a directory: {exercises_dir}")
    if exercises_dir.resolve() == solutions_dir.resolve():
        raise StubError(f"solutions and exercises are the same directory: {solutions_dir}")
    return solutions_dir, exercises_dir


def build_stubs(solutions_dir):
    """Return {relative path: stub text} for every .py file under solutions_dir, plus the
    given modules of the catalog (exercises.GIVEN_MODULES), copied with the stub header."""
    solutions_dir = Path(solutions_dir)
    files = _solution_files(solutions_dir)
    if not files:
        raise StubError(f"no .py files in {solutions_dir}")
    stubs = {}
    for rel in files:
        try:
            source = (solutions_dir / rel).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise StubError(f"cannot read {solutions_dir / rel}: {exc}") from None
        stubs[rel] = make_stub(source, f"{solutions_dir.name}/{rel}")
    # The given modules (the book's helpers) go to the students as they are.
    for name in GIVEN_MODULES:
        rel = f"{name}.py"
        if rel in stubs:
            raise StubError(f"{solutions_dir / rel} has the name of a given module ({GIVEN_DIR / rel})")
        text = (GIVEN_DIR / rel).read_text(encoding="utf-8")
        stubs[rel] = _GIVEN_HEADER.format(filename=f"autograder/given/{rel}") + text
    return stubs


def _is_generated(path):
    try:
        with open(path, encoding="utf-8") as fh:
            first = fh.readline()
    except (OSError, UnicodeDecodeError):
        return False
    return first.startswith("# Generated from ") and HEADER_MARK in first


def _differences(stubs, exercises_dir):
    """[(relative path, 'differs' | 'missing' | 'extra')], sorted by path."""
    found = []
    for rel, text in stubs.items():
        path = exercises_dir / rel
        if not path.is_file():
            found.append((rel, "missing"))
        elif path.read_bytes() != text.encode("utf-8"):
            found.append((rel, "differs"))
    for rel in _exercise_files(exercises_dir):
        if rel not in stubs:
            found.append((rel, "extra"))
    return sorted(found)


def check(solutions_dir, exercises_dir):
    """Compare exercises_dir with the stubs generated from solutions_dir.

    Returns:
    - List of (relative path, reason) with reason 'differs', 'missing' or
      'extra'; empty when exercises_dir is up to date.
    """
    solutions_dir, exercises_dir = _check_dirs(solutions_dir, exercises_dir)
    return _differences(build_stubs(solutions_dir), exercises_dir)


def generate(solutions_dir, exercises_dir):
    """Write the stubs of solutions_dir into exercises_dir.

    Each changed file is written atomically; stale generated files with no
    solution are removed. A .py file in exercises_dir that has no solution and
    was not generated raises StubError before anything is written.

    Returns:
    - Sorted list of the relative paths written or removed (empty when
      everything was up to date).
    """
    solutions_dir, exercises_dir = _check_dirs(solutions_dir, exercises_dir)
    stubs = build_stubs(solutions_dir)  # all stubs first: a bad marker writes nothing
    diffs = _differences(stubs, exercises_dir)
    foreign = [rel for rel, why in diffs if why == "extra" and not _is_generated(exercises_dir / rel)]
    if foreign:
        raise StubError(
            f"{exercises_dir / foreign[0]} has no solution in {solutions_dir} and was not generated; "
            "move it into the solutions or delete it"
        )
    for rel, why in diffs:
        if why == "extra":
            (exercises_dir / rel).unlink()
        else:
            write_text_atomic(exercises_dir / rel, stubs[rel])
    return [rel for rel, _ in diffs]
