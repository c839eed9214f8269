"""Mutation testing of the checks: how many plausible student mistakes do they catch?

``dlgrade mutants`` (``autograder/cli/mutants.py``) is an instructor's tool. It
makes *mutants* of the reference in ``solutions/``: copies with one small change
of the kind students make in numpy (a changed axis, a dropped division by the
batch size, a transpose, a flipped sign, an in-place update turned into a
rebinding, a missing copy, an off-by-one step count, a dropped epsilon, ...;
see ``OPERATORS``). Only code inside an exercise's ``### BEGIN SOLUTION`` /
``### END SOLUTION`` regions is mutated (the regions are found as the stubs
find them, ``stubgen.find_regions``), because that is the code a student writes.

Each mutant is graded by the real engine (``grading.grade``, with
``only={exercise}``) as a submission holding the mutated module and the
reference copies of the others. A mutant is *killed* when one of its
exercise's checks fails. The report gives, per exercise, the kill rate, the
surviving mutants as a diff line, and the checks that kill each mutant, the
visible ones singled out (a student who runs only the visible checks must still
learn of the mistake). Mutants that cannot change behaviour, or that reproduce a
convention the kit accepts on purpose (README, "Fairness"), are recognised by
cheap static rules (``EQUIVALENT_RULES``, ``ACCEPTED``) and reported apart,
outside the kill rate.

How a mutant is made: the operators walk the solution's syntax tree (``ast``)
and propose, for one node, a replacement node that shares the untouched
children with the reference; the mutant's source is the reference text with
that node's exact span replaced by the replacement's text (``ast.unparse`` for
what is new, the reference's own text for what it shares, parentheses where
precedence needs them). Splicing text rather than unparsing the whole tree
keeps comments, layout and line numbers, so the mutant reads like a student's
edit and its diff is one line. A splice that does not change the syntax tree is
dropped; every mutant must parse to the reference's tree with exactly that one
node replaced.
"""
from __future__ import annotations

import ast
import copy
import difflib
import hashlib
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from autograder import UserError, reference, stubgen
from autograder.exercises import EXERCISES, MODULES

# The mistakes each operator imitates; the names are what reports and --operator use.
OPERATORS = {
    "axis": "reduce over another axis (axis=0 <-> 1, -1 -> 0) or over the whole array (axis dropped)",
    "keepdims": "keepdims=True dropped",
    "division": "a division dropped (e.g. by the batch size)",
    "factor": "a factor dropped: a constant, a hyperparameter or a cached value (0.5 * ..., lr * ..., dout * y)",
    "transpose": "a transpose removed (x.T -> x) or added to a product (np.dot(a, b).T)",
    "sign": "a flipped sign (-= <-> +=, - <-> +, -x -> x)",
    "rebind": "an in-place update turned into a rebinding (W -= x -> W = W - x)",
    "copy": "a missing copy (.copy() / np.copy dropped)",
    "reshape": "a missing reshape (x.reshape(...) -> x)",
    "range": "an off-by-one step count (range(n) -> range(n - 1), range(n + 1))",
    "epsilon": "a dropped epsilon (+ 1e-7 removed)",
    "sum-mean": "np.sum <-> np.mean",
    "compare": "a changed comparison (> <-> >=, < <-> <=, == <-> !=)",
    "return": "an input returned instead of the result (return out -> return x)",
    "delete": "a forgotten assignment or update of an attribute or an element (self.x = x, x[idx] = tmp_val, "
              "self.iter += 1)",
}

# The MNIST gate has no solution region of its own: `--exercise mnist` mutates the
# exercises whose code the gate trains with, and grades those mutants by the gate alone.
GATE = "mnist"
GATE_TARGETS = ("layers.Relu", "layers.Affine", "layers.SoftmaxWithLoss", "two_layer_net.TwoLayerNet")

# Mutants that reproduce a convention the kit accepts on purpose (README, "Fairness"):
# (function's qualified name, operator, the mutated line) -> why. Reported apart, outside the kill rate.
ACCEPTED = {
    ("gradient_descent", "copy", "x = init_x"):
        "the book's gradient_descent moves init_x in place; accepted (README, Fairness)",
    ("Relu.backward", "copy", "dx = dout"):
        "the book's Relu.backward zeroes dout in place; accepted (README, Fairness)",
    ("Relu.forward", "compare", "self.mask = x < 0"):
        "x < 0 and x <= 0 differ only at the kink x == 0, where no convention decides a grade (README, Fairness)",
    ("SoftmaxWithLoss.backward", "factor", "return dx"):
        "the book's SoftmaxWithLoss.backward ignores dout (always 1 for the last layer); accepted (README, Fairness)",
}

