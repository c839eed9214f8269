"""report.html: the class report, one self-contained page (plots embedded as PNG data URIs).

``class_stats`` turns the records into plain numbers (tested on its own); ``render_report``
lays them out with matplotlib figures; nothing is loaded from the network and the page runs
no script. Every string that came from a submission (ids, messages) is HTML-escaped.
"""
from __future__ import annotations

import base64
import html
import io
import re
import statistics
import time
from urllib.parse import quote
from dataclasses import dataclass, field

from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from autograder.atomic import write_text_atomic
from autograder.batch.gradebook import points
from autograder.batch.records import CRASHED, GRADED, REFUSED, TIMED_OUT
from autograder.exercises import EXERCISES
from autograder.plugin import TIMEOUT

# Results written before checks kept their failure as data (CheckResult.failure) say it only in
# English text; newer ones are read from the data, which does not change with --lang.
_HINT = re.compile(r"^\s*Hint:\s*(.+?)\s*$", re.MULTILINE)
_TIMEOUT = re.compile(r"timed out after", re.IGNORECASE)
MNIST = "mnist"
GATE_PHASE = "mnist gate"


@dataclass
class ClassStats:
    """Numbers of the class report (fractions are 0..1)."""

    n: int = 0
    by_status: dict = field(default_factory=dict)
    scores: list = field(default_factory=list)          # graded submissions' scores
    max_scores: list = field(default_factory=list)
    exercises: list = field(default_factory=list)       # (id, n graded, mean fraction of points, failure rate)
    checks: list = field(default_factory=list)          # (check id, title, n, failed, rate), worst first
    hints: list = field(default_factory=list)           # (hint, number of students, check ids), most first
    gate_accuracy: list = field(default_factory=list)   # final test accuracy per graded gate
    gate_threshold: float | None = None
    curves: list = field(default_factory=list)          # {"iterations", "test_accuracy", "loss"}
    times: list = field(default_factory=list)           # (student, seconds, gate seconds)
    stragglers: list = field(default_factory=list)      # (student, seconds)
    problems: list = field(default_factory=list)        # (student, status, message)
    check_timeouts: list = field(default_factory=list)  # (student, number of checks that timed out)


def class_stats(records) -> ClassStats:
    """Compute the report's numbers.

    Inputs:
    - records: list of SubmissionRecord.

    Returns:
    - a ClassStats.
    """
    s = ClassStats(n=len(records))
    for record in records:
        s.by_status[record.status] = s.by_status.get(record.status, 0) + 1
    graded = [r for r in records if r.result is not None]
    s.scores = [r.result.score for r in graded]
    s.max_scores = [r.result.max_score for r in graded]
    for exercise in EXERCISES:
        rows = []
        for r in graded:
            try:
                ex = r.result.exercise(exercise)
            except KeyError:
                continue
            if ex.graded and ex.max_score > 0:
                rows.append((ex.score / ex.max_score, bool(ex.failed)))
        if rows:
            s.exercises.append((exercise, len(rows), statistics.fmean(f for f, _ in rows),
                                sum(failed for _, failed in rows) / len(rows)))
    checks, hints = {}, {}
    for r in graded:
        timeouts = 0
        for c in r.result.checks:
            if not c.graded:
                continue
            entry = checks.setdefault(c.check_id, [c.name, 0, 0])
            entry[1] += 1
            if not c.passed:
                entry[2] += 1
                for hint in _hints(c):
                    students, ids = hints.setdefault(hint, (set(), set()))
                    students.add(r.student)
                    ids.add(c.check_id)
                if _timed_out(c):
                    timeouts += 1
            if c.exercise == MNIST and c.extra_data.get("test_accuracy"):
                s.gate_accuracy.append(c.extra_data["test_accuracy"][-1])
                s.gate_threshold = c.extra_data.get("threshold", s.gate_threshold)
                s.curves.append({k: c.extra_data.get(k, []) for k in ("iterations", "test_accuracy", "loss")})
        if timeouts:
            s.check_timeouts.append((r.student, timeouts))
    s.checks = sorted(((cid, title, n, failed, failed / n) for cid, (title, n, failed) in checks.items()),
                      key=lambda c: (-c[4], c[0]))
    s.hints = sorted(((hint, len(students), sorted(ids)) for hint, (students, ids) in hints.items()),
                     key=lambda h: (-h[1], h[0]))
    for r in records:
        gate = r.result.phases.get(GATE_PHASE, 0.0) if r.result is not None else 0.0
        s.times.append((r.student, r.elapsed, gate))
    if s.times:
        median = statistics.median(t for _, t, _ in s.times)
        slow = sorted(((st, t) for st, t, _ in s.times if t > 2 * median), key=lambda x: -x[1])
        s.stragglers = slow[:10] or sorted(((st, t) for st, t, _ in s.times), key=lambda x: -x[1])[:3]
    s.problems = [(r.student, r.status, r.message) for r in records if r.status != GRADED]
    return s


