"""Grade one submission: the engine's entry point (used by ``dlgrade grade``).

The path from a submission to a verdict:

1. ``submission.load_submission`` copies the student's files (directory or zip)
   into a temporary directory; nothing is imported in this process.
2. ``pool.WorkerPool`` starts one worker process per configuration: for module
   M, the student's M beside the reference copies of the other modules (blame
   isolation); for the MNIST gate, all of the student's modules.
3. pytest runs the checks in ``autograder/checks`` in *this* process, with
   ``plugin.GradingPlugin``. Each check sends plain data to a worker, gets plain
   data back, computes the reference itself and compares (``compare``).
4. The plugin's records become a ``results.GradeResult``.
"""
from __future__ import annotations

import contextlib
import dataclasses
import io
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

import mnist_data
from autograder import UserError, reference, seeds, studentdist
from autograder.exercises import ALL_STUDENT, CATALOG, EXERCISES, MODULES, POINTS, module_of
from autograder.grade_options import GradeOptions
from autograder.i18n import _, using_language
from autograder.plugin import GradingPlugin
from autograder.pool import WorkerPool
from autograder.results import POINTS_NOT_RUN, CheckResult, ExerciseResult, GradeResult
from autograder.rubric import Rubric
from autograder.sandbox.isolation import resolve as resolve_isolation
from autograder.submission import load_submission

CHECKS_DIR = Path(__file__).parent / "checks"
GATE = next(e.id for e in CATALOG if e.kind == "gate")  # the MNIST accuracy gate: the only exercise that needs data
# None in a student distribution (no reference code): each module is then graded beside the
# student's own modules (pool.WorkerPool), and the checks replay recorded answers.
REFERENCE_DIR = reference.directory() if reference.available() else None
# What workers import in place of the modules a module builds on: the reference copies, or in a
# student distribution stand-ins that replay the reference's recorded answers (studentdist).
DEPENDENCY_DIR = REFERENCE_DIR or studentdist.dependency_dir()
# Everything the grader runs is imported now, before any student code: the reference
# modules (the checks compute expected values with them) and, in _run_checks, the checks.
# Nothing is imported later from a place a worker could have written to meanwhile.
REFERENCE = {m: reference.module(m) for m in MODULES} if reference.available() else {}


class CheckSuiteError(RuntimeError):
    """The check suite itself could not run (a bug in the grader's checks, not the student's).

    Attributes: ``log``, pytest's output (the collection errors).
    """

    def __init__(self, message, log):
        super().__init__(message)
        self.log = log


@dataclass
class GradingContext:
    """What the checks' fixtures need, handed to them through the plugin."""

    submission: object
    pool: object
    options: GradeOptions
    seed: seeds.InputSeed | None = None  # where the checks' inputs come from (resolved if None)
    recorder: object = None  # studentdist.recording.Recorder: record the reference's answers (a build)

    def __post_init__(self):
        if self.seed is None:
            self.seed = studentdist.input_seed(self.options.seed, self.options.rubric.grading.secret)

    @property
    def rubric(self):
        return self.options.rubric

    def seed_random(self, config, check_id):
        """Seed np.random in the worker of ``config`` for a check (drawn from the run's input seed):
        the student's own random draws are the same in every run with the same inputs."""
        seed_random = getattr(self.pool, "seed_random", None)  # a notebook kernel's pool has none
        if seed_random is not None:
            seed_random(config, int(self.seed.rng(check_id + "#np.random").integers(2**32)))

    @property
    def only(self):
        return self.options.only


def grade(path, options=None, *, recorder=None):
    """Grade the submission at path, in the language ``options.lang`` (see ``_grade``)."""
    options = options or GradeOptions()
    with using_language(options.lang):
        return _grade(path, options, recorder=recorder)


