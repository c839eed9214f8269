"""Korean, Japanese and English: the catalogs are complete and fresh, and reports come out translated.

The catalogs (``autograder/locale``) are checked against the sources themselves: every string
the extractor finds (``_()``, ``ngettext()``, ``N_()`` and the check titles, babel.cfg) must
have a Korean and a Japanese translation that keeps its placeholders, and the committed
``.mo`` files must be what the ``.po`` files compile to.
"""
from __future__ import annotations

import ast
import io
import json
import os
import re
import string
import subprocess
import sys
from pathlib import Path

import pytest

from autograder import i18n
from autograder.locale import catalogs

ROOT = Path(__file__).resolve().parent.parent
TRANSLATED = catalogs.TRANSLATED


@pytest.fixture(scope="module")
def template():
    return catalogs.extract()


@pytest.fixture(scope="module")
def translations():
    return {lang: catalogs.read(catalogs.po_path(lang), lang) for lang in TRANSLATED}


def _ids(message):
    return message.id if isinstance(message.id, tuple) else (message.id,)


def _strings(message):
    return message.string if isinstance(message.string, tuple) else (message.string,)


def test_extraction_finds_the_student_facing_strings(template):
    ids = {i for m in template if m.id for i in _ids(m)}
    # One of each kind: a check title (a docstring, no _() call), a hint inside a check, a
    # message of compare, a probe's title (N_), a submission error.
    assert "softmax of a batch normalises each row separately" in ids
    assert any(i.startswith("Divide by the batch size") for i in ids)
    assert "{what} returned None. Did you forget a `return` statement?" in ids
    assert "creating a TwoLayerNet" in ids
    assert "{source}: no exercise module found (expected any of {wanted})" in ids


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_student_facing_string_is_translated(template, translations, lang):
    catalog = translations[lang]
    missing = []
    for message in template:
        if not message.id:
            continue
        found = catalog.get(message.id)
        if found is None or found.fuzzy or not all(_strings(found)):
            missing.append(_ids(message)[0])
    assert not missing, (f"{len(missing)} strings lack a {lang} translation (run `python -m autograder.locale "
                         f"update` and translate them in {catalogs.po_path(lang)}):\n" + "\n".join(missing[:30]))


_PERCENT = re.compile(r"%(?:\([^)]*\))?[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa%]")


def placeholders(text):
    """The ``str.format`` fields (with their format specs) and %-conversions of a message."""
    fields = []
    try:
        for _literal, field, spec, conversion in string.Formatter().parse(text):
            if field is not None:
                fields.append(f"{{{field}{'!' + conversion if conversion else ''}{':' + spec if spec else ''}}}")
    except ValueError as exc:  # an unbalanced brace: the template cannot be formatted at all
        return [f"<unparsable: {exc}>"]
    return sorted(fields) + sorted(_PERCENT.findall(text))


def test_placeholders_are_parsed():
    assert placeholders("{what}: expected {expected}, got {got:.3g} (%d)") == [
        "{expected}", "{got:.3g}", "{what}", "%d"]
    assert placeholders("{a} and {{literal}}") == ["{a}"]


@pytest.mark.parametrize("lang", TRANSLATED)
def test_translations_keep_their_placeholders(translations, lang):
    wrong = []
    for message in translations[lang]:
        if not message.id or not any(_strings(message)):
            continue
        source = placeholders(_ids(message)[0])
        for text in _strings(message):
            if sorted(set(placeholders(text))) != sorted(set(source)):
                wrong.append(f"{_ids(message)[0]!r}\n    -> {text!r}: {placeholders(text)} vs {source}")
    assert not wrong, f"{lang}: translations that drop or add a placeholder:\n" + "\n".join(wrong)


def test_a_dropped_placeholder_is_caught():
    # What the test above relies on: a translation without {what} differs from its msgid.
    assert set(placeholders("{what}: wrong values.")) != set(placeholders("값이 틀렸습니다."))