# ----------------------------------------------------------------------------- figures


def _hints(check) -> list:
    """The hints a failed check gave, in the language of its report."""
    if check.failure:
        return [check.failure["hint"]] if check.failure.get("hint") else []
    return _HINT.findall(check.output or "")


def _timed_out(check) -> bool:
    if check.failure:
        return check.failure.get("kind") == TIMEOUT
    return bool(_TIMEOUT.search(check.output or ""))


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=96, bbox_inches="tight")
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _img(fig, alt) -> str:
    return (f'<figure><img class="plot" alt="{html.escape(alt)}" '
            f'src="data:image/png;base64,{_png(fig)}"></figure>')


def _figure(width=7.0, height=3.2):
    fig = Figure(figsize=(width, height))
    return fig, fig.add_subplot()


def plot_scores(s):
    fig, ax = _figure()
    top = max(s.max_scores, default=100) or 100
    ax.hist(s.scores, bins=20, range=(0, top), color="#3b6ea5", edgecolor="white")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("score")
    ax.set_ylabel("submissions")
    ax.set_title(f"Scores of {len(s.scores)} graded submissions")
    return _img(fig, "histogram of scores")


def plot_exercises(s):
    fig = Figure(figsize=(9.0, 4.2))
    left, right = fig.subplots(1, 2, sharey=True)
    names = [e[0] for e in s.exercises]
    y = range(len(names))
    left.barh(y, [100 * e[2] for e in s.exercises], color="#3b6ea5")
    left.set_yticks(list(y), names, fontsize=8)
    left.invert_yaxis()
    left.set_xlim(0, 100)
    left.set_xlabel("mean points (% of the exercise)")
    right.barh(y, [100 * e[3] for e in s.exercises], color="#c0504d")
    right.set_xlim(0, 100)
    right.set_xlabel("failure rate (% of submissions)")
    fig.tight_layout()
    return _img(fig, "mean points and failure rate per exercise")


def plot_checks(s, top=15):
    worst = [c for c in s.checks if c[3]][:top]
    fig, ax = _figure(9.0, max(2.0, 0.3 * len(worst) + 1))
    y = range(len(worst))
    ax.barh(y, [100 * c[4] for c in worst], color="#c0504d")
    ax.set_yticks(list(y), [c[0] for c in worst], fontsize=7)
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel("failure rate (% of submissions)")
    ax.set_title(f"The {len(worst)} checks the class fails most")
    return _img(fig, "checks sorted by failure rate")


def plot_hints(s, top=12):
    shown = s.hints[:top]
    fig, ax = _figure(7.0, max(2.0, 0.3 * len(shown) + 1))
    y = range(len(shown))
    ax.barh(y, [h[1] for h in shown], color="#9c6ad1")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_yticks(list(y), [f"#{i + 1}" for i in y])
    ax.invert_yaxis()
    ax.set_xlabel("students")
    ax.set_title("Recognised mistakes (numbered as in the table)")
    return _img(fig, "how many students made each recognised mistake")


def plot_gate_accuracy(s):
    fig, ax = _figure(6.0, 3.0)
    low = max(0.0, min(min(s.gate_accuracy), s.gate_threshold or 1.0) - 0.02)
    ax.hist(s.gate_accuracy, bins=20, range=(low, 1.0), color="#3b6ea5", edgecolor="white")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    if s.gate_threshold is not None:
        ax.axvline(s.gate_threshold, color="#c0504d", linestyle="--", label="threshold")
        ax.legend(fontsize=8)
    ax.set_xlabel("final test accuracy")
    ax.set_ylabel("submissions")
    ax.set_title("MNIST gate: test accuracy after training")
    return _img(fig, "MNIST gate: distribution of the final test accuracy")


