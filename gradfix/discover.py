"""Finding the training entry points among files and folders, cheaply.

A text prefilter first (the file mentions torch and a backward or step call), then a libcst look
for a ``__main__`` block or training code at the top level. Files named on the command line are
always taken; folders are searched.
"""

from __future__ import annotations

import os
import re
from typing import Iterable

_SKIP_DIRS = {".git", ".hg", ".venv", "venv", "env", "__pycache__", "node_modules", "site-packages", "build", "dist"}
_TRAINING_CALL = re.compile(r"\.(backward|step)\s*\(")


def entry_points(paths: Iterable[str]) -> list[str]:
    found: list[str] = []
    for path in paths:
        if os.path.isdir(path):
            found += sorted(_search(path))
        else:
            found.append(path)
    return list(dict.fromkeys(found))


def _search(folder: str) -> Iterable[str]:
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS and not d.startswith("."))
        for name in files:
            if name.endswith((".py", ".ipynb")) and not name.endswith((".fixed.py", ".fixed.ipynb")):
                path = os.path.join(root, name)
                if is_training_script(path):
                    yield path


def is_training_script(path: str) -> bool:
    if path.endswith(".ipynb"):
        # A notebook trains when the program of its code cells does (notebook.py).
        from gradfix import notebook

        try:
            text = notebook.read(path).program
        except notebook.NotebookProblem:
            # A broken notebook (cut short, not JSON) is still one to report on when its text
            # trains, as a broken script is.
            try:
                with open(path, encoding="utf-8", errors="replace") as handle:
                    text = handle.read()
            except OSError:
                return False
        return "torch" in text and bool(_TRAINING_CALL.search(text))
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError):
        return False
    if "torch" not in text or not _TRAINING_CALL.search(text):
        return False
    import libcst as cst  # only folders are searched: naming a file costs no parser

    try:
        module = cst.parse_module(text)
    except cst.ParserSyntaxError:
        return True  # a broken script is still one to report on
    for statement in module.body:
        if isinstance(statement, cst.If) and "__name__" in module.code_for_node(statement.test):
            return True
        if isinstance(statement, (cst.For, cst.While, cst.With)) or (
            isinstance(statement, cst.SimpleStatementLine) and _TRAINING_CALL.search(module.code_for_node(statement))
        ):
            return True
    return False
