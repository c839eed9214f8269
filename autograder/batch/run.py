"""Grade a class: discover, reuse the journal, grade the rest, write every file.

:func:`grade_class` is what ``dlgrade batch`` calls. Per student it writes
``OUT_DIR/<student>/results.json`` (Gradescope's format) and ``report.txt``, then the
journal entry (the commit point: a run killed before it regrades that student). At the end
it writes ``gradebook.csv`` and ``report.html`` from every record, reused or new.
"""
from __future__ import annotations

import dataclasses
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

from autograder import UserError
from autograder.atomic import write_text_atomic
from autograder.i18n import LANGUAGES
from autograder.batch.discover import discover
from autograder.batch.gradebook import write_gradebook
from autograder.batch.journal import Journal, entry_key, kit_fingerprint, options_fingerprint
from autograder.batch.progress import Progress
from autograder.batch.records import SubmissionRecord
from autograder.batch.runner import run_local, start_slots
from autograder.batch.slot import DEFAULT_TARGET
from autograder.results import write_json
from autograder.sanitize import clean_text

LANGS = LANGUAGES  # the languages of the reports
OUTPUT_NAMES = {"gradebook.csv", "report.html"}  # files of OUT_DIR beside the students' folders


@dataclass
class BatchSummary:
    """What a batch did."""

    out_dir: Path
    records: list = field(default_factory=list)
    reused: int = 0
    wall_time: float = 0.0

    def count(self, status):
        return sum(r.status == status for r in self.records)


def _check_out_dir(out_dir):
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise UserError(f"--out {out_dir}: exists and is not a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"--out {out_dir}: cannot create the folder: {exc.strerror or exc}") from None
    return out


def full_marks(options) -> float:
    """The total a complete submission can reach under these options (for rows without a result)."""
    from autograder.grading import collect_checks

    specs = collect_checks(options.rubric, checks_dir=options.checks_dir)
    return sum(s.max_score for s in specs if options.only is None or s.exercise in options.only)


def write_student_files(out_dir, record) -> None:
    """results.json and report.txt of one student, atomically."""
    from autograder.i18n import using_language
    from autograder.report import render

    folder = Path(out_dir) / record.student
    if record.result is not None:
        write_json(record.result, folder / "results.json")
        with using_language(record.lang):
            text = render(record.result, show_hidden=True)
    else:
        doc = {"score": 0.0, "execution_time": round(record.elapsed, 3),
               "output": f"Not graded ({record.status}): {record.message}", "tests": []}
        write_text_atomic(folder / "results.json", json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
        text = clean_text(f"{record.student}: not graded ({record.status}).\n{record.message}\n", 20_000)
    write_text_atomic(folder / "report.txt", text)


def _record(entry, key, lang, outcome):
    result = outcome.get("result")
    if result is not None:
        # Name the submission by student id, not by where it was graded (a temp folder on a
        # Dask worker, the TA's path here): the same class gives the same files anywhere.
        # The id is a file name: cleaned like any text a student may have chosen.
        result.output = result.output.replace(str(outcome.get("path", entry.path)), clean_text(entry.student))
        result.submission = entry.student
    message = clean_text(outcome.get("message", "").replace(str(outcome.get("path", entry.path)), entry.student),
                         20_000)
    return SubmissionRecord(student=entry.student, status=outcome["status"], message=message,
                            elapsed=float(outcome.get("elapsed", 0.0)), result=result, key=key, lang=lang)


def grade_class(class_dir, out_dir, options, *, jobs=1, force=False, regrade=(), lang="en",
                dask_address=None, progress_stream=None, target=None, deadline=None) -> BatchSummary:
    """Grade every submission of a class folder and write the class's files.

    Inputs:
    - class_dir, out_dir: the class folder and the output folder.
    - options: GradeOptions for every submission.
    - jobs: grader slots on this machine.
    - force: regrade everything (ignore the journal); regrade: student ids to regrade.
    - lang: the language of the reports and messages (part of the journal key).
    - dask_address: a Dask scheduler address: grade there instead of locally.
    - progress_stream: where the progress goes (default stderr).
    - target, deadline: the slots' grading function and the per-submission limit (tests).

    Returns:
    - a BatchSummary. Raises UserError for a bad class folder, output folder or student id.
    """
    from autograder.batch import report_html

    started = time.perf_counter()
    if lang not in LANGS:
        raise UserError(f"--lang must be one of {', '.join(LANGS)}, got {lang!r}")
    options = dataclasses.replace(options, lang=lang)  # each submission's messages in that language
    if Path(class_dir).is_dir() and Path(out_dir).resolve() == Path(class_dir).resolve():
        raise UserError("--out must be another folder than the class folder")
    out = _check_out_dir(out_dir)
    entries = discover(class_dir, exclude=[out])
    clash = sorted({e.student.split("/")[0] for e in entries} & OUTPUT_NAMES)
    if clash:
        raise UserError(f"{class_dir}: an entry named {clash[0]!r} would clash with the batch's own output; rename it")
    unknown = set(regrade) - {e.student for e in entries}
    if unknown:
        raise UserError(f"--regrade: no submission for {', '.join(sorted(unknown))} in {class_dir}")
    target = target or DEFAULT_TARGET
    # The slots import the kit (a second or more each) while this process hashes the class and
    # collects the checks; those with nothing to grade are closed by run_local.
    slots = start_slots(min(jobs, len(entries)), target) if entries and not dask_address else []
    try:
        journal = Journal(out)
        kit, options_fp = kit_fingerprint(), options_fingerprint(options, lang)
        marks = full_marks(options)
        records, tasks, by_id = {}, [], {}
        for i, entry in enumerate(entries):
            key = entry_key(entry.student, entry.content_hash(), kit, options_fp)
            record = None if force or entry.student in regrade else journal.get(key)
            if record is not None:
                record.reused = True
                records[entry.student] = record
                write_student_files(out, record)
            else:
                tasks.append({"id": i, "path": str(entry.path), "student": entry.student})
                by_id[i] = (entry, key)
    except BaseException:
        for slot in slots:
            slot.kill()
        raise
    progress = Progress(len(entries), reused=len(records), stream=progress_stream)

    def on_done(task, outcome):
        entry, key = by_id[task["id"]]
        record = _record(entry, key, lang, outcome)
        write_student_files(out, record)
        journal.put(record)
        records[entry.student] = record
        progress.update(record)

    try:
        if tasks and dask_address:
            from autograder.batch.dask_runner import run_dask

            run_dask(dask_address, tasks, options, on_done, kit=kit, deadline=deadline, target=target)
        else:
            run_local(tasks, options, jobs, on_done, deadline=deadline, target=target, slots=slots)
    finally:
        progress.close()
    ordered = [records[e.student] for e in entries]
    write_gradebook(ordered, out / "gradebook.csv", marks, options.only)
    report_html.write_report(ordered, out / "report.html", full_marks=marks, options=options, lang=lang,
                             class_name=Path(class_dir).resolve().name)
    journal.prune(r.key for r in ordered)
    return BatchSummary(out, ordered, reused=sum(r.reused for r in ordered),
                        wall_time=time.perf_counter() - started)