def plot_gate_curves(s):
    fig = Figure(figsize=(9.0, 3.2))
    acc, loss = fig.subplots(1, 2)
    for curve in s.curves:
        if curve["iterations"] and len(curve["iterations"]) == len(curve["test_accuracy"]):
            acc.plot(curve["iterations"], curve["test_accuracy"], color="#3b6ea5", alpha=0.4, linewidth=1)
        if curve["loss"]:
            loss.plot(range(1, len(curve["loss"]) + 1), curve["loss"], color="#c0504d", alpha=0.25, linewidth=0.8)
    if s.gate_threshold is not None:
        acc.axhline(s.gate_threshold, color="#888", linestyle="--", linewidth=0.8)
    acc.set_xlabel("iteration")
    acc.set_ylabel("test accuracy")
    loss.set_xlabel("iteration")
    loss.set_ylabel("training loss")
    loss.set_yscale("log")
    fig.suptitle("MNIST gate: learning curves, one line per submission", fontsize=10)
    fig.tight_layout()
    return _img(fig, "MNIST gate: learning curves (test accuracy and training loss)")


def plot_times(s):
    fig, ax = _figure()
    ordered = sorted(s.times, key=lambda t: -t[1])
    x = range(len(ordered))
    ax.bar(x, [t[1] - t[2] for t in ordered], color="#3b6ea5", label="checks, start-up")
    ax.bar(x, [t[2] for t in ordered], bottom=[t[1] - t[2] for t in ordered], color="#e3a33b",
           label="MNIST gate")
    ax.set_xlabel("submissions, slowest first")
    ax.set_ylabel("seconds")
    ax.set_xticks([])
    ax.legend(fontsize=8)
    ax.set_title("Time per submission")
    return _img(fig, "time per submission")


# ----------------------------------------------------------------------------- page

