"""The instant checks: what can be said of a script without running it, said before anything runs.

Each script, and the project's own modules it imports at its top level, is read, decoded and
parsed before torch is imported or a run starts, so a syntax error, an empty file or a file that
is not UTF-8 is reported in milliseconds, not after the seconds a warm interpreter takes to load
torch. Only the standard library is used here: importing this module costs nothing.
"""

from __future__ import annotations

import ast
import os
from typing import Iterator, Optional

# A project's own modules followed from one script, at most: the checks must stay instant.
_MAX_MODULES = 200


class Unreadable(Exception):
    """The file cannot be read as gradfix reads sources (not UTF-8, lone carriage returns, ...)."""


def shown(path: str) -> str:
    return os.path.relpath(path) if os.path.isabs(path) else path


def read_text(path: str) -> str:
    """A source file's text as gradfix edits it: UTF-8, without a byte-order mark."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except IsADirectoryError:
        raise Unreadable("is a directory") from None
    except OSError as error:
        raise Unreadable(error.strerror or str(error)) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise Unreadable(f"is not UTF-8 text (byte {error.start})") from None
    if "\r" in text.replace("\r\n", ""):
        raise Unreadable("has lone carriage returns (old Mac line endings); convert them to \\n")
    # A byte-order mark is not Python: positions and edits are on the text after it, and
    # writing puts it back (apply.py).
    return text[1:] if text.startswith("\ufeff") else text


def parse(source: str | bytes, path: str) -> ast.Module:
    """Python's own verdict on the syntax (its words are what the user sees when running the
    script); compiling to a tree runs nothing. Raises SyntaxError with the message to show."""
    try:
        return compile(source, path, "exec", flags=ast.PyCF_ONLY_AST, dont_inherit=True)
    except (SyntaxError, ValueError) as error:
        data = source.encode("utf-8", "replace") if isinstance(source, str) else source
        if b"\0" not in data or (isinstance(error, SyntaxError) and error.lineno):
            raise
        # Null bytes: Python (ValueError before 3.12) does not say where; the user needs the line.
        line = data.count(b"\n", 0, data.index(b"\0")) + 1
        raise SyntaxError("source code cannot contain null bytes", (path, line, None, None)) from None


def path_problem(path: str) -> Optional[str]:
    """Why ``path`` is not a script at all, or None."""
    if not os.path.exists(path):
        return f"{shown(path)}: no such file"
    if os.path.isdir(path):
        return f"{shown(path)}: is a directory; give the training script (a .py file)"
    if not path.endswith((".py", ".ipynb")):
        return f"{shown(path)}: not a Python file; give the training script (a .py file or a notebook)"
    return None


def script_problem(path: str) -> Optional[str]:
    """Why the script cannot be diagnosed as given, in one line, or None: not a Python file, not
    UTF-8, not Python, empty, or a module of the project's that it imports does not compile."""
    problem = path_problem(path)
    if problem is not None:
        return problem
    if path.endswith(".ipynb"):
        return notebook_problem(path)
    try:
        text = read_text(path)
        tree = parse(text, path)
    except Unreadable as error:
        return f"{shown(path)}: {error}"
    except SyntaxError as error:
        return f"{shown(path)}: {syntax_message(error)}"
    if not text.strip():
        return f"{shown(path)}: the file is empty; nothing to diagnose"
    return imports_problem(path, tree)


def notebook_problem(path: str) -> Optional[str]:
    """Why a notebook cannot be diagnosed (not JSON, not version 4, no code cells, not Python,
    nbformat or IPython missing, a syntax error in a cell), or None. Its cells are read with
    nbformat and IPython, imported here and only for a notebook."""
    from gradfix import notebook

    problem = notebook.problem(path)
    if problem is not None:
        return f"{shown(path)}: {problem}"
    return imports_problem(path, parse(notebook.read(path).program, path))