def test_template_is_fresh(template):
    committed = catalogs.read(catalogs.TEMPLATE)
    assert {m.id for m in committed if m.id} == {m.id for m in template if m.id}, (
        "autograder/locale/dlgrade.pot is stale: run `python -m autograder.locale update`")


@pytest.mark.parametrize("domain", catalogs.DOMAINS)
@pytest.mark.parametrize("lang", TRANSLATED)
def test_compiled_catalogs_are_fresh(lang, domain):
    po = catalogs.read(catalogs.po_path(lang, domain), lang, domain)
    assert catalogs.mo_path(lang, domain).read_bytes() == catalogs.mo_bytes(po), (
        f"{catalogs.mo_path(lang, domain)} is not what {catalogs.po_path(lang, domain)} compiles to: "
        "run `python -m autograder.locale compile`")


def test_each_language_translates(monkeypatch):
    msgid = "The result is the transpose of what is expected."
    seen = {}
    for lang in i18n.LANGUAGES:
        with i18n.using_language(lang):
            seen[lang] = i18n._(msgid)
    assert seen["en"] == msgid
    assert seen["ko"] != msgid and seen["ja"] != msgid and seen["ko"] != seen["ja"]
    assert re.search(r"[\uac00-\ud7a3]", seen["ko"]) and re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", seen["ja"])


@pytest.mark.parametrize("env, expected", [
    ({"DLGRADE_LANG": "ja", "LANG": "ko_KR.UTF-8"}, "ja"),
    ({"LANG": "ko_KR.UTF-8"}, "ko"),
    ({"LC_ALL": "ja_JP.UTF-8", "LANG": "ko_KR.UTF-8"}, "ja"),
    ({"LC_ALL": "C", "LANG": "ko_KR.UTF-8"}, "en"),      # POSIX: LC_ALL decides
    ({"DLGRADE_LANG": "fr", "LANG": "ja_JP"}, "ja"),     # an unknown DLGRADE_LANG is ignored
    ({"LANG": "fr_FR.UTF-8"}, "en"),
    ({}, "en"),
])
def test_language_from_env(monkeypatch, env, expected):
    for var in ("DLGRADE_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(var, raising=False)
    for var, value in env.items():
        monkeypatch.setenv(var, value)
    assert i18n.language_from_env() == expected


def test_set_language_rejects_unknown_languages():
    with pytest.raises(ValueError, match="unknown language 'fr'"):
        i18n.set_language("fr")


@pytest.mark.parametrize("lang", TRANSLATED)
def test_plural_forms(translations, lang):
    # Korean and Japanese have one form: the catalog says so, and its plural entries hold one.
    assert translations[lang].num_plurals == 1
    for message in translations[lang]:
        if isinstance(message.id, tuple):
            assert len(_strings(message)) == 1, message.id
    with i18n.using_language(lang):  # no entry: English, with English plural rules
        assert i18n.ngettext("{n} apple", "{n} apples", 5) == "{n} apples"


def _own_scope(func):
    """The nodes of func, not those of its comprehensions (whose variables are their own)."""
    stack = list(ast.iter_child_nodes(func))
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            stack.extend(ast.iter_child_nodes(node))


def _binds_underscore(func):
    for node in _own_scope(func):
        if isinstance(node, ast.Name) and node.id == "_" and isinstance(node.ctx, ast.Store):
            return True
        if isinstance(node, (ast.Import, ast.ImportFrom)) and any((a.asname or a.name) == "_" for a in node.names):
            return True
    return False


def _calls_underscore(func):
    return any(isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "_" for n in ast.walk(func))


def test_no_function_shadows_the_translation_function():
    # `x, _ = f()` in a function that also calls _() makes _ a local: an UnboundLocalError at run time.
    bad = []
    for path in sorted((ROOT / "autograder").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)) \
                    and _calls_underscore(node) and _binds_underscore(node):
                bad.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not bad, "functions that call _() and also bind _: " + ", ".join(bad)


