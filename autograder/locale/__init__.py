"""The kit's translation catalogs (gettext, domain ``dlgrade``) and the tools that keep them.

``<lang>/LC_MESSAGES/dlgrade.po`` holds the translations (English msgid), ``dlgrade.mo`` beside
it the compiled catalog that ``autograder.i18n`` reads, ``dlgrade.pot`` the template extracted
from the sources. After adding or changing a student-facing string::

    python -m autograder.locale update    # extract, merge into ko and ja, compile
    # translate the new entries (msgstr "") in ko/ and ja/, then
    python -m autograder.locale compile

Babel (a test dependency) does the extraction and compiling; the running kit needs only the
``.mo`` files, which are committed and packaged.
"""