def imports_problem(script: str, tree: ast.Module) -> Optional[str]:
    """Why a module of the project's that the script imports at its top level (or that those
    import, in turn) does not compile, or None. Imports inside functions, ``try`` or ``if``
    blocks are left out: they may never run, and a script that guards them runs fine."""
    for found, importer, problem in _imports_of(script, tree):
        if problem is not None:
            return f"{shown(found)}: {syntax_message(problem)} (imported by {shown(importer)})"
    return None


def imported_project_files(script: str) -> list[str]:
    """The project's files the script imports at its top level, and those import in turn: the
    files ``imports_problem`` checks, for a rule that must read the whole program."""
    try:
        with open(script, "rb") as handle:
            tree = parse(handle.read(), script)
    except (OSError, SyntaxError, ValueError):
        return []
    return [found for found, _, problem in _imports_of(script, tree) if problem is None]


def _imports_of(script: str, tree: ast.Module) -> Iterator[tuple[str, str, Optional[SyntaxError]]]:
    """Each project file the script's top-level imports load, transitively, with its importer and
    the syntax error that stops it compiling (the walk does not go past that file)."""
    script = os.path.realpath(script)
    folder = os.path.dirname(script)
    seen = {script}
    queue = [(script, tree)]
    while queue:
        importer, module_tree = queue.pop(0)
        for found in _imported_files(importer, module_tree, folder):
            if found in seen or "site-packages" in found or "dist-packages" in found:
                continue
            if len(seen) > _MAX_MODULES:
                return
            seen.add(found)
            try:
                with open(found, "rb") as handle:
                    data = handle.read()
            except OSError:
                continue
            try:
                # Bytes: Python honours a module's coding declaration, and so does this check.
                queue.append((found, parse(data, found)))
            except SyntaxError as error:
                yield found, importer, error
                return
            yield found, importer, None


def _imported_files(importer: str, tree: ast.Module, folder: str) -> Iterator[str]:
    """The files under ``folder`` (the script's, first on its ``sys.path``) that the top-level
    imports of ``importer`` load: each package's ``__init__.py`` on the way, then the module."""
    for statement in tree.body:
        if isinstance(statement, ast.Import):
            for alias in statement.names:
                yield from _module_files(folder, alias.name.split("."))
            continue
        if not isinstance(statement, ast.ImportFrom):
            continue
        start = folder
        if statement.level:
            if os.path.dirname(importer) == folder and os.path.basename(importer) != "__init__.py":
                continue  # a relative import in a top-level file fails when it runs, not here
            start = os.path.dirname(importer)
            for _ in range(statement.level - 1):
                start = os.path.dirname(start)
            if not start.startswith(folder):
                continue
        parts = statement.module.split(".") if statement.module else []
        yield from _module_files(start, parts)
        # `from package import name`: the names may be submodules.
        package = os.path.join(start, *parts)
        if os.path.isdir(package):
            for alias in statement.names:
                for candidate in (os.path.join(package, alias.name + ".py"), os.path.join(package, alias.name, "__init__.py")):
                    if alias.name != "*" and os.path.isfile(candidate):
                        yield os.path.realpath(candidate)


def _module_files(start: str, parts: list[str]) -> Iterator[str]:
    """What ``import a.b.c`` loads from ``start``, in Python's order: a package (a folder with
    ``__init__.py``), else a module file, else a namespace folder to go on in."""
    here = start
    for part in parts:
        package = os.path.join(here, part)
        if os.path.isfile(os.path.join(package, "__init__.py")):
            yield os.path.realpath(os.path.join(package, "__init__.py"))
        elif os.path.isfile(package + ".py"):
            yield os.path.realpath(package + ".py")
            return
        elif not os.path.isdir(package):
            return
        here = package


def syntax_message(error: SyntaxError) -> str:
    return f"syntax error at line {error.lineno}: {error.msg}" if error.lineno else f"syntax error: {error.msg}"