DEFAULT_TIMEOUT = 2.0  # seconds per call into a mutant: the reference's calls take milliseconds


@dataclass(frozen=True)
class Mutant:
    """One changed copy of a solution module.

    ``number`` counts the mutants of one exercise from 1, in source order; with the
    exercise it is the mutant's id (``layers.Affine#3``) for as long as the solution
    and the operators do not change.
    """

    exercise: str
    number: int
    operator: str
    module: str
    function: str  # qualified name of the function it changes, e.g. "Affine.backward"
    line: int  # first changed line of solutions/<module>.py
    before: str  # the changed reference line(s), stripped
    after: str  # what the mutant has instead
    source: str  # the whole mutated module
    equivalent: str = ""  # why the mutant cannot change behaviour (empty: it may)
    accepted: str = ""  # why the kit accepts this variation on purpose (empty: it does not)

    @property
    def id(self) -> str:
        return f"{self.exercise}#{self.number}"

    @property
    def diff_line(self) -> str:
        return f"{self.module}.py:{self.line}: {self.before}  ->  {self.after}"

    def to_dict(self) -> dict:
        return {"id": self.id, "exercise": self.exercise, "operator": self.operator, "function": self.function,
                "file": f"{self.module}.py", "line": self.line, "before": self.before, "after": self.after,
                "diff": self.diff_line}


@dataclass
class MutantResult:
    """What grading one mutant found.

    status: "killed" (a check failed), "survived" (every check passed), "equivalent"
    or "accepted" (not graded: see Mutant), or "error" (the grader itself failed).
    """

    mutant: Mutant
    status: str
    killed_by: list[str] = field(default_factory=list)  # check ids that failed
    visible_killers: list[str] = field(default_factory=list)  # those of them that are visible
    note: str = ""

    def to_dict(self) -> dict:
        d = self.mutant.to_dict()
        d.update(status=self.status, killed_by=self.killed_by, visible_killers=self.visible_killers)
        if self.note:
            d["note"] = self.note
        return d


@dataclass
class ExerciseReport:
    """The mutants of one exercise and its kill rate (killed / (killed + survived))."""

    exercise: str
    results: list[MutantResult]

    def count(self, status: str) -> int:
        return sum(r.status == status for r in self.results)

    @property
    def kill_rate(self) -> float | None:
        judged = self.count("killed") + self.count("survived")
        return self.count("killed") / judged if judged else None

    @property
    def visible_kill_rate(self) -> float | None:
        """The share of graded mutants that some *visible* check kills (what a student is told before the deadline)."""
        judged = self.count("killed") + self.count("survived")
        seen = sum(r.status == "killed" and bool(r.visible_killers) for r in self.results)
        return seen / judged if judged else None

    def to_dict(self) -> dict:
        rate, visible = self.kill_rate, self.visible_kill_rate
        return {"exercise": self.exercise, "mutants": len(self.results),
                **{s: self.count(s) for s in ("killed", "survived", "equivalent", "accepted", "error")},
                "kill_rate": None if rate is None else round(rate, 4),
                "visible_kill_rate": None if visible is None else round(visible, 4),
                "results": [r.to_dict() for r in self.results]}


@dataclass
class MutationReport:
    """Everything one ``dlgrade mutants`` run found, in exercise order."""

    exercises: list[ExerciseReport]
    jobs: int = 1
    seconds: float = 0.0

    @property
    def results(self) -> list[MutantResult]:
        return [r for e in self.exercises for r in e.results]

    @property
    def kill_rate(self) -> float | None:
        killed = sum(e.count("killed") for e in self.exercises)
        judged = killed + sum(e.count("survived") for e in self.exercises)
        return killed / judged if judged else None

    @property
    def visible_kill_rate(self) -> float | None:
        seen = sum(r.status == "killed" and bool(r.visible_killers) for r in self.results)
        judged = sum(r.status in ("killed", "survived") for r in self.results)
        return seen / judged if judged else None

    def exercise(self, exercise_id: str) -> ExerciseReport:
        for e in self.exercises:
            if e.exercise == exercise_id:
                return e
        raise KeyError(exercise_id)

    def to_dict(self) -> dict:
        rate = self.kill_rate
        visible = self.visible_kill_rate
        return {"kill_rate": None if rate is None else round(rate, 4),
                "visible_kill_rate": None if visible is None else round(visible, 4), "jobs": self.jobs,
                "seconds": round(self.seconds, 1), "exercises": [e.to_dict() for e in self.exercises]}


