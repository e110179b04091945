"""Writing accepted fixes to the user's files: atomically, and only over the text that was diagnosed."""

from __future__ import annotations

import os
import tempfile

from gradfix.edits import apply_edits
from gradfix.findings import Applicability, Report, Result


class StaleFile(Exception):
    """A file changed on disk after gradfix diagnosed it."""


def fixable(report: Report) -> list[Result]:
    """The results with a verified fix that has edits of its own (not carried by another fix)."""
    return [r for r in report.results if r.fix is not None and r.fix.patches]


def split_by_safety(report: Report, unsafe_fixes: bool) -> tuple[list[Result], list[Result]]:
    """``apply --yes``: the fixes to write, and the verified unsafe ones held back (all of them
    are written with ``--unsafe-fixes``)."""
    accepted = [r for r in fixable(report) if unsafe_fixes or r.fix and r.fix.applicability is Applicability.SAFE]
    return accepted, [r for r in fixable(report) if not any(r is a for a in accepted)]


def left_unfixed(report: Report, accepted: list[Result]) -> int:
    """The findings that writing ``accepted`` leaves; results another accepted fix carries (merged
    edits) count as fixed."""
    fixed = {id(r) for r in accepted} | {id(r) for r in report.results if r.fix is not None and not r.fix.patches}
    return sum(1 for r in report.results if id(r) not in fixed)


def write_fixes(report: Report, accepted: list[Result]) -> list[str]:
    """Apply the edits of the accepted results; returns the paths written."""
    by_file: dict[str, list] = {}
    for result in accepted:
        if result.fix is None:
            continue
        for patch in result.fix.patches:
            by_file.setdefault(patch.path, []).extend(patch.edits)
    planned = {}
    for path, edits in by_file.items():
        if path in report.notebooks:
            # Only the edited cells' sources change; outputs, metadata and layout stay byte for byte.
            from gradfix import notebook

            try:
                planned[path] = notebook.rewritten(path, edits, report.originals[path])
            except notebook.NotebookProblem as problem:
                raise StaleFile(f"{os.path.relpath(path)}: {problem}") from None
            continue
        with open(path, "rb") as handle:
            on_disk = handle.read().decode("utf-8", errors="surrogateescape")
        mark = "\ufeff" if on_disk.startswith("\ufeff") else ""
        if on_disk[len(mark) :] != report.originals[path]:
            raise StaleFile(f"{os.path.relpath(path)} changed since gradfix diagnosed it; run gradfix again")
        planned[path] = mark + apply_edits(on_disk[len(mark) :], edits)
    for path, text in planned.items():
        _write_atomically(path, text)
    return sorted(planned)


def _write_atomically(path: str, text: str) -> None:
    folder = os.path.dirname(os.path.abspath(path))
    mode = os.stat(path).st_mode & 0o7777
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".gradfix-", suffix=os.path.splitext(path)[1])
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            out.write(text)
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
