"""The one way the benchmarks time a command: wall time of a subprocess, stopping on failure."""
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def timed(cmd, cwd=ROOT):
    """Run cmd in cwd; return (seconds, stdout). A failing command ends the benchmark with its stderr."""
    start = time.perf_counter()
    proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, cwd=cwd)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"benchmark command failed: {' '.join(map(str, cmd))}\n{proc.stderr[-3000:]}")
    return elapsed, proc.stdout
