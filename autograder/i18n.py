"""Translations of everything a student reads: English, Korean, Japanese.

The English text is the msgid (gettext's convention): code writes ``_("not implemented yet")``
and the catalogs in ``autograder/locale/<lang>/LC_MESSAGES/dlgrade.po`` hold the Korean and
Japanese. The compiled ``.mo`` files beside them are committed and packaged, so the stdlib
``gettext`` module reads them at run time (no Babel needed); ``python -m autograder.locale``
re-extracts and recompiles them, and ``tests/test_i18n.py`` fails when they are stale.

API (stable; other modules rely on it):
- ``_(message)``: the message in the current language.
- ``ngettext(singular, plural, n)``: the plural form for n.
- ``N_(message)``: marks a constant for extraction without translating it now (translate
  it where it is shown, with ``_(constant)``).
- ``set_language(lang)`` / ``current_language()``: ``lang`` is ``en``, ``ko`` or ``ja``;
  None chooses from the environment (``DLGRADE_LANG``, then ``LC_ALL``/``LC_MESSAGES``/``LANG``).
- ``using_language(lang)``: a context manager speaking ``lang`` inside its block (None: what
  ``set_language`` chose, else the environment's language).
- ``translations(lang, domain)``: the ``gettext`` catalog of a language and domain (another
  domain's catalog lives in the same ``locale`` folder, ``<lang>/LC_MESSAGES/<domain>.mo``).
- ``check_title(docstring)``: a check's title (what the report shows), the msgid of its
  translation; the extractor uses the same rule.
- ``LANGUAGES``: the languages the kit speaks.

Placeholders use ``str.format`` names (``{name}``): translate the template, then format it.
"""
from __future__ import annotations

import contextlib
import contextvars
import functools
import gettext
import os
from collections.abc import Iterator
from pathlib import Path

__all__ = ["LANGUAGES", "DOMAIN", "LOCALE_DIR", "_", "ngettext", "N_", "set_language", "current_language",
           "language_from_env", "using_language", "translations", "check_title", "parse_language"]

LANGUAGES = ("en", "ko", "ja")
DOMAIN = "dlgrade"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"

# The language chosen by set_language (the whole process: every thread) and by using_language
# (a context variable: a block that switches language leaves other threads be). None: the
# environment decides.
_process_language: str | None = None
_chosen: contextvars.ContextVar[str | None] = contextvars.ContextVar("dlgrade_language", default=None)


def parse_language(value: str) -> str | None:
    """The kit's language named by a locale or language value (``ko_KR.UTF-8``, ``ja``, ``en_US``),
    or None when it names none of LANGUAGES (``C``, ``fr_FR``)."""
    code = value.strip().split(".", 1)[0].split("@", 1)[0].replace("-", "_").split("_", 1)[0].lower()
    return code if code in LANGUAGES else None


def language_from_env() -> str:
    """The language the environment asks for, else ``en``.

    ``DLGRADE_LANG`` (set it in a notebook kernel) wins when it names a language of the kit;
    otherwise the locale decides as in POSIX: the first of ``LC_ALL``, ``LC_MESSAGES``, ``LANG``
    that is set (so ``LC_ALL=C`` means English whatever ``LANG`` says).
    """
    chosen = parse_language(os.environ.get("DLGRADE_LANG", ""))
    if chosen:
        return chosen
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var, "")
        if value:
            return parse_language(value) or "en"
    return "en"


def _checked(lang: str | None) -> str | None:
    if lang is not None and lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}: choose one of {', '.join(LANGUAGES)}")
    return lang


def set_language(lang: str | None) -> None:
    """Speak ``lang`` from now on, in every thread (None: choose from the environment)."""
    global _process_language
    _process_language = _checked(lang)


def process_language() -> str | None:
    """The language set by ``set_language`` (None: chosen from the environment)."""
    return _process_language


@contextlib.contextmanager
def using_language(lang: str | None) -> Iterator[None]:
    """Speak ``lang`` inside the block (None: the process's language), then what was before."""
    token = _chosen.set(_checked(lang))
    try:
        yield
    finally:
        _chosen.reset(token)


def current_language() -> str:
    """The language messages are translated into."""
    chosen = _chosen.get() or _process_language
    return chosen if chosen is not None else language_from_env()


def translations(lang: str | None = None, domain: str = DOMAIN) -> gettext.NullTranslations:
    """The catalog of ``lang`` (default: the current language) for ``domain``.

    English, and a language without a compiled catalog, give ``NullTranslations`` (the msgid
    itself), so a missing translation shows the English text rather than failing.
    """
    return _catalog(_checked(lang) or current_language(), domain)


@functools.cache
def _catalog(lang: str, domain: str) -> gettext.NullTranslations:
    if lang == "en":
        return gettext.NullTranslations()
    return gettext.translation(domain, localedir=str(LOCALE_DIR), languages=[lang], fallback=True)


def _(message: str) -> str:
    """``message`` in the current language (the English text when no translation exists)."""
    return _catalog(current_language(), DOMAIN).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural form for ``n``, in the current language."""
    return _catalog(current_language(), DOMAIN).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark ``message`` for translation without translating it here."""
    return message


def check_title(docstring: str | None) -> str | None:
    """The title of a check: the first line of its test's docstring, without a final period.

    The title is the msgid of its translation (``_(check_title(doc))``); the catalog's
    extractor (``autograder/locale/extract.py``) applies this very rule to the check files.
    """
    doc = (docstring or "").strip()
    return doc.splitlines()[0].strip().rstrip(".") if doc else None