def _grade(path, options=None, *, recorder=None):
    """Grade the submission at path.

    Inputs:
    - path: a directory with any of the five exercise modules, a .zip of one, or a course
      notebook (.ipynb). A notebook covers one assignment (``submission.exercises``): only
      its exercises are graded (``options.only`` narrows them further).
    - options: GradeOptions (defaults if None).
    - recorder: a ``studentdist.recording.Recorder`` that notes the reference's answers
      (``dlgrade student build``), or None.

    Returns:
    - a GradeResult listing every exercise in EXERCISES.

    Raises autograder.UserError for a path that is not a submission, and CheckSuiteError
    when the check suite itself cannot be collected.
    """
    options = options or GradeOptions()
    options.validate()
    seed = studentdist.input_seed(options.seed, options.rubric.grading.secret)
    isolation = resolve_isolation(options.sandbox, REFERENCE_DIR)  # refuses before any work
    started = time.perf_counter()
    phases = {}
    with load_submission(path) as submission:
        excluded = _("excluded by --only")
        if submission.exercises is not None:
            covered = frozenset(submission.exercises)
            only = covered if options.only is None else options.only & covered
            if not only:
                raise UserError(_("{path}: --only names no exercise of this notebook (it has {exercises})").format(
                    path=path, exercises=", ".join(submission.exercises)))
            options = dataclasses.replace(options, only=only)
            excluded = _("not in this notebook") if only == covered else _("excluded by --only or not in this notebook")
        selected = [e for e in EXERCISES if options.only is None or e in options.only]
        not_run = {}  # exercise: why it is not run ("" when nothing need say so)
        unusable_data = ""  # the gate, worth 0 points, left out for data that is there but unusable
        if GATE in selected and studentdist.active():  # a student distribution has no gate
            selected.remove(GATE)
            options = dataclasses.replace(options, only=frozenset(selected))
        if GATE in selected:
            missing_data = gate_data_missing(options)
            if missing_data is not None:
                selected.remove(GATE)
                if not selected:  # the gate alone was asked for: nothing else to grade
                    raise UserError(_("the MNIST accuracy gate is all there is to grade, and it cannot run: "
                                      "{why}").format(why=data_help(missing_data)))
                not_run[GATE] = gate_not_run_reason(options, missing_data)
                if not not_run[GATE] and not isinstance(missing_data, mnist_data.DataNotFoundError):
                    unusable_data = _("The MNIST gate (0 points) was not run: {problem}").format(problem=missing_data)
                options = dataclasses.replace(options, only=frozenset(selected))
        configs = sorted({module_of(e) for e in selected})
        dependencies = getattr(recorder, "dependencies", None)  # a build records what the reference modules answer
        with WorkerPool(submission, DEPENDENCY_DIR if dependencies is None else dependencies.directory, timeout=options.timeout,
                        memory_limit=options.memory_limit, isolation=isolation,
                        max_reply=options.max_reply) as pool:
            pool.start(configs)
            phases["start-up"] = time.perf_counter() - started
            # Salted with the code: a report's expected values never answer the next submission.
            context = GradingContext(submission, pool, options, seed.for_submission(submission.digest()), recorder)
            plugin = GradingPlugin(context)
            log = _run_checks(plugin, options.junit_path, checks_dir=options.checks_dir)
            if dependencies is not None:
                dependencies.collect(pool, configs)
            notes = [pool.notes[e] for e in EXERCISES if e in pool.notes]
        # A notebook lacks the modules of the other assignments by design: not worth a mention.
        missing = [m for m in submission.missing if submission.exercises is None or m in configs]
    result = _assemble(plugin, options, str(path), missing, excluded, notes, not_run)
    result.seed = seed.id
    result.isolation = isolation.level
    result.output += "\n" + _("Isolation: {how}.").format(how=isolation.describe())
    result.output += "\n" + _("Inputs drawn with seed {seed} (--seed {seed} replays them).").format(seed=seed.id)
    if unusable_data:  # damaged or incomplete MNIST files: said once, though the gate counts for nothing
        result.output += "\n" + unusable_data
    result.output += studentdist.note()
    studentdist.annotate(result)
    for check in result.checks:
        phase = module_of(check.exercise)
        phase = "mnist gate" if phase == ALL_STUDENT else phase
        phases[phase] = phases.get(phase, 0.0) + check.duration
    result.execution_time = time.perf_counter() - started
    result.phases = phases
    if any(c.internal_error for c in result.checks):
        result.output += "\n" + _("The grader hit an internal error; the pytest log follows.") + "\n" + log[-4000:]
    return result


def collect_checks(rubric=None, checks_dir=None):
    """List every check with its resolved points, without running anything.

    Inputs:
    - rubric: a Rubric (built-in defaults if None).
    - checks_dir: another check suite (default: the built-in one).

    Returns:
    - list of rubric.CheckSpec in report order.
    """
    plugin = GradingPlugin(GradingContext(None, None, GradeOptions(rubric=rubric or Rubric())))
    _run_checks(plugin, None, collect_only=True, checks_dir=checks_dir)
    return list(plugin.specs.values())


