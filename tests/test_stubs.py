"""The stub generator (autograder.stubgen, `dlgrade stubs`) and the committed exercises/.

- exercises/ must be exactly what the generator makes from solutions/;
- every function or method with a solution region must, in the stub, be its
  given code followed by `raise NotImplementedError("TODO: ...")`, and calling
  it must raise NotImplementedError;
- malformed markers must fail with file:line and write nothing.
"""
import ast
import importlib
import importlib.util
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from autograder import UserError, stubgen
from autograder.cli import main
from autograder.exercises import CATALOG, GIVEN_MODULES, MODULES
from autograder.stubgen import StubError, find_regions, make_stub

REPO = Path(__file__).resolve().parents[1]
SOLUTIONS = REPO / "solutions"
EXERCISES = REPO / "exercises"


def _import_exercises_folder():
    """exercises/ is a folder students copy, not an installed package: import it from its path."""
    spec = importlib.util.spec_from_file_location("exercises", EXERCISES / "__init__.py",
                                                  submodule_search_locations=[str(EXERCISES)])
    package = importlib.util.module_from_spec(spec)
    sys.modules["exercises"] = package
    spec.loader.exec_module(package)


_import_exercises_folder()


# --------------------------------------------------------------------------- helpers


def functions_by_qualname(tree):
    """{'Affine.forward': FunctionDef, 'sigmoid': FunctionDef, ...}"""
    found = {}

    def walk(node, prefix):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.ClassDef)):
                name = prefix + child.name
                if isinstance(child, ast.FunctionDef):
                    found[name] = child
                walk(child, name + ".")

    walk(tree, "")
    return found


def region_functions(path):
    """Qualnames of the functions in a solution file that contain a region."""
    source = path.read_text(encoding="utf-8")
    funcs = functions_by_qualname(ast.parse(source))
    names = set()
    for region in find_regions(source, path.name):
        enclosing = [(f.lineno, q) for q, f in funcs.items() if f.lineno < region.begin <= f.end_lineno]
        assert enclosing, f"{path.name}:{region.begin}: region outside a function"
        names.add(max(enclosing)[1])
    return names


def is_docstring(stmt):
    return isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str)


def raise_message(stmt):
    """The message of `raise NotImplementedError("<str>")`, else None."""
    if (
        isinstance(stmt, ast.Raise)
        and isinstance(stmt.exc, ast.Call)
        and isinstance(stmt.exc.func, ast.Name)
        and stmt.exc.func.id == "NotImplementedError"
        and len(stmt.exc.args) == 1
        and not stmt.exc.keywords
        and isinstance(stmt.exc.args[0], ast.Constant)
        and isinstance(stmt.exc.args[0].value, str)
    ):
        return stmt.exc.args[0].value
    return None


def copy_solutions(tmp_path):
    dest = tmp_path / "solutions"
    shutil.copytree(SOLUTIONS, dest, ignore=shutil.ignore_patterns("__pycache__"))
    return dest


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


# --------------------------------------------------------------------------- the committed tree


def test_committed_exercises_are_up_to_date():
    stale = stubgen.check(SOLUTIONS, EXERCISES)
    assert stale == [], f"exercises/ is out of date, run `dlgrade stubs`: {stale}"


def test_every_solution_module_has_a_stub_with_the_header():
    for name in ["__init__", *MODULES]:
        text = (EXERCISES / f"{name}.py").read_text(encoding="utf-8")
        assert text.startswith(f"# Generated from solutions/{name}.py by `dlgrade stubs`"), name
        assert "do not edit it by hand" in text.splitlines()[0]


