"""Code for notebook cells, cut out of the reference solutions with ``ast``.

``solutions/<module>.py`` stays the single hand-written copy of every exercise. A
notebook cell holds one top-level function or class of it, cut at the AST's line
numbers (decorators included), in one of two forms:

- :meth:`Solutions.solution_cell`: the ``### BEGIN SOLUTION`` / ``### END SOLUTION``
  markers kept (nbgrader's own syntax: ``generate_assignment`` replaces each region by
  ``# YOUR CODE HERE`` / ``raise NotImplementedError()``). nbgrader would swallow the
  ``hint:`` text on a BEGIN line together with the region, so the hint moves to a
  ``# Hint:`` comment just above it, where the student still sees it.
- :meth:`Solutions.reference_cell`: the markers removed, for given code (private helpers,
  and reference answers of an earlier assignment that a later one builds on).

Relative imports (``from .functions import softmax``) are never copied: in a notebook the
names come from earlier cells. The markers are validated by the stub generator's parser,
so a marker mistake fails the build with ``file:line``.
"""
import ast
import textwrap
from pathlib import Path

from autograder import UserError, reference
from autograder.stubgen import _lines, find_regions

HINT_LABEL = "Hint:"  # heads a hint in an answer cell (translated with the hint)


def default_solutions_dir():
    """The installed reference package's folder (the repository's ``solutions/``)."""
    return reference.directory()


class ModuleSource:
    """One reference module: its text, its top-level definitions and its solution regions."""

    def __init__(self, path):
        self.path = Path(path)
        self.text = self.path.read_text(encoding="utf-8")
        self.lines = _lines(self.text)
        self.tree = ast.parse(self.text, filename=str(self.path))
        self.regions = find_regions(self.text, filename=str(self.path))
        self.definitions = {}  # name -> top-level FunctionDef / ClassDef, in file order
        for node in self.tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                self.definitions[node.name] = node

    @property
    def helpers(self):
        """Names of the module-level private helpers (``_check_y_t``), in file order."""
        return [name for name in self.definitions if name.startswith("_")]

    def imports(self):
        """The module's absolute import statements, as source lines."""
        found = []
        for node in self.tree.body:
            if isinstance(node, (ast.Import, ast.ImportFrom)) and not getattr(node, "level", 0):
                found.append(ast.get_source_segment(self.text, node))
        return found

    def relative_imports(self):
        """Modules imported relatively (``from .functions import ...`` -> ``functions``)."""
        return sorted({node.module for node in self.tree.body
                       if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module})

    def _node(self, name):
        try:
            return self.definitions[name]
        except KeyError:
            raise UserError(f"{self.path}: no top-level function or class named {name!r}") from None

    def _span(self, name):
        node = self._node(name)
        first = min([node.lineno] + [d.lineno for d in node.decorator_list])
        last = node.end_lineno
        # An '### END SOLUTION' comment after the last statement lies outside the AST's span.
        for region in self.regions:
            if first <= region.begin <= last:
                last = max(last, region.end)
        return first, last

    def has_solution(self, name):
        first, last = self._span(name)
        return any(first <= r.begin <= last for r in self.regions)

    def uses(self, name):
        """Top-level names of this module that the definition of ``name`` refers to."""
        node = self._node(name)
        return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and n.id in self.definitions
                and n.id != name}

    def with_dependencies(self, names):
        """``names`` plus every top-level definition they use, transitively, in file order."""
        wanted, todo = set(), list(names)
        while todo:
            name = todo.pop()
            if name not in wanted:
                self._node(name)  # unknown names fail here, naming the file
                wanted.add(name)
                todo.extend(self.uses(name))
        return [name for name in self.definitions if name in wanted]

    def hints(self):
        """The hints of this module's solution regions (English, as written)."""
        return [r.hint for r in self.regions if r.hint]

    def solution_cell(self, name, translate=None):
        """The definition of ``name`` with its solution markers (hints moved above them).

        ``translate``: English text -> the notebook's language, for the hints (default: English).
        """
        translate = translate or (lambda text: text)
        first, last = self._span(name)
        if not self.has_solution(name):
            raise UserError(f"{self.path}: {name} has no '### BEGIN SOLUTION' region")
        begins = {r.begin: r for r in self.regions if first <= r.begin <= last}
        out = []
        for lineno in range(first, last + 1):
            line = self.lines[lineno - 1]
            region = begins.get(lineno)
            if region is not None:
                if region.hint:
                    label = translate(HINT_LABEL) + " "
                    out.extend(textwrap.wrap(translate(region.hint), width=max(40, 96 - len(region.indent)),
                                             initial_indent=region.indent + "# " + label,
                                             subsequent_indent=region.indent + "#" + " " * (len(label) + 1)))
                line = region.indent + "### BEGIN SOLUTION"
            out.append(line)
        return "\n".join(out)

    def reference_cell(self, names):
        """The definitions of ``names`` with the marker lines removed, separated by blank lines."""
        markers = {line for r in self.regions for line in (r.begin, r.end)}
        chunks = []
        for name in names:
            first, last = self._span(name)
            chunks.append("\n".join(self.lines[i - 1] for i in range(first, last + 1) if i not in markers))
        return "\n\n\n".join(chunks)


class Solutions:
    """The reference modules, parsed once per build."""

    def __init__(self, directory=None):
        self.directory = Path(directory) if directory is not None else default_solutions_dir()
        self._modules = {}

    def __getitem__(self, module):
        if module not in self._modules:
            path = self.directory / f"{module}.py"
            if not path.is_file():
                raise UserError(f"reference module not found: {path}")
            self._modules[module] = ModuleSource(path)
        return self._modules[module]
