"""Benchmark of the worker isolation layer: start-up, round trips, shutdown.

Run:  python benchmarks/bench_worker.py [--runs N]

Reports medians (and min/max) of:
- cold start: Worker() until the first reply (python -I + numpy + worker set-up);
- 6 workers started together until all replied (the grader starts ~6 per submission);
- round trip of ``ping`` (no student code) and of a small student call;
- a call sending a 100x784 float64 array and receiving one back;
- ``map`` of 100 small calls in one round trip;
- close(): kill the process group, scan /proc for strays, reap.

Start-up and close are measured at each isolation level this machine can make
(``off`` and the sandbox's ``bwrap``, ``uid`` as root), alternating, and the
sandbox's start-up is given as a ratio to ``off`` measured in the same run.
"""
import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from autograder.sandbox import isolation, tempdirs  # noqa: E402
from autograder.sandbox.worker import Worker  # noqa: E402

MODULE = """
def add(a, b):
    return a + b


def identity(x):
    return x
"""


def timed(fn):
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def report(name, samples, unit="ms", scale=1e3):
    print(f"{name:<44} median {statistics.median(samples) * scale:8.2f} {unit}"
          f"   (min {min(samples) * scale:.2f}, max {max(samples) * scale:.2f}, n={len(samples)})")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10, help="repetitions per measurement")
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")

    # In the grader's private run folder, as layouts are (a worker with its own uid must reach it).
    with tempfile.TemporaryDirectory(dir=tempdirs.run_dir()) as tmp:
        root = Path(tmp)
        (root / "bench_mod.py").write_text(MODULE)
        kw = dict(import_paths=[root], timeout=30.0)
        levels = {"off": isolation.OFF}
        for name in ("bwrap", "uid"):
            try:
                levels[name] = isolation.resolve(name)
            except isolation.SandboxUnavailable as exc:
                print(f"level {name}: unavailable ({exc})")

        cold, close, group = ({name: [] for name in levels} for _ in range(3))
        for _ in range(args.runs):
            for name, level in levels.items():
                t0 = time.perf_counter()
                w = Worker(root, isolation=level, **kw)
                w.ping()
                cold[name].append(time.perf_counter() - t0)
                close[name].append(timed(w.close))
        for _ in range(max(1, args.runs // 2)):
            for name, level in levels.items():
                t0 = time.perf_counter()
                ws = [Worker(root, isolation=level, **kw) for _ in range(6)]
                for w in ws:
                    w.ping()
                group[name].append(time.perf_counter() - t0)
                for w in ws:
                    w.close()
        for name in levels:
            report(f"[{name}] cold start (Worker() -> first reply)", cold[name])
            report(f"[{name}] 6 workers started together, all ready", group[name])
            report(f"[{name}] close() (kill group + /proc scan + reap)", close[name])
        for name in levels:
            if name != "off":
                print(f"start-up {name} / off: cold {statistics.median(cold[name]) / statistics.median(cold['off']):.2f}x, "
                      f"6 together {statistics.median(group[name]) / statistics.median(group['off']):.2f}x")

        with Worker(root, **kw) as w:
            mod = w.import_module("bench_mod")
            add, identity = mod.add, mod.identity
            x = np.random.default_rng(0).normal(size=(100, 784))
            n = max(200, args.runs * 20)
            report("ping round trip", [timed(w.ping) for _ in range(n)], "us", 1e6)
            report("small call add(1, 2)", [timed(lambda: add(1, 2)) for _ in range(n)], "us", 1e6)
            report("call with 100x784 float64 in and out", [timed(lambda: identity(x)) for _ in range(n)], "us", 1e6)
            calls = [(i, 1) for i in range(100)]
            report("map of 100 small calls", [timed(lambda: add.map(calls)) for _ in range(n // 4)], "us", 1e6)


if __name__ == "__main__":
    main()