def test_given_modules_are_copied_whole_into_the_exercises():
    """The book's helpers (common/util.py) reach the students unchanged and importable."""
    from autograder.exercises import GIVEN_DIR

    for name in GIVEN_MODULES:
        text = (EXERCISES / f"{name}.py").read_text(encoding="utf-8")
        assert text.startswith(f"# Generated from autograder/given/{name}.py by `dlgrade stubs`")
        assert "given code" in text.splitlines()[1]
        assert text.endswith((GIVEN_DIR / f"{name}.py").read_text(encoding="utf-8"))
    util = importlib.import_module("exercises.util")
    assert util.im2col(np.zeros((1, 1, 3, 3)), 2, 2).shape == (4, 4)


@pytest.mark.parametrize("module", MODULES)
def test_stub_structure_is_given_code_then_raise(module):
    sol_path = SOLUTIONS / f"{module}.py"
    sol_source = sol_path.read_text(encoding="utf-8")
    sol_funcs = functions_by_qualname(ast.parse(sol_source))
    stub_funcs = functions_by_qualname(ast.parse((EXERCISES / f"{module}.py").read_text(encoding="utf-8")))
    regions = find_regions(sol_source, sol_path.name)
    with_region = region_functions(sol_path)

    assert set(stub_funcs) == set(sol_funcs)
    assert with_region, f"{module} has no exercise at all"
    for qualname, stub in stub_funcs.items():
        sol = sol_funcs[qualname]
        assert ast.dump(stub.args) == ast.dump(sol.args), f"{qualname}: signature changed"
        assert ast.get_docstring(stub) == ast.get_docstring(sol), f"{qualname}: docstring changed"
        if qualname not in with_region:
            assert ast.dump(stub) == ast.dump(sol), f"{qualname} has no region but differs from the solution"
            continue
        *given, last = stub.body
        message = raise_message(last)
        assert message is not None, f"{qualname}: the stub must end with raise NotImplementedError('...')"
        assert message.startswith(f"TODO: implement {qualname}"), message
        # The other statements are exactly the solution's statements outside regions.
        outside = [
            s for s in sol.body if not any(r.begin < s.lineno < r.end for r in regions)
        ]
        assert [ast.dump(s) for s in given] == [ast.dump(s) for s in outside], qualname
        assert not any(raise_message(s) for s in given)


def test_regions_cover_the_agreed_exercises():
    expected = {
        "functions": {"sigmoid", "softmax", "sum_squared_error", "cross_entropy_error"},
        "gradient": {"numerical_diff", "numerical_gradient", "gradient_descent"},
        "layers": {
            f"{cls}.{method}"
            for cls in ["MulLayer", "AddLayer", "Relu", "Sigmoid", "Affine", "SoftmaxWithLoss"]
            for method in ["forward", "backward"]
        },
        "two_layer_net": {
            "TwoLayerNet.__init__",
            "TwoLayerNet.predict",
            "TwoLayerNet.loss",
            "TwoLayerNet.accuracy",
            "TwoLayerNet.numerical_gradient",
            "TwoLayerNet.gradient",
        },
        "optimizer": {"SGD.update", "Momentum.update", "AdaGrad.update", "Adam.update"},
    }
    assert {m: region_functions(SOLUTIONS / f"{m}.py") for m in MODULES} == expected


