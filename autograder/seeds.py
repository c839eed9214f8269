"""Where the checks' inputs come from: a course secret, or a seed per run.

A table of answers to the inputs of the public kit must earn nothing, so a check's inputs
derive from a key the students cannot know and the check's id
(``rng = InputSeed.rng(check_id)``, HMAC-SHA256 of the id under the key):

- a course secret (the rubric's ``[grading] secret`` or the ``DLGRADE_SECRET`` environment
  variable): a regrade of the same submission gives the same verdict. Results record only a fingerprint of it (``secret-1a2b3c4d5e6f``), never the
  secret; ``--seed secret-1a2b3c4d5e6f`` replays it when the same secret is configured;
- otherwise a random seed for each run (``run-<16 hex digits>``), recorded in the results:
  ``dlgrade grade --seed run-...`` replays that run;
- ``--seed`` with any other text uses that text as the key (e.g. to reproduce a report).

A grading salts the key with a digest of the submission's code (``InputSeed.for_submission``):
with a fixed key, the expected values a failure message shows (``expected 2.302585093``)
would otherwise answer the same inputs at the next submission, so a student could fail once,
paste what the report said into a table and score full marks
(``tests/test_redteam.py``). Any change to the code draws other inputs; the same code gets the
same inputs, so regrades and ``--seed`` replays still agree. The self-check's key is public
(``SELF_CHECK_SECRET``: the student distribution replays the reference's answers to its
inputs), so it is never salted.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass, field, replace

import numpy as np

from autograder import UserError

__all__ = ["SECRET_ENV", "SELF_CHECK_SECRET", "InputSeed", "resolve"]

SECRET_ENV = "DLGRADE_SECRET"
# The student distribution's key: public (it ships with the recording of the reference's
# answers to its inputs), so the inputs it draws are the same for every submission.
SELF_CHECK_SECRET = "dlgrade self-check"
_SECRET_PREFIX = "secret-"
_RUN_PREFIX = "run-"


@dataclass(frozen=True)
class InputSeed:
    """The key the checks' inputs derive from, and the id a results file records for it.

    Attributes:
    - id: printable, safe to publish (a secret's fingerprint, or the run's seed).
    - key: bytes; never printed (for a course secret, the secret itself).
    - salt: the digest of the submission being graded (b"": not salted; see for_submission).
    - public: the key is known to students (the self-check's): never salted.
    """

    id: str
    key: bytes = field(repr=False)
    salt: bytes = field(default=b"", repr=False)
    public: bool = False

    def rng(self, check_id: str) -> np.random.Generator:
        """The numpy Generator of one check: the same for the same key, salt and check id."""
        message = check_id.encode("utf-8")
        if self.salt:  # check ids hold no NUL: salt and id cannot be confused
            message = self.salt + b"\0" + message
        digest = hmac.new(self.key, message, hashlib.sha256).digest()
        return np.random.default_rng(int.from_bytes(digest, "big"))

    def for_submission(self, digest: str) -> "InputSeed":
        """This seed salted with a submission's digest (``Submission.digest()``); a public key unchanged.

        Inputs:
        - digest: hex digest of the submission's code.

        Returns: an InputSeed with the same id (the id names the key; the code names the rest).
        """
        if not isinstance(digest, str) or not digest:
            raise ValueError(f"digest must be a non-empty str, got {digest!r}")
        return self if self.public else replace(self, salt=digest.encode("ascii"))


def fingerprint(secret: str) -> str:
    """A short public name of a secret (it does not reveal the secret)."""
    return _SECRET_PREFIX + hashlib.sha256(b"dlgrade seed id\0" + secret.encode("utf-8")).hexdigest()[:12]


def resolve(seed_id: str | None = None, secret: str = "") -> InputSeed:
    """The InputSeed of a grading run.

    Inputs:
    - seed_id: ``--seed`` (None: not given).
    - secret: the rubric's ``[grading] secret`` ("" : none; then ``$DLGRADE_SECRET``).

    Returns: an InputSeed. Raises UserError for a secret fingerprint that does not match the
    configured secret.
    """
    if seed_id is not None and not isinstance(seed_id, str):
        raise TypeError(f"seed_id must be a str or None, got {type(seed_id).__name__}")
    secret = secret or os.environ.get(SECRET_ENV, "")
    if seed_id is not None:
        seed_id = seed_id.strip()
        if not seed_id:
            raise UserError("--seed must not be empty")
        if not seed_id.startswith(_SECRET_PREFIX):
            return InputSeed(seed_id, seed_id.encode("utf-8"))
        if not secret:
            raise UserError(f"--seed {seed_id} names inputs drawn from a course secret: set the same "
                            f"secret ([grading] secret in the rubric, or {SECRET_ENV}) to replay them")
        if fingerprint(secret) != seed_id:
            raise UserError(f"--seed {seed_id} was drawn from another secret than the one configured "
                            f"(whose id is {fingerprint(secret)})")
    if secret:
        return InputSeed(fingerprint(secret), secret.encode("utf-8"), public=secret == SELF_CHECK_SECRET)
    run = _RUN_PREFIX + secrets.token_hex(8)
    return InputSeed(run, run.encode("utf-8"))