def test_no_translation_inside_an_f_string():
    # Babel's extractor does not see a _() call inside an f-string's braces: such a string
    # would never reach the catalogs (and stay English in every language).
    bad = []
    for path in sorted((ROOT / "autograder").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.JoinedStr) and any(
                    isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in ("_", "N_", "ngettext")
                    and n.args and isinstance(n.args[0], ast.Constant) for n in ast.walk(node)):
                bad.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not bad, "_() inside an f-string (translate it before, into a variable): " + ", ".join(bad)


def _is_translated(node):
    """A _() call, or a name/expression built elsewhere (only literals are checked)."""
    return not (isinstance(node, ast.Constant) and isinstance(node.value, str)) and not isinstance(node, ast.JoinedStr)


def test_hints_in_checks_are_translated():
    # A hint is a key of hints={...}: a bare literal there reaches the student in English in
    # every language (the extractor only sees _() calls).
    bad = []
    for path in sorted((ROOT / "autograder" / "checks").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.keyword) and node.arg == "hints" and isinstance(node.value, ast.Dict):
                bad += [f"{path.name}:{k.lineno}" for k in node.value.keys if k is not None and not _is_translated(k)]
    assert not bad, "hints={...} keys not wrapped in _(): " + ", ".join(bad)


def test_the_hint_check_sees_a_bare_literal():
    tree = ast.parse('expect_close(a, b, "x", hints={"Divide by N.": 1, _("ok"): 2, hint: 3})')
    keys = next(n for n in ast.walk(tree) if isinstance(n, ast.keyword) and n.arg == "hints").value.keys
    assert [_is_translated(k) for k in keys] == [False, True, True]


# ------------------------------------------------------------------ reports, end to end

# A run of four or more English words: prose a translated report must not contain. Code
# identifiers, shapes, numbers and file names never make such a run.
_ENGLISH = re.compile(r"\b[A-Za-z][a-z']+(?:,? [A-Za-z][a-z']+){3,}\b")


def _dlgrade(args, env_update=None, env_remove=()):
    env = {k: v for k, v in os.environ.items() if k not in env_remove}
    env.update(env_update or {})
    return subprocess.run([sys.executable, "-m", "autograder", *args], capture_output=True, text=True,
                          env=env, timeout=600)


@pytest.fixture(scope="module")
def buggy(tmp_path_factory):
    """Two corpus entries with recognised mistakes (a hint in a check, a hint of compare)."""
    import corpus

    entries = {e.id: e for e in corpus.load_all()}
    root = tmp_path_factory.mktemp("i18n")
    return {name: corpus.assemble(entries[f"buggy/{name}"], root / name)
            for name in ("cee_sum_not_mean", "affine_dW_transposed")}


_ONLY = {"cee_sum_not_mean": "functions.cross_entropy_error", "affine_dW_transposed": "layers.Affine"}
_ENV_REMOVE = ("DLGRADE_LANG", "LC_ALL", "LC_MESSAGES", "LANGUAGE")


def _flat(text):
    """Text with its line wrapping undone (the report wraps long lines at spaces)."""
    return " ".join(text.split())


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(_ONLY))
@pytest.mark.parametrize("lang", TRANSLATED)
def test_report_is_translated_end_to_end(buggy, template, name, lang):
    english = _dlgrade(["grade", str(buggy[name]), "--only", _ONLY[name], "--lang", "en"], env_remove=_ENV_REMOVE)
    run = _dlgrade(["grade", str(buggy[name]), "--only", _ONLY[name], "--lang", lang], env_remove=_ENV_REMOVE)
    assert english.returncode == 0 and run.returncode == 0, english.stderr + run.stderr
    # Every whole sentence of the catalog the English report shows (hints, titles, messages) ...
    sentences = [m.id for m in template if isinstance(m.id, str) and len(m.id) >= 20 and "{" not in m.id
                 and m.id in _flat(english.stdout)]
    assert any(s.startswith(("Divide by the batch size", "dW must have W's shape")) for s in sentences), (
        english.stdout)  # the entry's mistake is recognised, and its hint is among them
    # ... is not in the other language's report, and the entry's hint is there, translated.
    for sentence in sentences:
        assert sentence not in _flat(run.stdout), run.stdout
    with i18n.using_language(lang):
        hints = [i18n._(s) for s in sentences if s.startswith(("Divide by the batch size", "dW must have W's shape"))]
    assert all(_flat(h) in _flat(run.stdout) for h in hints), (hints, run.stdout)
    leftovers = _ENGLISH.findall(run.stdout)
    assert not leftovers, f"English left in the {lang} report: {leftovers}\n{run.stdout}"
    assert _ENGLISH.findall(english.stdout), "the detector must see the English report's prose"


