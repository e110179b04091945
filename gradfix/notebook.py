"""Jupyter notebooks: their code cells as one program (what "Restart & Run All" runs), the exact
map from that program's lines back to (cell, line in cell), and writing a fix into the cells it
changes, with nothing else in the file touched.

The program is what the sandbox runs and what the rules read and edit: they never learn that it
came from a notebook. IPython syntax is turned into Python by IPython's own input transformers
(``TransformerManager``), one cell at a time, as IPython does; what they produce for magics, shell
escapes and help requests is then neutralised (``pass``), so nothing of it runs, and each is
listed as skipped. ``%time``/``%%time``, ``%timeit``/``%%timeit`` (without options) and
``%%capture`` run their Python once. Every program line is the cell line of the same number, so
the map is exact; a line IPython rewrote is marked, and no fix may change it.

nbformat and IPython are imported only when a notebook is read (``pip install 'gradfix[notebook]'``).
"""

from __future__ import annotations

import ast
import json
import os
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from gradfix.edits import Edit, Position, Text, apply_edits, unified_diff

_LINE = re.compile(r"\bline (\d+)\b(?! of cell)")

SUFFIX = ".ipynb"
INSTALL = "pip install 'gradfix[notebook]'"
# Cell magics whose body is Python that IPython runs (once, for gradfix: timing is not the point).
_BODY_RUNS = {"time", "timeit", "capture"}
_HELP = {"pinfo", "pinfo2", "psearch"}


def is_notebook(path: str) -> bool:
    return path.endswith(SUFFIX)


class NotebookProblem(Exception):
    """The notebook cannot be diagnosed as given: one line for the user."""


class NotWritable(Exception):
    """A fix that cannot be written into the cells (it spans cells, or changes a line IPython rewrote)."""


@dataclass(frozen=True)
class Cell:
    """A code cell as the program holds it."""

    index: int  # position in the notebook's list of cells (markdown cells count), 0-based
    id: Optional[str]  # nbformat 4.5's cell id, when the notebook has them
    first_line: int  # the program line of the cell's first line
    lines: int  # how many lines the cell has (the program gives it as many)
    source: str  # the cell's source as the notebook stores it
    rewritten: frozenset[int] = frozenset()  # cell lines (1-based) IPython rewrote: never edited

    @property
    def number(self) -> int:
        """The cell's name for people: ``cell 3`` is the notebook's third cell, markdown included
        (as VS Code and JupyterLab count them)."""
        return self.index + 1

    @property
    def text(self) -> str:
        """The source with a final newline: what the program holds of it, and what edits apply to."""
        return self.source if self.source.endswith("\n") or not self.source else self.source + "\n"


@dataclass(frozen=True)
class Skipped:
    """A line of IPython syntax that does not run in the sandbox."""

    cell: int  # the cell's number (1-based)
    line: int
    text: str
    why: str

    def to_dict(self) -> dict[str, Any]:
        return {"cell": self.cell, "line": self.line, "text": self.text, "why": self.why}


@dataclass(frozen=True)
class Located:
    """A program position in the notebook's terms."""

    cell: Cell
    line: int  # in the cell, 1-based
    column: int  # 0-based, in characters


