"""Benchmark: grade the reference solutions end to end, cold, several times, sandbox on and off.

Each run is a fresh process (cold start: interpreter, imports, workers, all
checks and the MNIST gate), as a TA's `dlgrade grade` would be. Runs with the
sandbox (``--sandbox auto``: bubblewrap here) and without it (``--sandbox off``)
alternate, so both see the same machine load. Prints the median wall time of
each, their ratio (the sandbox's cost; target at most 1.3), the median time per
phase, and the ratio to a baseline measured in the same run (a bare
`python -c "import numpy, pytest"`), so the figures can be compared across
noisy machines.

Usage: MNIST_DATA_DIR=... python benchmarks/bench_grade.py [--runs 7] [SUBMISSION]
"""
import argparse
import json
import statistics
import sys

from timing import ROOT, timed

CHILD = """
import json, sys, time
t0 = time.perf_counter()
from autograder.grading import GradeOptions, grade
t_import = time.perf_counter() - t0
result = grade(sys.argv[1], GradeOptions(sandbox=sys.argv[2]))
phases = {"imports": t_import, **result.phases}
print(json.dumps({"score": result.score, "phases": phases, "isolation": result.isolation}))
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("submission", nargs="?", default=str(ROOT / "solutions"))
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()

    modes = ("auto", "off")
    baseline, totals, phases, levels = [], {m: [] for m in modes}, {m: {} for m in modes}, {}
    timed([sys.executable, "-c", CHILD, args.submission, "auto"])  # warm the MNIST cache and the OS file cache
    for _ in range(args.runs):
        baseline.append(timed([sys.executable, "-c", "import numpy, pytest"])[0])
        for mode in modes:
            elapsed, out = timed([sys.executable, "-c", CHILD, args.submission, mode])
            report = json.loads(out.strip().splitlines()[-1])
            if report["score"] != 100:
                sys.exit(f"expected the reference to score 100, got {report['score']} (--sandbox {mode})")
            levels[mode] = report["isolation"]
            totals[mode].append(elapsed)
            for name, seconds in report["phases"].items():
                phases[mode].setdefault(name, []).append(seconds)

    base = statistics.median(baseline)
    print(f"runs: {args.runs}  (median of each figure)")
    label = 'baseline: python -c "import numpy, pytest"'
    print(f"{label:<48} {base:7.3f} s")
    for mode in modes:
        total = statistics.median(totals[mode])
        label = f"grade reference, cold, --sandbox {mode} ({levels[mode]})"
        print(f"{label:<48} {total:7.3f} s   ({total / base:.1f}x baseline)")
        for name, values in phases[mode].items():
            print(f"  {name:<46} {statistics.median(values):7.3f} s")
        print(f"  min/max end to end: {min(totals[mode]):.3f} / {max(totals[mode]):.3f} s")
    ratio = statistics.median(totals["auto"]) / statistics.median(totals["off"])
    print(f"sandbox cost: {levels['auto']} / off = {ratio:.2f}x  (target <= 1.3)")

if __name__ == "__main__":
    main()
