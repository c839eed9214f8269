"""Progress of a batch: a live bar on a terminal (tqdm), one plain line per submission otherwise."""
from __future__ import annotations

import os
import sys

from tqdm import tqdm

from autograder.batch.records import GRADED
from autograder.sanitize import clean_text


def _fmt(x):
    return f"{x:.2f}".rstrip("0").rstrip(".")


class Progress:
    """Count finished submissions and show them.

    Inputs:
    - total: submissions in the class.
    - reused: how many were taken from the journal (counted as done from the start).
    - stream: where to write (default stderr); a TTY gets a tqdm bar (done/total, rate,
      ETA, failures so far), anything else one line per submission.
    """

    def __init__(self, total: int, reused: int = 0, stream=None):
        self.stream = stream if stream is not None else sys.stderr
        self.total, self.done, self.failures = total, reused, 0
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.bar = None
        if self.tty:
            try:
                size = os.get_terminal_size(self.stream.fileno())
            except (OSError, ValueError):
                size = os.terminal_size((0, 0))
            known = size.columns > 0 and size.lines > 0
            # A terminal that reports no size (a bare pty) would get a zero-size, invisible bar.
            self.bar = tqdm(total=total, initial=reused, file=self.stream, unit="sub", desc="grading",
                            dynamic_ncols=known, ncols=None if known else 100, nrows=None if known else 24,
                            smoothing=0.1)
            self.bar.set_postfix_str("failures 0", refresh=False)
        elif reused:
            self.stream.write(f"{reused} of {total} reused from the journal\n")
            self.stream.flush()

    def update(self, record) -> None:
        """One more submission finished (a SubmissionRecord)."""
        self.done += 1
        if record.status != GRADED:
            self.failures += 1
        if self.bar is not None:
            self.bar.set_postfix_str(f"failures {self.failures}", refresh=False)
            self.bar.update(1)
            return
        if record.status == GRADED:
            what = f"{_fmt(record.result.score)} / {_fmt(record.result.max_score)}"
        else:
            what = f"{record.status}: {clean_text(record.message.splitlines()[0]) if record.message else ''}"
        # A file name can hold ESC: cleaned, it cannot paint over the TA's terminal.
        self.stream.write(f"[{self.done}/{self.total}] {clean_text(record.student)}: {what} ({record.elapsed:.1f} s)"
                          f"{f'  [failures so far: {self.failures}]' if self.failures else ''}\n")
        self.stream.flush()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
