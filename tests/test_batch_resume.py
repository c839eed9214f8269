"""A batch killed with kill -9 halfway: the same command finishes the class, regrading only the rest.

The class is graded on a few exercises (``--only``) so that it takes seconds; the journal
does not care what was graded, only that each entry is whole.
"""
import os
import re
import signal
import subprocess
import sys
import time

import pytest

ONLY = ["--only", "functions.softmax", "--only", "functions.cross_entropy_error", "--only", "layers.Relu"]
CLASS = {"alice": "correct/book_style", "bob": "buggy/softmax_axis0", "carol": "buggy/cee_without_delta",
         "dave": "hostile/syntax_error", "erin": "correct/modern_python", "frank": "buggy/relu_backward_ones",
         "gina": "correct/loops_and_views"}


def batch_cmd(class_dir, out, jobs):
    return [sys.executable, "-m", "autograder", "batch", str(class_dir), "--out", str(out), "-j", str(jobs), *ONLY]


@pytest.mark.slow
def test_kill_9_halfway_then_the_same_command_finishes_the_class(make_class, processes, tmp_path):
    root = make_class(tmp_path / "class", CLASS)
    reference = subprocess.run(batch_cmd(root, tmp_path / "reference", 2), capture_output=True, text=True, timeout=600)
    assert reference.returncode == 0, reference.stderr

    out = tmp_path / "out"
    journal = out / ".dlgrade-journal"
    proc = subprocess.Popen(batch_cmd(root, out, 1), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    slots = []
    while time.monotonic() < deadline:
        slots = processes.children(proc.pid) or slots
        if journal.is_dir() and len(list(journal.glob("*.json"))) >= 2:
            break
        time.sleep(0.02)
    else:
        pytest.fail("the batch never journaled two submissions")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    done = len(list(journal.glob("*.json")))
    assert 2 <= done < len(CLASS), f"killed too late to test anything ({done} done)"
    assert not (out / "gradebook.csv").exists()
    assert slots, "the batch had a grader slot"
    assert processes.wait_gone(slots, 15), "grader slots end when their batch is killed"

    again = subprocess.run(batch_cmd(root, out, 2), capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr
    reused = int(re.search(r"(\d+) reused from the journal", again.stdout).group(1))
    assert reused == done, again.stdout  # a journal entry is whole or absent: all of them count
    assert len([line for line in again.stderr.splitlines() if line.startswith("[")]) == len(CLASS) - reused
    assert (out / "gradebook.csv").read_bytes() == (tmp_path / "reference" / "gradebook.csv").read_bytes()
    for student in CLASS:
        assert (out / student / "results.json").is_file() and (out / student / "report.txt").is_file()
