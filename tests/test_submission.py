"""Tests of autograder.submission: loading directories and zips, and worker layouts.

The import-style tests start real worker processes on the layouts.
"""
import io
import os
import zipfile

import numpy as np
import pytest

from autograder import UserError
from autograder.submission import EXERCISE_MODULES, MAX_TOTAL_BYTES, load_submission
from autograder.sandbox.errors import StudentException
from autograder.sandbox.worker import Worker

FUNCTIONS = """
import numpy as np


def softmax(x):
    e = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)
"""
LAYERS_RELATIVE = "from .functions import softmax\n\nWHO = 'student layers'\n"
LAYERS_PLAIN = "from functions import softmax\nimport functions\n\nWHO = 'student layers'\n"
LAYERS_BOOK = "import sys, os\nsys.path.append(os.pardir)\nfrom common.functions import *\n\nWHO = 'student layers'\n"


def write(path, files):
    path.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_text(text)
    return path


def make_zip(path, members):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


@pytest.fixture
def reference(tmp_path):
    return write(tmp_path / "reference", {
        "functions.py": FUNCTIONS + "\nWHO = 'reference functions'\n",
        "gradient.py": "WHO = 'reference gradient'\n",
        "layers.py": LAYERS_RELATIVE.replace("student", "reference"),
        "two_layer_net.py": "from .layers import softmax\nWHO = 'reference net'\n",
        "optimizer.py": "WHO = 'reference optimizer'\n",
    })


# ----------------------------------------------------------------------------- loading


def test_directory_with_some_modules(tmp_path):
    d = write(tmp_path / "sub", {"functions.py": FUNCTIONS, "layers.py": LAYERS_RELATIVE,
                                 "helper_utils.py": "X = 1\n", "notes.txt": "hi"})
    with load_submission(d) as sub:
        assert sub.present == ("functions", "layers")
        assert sub.missing == ("gradient", "two_layer_net", "optimizer")
        assert sub.sources["layers"] == LAYERS_RELATIVE.encode()
        assert set(sub.extras) == {"helper_utils"}


def test_zip_nested_in_a_folder_with_macos_junk(tmp_path):
    z = make_zip(tmp_path / "hw.zip", {
        "hw5/functions.py": FUNCTIONS,
        "hw5/optimizer.py": "X = 1\n",
        "__MACOSX/hw5/._functions.py": b"\x00\x05\x16\x07junk",
        "hw5/._layers.py": b"\x00junk",
        "hw5/.DS_Store": b"junk",
        "hw5/old/layers.py": "deeper copies are ignored\n",
    })
    with load_submission(z) as sub:
        assert sub.present == ("functions", "optimizer")
        assert sub.sources["functions"] == FUNCTIONS.encode()


def test_zip_with_modules_at_top_level(tmp_path):
    z = make_zip(tmp_path / "flat.ZIP", {"gradient.py": "X = 1\n"})
    with load_submission(z) as sub:
        assert sub.present == ("gradient",)


@pytest.mark.parametrize("member", ["../evil/layers.py", "/abs/layers.py", "a/../../layers.py",
                                    "C:/x/layers.py", "..\\layers.py"])
def test_zip_slip_is_rejected(tmp_path, member):
    z = make_zip(tmp_path / "evil.zip", {member: "X = 1\n", "functions.py": FUNCTIONS})
    with pytest.raises(UserError, match="unsafe path"):
        load_submission(z)


def test_zip_bomb_is_capped(tmp_path):
    z = make_zip(tmp_path / "bomb.zip", {"layers.py": b"#" * (MAX_TOTAL_BYTES + 10)})
    with pytest.raises(UserError, match="MB of Python files"):
        load_submission(z)


def test_zip_with_false_sizes_is_rejected(tmp_path):
    data = b"#" * (MAX_TOTAL_BYTES + 10)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("layers.py", data)
    raw = bytearray(buf.getvalue())
    # Patch the declared uncompressed size (local header and central directory) to 10 bytes.
    for sig, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = raw.find(sig)
        raw[at + offset:at + offset + 4] = (10).to_bytes(4, "little")
    (tmp_path / "liar.zip").write_bytes(raw)
    with pytest.raises(UserError):
        load_submission(tmp_path / "liar.zip")


@pytest.mark.parametrize("case", ["missing", "not-zip-suffix", "corrupt-zip", "empty-dir",
                                  "no-modules-zip", "ambiguous"])
def test_user_errors_are_one_clear_line(tmp_path, case):
    if case == "missing":
        path, match = tmp_path / "nope", "no such file"
    elif case == "not-zip-suffix":
        path, match = tmp_path / "hw.txt", "directory or a .zip"
        path.write_text("layers")
    elif case == "corrupt-zip":
        path, match = tmp_path / "hw.zip", "cannot read zip"
        path.write_bytes(os.urandom(300))
    elif case == "empty-dir":
        path, match = write(tmp_path / "empty", {"README.md": "x"}), "no exercise module"
    elif case == "no-modules-zip":
        path, match = make_zip(tmp_path / "x.zip", {"main.py": "x"}), "no exercise module"
    else:
        path = write(tmp_path / "two", {"a/layers.py": "", "b/functions.py": ""})
        match = "several folders"
    with pytest.raises(UserError, match=match) as info:
        load_submission(path)
    assert "\n" not in str(info.value)


