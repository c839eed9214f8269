"""Benchmark mnist_data.load_mnist: cold (cache build) vs cached loads.

Usage:
    MNIST_DATA_DIR=/path/to/mnist python benchmarks/bench_mnist_load.py [--runs 7] [--cold-runs 3]

Scenarios (each for normalize=True and normalize=False, flatten=True):
- cold, new process: empty temporary cache folder, so the .gz files are
  hashed, decompressed, parsed and cached;
- cached, new process: what a training script sees when started again;
- cached, same process: repeated calls after a first one.
Times are taken inside the process around the load_mnist call only (interpreter
start and imports excluded) and reported as medians. Also reported: the cost of
hashing the four .gz files (done on every load) and of touching a fresh
60000x784 float32 array in a new process, which every loader returning that
array pays (large on VMs that back memory lazily).

The cache goes into a temporary folder (MNIST_CACHE_DIR), never into the data
folder or the package.
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap

CHILD = textwrap.dedent(
    """
    import sys, time
    from mnist_data import load_mnist
    normalize = sys.argv[1] == "True"
    repeats = int(sys.argv[2])
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        (x_train, t_train), (x_test, t_test) = load_mnist(normalize=normalize)
        times.append(time.perf_counter() - start)
        del x_train, t_train, x_test, t_test
    print(" ".join(repr(t) for t in times))
    """
)

HASH_CHILD = textwrap.dedent(
    """
    import time
    from mnist_data.files import MNIST_FILES, read_verified, resolve_data_dir
    folder, _ = resolve_data_dir()
    start = time.perf_counter()
    for spec in MNIST_FILES:
        read_verified(folder / spec.name, spec)
    print(repr(time.perf_counter() - start))
    """
)

TOUCH_CHILD = textwrap.dedent(
    """
    import time
    import numpy as np
    start = time.perf_counter()
    a = np.ones((60000, 784), np.float32)
    print(repr(time.perf_counter() - start))
    """
)


def run_child(code, args, env):
    out = subprocess.run([sys.executable, "-c", code, *map(str, args)], env=env, capture_output=True,
                         text=True, check=False)
    if out.returncode != 0:
        sys.exit(f"benchmark child failed:\n{out.stderr.strip()}")
    return [float(v) for v in out.stdout.split()]


def ms(seconds):
    return f"{1000 * statistics.median(seconds):8.1f}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="runs per cached scenario (default 7)")
    parser.add_argument("--cold-runs", type=int, default=3, help="runs per cold scenario (default 3)")
    args = parser.parse_args()
    data_dir = os.environ.get("MNIST_DATA_DIR")
    if not data_dir or not os.path.isdir(data_dir):
        sys.exit("set MNIST_DATA_DIR to the folder with the four MNIST .gz files")

    rows = []
    with tempfile.TemporaryDirectory(prefix="mnist-bench-") as tmp:
        env = dict(os.environ, MNIST_CACHE_DIR=os.path.join(tmp, "warm"))
        for normalize in (True, False):
            cold = []
            for i in range(args.cold_runs):
                cold_env = dict(env, MNIST_CACHE_DIR=os.path.join(tmp, f"cold-{normalize}-{i}"))
                cold += run_child(CHILD, [normalize, 1], cold_env)
            run_child(CHILD, [normalize, 1], env)  # make sure the warm cache exists
            new_process = [run_child(CHILD, [normalize, 1], env)[0] for _ in range(args.runs)]
            same_process = run_child(CHILD, [normalize, args.runs + 1], env)[1:]
            rows.append((normalize, cold, new_process, same_process))
        hashing = [run_child(HASH_CHILD, [], env)[0] for _ in range(args.runs)]
        touching = [run_child(TOUCH_CHILD, [], env)[0] for _ in range(args.runs)]

    print(f"load_mnist medians in ms (MNIST_DATA_DIR={data_dir})")
    print(f"{'normalize':>9} | {'cold (build)':>12} | {'cached, new proc':>16} | {'cached, same proc':>17}")
    print("-" * 64)
    for normalize, cold, new_process, same_process in rows:
        print(f"{normalize!s:>9} | {ms(cold):>12} | {ms(new_process):>16} | {ms(same_process):>17}")
    print(f"\nSHA-256 of the four .gz files (part of every load): {ms(hashing).strip()} ms")
    print(f"first touch of a new 60000x784 float32 array in a new process: {ms(touching).strip()} ms")
    print(f"(cold: {args.cold_runs} runs; cached: {args.runs} runs each)")


if __name__ == "__main__":
    main()
