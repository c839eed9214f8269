"""Points, visibility and gate settings: data beside the checks, overridable by a rubric file.

Defaults: points per exercise live in the catalog (``autograder/exercises.py``); weights and
visibility beside the checks, as pytest markers:

    class TestAffine:
        pytestmark = pytest.mark.exercise("layers.Affine")   # points: autograder/exercises.py

        @pytest.mark.weight(2)              # share of the exercise's points (default 1)
        @pytest.mark.visibility("hidden")   # Gradescope visibility (default "visible")
        def test_backward_values(self, student, ref, rng): ...

An instructor overrides them with ``dlgrade grade --rubric FILE`` (TOML):

    [points]            # points per exercise (multiples of 1/8); its checks share them by
                        # weight, in eighths of a point
    "layers.Affine" = 12
    mnist = 0           # 0 drops an exercise from the total

    [visibility]        # per exercise or per check id
    "layers.Affine::test_backward_values" = "after_due_date"

    [weight]
    "layers.Affine::test_backward_values" = 3

    [mnist]             # the accuracy gate
    threshold = 0.95
    iterations = 1200

    [budget]            # seconds of grading per exercise and per submission (see TimeBudget)
    exercise = 15
    submission = 60

    [grading]           # the course secret the checks' inputs derive from (see checks/inputs.py)
    secret = "a long random string, kept out of the students' reach"
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields
from fractions import Fraction
from pathlib import Path

from autograder import UserError
from autograder.exercises import EXERCISES
from autograder.results import VISIBILITIES


@dataclass
class MnistGate:
    """How the MNIST accuracy gate trains and what it demands.

    The defaults are calibrated on the reference solution (see README), which
    reaches about 0.96 test accuracy with them.
    """

    threshold: float = 0.95
    iterations: int = 1200
    batch_size: int = 100
    hidden_size: int = 50
    lr: float = 0.1
    momentum: float = 0.9
    optimizer: str = "momentum"
    seed: int = 1234
    timeout: float = 120.0

    def validate(self):
        if not 0.0 <= self.threshold <= 1.0:
            raise UserError(f"rubric: [mnist] threshold must be in [0, 1], got {self.threshold}")
        for name in ("iterations", "batch_size", "hidden_size"):
            if getattr(self, name) <= 0:
                raise UserError(f"rubric: [mnist] {name} must be positive, got {getattr(self, name)}")
        if self.optimizer not in ("sgd", "momentum"):
            raise UserError(f"rubric: [mnist] optimizer must be 'sgd' or 'momentum', got {self.optimizer!r}")
        if self.lr <= 0 or self.timeout <= 0:
            raise UserError("rubric: [mnist] lr and timeout must be positive")


@dataclass
class TimeBudget:
    """Wall-clock seconds the checks of one exercise, and of a whole submission, may take.

    Every call into student code also has its own timeout (``--timeout``); the budgets bound
    their sum, so calls that each stay just under the timeout cannot stretch a grading. When a
    budget runs out, the exercise's remaining checks fail with a message that says so. The
    MNIST gate is outside the submission budget and has its own: its ``[mnist] timeout``.

    Calibration (2-core machine, busy): the reference's slowest exercise takes 0.4 s, all
    exercises but the gate 2.5 s; the defaults leave room for slow but honest code (Python
    loops) and a loaded grading machine, and for two 5 s timeouts within one exercise.
    """

    exercise: float = 15.0
    submission: float = 60.0

    def validate(self):
        for name in ("exercise", "submission"):
            if not getattr(self, name) > 0:
                raise UserError(f"rubric: [budget] {name} must be positive, got {getattr(self, name)}")


@dataclass
class GradingSettings:
    """How the checks' inputs are drawn (see ``autograder/checks/inputs.py``).

    secret: the course secret the inputs derive from (with the check id); every student of
    the course faces the same inputs and a regrade is reproducible. Empty: the
    ``DLGRADE_SECRET`` environment variable, else a random seed per run.
    """

    secret: str = ""

    def validate(self):
        pass


@dataclass
class CheckSpec:
    """One check as collected, with its points resolved."""

    check_id: str
    exercise: str
    title: str
    weight: float = 1.0
    visibility: str = "visible"
    max_score: float = 0.0
    nodeid: str = ""  # pytest's id of the check, relative to autograder/checks

    @property
    def hidden(self):
        return self.visibility != "visible"


@dataclass
class Rubric:
    """Overrides of the defaults the checks declare (empty = use the defaults)."""

    points: dict = field(default_factory=dict)
    visibility: dict = field(default_factory=dict)
    weight: dict = field(default_factory=dict)
    mnist: MnistGate = field(default_factory=MnistGate)
    budget: TimeBudget = field(default_factory=TimeBudget)
    grading: GradingSettings = field(default_factory=GradingSettings)
    source: str = "built-in defaults"

    @classmethod
    def load(cls, path):
        """Read a rubric TOML file; any mistake in it is a UserError naming the file."""
        path = Path(path)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise UserError(f"rubric file not found: {path}") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise UserError(f"cannot read rubric file {path}: {exc}") from None
        except tomllib.TOMLDecodeError as exc:
            raise UserError(f"rubric file {path} is not valid TOML: {exc}") from None
        return cls.from_dict(data, source=str(path))

    @classmethod
    def from_dict(cls, data, source="<dict>"):
        unknown = set(data) - {"points", "visibility", "weight", *_SETTINGS}
        if unknown:
            raise UserError(f"rubric {source}: unknown section(s) {sorted(unknown)}; "
                            "expected [points], [visibility], [weight], "
                            + ", ".join(f"[{name}]" for name in _SETTINGS))
        rubric = cls(source=source)
        for key, value in data.get("points", {}).items():
            _check_target(key, source, "points")
            if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
                raise UserError(f"rubric {source}: points for {key!r} must be a number >= 0, got {value!r}")
            if Fraction(value) % POINT_UNIT:
                raise UserError(f"rubric {source}: points for {key!r} must be a multiple of "
                                f"{float(POINT_UNIT)} (checks get multiples of it), got {value!r}")
            rubric.points[key] = float(value)
        for key, value in data.get("visibility", {}).items():
            _check_target(key, source, "visibility")
            if value not in VISIBILITIES:
                raise UserError(f"rubric {source}: visibility for {key!r} must be one of {VISIBILITIES}, got {value!r}")
            rubric.visibility[key] = value
        for key, value in data.get("weight", {}).items():
            _check_target(key, source, "weight")
            if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
                raise UserError(f"rubric {source}: weight for {key!r} must be a number >= 0, got {value!r}")
            rubric.weight[key] = float(value)
        for section in _SETTINGS:
            _load_settings(getattr(rubric, section), data.get(section, {}), section, source)
        return rubric

    def resolve(self, specs, default_points):
        """Give each check its visibility, weight and max_score.

        Inputs:
        - specs: list of CheckSpec with the markers' weight and visibility.
        - default_points: {exercise id: points} from the checks' markers.

        Returns:
        - the same specs, updated in place, for chaining.
        """
        by_exercise = {}
        for spec in specs:
            spec.weight = self.weight.get(spec.check_id, spec.weight)
            spec.visibility = self.visibility.get(
                spec.check_id, self.visibility.get(spec.exercise, spec.visibility))
            by_exercise.setdefault(spec.exercise, []).append(spec)
        for exercise, group in by_exercise.items():
            points = self.points.get(exercise, default_points.get(exercise, 0.0))
            for s, share in zip(group, split_points(points, [s.weight for s in group])):
                s.max_score = share
        return specs


# Every check's points are a multiple of POINT_UNIT, a power of two: then every sum of them
# (a total, nbgrader's gradebook and CSV export) is exact in floating point, never 24.222222000000002.
POINT_UNIT = Fraction(1, 8)


def split_points(points: float, weights: list) -> list:
    """Share ``points`` by ``weights`` in multiples of POINT_UNIT, summing exactly to ``points``.

    Inputs:
    - points: the exercise's points (a multiple of POINT_UNIT; otherwise rounded to one).
    - weights: one weight >= 0 per check.

    Returns: list of floats, one per weight (all 0 when the weights are all 0). The exact shares
    are rounded down to units and the units left over go to the largest remainders (ties: the
    earlier check), so no share is off by a unit or more.
    """
    total_weight = sum(Fraction(w) for w in weights)
    if not total_weight:
        return [0.0 for _ in weights]
    units = round(Fraction(points) / POINT_UNIT)
    exact = [units * Fraction(w) / total_weight for w in weights]
    floors = [int(x) for x in exact]
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[: units - sum(floors)]:
        floors[i] += 1
    return [float(u * POINT_UNIT) for u in floors]


# Sections made of one dataclass of settings each: {section: attribute of Rubric}.
_SETTINGS = ("mnist", "budget", "grading")


def _load_settings(settings, values, section, source):
    """Set the fields of a settings dataclass from a rubric table, checking names and types."""
    if not isinstance(values, dict):
        raise UserError(f"rubric {source}: [{section}] must be a table")
    known = {f.name for f in fields(settings)}
    for key, value in values.items():
        if key not in known:
            raise UserError(f"rubric {source}: unknown [{section}] setting {key!r}; known: {sorted(known)}")
        default = getattr(type(settings)(), key)
        if isinstance(default, bool) or type(value) not in (type(default), int) or isinstance(value, bool) \
                or (type(default) is str and type(value) is not str):
            raise UserError(f"rubric {source}: [{section}] {key} must be a {type(default).__name__}, got {value!r}")
        setattr(settings, key, type(default)(value))
    settings.validate()


def _check_target(key, source, section):
    exercise = key.split("::", 1)[0]
    if exercise not in EXERCISES:
        raise UserError(f"rubric {source}: [{section}] names unknown exercise {exercise!r}")