def test_symlinked_files_are_not_followed(tmp_path):
    secret = tmp_path / "secret.py"
    secret.write_text("SECRET = 1\n")
    d = write(tmp_path / "sub", {"functions.py": FUNCTIONS})
    (d / "layers.py").symlink_to(secret)
    with load_submission(d) as sub:
        assert sub.present == ("functions",)


def test_student_code_is_never_run_by_the_grader(tmp_path):
    marker = tmp_path / "ran"
    d = write(tmp_path / "sub", {"layers.py": f"open({str(marker)!r}, 'w').close()\nraise SystemExit(1)\n"})
    with load_submission(d) as sub:
        layout = sub.layout("layers", ["layers"])
        assert (layout.root / "submission" / "layers.py").exists()
    assert not marker.exists()


def test_close_removes_all_layouts(tmp_path, reference):
    sub = load_submission(write(tmp_path / "sub", {"functions.py": FUNCTIONS}))
    layout = sub.layout("functions", ["functions"], reference)
    assert layout.root.is_dir()
    sub.close()
    sub.close()
    assert not layout.root.exists()
    with pytest.raises(ValueError):
        sub.layout("again", ["functions"], reference)


def test_layout_arguments_are_checked(tmp_path, reference):
    with load_submission(write(tmp_path / "sub", {"functions.py": FUNCTIONS})) as sub:
        for bad in ("../x", "", "a/b"):
            with pytest.raises(ValueError):
                sub.layout(bad, ["functions"], reference)
        with pytest.raises(ValueError):
            sub.layout("x", ["softmax"], reference)
        with pytest.raises(TypeError):
            sub.layout("x", "functions", reference)
        with pytest.raises(ValueError):
            sub.layout("x", ["functions"], tmp_path / "no-such-dir")


# ----------------------------------------------------------------------------- layouts


def test_config_for_one_module_mixes_student_and_reference(tmp_path, reference):
    with load_submission(write(tmp_path / "sub", {"layers.py": LAYERS_RELATIVE, "gradient.py": "X=1"})) as sub:
        layout = sub.layout("layers", ["layers"], reference)
        assert layout.origins == {"functions": "reference", "gradient": "reference", "layers": "student",
                                  "two_layer_net": "reference", "optimizer": "reference"}
        assert layout.absent == ()
        assert (layout.root / "submission" / "layers.py").read_text() == LAYERS_RELATIVE
        assert "reference gradient" in (layout.root / "submission" / "gradient.py").read_text()
        assert layout.import_paths == (layout.root, layout.root / "plain")


def test_config_all_uses_only_student_files(tmp_path, reference):
    with load_submission(write(tmp_path / "sub", {"functions.py": FUNCTIONS, "layers.py": LAYERS_RELATIVE})) as sub:
        layout = sub.layout("all", EXERCISE_MODULES, None)
        assert layout.origins == {"functions": "student", "layers": "student"}
        assert layout.absent == ("gradient", "two_layer_net", "optimizer")
        assert not (layout.root / "submission" / "gradient.py").exists()
        with Worker(layout.root, import_paths=layout.import_paths, timeout=5) as w:
            assert w.import_module("submission.layers").WHO == "student layers"
            with pytest.raises(StudentException) as info:
                w.import_module("submission.gradient")
            assert info.value.type_name == "ModuleNotFoundError"


@pytest.mark.parametrize("layers_src", [LAYERS_RELATIVE, LAYERS_PLAIN, LAYERS_BOOK],
                         ids=["relative", "plain", "book-common"])
def test_every_import_style_gives_one_module_object(tmp_path, reference, layers_src):
    with load_submission(write(tmp_path / "sub", {"functions.py": FUNCTIONS, "layers.py": layers_src})) as sub:
        layout = sub.layout("all", EXERCISE_MODULES, None)
        with Worker(layout.root, import_paths=layout.import_paths, timeout=5) as w:
            layers = w.import_module("submission.layers")
            functions = w.import_module("submission.functions")
            assert layers.WHO == "student layers"
            assert w.same(layers.softmax, functions.softmax)
            for alias in ("layers", "common.layers"):
                assert w.same(w.import_module(alias), layers)
            for alias in ("functions", "common.functions"):
                assert w.same(w.import_module(alias), functions)
            np.testing.assert_allclose(layers.softmax(np.zeros(4)), np.full(4, 0.25))


def test_reference_modules_import_each_other_relatively(tmp_path, reference):
    with load_submission(write(tmp_path / "sub", {"optimizer.py": "WHO = 'student optimizer'\n"})) as sub:
        layout = sub.layout("optimizer", ["optimizer"], reference)
        with Worker(layout.root, import_paths=layout.import_paths, timeout=5) as w:
            assert w.import_module("submission.two_layer_net").WHO == "reference net"
            assert w.import_module("submission.optimizer").WHO == "student optimizer"


