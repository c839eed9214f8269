"""A Babel extractor for the check files: the usual ``_()`` calls, and each check's title.

A check's title is the first line of its test's docstring (``autograder.i18n.check_title``);
the plugin translates it with ``_()`` when it records the check, so the title must be in the
catalog although no ``_()`` call names it.
"""
from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import IO, Any

from babel.messages.extract import extract_python

from autograder.i18n import check_title


def extract_checks(fileobj: IO[bytes], keywords: Any, comment_tags: Any,
                   options: dict[str, Any]) -> Iterator[tuple[int, str, str, list[str]]]:
    """Yield Babel's ``(lineno, funcname, message, comments)`` for a check file."""
    source = fileobj.read()
    fileobj.seek(0)
    yield from extract_python(fileobj, keywords, comment_tags, options)
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test"):
            title = check_title(ast.get_docstring(node, clean=True))
            if title:
                yield node.body[0].lineno, "", title, ["check title (the first line of the test's docstring)"]