def test_catalog_names_are_what_the_solutions_stub():
    """Every exercise of the catalog is a function or class with a region in its module, and
    nothing else is: the catalog and solutions/ cannot drift apart."""
    for module in MODULES:
        stubbed = {q.split(".")[0] for q in region_functions(SOLUTIONS / f"{module}.py")}
        assert stubbed == {e.name for e in CATALOG if e.module == module}, module
    kinds = {e.name: e.kind for e in CATALOG if e.module}
    for module in MODULES:
        tree = ast.parse((SOLUTIONS / f"{module}.py").read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name in kinds:
                want = "class" if isinstance(node, ast.ClassDef) else "function"
                assert kinds[node.name] == want, node.name


def _calls():
    """One call per stubbed function/method, with arguments the given code accepts."""
    ex = {m: importlib.import_module(f"exercises.{m}") for m in MODULES}
    F, G, L, N, O = (ex[m] for m in MODULES)
    z = np.zeros
    blank_net = object.__new__(N.TwoLayerNet)  # __init__ itself is an exercise
    params = {"W": z(2)}
    grads = {"W": np.ones(2)}
    return {
        ("functions", "sigmoid"): lambda: F.sigmoid(z(2)),
        ("functions", "softmax"): lambda: F.softmax(z(3)),
        ("functions", "sum_squared_error"): lambda: F.sum_squared_error(z(3), z(3)),
        ("functions", "cross_entropy_error"): lambda: F.cross_entropy_error(np.full(3, 1 / 3), np.array(0)),
        ("gradient", "numerical_diff"): lambda: G.numerical_diff(lambda v: v, 1.0),
        ("gradient", "numerical_gradient"): lambda: G.numerical_gradient(lambda a: 0.0, z(2)),
        ("gradient", "gradient_descent"): lambda: G.gradient_descent(lambda a: 0.0, z(2)),
        ("layers", "MulLayer.forward"): lambda: L.MulLayer().forward(1.0, 2.0),
        ("layers", "MulLayer.backward"): lambda: L.MulLayer().backward(1.0),
        ("layers", "AddLayer.forward"): lambda: L.AddLayer().forward(1.0, 2.0),
        ("layers", "AddLayer.backward"): lambda: L.AddLayer().backward(1.0),
        ("layers", "Relu.forward"): lambda: L.Relu().forward(z((2, 2))),
        ("layers", "Relu.backward"): lambda: L.Relu().backward(z((2, 2))),
        ("layers", "Sigmoid.forward"): lambda: L.Sigmoid().forward(z((2, 2))),
        ("layers", "Sigmoid.backward"): lambda: L.Sigmoid().backward(z((2, 2))),
        ("layers", "Affine.forward"): lambda: L.Affine(z((3, 2)), z(2)).forward(z((4, 3))),
        ("layers", "Affine.backward"): lambda: L.Affine(z((3, 2)), z(2)).backward(z((4, 2))),
        ("layers", "SoftmaxWithLoss.forward"): lambda: L.SoftmaxWithLoss().forward(z((2, 3)), np.array([0, 1])),
        ("layers", "SoftmaxWithLoss.backward"): lambda: L.SoftmaxWithLoss().backward(),
        ("two_layer_net", "TwoLayerNet.__init__"): lambda: N.TwoLayerNet(3, 2, 2),
        ("two_layer_net", "TwoLayerNet.predict"): lambda: blank_net.predict(z((1, 3))),
        ("two_layer_net", "TwoLayerNet.loss"): lambda: blank_net.loss(z((1, 3)), np.array([0])),
        ("two_layer_net", "TwoLayerNet.accuracy"): lambda: blank_net.accuracy(z((1, 3)), np.array([0])),
        ("two_layer_net", "TwoLayerNet.numerical_gradient"): lambda: blank_net.numerical_gradient(z((1, 3)), np.array([0])),
        ("two_layer_net", "TwoLayerNet.gradient"): lambda: blank_net.gradient(z((1, 3)), np.array([0])),
        ("optimizer", "SGD.update"): lambda: O.SGD().update(params, grads),
        ("optimizer", "Momentum.update"): lambda: O.Momentum().update(params, grads),
        ("optimizer", "AdaGrad.update"): lambda: O.AdaGrad().update(params, grads),
        ("optimizer", "Adam.update"): lambda: O.Adam().update(params, grads),
    }


def test_every_stubbed_function_raises_not_implemented():
    calls = _calls()
    stubbed = {(m, q) for m in MODULES for q in region_functions(SOLUTIONS / f"{m}.py")}
    assert set(calls) == stubbed, "update _calls() to cover every exercise"
    for (module, qualname), call in sorted(calls.items()):
        with pytest.raises(NotImplementedError, match=f"TODO: implement {qualname}"):
            call()


def test_given_code_still_works_in_the_stubs():
    from exercises.functions import cross_entropy_error
    from exercises.layers import Affine
    from exercises.optimizer import Adam, Momentum
    from exercises.two_layer_net import TwoLayerNet

    layer = Affine(np.zeros((3, 2)), np.zeros(2))
    assert (layer.x, layer.dW, layer.db, layer.original_x_shape) == (None, None, None, None)
    assert Momentum().v is None and Adam().iter == 0
    # argument checks are given code, so students get them for free
    with pytest.raises(ValueError, match="out of range"):
        cross_entropy_error(np.full(3, 1 / 3), np.array(5))
    with pytest.raises(ValueError, match="positive"):
        TwoLayerNet(0, 2, 2)


def test_exercises_package_docstring_is_copied():
    doc = ast.get_docstring(ast.parse((EXERCISES / "__init__.py").read_text(encoding="utf-8")))
    assert doc == ast.get_docstring(ast.parse((SOLUTIONS / "__init__.py").read_text(encoding="utf-8")))
    assert "NotImplementedError" in doc


# --------------------------------------------------------------------------- make_stub


GOOD = '''
import numpy as np


def f(x):
    """Double x."""
    y = np.asarray(x)
    ### BEGIN SOLUTION  hint: multiply by "two" \\ not three
    return 2 * y
    ### END SOLUTION


class Layer:
    def __init__(self):
        self.out = None

    def forward(self, x):
        if x is None:
            ### BEGIN SOLUTION
            x = 0
            ### END SOLUTION
        return x

    def helper(self):
        return 1
'''


def test_make_stub_replaces_regions_and_keeps_the_rest():
    source = textwrap.dedent(GOOD).lstrip("\n")
    stub = make_stub(source, "solutions/good.py")
    assert stub.startswith("# Generated from solutions/good.py by `dlgrade stubs`")
    assert "2 * y" not in stub and "x = 0" not in stub
    assert "y = np.asarray(x)" in stub and '"""Double x."""' in stub
    assert "    def helper(self):\n        return 1\n" in stub
    namespace = {}
    exec(compile(stub, "good.py", "exec"), namespace)
    with pytest.raises(NotImplementedError) as info:
        namespace["f"](3)
    assert str(info.value) == 'TODO: implement f: multiply by "two" \\ not three'
    layer = namespace["Layer"]()
    assert layer.forward(5) == 5  # code after the region's block is kept and runs
    with pytest.raises(NotImplementedError, match=r"^TODO: implement Layer\.forward \(see the docstring\)$"):
        layer.forward(None)
    # the raise sits at the markers' indentation
    assert '            raise NotImplementedError("TODO: implement Layer.forward (see the docstring)")' in stub


def test_make_stub_hint_text_in_the_committed_stubs():
    text = (EXERCISES / "layers.py").read_text(encoding="utf-8")
    assert 'raise NotImplementedError("TODO: implement Affine.forward: remember x.shape, flatten x' in text
    assert 'raise NotImplementedError("TODO: implement AddLayer.forward (see the docstring)")' in text


def test_make_stub_without_regions_copies_the_file():
    source = '"""Just a docstring."""\nX = 1\n'
    assert make_stub(source, "solutions/x.py").endswith(source)


@pytest.mark.parametrize(
    "body, line, text",
    [
        (
            """
            def f():
                ### BEGIN SOLUTION
                x = 1
                ### BEGIN SOLUTION
                return x
                ### END SOLUTION
            """,
            4,
            "nested",
        ),
        (
            """
            def f():
                ### BEGIN SOLUTION
                return 1
            """,
            2,
            "never closed",
        ),
        (
            """
            def f():
                return 1
                ### END SOLUTION
            """,
            3,
            "unmatched",
        ),
        (
            """
            def f():
                ### BEGIN SOLUTION
                return 1
                ### END SOLUTION
                ### END SOLUTION
            """,
            5,
            "unmatched",
        ),
        (
            """
            def f():
                ## BEGIN SOLUTION
                return 1
                ### END SOLUTION
            """,
            2,
            "malformed",
        ),
        (
            """
            def f():
                ### BEGIN SOLUTION: return one
                return 1
                ### END SOLUTION
            """,
            2,
            "malformed",
        ),
        (
            """
            def f():
                ### BEGIN SOLUTION  hint:
                return 1
                ### END SOLUTION
            """,
            2,
            "empty hint",
        ),
        (
            """
            def f():
                x = 1  ### BEGIN SOLUTION
                return x
                ### END SOLUTION
            """,
            2,
            "alone on its line",
        ),
        (
            """
            def f():
                ### BEGIN SOLUTION
                return 1
              ### END SOLUTION
            """,
            4,
            "indented differently",
        ),
        (
            """
            ### BEGIN SOLUTION
            X = 1
            ### END SOLUTION
            """,
            1,
            "inside a function",
        ),
        (
            """
            class A:
                ### BEGIN SOLUTION
                def f(self):
                    return 1
                ### END SOLUTION
            """,
            2,
            "inside a function",
        ),
        (
            """
            def f(x):
                ### BEGIN SOLUTION
                if x:
                    return 1
                ### END SOLUTION
                    return 2
            """,
            3,
            "runs past",
        ),
        (
            """
            def f(x):
                if x:
                        ### BEGIN SOLUTION
                    return 1
                        ### END SOLUTION
            """,
            4,
            "indented less",
        ),
        (
            """
            def f(:
                pass
            """,
            1,
            "does not parse",
        ),
    ],
)
def test_bad_markers_fail_with_file_and_line(body, line, text):
    source = textwrap.dedent(body).lstrip("\n")
    with pytest.raises(StubError, match=rf"^solutions/bad\.py:{line}: .*{text}") as info:
        make_stub(source, "solutions/bad.py")
    assert isinstance(info.value, UserError)


def test_region_that_would_leave_an_empty_block_is_reported():
    # The markers sit outside the `if` block they empty: the stub would not compile.
    source = "def f(x):\n    if x:\n    ### BEGIN SOLUTION\n        return 1\n    ### END SOLUTION\n    return 2\n"
    with pytest.raises(StubError, match=r"^solutions/bad\.py:\d: the stub would not compile"):
        make_stub(source, "solutions/bad.py")


def test_markers_inside_strings_are_not_markers():
    source = 'def f():\n    """Write code between ### BEGIN SOLUTION lines."""\n    s = """\n### END SOLUTION\n"""\n    return s\n'
    assert make_stub(source, "solutions/s.py").endswith(source)


# --------------------------------------------------------------------------- generate / check


def test_generate_then_check_round_trip(tmp_path):
    sol = copy_solutions(tmp_path)
    ex = tmp_path / "exercises"
    changed = stubgen.generate(sol, ex)
    assert changed == sorted(["__init__.py"] + [f"{m}.py" for m in (*MODULES, *GIVEN_MODULES)])
    assert stubgen.check(sol, ex) == []
    assert stubgen.generate(sol, ex) == []  # idempotent
    for name in changed:  # same bytes as the committed tree
        assert (ex / name).read_bytes() == (EXERCISES / name).read_bytes()
    assert not [p for p in ex.iterdir() if p.name.startswith(".")], "temporary files left behind"


def test_check_reports_differs_missing_extra(tmp_path):
    sol = copy_solutions(tmp_path)
    ex = tmp_path / "exercises"
    stubgen.generate(sol, ex)
    (ex / "layers.py").write_text("# edited by hand\n", encoding="utf-8")
    (ex / "gradient.py").unlink()
    write(ex / "stray.py", "X = 1\n")
    assert stubgen.check(sol, ex) == [("gradient.py", "missing"), ("layers.py", "differs"), ("stray.py", "extra")]


def test_generate_removes_stale_generated_files_but_refuses_foreign_ones(tmp_path):
    sol = copy_solutions(tmp_path)
    ex = tmp_path / "exercises"
    stubgen.generate(sol, ex)
    shutil.copy(ex / "layers.py", ex / "old_layers.py")  # generated earlier, solution since renamed
    assert stubgen.generate(sol, ex) == ["old_layers.py"]
    assert not (ex / "old_layers.py").exists()

    write(ex / "notes.py", "X = 1\n")
    (sol / "layers.py").write_text((sol / "layers.py").read_text() + "\n# changed\n")
    with pytest.raises(StubError, match="notes.py has no solution"):
        stubgen.generate(sol, ex)
    assert "# changed" not in (ex / "layers.py").read_text()  # nothing written


def test_a_bad_marker_writes_nothing(tmp_path):
    sol = copy_solutions(tmp_path)
    ex = tmp_path / "exercises"
    stubgen.generate(sol, ex)
    before = {p.name: p.read_bytes() for p in ex.iterdir()}
    (sol / "functions.py").write_text((sol / "functions.py").read_text() + "\n# changed\n")
    source = (sol / "optimizer.py").read_text()
    last_end = source.rindex("        ### END SOLUTION\n")  # Adam.update's region stays open
    (sol / "optimizer.py").write_text(source[:last_end])
    with pytest.raises(StubError, match=r"solutions/optimizer\.py:\d+: .*never closed"):
        stubgen.generate(sol, ex)
    assert {p.name: p.read_bytes() for p in ex.iterdir()} == before


def test_generate_refuses_same_or_missing_directory(tmp_path):
    sol = copy_solutions(tmp_path)
    with pytest.raises(StubError, match="same directory"):
        stubgen.generate(sol, sol)
    with pytest.raises(StubError, match="not found"):
        stubgen.check(tmp_path / "nope", tmp_path / "ex")
    (tmp_path / "empty").mkdir()
    with pytest.raises(StubError, match="no .py files"):
        stubgen.generate(tmp_path / "empty", tmp_path / "ex")


# --------------------------------------------------------------------------- CLI


def test_cli_check_fails_on_a_stale_tree_and_passes_after_generating(tmp_path, capsys):
    sol = copy_solutions(tmp_path)
    ex = tmp_path / "exercises"
    dirs = ["--solutions", str(sol), "--exercises", str(ex)]

    assert main(["stubs", "--check", *dirs]) == 1
    err = capsys.readouterr().err
    assert "layers.py: missing" in err and "run `dlgrade stubs`" in err
    assert not ex.exists()  # --check writes nothing

    assert main(["stubs", *dirs]) == 0
    assert "wrote" in capsys.readouterr().out
    assert main(["stubs", "--check", *dirs]) == 0
    assert "up to date" in capsys.readouterr().out

    (sol / "layers.py").write_text((sol / "layers.py").read_text().replace("hint: swap the inputs", "hint: swap x and y"))
    assert main(["stubs", "--check", *dirs]) == 1
    err = capsys.readouterr().err
    assert "layers.py: differs" in err and "functions.py" not in err


def test_cli_bad_marker_is_one_line_exit_2(tmp_path, capsys):
    sol = tmp_path / "solutions"
    write(sol / "f.py", "def f():\n    ### BEGIN SOLUTION\n    return 1\n")
    assert main(["stubs", "--solutions", str(sol), "--exercises", str(tmp_path / "ex")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("dlgrade stubs: error: solutions/f.py:2: ")


def test_cli_check_on_the_repository():
    # The real entry point with its defaults (the installed solutions/ package).
    proc = subprocess.run(
        [sys.executable, "-m", "autograder", "stubs", "--check"],
        capture_output=True,
        text=True,
        cwd=REPO.parent,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert "up to date" in proc.stdout
