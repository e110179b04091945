"""The JSON report: the stable contract other tools (the PR bot, CI) read. Keep it backwards compatible."""

from __future__ import annotations

import json
import os
from typing import Any, Optional

from gradfix import notebook
from gradfix.edits import Edit, Position, Text, apply_edits, unified_diff
from gradfix.findings import Finding, Report

JSON_VERSION = 1


def display_path(path: str) -> str:
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative


def diff_path(path: str) -> str:
    """Relative to where gradfix runs, or else to the file's project: a path `git apply` accepts."""
    relative = os.path.relpath(path)
    if not relative.startswith(".."):
        return relative
    from gradfix.project import find_root

    return os.path.relpath(path, find_root(path))


def located(report: Report, path: str, line: int, column: int) -> Any:
    """A position in a notebook's program as (cell, line in cell, column): a ``notebook.Located``;
    None for a file that is not a notebook."""
    layout = report.notebooks.get(path)
    return layout.locate(Position(line, column)) if layout is not None else None


def percent_cell(report: Report, finding: Finding) -> Optional[int]:
    """The jupytext percent cell (``# %%``) a finding is in; None in a plain script or a notebook."""
    starts = report.percent_cells.get(finding.path)
    return notebook.percent_cell(starts, finding.line) if starts else None


def where(report: Report, finding: Finding, column: bool = True) -> str:
    """``train.py:16:12``, or ``nb.ipynb:cell 3:2:5`` in a notebook."""
    place = located(report, finding.path, finding.line, finding.column)
    if place is not None:
        return f"{display_path(finding.path)}:cell {place.cell.number}:{place.line}" + (f":{place.column}" if column else "")
    return f"{display_path(finding.path)}:{finding.line}" + (f":{finding.column}" if column else "")


def fix_diff(report: Report, patches: list) -> str:
    """The fix as a unified diff; in a notebook, one per changed cell (``--- a/nb.ipynb (cell 3)``)."""
    return "".join(
        report.notebooks[p.path].diff(p.edits, diff_path(p.path)) if p.path in report.notebooks
        else unified_diff(report.originals[p.path], p.edits, f"a/{diff_path(p.path)}", f"b/{diff_path(p.path)}")
        for p in patches
    )


def _edit_dicts(report: Report, patch: Any) -> list[dict]:  # type: ignore[type-arg]
    """A patch's edits as JSON; in a notebook, on the cell's source, with the cell's number."""
    layout = report.notebooks.get(patch.path)
    if layout is None:
        return [{"path": display_path(patch.path), **edit.to_dict()} for edit in patch.edits]
    cells = {cell.index: cell for cell in layout.cells}
    return [
        {"path": display_path(patch.path), "cell": cells[index].number, "cell_id": cells[index].id, **edit.to_dict()}
        for index, edits in sorted(layout.cell_edits(patch.edits).items())
        for edit in edits
    ]


def suggestion(report: Report, patches: list) -> dict | None:  # type: ignore[type-arg]
    """The fix as whole lines of one file: what a GitHub ```suggestion``` block replaces. None in
    a notebook: its file is JSON, and a suggestion would have to replace JSON lines."""
    if len(patches) != 1 or not patches[0].edits or patches[0].path in report.notebooks:
        return None
    patch = patches[0]
    text = report.originals[patch.path]
    lines = Text(text)
    edits = sorted(patch.edits, key=lambda e: e.start)
    first = edits[0].start.line
    last = max(e.end.line if e.end.column > 0 or e.end == e.start else e.end.line - 1 for e in edits)
    last = max(last, first)  # a pure insertion is anchored on the line it goes before
    if first > len(lines.line_starts) or not text[lines.line_start(first) :]:
        return None
    start, end = lines.line_start(first), lines.line_end(last)
    block = text[start:end]
    shifted = [
        Edit(Text(block).position(lines.offset(e.start) - start), Text(block).position(lines.offset(e.end) - start), e.replacement)
        for e in edits
    ]
    return {"path": diff_path(patch.path), "start_line": first, "end_line": last, "text": apply_edits(block, shifted)}


def fingerprint(finding: Finding) -> str:
    """Stable across runs and line shifts: the rule, the file, the parameters."""
    import hashlib

    key = "\n".join([finding.code, diff_path(finding.path), *sorted(finding.params)])
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def to_dict(outcomes: list) -> dict:  # type: ignore[type-arg]
    """``outcomes``: Reports, and Problems for the scripts that could not be diagnosed."""
    files: dict[str, list] = {}
    errors: dict[str, str] = {}
    runs: dict[str, int] = {}
    unreached: dict[str, list] = {}  # per script: the branches its run never reached, the modules that never ran
    for report in outcomes:
        if not isinstance(report, Report):
            files.setdefault(display_path(report.script), [])
            errors[display_path(report.script)] = report.message
            continue
        files.setdefault(display_path(report.script), [])
        runs[display_path(report.script)] = report.runs
        if report.unreached:
            unreached[display_path(report.script)] = [
                {"path": display_path(path), "line": line, "message": what} for path, line, what in report.unreached
            ]
        for result in report.results:
            finding = result.finding
            fix = None
            if result.fix is not None:
                fix = {
                    "verified": result.fix.verdict.verified,
                    "verification": result.fix.verdict.reason,
                    "applicability": result.fix.applicability.value,
                    "description": result.fix.description,
                    "also_verified": list(result.fix.also_verified),
                    "edits": [edit for p in result.fix.patches for edit in _edit_dicts(report, p)],
                    "diff": fix_diff(report, result.fix.patches),
                    "suggestion": suggestion(report, result.fix.patches),
                }
            place = located(report, finding.path, finding.line, finding.column)
            in_cell = {}
            if place is not None:
                # In a notebook, line and column are in the cell; json_line is the line of the
                # notebook's file that holds it (for viewers of the raw JSON: annotations, reviewdog).
                in_cell = {"cell": place.cell.number, "cell_id": place.cell.id, "json_line": report.notebooks[finding.path].json_line(place)}
            elif (number := percent_cell(report, finding)) is not None:
                in_cell = {"cell": number}  # a percent script: line and column stay the file's
            files.setdefault(display_path(finding.path), []).append(
                {
                    "code": finding.code,
                    "title": finding.title,
                    "message": finding.message,
                    "line": place.line if place is not None else finding.line,
                    "column": place.column if place is not None else finding.column,
                    **in_cell,
                    "params": list(finding.params),
                    "fix": fix,
                    "rejected": [{"candidate": c, "reason": r} for c, r in result.rejected],
                    "note": result.note,  # e.g. that another finding's fix carries this one's edits
                    "fingerprint": fingerprint(finding),
                    "script": display_path(report.script),
                }
            )
    skipped = {
        display_path(path): [s.to_dict() for s in layout.skipped]
        for report in outcomes if isinstance(report, Report) for path, layout in report.notebooks.items()
    }
    entries = []
    for path, findings in files.items():
        entry: dict = {"path": path, "findings": findings}
        if path in skipped:
            entry["skipped"] = skipped[path]  # a notebook's IPython lines that did not run
        if path in errors:
            entry["error"] = errors[path]
        if path in runs:
            entry["runs"] = runs[path]  # sandbox runs gradfix made for this script
        if path in unreached:
            entry["unreached"] = unreached[path]  # branches a loop's progress starts, and held modules, that never ran
        entries.append(entry)
    return {"version": JSON_VERSION, "files": entries}


def render(outcomes: list) -> str:  # type: ignore[type-arg]
    return json.dumps(to_dict(outcomes), indent=2)
