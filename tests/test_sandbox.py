"""Tests of the isolation levels (autograder.sandbox.isolation): what each one stops.

Real workers run a student module that attacks the grader as a student who has read this
repository would. Each protection is tested at the levels that provide it, and the same
attack is shown to succeed at level "off", so the tests prove the sandbox is what stops it.
The levels CI (root) can produce are all tested: bwrap, uid (forced), off, and the refusal.
"""
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

import autograder
from autograder import UserError
from autograder.sandbox import isolation, tempdirs
from autograder.sandbox.process import NPROC
from autograder.sandbox.worker import Worker

KIT = Path(autograder.__file__).resolve().parent.parent
REFERENCE = KIT / "solutions" / "layers.py"
SEALED = ("bwrap", "uid")

HOSTILE = r'''
import glob, os, re, socket, sys, time


def read(path):
    try:
        with open(path, "rb") as f:
            return f.read(100_000).decode(errors="replace")
    except (OSError, ValueError):
        return None


def reference_routes(kit):
    """Every way to the reference layers.py a student could find; {route: found it}."""
    found = {}
    want = lambda text: text is not None and "class Affine" in text and "NotImplementedError" not in text
    found["known path"] = want(read(os.path.join(kit, "solutions", "layers.py")))
    hooks = [f for d in sys.path + glob.glob("/opt/dlgrade/site/*") for f in glob.glob(os.path.join(d, "__editable__*finder.py"))]
    mapped = [m for f in hooks for m in re.findall(r"'dlscratch_reference': '([^']+)'", read(f) or "")]
    found["editable finder"] = any(want(read(os.path.join(m, "layers.py"))) for m in mapped)
    hits = False
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            hits = hits or want(read(f"/proc/{pid}/cwd/solutions/layers.py"))
            env = read(f"/proc/{pid}/environ") or ""
            for var in re.findall(r"(?:PWD|VIRTUAL_ENV)=([^\0]+)", env):
                for up in (var, os.path.dirname(var)):
                    hits = hits or want(read(os.path.join(up, "solutions", "layers.py")))
    found["/proc"] = hits
    walk = False
    for start in [os.getcwd(), os.path.dirname(os.path.abspath(__file__)), *sys.path]:
        path = os.path.abspath(start)
        while path != "/":
            walk = walk or want(read(os.path.join(path, "solutions", "layers.py")))
            path = os.path.dirname(path)
    found["../ walk"] = walk
    return found


def try_write(path, text="hostile"):
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
        return True
    except OSError:
        return False


def connect(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
            s.sendall(b"the hidden checks")
        return True
    except OSError:
        return False


def look_at(pid):
    """What of the grader's process can be seen: {what: worked}."""
    out = {"environ": read(f"/proc/{pid}/environ") is not None}
    try:
        os.listdir(f"/proc/{pid}/cwd")
        out["cwd"] = True
    except OSError:
        out["cwd"] = False
    try:
        os.kill(pid, 0)
        out["signal"] = True
    except OSError:
        out["signal"] = False
    return out


def fork_many(n):
    started = 0
    for _ in range(n):
        try:
            pid = os.fork()
        except OSError:
            break
        if pid == 0:
            time.sleep(60)
            os._exit(0)
        started += 1
    return started


def own_file():
    return os.path.abspath(__file__)


def identity():
    caps = [line for line in (read("/proc/self/status") or "").splitlines() if line.startswith("CapEff")]
    return {"uid": os.getuid(), "gid": os.getgid(), "caps": caps[0].split()[1] if caps else None}
'''


def make_layout(name="hostile"):
    """A layout as the pool makes them: a folder in this grader's private run folder."""
    root = Path(tempdirs.mkdtemp(f"{name}-"))
    (root / "pkg").mkdir()
    (root / "pkg" / "hostile.py").write_text(HOSTILE)
    return root


def level(name):
    return isolation.OFF if name == "off" else isolation.resolve(name)


@pytest.fixture(params=["bwrap", "uid", "off"])
def level_name(request):
    return request.param


@pytest.fixture
def hostile(level_name):
    root = make_layout()
    with Worker(root, import_paths=[root / "pkg"], timeout=20, isolation=level(level_name)) as w:
        yield w, w.import_module("hostile")


