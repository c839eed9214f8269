"""Keep the catalogs in step with the sources: extract, merge, compile (Babel's Python API).

The running kit reads only the compiled ``.mo`` files (stdlib ``gettext``); these tools are
for whoever adds a string, and for ``tests/test_i18n.py``, which fails when a catalog is
stale. Extraction follows ``babel.cfg`` at the repository's root.
"""
from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from autograder.atomic import write_text_atomic
from autograder.i18n import DOMAIN, LANGUAGES, LOCALE_DIR

ROOT = LOCALE_DIR.parents[1]  # the repository (babel.cfg's patterns are relative to it)
TRANSLATED = tuple(lang for lang in LANGUAGES if lang != "en")
TEMPLATE = LOCALE_DIR / f"{DOMAIN}.pot"
PROJECT = "dlscratch-kit"


# Every domain with catalogs here: the engine's, and the notebooks' text (autograder/nbbuild/text.py),
# whose .mo the grader also reads at run time (a stub's hint, translated as in the answer cells).
DOMAINS = (DOMAIN, "notebooks")


def po_path(lang: str, domain: str = DOMAIN) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{domain}.po"


def mo_path(lang: str, domain: str = DOMAIN) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{domain}.mo"


def extract() -> Catalog:
    """The template: every student-facing string of the sources, as babel.cfg says."""
    cfg = ROOT / "babel.cfg"
    if not cfg.is_file():
        raise FileNotFoundError(f"{cfg} not found: extraction runs in a clone of the repository")
    with open(cfg, encoding="utf-8") as fh:
        method_map, options_map = parse_mapping_cfg(fh, str(cfg))
    template = Catalog(project=PROJECT, domain=DOMAIN, fuzzy=False)
    for filename, lineno, message, comments, context in extract_from_dir(
            str(ROOT), method_map, options_map,
            directory_filter=lambda d: not Path(d).name.startswith((".", "_")) and "submissions" not in Path(d).parts):
        template.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return template


def read(path: Path, lang: str | None = None, domain: str = DOMAIN) -> Catalog:
    with open(path, "rb") as fh:
        return read_po(fh, locale=lang, domain=domain)


def _po_text(catalog: Catalog) -> str:
    buf = io.BytesIO()
    # No line numbers: a string moving within its file does not change the catalogs.
    write_po(buf, catalog, width=100, include_lineno=False, ignore_obsolete=True)
    return buf.getvalue().decode("utf-8")


def mo_bytes(catalog: Catalog) -> bytes:
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    return buf.getvalue()


def _write_bytes_atomic(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def _outline(catalog: Catalog) -> list:
    """What a template says, without its dates and line numbers."""
    return [(m.id, sorted({f for f, _line in m.locations}), m.auto_comments) for m in catalog]


def update() -> dict[str, list[str]]:
    """Extract the template, merge it into each language's catalog, compile.

    Returns {lang: msgids without a translation} (what is left to translate).
    """
    template = extract()
    if TEMPLATE.exists():
        # The same strings keep the old date: an update that changes nothing changes no file.
        old = read(TEMPLATE)
        if _outline(old) == _outline(template):
            template.creation_date = old.creation_date
    write_text_atomic(TEMPLATE, _po_text(template))
    missing = {}
    for lang in TRANSLATED:
        path = po_path(lang)
        catalog = read(path, lang) if path.exists() else Catalog(locale=lang, domain=DOMAIN, project=PROJECT)
        # No fuzzy matching: a near-identical old translation would be a wrong one, silently.
        catalog.update(template, no_fuzzy_matching=True)
        write_text_atomic(path, _po_text(catalog))
        missing[lang] = [m.id for m in catalog if m.id and not m.string]
    compile_all()
    return missing


def compile_po(po: Path, lang: str, domain: str = DOMAIN) -> Path:
    """Write the ``.mo`` beside a ``.po`` file; returns its path."""
    path = po.with_suffix(".mo")
    _write_bytes_atomic(path, mo_bytes(read(po, lang, domain)))
    return path


def compile_all() -> None:
    """Write each language's ``.mo`` of every domain from its ``.po``."""
    for lang in TRANSLATED:
        for domain in DOMAINS:
            compile_po(po_path(lang, domain), lang, domain)