@pytest.mark.slow
def test_lang_option_beats_the_locale(buggy):
    path, only = str(buggy["cee_sum_not_mean"]), _ONLY["cee_sum_not_mean"]
    by_locale = _dlgrade(["grade", path, "--only", only], {"LANG": "ja_JP.UTF-8"}, _ENV_REMOVE)
    by_option = _dlgrade(["grade", path, "--only", only, "--lang", "ko"], {"LANG": "ja_JP.UTF-8"}, _ENV_REMOVE)
    assert by_locale.returncode == 0 and by_option.returncode == 0, by_locale.stderr + by_option.stderr
    with i18n.using_language("ja"):
        ja = i18n._("Divide by the batch size: the loss of a batch is the mean, not the sum.")
    with i18n.using_language("ko"):
        ko = i18n._("Divide by the batch size: the loss of a batch is the mean, not the sum.")
    assert ja in by_locale.stdout and ko not in by_locale.stdout
    assert ko in by_option.stdout and ja not in by_option.stdout


def test_unknown_lang_exits_2_with_one_line(tmp_path):
    run = _dlgrade(["grade", str(tmp_path), "--lang", "fr"])
    assert run.returncode == 2
    assert run.stderr.strip().count("\n") == 0 and "--lang" in run.stderr and "fr" in run.stderr, run.stderr
    assert run.stdout == ""


def test_submission_errors_are_translated(tmp_path):
    # What a student sees when the folder holds no exercise module, in their language.
    run = _dlgrade(["grade", str(tmp_path), "--lang", "ja"], env_remove=_ENV_REMOVE)
    assert run.returncode == 2 and run.stderr.count("\n") == 1, run.stderr
    with i18n.using_language("ja"):
        expected = i18n._("{source}: no exercise module found (expected any of {wanted})")
    assert expected.split("{wanted}")[0].format(source=tmp_path) in run.stderr, run.stderr


@pytest.mark.slow
def test_batch_lang_translates_each_students_files(make_class, tmp_path):
    from autograder.batch.run import grade_class
    from autograder.grading import GradeOptions

    root = make_class(tmp_path / "class", {"alice": "buggy/cee_sum_not_mean"})
    options = GradeOptions(only=frozenset({"functions.cross_entropy_error"}))
    summary = grade_class(root, tmp_path / "out", options, jobs=1, lang="ko", progress_stream=io.StringIO())
    assert [r.status for r in summary.records] == ["graded"]
    report = (tmp_path / "out" / "alice" / "report.txt").read_text(encoding="utf-8")
    results = json.loads((tmp_path / "out" / "alice" / "results.json").read_text(encoding="utf-8"))
    with i18n.using_language("ko"):
        hint = i18n._("Divide by the batch size: the loss of a batch is the mean, not the sum.")
        title = i18n._("cross_entropy_error of a one-hot batch is the mean over the batch")
    assert hint in _flat(report) and "Divide by the batch size" not in report
    assert f"functions.cross_entropy_error: {title}" in [t["name"] for t in results["tests"]]
    assert not _ENGLISH.findall(report), report


def test_compiled_catalogs_are_package_data():
    # A wheel or a non-editable install carries what pyproject's package-data names: the .mo
    # files must be among it, or an installed kit would speak English only.
    import tomllib

    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["package-data"]
    patterns = data["autograder.locale"]
    for lang in TRANSLATED:
        rel = catalogs.mo_path(lang).relative_to(i18n.LOCALE_DIR)
        assert any(rel.match(p) for p in patterns), (rel, patterns)


