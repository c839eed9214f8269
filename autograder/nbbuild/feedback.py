"""The kit's side of ``nbgrader generate_feedback``: preprocessors and an HTML template.

``nbgrader_config.py`` (written by ``dlgrade nbgrader build``) calls :func:`configure_feedback`,
which puts these in nbgrader's pipeline:

- :class:`ClearHiddenTestsAndTracebacks` keeps hidden tests out of feedback (nbgrader #917).
  ``nbgrader autograde`` restores the hidden tests into the notebook it grades, and
  ``generate_feedback`` renders that notebook. nbgrader's own ``ClearHiddenTests`` removes the
  ``### BEGIN HIDDEN TESTS`` / ``### END HIDDEN TESTS`` regions from the cells' *source*, but
  a failing cell's error output may quote them (IPython's traceback shows the lines around
  the failing one). This preprocessor does both: it clears the regions and reduces each error
  output of such a cell to its message (for a failing check, the student-facing message of
  :func:`autograder.notebook.run_check`, which for a hidden check never shows expected values).
- :class:`FeedbackPage` prepares the page: LaTeX formulas in markdown cells become MathML
  (latex2mathml), which browsers render without MathJax, so the page needs no network; each
  test cell gets the name the summary shows (its heading comment); the page's own words come
  in the notebook's language (``metadata.dlgrade.language``, set by the build).
- the template file ``templates/feedback/dlgrade.html.j2`` (beside this module) extends
  nbgrader's ``feedback`` template: no MathJax from a CDN, long messages wrapped instead of clipped,
  and a summary that names each test cell.

Importing this module needs nbgrader (and latex2mathml, which the ``nbgrader`` extra installs).
"""
from __future__ import annotations

import re
from pathlib import Path

from nbconvert.preprocessors import Preprocessor
from nbgrader.preprocessors import ClearHiddenTests
from traitlets import Bool, List

from autograder.i18n import LANGUAGES, current_language
from autograder.nbbuild import text as nbtext

TEMPLATE_FILE = "dlgrade.html.j2"
TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"


class ClearHiddenTestsAndTracebacks(ClearHiddenTests):
    """ClearHiddenTests, plus: the error outputs of cells that had a hidden region keep only
    their message (their tracebacks quote the hidden lines)."""

    # nbconvert's HTMLExporter configures NbConvertBase.display_data_priority for every
    # preprocessor; nbgrader's base class redeclares the trait without config=True, which makes
    # traitlets warn "Config option `display_data_priority` not recognized". Accept it.
    display_data_priority = List(ClearHiddenTests.display_data_priority.default_value).tag(config=True)

    def preprocess_cell(self, cell, resources, cell_index):
        had_hidden = cell.cell_type == "code" and self.begin_test_delimeter in cell.source
        cell, resources = super().preprocess_cell(cell, resources, cell_index)
        if had_hidden:
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    output["traceback"] = str(output.get("evalue", "")).splitlines() or [output.get("ename", "")]
        return cell, resources


# $$...$$ (display) or $...$ (inline, no space just inside the dollars), outside code spans.
_MATH = re.compile(r"\$\$(?P<display>.+?)\$\$|\$(?P<inline>[^\s$](?:[^$\n]*?[^\s$])?)\$", re.S)
_CODE = re.compile(r"(```.*?```|`[^`\n]*`)", re.S)


def latex_to_mathml(markdown: str) -> str:
    """The markdown with each ``$...$`` / ``$$...$$`` formula replaced by MathML (code left alone).

    A formula latex2mathml cannot convert stays as it was (it then shows as LaTeX source).
    """
    from latex2mathml.converter import convert

    def formula(match):
        display = match.group("display") is not None
        tex = match.group("display") if display else match.group("inline")
        try:
            mathml = convert(tex.strip(), display="block" if display else "inline")
        except Exception:  # latex2mathml raises many kinds of errors for input it does not know
            return match.group(0)
        return mathml.replace("\n", " ")

    parts = _CODE.split(markdown)
    return "".join(part if i % 2 else _MATH.sub(formula, part) for i, part in enumerate(parts))


def cell_name(source: str) -> str:
    """A test cell's name for the feedback summary: its heading comment without the points.

    ``# Test (1 point): softmax of a batch`` gives ``Test: softmax of a batch``.
    """
    for line in source.splitlines():
        line = line.strip()
        if line.startswith("#") and not line.startswith("###"):
            return re.sub(r"\s*\([^)]*\)", "", line.lstrip("#").strip(), count=1)
        if line:
            break
    return ""


class FeedbackPage(Preprocessor):
    """Formulas as MathML, a name for each test cell, the page's words in the course's language."""

    enabled = Bool(True)  # nbconvert's preprocessors are off unless enabled; nbgrader registers it as is

    def preprocess(self, nb, resources):
        lang = nb.metadata.get("dlgrade", {}).get("language") or current_language()
        if lang not in LANGUAGES:
            lang = "en"
        resources.setdefault("dlgrade", {})["words"] = {w: nbtext.translate(w, lang) for w in nbtext.FEEDBACK_WORDS}
        resources["dlgrade"]["lang"] = lang
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, cell_index):
        if cell.cell_type == "markdown":
            cell.source = latex_to_mathml(cell.source)
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade"):
            # Set here from the locked source (autograde restores it), never from the
            # student's copy of the metadata.
            name = cell_name(cell.source) if cell.cell_type == "code" else ""
            cell.metadata["dlgrade_feedback"] = {"name": name or meta.get("grade_id", "")}
        return cell, resources


def configure_feedback(c) -> None:
    """Put the kit's preprocessors and template into an nbgrader config (``c = get_config()``).

    The default preprocessors are [GetGrades, CSSHTMLHeaderPreprocessor]; nbgrader's own
    template folder stays on the search path, since the kit's template extends its ``feedback``.
    """
    import nbgrader
    from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
    from nbgrader.preprocessors import GetGrades

    nbgrader_templates = Path(nbgrader.__file__).resolve().parent / "server_extensions" / "formgrader" / "templates"
    c.GenerateFeedback.preprocessors = [GetGrades, ClearHiddenTestsAndTracebacks, FeedbackPage,
                                        CSSHTMLHeaderPreprocessor]
    # nbgrader renders with the template named "feedback" (its API, behind the formgrader's
    # button, insists on that name). The kit's folder of that name comes first and holds
    # TEMPLATE_FILE, which extends "index.html.j2": found next, in nbgrader's own folder.
    c.HTMLExporter.template_file = TEMPLATE_FILE
    c.HTMLExporter.extra_template_basedirs = [str(TEMPLATE_DIR), str(nbgrader_templates)]
