"""The course notebooks' own text in Korean and Japanese: the gettext catalog domain ``notebooks``.

Everything the builder writes into a notebook for students to read — the markdown of each
part, the comments of given cells, the answer cells' hints, the test cells' headings, the
phrases demo cells print — is English in the code (:mod:`.content`, ``solutions/``) and is
looked up here, with the English text (stripped of surrounding newlines) as the msgid, in
``autograder/locale/<lang>/LC_MESSAGES/notebooks.po``. The engine's messages (what a test
cell prints when a check fails) are the main domain's (:mod:`autograder.i18n`); they follow
``DLGRADE_LANG``, which a built notebook sets in its kernel.

The long markdown blocks live in their own domain so that the engine's catalogs stay short;
the ``.po`` files are ordinary gettext catalogs (edit them with any PO editor; Babel reads
them). When an English text changes, its old translation no longer matches and the build
falls back to English for it: ``tests/test_nbbuild.py`` fails on any notebook text that lacks
a Korean or Japanese translation, or whose translation drops a ``{placeholder}``.

Demo code marks the phrases it prints with ``_t("...")``; the builder replaces each call by
the translated string literal (see :func:`translate_demo`). Plot labels are marked ``_p("...")``:
a label in Korean or Japanese needs a font with those characters, which a kernel may lack
(matplotlib would draw empty boxes and warn), so the builder writes ``("<translation>" if
PLOT_FONT else "<English>")``, with ``PLOT_FONT`` found by the setup cell (:data:`PLOT_FONTS`).
"""
from __future__ import annotations

import ast
import functools
import io
import re
from pathlib import Path

from autograder import UserError
from autograder.i18n import LANGUAGES, LOCALE_DIR

DOMAIN = "notebooks"
# The feedback page's own words (autograder/nbbuild/feedback.py; the rest of the page comes
# from the notebook, already in its language).
FEEDBACK_WORDS = ("Score", "Comment", "Late submission penalty", "Student's answer", "Student's task",
                  "Comments:", "Top")
_DEMO_TEXT = re.compile(r'_t\((?P<literal>"(?:[^"\\\n]|\\.)*")\)')
_PLOT_TEXT = re.compile(r'_p\((?P<literal>"(?:[^"\\\n]|\\.)*")\)')
PLOT_FONT = "PLOT_FONT"  # the setup cell's variable: a font for the plots' labels, or None
# Fonts with Hangul or kana and kanji that the setup cell looks for, most wanted first (the
# CJK families cover both languages).
PLOT_FONTS = {
    "ko": ("NanumGothic", "Noto Sans CJK KR", "Noto Sans KR", "Malgun Gothic", "AppleGothic", "UnDotum",
           "Noto Sans CJK JP", "Source Han Sans KR"),
    "ja": ("Noto Sans CJK JP", "Noto Sans JP", "IPAexGothic", "IPAGothic", "Hiragino Sans", "Yu Gothic",
           "MS Gothic", "TakaoGothic", "Noto Sans CJK KR", "Source Han Sans JP"),
}


def catalog_path(lang: str) -> Path:
    """The ``.po`` file of ``lang`` (``ko`` or ``ja``) for the notebooks' domain."""
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


@functools.lru_cache(maxsize=None)
def catalog(lang: str) -> dict:
    """{English msgid: translation} of ``lang`` (empty for English or a missing catalog).

    Fuzzy and untranslated entries are left out: the build uses the English text for them.
    """
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}: choose one of {', '.join(LANGUAGES)}")
    path = catalog_path(lang)
    if lang == "en" or not path.is_file():
        return {}
    try:
        from babel.messages.pofile import read_po
    except ImportError:
        raise UserError("notebooks in Korean or Japanese need Babel: pip install 'dlscratch-kit[nbgrader]'") from None
    with path.open("rb") as f:
        po = read_po(f, locale=lang, domain=DOMAIN)
    return {m.id: m.string for m in po if m.id and isinstance(m.id, str) and m.string and not m.fuzzy}


def translate(text: str, lang: str) -> str:
    """``text`` (English; surrounding newlines ignored) in ``lang``, or the English when untranslated."""
    key = text.strip("\n")
    return catalog(lang).get(key, key)


def demo_texts(source: str) -> list:
    """The English phrases a demo's source marks with ``_t("...")`` and ``_p("...")``."""
    return [ast.literal_eval(m.group("literal")) for pattern in (_DEMO_TEXT, _PLOT_TEXT)
            for m in pattern.finditer(source)]


def translate_demo(source: str, lang: str) -> str:
    """A demo's source with each ``_t("English")`` replaced by the translated string literal, and each
    ``_p("English")`` by one that is the translation when the setup cell found a font for it."""
    def plot_label(match):
        english = ast.literal_eval(match.group("literal"))
        translated = translate(english, lang)
        if translated == english:
            return _literal(english)
        return f"({_literal(translated)} if {PLOT_FONT} else {_literal(english)})"

    source = _DEMO_TEXT.sub(lambda m: _literal(translate(ast.literal_eval(m.group("literal")), lang)), source)
    return _PLOT_TEXT.sub(plot_label, source)


def plot_font_source(lang: str) -> list:
    """Lines of the setup cell that choose the plots' font (none for English)."""
    if lang not in PLOT_FONTS:
        return []
    return [
        "from matplotlib import font_manager",
        "",
        "_installed = {font.name for font in font_manager.fontManager.ttflist}",
        f"{PLOT_FONT} = next((name for name in {PLOT_FONTS[lang]!r} if name in _installed), None)",
        f"if {PLOT_FONT}:",
        f'    plt.rcParams["font.sans-serif"] = [{PLOT_FONT}, *plt.rcParams["font.sans-serif"]]',
        '    plt.rcParams["axes.unicode_minus"] = False  # such fonts may lack the sign U+2212',
    ]


def _literal(text: str) -> str:
    # Double quotes, as the rest of the demo code: a str literal that never ends an f-string early.
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def placeholders(text: str) -> set:
    """The ``{name}`` placeholders of a text (``{{`` and ``}}`` are literal braces)."""
    return set(re.findall(r"(?<!\{)\{([A-Za-z_][A-Za-z0-9_]*)\}(?!\})", text))


def update_catalogs(texts: list, langs: tuple = ("ko", "ja")) -> list:
    """Bring each language's ``notebooks.po`` in line with ``texts`` (the builder's
    ``notebook_texts()``): new texts are added untranslated, changed ones keep their old
    translation marked fuzzy (Babel's update), texts no longer used are dropped.

    Returns: the paths written. Translators then fill in the empty and fuzzy entries.
    """
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import read_po, write_po

    from autograder.atomic import write_text_atomic
    from autograder.locale import catalogs

    template = Catalog(domain=DOMAIN, project="dlscratch-kit notebooks")
    for text in texts:
        template.add(text.strip("\n"))
    written = []
    for lang in langs:
        path = catalog_path(lang)
        if path.is_file():
            with path.open("rb") as f:
                po = read_po(f, locale=lang, domain=DOMAIN)
        else:
            po = Catalog(locale=lang, domain=DOMAIN, project="dlscratch-kit notebooks")
        po.update(template, no_fuzzy_matching=False)
        po.obsolete.clear()
        buffer = io.BytesIO()
        write_po(buffer, po, width=0, sort_output=False, include_previous=True)
        write_text_atomic(path, buffer.getvalue().decode("utf-8"))
        written.append(path)
        # The grader reads the compiled catalog (a stub's hint, translated as in the answer cells).
        written.append(catalogs.compile_po(path, lang, DOMAIN))
    catalog.cache_clear()
    return written