@pytest.mark.parametrize("lang", TRANSLATED)
def test_notebook_test_cells_speak_the_kernels_language(monkeypatch, lang):
    # A notebook kernel has no command line: DLGRADE_LANG (set in the kernel's environment) decides.
    import numpy as np

    from autograder.notebook import run_check
    from tests_support import solution_namespace

    monkeypatch.setattr(i18n, "_process_language", None)  # nothing chosen in this process
    monkeypatch.setenv("DLGRADE_LANG", lang)
    ns = solution_namespace("functions")
    ns["softmax"] = lambda x: np.exp(x) / np.sum(np.exp(x))  # the whole batch at once
    with pytest.raises(AssertionError) as info:
        run_check("functions.softmax::test_batch_rows", ns)
    with i18n.using_language(lang):
        hint = i18n._("Each row of a batch is one sample: normalise along axis=1 (use keepdims=True), "
                      "not over the whole array.")
    assert hint in str(info.value) and "normalise along axis=1" not in str(info.value)


def test_translations_follow_the_current_language():
    with i18n.using_language("ko"):
        ko = i18n.translations().gettext("The result is the transpose of what is expected.")
    with i18n.using_language("ja"):
        ja = i18n.translations().gettext("The result is the transpose of what is expected.")
    assert ko != ja and "The result is the transpose of what is expected." not in (ko, ja)
    assert i18n.translations("en").gettext("The result is the transpose of what is expected.") == "The result is the transpose of what is expected."


# ------------------------------------------------------------------ the kit's words from inside a worker

_WORKER_STUDENT = '''
import numpy as np


def blocked_import():
    import autograder.probes  # noqa: F401


class _Unprintable(Exception):
    def __str__(self):
        raise RuntimeError("no")


def unprintable():
    raise _Unprintable()


def unsendable():
    return np.zeros(200_000)


def misspelt():
    value = 1
    return valeu  # noqa: F821


def garbage_reply():
    import fcntl
    import os
    for name in os.listdir("/proc/self/fd"):  # the reply pipe: the only pipe open for writing
        try:
            fd = int(name)
            if os.readlink(f"/proc/self/fd/{fd}").startswith("pipe:") and \
                    fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE == os.O_WRONLY:
                os.write(fd, b"garbage! " * 10)
        except OSError:
            pass
    return 1


def graded_load_mnist():
    from dataset_mnist import load_mnist
    return load_mnist()


class NoScale:
    def __init__(self, input_size, hidden_size, output_size):
        self.params = {}


class ListParams:
    params = [np.zeros((2, 2))]


class Net:
    def __init__(self):
        self.params = {"W1": np.zeros((2, 2))}
'''


@pytest.fixture(scope="module")
def message_worker(tmp_path_factory):
    """A sandboxed worker (the level dlgrade grade uses here) on a module that makes the kit speak."""
    from autograder.sandbox import isolation
    from autograder.sandbox.worker import Worker

    root = tmp_path_factory.mktemp("workermsg")
    (root / "pkg").mkdir()
    (root / "pkg" / "stud.py").write_text(_WORKER_STUDENT)
    # The given dataset.mnist as the grader lays it out (autograder/given, copied as student code).
    (root / "pkg" / "dataset_mnist.py").write_text((ROOT / "autograder" / "given" / "dataset_mnist.py").read_text())
    with Worker(root, import_paths=[root / "pkg"], timeout=20, max_message=1 << 20,
                isolation=isolation.resolve("auto")) as worker:
        yield worker