@dataclass
class Layout:
    """A notebook read for gradfix: the program of its code cells and where each line came from."""

    path: str
    text: str  # the file as read
    program: str
    cells: list[Cell]
    skipped: list[Skipped] = field(default_factory=list)
    # Re-serialises the notebook's JSON exactly as the file has it, when gradfix can (see _format).
    dumps: Optional[Callable[[Any], str]] = None

    def cell_at(self, line: int) -> Optional[Cell]:
        for cell in self.cells:
            if cell.first_line <= line < cell.first_line + cell.lines:
                return cell
        return None

    def locate(self, position: Position) -> Optional[Located]:
        cell = self.cell_at(position.line)
        if cell is None:
            return None
        return Located(cell, position.line - cell.first_line + 1, position.column)

    def in_cells(self, text: str) -> str:
        """A message that names lines of the program (gradfix's own wording, "built at line 19"),
        said in the notebook's terms ("built at line 3 of cell 4"). A line of another file
        (a ``.py`` named just before it) is left as it is."""

        def cell_line(match: "re.Match[str]") -> str:
            if ".py" in text[max(0, match.start() - 40):match.start()]:
                return match.group(0)
            place = self.locate(Position(int(match.group(1)), 0))
            return match.group(0) if place is None else f"line {place.line} of cell {place.cell.number}"

        return _LINE.sub(cell_line, text)

    def cell_edits(self, edits: list[Edit]) -> dict[int, list[Edit]]:
        """The edits (on the program) as edits on each cell's text, by cell index; raises
        NotWritable when one spans cells or changes a line IPython rewrote."""
        program = Text(self.program)
        end = program.position(len(self.program))
        by_cell: dict[int, list[Edit]] = {}
        filled = [c for c in self.cells if c.lines]
        for edit in edits:
            cell = self.cell_at(edit.start.line)
            inserted = edit.start == edit.end and edit.start.column == 0
            if inserted and (edit.start == end or cell is not None and cell.first_line == edit.start.line and cell is not filled[0]):
                # Lines put between two cells go at the end of the cell above: after the code they
                # follow, and the cell below (often a loop run again and again) stays as it was.
                above = [c for c in filled if c.first_line < edit.start.line][-1]
                at = Position(above.lines + 1, 0)
                by_cell.setdefault(above.index, []).append(Edit(at, at, edit.replacement))
                continue
            if cell is None:
                raise NotWritable("it changes a line outside every code cell")
            stop = cell.first_line + cell.lines  # the next cell's first line
            if edit.end.line > stop or (edit.end.line == stop and edit.end.column > 0):
                raise NotWritable(f"it spans cells {cell.number} and after")
            first = edit.start.line - cell.first_line + 1
            last = edit.end.line - cell.first_line + 1
            touched = set(range(first, last + 1))
            if edit.end.column == 0 and edit.end != edit.start:
                touched.discard(last)
            if edit.start == edit.end and edit.start.column == 0:
                touched = set()  # whole lines put before a line leave that line as it is
            if touched & cell.rewritten:
                raise NotWritable(f"it changes IPython syntax in cell {cell.number} (a magic or shell line)")
            by_cell.setdefault(cell.index, []).append(
                Edit(Position(first, edit.start.column), Position(last, edit.end.column), edit.replacement)
            )
        return by_cell

    def writable(self, edits: list[Edit]) -> Optional[str]:
        """Why these edits cannot be written into the cells, or None."""
        try:
            self.cell_edits(edits)
        except NotWritable as why:
            return str(why)
        return None

    def new_sources(self, edits: list[Edit]) -> dict[int, str]:
        """The new source of each cell the edits change, by cell index."""
        cells = {cell.index: cell for cell in self.cells}
        out = {}
        for index, cell_edits in self.cell_edits(edits).items():
            cell = cells[index]
            new = apply_edits(cell.text, cell_edits)
            # Jupyter stores a cell without its last newline: keep the cell's own habit.
            if not cell.source.endswith("\n") and new.endswith("\n"):
                new = new[:-1]
            out[index] = new
        return out

    def diff(self, edits: list[Edit], shown: str) -> str:
        """A unified diff per changed cell, headed ``--- a/nb.ipynb (cell 3)``."""
        cells = {cell.index: cell for cell in self.cells}
        parts = []
        for index, cell_edits in sorted(self.cell_edits(edits).items()):
            cell = cells[index]
            name = f"{shown} (cell {cell.number})"
            parts.append(unified_diff(cell.text, cell_edits, f"a/{name}", f"b/{name}"))
        return "".join(parts)

    def json_line(self, located: Located) -> Optional[int]:
        """The line of the notebook's JSON file that holds this cell line (what a viewer of the
        raw file, GitHub's diff or reviewdog, shows), when gradfix can lay the file out exactly."""
        if self.dumps is None:
            return None
        data = json.loads(self.text)
        cells = data.get("cells", [])
        source = cells[located.cell.index].get("source")
        marker = "\u0000gradfix-source\u0000"
        cells[located.cell.index]["source"] = marker
        laid_out = self.dumps(data)
        found = laid_out.find(json.dumps(marker)[1:-1])
        if found < 0:
            return None
        line = laid_out.count("\n", 0, found) + 1
        if not (isinstance(source, list) and source and "\n" in self.text.strip()):
            return line  # the whole source on one line
        # One JSON line per source line: after `"source": [` (nbformat's writer puts even the
        # marker in a list of its own), or on the line that holds the marker.
        on_key_line = '"source"' in laid_out[laid_out.rfind("\n", 0, found) + 1 : found]
        return line + located.line - (0 if on_key_line else 1)


# -- reading ---------------------------------------------------------------------------------------

_cache: dict[str, tuple[tuple[int, int], Layout]] = {}


# A jupytext "percent" cell marker: `# %%`, maybe followed by a title or `[markdown]`.
_PERCENT = re.compile(r"#\s*%%(?!%)")


