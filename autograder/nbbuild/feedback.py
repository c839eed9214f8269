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
  (latex2mathml), which browsers render without MathJax, so the page needs no network; no
  HTML a student wrote reaches the page (their markdown's HTML shows as text, a formula's
  MathML is rebuilt from allowed elements, outputs keep only text and base64 images), so the
  page runs no student script where a TA opens it (formgrader's origin); each
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
_MATHML_NS = "{http://www.w3.org/1998/Math/MathML}"
# What a formula may become: presentation MathML, without links (``\href{javascript:...}``),
# styles, event handlers or any HTML (``\text{<svg/onload=...>}``).
_MATHML_TAGS = frozenset("""math mrow mi mn mo ms mtext mspace msub msup msubsup munder mover
    munderover mfrac msqrt mroot mstyle mpadded mphantom menclose mfenced mtable mtr mtd
    mlabeledtr merror semantics annotation mmultiscripts mprescripts none""".split())
_MATHML_ATTRIBUTES = frozenset("""display mathvariant mathcolor mathbackground mathsize stretchy
    fence separator form accent accentunder lspace rspace width height depth linethickness
    columnalign rowalign columnlines rowlines columnspacing rowspacing frame framespacing
    equalrows equalcolumns displaystyle scriptlevel minsize maxsize largeop movablelimits
    symmetric notation open close separators voffset bevelled align encoding columnspan
    rowspan dir""".split())
# Outputs a feedback page shows: the rest (HTML, SVG, JavaScript, markdown, LaTeX) may carry
# script, written by the student's code in the kernel that nbgrader ran.
_TEXT_OUTPUT = "text/plain"
_IMAGE_OUTPUTS = frozenset({"image/png", "image/jpeg", "image/gif"})
_BASE64 = re.compile(r"[A-Za-z0-9+/=\s]*")


def safe_mathml(mathml: str) -> str | None:
    """The MathML rebuilt from its allowed elements and attributes, or None if it has others."""
    import xml.etree.ElementTree as ET

    try:
        root = ET.fromstring(mathml)
    except ET.ParseError:
        return None
    for element in root.iter():
        tag = element.tag.removeprefix(_MATHML_NS) if isinstance(element.tag, str) else ""
        if tag not in _MATHML_TAGS or any(name not in _MATHML_ATTRIBUTES for name in element.attrib):
            return None
        element.tag = tag
    root.set("xmlns", _MATHML_NS[1:-1])
    return ET.tostring(root, encoding="unicode")  # rebuilt: only what was checked, escaped


def latex_to_mathml(markdown: str) -> str:
    """The markdown with each ``$...$`` / ``$$...$$`` formula replaced by MathML (code left alone),
    and every other ``<`` escaped: a student's markdown cannot put HTML into the page.

    A formula latex2mathml cannot convert, or whose MathML holds anything but presentation
    elements, stays as it was (it then shows as LaTeX source).
    """
    from latex2mathml.converter import convert

    formulas = []

    def formula(match):
        display = match.group("display") is not None
        tex = match.group("display") if display else match.group("inline")
        try:
            mathml = safe_mathml(convert(tex.strip(), display="block" if display else "inline"))
        except Exception:  # latex2mathml raises many kinds of errors for input it does not know
            mathml = None
        if mathml is None:
            return match.group(0)
        formulas.append(mathml.replace("\n", " "))
        return f"\0{len(formulas) - 1}\0"

    def text(part):
        part = _MATH.sub(formula, part.replace("\0", ""))
        part = part.replace("<", "&lt;")  # raw HTML shows as text (markdown passes it through)
        return re.sub("\0(\\d+)\0", lambda m: formulas[int(m.group(1))], part)

    parts = _CODE.split(markdown)
    return "".join(part if i % 2 else text(part) for i, part in enumerate(parts))


def safe_outputs(cell) -> None:
    """Keep of a code cell's outputs what cannot run script in the page: text, and images
    whose data is base64 (the template writes it into an ``src="data:..."`` attribute)."""
    for output in cell.get("outputs", []):
        data = output.get("data")
        if not isinstance(data, dict):
            continue
        kept = {kind: value for kind, value in data.items()
                if kind == _TEXT_OUTPUT or (kind in _IMAGE_OUTPUTS and isinstance(value, str)
                                            and _BASE64.fullmatch(value))}
        output["data"] = kept  # IPython gives rich outputs a text/plain form too


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
            cell.pop("attachments", None)  # images inlined from the cell's own data: not checked
        elif cell.cell_type == "code":
            safe_outputs(cell)
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