def _worker_failures(worker):
    """{code: the StudentCodeError} for each of the kit's worker-side messages (and the suggestion,
    and a reply that is no message)."""
    from autograder.sandbox.errors import StudentCodeError

    stud = worker.import_module("stud")
    net, listed = stud.Net(), stud.ListParams()
    calls = {
        "blocked_import": lambda: stud.blocked_import(),
        "unprintable": lambda: stud.unprintable(),
        "unsendable": lambda: stud.unsendable(),
        "suggestion": lambda: stud.misspelt(),
        "load_mnist_unavailable": lambda: stud.graded_load_mnist(),
        "no_init_std": lambda: worker.probe("new_two_layer_net", cls=stud.NoScale, sizes=[2, 3, 4],
                                            weight_init_std=0.01),
        "params_not_dict": lambda: worker.probe("set_params_inplace", net=listed, values={"W1": np.zeros((2, 2))}),
        "params_no_key": lambda: worker.probe("set_params_inplace", net=net, values={"W9": np.zeros((2, 2))}),
        "params_shape": lambda: worker.probe("set_params_inplace", net=net, values={"W1": np.zeros((3, 3))}),
        "garbage": lambda: stud.garbage_reply(),  # last: the worker is replaced after it
    }
    import numpy as np  # noqa: F811 - the values above are built in the grader

    failures = {}
    for code, call in calls.items():
        with pytest.raises(StudentCodeError) as info:
            call()
        failures[code] = info.value
    return failures


import numpy as np  # noqa: E402


@pytest.mark.parametrize("lang", TRANSLATED)
def test_the_kits_words_from_a_worker_are_translated(message_worker, lang):
    """Messages the kit's own code raises inside a worker (the import blocker, the call styles, the
    probes, the given dataset.mnist) and the worker's "did you mean" reach the student translated."""
    from autograder import workermsg
    from autograder.plugin import student_text

    with i18n.using_language(lang):
        failures = _worker_failures(message_worker)
        described = {code: student_text(exc.describe()) for code, exc in failures.items()}
    assert set(workermsg.MESSAGES) <= set(failures), "a worker message no test triggers"
    with i18n.using_language("en"):
        english = {code: student_text(exc.describe()) for code, exc in _worker_failures(message_worker).items()}
    # Why a result cannot be sent, and what is wrong with a reply, are the kit's words too.
    assert "message too large" in english["unsendable"] and "message too large" not in described["unsendable"]
    assert "bad frame header" in english["garbage"] and "bad frame header" not in described["garbage"]
    assert not _ENGLISH.findall(described["garbage"]), described["garbage"]
    for code, text in described.items():
        if code == "garbage":
            continue
        template = workermsg.MESSAGES.get(code, workermsg.SUGGESTION)
        with i18n.using_language(lang):
            translated = i18n._(template)
        assert _longest_words(template) in english[code], (code, english[code])  # the kit's English words ...
        assert _longest_words(template) not in text, (code, text)  # ... are not in the translated message,
        assert _longest_words(translated) in text, (code, text)  # its translation is
        prose = text.replace("name 'valeu' is not defined", "")  # Python's own words (a NameError) stay
        assert not _ENGLISH.findall(re.sub(r"`[^`]*`", " ", prose)), (code, text)


def _longest_words(template):
    """The longest stretch of a message template between its placeholders."""
    return max((part.strip() for part in re.split(r"\{[^}]*\}", template)), key=len)


def test_given_dataset_mnist_says_the_kits_message():
    # The given module cannot import workermsg: its English text must be the template's.
    from autograder import workermsg

    namespace = {}
    exec((ROOT / "autograder" / "given" / "dataset_mnist.py").read_text(), namespace)
    with pytest.raises(RuntimeError) as info:
        namespace["load_mnist"]()
    assert workermsg.tag(info.value) == ("load_mnist_unavailable", {})
    assert str(info.value) == workermsg.MESSAGES["load_mnist_unavailable"]


