"""The terminal report of a grading run: one block per exercise, most informative failure first.

How it reads: the run's notes, then one row per exercise (points and a short status), each
failing exercise followed by its failures. Identical failures collapse: a stub's checks into
"not implemented yet: 3 checks", a module that does not import into one row for all its
exercises, checks that fail with the same recognised mistake (hint) under the first of them.
Within an exercise the failure that teaches most comes first (``rank``): a recognised
mistake, then a check's own explanation, then a bare mismatch or an error of the student's
code, then "not implemented". Exercises this run did not grade are listed once, at the end.

Input is a ``results.GradeResult``; each failed ``CheckResult`` carries the full message
(``output``, also in results.json) and its classification (``failure``, see
``plugin.classify``), which drives grouping and order. Student text starts a line only
indented by at least four spaces, and on a row only after the grader's own columns, so no
message can pass for a row or the total.
"""
from __future__ import annotations

import textwrap

from autograder.exercises import module_of
from autograder.i18n import _, ngettext
from autograder.plugin import (ERROR, IMPORT, INTERNAL, MISMATCH, MISSING_MODULE, MISSING_NAME, NOT_IMPLEMENTED,
                               NOT_RUN, TIMEOUT)
from autograder.sanitize import clean_text

# How much a failure teaches, by kind: the report shows the highest first.
_RANK = {MISMATCH: 3, ERROR: 3, TIMEOUT: 2, MISSING_NAME: 2, IMPORT: 1, MISSING_MODULE: 1,
         NOT_IMPLEMENTED: 0, NOT_RUN: -1, INTERNAL: -2}
_MODULE_WIDE = (IMPORT, MISSING_MODULE)
# Kinds whose message does not depend on the check: shown once, without the checks' titles.
_TITLELESS = (MISSING_NAME, NOT_RUN, INTERNAL)
# Kinds that say nothing of a check's inputs: a hidden check joins their group.
_SHARED = _MODULE_WIDE + (NOT_IMPLEMENTED, MISSING_NAME)

_ROW_INDENT = "  "
_CHECK_INDENT = " " * 6
_TEXT_INDENT = " " * 8


def _fmt(x):
    return f"{x:.2f}".rstrip("0").rstrip(".")


def _kind(check):
    kind = check.failure.get("kind") if check.failure else None
    if kind in _RANK:
        return kind
    return MISMATCH if "\nHint: " in (check.output or "") else ERROR  # a result from before classification


def _hint(check):
    if check.failure.get("hint"):
        return check.failure["hint"]
    marker = "\nHint: "
    text = check.output or ""
    return text[text.index(marker) + len(marker):].split("\n", 1)[0] if marker in text else ""


def rank(check):
    """How much a failure teaches (higher first): a recognised mistake, a check's own sentence,
    a mismatch or an error, a timeout, a missing name, an import, "not implemented", not run."""
    kind = _kind(check)
    score = _RANK[kind]
    if kind == MISMATCH:
        if _hint(check):
            score = 5
        elif check.failure.get("how") in ("message", "modified", "none"):
            score = 4  # a sentence written for this mistake explains more than "wrong values"
    return score


def group_key(check):
    """Failures with the same key are the same failure: shown once."""
    kind = _kind(check)
    if kind == NOT_IMPLEMENTED:
        return (kind,)
    if kind == IMPORT:
        f = check.failure
        return (kind, f.get("module"), f.get("error"), f.get("line"), f.get("message"))
    if kind == MISSING_MODULE:
        return (kind, check.failure.get("module"))
    if kind == MISMATCH and _hint(check):
        return ("hint", _hint(check))
    return ("text", check.output)