def percent_cells(text: str) -> list[int]:
    """The first line (1-based) of each cell of a jupytext percent script, in order, the way
    jupytext numbers them (text before the first marker is a cell of its own when it is not
    blank); empty for a script without ``# %%`` markers. It runs as a script: only its findings
    say which cell they are in."""
    lines = text.splitlines()
    markers = [i + 1 for i, line in enumerate(lines) if _PERCENT.match(line)]
    if not markers:
        return []
    # jupytext's own header (`# ---` ... `# ---`, its YAML metadata) is no cell.
    start = 0
    if lines and lines[0].rstrip() == "# ---":
        end = next((i for i in range(1, markers[0] - 1) if lines[i].rstrip() == "# ---"), None)
        start = end + 1 if end is not None else 0
    head = any(line.strip() for line in lines[start : markers[0] - 1])
    return ([start + 1] if head else []) + markers


def percent_cell(starts: list[int], line: int) -> Optional[int]:
    """The number (1-based) of the percent cell holding ``line``; None before the first one."""
    number = None
    for index, start in enumerate(starts):
        if start > line:
            break
        number = index + 1
    return number


def _imports() -> tuple[Any, Any]:
    try:
        import nbformat
        from IPython.core import inputtransformer2
    except ImportError as error:
        raise NotebookProblem(f"reading notebooks needs nbformat and IPython ({error.name} is not installed): {INSTALL}") from None
    return nbformat, inputtransformer2


def read(path: str) -> Layout:
    """The notebook at ``path`` as a program; raises NotebookProblem (one line) for a notebook
    gradfix cannot diagnose. Read once per change of the file."""
    real = os.path.realpath(path)
    try:
        stat = os.stat(real)
        with open(real, "rb") as handle:
            data = handle.read()
    except OSError as error:
        raise NotebookProblem(error.strerror or str(error)) from None
    key = (stat.st_mtime_ns, stat.st_size)
    cached = _cache.get(real)
    if cached is not None and cached[0] == key and cached[1].text == data.decode("utf-8", "replace"):
        return cached[1]
    layout = layout_of(real, data)
    _cache[real] = (key, layout)
    return layout


def layout_of(path: str, data: bytes) -> Layout:
    """The notebook's program and map, from the file's bytes."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise NotebookProblem(f"is not UTF-8 text (byte {error.start}); a notebook is UTF-8 JSON") from None
    if not text.strip():
        raise NotebookProblem("the file is empty; nothing to diagnose")
    try:
        raw = json.loads(text)
    except ValueError as error:
        raise NotebookProblem(f"not a notebook: invalid JSON ({error})") from None
    if not isinstance(raw, dict) or "cells" not in raw and "worksheets" not in raw:
        raise NotebookProblem("not a notebook: no cells in the JSON")
    version = raw.get("nbformat")
    if version != 4:
        raise NotebookProblem(
            f"a version {version} notebook; gradfix reads version 4 (open and save it in Jupyter, "
            "or `jupyter nbconvert --to notebook`, to convert it)"
        )
    nbformat, transformers = _imports()
    try:
        notebook = nbformat.reads(text, as_version=nbformat.NO_CONVERT)
        nbformat.validate(notebook)
    except Exception as error:  # nbformat's ValidationError, or a shape its reader refuses
        first = str(getattr(error, "message", error)).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise NotebookProblem(f"not a valid notebook: {first}") from None
    metadata = notebook.get("metadata", {})
    language = (metadata.get("kernelspec", {}) or {}).get("language") or (metadata.get("language_info", {}) or {}).get("name")
    if isinstance(language, str) and language.strip().lower() not in ("python", "python3", "ipython", ""):
        raise NotebookProblem(f"its kernel runs {language}; gradfix diagnoses Python notebooks")
    manager = transformers.TransformerManager()
    cells: list[Cell] = []
    skipped: list[Skipped] = []
    program: list[str] = []
    for index, cell in enumerate(notebook.cells):
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        lines = _split(source)
        code, rewritten, skips = _cell_program(lines, manager, transformers)
        cells.append(Cell(index, cell.get("id"), len(program) + 1, len(lines), source, frozenset(rewritten)))
        skipped += [Skipped(index + 1, line, what, why) for line, what, why in skips]
        program += code
    if not any(cell.source.strip() for cell in cells):
        raise NotebookProblem("no code cells; nothing to run")
    return Layout(path, text, "".join(program), cells, skipped, _format(text, nbformat))


def _split(source: str) -> list[str]:
    """A cell's lines, each ending with ``\\n`` (the last one too): split at ``\\n`` only, as
    gradfix's edits count lines."""
    if not source:
        return []
    parts = source.split("\n")
    if parts[-1] == "":
        parts.pop()
    return [part + "\n" for part in parts]


