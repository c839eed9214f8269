"""run_check: the nbgrader test cells' entry point, run here on a namespace like a kernel's."""
import _thread
import threading

import numpy as np
import pytest

from autograder import notebook
from autograder.notebook import run_check
from tests_support import solution_namespace


@pytest.fixture(autouse=True)
def fresh_kernel_state():
    notebook._interrupted.clear()
    yield
    notebook._interrupted.clear()


def test_reference_passes_and_caller_globals_are_the_default():
    ns = solution_namespace("functions")
    assert run_check("functions.softmax::test_batch_rows", ns) is None
    exec("run_check('functions.sigmoid::test_values')", {**ns, "run_check": run_check})


def test_failure_message_is_the_dlgrade_message():
    ns = solution_namespace("functions")
    ns["softmax"] = lambda x: np.exp(x) / np.sum(np.exp(x))
    with pytest.raises(AssertionError) as info:
        run_check("functions.softmax::test_batch_rows", ns)
    text = str(info.value)
    assert text.startswith("softmax(x) for a batch x of shape (4, 10): wrong values")
    assert "normalise along axis=1" in text


def test_student_mutation_of_arguments_does_not_reach_the_grader():
    ns = solution_namespace("functions")
    reference = ns["softmax"]

    def softmax(x):
        x -= x.max(axis=-1, keepdims=True)  # modifies the caller's array
        return reference(x)

    ns["softmax"] = softmax
    run_check("functions.softmax::test_batch_rows", ns)  # values still right: the grader kept its copy
    with pytest.raises(AssertionError, match="modified its input in place"):
        run_check("functions.softmax::test_input_unchanged", ns)


def test_undefined_name_and_student_exceptions_are_messages():
    ns = solution_namespace("functions")
    del ns["sigmoid"]
    with pytest.raises(AssertionError, match="name 'sigmoid' is not defined in the notebook"):
        run_check("functions.sigmoid::test_values", ns)

    def sigmoid(x):
        raise NotImplementedError()

    ns["sigmoid"] = sigmoid
    with pytest.raises(AssertionError, match="not implemented yet"):
        run_check("functions.sigmoid::test_values", ns)


def test_warnings_of_student_code_are_not_written_to_stderr(capfd):
    ns = solution_namespace("functions")
    ns["sigmoid"] = lambda x: 1 / (1 + np.exp(-x))  # overflows for x = -1000: a RuntimeWarning
    run_check("functions.sigmoid::test_extreme_inputs", ns)
    assert capfd.readouterr().err == ""


def test_interrupted_exercise_fails_its_later_checks_at_once():
    ns = solution_namespace("functions")

    started = threading.Event()

    def loop(y, t):
        started.set()
        while True:
            pass

    def interrupt():
        # Only once the student's loop runs: earlier, on a busy machine, the interrupt would
        # land in the grader's own setup instead.
        if started.wait(120):
            _thread.interrupt_main()  # what nbclient does at a cell timeout

    ns["cross_entropy_error"] = loop
    threading.Thread(target=interrupt, daemon=True).start()
    with pytest.raises(AssertionError, match="KeyboardInterrupt"):
        run_check("functions.cross_entropy_error::test_book_example", ns)
    with pytest.raises(AssertionError, match="not run: an earlier check of functions.cross_entropy_error"):
        run_check("functions.cross_entropy_error::test_batch_labels", ns)
    run_check("functions.softmax::test_batch_rows", ns)  # other exercises are unaffected


def test_unknown_check_is_a_value_error():
    with pytest.raises(ValueError, match="unknown check"):
        run_check("functions.softmax::test_nothing", {})


def test_a_failing_check_renders_as_its_message_alone(capsys):
    """IPython shows an exception with _render_traceback_ as what that returns: the student
    reads the check's message, not a traceback through the kit (the cell still errors)."""
    from IPython.core.interactiveshell import InteractiveShell

    ns = solution_namespace("functions")
    ns["softmax"] = lambda x: np.exp(x) / np.sum(np.exp(x))
    with pytest.raises(notebook.CheckFailed) as info:
        run_check("functions.softmax::test_batch_rows", ns)
    assert isinstance(info.value, AssertionError)
    assert info.value._render_traceback_() == [str(info.value)]

    shell = InteractiveShell.instance()
    try:
        shell.user_ns.update(ns, run_check=run_check)
        capsys.readouterr()
        result = shell.run_cell("run_check('functions.softmax::test_batch_rows')")
        shown = capsys.readouterr()
    finally:
        InteractiveShell.clear_instance()
    assert isinstance(result.error_in_exec, notebook.CheckFailed)
    text = shown.out + shown.err
    assert text.strip() == str(info.value).strip(), text
    assert "Traceback" not in text and "autograder" not in text