def _one_line(text, limit=300):
    """Student text on a row: one line, bounded."""
    text = " ".join(clean_text(text).split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _module_summary(check):
    """"layers.py does not import: SyntaxError at line 12: invalid syntax" (one line)."""
    f = check.failure
    module = f"{f.get('module')}.py"
    if _kind(check) == MISSING_MODULE:
        return _("{module} is missing from the submission").format(module=module)
    if f.get("error") and f.get("line") and f.get("file") and f["file"] != module:
        # two_layer_net.py imports gradient.py, which raised: name the file at fault
        cause = _("{error} in {file} at line {line}").format(error=f["error"], file=f["file"], line=f["line"])
    elif f.get("error") and f.get("line"):
        cause = _("{error} at line {line}").format(error=f["error"], line=f["line"])
    else:
        cause = f.get("error") or ""
    message = (f.get("message") or "").rstrip(".")
    detail = ": ".join(p for p in (cause, message) if p)
    text = _("{module} does not import: {detail}").format(module=module, detail=detail) if detail \
        else _("{module} does not import").format(module=module)
    return _one_line(text)


def _wrap(text, indent, width):
    """Paragraphs wrapped at width; lines that start with spaces (arrays, source) keep their layout."""
    out = []
    for line in text.split("\n"):
        if line[:1].isspace():
            out.append(indent + line)
        else:
            out.extend(textwrap.wrap(line, width=width, initial_indent=indent,
                                     subsequent_indent=indent + "  ") or [""])
    return out


def _accuracy_status(checks):
    """"test accuracy 0.9612 (required: 0.95)" for a check that measured one, else ""."""
    for check in checks:
        data = check.extra_data or {}
        reached, threshold = data.get("test_accuracy"), data.get("threshold")
        if isinstance(threshold, (int, float)) and isinstance(reached, list) and reached \
                and isinstance(reached[-1], (int, float)):
            return _("test accuracy {reached} (required: {threshold})").format(
                reached=f"{reached[-1]:.4f}", threshold=f"{threshold:g}")
        if isinstance(threshold, (int, float)) and not check.passed:
            return _("required test accuracy: {threshold}").format(threshold=f"{threshold:g}")
    return ""


def _not_implemented(group, checks, named):
    """"not implemented yet: 3 checks", or with what is missing when only part of an exercise is:
    "not implemented yet (Relu.backward): 2 of 4 checks"."""
    where = list(dict.fromkeys(c.failure.get("where") for c in group if c.failure.get("where")))
    if named and where:
        return _("not implemented yet ({names}): {checks}").format(names=", ".join(where), checks=checks)
    return _("not implemented yet: {checks}").format(checks=checks)


def _checks_phrase(n, of=None):
    if of is not None and of != n:
        return ngettext("{n} of {total} check", "{n} of {total} checks", of).format(n=n, total=of)
    return ngettext("{n} check", "{n} checks", n).format(n=n)


class _Report:
    def __init__(self, result, show_hidden, width):
        self.result = result
        self.show_hidden = show_hidden
        self.width = width
        graded = [e for e in result.exercises if e.checks and e.graded]
        self.name_width = max([len(e.exercise) for e in graded] + [len(_("Total"))] +
                              [len(module_of(e.exercise)) + 2 for e in graded])
        self.lines = []

    def hidden(self, check):
        return check.visibility != "visible" and not self.show_hidden

    def row(self, name, score, max_score, status, wrap=True):
        """One row of the table; a long status goes on under it, indented like a failure's text
        (unless wrap is False: a module's one line)."""
        head = f"{_ROW_INDENT}{name:<{self.name_width}}  {_fmt(score):>5} / {_fmt(max_score):<5} "
        if not wrap:
            self.lines.append((head + status).rstrip())
            return
        # A row may run a little past the messages' width before its status goes on below.
        first, *more = textwrap.wrap(status, width=max(self.width + 12 - len(head), 40)) or [""]
        self.lines.append((head + first).rstrip())
        if more:
            self.lines += textwrap.wrap(" ".join(more), width=self.width, initial_indent=_TEXT_INDENT,
                                        subsequent_indent=_TEXT_INDENT)

    def render(self):
        self.lines += [clean_text(self.result.output).strip(), ""]
        exercises = [e for e in self.result.exercises if e.checks]
        graded = [e for e in exercises if e.graded]
        whole_modules = self.module_failures(graded)
        shown_modules = set()
        for ex in graded:
            module = module_of(ex.exercise)
            if module in whole_modules:
                if module not in shown_modules:
                    shown_modules.add(module)
                    self.module_block(module, [e for e in graded if module_of(e.exercise) == module],
                                      whole_modules[module])
                continue
            self.exercise_block(ex)
        self.lines.append("")
        note = self.result.total_note()  # what the total leaves out (the MNIST gate without data)
        self.row(_("Total"), self.result.score, self.result.max_score, note, wrap=False)
        self.not_graded([e for e in exercises if not e.graded])
        return "\n".join(self.lines) + "\n"

    def module_failures(self, graded):
        """{module: the failed check that stands for all}: modules with several exercises that
        all fail, every check, with one and the same module-wide failure (no import, no file)."""
        by_module = {}
        for ex in graded:
            by_module.setdefault(module_of(ex.exercise), []).append(ex)
        whole = {}
        for module, exs in by_module.items():
            checks = [c for e in exs for c in e.checks if c.graded]
            if len(exs) < 2 or not checks or any(c.passed for c in checks):
                continue
            keys = {group_key(c) for c in checks}
            if len(keys) == 1 and _kind(checks[0]) in _MODULE_WIDE:
                whole[module] = checks[0]
        return whole

    def module_block(self, module, exercises, check):
        checks = [c for e in exercises for c in e.checks if c.graded]
        count = ngettext("(the {n} checks of its {m} exercise)", "(the {n} checks of its {m} exercises)",
                         len(exercises)).format(n=len(checks), m=len(exercises))
        self.row(f"{module}.*", sum(e.score for e in exercises), sum(e.max_score for e in exercises),
                 f"{_module_summary(check)} {count}", wrap=False)
        source = check.failure.get("source") or ""
        if source and not self.hidden(check):
            self.lines += _wrap(clean_text(source), _TEXT_INDENT, self.width)

    def exercise_block(self, ex):
        failed = ex.failed
        graded = [c for c in ex.checks if c.graded]
        accuracy = _accuracy_status(graded)
        if not failed:
            self.row(ex.exercise, ex.score, ex.max_score, _("ok") + (f": {accuracy}" if accuracy else ""))
            return
        groups = self.groups(failed)
        if len(groups) == 1 and _kind(groups[0][0]) in _SHARED:
            # One reason for every failure, whichever the check: the row says it all.
            lead = groups[0][0]
            checks = _checks_phrase(len(failed), len(graded))
            if _kind(lead) == NOT_IMPLEMENTED:
                status = _not_implemented(groups[0], checks, named=len(failed) < len(graded))
            elif _kind(lead) in _MODULE_WIDE:
                status = f"{_module_summary(lead)}: {checks}"
            else:
                status = f"{_one_line(lead.output)} ({checks})"
            self.row(ex.exercise, ex.score, ex.max_score, status + (f"; {accuracy}" if accuracy else ""))
            return
        status = (_("failed") if len(graded) == 1 else
                  _("{failed} of {total} checks failed").format(failed=len(failed), total=len(graded)))
        self.row(ex.exercise, ex.score, ex.max_score, status + (f": {accuracy}" if accuracy else ""))
        for group in groups:
            self.group_lines(group)

    def groups(self, failed):
        """The failures as groups of identical ones, the most informative group first."""
        order = {id(c): n for n, c in enumerate(failed)}

        def key(c):
            return (self.hidden(c), -rank(c), order[id(c)])

        groups = {}
        for check in sorted(failed, key=key):
            # A hidden check's details are not shown, so it joins no group a student reads, unless
            # its message says nothing about the check (a missing name, a stub, a failed import).
            shared = _kind(check) in _SHARED
            gkey = ("hidden", id(check)) if self.hidden(check) and not shared else group_key(check)
            groups.setdefault(gkey, []).append(check)
        return sorted(groups.values(), key=lambda g: key(g[0]))

    def group_lines(self, group):
        lead, rest = group[0], group[1:]
        kind = _kind(lead)
        if self.hidden(lead) and kind not in _SHARED:
            self.lines.append(f"{_CHECK_INDENT}✗ {lead.name}: " + _("hidden check, details are not shown"))
            return
        if kind == NOT_IMPLEMENTED:
            self.lines.append(f"{_CHECK_INDENT}✗ " + _not_implemented(group, _checks_phrase(len(group)), named=True))
            return
        if kind in _MODULE_WIDE:
            self.lines += _wrap(f"✗ {_module_summary(lead)}: {_checks_phrase(len(group))}", _CHECK_INDENT, self.width)
            return
        if kind in _TITLELESS:
            text = clean_text(lead.output) or _("failed")
            self.lines += _wrap(f"✗ {text} ({_checks_phrase(len(group))})", _CHECK_INDENT, self.width)
            return
        self.lines.append(f"{_CHECK_INDENT}✗ {lead.name}")
        self.lines += _wrap(clean_text(lead.output) or _("failed"), _TEXT_INDENT, self.width)
        if rest:
            titles = "; ".join(c.name for c in rest)
            text = ngettext("The same failure in {n} more check: {titles}.",
                            "The same failure in {n} more checks: {titles}.", len(rest)).format(
                n=len(rest), titles=titles)
            self.lines += _wrap(text, _TEXT_INDENT, self.width)

    def not_graded(self, exercises):
        """The exercises this run left out, once, with the reason (what to do, where there is one)."""
        if not exercises:
            return
        self.lines.append("")
        plain = {}
        for ex in exercises:
            reason = next((c.not_run for c in ex.checks if c.not_run), "")
            if reason:  # it says what to do ("not run: ..."): in full
                self.lines += _wrap(f"{ex.exercise}: {clean_text(reason)}", _ROW_INDENT, self.width)
            else:
                plain.setdefault(clean_text(ex.checks[0].output), []).append(ex.exercise)
        for why, names in plain.items():
            text = (why[:1].upper() + why[1:] if why else _("Not graded in this run")) + ": " + ", ".join(names)
            self.lines += _wrap(text, _ROW_INDENT, self.width)


def render(result, *, show_hidden=True, width=100):
    """Return the report as text.

    Inputs:
    - result: a GradeResult.
    - show_hidden: include failure details of hidden checks (a TA's view);
      False gives a student's view, where a hidden check only says it failed.
    - width: the column at which messages are wrapped.
    """
    return _Report(result, show_hidden, width).render()