def _cell_program(lines: list[str], manager: Any, transformers: Any) -> tuple[list[str], set[int], list[tuple[int, str, str]]]:
    """The program lines of one cell (as many as it has), the cell lines IPython rewrote, and the
    skipped ones: (line, text, why)."""
    first = next((i for i, line in enumerate(lines) if line.strip()), len(lines))
    if first < len(lines) and lines[first].startswith("%%"):
        words = lines[first][2:].split()
        magic = words[0] if words else ""
        if magic in _BODY_RUNS and (magic != "timeit" or len(words) == 1):
            # The magic's line goes; its body is a cell of its own for IPython (run_cell_magic).
            body, rewritten, skips = _cell_program(lines[first + 1 :], manager, transformers)
            return (
                lines[:first] + ["\n"] + body,
                {first + 1} | {line + first + 1 for line in rewritten},
                [(line + first + 1, text, why) for line, text, why in skips],
            )
        commented = ["# " + line.rstrip("\n") + "\n" if line.strip() else line for line in lines[first:]]
        return (
            lines[:first] + commented,
            set(range(first + 1, len(lines) + 1)),
            [(first + 1, lines[first].strip(), f"cell magic %%{magic}: the cell does not run")],
        )
    try:
        body, spans = _transform(lines[first:], manager, transformers)
    except _Unmapped:
        return (
            lines[:first] + ["# " + line if line.strip() else line for line in lines[first:]],
            set(range(first + 1, len(lines) + 1)),
            [(first + 1, lines[first].strip(), "IPython syntax gradfix cannot map back to the cell: the cell does not run")],
        )
    out = list(lines[:first])
    rewritten: set[int] = set()
    skips = []
    for code, (start, stop) in zip(body, spans):
        original = lines[first + start : first + stop]
        if stop - start == 1 and (code == original[0] or not code.strip() and not original[0].strip()):
            out.append(original[0])
            continue
        neutral, why = _neutral(code)
        out.append(neutral)
        out += ["\n"] * (stop - start - 1)  # a line continued with `\`: the map stays one to one
        rewritten.update(range(first + start + 1, first + stop + 1))
        if why:
            skips.append((first + start + 1, " ".join(part.strip() for part in original), why))
    return out, rewritten, skips


class _Unmapped(Exception):
    pass


def _transform(lines: list[str], manager: Any, transformers: Any) -> tuple[list[str], list[tuple[int, int]]]:
    """IPython's ``transform_cell`` (after leading empty lines, which the caller keeps), with each
    output line's span of input lines: a token transform replaces a run of lines by one."""
    for transform in manager.cleanup_transforms + manager.line_transforms:
        if transform is transformers.leading_empty_lines:
            continue
        changed = transform(lines)
        if len(changed) != len(lines):
            raise _Unmapped()
        lines = changed
    spans = [(i, i + 1) for i in range(len(lines))]
    for _ in range(transformers.TRANSFORM_LOOP_LIMIT):
        tokens = transformers.make_tokens_by_line(lines)
        found = [t for kind in manager.token_transformers if (t := kind.find(tokens))]
        for transformer in sorted(found, key=transformers.TokenTransformBase.sortby):
            try:
                after = transformer.transform(lines)
            except SyntaxError:
                continue
            start = transformer.start_line
            removed = len(lines) - len(after) + 1
            if removed < 1 or after[:start] != lines[:start] or after[start + 1 :] != lines[start + removed :]:
                raise _Unmapped()
            spans[start : start + removed] = [(spans[start][0], spans[start + removed - 1][1])]
            lines = after
            break
        else:
            return lines, spans
    raise _Unmapped()