@pytest.mark.parametrize("lang", TRANSLATED)
def test_the_stubs_messages_are_translated(lang):
    """The stubs stay English; the NotImplementedError text a student reads is translated, its hint
    as in the notebooks' answer cells (every stub of exercises/)."""
    from autograder.nbbuild import text as nbtext
    from autograder.sandbox.errors import StudentException
    from autograder.stubgen import parse_stub_message

    messages = [ast.literal_eval(m) for path in sorted((ROOT / "exercises").glob("*.py"))
                for m in re.findall(r"raise NotImplementedError\((\".*\")\)", path.read_text(encoding="utf-8"))]
    assert len(messages) >= 20 and any(parse_stub_message(m)[1] is None for m in messages)
    for message in messages:
        name, hint = parse_stub_message(message)
        error = StudentException("NotImplementedError", message, not_implemented=True,
                                 context=f"calling method {name}")
        with i18n.using_language(lang):
            text = error.describe()
        if hint is not None:
            assert nbtext.translate(hint, lang) in text and hint not in text, text
        assert not _ENGLISH.findall(re.sub(r"`[^`]*`", " ", text)), text
        with i18n.using_language("en"):
            assert message in error.describe()


# ------------------------------------------------------------------ what `dlgrade grade` says about bad input

def _bad_inputs(root):
    """Submissions a student may hand `dlgrade grade` by mistake: {what: path}."""
    import nbformat

    (root / "corrupt.zip").write_bytes(b"PK\x03\x04 not really a zip")
    (root / "broken.ipynb").write_text('{"cells": [', encoding="utf-8")
    (root / "other.ipynb").write_text(nbformat.writes(nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell("x = 1")])), encoding="utf-8")
    (root / "latin1.ipynb").write_bytes('{"cells": [], "x": "é"}'.encode("latin-1"))
    (root / "notes.txt").write_text("softmax", encoding="utf-8")
    (root / "empty").mkdir()
    return {"missing": root / "missing", "corrupt zip": root / "corrupt.zip", "broken notebook": root / "broken.ipynb",
            "another notebook": root / "other.ipynb", "not UTF-8": root / "latin1.ipynb",
            "a text file": root / "notes.txt", "an empty folder": root / "empty"}


@pytest.mark.parametrize("lang", TRANSLATED)
def test_bad_submissions_are_refused_in_the_students_language(tmp_path, capsys, monkeypatch, lang):
    from autograder.cli import main

    monkeypatch.setattr(i18n, "_process_language", None)  # `dlgrade grade --lang` sets it for the process
    for what, path in _bad_inputs(tmp_path).items():
        assert main(["grade", str(path), "--lang", lang]) == 2, what
        out, err = capsys.readouterr()
        assert out == "" and err.count("\n") == 1, (what, err)
        line = err.replace(str(path), " ").replace(path.name, " ")
        script = r"[\uac00-\ud7a3]" if lang == "ko" else r"[\u3040-\u30ff\u4e00-\u9fff]"
        assert re.search(script, line) and not _ENGLISH.findall(line), (what, err)
        assert ": error:" not in line, (what, err)


def test_an_unreadable_notebook_cell_is_explained_in_the_students_language(tmp_path):
    import nbformat

    from autograder.nbbuild.extract import notebook_modules

    cell = nbformat.v4.new_code_cell("def softmax(x):\n    return x\0\n")
    cell.metadata["nbgrader"] = {"grade_id": "sol-functions-softmax", "solution": True}
    nb = nbformat.v4.new_notebook(cells=[cell])
    path = tmp_path / "ps1_losses_gradients.ipynb"
    path.write_text(nbformat.writes(nb), encoding="utf-8")
    with i18n.using_language("ko"):
        code = notebook_modules(path)["functions.py"].decode("utf-8")
    with i18n.using_language("ko"):
        why = i18n._("it contains null bytes")
    assert why in code and "null bytes" not in code, code


# ------------------------------------------------------------------ the corpus, graded in Korean and Japanese