_CSS = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 70em; color: #222; padding: 0 1em; }
h1 { font-size: 1.6em; } h2 { border-bottom: 1px solid #ccc; padding-bottom: .2em; margin-top: 2em; }
table { border-collapse: collapse; margin: .5em 0; font-size: .9em; }
th, td { border: 1px solid #ddd; padding: .25em .6em; text-align: left; vertical-align: top; }
th { background: #f3f3f3; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: .5em 0; } img.plot { max-width: 100%; height: auto; }
.status-graded { color: #2a7a2a; } .status-refused, .status-crashed, .status-timed-out { color: #b02a2a; font-weight: bold; }
.muted { color: #666; } pre { white-space: pre-wrap; margin: 0; font-size: .85em; }
"""


def _e(text) -> str:
    return html.escape(str(text), quote=True)


def _pct(x) -> str:
    return f"{100 * x:.0f}%"


def _table(head, rows, numeric=()):
    out = ["<table><thead><tr>", *(f"<th>{_e(h)}</th>" for h in head), "</tr></thead><tbody>"]
    for row in rows:
        out.append("<tr>" + "".join(
            f'<td class="num">{cell}</td>' if i in numeric else f"<td>{cell}</td>" for i, cell in enumerate(row))
            + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def render_report(records, *, full_marks: float, options=None, lang="en", class_name="class") -> str:
    """The whole page as a string (see module docstring).

    Inputs:
    - records: SubmissionRecords, in gradebook order.
    - full_marks: the total a complete submission can reach.
    - options: the GradeOptions used (shown in the header), or None.
    - lang: the report language recorded for the batch.
    - class_name: shown in the title.
    """
    s = class_stats(records)
    parts = []
    counts = ", ".join(f"{s.by_status.get(k, 0)} {k}" for k in (GRADED, REFUSED, CRASHED, TIMED_OUT))
    reused = sum(r.reused for r in records)
    parts.append(f"<h1>Class report: {_e(class_name)}</h1>")
    summary = [f"{s.n} submissions: {counts}."]
    if s.scores:
        summary.append(f"Mean score {points(statistics.fmean(s.scores))} / {points(full_marks)}, "
                       f"median {points(statistics.median(s.scores))}.")
    if reused:
        summary.append(f"{reused} taken from the journal of an earlier run.")
    parts.append(f"<p>{' '.join(_e(x) for x in summary)}</p>")
    if options is not None:
        parts.append(f'<p class="muted">Rubric: {_e(options.rubric.source)}; timeout {options.timeout:g} s per call; '
                     f"memory {options.memory_limit / 2**30:g} GiB; language {_e(lang)}; "
                     f"written {_e(time.strftime('%Y-%m-%d %H:%M %Z'))}.</p>")

    parts.append("<h2 id='scores'>Scores</h2>")
    parts.append(plot_scores(s) if s.scores else "<p>No submission was graded.</p>")

    parts.append("<h2 id='exercises'>Exercises</h2>")
    if s.exercises:
        parts.append(plot_exercises(s))
        parts.append(_table(["exercise", "graded", "mean points", "failure rate"],
                            [[_e(e), n, _pct(m), _pct(f)] for e, n, m, f in s.exercises], numeric=(1, 2, 3)))

    parts.append("<h2 id='checks'>Checks the class fails</h2>")
    failing = [c for c in s.checks if c[3]]
    if failing:
        parts.append(plot_checks(s))
        parts.append(_table(["check", "title", "failed", "of", "rate"],
                            [[f"<code>{_e(cid)}</code>", _e(title), f, n, _pct(rate)]
                             for cid, title, n, f, rate in failing], numeric=(2, 3, 4)))
    else:
        parts.append("<p>No check failed.</p>")

    parts.append("<h2 id='mistakes'>Recognised mistakes</h2>")
    if s.hints:
        parts.append(plot_hints(s))
        parts.append(_table(["#", "hint", "students", "in checks"],
                            [[i + 1, _e(h), n, "<br>".join(f"<code>{_e(c)}</code>" for c in ids)]
                             for i, (h, n, ids) in enumerate(s.hints)], numeric=(0, 2)))
    else:
        parts.append("<p>No known mistake was recognised.</p>")

    parts.append("<h2 id='mnist'>MNIST gate</h2>")
    if s.gate_accuracy:
        passed = sum(a >= (s.gate_threshold or 0) for a in s.gate_accuracy)
        parts.append(f"<p>{len(s.gate_accuracy)} networks trained; {passed} reached the threshold "
                     f"{_e(s.gate_threshold)}; median final test accuracy "
                     f"{statistics.median(s.gate_accuracy):.4f}.</p>")
        parts.append(plot_gate_accuracy(s))
        parts.append(plot_gate_curves(s))
    else:
        parts.append("<p>No network was trained (the gate did not run or every submission failed before training).</p>")

    parts.append("<h2 id='time'>Time</h2>")
    if s.times:
        total = sum(t for _, t, _ in s.times)
        gate = sum(g for _, _, g in s.times)
        parts.append(f"<p>Grading {len(s.times)} submissions took {total:.1f} s in all (median "
                     f"{statistics.median(t for _, t, _ in s.times):.1f} s each, as measured when each was graded, "
                     f"N at a time); the MNIST gate's share: {_pct(gate / total) if total else 'n/a'}.</p>")
        parts.append(plot_times(s))
        parts.append("<p>Stragglers:</p>" + _table(["student", "seconds"],
                                                   [[_e(st), f"{t:.1f}"] for st, t in s.stragglers], numeric=(1,)))
    else:
        parts.append("<p>No submission.</p>")

    parts.append("<h2 id='problems'>Timed out, crashed or refused</h2>")
    if s.problems:
        parts.append(_table(["student", "status", "why"],
                            [[_e(st), f'<span class="status-{status.replace(" ", "-")}">{_e(status)}</span>',
                              f"<pre>{_e(msg)}</pre>"] for st, status, msg in s.problems]))
    else:
        parts.append("<p>None: every submission was graded.</p>")
    if s.check_timeouts:
        parts.append("<p>Graded, with checks that timed out:</p>" + _table(
            ["student", "checks timed out"], [[_e(st), k] for st, k in s.check_timeouts], numeric=(1,)))

    parts.append("<h2 id='students'>Students</h2>")
    rows = []
    for r in records:
        score = points(r.result.score) if r.result else "0"
        top = points(r.result.max_score) if r.result else points(full_marks)
        link = f'<a href="{_e(quote(r.student))}/report.txt">{_e(r.student)}</a>'
        rows.append([link, score, top, f'<span class="status-{r.status.replace(" ", "-")}">{_e(r.status)}</span>',
                     f"{r.elapsed:.1f}"])
    parts.append(_table(["student", "score", "of", "status", "seconds"], rows, numeric=(1, 2, 4)))
    body = "\n".join(parts)
    return (f'<!DOCTYPE html>\n<html lang="{_e(lang)}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<link rel="icon" href="data:,"><title>Class report: {_e(class_name)}</title>'
            f"<style>{_CSS}</style></head><body>\n{body}\n</body></html>\n")


def write_report(records, path, **kwargs) -> None:
    """Write render_report(records, **kwargs) to path, atomically."""
    write_text_atomic(path, render_report(records, **kwargs))