def _neutral(code: str) -> tuple[str, str]:
    """What runs for a line IPython rewrote: the Python of ``%time``, and ``pass`` (or an empty
    value for an assignment) for a magic, a shell command or a help request; and why it was
    skipped ('' when it runs)."""
    indent = code[: len(code) - len(code.lstrip())]
    stripped = code.strip()
    try:
        tree = ast.parse(stripped)
    except SyntaxError:
        return code, ""
    if len(tree.body) != 1:
        return code, ""
    statement = tree.body[0]
    target = None
    if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
        call, target = statement.value, ast.get_source_segment(stripped, statement.targets[0])
    elif isinstance(statement, ast.Expr):
        call = statement.value
    else:
        return code, ""
    if not (
        isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and isinstance(call.func.value, ast.Call)
        and isinstance(call.func.value.func, ast.Name) and call.func.value.func.id == "get_ipython"
    ):
        return code, ""
    args = [a.value for a in call.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
    method = call.func.attr
    if method == "run_line_magic" and len(args) == 2:
        magic, rest = args
        statement_code = rest.strip()
        if magic == "time" or (magic == "timeit" and not statement_code.startswith("-")):
            wanted = "eval" if target else "exec"
            try:
                compile(statement_code, "<magic>", wanted, dont_inherit=True)
            except SyntaxError:
                pass
            else:
                if "\n" not in statement_code:
                    return indent + (f"{target} = {statement_code}" if target else statement_code) + "\n", ""
        why = "help request: not run" if magic in _HELP else f"magic %{magic}: not run"
        return indent + (f"{target} = None" if target else "pass") + "\n", why
    if method in ("system", "getoutput"):
        return indent + (f"{target} = []" if target else "pass") + "\n", "shell command: not run"
    if method == "run_cell_magic":
        return indent + "pass\n", "cell magic: not run"
    return code, ""


# -- writing ---------------------------------------------------------------------------------------


def _format(text: str, nbformat: Any) -> Optional[Callable[[Any], str]]:
    """How to write this notebook's JSON so that every byte outside an edited cell source stays
    as it is: nbformat's own writer when it reproduces the file exactly (Jupyter's layout),
    else the JSON layout the file has (its indent, key order, escaping, final newline) when that
    reproduces it. None: gradfix cannot write the file without reformatting it."""
    ending = "\n" if text.endswith("\n") else ""
    try:
        if nbformat.writes(nbformat.reads(text, as_version=nbformat.NO_CONVERT)) + ending == text:
            return lambda data: nbformat.writes(nbformat.from_dict(data)) + ending
    except Exception:
        pass
    stripped = text.strip()
    indent: Any = None
    if "\n" in stripped:
        second = stripped.split("\n", 2)[1]
        indent = second[: len(second) - len(second.lstrip())] or None
    data = json.loads(text)
    for ascii_only in (False, True):
        for separators in ((",", ": "), (", ", ": "), (",", ":")):
            def dumps(value: Any, ascii_only: bool = ascii_only, separators: tuple[str, str] = separators) -> str:
                return json.dumps(value, indent=indent, ensure_ascii=ascii_only, separators=separators) + ending

            if dumps(data) == text:
                return dumps
    return None


def rewritten(path: str, edits: list[Edit], diagnosed: str, data: Optional[bytes] = None) -> str:
    """The notebook's new text with the edits (on the program ``diagnosed`` was) written into its
    cells' sources: every other byte of the file stays as it is, and the result validates with
    nbformat. ``data``: the file's bytes as the writer read them (it checks the file still holds
    them just before it replaces it); read from ``path`` when not given. Raises NotebookProblem
    when the notebook's code changed since, or the file cannot be written without reformatting it."""
    nbformat, _ = _imports()
    layout = read(path) if data is None else layout_of(path, data)
    if layout.program != diagnosed:
        raise NotebookProblem("changed since gradfix diagnosed it; run gradfix again")
    if layout.dumps is None:
        raise NotebookProblem(
            "its JSON layout is not one gradfix can reproduce, so writing it would reformat the whole file; "
            "save it in Jupyter and run gradfix again"
        )
    try:
        sources = layout.new_sources(edits)
    except NotWritable as why:
        raise NotebookProblem(f"a fix cannot be written into the cells: {why}") from None
    data = json.loads(layout.text)
    for index, source in sources.items():
        cell = data["cells"][index]
        cell["source"] = source.splitlines(keepends=True) if isinstance(cell.get("source"), list) else source
    text = layout.dumps(data)
    try:
        nbformat.validate(nbformat.reads(text, as_version=nbformat.NO_CONVERT))
    except Exception as error:
        raise NotebookProblem(f"the fixed notebook would not validate ({str(error).splitlines()[0]}); nothing written") from None
    return text


def problem(path: str) -> Optional[str]:
    """Why the notebook cannot be diagnosed, in the words after ``nb.ipynb: ``, or None."""
    try:
        layout = read(path)
    except NotebookProblem as error:
        return str(error)
    try:
        compile(layout.program, path, "exec", flags=ast.PyCF_ONLY_AST, dont_inherit=True)
    except SyntaxError as error:
        located = layout.locate(Position(error.lineno or 1, 0)) if error.lineno else None
        if located is None:
            return f"syntax error: {error.msg}"
        return f"cell {located.cell.number}: syntax error at line {located.line}: {error.msg}"
    except ValueError as error:
        return f"{error}"
    return None