def test_student_helper_modules_are_importable(tmp_path, reference):
    files = {"layers.py": "from my_helpers import double\n", "my_helpers.py": "def double(x):\n    return 2 * x\n"}
    with load_submission(write(tmp_path / "sub", files)) as sub:
        layout = sub.layout("layers", ["layers"], reference)
        with Worker(layout.root, import_paths=layout.import_paths, timeout=5) as w:
            assert w.import_module("submission.layers").double(21) == 42
        # A configuration without student modules gets no student helpers.
        only_reference = sub.layout("functions", ["functions"], reference)
        assert not (only_reference.root / "submission" / "my_helpers.py").exists()


def test_a_module_imported_first_by_its_book_name_can_import_from_itself(tmp_path, reference):
    """As in Python with a real common/gradient.py: a chapter script's self-import works either way.

    gradient.py that ends with `from common.gradient import gradient_descent` (a line pasted from
    ch04's scripts) imports whether the grader imports it first as `submission.gradient` or the
    student's two_layer_net.py first as `common.gradient` (the MNIST gate's worker). Before the
    alias bound both names before running the file, the second order failed with a circular
    ImportError and cost the gate its 8 points.
    """
    gradient = ("def gradient_descent(f, init_x):\n    return init_x\n\n"
                "import sys, os\nsys.path.append(os.pardir)\nfrom common.gradient import gradient_descent\n")
    net = "import sys, os\nsys.path.append(os.pardir)\nfrom common.gradient import gradient_descent\nWHO = 'net'\n"
    with load_submission(write(tmp_path / "sub", {"gradient.py": gradient, "two_layer_net.py": net})) as sub:
        layout = sub.layout("all", EXERCISE_MODULES, None)
        with Worker(layout.root, import_paths=layout.import_paths, timeout=5) as w:
            assert w.import_module("submission.two_layer_net").WHO == "net"
            module = w.import_module("submission.gradient")
            for alias in ("gradient", "common.gradient"):
                assert w.same(w.import_module(alias), module)
        with Worker(layout.root, import_paths=layout.import_paths, timeout=5) as w:
            assert w.import_module("gradient").gradient_descent(None, 3) == 3


def test_an_error_in_a_module_imported_by_its_book_name_shows_the_students_line_only(tmp_path, reference):
    """The alias's own lines never appear in the traceback a student reads."""
    net = "from common.gradient import numerical_gradient\n"
    with load_submission(write(tmp_path / "sub", {"gradient.py": "x = 1\nundefined_name\n",
                                                  "two_layer_net.py": net})) as sub:
        layout = sub.layout("all", EXERCISE_MODULES, None)
        with Worker(layout.root, import_paths=layout.import_paths, timeout=5) as w:
            with pytest.raises(StudentException) as info:
                w.import_module("submission.two_layer_net")
            assert info.value.type_name == "NameError"
            assert "gradient.py:2" in info.value.traceback
            assert "_spec" not in info.value.traceback and "importlib" not in info.value.traceback
        with Worker(layout.root, import_paths=layout.import_paths, timeout=5) as w:  # and again: not half-imported
            with pytest.raises(StudentException):
                w.import_module("common.gradient")


def test_chapter_packages_and_a_copied_mnist_py_are_book_import_styles(tmp_path, reference):
    """Learners who keep each chapter in a package import `from ch05.functions import *`; others copy
    the book's mnist.py beside their scripts and write `from mnist import load_mnist`. Both name the
    submission's modules (and the given dataset.mnist), as `common.` does."""
    layers = "from ch05.functions import *\nfrom ch04.util import im2col\nfrom mnist import load_mnist\nWHO = 'l'\n"
    with load_submission(write(tmp_path / "sub", {"functions.py": FUNCTIONS, "layers.py": layers})) as sub:
        layout = sub.layout("all", EXERCISE_MODULES, None)
        with Worker(layout.root, import_paths=layout.import_paths, timeout=5) as w:
            module = w.import_module("submission.layers")
            assert w.same(module.softmax, w.import_module("submission.functions").softmax)
            assert w.same(module.load_mnist, w.import_module("dataset.mnist").load_mnist)
            assert w.same(w.import_module("ch07.layers"), module)


def test_a_students_own_mnist_py_and_ch05_py_win(tmp_path, reference):
    files = {"layers.py": "import mnist, ch05\nWHO = (mnist.WHO, ch05.WHO)\n",
             "mnist.py": "WHO = 'own mnist'\n", "ch05.py": "WHO = 'own ch05'\n"}
    with load_submission(write(tmp_path / "sub", files)) as sub:
        layout = sub.layout("layers", ["layers"], reference)
        with Worker(layout.root, import_paths=layout.import_paths, timeout=5) as w:
            assert w.import_module("submission.layers").WHO == ("own mnist", "own ch05")