def _corpus_sample():
    """Every hostile entry (the attacks reach the kit's rarest messages: blocked imports, crashes,
    floods, malformed replies, the gate's refusals) and the first buggy entry of each exercise,
    alternately in Korean and Japanese."""
    import corpus

    entries = corpus.load_all()
    chosen, covered = [], set()
    for entry in entries:
        if entry.kind == "hostile" or (entry.kind == "buggy" and not set(entry.loses) <= covered):
            chosen.append(entry)
            covered.update(entry.loses if entry.kind == "buggy" else ())
    return [pytest.param(entry, TRANSLATED[i % len(TRANSLATED)], id=f"{entry.id}-{TRANSLATED[i % len(TRANSLATED)]}")
            for i, entry in enumerate(chosen)]


@pytest.fixture(scope="module")
def kit_runs(template):
    """The runs of English words of the kit's own messages (every msgid, between its placeholders)."""
    return {run for m in template if m.id for msgid in _ids(m)
            for part in re.split(r"\{[^}]*\}", msgid) for run in _ENGLISH.findall(part)}


_TRACEBACK_FRAME = re.compile(r"^ +\S+\.py:\d+(?: in \S+)?$")
_PYTHON_ERROR = re.compile(r"\b[A-Za-z_]\w*?(?:Error|Exception|Warning|Exit|Interrupt)(?![a-z]).*$")  # Korean particles follow at once


def english_prose(text, lang):
    """English sentences left in a failure message, outside what the student or Python wrote:
    `code`, traceback frames and their source lines, what the code printed, and the message of
    the exception or warning the code raised (Python's or numpy's words, after its name)."""
    with i18n.using_language(lang):
        printed = i18n._("Your code printed:")
    text = text.split(printed)[0]
    kept, in_frame = [], False
    for line in text.splitlines():
        if _TRACEBACK_FRAME.match(line):
            in_frame = True
            continue
        if in_frame and line.startswith("    "):
            continue
        in_frame = False
        kept.append(_PYTHON_ERROR.sub(" ", re.sub(r"`[^`]*`", " ", line)))
    return _ENGLISH.findall("\n".join(kept))


def test_english_prose_sees_what_it_should():
    assert english_prose("값이 틀렸습니다. The result is the transpose of what is expected.", "ko")
    assert not english_prose("코드에서 IndexError가 발생했습니다: index 3 is out of bounds for axis 0\n"
                             "  gradient.py:52 in numerical_gradient\n    tmp_val = x[idx] if it is not None else y\n"
                             "`for key in params is wrong`", "ko")
    with i18n.using_language("ja"):
        printed = i18n._("Your code printed:")
    assert not english_prose(f"失敗しました。\n{printed}\nspam spam spam spam spam", "ja")


@pytest.mark.slow
@pytest.mark.parametrize("entry, lang", _corpus_sample())
def test_corpus_failures_speak_the_students_language(entry, lang, tmp_path, kit_runs):
    """A corpus entry graded with --lang ko or ja: no sentence of the kit's stays English anywhere in
    its report, and no English prose at all in its failure messages but the student's and Python's."""
    import corpus
    from autograder.grading import GradeOptions, grade
    from autograder.report import render

    if "mnist" in entry.exercises_to_grade() and not os.environ.get("MNIST_DATA_DIR"):
        pytest.fail(f"{entry.id} runs the MNIST gate: set MNIST_DATA_DIR")
    hostile = entry.kind == "hostile"
    options = GradeOptions(only=entry.exercises_to_grade(), lang=lang,
                           **({"timeout": 1.0, "memory_limit": 2**30} if hostile else {}))  # as test_corpus
    result = grade(corpus.assemble(entry, tmp_path / "submission"), options)
    failures = [c for c in result.checks if not c.passed]
    assert failures, f"{entry.id} fails no check"
    with i18n.using_language(lang):  # as `dlgrade grade --lang` renders it
        report = render(result)
    flat = " ".join(report.split())
    untranslated = sorted(run for run in kit_runs if run in flat or any(run in c.output for c in failures))
    assert not untranslated, f"{entry.id}: the kit's English in the {lang} report: {untranslated}\n{report}"
    prose = {c.check_id: english_prose(c.output, lang) for c in failures}
    prose = {k: v for k, v in prose.items() if v}
    assert not prose, f"{entry.id}: English in the {lang} failures: {prose}"
