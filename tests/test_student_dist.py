"""The student distribution (`dlgrade student build`): self-check without the solutions.

- it holds no line of any solution region (files, notebook cells, recorded answers), and no code
  only a hidden or after-due-date check has;
- building twice gives the same bytes;
- the recordings replay the reference's answers bit for bit and fail loudly on a miss: the checks'
  calls (recording.py) and, in the workers, the calls into the reference modules (the stand-ins);
- installed into a fresh virtual environment (slow), it grades: on every corpus entry, each of
  its checks gives the same verdict and the same message as the full grader on the same inputs;
  its notebooks' test cells give the full kit's results.
"""
import ast
import base64
import importlib
import json
import os
import shutil
import subprocess
import sys
import textwrap
import zlib
from pathlib import Path

import nbformat
import numpy as np
import pytest

import corpus
from autograder import reference, stubgen, studentdist
from autograder.cli import main
from autograder.exercises import EXERCISES
from autograder.grading import CHECKS_DIR, collect_checks
from autograder.rubric import Rubric
from autograder.studentdist.build import BuildError, build, cut_checks, write_checks
from autograder.studentdist.recording import Recorder, RecordingMiss, Replayer

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = ROOT / reference.SOURCE_FOLDER
NOT_GATE = frozenset(e for e in EXERCISES if e != "mnist")
# Seconds per call, on both sides: the two gradings run at once on a shared machine, where the
# default 5 s stops a book script's slow demo code on one side only.
TIMEOUT = 30.0


def _nontrivial(line):
    """A line worth looking for: code, not blank, a comment or a bare keyword."""
    text = line.strip()
    return len(text) >= 12 and not text.startswith(("#", '"""', "'''"))


def _files(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(Path(folder).rglob("*"))
            if p.is_file() and "__pycache__" not in p.parts}


