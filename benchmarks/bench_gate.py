"""Benchmark: the audited MNIST gate against the bare reference training loop, in the same run.

Three figures, medians over --runs, each repetition interleaved so that machine noise hits
them alike:

- bare: the reference TwoLayerNet trained in this process with the gate's settings (pure
  numpy, one BLAS thread, no worker, no audit, no evaluation): the floor;
- train: ``autograder.gate.train`` on the reference submission in a real worker (the student's
  gradients, the grader's replayed update and the per-iteration audit), without evaluation;
- gate: the whole gate check through ``grade(..., only={'mnist'})``: worker start, training,
  audit and the accuracy evaluation of every snapshot (what a TA waits for).

The ratios gate / bare and train / bare are the figures to quote. ``--compare-tree DIR`` also
times the gate check of another checkout (e.g. ``git worktree add /tmp/before <commit>``
before the audit existed) in the same run, and prints this gate's ratio to that one.

Usage: MNIST_DATA_DIR=... python benchmarks/bench_gate.py [--runs 5] [--compare-tree DIR]

Measured on the 2-core development machine while other jobs kept its load at 10-16, with
``--compare-tree`` on a checkout of ab4bdb1 (the gate that trained inside the worker, before
the audit): audited gate / unaudited gate 1.03 (5 runs), 1.16 and 1.30 (3 runs each);
audited training alone 1.8-3.8x the bare loop, the whole audited gate 2.1-4.7x.

With the float32 audit (the reference layers on float32 copies, the first layer skipping dx),
at load 15, 3 runs, ``--compare-tree`` on 261c13b (the float64 audit): audited training 1.70x
bare, whole gate 2.29x, the float64-audit gate 2.10x (wall times at that load follow the
worker, whose student gradients are unchanged). The grader process's CPU time for a
gate-only grading fell from 4.85 s to 3.5 s (two runs each, ``time.process_time``); per
iteration the audit went from 2.0 ms to 0.7 ms of CPU.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Each figure is measured in a fresh process, as a TA's `dlgrade grade` would run it.
CHILD = r"""
import json, sys, time
import numpy as np
from threadpoolctl import threadpool_limits
import mnist_data
from autograder.rubric import MnistGate

what = sys.argv[1]
gate = MnistGate()
if what == "gate":
    from autograder.grading import GradeOptions, grade
    result = grade(sys.argv[2], GradeOptions(only=frozenset({"mnist"})))
    assert result.score == result.max_score > 0, result.output
    print(json.dumps({"seconds": result.phases["mnist gate"]}))
    sys.exit()
paths = mnist_data.cache_paths()
x_train = np.load(paths["x_train"], mmap_mode="r").reshape(60000, 784)
t_train = np.load(paths["t_train"], mmap_mode="r")
from dlscratch_reference import two_layer_net as ref
if what == "bare":
    with threadpool_limits(limits=1):
        start = time.perf_counter()
        np.random.seed(gate.seed)
        batches = np.random.default_rng(gate.seed)
        net = ref.TwoLayerNet(784, gate.hidden_size, 10)
        velocity = {k: np.zeros_like(v) for k, v in net.params.items()}
        eye = np.eye(10)
        for _ in range(gate.iterations):
            idx = batches.choice(len(x_train), gate.batch_size)
            x = np.divide(x_train[idx], np.float32(255.0), dtype=np.float32)
            grads = net.gradient(x, eye[t_train[idx]])
            for k in velocity:
                velocity[k] *= gate.momentum
                velocity[k] -= gate.lr * grads[k]
                net.params[k] += velocity[k]
        print(json.dumps({"seconds": time.perf_counter() - start}))
elif what == "train":
    from autograder import gate as audited
    from autograder.exercises import MODULES
    from autograder.submission import load_submission
    from autograder.sandbox import Worker
    with load_submission(sys.argv[2]) as submission:
        layout = submission.layout("all", MODULES)
        with Worker(layout.root, import_paths=layout.import_paths, timeout=120) as worker, \
                threadpool_limits(limits=1):
            module = worker.import_module("submission.two_layer_net")
            start = time.perf_counter()
            run = audited.train(worker, module, x_train, t_train, gate, ref, timeout=120)
            print(json.dumps({"seconds": time.perf_counter() - start, "last_loss": float(run.losses[-1])}))
"""


def timed(what, submission, cwd=ROOT):
    env = dict(os.environ, PYTHONPATH=str(cwd))
    proc = subprocess.run([sys.executable, "-c", CHILD, what, submission], capture_output=True, text=True,
                          cwd=cwd, env=env)
    if proc.returncode != 0:
        sys.exit(f"benchmark step {what} failed in {cwd}:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])["seconds"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--compare-tree", type=Path, default=None,
                        help="another checkout of the kit whose gate check is timed in the same run")
    args = parser.parse_args()
    if not os.environ.get("MNIST_DATA_DIR"):
        sys.exit("set MNIST_DATA_DIR to the folder with the four MNIST .gz files")
    solutions = str(ROOT / "solutions")
    figures = {"bare": [], "train": [], "gate": []}
    if args.compare_tree:
        figures["before"] = []
    timed("gate", solutions)  # warm the MNIST cache and the OS file cache
    for _ in range(args.runs):
        for name in figures:
            if name == "before":
                figures[name].append(timed("gate", str(args.compare_tree / "solutions"), args.compare_tree))
            else:
                figures[name].append(timed(name, solutions))
    med = {name: statistics.median(values) for name, values in figures.items()}
    print(f"runs: {args.runs}  (medians; {os.cpu_count()} cores)")
    print(f"{'bare reference training loop, in process':<52} {med['bare']:7.3f} s")
    print(f"{'audited training (gate.train, real worker)':<52} {med['train']:7.3f} s   "
          f"({med['train'] / med['bare']:.2f}x bare)")
    print(f"{'gate check end to end (incl. evaluation)':<52} {med['gate']:7.3f} s   "
          f"({med['gate'] / med['bare']:.2f}x bare)")
    if "before" in med:
        print(f"{'gate check of ' + str(args.compare_tree):<52} {med['before']:7.3f} s   "
              f"({med['before'] / med['bare']:.2f}x bare)")
        print(f"audited gate / compared gate: {med['gate'] / med['before']:.2f}")
    for name, values in figures.items():
        print(f"  {name}: min/max {min(values):.3f} / {max(values):.3f} s")


if __name__ == "__main__":
    main()
