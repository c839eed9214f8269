"""The book's `dataset.mnist` while grading: importable, so a pasted file's imports work.

The book's training scripts begin with ``from dataset.mnist import load_mnist``. Graded
modules keep that line; the training itself belongs under ``if __name__ == "__main__":``,
which never runs while grading (the grader trains the network itself, see the MNIST gate).
Outside the grader, use the kit's ``mnist_data.load_mnist``, which has the same signature.
"""


def load_mnist(normalize=True, flatten=True, one_hot_label=False):
    """Not available while grading: raises RuntimeError saying so."""
    # The message's code lets the grader say it in the student's language (autograder.workermsg,
    # which this file, run as the student's code, cannot import).
    error = RuntimeError("load_mnist is not available while your code is graded: the grader trains your "
                         "network itself. Keep training code under `if __name__ == \"__main__\":`.")
    error.dlgrade_message = ("load_mnist_unavailable", {})
    raise error