@pytest.fixture(scope="module")
def dist(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist") / "student"
    done = subprocess.run([sys.executable, "-m", "autograder", "student", "build", str(out)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert str(out) in done.stdout
    return out


# --------------------------------------------------------------------------- contents


def _given_lines():
    """Lines students get anyway: the stubs' given code and the notebooks' given demo cells."""
    from autograder.nbbuild import content

    texts = [t for t in stubgen.build_stubs(SOLUTIONS).values()]
    texts.append(Path(content.__file__).read_text(encoding="utf-8"))
    return {l.strip() for t in texts for l in t.splitlines()}


def _recorded_data(path):
    """The answers a generated stand-in holds (``_DATA``), decompressed: JSON text."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    (value,) = [n.value for n in tree.body if isinstance(n, ast.Assign) and getattr(n.targets[0], "id", "") == "_DATA"]
    return zlib.decompress(base64.b64decode("".join(ast.literal_eval(value)))).decode()


def _dist_texts(folder):
    """{name: text} of every file of a distribution: a notebook as its cells' sources, and the
    recorded answers of the stand-ins decompressed, beside their files."""
    texts = {}
    for rel, data in _files(folder).items():
        text = data.decode("utf-8", errors="replace")
        if rel.endswith(".ipynb"):
            text = "\n".join("".join(c["source"]) for c in json.loads(text)["cells"])
        texts[rel] = text
        if "/studentdist/deps/" in rel:
            texts[rel + " (recorded answers)"] = _recorded_data(Path(folder) / rel)
    return texts


def test_no_line_of_a_solution_region(dist):
    solution_lines = set()
    for path in sorted(SOLUTIONS.glob("*.py")):
        lines = stubgen._lines(path.read_text(encoding="utf-8"))
        for region in stubgen.find_regions(path.read_text(encoding="utf-8"), path.name):
            solution_lines.update(l.strip() for l in lines[region.begin:region.end - 1] if _nontrivial(l))
    solution_lines -= _given_lines()  # e.g. `for _ in range(step_num):` in a given notebook demo
    assert len(solution_lines) > 30  # the test looks at real code
    found = {}
    texts = _dist_texts(dist)
    assert sum(rel.startswith("notebooks/") for rel in texts) == 3 and sum("recorded answers" in rel for rel in texts) == 5
    for rel, text in texts.items():
        hits = {l.strip() for l in text.splitlines()} & solution_lines
        if "recorded answers" in rel:  # one line of JSON: look for the code anywhere in it
            hits = {l for l in solution_lines if l in text}
        if hits:
            found[rel] = sorted(hits)
    assert not found, found
    notebook = texts["notebooks/ps1_losses_gradients.ipynb"]
    assert "# YOUR CODE HERE" in notebook and "run_check('functions.softmax::test_batch_rows')" in notebook


def _hidden_only_lines():
    """Lines of the non-visible checks' functions that no other part of the check suite has."""
    hidden = {"::".join(s.nodeid.split("[")[0].split("::")) for s in collect_checks() if s.visibility != "visible"}
    only, elsewhere = set(), set()
    for path in sorted(CHECKS_DIR.glob("test_*.py")):
        source = path.read_text(encoding="utf-8")
        lines = source.splitlines()
        inside = set()
        tree = ast.parse(source)
        functions = [(f"{path.name}::{n.name}", n) for n in tree.body if isinstance(n, ast.FunctionDef)]
        functions += [(f"{path.name}::{c.name}::{n.name}", n) for c in tree.body if isinstance(c, ast.ClassDef)
                      for n in c.body if isinstance(n, ast.FunctionDef)]
        for nodeid, node in functions:
            if nodeid in hidden:
                first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
                inside.update(range(first - 1, node.end_lineno))
        only |= {lines[i].strip() for i in inside if _nontrivial(lines[i])}
        elsewhere |= {lines[i].strip() for i in range(len(lines)) if i not in inside}
    return only - elsewhere


def test_no_code_of_a_hidden_or_after_due_date_check(dist):
    only = _hidden_only_lines()
    assert len(only) > 10
    hidden = {s.check_id for s in collect_checks() if s.visibility != "visible"}
    found = {}
    for rel, text in _dist_texts(dist).items():
        hits = {l.strip() for l in text.splitlines()} & only
        hits |= {c for c in hidden if f"'{c}'" in text}  # a notebook's hidden test cell: run_check('<id>')
        if hits:
            found[rel] = sorted(hits)
    assert not found, found
    assert not (dist / "autograder" / "checks" / "test_mnist.py").exists()


def test_no_reference_package_and_stubs_are_the_exercises(dist):
    assert not any(p.name in (reference.PACKAGE, reference.SOURCE_FOLDER) for p in dist.rglob("*"))
    for rel, text in stubgen.build_stubs(SOLUTIONS).items():
        assert (dist / "exercises" / rel).read_text(encoding="utf-8") == text


def test_building_twice_gives_the_same_bytes(dist, tmp_path):
    again = build(tmp_path / "again")
    assert _files(again) == _files(dist)


def test_build_refuses_a_folder_with_files(tmp_path, capsys):
    (tmp_path / "keep.txt").write_text("mine")
    assert main(["student", "build", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not an empty folder" in err
    assert (tmp_path / "keep.txt").read_text() == "mine"


# --------------------------------------------------------------------------- cutting checks


CHECKS = textwrap.dedent('''\
    import pytest


    class TestA:
        def test_shown(self):
            assert 1

        @pytest.mark.visibility("hidden")
        def test_secret(self):
            assert "secret-a"


    class TestB:
        @pytest.mark.visibility("after_due_date")
        @pytest.mark.parametrize("k", [1, 2])
        def test_later(self, k):
            assert "secret-b"
    ''')


def test_cut_checks_removes_non_visible_checks_and_empty_classes():
    text = cut_checks(CHECKS, {("TestA", "test_shown"): {"visible"}, ("TestA", "test_secret"): {"hidden"},
                               ("TestB", "test_later"): {"after_due_date"}}, "t.py")
    assert "test_shown" in text and "secret" not in text and "TestB" not in text and "visibility" not in text
    ast.parse(text)


def test_cut_checks_refuses_a_partly_visible_parametrization():
    with pytest.raises(BuildError, match="TestB.test_later"):
        cut_checks(CHECKS, {("TestB", "test_later"): {"visible", "hidden"}}, "t.py")


def test_rubric_visibility_decides_what_is_kept(tmp_path):
    rubric = Rubric.from_dict({"visibility": {"functions.sigmoid::test_values": "hidden",
                                              "functions.softmax::test_large_logits": "visible"}})
    write_checks(CHECKS_DIR, tmp_path / "checks", collect_checks(rubric))  # what build() writes
    text = (tmp_path / "checks" / "test_functions.py").read_text()
    assert "def test_values" not in text and "def test_large_logits" in text


# --------------------------------------------------------------------------- the recording


def _methods():
    from autograder.studentdist.build import _methods

    return _methods()


def test_replay_returns_the_references_answers_bit_for_bit():
    rng = np.random.default_rng(1)
    x, W, b, dout = rng.normal(size=(4, 5)), rng.normal(size=(5, 3)), rng.normal(size=3), rng.normal(size=(4, 3))
    params = {"W": rng.normal(size=(2, 2))}
    grads = {"W": rng.normal(size=(2, 2))}

    def scenario(layers, functions, optimizer, params):
        layer = layers.Affine(W, b)
        out = layer.forward(x)
        dx = layer.backward(dout)
        opt = optimizer.Momentum(lr=0.1)
        opt.update(params, grads)
        opt.update(params, grads)
        return [out, dx, layer.dW, layer.db, functions.softmax(x), functions.softmax(x), params["W"].copy()]

    recorder = Recorder(_methods())
    real = {m: recorder.module("c::t", m, reference.module(m)) for m in ("layers", "functions", "optimizer")}
    recorded = scenario(real["layers"], real["functions"], real["optimizer"], {k: v.copy() for k, v in params.items()})
    replayer = Replayer(recorder.to_json("seed-x"))
    fake = {m: replayer.module("c::t", m) for m in ("layers", "functions", "optimizer")}
    replayed = scenario(fake["layers"], fake["functions"], fake["optimizer"], {k: v.copy() for k, v in params.items()})
    for a, b_ in zip(recorded, replayed):
        assert a.dtype == b_.dtype and a.shape == b_.shape and a.tobytes() == b_.tobytes()
    assert not np.array_equal(replayed[-1], params["W"])  # the update's in-place change was replayed


def test_replay_of_another_input_fails_loudly():
    recorder = Recorder(_methods())
    recorder.module("c::t", "functions", reference.module("functions")).softmax(np.ones((2, 3)))
    fake = Replayer(recorder.to_json("seed-x")).module("c::t", "functions")
    assert fake.softmax(np.ones((2, 3))).shape == (2, 3)
    with pytest.raises(RecordingMiss, match="no recorded reference answer"):
        fake.softmax(np.ones((2, 3)) * 2)
    with pytest.raises(RecordingMiss):
        Replayer(recorder.to_json("seed-x")).module("c::other", "functions").softmax(np.ones((2, 3)))



def test_a_recording_miss_reads_as_a_students_message_not_an_internal_error():
    from autograder.i18n import using_language
    from autograder.plugin import failure_text

    recorder = Recorder(_methods())
    fake = Replayer(recorder.to_json("seed-x")).module("c::t", "functions")
    with pytest.raises(RecordingMiss) as raised:
        fake.softmax(np.ones((2, 3)))
    text, internal = failure_text(raised)
    assert not internal and "cannot judge this check" in text and "softmax(...)" in text
    assert "internal" not in text and "c::t" not in text  # no grader-internal names
    with using_language("ko"):
        assert "자가 점검" in failure_text(raised)[0]
    # The same for a stand-in in a worker (the check's last word when no rerun could answer).
    from autograder.sandbox.errors import StudentException

    with pytest.raises(StudentException) as raised:
        raise StudentException("DependencyReplayMiss", "layers.Affine.forward", "  layers.py:1056 in forward")
    text, internal = failure_text(raised)
    assert not internal and "cannot judge this check" in text and "layers.Affine.forward(...)" in text
    assert "layers.py:1056" not in text


# --------------------------------------------------------------------------- the reference modules in workers


def _package(root, name, texts):
    """A package ``name`` under root holding ``texts`` ({module: source}); imported fresh."""
    folder = root / name
    folder.mkdir()
    (folder / "__init__.py").write_text("")
    for module, text in texts.items():
        (folder / f"{module}.py").write_text(text, encoding="utf-8")
    sys.path.insert(0, str(root))
    try:
        return {m: importlib.import_module(f"{name}.{m}") for m in texts}
    finally:
        sys.path.remove(str(root))


def _network_scenario(modules, x, t):
    """What a learner's TwoLayerNet (the reference's, as the student module) computes on the
    stand-ins of its dependencies: loss, backprop and numerical gradients, in-place updates."""
    np.random.seed(7)
    net = modules["two_layer_net"].TwoLayerNet(4, 3, 2)
    out = [net.predict(x), net.loss(x, t)]
    out += [v for _k, v in sorted(net.gradient(x, t).items())]
    out += [v for _k, v in sorted(net.numerical_gradient(x, t).items())]
    net.params["W1"] -= 0.1  # the layers hold these very arrays
    out.append(net.predict(x))
    return out


@pytest.fixture(scope="module")
def stand_ins(tmp_path_factory):
    """({module: recording stand-in}, {module: replaying stand-in}) after one scenario was recorded."""
    from autograder.exercises import MODULES
    from autograder.studentdist.depgen import DependencyRecording, module_text

    root = tmp_path_factory.mktemp("stand-ins")
    tln = (SOLUTIONS / "two_layer_net.py").read_text(encoding="utf-8")
    rng = np.random.default_rng(3)
    x, t = rng.normal(size=(5, 4)), rng.integers(0, 2, size=5)
    recording = {m: module_text(m) for m in MODULES if m != "two_layer_net"}
    recorded = _package(root, "rec_pkg", {**recording, "two_layer_net": tln})
    expected = _network_scenario(recorded, x, t)
    deps = DependencyRecording()
    try:
        for m in recording:
            deps.add_log(m, recorded[m]._E.take_log())
        deps.write_replay(root / "replay")
    finally:
        deps.close()
    replaying = {m: (root / "replay" / f"{m}.py").read_text(encoding="utf-8") for m in recording}
    replayed = _package(root, "rep_pkg", {**replaying, "two_layer_net": tln})
    return recorded, replayed, expected, (x, t)


def test_stand_ins_replay_the_reference_modules_bit_for_bit(stand_ins):
    _recorded, replayed, expected, (x, t) = stand_ins
    got = _network_scenario(replayed, x, t)
    assert len(got) == len(expected) == 11
    for a, b in zip(got, expected):
        a, b = np.asarray(a), np.asarray(b)
        assert a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()
    source = Path(replayed["layers"].__file__).read_text(encoding="utf-8")
    assert "np.dot" not in source and "_real" not in source  # no reference code, only the engine and data


def test_stand_ins_refuse_what_they_did_not_record(stand_ins):
    _recorded, replayed, _expected, (x, t) = stand_ins
    np.random.seed(7)
    net = replayed["two_layer_net"].TwoLayerNet(4, 3, 2)  # a constructor that keeps its inputs: replayed
    with pytest.raises(Exception, match="Affine.forward") as raised:
        net.predict(x + 1)  # never recorded
    assert type(raised.value).__name__ == "DependencyReplayMiss"  # plugin._replay_miss knows it by name
    np.random.seed(7)
    net = replayed["two_layer_net"].TwoLayerNet(4, 3, 2)
    net.loss = lambda x, t: 0.5  # numerical_gradient calls this loss: it answers otherwise than then
    with pytest.raises(Exception, match="numerical_gradient") as raised:
        net.numerical_gradient(x, t)
    assert type(raised.value).__name__ == "DependencyReplayMiss"
    assert np.array_equal(net.params["b2"], np.zeros(2))  # the perturbed arrays were put back


def test_a_check_run_beside_the_students_own_modules_says_so_when_they_fail(monkeypatch):
    """Only where a stand-in lacked an answer (the check then ran beside the student's own
    modules) and one of those modules fails its checks does the message add a note."""
    from autograder.results import CheckResult, ExerciseResult, GradeResult

    def check(exercise, passed, own=False):
        return CheckResult(f"{exercise}::test_x", exercise, "x", float(passed), 1.0, passed, output="wrong values",
                           failure={"kind": "mismatch", **({"own_dependencies": True} if own else {})})

    def result(*checks):
        return GradeResult("s", [ExerciseResult(c.exercise, [c]) for c in checks])

    monkeypatch.setattr(studentdist, "active", lambda: True)
    graded = result(check("layers.Affine", False), check("two_layer_net.TwoLayerNet", False, own=True))
    studentdist.annotate(graded)
    tln = graded.exercises[1].checks[0].output
    assert tln.startswith("wrong values\nNote: the self-check ran this with your own layers.py, where layers.Affine fail")
    assert graded.exercises[0].checks[0].output == "wrong values"
    for unmarked in (result(check("layers.Affine", False), check("two_layer_net.TwoLayerNet", False)),
                     result(check("layers.Affine", True), check("two_layer_net.TwoLayerNet", False, own=True))):
        studentdist.annotate(unmarked)
        assert unmarked.exercises[1].checks[0].output == "wrong values"


# --------------------------------------------------------------------------- installed


# Grades a share of the corpus (argv: folder, output, timeout, shard, shards) with whatever kit
# the python running it imports, with the self-check's key (a full kit reads it from the rubric;
# a student distribution uses its own), and budgets no busy machine runs out of.
_GRADE_ALL = r"""
import json, sys
from pathlib import Path
from autograder import grading, studentdist
from autograder.rubric import Rubric
subs, out_path, timeout, shard, shards = Path(sys.argv[1]), Path(sys.argv[2]), float(sys.argv[3]), *map(int, sys.argv[4:6])
settings = {"budget": {"exercise": 600, "submission": 3600}}
if not studentdist.active():
    settings["grading"] = {"secret": studentdist.SELF_CHECK_SECRET}
rubric = Rubric.from_dict(settings)
out = {}
for name, only in sorted(json.loads((subs / "only.json").read_text()).items())[shard::shards]:
    result = grading.grade(subs / name, grading.GradeOptions(only=frozenset(only), timeout=timeout, rubric=rubric))
    out[name] = {c.check_id: [c.passed, c.output] for c in result.checks if c.graded}
out_path.write_text(json.dumps(out))
"""


@pytest.fixture(scope="module")
def installed(dist, tmp_path_factory, fresh_venv):
    """The python of a fresh virtual environment with the student distribution installed."""
    return fresh_venv(tmp_path_factory.mktemp("student-venv") / "venv", dist)


def _corpus_submissions(dest):
    """Every correct, buggy and realistic entry, and the stubs, in dest; dest/only.json says
    which exercises to grade in each (a buggy entry's modules that are the reference's own code
    are left out: both sides grade them as the reference, which other tests cover)."""
    dest.mkdir()
    only = {"stubs": sorted(NOT_GATE)}
    for entry in corpus.load_all():
        if entry.kind in ("correct", "buggy"):
            name = entry.id.replace("/", "__")
            corpus.assemble(entry, dest / name)
            only[name] = sorted(entry.exercises_to_grade() & NOT_GATE)
    for entry in corpus.load_realistic():
        name = f"realistic__{entry.path.name}"
        corpus.copy_realistic(entry, dest / name)
        only[name] = sorted(NOT_GATE)
    shutil.copytree(ROOT / "exercises", dest / "stubs")
    (dest / "only.json").write_text(json.dumps(only))
    return dest, only


@pytest.mark.slow
def test_installed_self_check_has_no_reference_and_grades_the_reference(installed, tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "DLGRADE_SECRET")}
    probe = subprocess.run([str(installed), "-c", "import importlib.util as u; print(u.find_spec('dlscratch_reference'))"],
                           capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120)
    assert probe.stdout.strip() == "None", probe.stdout + probe.stderr
    catalogs = subprocess.run([str(installed), "-c", "import pathlib, autograder.locale as l; "
                               "print(sorted(p.parent.parent.name + '/' + p.name for p in "
                               "pathlib.Path(l.__file__).parent.rglob('*.mo')))"],
                              capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120)
    # The translations came along: the engine's messages, and the notebooks' (a stub's hint).
    assert catalogs.stdout.strip() == str(["ja/dlgrade.mo", "ja/notebooks.mo", "ko/dlgrade.mo", "ko/notebooks.mo"]), \
        catalogs.stdout + catalogs.stderr
    submission = shutil.copytree(SOLUTIONS, tmp_path / "mine")
    results = tmp_path / "results.json"
    done = subprocess.run([str(installed.parent / "dlgrade"), "grade", str(submission), "--json", str(results)],
                          capture_output=True, text=True, cwd=tmp_path, env=env, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    doc = json.loads(results.read_text())
    assert doc["score"] == pytest.approx(sum(t["max_score"] for t in doc["tests"])) and doc["score"] > 90, done.stdout
    assert all(t["status"] == "passed" for t in doc["tests"]), done.stdout
    assert not any(t["name"].startswith("mnist") for t in doc["tests"])
    assert "Self-check" in done.stdout


SHARDS = 2  # processes per side: a grading waits on its workers half of the time


def _grade_corpus(python, subs, out_dir, env):
    """Start grading the corpus in SHARDS processes of ``python``; return them with their outputs."""
    running = []
    for shard in range(SHARDS):
        out = out_dir / f"{Path(python).parent.parent.name}-{shard}.json"
        running.append((subprocess.Popen([str(python), "-c", _GRADE_ALL, str(subs), str(out), str(TIMEOUT), str(shard),
                                          str(SHARDS)], cwd=out_dir, env=env, stdout=subprocess.PIPE,
                                         stderr=subprocess.PIPE, text=True), out))
    return running


def _collect(running):
    results = {}
    for process, out in running:
        _stdout, err = process.communicate(timeout=3600)
        assert process.returncode == 0, err[-3000:]
        results.update(json.loads(out.read_text()))
    return results


def compare(student, full):
    """Differences between the self-check's and the full grader's checks: (identical, [differences])."""
    same, differ = 0, []
    for name, checks in sorted(student.items()):
        for check_id, (passed, output) in sorted(checks.items()):
            other = full[name][check_id]
            if [passed, output] == other:
                same += 1
            else:
                differ.append(f"{name} {check_id}: self-check {passed} {output[-400:]!r}, grader {other[0]} {other[1][-400:]!r}")
    return same, differ


@pytest.mark.slow
def test_self_check_verdicts_and_messages_equal_the_full_graders(installed, tmp_path):
    """Every corpus entry: each check of the distribution passes or fails as in the full grader,
    with the same message, hints included, when the full grader draws the same inputs (the
    self-check's key). Both sides run at once, each in SHARDS processes."""
    subs, only = _corpus_submissions(tmp_path / "subs")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "DLGRADE_SECRET")}
    running = {side: _grade_corpus(python, subs, tmp_path, env)
               for side, python in (("student", installed), ("full", Path(sys.executable)))}
    student, full = _collect(running["student"]), _collect(running["full"])
    assert set(student) == set(full) == set(only) and all(student.values())
    visible = {spec.check_id for spec in collect_checks() if spec.visibility == "visible"}
    # The distribution runs the visible checks, and all of them (the full grader's hidden ones are not compared).
    assert {n: set(c) for n, c in student.items()} == {n: set(c) & visible for n, c in full.items()}
    same, differ = compare(student, full)
    print(f"{same + len(differ)} checks compared: {same} identical, {len(differ)} different")
    assert same > 4000
    assert not differ, "\n".join(differ)


_NOTEBOOK = r"""
import json, re, sys
import numpy as np
from autograder.notebook import run_check

def namespace(root):
    ns = {}
    for m in ("functions", "gradient", "layers", "two_layer_net", "optimizer"):
        source = open(f"{root}/{m}.py", encoding="utf-8").read()
        source = re.sub(r"^from \.\w+ import .*$", "", source, flags=re.M)  # one namespace, as in a notebook
        exec(compile(source, f"/tmp/ipykernel_0/{m}.py", "exec"), ns)
    return ns

out = {}
ns = namespace(sys.argv[1])
buggy = dict(ns, softmax=lambda x: np.exp(x) / np.sum(np.exp(x)))
for name, space in (("reference", ns), ("buggy", buggy)):
    for check in sys.argv[2:]:
        try:
            run_check(check, space)
            out[f"{name} {check}"] = "passed"
        except AssertionError as exc:
            out[f"{name} {check}"] = str(exc)
print(json.dumps(out))
"""


@pytest.mark.slow
def test_notebook_test_cells_give_the_graders_results(installed, tmp_path):
    """run_check (nbgrader test cells) with the distribution in the kernel: the full kit's results,
    and a hidden check's or the gate's cell says it is left to the course's grader."""
    visible = ["functions.softmax::test_batch_rows", "layers.SoftmaxWithLoss::test_forward[labels]",
               "two_layer_net.TwoLayerNet::test_gradient[one-hot]", "optimizer.Momentum::test_updates"]
    absent = ["functions.softmax::test_large_logits", "mnist::test_trained_accuracy"]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    runs = {}
    for name, python, secret in (("student", installed, ""), ("full", sys.executable, studentdist.SELF_CHECK_SECRET)):
        done = subprocess.run([str(python), "-c", _NOTEBOOK, str(SOLUTIONS), *visible],
                              capture_output=True, text=True, cwd=tmp_path, timeout=600,
                              env=dict(env, DLGRADE_SECRET=secret))
        assert done.returncode == 0, done.stderr[-3000:]
        runs[name] = json.loads(done.stdout.strip().splitlines()[-1])
    assert runs["student"] == runs["full"]
    assert all(runs["student"][f"reference {c}"] == "passed" for c in visible)
    assert "wrong values" in runs["student"]["buggy functions.softmax::test_batch_rows"]
    done = subprocess.run([str(installed), "-c", _NOTEBOOK, str(SOLUTIONS), *absent],
                          capture_output=True, text=True, cwd=tmp_path, timeout=600, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    for check in absent:
        assert "not part of the self-check" in json.loads(done.stdout.strip().splitlines()[-1])[f"reference {check}"]


def _answered(release, source, changes=()):
    """A shipped notebook with every answer cell filled in from the course's source notebook (an
    earlier problem set's cell from its reference cell there), then corpus changes applied."""
    from nbgrader_helpers import apply_changes, cells_by_id, grade_id, is_grade_cell, is_solution_cell, \
        strip_solution_markers

    from autograder.nbbuild.conventions import module_of_cell

    sources = cells_by_id(source)
    nb = nbformat.from_dict(json.loads(json.dumps(release)))
    for cell in nb.cells:
        if is_solution_cell(cell) and not is_grade_cell(cell):
            cell.source = strip_solution_markers(sources[grade_id(cell).replace("earlier-", "given-", 1)].source)
    return apply_changes(nb, changes, module_of_cell)


def _test_cells(nb, python, env, folder):
    """Run nb in a kernel of ``python``; {test cell id: "passed" or its error's text}."""
    from nbclient import NotebookClient
    from nbgrader_helpers import grade_id, is_grade_cell

    spec = folder / "kernels" / python.parent.parent.name
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({"argv": [str(python), "-m", "ipykernel_launcher", "-f",
                                                           "{connection_file}"], "language": "python",
                                                  "display_name": "self-check"}))
    saved = {k: os.environ.get(k) for k in ("JUPYTER_PATH", "DLGRADE_SECRET", "PYTHONPATH")}
    os.environ.update(JUPYTER_PATH=str(folder), **env)
    os.environ.pop("PYTHONPATH", None)
    try:
        NotebookClient(nb, timeout=600, allow_errors=True, kernel_name=spec.name,
                       resources={"metadata": {"path": str(folder)}}).execute()
    finally:
        for k, v in saved.items():
            os.environ.pop(k, None) if v is None else os.environ.__setitem__(k, v)
    found = {}
    for cell in nb.cells:
        if cell.cell_type == "code" and is_grade_cell(cell):
            errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
            found[grade_id(cell)] = f"{errors[0]['ename']}: {errors[0]['evalue']}" if errors else "passed"
    return found


@pytest.mark.slow
@pytest.mark.nbgrader
def test_shipped_notebooks_test_cells_equal_the_full_kits(dist, installed, tmp_path):
    """The distribution's notebooks, answered with the reference (problem sets 1 and 2) and with a
    corpus bug (a softmax over the columns), run in a kernel where only the distribution is
    installed: every test cell passes or fails as in a kernel with the full kit, with the same text."""
    from nbgrader_helpers import read_nb

    from autograder.nbbuild.build import build_course

    course = tmp_path / "course"
    build_course(course, lang="en")
    bug = next(e for e in corpus.load_all() if e.id == "buggy/softmax_axis0")
    cases = {"ps1-reference": ("ps1_losses_gradients", ()), "ps1-softmax_axis0": ("ps1_losses_gradients", bug.changes),
             "ps2-reference": ("ps2_backprop_layers", ())}
    for case, (assignment, changes) in cases.items():
        nb = _answered(read_nb(dist / "notebooks" / f"{assignment}.ipynb"),
                       read_nb(course / "source" / assignment / f"{assignment}.ipynb"), changes)
        runs = {side: _test_cells(nbformat.from_dict(json.loads(json.dumps(nb))), python, env, tmp_path / case / side)
                for side, python, env in (("student", installed, {"DLGRADE_SECRET": ""}),
                                          ("full", Path(sys.executable), {"DLGRADE_SECRET": studentdist.SELF_CHECK_SECRET}))}
        assert runs["student"] == runs["full"], case
        assert len(runs["student"]) > 10
        failed = {k: v for k, v in runs["student"].items() if v != "passed"}
        if case.endswith("reference"):
            assert not failed, failed
        else:
            assert any("functions-softmax" in k and "normalised the columns" in v for k, v in failed.items()), failed
