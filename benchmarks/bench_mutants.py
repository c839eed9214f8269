"""Benchmark: `dlgrade mutants` on one exercise, serial and in parallel.

Each run is a fresh `dlgrade mutants --exercise EXERCISE -j N` process. Prints
the median wall time for -j 1 and -j 2 (runs interleaved, so both see the same
machine load), their ratio, and the median time per mutant against a baseline
measured in the same run: one `dlgrade grade --only EXERCISE` of the reference
(what grading one mutant costs at least).

Usage: python benchmarks/bench_mutants.py [--runs 3] [--exercise layers.Affine]
"""
import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

from timing import ROOT, timed
DLGRADE = [sys.executable, "-m", "autograder"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--exercise", default="layers.Affine")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "mutants.json"
        times = {"baseline": [], 1: [], 2: []}
        for _ in range(args.runs):
            times["baseline"].append(timed([*DLGRADE, "grade", str(ROOT / "solutions"), "--only", args.exercise])[0])
            for jobs in (1, 2):
                times[jobs].append(timed([*DLGRADE, "mutants", "--exercise", args.exercise, "-j", str(jobs),
                                          "--json", str(report)])[0])
        doc = json.loads(report.read_text())
    graded = sum(e["killed"] + e["survived"] + e["error"] for e in doc["exercises"])
    median = {k: statistics.median(v) for k, v in times.items()}
    print(f"{args.exercise}: {graded} mutants graded, {args.runs} runs each")
    print(f"baseline (one dlgrade grade --only {args.exercise}): {median['baseline']:.2f} s")
    for jobs in (1, 2):
        print(f"-j {jobs}: {median[jobs]:.1f} s, {median[jobs] / max(graded, 1):.2f} s per mutant "
              f"= {median[jobs] / max(graded, 1) / median['baseline']:.2f} x baseline")
    print(f"ratio -j 2 / -j 1: {median[2] / median[1]:.2f}")


if __name__ == "__main__":
    main()
