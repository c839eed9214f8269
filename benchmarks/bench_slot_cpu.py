"""Benchmark: where the CPU of one submission goes in a batch slot (grader and workers, by phase).

A batch keeps both cores busy, so its time per submission is the CPU a submission costs,
halved: this is the budget ``bench_batch.py``'s ratio depends on. The class of
``bench_batch.py`` is graded here in one process after a warm-up, as a slot grades it
(kit imported once, one BLAS thread), and the CPU time is attributed:

- grader, per phase: start-up (copying the submission, writing the layouts, starting the
  workers), the checks of each exercise module (pytest's own work included), the MNIST gate
  (its audit thread included), and the rest (collection, closing the workers, results);
- workers: the gate's worker and the module workers, each process and everything below it
  (bwrap), sampled from /proc every 20 ms by a separate process (psutil), so the last 20 ms of
  a worker may be missed.

Usage: MNIST_DATA_DIR=... python benchmarks/bench_slot_cpu.py [--count 6]
"""
import argparse
import collections
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):  # as in a slot (batch/slot.py)
    os.environ[name] = "1"

import psutil  # noqa: E402
import pytest  # noqa: E402

from timing import ROOT  # noqa: E402

sys.path.insert(0, str(ROOT))
import bench_batch  # noqa: E402
from autograder import grading, pool  # noqa: E402
from autograder.exercises import ALL_STUDENT, module_of  # noqa: E402


class PhaseClock:
    """Grader CPU (every thread) charged to the phase that is running."""

    def __init__(self):
        self.totals = collections.Counter()
        self.phase, self.mark = "rest", time.process_time()

    def switch(self, phase):
        now = time.process_time()
        self.totals[self.phase] += now - self.mark
        self.phase, self.mark = phase, now


CLOCK = PhaseClock()
SPAWNED = []  # (config, pid) of every worker process started


class TimedPlugin(grading.GradingPlugin):
    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(self, item, nextitem):
        exercise = item.get_closest_marker("exercise")
        module = module_of(exercise.args[0]) if exercise else "rest"
        CLOCK.switch("MNIST gate" if module == ALL_STUDENT else f"checks: {module}")
        try:
            return (yield)
        finally:
            CLOCK.switch("rest")


class TimedPool(pool.WorkerPool):
    def start(self, configs):
        CLOCK.switch("start-up")
        try:
            return super().start(configs)
        finally:
            CLOCK.switch("rest")

    def worker(self, config):
        fresh = config not in self._workers
        found = super().worker(config)
        if fresh:
            SPAWNED.append((config, found.pid))
        return found


WATCHER = """
import json, select, sys, time
import psutil
grader, seen = psutil.Process(int(sys.argv[1])), {}
while not select.select([sys.stdin], [], [], 0.02)[0]:
    for proc in grader.children(recursive=True):
        try:
            times = proc.cpu_times()
            seen.setdefault(proc.pid, [0.0, proc.ppid()])[0] = times.user + times.system
        except psutil.Error:
            pass
print(json.dumps(seen))
"""


def start_watcher():
    """A separate process that samples the CPU of every descendant of this one (its own CPU
    then stays out of the grader's): pid -> (cpu, parent pid when first seen)."""
    return subprocess.Popen([sys.executable, "-c", WATCHER, str(os.getpid())], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)


def stop_watcher(proc):
    out, _ = proc.communicate("stop\n")
    return {int(pid): (cpu, ppid) for pid, (cpu, ppid) in json.loads(out).items() if int(pid) != proc.pid}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=6, help="submissions of the class to grade (spread over it)")
    args = parser.parse_args()
    grading.GradingPlugin = TimedPlugin
    grading.WorkerPool = TimedPool
    tmp = Path(tempfile.mkdtemp(prefix="bench-slot-cpu-"))
    try:
        klass = tmp / "class"
        klass.mkdir()
        students = bench_batch.build_class(klass)
        chosen = students[::max(1, len(students) // args.count)][:args.count]
        options = grading.GradeOptions(lang="en")
        grading.grade(str(ROOT / "solutions"), options)  # warm-up: what a slot pays once
        CLOCK.totals.clear()
        SPAWNED.clear()
        watcher = start_watcher()
        walls = []
        CLOCK.switch("rest")
        for student in chosen:
            start = time.perf_counter()
            grading.grade(str(student), options)
            walls.append(time.perf_counter() - start)
        CLOCK.switch("rest")
        seen = stop_watcher(watcher)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    n = len(chosen)
    parents = {pid: ppid for pid, (_, ppid) in seen.items()}
    top = {pid: config for config, pid in SPAWNED}

    def config_of(pid):
        while pid in parents and pid not in top:
            pid = parents[pid]
        return top.get(pid, "other")

    workers = collections.Counter()
    for pid, (cpu, _) in seen.items():
        config = config_of(pid)
        workers["gate worker ('all')" if config == ALL_STUDENT else
                "module workers (.own reruns included)" if config != "other" else "other"] += cpu
    grader_total = sum(CLOCK.totals.values())
    total = grader_total + sum(workers.values())
    print(f"{n} submissions of the bench_batch class, graded one after another in one process "
          f"(wall {statistics.median(walls):.2f} s median); CPU seconds per submission:")
    for label, value in sorted(CLOCK.totals.items(), key=lambda kv: -kv[1]):
        print(f"  grader  {label:38s} {value / n:5.2f}  ({100 * value / total:4.1f}%)")
    for label, value in sorted(workers.items(), key=lambda kv: -kv[1]):
        print(f"  workers {label:38s} {value / n:5.2f}  ({100 * value / total:4.1f}%)")
    print(f"  total                                           {total / n:5.2f}  (grader {grader_total / n:.2f}, "
          f"workers {(total - grader_total) / n:.2f}; worker processes started: {len(SPAWNED) / n:.1f} per "
          f"submission)")
    print(f"  -> two slots on two cores need at least {total / n / 2:.2f} s per submission")


if __name__ == "__main__":
    main()
