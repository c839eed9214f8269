"""Translations of everything a student reads: English, Korean, Japanese.

The English text is the msgid (gettext's convention): code writes ``_("not implemented yet")``
and the catalogs in ``autograder/locale/<lang>/LC_MESSAGES/`` hold the Korean and Japanese.

API (stable; other modules rely on it):
- ``_(message)``: the message in the current language.
- ``ngettext(singular, plural, n)``: the plural form for n.
- ``N_(message)``: marks a constant for extraction without translating it now (translate
  it where it is shown, with ``_(constant)``).
- ``set_language(lang)`` / ``current_language()``: ``lang`` is ``en``, ``ko`` or ``ja``;
  None chooses from the environment (``DLGRADE_LANG``, then ``LC_ALL``/``LC_MESSAGES``/``LANG``).
- ``LANGUAGES``: the languages the kit speaks.

Placeholders use ``str.format`` names (``{name}``): translate the template, then format it.
"""
from __future__ import annotations

import os

__all__ = ["LANGUAGES", "_", "ngettext", "N_", "set_language", "current_language", "language_from_env"]

LANGUAGES = ("en", "ko", "ja")

_current = None


def language_from_env() -> str:
    """The language the environment asks for (``DLGRADE_LANG``, then the locale), else ``en``."""
    for var in ("DLGRADE_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var, "")
        code = value.split(".", 1)[0].split("_", 1)[0].lower()
        if code in LANGUAGES:
            return code
    return "en"


def set_language(lang: str | None) -> None:
    """Speak ``lang`` from now on (None: choose from the environment)."""
    global _current
    if lang is not None and lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}: choose one of {', '.join(LANGUAGES)}")
    _current = lang


def current_language() -> str:
    """The language messages are translated into."""
    return _current if _current is not None else language_from_env()


def _(message: str) -> str:
    """``message`` in the current language (the English text when no translation exists)."""
    return message


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural form for ``n``, in the current language."""
    return singular if n == 1 else plural


def N_(message: str) -> str:
    """Mark ``message`` for translation without translating it here."""
    return message