# --------------------------------------------------------------------------- operators


def _is_np(node, name):
    return (isinstance(node, ast.Attribute) and node.attr == name and isinstance(node.value, ast.Name)
            and node.value.id == "np")


def _int_value(node):
    """The int a node spells (0, 1, -1), or None."""
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant) \
            and type(node.operand.value) is int:
        return -node.operand.value
    return None


def _small_constant(node):
    return isinstance(node, ast.Constant) and type(node.value) is float and 0 < abs(node.value) < 1e-3


def _replace(node, **fields):
    """A shallow copy of node with some fields replaced.

    Operators build replacements this way: the untouched children stay the reference's
    own nodes, whose source text is reused verbatim when the mutant is written.
    """
    new = copy.copy(node)
    for name, value in fields.items():
        setattr(new, name, value)
    return new


def _with_keyword(call, name, value):
    """A copy of call with keyword `name` set to the int `value`, or removed when value is None."""
    keywords = []
    for k in call.keywords:
        if k.arg != name:
            keywords.append(k)
        elif value is not None:
            keywords.append(ast.keyword(arg=name, value=ast.Constant(value)))
    return _replace(call, keywords=keywords)


def _op_axis(node, function=None):
    if not isinstance(node, ast.Call):
        return
    for kw in node.keywords:
        if kw.arg == "axis":
            axis = _int_value(kw.value)
            others = {0: (1, None), 1: (0, None), -1: (0, None)}.get(axis, (None,))
            for value in others:
                yield "axis", _with_keyword(node, "axis", value)
        elif kw.arg == "keepdims" and isinstance(kw.value, ast.Constant) and kw.value.value is True:
            yield "keepdims", _with_keyword(node, "keepdims", None)


def _op_division(node, function=None):
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
        yield node.left