def gate_data_missing(options):
    """Whether the MNIST gate's data is missing: the MNISTError, or None when the gate can run.

    The gate's worker reads no data: the grader sends it each batch (autograder/gate.py), so
    the grader's data decides. Looked for, never downloaded (a grading makes no network
    requests). No data at all leaves the gate out: everything else is graded, and the gate is
    reported as not run with what to do. Worth 0 points (rubric), the gate needs no data:
    data that is there but unusable then leaves it out too.

    Raises UserError, when the gate is worth points, for data that is there but unusable
    (damaged, incomplete) and for a data_dir (``--data-dir``) that holds none: a folder
    named on purpose is a statement that the data is there.
    """
    try:
        mnist_data.cache_paths(options.data_dir, download=False)
    except mnist_data.DataNotFoundError as exc:
        if options.data_dir is not None and gate_points(options.rubric) != 0:
            raise UserError(_("--data-dir: {problem}; put the four MNIST .gz files there (`python -m "
                              "mnist_data download --data-dir DIR` fetches them)").format(problem=exc)) from None
        return exc
    except mnist_data.MNISTError as exc:
        if gate_points(options.rubric) != 0:
            raise UserError(_("the MNIST accuracy gate needs the MNIST data: {problem}").format(problem=exc)) from None
        return exc
    return None


def gate_not_run_reason(options, missing):
    """What a grading without the gate's data says about it: "" when the gate is worth 0 points
    (nothing need say so), else "not run: ..." with what to do (see data_help).

    Inputs:
    - options: the GradeOptions (their rubric gives the gate's points).
    - missing: what gate_data_missing returned (not None).
    """
    if gate_points(options.rubric) == 0:
        return ""
    return _("not run: {why}").format(why=data_help(missing))


def data_help(exc):
    """What a user without the MNIST data reads: where it was looked for, and how to get it."""
    folder = getattr(exc, "folder", None)
    if folder is None:
        return str(exc)
    return _("MNIST data not found in {folder}. Get the four MNIST files with `python -m mnist_data "
             "download` (it saves them there), or point MNIST_DATA_DIR or --data-dir at a folder that "
             "holds them, and grade again.").format(folder=folder)


def gate_points(rubric):
    """The points of the MNIST gate under this rubric."""
    return rubric.points.get(GATE, POINTS[GATE])