# --------------------------------------------------------------------------- levels


def test_levels_this_machine_can_make():
    """As root with working namespaces, auto is the full sandbox; uid and off can be forced."""
    assert os.geteuid() == 0, "CI grades as root"
    assert isolation.resolve("auto").level == "bwrap"
    assert isolation.resolve("bwrap").level == "bwrap"
    assert isolation.resolve("uid").level == "uid"
    assert isolation.resolve("off") == isolation.OFF
    with pytest.raises(ValueError):
        isolation.resolve("paranoid")


def test_missing_bwrap_falls_back_to_uid_or_refuses(monkeypatch):
    """A bwrap that is not there (the real lookup, pointed at a missing file): auto gives uid, bwrap refuses."""
    monkeypatch.setenv(isolation.BWRAP_ENV, "/nonexistent/bwrap")
    assert isolation.resolve("auto").level == "uid"
    with pytest.raises(UserError) as info:
        isolation.resolve("bwrap")
    message = str(info.value)
    assert "/nonexistent/bwrap" in message and "--sandbox off" in message and "\n" not in message


def test_cli_refusal_is_one_line_and_exit_2(tmp_path):
    env = dict(os.environ, **{isolation.BWRAP_ENV: "/nonexistent/bwrap"})
    done = subprocess.run([sys.executable, "-m", "autograder", "grade", str(KIT / "exercises"), "--sandbox", "bwrap"],
                          capture_output=True, text=True, env=env, timeout=120, cwd=tmp_path)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "--sandbox off" in lines[0] and "Traceback" not in done.stderr


def test_uid_level_says_when_the_kit_is_readable_by_others():
    note = isolation.resolve("uid", KIT / "solutions").note
    assert bool(note) == isolation.readable_by_others(KIT / "solutions")


@pytest.mark.parametrize("name", ["bwrap", "uid", "off"])
def test_report_and_results_state_the_level(name):
    from autograder.grading import GradeOptions, grade

    result = grade(KIT / "solutions", GradeOptions(sandbox=name, only=frozenset({"functions.softmax"})))
    assert result.isolation == name and result.to_dict()["isolation"] == name
    assert f"Isolation: {name} (" in result.output
    assert result.exercise("functions.softmax").score == result.exercise("functions.softmax").max_score


# --------------------------------------------------------------------------- identity and limits


def test_each_worker_has_its_own_unprivileged_uid(level_name):
    roots = [make_layout(), make_layout()]
    workers = [Worker(r, import_paths=[r / "pkg"], isolation=level(level_name)) for r in roots]
    try:
        ids = [w.import_module("hostile").identity() for w in workers]
    finally:
        for w in workers:
            w.close()
    if level_name == "off":
        assert ids[0]["uid"] == os.geteuid()  # the grader's own user: what the sandbox changes
        return
    assert all(i["uid"] not in (0, os.geteuid()) and i["caps"] == "0000000000000000" for i in ids)
    assert ids[0]["uid"] != ids[1]["uid"] and ids[0]["gid"] != ids[1]["gid"]


def test_process_count_is_limited(hostile, level_name):
    w, mod = hostile
    started = mod.fork_many(NPROC + 40)
    if level_name == "off":
        assert started == NPROC + 40  # root: RLIMIT_NPROC does not apply
    else:
        assert started < NPROC
    w.restart()  # kills them all


# --------------------------------------------------------------------------- reading


def test_reference_is_unreachable_in_the_sandbox(hostile, level_name):
    w, mod = hostile
    routes = mod.reference_routes(str(KIT))
    if level_name == "bwrap":
        assert not any(routes.values()), routes
    elif level_name == "uid":
        # Only what other users may read: the grader's process and its folders stay closed.
        assert not routes["/proc"] or isolation.readable_by_others(REFERENCE)
        assert routes["known path"] == isolation.readable_by_others(REFERENCE)
    else:  # (/proc is closed at every level: a worker has no capabilities, the grader has them)
        assert routes["known path"] and routes["editable finder"] and routes["../ walk"]


