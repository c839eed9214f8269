"""Make text and values that came from student code safe for every output of the grader.

Student code controls exception messages, printed output, reprs, names and numbers that end
up in the terminal report, results.json, JUnit XML and notebook feedback. Before any of it
is written anywhere it goes through :func:`clean_text` (strings) or :func:`clean_json`
(whole documents):

- control characters (ESC, CR, backspace, the C1 range incl. CSI U+009B) and invisible
  format characters (bidi overrides, zero-width characters, line/paragraph separators) are
  escaped as ``\\x1b`` / ``\\u202e``: visible, and unable to move the cursor, clear the
  screen or reorder text, so a message cannot paint a forged report. Newlines and tabs stay;
- lone surrogates (invalid Unicode, which crash a UTF-8 encoder) become U+FFFD;
- length is capped (head and tail kept), so no message can flood a report;
- in documents, NaN and infinities become ``None`` (JSON null), so the result is strict JSON.

Escaping only adds backslash sequences, so cleaning twice gives the same text.
"""
from __future__ import annotations

import math
import re

from autograder.i18n import _

__all__ = ["MAX_TEXT", "clean_text", "clean_json", "clean_cell"]

MAX_TEXT = 8000  # characters of one message (a check's failure text with tracebacks fits easily)

_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f"          # C0 (but \t, \n) and C1 control characters
    "\u00ad\u061c\u180e\u200b-\u200f"       # soft hyphen, Arabic letter mark, zero-width, LRM/RLM
    "\u2028\u2029\u202a-\u202e"             # line/paragraph separators, bidi embeddings/overrides
    "\u2060-\u2064\u2066-\u206f\ufeff"      # word joiner, bidi isolates, deprecated formats, BOM
    "\ufff9-\ufffb\U000e0000-\U000e007f]"   # interlinear annotations, tag characters
)
_SURROGATE = re.compile("[\ud800-\udfff]")


def _escape(match: re.Match) -> str:
    code = ord(match.group())
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def clean_text(text: object, limit: int = MAX_TEXT) -> str:
    """A printable, valid-Unicode, bounded version of text.

    Inputs:
    - text: a str (anything else is converted with str(), itself guarded).
    - limit: maximum length of the result in characters (>= 100).

    Returns:
    - str with control and format characters escaped, lone surrogates replaced by U+FFFD,
      and at most ``limit`` characters (the middle is cut, with a note saying how much).
    """
    if limit < 100:
        raise ValueError(f"limit must be at least 100 characters, got {limit}")
    if type(text) is not str:
        try:
            text = str(text)
        except Exception:  # noqa: BLE001 - a hostile __str__ must not stop the report
            text = f"<unprintable {type(text).__name__}>"
        if type(text) is not str:  # a str subclass could override anything
            text = "<unprintable value>"
    if len(text) > 4 * limit:  # cut before working on the rest: a reply may hold 60 MB of text
        text = text[: 2 * limit] + text[-2 * limit:]
    text = text.replace("\r\n", "\n")
    text = _SURROGATE.sub("\ufffd", text)
    text = _UNSAFE.sub(_escape, text)
    if len(text) > limit:
        keep = limit - 40  # room for the note
        note = "\n" + _("[... {count} characters cut ...]").format(count=len(text) - keep) + "\n"
        head = keep * 2 // 3
        text = text[:head] + note + text[len(text) - (keep - head):]
    return text


def clean_json(value: object, limit: int = MAX_TEXT, _depth: int = 0) -> object:
    """A copy of a JSON-like document that ``json.dumps(allow_nan=False)`` always accepts.

    Inputs:
    - value: dicts, lists, tuples, str, int, float, bool, None (numpy scalars are turned
      into Python numbers; anything else into its cleaned str()).
    - limit: length cap of every string (see clean_text).

    Returns:
    - the document with every string cleaned, every dict key a cleaned str, and NaN or
      infinite floats replaced by None.
    """
    if _depth > 100:
        return "<nested too deeply>"
    if value is None or type(value) is bool:
        return value
    if type(value) is int:
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    kind = _numpy_kind(value)
    if kind == "b":
        return bool(value)
    if kind in ("i", "u"):
        return int(value)
    if kind == "f":
        number = float(value)
        return number if math.isfinite(number) else None
    if type(value) is str:
        return clean_text(value, limit)
    if isinstance(value, dict):
        return {clean_text(k if type(k) is str else str(k), limit): clean_json(v, limit, _depth + 1)
                for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean_json(v, limit, _depth + 1) for v in value]
    return clean_text(value, limit)


def _numpy_kind(value: object) -> str:
    """The dtype kind of a numpy scalar or 0-d array ("" for anything else)."""
    dtype = getattr(value, "dtype", None)
    if dtype is None or getattr(value, "shape", None) != ():
        return ""
    return getattr(dtype, "kind", "")


# A spreadsheet (Excel, LibreOffice, Google Sheets) runs a cell that starts with one of these
# as a formula: ``=HYPERLINK("http://...", "grade")`` in a student id would run on the TA's
# machine. The full-width forms count: Japanese and Korean input methods type them, and
# spreadsheets there read them as the ASCII ones.
_FORMULA_START = tuple("=+-@\t\r\uff1d\uff0b\uff0d\uff20")


def clean_cell(text: object, limit: int = 200) -> str:
    """A CSV cell that no spreadsheet reads as a formula (OWASP's CSV injection advice).

    Inputs:
    - text: the cell's text (a student id, a status); not a number (``-1`` would be quoted).
    - limit: length cap (see clean_text).

    Returns:
    - the cleaned text, with a leading ``'`` when it starts like a formula.
    """
    text = clean_text(text, limit)
    return "'" + text if text.startswith(_FORMULA_START) else text