def _run_checks(plugin, junit_path, collect_only=False, nodeids=None, in_process_student=False,
                checks_dir=None):
    """Run (or only collect) the check suite under pytest in this process; return pytest's log.

    nodeids selects checks (default: all). in_process_student is for notebooks, where student
    code runs in this very process: its warnings are then ignored instead of being errors,
    and only Python-level output is captured. checks_dir: another check suite (default
    CHECKS_DIR). Raises CheckSuiteError, with pytest's log, when the suite cannot be collected.
    """
    checks = Path(checks_dir) if checks_dir else CHECKS_DIR
    ini = checks / "pytest.ini" if (checks / "pytest.ini").is_file() else CHECKS_DIR / "pytest.ini"
    targets = [str(checks / n) for n in nodeids] if nodeids else [str(checks)]
    # --strict-markers: a misspelt marker (weight, visibility, exercise) is an error, not a no-op.
    args = [*targets, "-c", str(ini), "--rootdir", str(checks), "--strict-markers",
            "-p", "no:cacheprovider", "-p", "no:stepwise", "--import-mode=importlib", "-q",
            "--tb=line"]
    if in_process_student:
        args += ["-W", "ignore"]
    else:
        # A warning from the grader's own code is a bug to see; unclosed resources of whatever
        # else lives in this process (a caller's sockets, say) are not the checks' business.
        # The unraisable-exception plugin's warnings are ignored anyway; off, its five gc.collect()
        # calls per run (50 ms a submission in a batch slot's grown heap) go too.
        args += ["-W", "error", "-W", "ignore::ResourceWarning",
                 "-W", "ignore::pytest.PytestUnraisableExceptionWarning", "-p", "no:unraisableexception"]
    if in_process_student:
        # In a notebook kernel: these plugins' gc.collect() calls and handlers cost ~0.3 s per
        # check on a kernel's heap, and none of them affects a verdict.
        args += ["--capture=sys", "-p", "no:unraisableexception", "-p", "no:threadexception",
                 "-p", "no:faulthandler", "-p", "no:logging", "-p", "no:pastebin", "-p", "no:doctest"]
    if collect_only:
        args.append("--collect-only")
    tmp = None
    if junit_path:
        junit_path = Path(junit_path)
        junit_path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=junit_path.parent, prefix=f".{junit_path.name}.", suffix=".tmp")
        os.close(fd)
        args += ["--junitxml", tmp, "-o", "junit_suite_name=dlgrade", "-o", "junit_family=xunit2"]
    saved = {k: os.environ.pop(k, None) for k in ("PYTEST_ADDOPTS", "PYTEST_PLUGINS")}
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"  # third-party plugins must not change grading
    # The checks are compiled from their source, never loaded from bytecode in a __pycache__
    # folder beside them (which a worker might have written): bytecode goes to a private folder.
    saved_prefix, sys.pycache_prefix = sys.pycache_prefix, tempfile.mkdtemp(prefix="dlgrade-pycache-")
    log = io.StringIO()
    try:
        with contextlib.redirect_stdout(log):
            code = pytest.main(args, plugins=[plugin])
        # pytest reports Ctrl-C and collection errors with the same exit code: the plugin
        # saw which one it was.
        if plugin.keyboard_interrupted:  # Ctrl-C: pytest caught it; pass it on to the caller
            raise KeyboardInterrupt
        if code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
            raise CheckSuiteError(f"the grader's check suite could not run (pytest exit {int(code)}); "
                                  "this is an error in the grader, not in the submission", log.getvalue()[-8000:])
        if tmp:
            os.replace(tmp, junit_path)
            tmp = None
    finally:
        shutil.rmtree(sys.pycache_prefix, ignore_errors=True)
        sys.pycache_prefix = saved_prefix
        os.environ.pop("PYTEST_DISABLE_PLUGIN_AUTOLOAD", None)
        for k, v in saved.items():
            if v is not None:
                os.environ[k] = v
        if tmp and os.path.exists(tmp):
            os.unlink(tmp)
    return log.getvalue()


def _assemble(plugin, options, name, missing, excluded="excluded by --only", notes=(), not_run=None):
    """Group check results by exercise; exercises not graded in this run score 0 of 0.

    not_run: {exercise: reason} of the exercises this run could not grade. A reason is
    recorded on each check (CheckResult.not_run, with the points it was worth) and said once
    in the output; an empty reason leaves the exercise out of the result without a word.
    """
    not_run = not_run or {}
    by_exercise = {e: [] for e in EXERCISES}
    recorded = {r.check_id: r for r in plugin.results.values()}
    for spec in plugin.all_specs:
        result = recorded.get(spec.check_id)
        if spec.exercise in not_run:
            if not_run[spec.exercise]:
                by_exercise[spec.exercise].append(CheckResult(
                    spec.check_id, spec.exercise, spec.title, 0.0, 0.0, False, output=not_run[spec.exercise],
                    visibility=spec.visibility, graded=False, not_run=not_run[spec.exercise],
                    extra_data={POINTS_NOT_RUN: spec.max_score}))
            continue
        if result is None:
            # Excluded with --only: listed (every exercise appears), but outside the total.
            result = CheckResult(spec.check_id, spec.exercise, spec.title, 0.0, 0.0, False,
                                 output=_("not graded in this run ({why})").format(why=excluded),
                                 visibility=spec.visibility, graded=False)
        by_exercise[spec.exercise].append(result)
    exercises = [ExerciseResult(e, by_exercise[e]) for e in EXERCISES]
    lines = [_("Graded {name}.").format(name=name)]
    if missing:
        lines.append(_("Missing module(s): {modules} (their exercises score 0).").format(
            modules=", ".join(f"{m}.py" for m in missing)))
    # Exercises found under another accepted name (exercises.CATALOG aliases): one line each.
    lines.extend(_("Note: {note}.").format(note=note) for note in notes)
    result = GradeResult(submission=name, exercises=exercises)
    if result.left_out():
        lines.append(_("Total {score} / {max_score} {note}.").format(
            score=f"{result.score:.4g}", max_score=f"{result.max_score:.4g}", note=result.total_note()))
    result.output = "\n".join(lines)
    return result