def test_grader_process_is_out_of_reach(hostile, level_name):
    """(At level "off" too, as root: the worker has its own PID namespace and no capabilities.)"""
    w, mod = hostile
    assert mod.look_at(os.getpid()) == {"environ": False, "cwd": False, "signal": False}


def test_other_gradings_and_workers_are_invisible(level_name):
    """A layout of another worker (here: of another grading's run folder) can be neither read nor changed."""
    import fcntl

    other_run = tempdirs.base_dir() / f"run-other-{os.getpid()}"
    victim = other_run / "submission-x" / "layers-y" / "submission" / "layers.py"
    victim.parent.mkdir(parents=True, mode=0o700)
    os.chmod(other_run, 0o700)
    lock = os.open(other_run / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(lock, fcntl.LOCK_EX)  # a live grading's folder, as tempdirs makes them
    victim.write_text("# the other student's code\n")
    root = make_layout()
    try:
        with Worker(root, import_paths=[root / "pkg"], isolation=level(level_name)) as w:
            mod = w.import_module("hostile")
            seen = w.import_module("os").path.isdir(str(other_run))
            read, wrote = mod.read(str(victim)), mod.try_write(str(victim), "raise SystemExit\n")
        if level_name == "off":
            assert read and wrote and victim.read_text() == "raise SystemExit\n"
        else:  # (in the sandbox the write lands in its own private /tmp, and vanishes)
            assert read is None and victim.read_text() == "# the other student's code\n"
            assert not wrote or level_name == "bwrap"
            assert not seen or level_name == "uid"  # uid: it may learn the name, never enter
    finally:
        import shutil

        shutil.rmtree(other_run, ignore_errors=True)
        os.close(lock)


# --------------------------------------------------------------------------- writing and persistence


def test_nothing_a_worker_writes_survives(level_name):
    token = f"dlgrade-test-{os.getpid()}-{time.monotonic_ns()}"
    targets = [f"/tmp/{token}", f"/dev/shm/{token}", f"/var/tmp/{token}"]
    kit_target = KIT / "autograder" / "__pycache__" / f"{token}.pyc"
    root = make_layout()
    try:
        with Worker(root, import_paths=[root / "pkg"], isolation=level(level_name)) as w:
            mod = w.import_module("hostile")
            wrote = [mod.try_write(t) for t in targets]
            mod.try_write(str(kit_target), "bytecode")
            cwd_written = mod.try_write(os.path.join(w.import_module("os").getcwd(), token))
            in_layout = mod.try_write(mod.own_file(), "x = 1\n")
        survivors = [t for t in targets if os.path.exists(t)]
        kit_changed = kit_target.exists()
        if level_name == "off":
            assert kit_changed and in_layout and survivors, "without isolation these writes persist"
        else:
            assert not kit_changed and not in_layout and (root / "pkg" / "hostile.py").read_text() == HOSTILE
            assert cwd_written, "a worker may write its own temporary files..."
            # bwrap: /tmp is the worker's private tmpfs; uid: Landlock keeps it out of the
            # machine's /tmp, /dev/shm (RAM) and /var/tmp (test_redteam.py).
            assert any(wrote) if level_name == "bwrap" else not any(wrote)
            assert survivors == [], "...but nothing of them is left once it is closed"
    finally:
        for t in [*targets, str(kit_target)]:
            if os.path.exists(t):
                os.unlink(t)


def test_network_is_loopback_of_the_sandbox_only(hostile, level_name):
    """A listener on the grader's loopback: a sandboxed worker cannot reach it."""
    w, mod = hostile
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        reached = mod.connect(server.getsockname()[1])
    if level_name in SEALED:  # bwrap: a network namespace; uid: a seccomp filter refuses the socket
        assert not reached
    else:
        assert reached


# --------------------------------------------------------------------------- temporary folders


GRADER = '''
import sys, time
from pathlib import Path
from autograder.sandbox import isolation, tempdirs
from autograder.sandbox.worker import Worker
root = Path(tempdirs.mkdtemp("layout-"))
(root / "m.py").write_text("x = 1\\n")
w = Worker(root, import_paths=[root], isolation=isolation.resolve(sys.argv[1]))
w.import_module("m")
print(tempdirs.run_dir(), flush=True)
time.sleep(600)
'''


@pytest.fixture
def shared_tmp():
    """A temporary folder every uid may pass through, as /tmp is (pytest's tmp_path is private)."""
    import shutil
    import tempfile

    path = Path(tempfile.mkdtemp(prefix="dlgrade-test-", dir="/tmp"))
    os.chmod(path, 0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.mark.parametrize("name", ["bwrap", "uid"])
def test_a_killed_graders_files_are_removed_by_the_next(shared_tmp, name):
    tmp_path = shared_tmp
    env = dict(os.environ, TMPDIR=str(tmp_path))
    grader = subprocess.Popen([sys.executable, "-c", GRADER, name], stdout=subprocess.PIPE, text=True, env=env)
    try:
        run = Path(grader.stdout.readline().strip())
        assert run.is_dir() and run.parent == tmp_path / f"dlgrade-{os.geteuid()}"
    finally:
        grader.send_signal(signal.SIGKILL)
        grader.wait()
    assert run.is_dir(), "SIGKILL left the run folder behind (nothing could remove it)"
    live = Path(tempdirs.mkdtemp("probe-")).parent  # this process's own run folder is locked
    removed = tempdirs.remove_dead_runs(run.parent)
    assert removed == [run] and not run.exists()
    assert live.exists()  # a live grader's folder stays (it lives elsewhere, and is locked)
    again = subprocess.run([sys.executable, "-c", "from autograder.sandbox import tempdirs; print(tempdirs.run_dir())"],
                           capture_output=True, text=True, env=env, timeout=60)
    assert again.returncode == 0, again.stderr
    assert sorted(p.name for p in run.parent.iterdir()) == [], "the next grader's own folder is gone at its exit too"


def test_a_live_graders_folder_is_never_removed(tmp_path):
    env = dict(os.environ, TMPDIR=str(tmp_path))
    code = "from autograder.sandbox import tempdirs; print(tempdirs.run_dir(), flush=True); import time; time.sleep(600)"
    grader = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=env)
    try:
        run = Path(grader.stdout.readline().strip())
        assert tempdirs.remove_dead_runs(run.parent) == [] and run.is_dir()
    finally:
        grader.kill()
        grader.wait()


# --------------------------------------------------------------------------- hostile corpus entries


def grade_entry(entry_id, tmp_path, sandbox, only=("layers.Affine",), rename=None):
    """Grade a corpus entry; ``rename`` = (old, new) replaces a name in its files (unique markers)."""
    import corpus
    from autograder.grading import GradeOptions, grade

    entry = corpus.load_entry(corpus.SUBMISSIONS / entry_id)
    submission = corpus.assemble(entry, tmp_path / f"submission-{sandbox}")
    if rename is not None:
        for path in submission.glob("*.py"):
            path.write_text(path.read_text().replace(*rename))
    return grade(submission, GradeOptions(timeout=2.0, only=frozenset(only), sandbox=sandbox))


def affine_full_marks(result):
    ex = result.exercise("layers.Affine")
    return ex.score == pytest.approx(ex.max_score)


def test_stealing_the_reference_works_only_without_the_sandbox(tmp_path):
    """hostile/steal_reference: the buggy Affine loses points, unless the worker can reach the reference."""
    assert not affine_full_marks(grade_entry("hostile/steal_reference", tmp_path, "auto"))
    assert affine_full_marks(grade_entry("hostile/steal_reference", tmp_path, "off"))


def run_cli(submission, tmpdir, *args):
    env = dict(os.environ, TMPDIR=str(tmpdir))
    return subprocess.Popen([sys.executable, "-m", "autograder", "grade", str(submission), "--timeout", "2",
                             *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def affine_line_full(report):
    line = next(line for line in report.splitlines() if line.strip().startswith("layers.Affine "))
    got, _, maximum = line.split()[1:4]
    return float(got) == float(maximum)


def test_tampering_with_other_layouts_works_only_without_the_sandbox(tmp_path):
    """hostile/tamper_other_layouts at level off: its own grading's layers worker imports the stolen copy.

    (In a private TMPDIR: at level off it would also reach the gradings of other tests.)
    """
    import corpus

    entry = corpus.load_entry(corpus.SUBMISSIONS / "hostile/tamper_other_layouts")
    submission = corpus.assemble(entry, tmp_path / "submission")
    private = tmp_path / "tmp"
    private.mkdir()
    only = ["--only", "functions.softmax", "--only", "layers.Affine"]
    off = run_cli(submission, private, "--sandbox", "off", *only)
    out, err = off.communicate(timeout=300)
    assert off.returncode == 0, err
    assert affine_line_full(out), out
    sealed = run_cli(submission, private, *only)
    out, err = sealed.communicate(timeout=300)
    assert sealed.returncode == 0, err
    assert not affine_line_full(out), out


def test_concurrent_gradings_cannot_touch_each_other(shared_tmp):
    """A correct submission graded while hostile/tamper_other_layouts runs beside it keeps full marks."""
    import corpus

    entry = corpus.load_entry(corpus.SUBMISSIONS / "hostile/tamper_other_layouts")
    attacker_dir = corpus.assemble(entry, shared_tmp / "attacker")
    victim_dir = shared_tmp / "victim"
    victim_dir.mkdir()
    for module in corpus.MODULE_FILES:  # the victim's layers.py has the same bug the attacker "fixes"
        text = (corpus.SOLUTIONS / module).read_text()
        (victim_dir / module).write_text(text.replace("np.sum(dout, axis=0)", "np.sum(dout, axis=1)"))
    only = ["--only", "functions.softmax", "--only", "layers.Affine"]
    victims = [run_cli(victim_dir, shared_tmp, *only) for _ in range(2)]
    attacker = run_cli(attacker_dir, shared_tmp, *only)
    outs = [p.communicate(timeout=300) for p in (*victims, attacker)]
    assert all(p.returncode == 0 for p in (*victims, attacker)), [e for _, e in outs]
    for out, _ in outs:
        assert not affine_line_full(out), out  # nobody's buggy Affine was replaced
    assert list((shared_tmp / f"dlgrade-{os.geteuid()}").iterdir()) == [], "a grading left files behind"


MARKER = "dlgrade-hostile-persist.marker"
PERSIST_PLACES = [Path("/tmp"), Path("/var/tmp"), Path("/dev/shm"), KIT / "autograder",
                  KIT / "autograder" / "__pycache__", KIT / "mnist_data", KIT / "mnist_data" / "__pycache__",
                  KIT / "mnist_data" / "cache"]


@pytest.mark.parametrize("sandbox", ["auto", "uid", "off"])
def test_a_submission_persists_nothing(tmp_path, sandbox):
    """hostile/persist_everywhere leaves files in the kit, the MNIST cache and /tmp: only at level off."""
    unique = f"{MARKER}-{os.getpid()}-{sandbox}"  # tests running side by side must not see each other's
    markers = [place / unique for place in PERSIST_PLACES]
    try:
        result = grade_entry("hostile/persist_everywhere", tmp_path, sandbox, only=("optimizer.SGD",),
                             rename=(MARKER, unique))
        assert result.score == pytest.approx(result.max_score)
        left = [m for m in markers if m.exists()]
        if sandbox == "off":
            assert KIT / "autograder" / unique in left and Path("/tmp") / unique in left
        else:
            assert left == []
    finally:
        for m in markers:
            if m.exists():
                m.unlink()


def test_uid_level_removes_what_dead_workers_left_in_tmp():
    """Files of a dedicated uid no process has (a SIGKILLed grader's workers) go when the next grader starts."""
    low, count = isolation.dedicated_ids()
    dead_uid = low + count - 1
    path = Path("/tmp") / f"dlgrade-test-left-{os.getpid()}"
    path.write_text("left by a worker of a killed grader")
    os.chown(path, dead_uid, dead_uid)
    mine = Path("/tmp") / f"dlgrade-test-mine-{os.getpid()}"
    mine.write_text("someone else's")
    try:
        assert isolation.resolve("uid").level == "uid"
        assert not path.exists() and mine.exists()
    finally:
        for p in (path, mine):
            if p.exists():
                p.unlink()


@pytest.mark.parametrize("name", ["bwrap", "uid"])
def test_replaced_and_closed_workers_leave_no_zombies(name):
    """bwrap's own child (the sandbox's pid 1) is adopted by the grader when bwrap dies: it is collected too."""
    from autograder.sandbox.strays import all_stats

    root = make_layout()
    before = {pid for pid, stat in all_stats() if stat[1] == os.getpid() and stat[0] == "Z"}
    with Worker(root, import_paths=[root / "pkg"], isolation=level(name)) as w:
        w.import_module("hostile")
        w.restart()
        w.import_module("hostile")
    time.sleep(0.2)
    after = {pid for pid, stat in all_stats() if stat[1] == os.getpid() and stat[0] == "Z"}
    assert after <= before, f"zombie children left: {after - before}"


@pytest.mark.parametrize("name", ["bwrap", "uid"])
def test_data_files_are_readable_and_nothing_beside_them(shared_tmp, name):
    """The gate's worker reads the data files it was given (even below /tmp), not their neighbours, never writes."""
    data = shared_tmp / "cache" / "x_train.npy"
    data.parent.mkdir()
    os.chmod(data.parent, 0o755)
    data.write_text("the arrays")
    os.chmod(data, 0o644)
    secret = data.parent / "other.npy"
    secret.write_text("not given")
    os.chmod(secret, 0o600)
    root = make_layout()
    with Worker(root, import_paths=[root / "pkg"], isolation=level(name), data_files=[data]) as w:
        mod = w.import_module("hostile")
        assert mod.read(str(data)) == "the arrays"
        assert mod.read(str(secret)) is None
        assert not mod.try_write(str(data))
    assert data.read_text() == "the arrays"


# ----------------------------------------------------------------------------- what workers see of site-packages


def _site_with_pth(tmp_path, monkeypatch):
    """A site-packages folder whose .pth adds a dependency folder and a clone of the kit."""
    from autograder.sandbox import boot

    site_dir, deps, clone = tmp_path / "site-packages", tmp_path / "deps", tmp_path / "clone"
    for folder in (site_dir, deps / "somedep", clone / "solutions"):
        folder.mkdir(parents=True)
    (site_dir / "extra.pth").write_text(f"# comment\nimport os\n{deps}\n{clone}\n")
    monkeypatch.setattr(boot.site, "getsitepackages", lambda: [str(site_dir)])
    monkeypatch.setattr(boot.site, "ENABLE_USER_SITE", False)
    boot.site_dirs.cache_clear()
    return boot, site_dir, deps, clone


def test_folders_added_by_pth_files_reach_the_worker_but_not_a_clone_of_the_kit(tmp_path, monkeypatch):
    """numpy may come from a folder a .pth names (a --user install, conda develop): workers, started
    with python -S, need it. A folder holding the solutions (an old-style editable install adds the
    repository) must never be bound; without the check it would be."""
    boot, site_dir, deps, clone = _site_with_pth(tmp_path, monkeypatch)
    try:
        assert boot.site_dirs() == [str(site_dir), os.path.realpath(deps)]
        monkeypatch.setattr(boot, "kit_names", lambda: frozenset())  # the protection removed
        boot.site_dirs.cache_clear()
        assert os.path.realpath(clone) in boot.site_dirs()
    finally:
        boot.site_dirs.cache_clear()


def test_kill_strays_skips_only_processes_older_than_the_worker():
    """born_after (the worker's start) spares only what started before it; a process started at or after it dies."""
    from autograder.sandbox.strays import TOKEN_ENV, kill_strays, proc_stat

    token = "b" * 32
    proc = subprocess.Popen(["sleep", "30"], env={**os.environ, TOKEN_ENV: token})
    try:
        started = None
        while started is None:
            stat = proc_stat(proc.pid)
            started = stat[4] if stat is not None else None
        assert kill_strays(token, born_after=started + 1, keep=(proc.pid,)) == set()
        assert proc.poll() is None
        assert kill_strays(token, born_after=started, keep=(proc.pid,)) == {proc.pid}
        assert proc.wait(timeout=5) == -9
    finally:
        proc.kill()
        proc.wait()
