"""The terminal report of a grading run: one line per exercise, then the failures."""
from __future__ import annotations

import textwrap

from autograder.i18n import _, ngettext
from autograder.sanitize import clean_text


def _fmt(x):
    return f"{x:.2f}".rstrip("0").rstrip(".")


def render(result, *, show_hidden=True, width=100):
    """Return the report as text.

    Inputs:
    - result: a GradeResult.
    - show_hidden: include failure details of hidden checks (a TA's view);
      False gives a student's view, where a hidden check only says it failed.
    """
    # Messages carry student text: cleaned here too, so no caller can print a forged report.
    lines = [clean_text(result.output).strip(), ""]
    name_width = max(len(e.exercise) for e in result.exercises)
    for ex in result.exercises:
        if not ex.checks:
            continue
        failed = ex.failed
        if any(c.not_run for c in ex.checks):
            status = _("not run (see below)")
        elif not ex.graded:
            status = _("not graded in this run")
        elif not failed:
            status = _("ok")
        else:
            status = ngettext("{failed} of {count} check failed", "{failed} of {count} checks failed",
                              len(ex.checks)).format(failed=len(failed), count=len(ex.checks))
        lines.append(f"  {ex.exercise:<{name_width}}  {_fmt(ex.score):>5} / {_fmt(ex.max_score):<5} {status}")
    lines.append("")
    note = result.total_note()  # what the total leaves out (the MNIST gate without data)
    total = _("Total")  # not inside the f-string: Babel does not extract calls there
    lines.append(f"  {total:<{name_width}}  {_fmt(result.score):>5} / {_fmt(result.max_score)}"
                 + (f" {note}" if note else ""))
    details = []
    for ex in result.exercises:
        for check in ex.failed:
            details.append(f"✗ {ex.exercise}: {check.name}")
            if check.visibility != "visible" and not show_hidden:
                details.append("    " + _("(hidden check: details are not shown)"))
                continue
            for para in (clean_text(check.output) or _("failed")).split("\n"):
                details.extend(textwrap.wrap(para, width=width, initial_indent="    ",
                                             subsequent_indent="      ") or [""])
    if details:
        lines += ["", _("Failed checks:")] + details
    for item in result.left_out():  # not run for a reason the reader must act on: say what to do
        lines.append("")
        lines.extend(textwrap.wrap(f"{item['exercise']}: {clean_text(item['reason'])}", width=width,
                                   subsequent_indent="    ", break_on_hyphens=False))
    return "\n".join(lines) + "\n"
