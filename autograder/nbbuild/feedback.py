"""An nbgrader preprocessor that keeps hidden tests out of feedback (nbgrader #917).

``nbgrader autograde`` restores the hidden tests into the notebook it grades, and
``nbgrader generate_feedback`` renders that notebook. nbgrader's own ``ClearHiddenTests``
removes the ``### BEGIN HIDDEN TESTS`` / ``### END HIDDEN TESTS`` regions from the cells'
*source*, but a failing test cell's error output still quotes them: IPython's traceback
shows the lines of the cell around the failing one. :class:`ClearHiddenTestsAndTracebacks`
does both: it clears the regions and reduces each error output of such a cell to its last
line, ``AssertionError: <message>`` (the student-facing message of
:func:`autograder.notebook.run_check`, which for a hidden check never shows expected
values). The ``nbgrader_config.py`` written by ``dlgrade nbgrader build`` puts it in
``GenerateFeedback.preprocessors``. Importing this module needs nbgrader.
"""
from nbgrader.preprocessors import ClearHiddenTests


class ClearHiddenTestsAndTracebacks(ClearHiddenTests):
    """ClearHiddenTests, plus: the error outputs of cells that had a hidden region keep only
    ``ename: evalue`` (their tracebacks quote the hidden lines)."""

    def preprocess_cell(self, cell, resources, cell_index):
        had_hidden = cell.cell_type == "code" and self.begin_test_delimeter in cell.source
        cell, resources = super().preprocess_cell(cell, resources, cell_index)
        if had_hidden:
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    output["traceback"] = [f"{output.get('ename', 'Error')}: {output.get('evalue', '')}"]
        return cell, resources
