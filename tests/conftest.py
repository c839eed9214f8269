"""Settings shared by the project's own tests.

The checks draw their inputs from a course secret, else from a random seed per run
(``autograder.seeds``). The test suite fixes a secret, for itself and every ``dlgrade`` it
starts, so a failure in CI can be replayed; tests/test_trust.py grades with other seeds.
Fixtures shared by test modules live here too (helpers that need no fixture: tests_support.py).
"""
import os

os.environ.setdefault("DLGRADE_SECRET", "dlgrade's own test suite")
# Messages in English (the corpus expects English text) whatever the machine's locale;
# tests/test_i18n.py chooses languages itself.
os.environ.setdefault("DLGRADE_LANG", "en")

import importlib.util
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest


def pytest_configure(config):
    # An install made before solutions/ was mapped to dlscratch_reference (pyproject.toml) cannot
    # import the reference: say how to fix it once, instead of hundreds of import errors.
    if importlib.util.find_spec("dlscratch_reference") is None:
        pytest.exit("the reference package dlscratch_reference is not installed (the install predates "
                    "pyproject.toml's package-dir mapping of solutions/): run  pip install -e '.[test]'",
                    returncode=4)


# Markers of tests that grade, train or start processes for seconds to minutes.
HEAVY_MARKERS = ("slow", "mnist", "nbgrader", "dask", "browser")


def pytest_collection_modifyitems(config, items):
    """Run the modules with the most heavy tests first, each module's tests still together
    and in their own order.

    Under ``pytest -n 2`` the last tests to start are then short ones and both workers finish
    at about the same time; in file order a minutes-long test could start last and run alone
    (CI's budget is 15 minutes on 2 cores). Modules stay contiguous so that a module-scoped
    fixture (an nbgrader course, a built venv) is still set up about once per worker.
    """
    heavy: dict[str, int] = {}
    for item in items:
        module = item.nodeid.split("::")[0]
        marked = any(item.get_closest_marker(name) for name in HEAVY_MARKERS)
        heavy[module] = heavy.get(module, 0) + marked
    items.sort(key=lambda item: -heavy[item.nodeid.split("::")[0]])  # stable: in-module order kept


def _fresh_venv(venv: Path, package, timeout: float = 900) -> Path:
    """A new virtual environment at ``venv`` with ``package`` (a wheel or a project folder)
    pip-installed without its dependencies; returns the venv's python.

    The dependencies (numpy, pytest, ...) come from this test run's environment through a
    ``.pth`` line naming its site-packages: installing them again costs minutes of CI for nothing
    under test. A plain path line runs none of that folder's own ``.pth`` files, so the
    editable install of the kit in it stays invisible: what the venv imports of the kit comes
    from ``package`` alone (the tests check where it was imported from).
    """
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=300)
    python = venv / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    Path(site, "zz_test_run_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    # pip itself comes through that line too; run by the venv's python it installs into the venv
    # (scripts such as bin/dlgrade start the venv's python).
    done = subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", str(package)],
                          capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, done.stderr[-3000:]
    return python


@pytest.fixture(autouse=True)
def _english_each_test(monkeypatch):
    """Every test starts with DLGRADE_LANG=en and cannot leave another language to the next: a
    built notebook's setup cell, run in-process, sets DLGRADE_LANG (monkeypatch restores it)."""
    monkeypatch.setenv("DLGRADE_LANG", "en")


@pytest.fixture(scope="session")
def fresh_venv():
    """``fresh_venv(venv, package)``: a new venv with ``package`` installed (see _fresh_venv)."""
    return _fresh_venv


@pytest.fixture(scope="session")
def mnist_dir():
    """The MNIST folder of MNIST_DATA_DIR; a test using it fails (never skips) without the data."""
    data = os.environ.get("MNIST_DATA_DIR")
    if not data or not Path(data).is_dir():
        pytest.fail("MNIST_DATA_DIR must point at the four MNIST .gz files for this test")
    return Path(data)


@pytest.fixture(scope="session")
def make_class():
    """Build a class folder from corpus entries: make_class(dest, {student: "kind/name"}) -> dest.

    Each student's folder is the corpus entry assembled (``tests/corpus.py``): complete
    submissions with the entry's mistake.
    """
    import corpus

    entries = {e.id: e for e in corpus.load_all()}

    def build(dest, students):
        dest = Path(dest)
        dest.mkdir(parents=True, exist_ok=True)
        for student, entry_id in students.items():
            corpus.assemble(entries[entry_id], dest / student)
        return dest

    return build


class _Processes:
    """Look at processes through /proc (Linux): children of a pid, and whether a pid still runs."""

    @staticmethod
    def _stat(pid):
        # The command name in field 2 may hold spaces and parentheses: split after the last ")".
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()

    def children(self, pid):
        found = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    if int(self._stat(entry.name)[1]) == pid:
                        found.append(int(entry.name))
                except (OSError, IndexError, ValueError):
                    continue
        return found

    def alive(self, pid):
        try:
            return self._stat(pid)[0] != "Z"
        except (OSError, IndexError):
            return False

    def wait_gone(self, pids, timeout):
        """True when none of pids runs any more (waiting up to timeout seconds)."""
        import time

        end = time.monotonic() + timeout
        while any(self.alive(p) for p in pids):
            if time.monotonic() > end:
                return False
            time.sleep(0.1)
        return True


@pytest.fixture(scope="session")
def processes():
    """children(pid), alive(pid) and wait_gone(pids, timeout), read from /proc."""
    return _Processes()


CHROMIUM = "/usr/bin/chromium"


@pytest.fixture
def offline_page():
    """open(path, width=..., height=...) -> (page, problems): a local HTML file in headless Chromium
    (Debian's /usr/bin/chromium, driven by playwright), with every request that is not file: or
    data: blocked. ``problems`` collects console errors and warnings, page errors and blocked or
    failed requests. The browser closes at the end of the test."""
    import shutil

    from playwright.sync_api import sync_playwright

    assert shutil.which("chromium") or Path(CHROMIUM).exists(), "install Chromium: apt-get install -y chromium"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        try:
            def open_page(path, width=1200, height=900):
                page = browser.new_page(viewport={"width": width, "height": height})
                problems = []
                page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}")
                        if m.type in ("error", "warning") else None)
                page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
                page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))

                def route(r):
                    if r.request.url.startswith(("file:", "data:")):
                        r.continue_()
                    else:
                        problems.append(f"network request: {r.request.url}")
                        r.abort()

                page.route("**/*", route)
                page.goto(Path(path).resolve().as_uri())
                page.wait_for_load_state("load")
                return page, problems

            yield open_page
        finally:
            browser.close()