def _droppable_factor(node):
    """A number, a name or an attribute (lr, self.momentum, self.y): what a student forgets to multiply by."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, (int, float)) and not isinstance(node.value, bool)
    return isinstance(node, (ast.Name, ast.Attribute))


def _op_factor(node, function=None):
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
        if _droppable_factor(node.left):
            yield node.right
        if _droppable_factor(node.right):
            yield node.left


def _op_transpose(node, function=None):
    if isinstance(node, ast.Attribute) and node.attr == "T" and isinstance(node.ctx, ast.Load):
        yield node.value
    elif isinstance(node, ast.Call) and (_is_np(node.func, "dot") or _is_np(node.func, "matmul")):
        yield ast.Attribute(value=node, attr="T", ctx=ast.Load())


_FLIP = {ast.Sub: ast.Add, ast.Add: ast.Sub}


def _op_sign(node, function=None):
    if isinstance(node, ast.AugAssign) and type(node.op) in _FLIP:
        yield _replace(node, op=_FLIP[type(node.op)]())
    elif isinstance(node, ast.BinOp) and type(node.op) in _FLIP:
        if _small_constant(node.left) or _small_constant(node.right):
            return  # x + 1e-7 -> x - 1e-7 changes nothing a check can see; "epsilon" covers it
        yield _replace(node, op=_FLIP[type(node.op)]())
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and _int_value(node) is None:
        yield node.operand


def _op_rebind(node, function=None):
    if isinstance(node, ast.AugAssign):
        read = copy.deepcopy(node.target)  # the target is read as well as written
        for n in ast.walk(read):
            if hasattr(n, "ctx"):
                n.ctx = ast.Load()
        yield ast.Assign(targets=[node.target], value=ast.BinOp(left=read, op=node.op, right=node.value),
                         type_comment=None, lineno=node.lineno)


def _op_copy(node, function=None):
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "copy" \
            and not node.args and not node.keywords:
        yield node.func.value
    elif isinstance(node, ast.Call) and _is_np(node.func, "copy") and len(node.args) == 1:
        yield node.args[0]


def _op_reshape(node, function=None):
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "reshape":
        yield node.func.value


def _op_range(node, function=None):
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "range" \
            and 1 <= len(node.args) <= 2:
        for op in (ast.Sub(), ast.Add()):
            yield _replace(node, args=[*node.args[:-1], ast.BinOp(left=node.args[-1], op=op, right=ast.Constant(1))])


def _op_epsilon(node, function=None):
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        if _small_constant(node.right):
            yield node.left
        elif _small_constant(node.left):
            yield node.right


def _op_sum_mean(node, function=None):
    swap = {"sum": "mean", "mean": "sum"}
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in swap:
        if _is_np(node.func, node.func.attr) or not isinstance(node.func.value, ast.Name) \
                or node.func.value.id != "np":
            yield _replace(node, func=_replace(node.func, attr=swap[node.func.attr]))


_COMPARE = {ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Eq: ast.NotEq,
            ast.NotEq: ast.Eq}


def _op_compare(node, function=None):
    if isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in _COMPARE:
        yield _replace(node, ops=[_COMPARE[type(node.ops[0])]()])


def _op_delete(node, function=None):
    if isinstance(node, ast.Assign) and all(isinstance(t, (ast.Attribute, ast.Subscript)) for t in node.targets):
        yield ast.Pass()
    elif isinstance(node, ast.AugAssign) and isinstance(node.target, (ast.Attribute, ast.Subscript)):
        yield ast.Pass()


def _op_return(node, function=None):
    if isinstance(node, ast.Return) and isinstance(node.value, ast.Name) and function is not None:
        # The main input: the first parameter without a default that is not the function f.
        args = [a.arg for a in function.args.args]
        defaulted = args[len(args) - len(function.args.defaults):] if function.args.defaults else []
        inputs = [a for a in args if a not in ("self", "f") and a not in defaulted]
        if inputs and inputs[0] != node.value.id:
            yield _replace(node, value=ast.Name(id=inputs[0], ctx=ast.Load()))


_OPERATOR_FUNCTIONS = {
    "axis": _op_axis, "keepdims": _op_axis, "division": _op_division, "factor": _op_factor, "transpose": _op_transpose,
    "sign": _op_sign, "rebind": _op_rebind, "copy": _op_copy, "reshape": _op_reshape, "range": _op_range,
    "epsilon": _op_epsilon, "sum-mean": _op_sum_mean, "compare": _op_compare, "return": _op_return,
    "delete": _op_delete,
}


# --------------------------------------------------------------------------- equivalence rules


def _parameters(function):
    args = function.args
    names = [a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)]
    return set(names[1:] if names and names[0] == "self" else names)


def _root(target):
    while isinstance(target, (ast.Subscript, ast.Attribute)):
        target = target.value
    return target.id if isinstance(target, ast.Name) else None


def _fresh_local(name, function):
    """Whether every assignment to the local `name` in function makes a new object (no alias of another)."""
    values = [n.value for n in ast.walk(function) if isinstance(n, ast.Assign)
              for t in n.targets if isinstance(t, ast.Name) and t.id == name]
    return bool(values) and all(not isinstance(v, (ast.Name, ast.Attribute, ast.Subscript)) for v in values)


def _equivalent(operator, node, replacement, function):
    """Why this mutation cannot change behaviour, or "" (cheap static rules, see EQUIVALENT_RULES)."""
    if operator == "factor" and isinstance(node, ast.BinOp):
        dropped = node.left if replacement is node.right else node.right
        if isinstance(dropped, ast.Constant) and dropped.value == 1:
            return "multiplying by 1 is the identity"
    if operator == "rebind":
        root = _root(node.target)
        if root == "self":
            return "rebinds the object's own state, which nothing outside it holds"
        if root is not None and root not in _parameters(function) and _fresh_local(root, function):
            return f"rebinds the local {root!r}, a new array that nothing else holds"
    return ""


EQUIVALENT_RULES = (
    "factor: multiplying by the constant 1 dropped",
    "rebind: the target is the object's own state (self.h[key]) or a local holding a new array",
)


# --------------------------------------------------------------------------- making mutants


def solutions_dir() -> Path:
    """The installed reference solutions (the repository's ``solutions/``)."""
    return reference.directory()


def _exercise_nodes(tree, module):
    """{exercise id: top-level def or class node} for the exercises defined in this module."""
    found = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and f"{module}.{node.name}" in EXERCISES:
            found[f"{module}.{node.name}"] = node
    return found


def _functions(node, prefix=""):
    """Yield (qualified name, function node) inside node, innermost last."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
            name = f"{prefix}{child.name}"
            yield name, child
            yield from _functions(child, name + ".")
        elif isinstance(child, ast.ClassDef):
            yield from _functions(child, f"{prefix}{child.name}.")


_ATOMS = (ast.Name, ast.Constant, ast.Attribute, ast.Call, ast.Subscript, ast.List, ast.Dict, ast.Tuple)
# Where an expression needs no parentheses whatever it is.
_BARE_CONTEXTS = (ast.Assign, ast.AugAssign, ast.Return, ast.Expr, ast.keyword, ast.Call, ast.List, ast.Dict,
                  ast.If, ast.While, ast.For, ast.Compare)
_PRECEDENCE = {ast.Add: 1, ast.Sub: 1, ast.Mult: 2, ast.Div: 2, ast.FloorDiv: 2, ast.Mod: 2, ast.MatMult: 2,
               ast.Pow: 4}


def _needs_parens(child, parent, field):
    """Whether the expression child, put into parent's field, must be parenthesised."""
    if isinstance(child, _ATOMS) or parent is None or isinstance(parent, _BARE_CONTEXTS):
        return False
    if isinstance(parent, ast.BinOp) and isinstance(child, ast.BinOp):
        inner, outer = _PRECEDENCE[type(child.op)], _PRECEDENCE[type(parent.op)]
        return inner < outer or (inner == outer and (field == "right" or outer == 4))
    if isinstance(parent, ast.BinOp) and isinstance(child, ast.UnaryOp):
        return isinstance(parent.op, ast.Pow)
    return True


class _Source:
    """The reference module's text, addressed by the nodes of its syntax tree."""

    def __init__(self, source, tree):
        self.data = source.encode("utf-8")  # ast offsets count UTF-8 bytes
        self.offsets = [0]
        for line in self.data.splitlines(keepends=True):
            self.offsets.append(self.offsets[-1] + len(line))
        self.originals = {id(n) for n in ast.walk(tree)}

    def span(self, node):
        return (self.offsets[node.lineno - 1] + node.col_offset,
                self.offsets[node.end_lineno - 1] + node.end_col_offset)

    def text(self, node):
        start, end = self.span(node)
        return self.data[start:end].decode("utf-8")

    def render(self, node):
        """Source text of a replacement: the reference's own text for every node it shares with it."""
        if id(node) in self.originals:
            return self.text(node)
        texts = {}

        def swap(n):
            for name, value in ast.iter_fields(n):
                if isinstance(value, list):
                    setattr(n, name, [place(v, n, name) for v in value])
                elif isinstance(value, ast.AST):
                    setattr(n, name, place(value, n, name))

        def place(value, parent, name):
            if not isinstance(value, ast.AST) or isinstance(value, (ast.operator, ast.expr_context, ast.cmpop)):
                return value
            if id(value) in self.originals and isinstance(value, ast.expr):
                key = f"__dlgrade_{len(texts)}__"
                text = self.text(value)
                texts[key] = f"({text})" if _needs_parens(value, parent, name) else text
                return ast.Name(id=key, ctx=ast.Load())
            value = copy.copy(value)  # a new node (or an original statement): never touch the tree
            swap(value)
            return value

        top = copy.copy(node)
        swap(top)
        text = ast.unparse(top)
        for key, value in texts.items():
            text = text.replace(key, value)
        return text

    def splice(self, node, replacement, parent, field):
        """The whole module with node replaced by replacement (parentheses added or dropped as needed)."""
        start, end = self.span(node)
        text = self.render(replacement)
        if isinstance(node, ast.expr):
            # Grouping parentheses around node in the source (its span excludes them).
            before, after = self.data[:start].rstrip(b" "), self.data[end:].lstrip(b" ")
            grouped = isinstance(parent, (ast.BinOp, ast.UnaryOp, ast.Attribute)) and before.endswith(b"(") \
                and after.startswith(b")")
            needed = _needs_parens(replacement, parent, field)
            if grouped and not needed:
                start, end = len(before) - 1, end + (len(self.data) - end - len(after)) + 1
            elif needed and not grouped:
                text = f"({text})"
        return (self.data[:start] + text.encode("utf-8") + self.data[end:]).decode("utf-8")


def _dump_with(tree, node, replacement, parent, field):
    """ast.dump of the module with node replaced: what the mutant's text must parse to."""
    value = getattr(parent, field)
    if isinstance(value, list):
        index = next(i for i, v in enumerate(value) if v is node)
        value[index] = replacement
        try:
            return ast.dump(tree)
        finally:
            value[index] = node
    setattr(parent, field, replacement)
    try:
        return ast.dump(tree)
    finally:
        setattr(parent, field, node)


def _changed_lines(before, after):
    """(first changed line number, old lines stripped, new lines stripped)."""
    old, new = before.splitlines(), after.splitlines()
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal":
            was, now = " / ".join(s.strip() for s in old[i1:i2]), " / ".join(s.strip() for s in new[j1:j2])
            comment = was.rfind("  #")
            if comment > 0 and now.endswith(was[comment:]):  # the same trailing comment: not part of the change
                was, now = was[:comment], now[:len(now) - len(was) + comment]
            return i1 + 1, was, now
    raise ValueError("the mutant does not differ from the reference")


def make_mutants(source: str, module: str, exercises=None, operators=None) -> list[Mutant]:
    """All mutants of one solution module, in source order.

    Inputs:
    - source: text of solutions/<module>.py.
    - module: its name, one of exercises.MODULES.
    - exercises: exercise ids to mutate (default: every exercise of the module).
    - operators: operator names from OPERATORS (default: all).

    Returns:
    - list of Mutant; only code inside solution regions of the exercises' functions
      and classes is changed, each mutant compiles, and no two are the same text.
    """
    if module not in MODULES:
        raise ValueError(f"unknown module {module!r}; known: {', '.join(MODULES)}")
    operators = tuple(OPERATORS) if operators is None else tuple(operators)
    unknown = set(operators) - set(OPERATORS)
    if unknown:
        raise ValueError(f"unknown operator(s) {sorted(unknown)}; known: {', '.join(OPERATORS)}")
    tree = ast.parse(source)
    original = ast.dump(tree)
    regions = stubgen.find_regions(source, f"{module}.py")
    text = _Source(source, tree)
    parents = {}  # child -> (parent, field name)
    for parent in ast.walk(tree):
        for name, value in ast.iter_fields(parent):
            for child in value if isinstance(value, list) else [value]:
                if isinstance(child, ast.AST):
                    parents[child] = (parent, name)
    mutants, seen = [], set()
    for exercise, top in _exercise_nodes(tree, module).items():
        if exercises is not None and exercise not in exercises:
            continue
        # A region's END marker is a comment after the last statement, outside the node's span.
        inside = [r for r in regions if top.lineno < r.begin <= top.end_lineno]
        functions = list(_functions(ast.Module(body=[top], type_ignores=[])))
        number = 0
        for node in sorted((n for n in ast.walk(top) if hasattr(n, "lineno")),
                           key=lambda n: (n.lineno, n.col_offset, -n.end_lineno, -n.end_col_offset)):
            if not any(r.begin < node.lineno and node.end_lineno < r.end for r in inside):
                continue
            qualname, function = max(((name, f) for name, f in functions
                                       if f.lineno <= node.lineno <= f.end_lineno), key=lambda nf: nf[1].lineno)
            for operator in operators:
                for proposal in _OPERATOR_FUNCTIONS[operator](node, function):
                    name, replacement = proposal if isinstance(proposal, tuple) else (operator, proposal)
                    if name != operator:
                        continue  # one function makes both "axis" and "keepdims" mutants
                    mutated = text.splice(node, replacement, *parents.get(node, (None, None)))
                    digest = hashlib.sha256(mutated.encode()).hexdigest()
                    if digest in seen:
                        continue
                    try:
                        parsed = ast.dump(ast.parse(mutated))
                    except SyntaxError:
                        continue  # cannot happen for a well-formed operator; never grade it
                    if parsed == original:
                        continue  # the splice changed nothing but layout
                    if parsed != _dump_with(tree, node, replacement, *parents[node]):
                        # The text does not say what the operator meant (a precedence slip): never grade it.
                        raise RuntimeError(f"the {name} mutant of {module}.py:{node.lineno} does not parse as "
                                           "intended (a parenthesisation bug in autograder/mutants.py)")
                    seen.add(digest)
                    number += 1
                    line, before, after = _changed_lines(source, mutated)
                    mutants.append(Mutant(
                        exercise=exercise, number=number, operator=name, module=module, function=qualname,
                        line=line, before=before, after=after, source=mutated,
                        equivalent=_equivalent(name, node, replacement, function),
                        accepted=ACCEPTED.get((qualname, name, after), "")))
    return mutants


def mutants_for(exercises=None, operators=None, solutions: Path | None = None) -> list[Mutant]:
    """The mutants of the given exercises (default: all but the gate), from solutions/."""
    solutions = solutions or solutions_dir()
    wanted = [e for e in EXERCISES if e != GATE] if exercises is None else list(exercises)
    found = []
    for module in MODULES:
        mine = [e for e in wanted if e.split(".", 1)[0] == module]
        if mine:
            source = (solutions / f"{module}.py").read_text(encoding="utf-8")
            found += make_mutants(source, module, mine, operators)
    return found


# --------------------------------------------------------------------------- grading mutants


@dataclass(frozen=True)
class MutationOptions:
    """How to run: the exercises to mutate (None: all but the gate), operators, parallelism."""

    exercises: tuple | None = None
    operators: tuple | None = None
    jobs: int = 1
    timeout: float = DEFAULT_TIMEOUT
    data_dir: str | None = None
    sandbox: str = "auto"  # isolation level of the workers, as for dlgrade grade

    def validate(self):
        if self.exercises is not None:
            unknown = set(self.exercises) - set(EXERCISES)
            if unknown:
                raise ValueError(f"unknown exercise id(s): {', '.join(sorted(unknown))}")
        if self.operators is not None:
            unknown = set(self.operators) - set(OPERATORS)
            if unknown:
                raise ValueError(f"unknown operator(s): {', '.join(sorted(unknown))}; known: {', '.join(OPERATORS)}")
        if self.jobs < 1:
            raise ValueError(f"jobs must be at least 1, got {self.jobs}")
        if self.timeout <= 0:
            raise ValueError(f"timeout must be positive, got {self.timeout}")
        from autograder.sandbox.isolation import REQUESTS

        if self.sandbox not in REQUESTS:
            raise ValueError(f"sandbox must be one of {', '.join(REQUESTS)}, got {self.sandbox!r}")


def plan(options: MutationOptions) -> list:
    """[(exercise the report files it under, exercises to grade, mutant)] for a run."""
    asked = [e for e in EXERCISES if e != GATE] if options.exercises is None else list(options.exercises)
    solutions = solutions_dir()
    found = []
    for exercise in [e for e in EXERCISES if e in asked]:
        if exercise == GATE:
            for mutant in mutants_for(GATE_TARGETS, options.operators, solutions):
                found.append((GATE, (GATE,), mutant))
        else:
            for mutant in mutants_for([exercise], options.operators, solutions):
                found.append((exercise, (exercise,), mutant))
    return found


def grade_mutant(source: str, module: str, graded: tuple, timeout: float = DEFAULT_TIMEOUT,
                 data_dir: str | None = None, sandbox: str = "auto") -> dict:
    """Grade one mutated module with the real engine.

    Inputs:
    - source: the mutated text of <module>.py.
    - module: which module it replaces.
    - graded: exercise ids to grade.
    - timeout: seconds per call into the mutant's code.
    - data_dir: MNIST folder (for the gate); sandbox: the workers' isolation level.

    Returns:
    - {"failed": [(check id, visibility)], "internal": [check id]} (plain data: it
      crosses a process boundary).
    """
    from autograder.grading import GradeOptions, grade

    reference = solutions_dir()  # the same reference the checks import
    with tempfile.TemporaryDirectory(prefix="dlgrade-mutant-") as tmp:
        submission = Path(tmp) / "submission"
        submission.mkdir()
        for name in MODULES:
            shutil.copyfile(reference / f"{name}.py", submission / f"{name}.py")
        (submission / f"{module}.py").write_text(source, encoding="utf-8")
        result = grade(submission, GradeOptions(timeout=timeout, only=frozenset(graded), data_dir=data_dir,
                                                sandbox=sandbox))
    failed = [(c.check_id, c.visibility) for e in graded for c in result.exercise(e).failed]
    internal = [c.check_id for c in result.checks if c.internal_error]
    return {"failed": failed, "internal": internal}


def _require_mnist(data_dir):
    """Refuse the gate's mutants at once, not once per mutant, when there is no MNIST data.

    Looked for, never downloaded (as a grading): what to do is in the message.
    """
    import mnist_data

    from autograder.grading import data_help

    try:
        mnist_data.cache_paths(data_dir, download=False)
    except mnist_data.MNISTError as exc:
        raise UserError(f"the MNIST accuracy gate needs the MNIST data: {data_help(exc)}") from None


def _verdict(mutant, outcome):
    if outcome["internal"]:
        return MutantResult(mutant, "error", note="internal grader error in " + ", ".join(outcome["internal"]))
    killers = [check_id for check_id, _ in outcome["failed"]]
    visible = [check_id for check_id, visibility in outcome["failed"] if visibility == "visible"]
    return MutantResult(mutant, "killed" if killers else "survived", killers, visible)


def run(options: MutationOptions | None = None, progress=None) -> MutationReport:
    """Make and grade the mutants; return the report.

    Inputs:
    - options: MutationOptions (defaults if None).
    - progress: optional callable(done, total), called after each graded mutant.

    Mutants that an equivalence rule or ACCEPTED recognises are not graded. With
    jobs > 1 the mutants are graded in that many processes at once.
    """
    options = options or MutationOptions()
    options.validate()
    if options.exercises is not None and GATE in options.exercises:
        _require_mnist(options.data_dir)
    started = time.perf_counter()
    planned = plan(options)
    results = {}
    todo = []
    for index, (_, graded, mutant) in enumerate(planned):
        if mutant.accepted:
            results[index] = MutantResult(mutant, "accepted", note=mutant.accepted)
        elif mutant.equivalent:
            results[index] = MutantResult(mutant, "equivalent", note=mutant.equivalent)
        else:
            todo.append((index, graded, mutant))
    args = [(m.source, m.module, graded, options.timeout, options.data_dir, options.sandbox)
            for _, graded, m in todo]
    done = 0
    if options.jobs == 1 or len(todo) <= 1:
        for (index, _, mutant), a in zip(todo, args):
            results[index] = _verdict(mutant, grade_mutant(*a))
            done += 1
            if progress:
                progress(done, len(todo))
    else:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor, as_completed

        # spawn, not fork: each grading process starts clean (no inherited threads or pytest state).
        with ProcessPoolExecutor(max_workers=options.jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
            futures = {pool.submit(grade_mutant, *a): (index, mutant) for (index, _, mutant), a in zip(todo, args)}
            try:
                for future in as_completed(futures):
                    index, mutant = futures[future]
                    results[index] = _verdict(mutant, future.result())
                    done += 1
                    if progress:
                        progress(done, len(todo))
            except BaseException:
                pool.shutdown(wait=False, cancel_futures=True)
                raise
    by_exercise = {}
    for index, (exercise, _, _) in enumerate(planned):
        by_exercise.setdefault(exercise, []).append(results[index])
    report = MutationReport([ExerciseReport(e, by_exercise[e]) for e in EXERCISES if e in by_exercise],
                            jobs=options.jobs)
    report.seconds = time.perf_counter() - started
    return report


# --------------------------------------------------------------------------- the text report


def _percent(rate):
    return "   n/a" if rate is None else f"{100 * rate:5.1f}%"


def render(report: MutationReport, verbose: bool = False) -> str:
    """The report a terminal shows: kill rates, survivors as diff lines, the killers of each mutant."""
    lines = [f"Mutation testing of the checks: {len(report.results)} mutants of the reference, "
             f"{report.jobs} job(s), {report.seconds:.1f} s", ""]
    header = (f"{'exercise':32} {'mutants':>7} {'killed':>7} {'survived':>8} {'equiv.':>6} {'accepted':>8} "
              f"{'kill rate':>9} {'visible':>8}")
    lines += [header, "-" * len(header)]
    for e in report.exercises:
        lines.append(f"{e.exercise:32} {len(e.results):7d} {e.count('killed'):7d} {e.count('survived'):8d} "
                     f"{e.count('equivalent'):6d} {e.count('accepted'):8d} {_percent(e.kill_rate):>9} "
                     f"{_percent(e.visible_kill_rate):>8}")
    lines.append(f"{'total':32} {len(report.results):7d} "
                 f"{sum(e.count('killed') for e in report.exercises):7d} "
                 f"{sum(e.count('survived') for e in report.exercises):8d} "
                 f"{sum(e.count('equivalent') for e in report.exercises):6d} "
                 f"{sum(e.count('accepted') for e in report.exercises):8d} {_percent(report.kill_rate):>9} "
                 f"{_percent(report.visible_kill_rate):>8}")

    def section(title, rows):
        if rows:
            lines.extend(["", title])
            lines.extend(rows)

    results = report.results
    section("Surviving mutants (no check notices the change):",
            [f"  {r.mutant.id:34} [{r.mutant.operator}] {r.mutant.diff_line}"
             for r in results if r.status == "survived"])
    section("Killed only by checks that are not visible (a student who checks their work is not told):",
            [f"  {r.mutant.id:34} [{r.mutant.operator}] {r.mutant.diff_line}\n      killed by {', '.join(r.killed_by)}"
             for r in results if r.status == "killed" and not r.visible_killers])
    section("Grader errors:", [f"  {r.mutant.id:34} {r.mutant.diff_line}: {r.note}"
                               for r in results if r.status == "error"])
    section("Equivalent or accepted mutants (not in the kill rate):",
            [f"  {r.mutant.id:34} [{r.mutant.operator}] {r.mutant.diff_line}\n      {r.status}: {r.note}"
             for r in results if r.status in ("equivalent", "accepted")])
    if verbose:
        section("Killed mutants and the visible checks that kill them:",
                [f"  {r.mutant.id:34} [{r.mutant.operator}] {r.mutant.diff_line}\n      "
                 + (", ".join(c.split("::", 1)[1] for c in r.visible_killers) or "(no visible check)")
                 for r in results if r.status == "killed"])
    return "\n".join(lines) + "\n"
