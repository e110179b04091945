"""Writing accepted fixes to the user's files: atomically, and only over the bytes that were diagnosed.

A fix is made, and verified, on the text gradfix read before its runs. Between that read and the
write the user may save the file (a run takes seconds, a review at the prompt minutes), so every
file is read again and compared with the text diagnosed, the new bytes are written to a temporary
file beside it, and the file on disk is compared once more with the bytes the new ones were made
from, for every file of the write, immediately before the first rename. A file that changed is
left as it is, with nothing else written. What remains is the time between that last comparison and
the renames (microseconds), which no lock an editor honours could close.

The replaced file keeps its owner, group and mode; a symlink is kept and its target written. A
file that is read-only (no write bit, or not writable by the user) is refused unless ``force``.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import stat
import tempfile
from dataclasses import dataclass, field
from typing import Iterator

from gradfix.edits import Edit, apply_edits, in_line_endings
from gradfix.findings import Applicability, Report, Result

_BOM = "\ufeff"


class Refused(Exception):
    """A file gradfix will not write; one line for the user, and nothing of the write is written."""


class StaleFile(Refused):
    """A file changed on disk after gradfix diagnosed it."""


class ReadOnlyFile(Refused):
    """A file its mode (or its owner) says is not to be written, and ``--force`` was not given."""


def fixable(report: Report) -> list[Result]:
    """The results with a verified fix that has edits of its own (not carried by another fix)."""
    return [r for r in report.results if r.fix is not None and r.fix.patches]


def split_by_safety(report: Report, unsafe_fixes: bool) -> tuple[list[Result], list[Result]]:
    """``apply --yes``: the fixes to write, and the verified unsafe ones held back (all of them
    are written with ``--unsafe-fixes``)."""
    accepted = [r for r in fixable(report) if unsafe_fixes or r.fix and r.fix.applicability is Applicability.SAFE]
    return accepted, [r for r in fixable(report) if not any(r is a for a in accepted)]


def left_unfixed(report: Report, accepted: list[Result]) -> list[Result]:
    """The findings that writing ``accepted`` leaves, in the report's order; results another
    accepted fix carries (merged edits) count as fixed."""
    fixed = {id(r) for r in accepted} | {id(r) for r in report.results if r.fix is not None and not r.fix.patches}
    return [r for r in report.results if id(r) not in fixed]


@dataclass
class _Session:
    """One ``apply``: whether read-only files are written, and what it wrote so far (a folder run
    writes one script's fixes after the other, and two scripts may share a helper module)."""

    force: bool = False
    written: dict[str, tuple[str, frozenset[Edit], bytes]] = field(default_factory=dict)  # real path -> (text diagnosed, edits, bytes written)


_session: contextvars.ContextVar[_Session] = contextvars.ContextVar("gradfix_apply_session")


@contextlib.contextmanager
def session(force: bool = False) -> Iterator[None]:
    """The writes of one ``apply``: ``force`` writes read-only files too."""
    token = _session.set(_Session(force))
    try:
        yield
    finally:
        _session.reset(token)


@dataclass
class _Planned:
    path: str  # as the report names it
    real: str  # the file written (a symlink's target)
    read: bytes  # the bytes the new ones were made from
    new: bytes
    status: os.stat_result


def write_fixes(report: Report, accepted: list[Result]) -> list[str]:
    """Apply the edits of the accepted results; returns the paths written. Raises Refused (nothing
    written) when a file changed since it was diagnosed or is read-only."""
    current = _session.get(None) or _Session()
    by_file: dict[str, list[Edit]] = {}
    for result in accepted:
        if result.fix is None:
            continue
        for patch in result.fix.patches:
            by_file.setdefault(patch.path, []).extend(patch.edits)
    planned: list[_Planned] = []
    record: dict[str, tuple[str, frozenset[Edit], bytes]] = {}
    for path, edits in by_file.items():
        real = os.path.realpath(path)
        shown = os.path.relpath(path)
        try:
            data, status = _read(real)
        except FileNotFoundError:
            raise StaleFile(f"{shown} is gone since gradfix diagnosed it; nothing written") from None
        diagnosed = report.originals[path]
        if path in report.notebooks:
            # Only the edited cells' sources change; outputs, metadata and layout stay byte for byte.
            from gradfix import notebook

            try:
                new = notebook.rewritten(path, edits, diagnosed, data).encode("utf-8")
            except notebook.NotebookProblem as problem:
                raise StaleFile(f"{shown}: {problem}") from None
        else:
            before = current.written.get(real)
            if before is not None and data == before[2] and diagnosed == before[0]:
                # An earlier script of this apply wrote it, from the same text: its fixes are in.
                if set(edits) <= before[1]:
                    continue
                raise Refused(
                    f"{shown}: the fixes of two scripts change it, each verified without the other's; "
                    "nothing more written: run gradfix again on the scripts left"
                )
            text = _diagnosed_text(data)
            if text is None or text[len(_BOM) if text.startswith(_BOM) else 0 :] != diagnosed:
                raise StaleFile(_changed(shown))
            mark = _BOM if text.startswith(_BOM) else ""
            edits = in_line_endings(diagnosed, edits)
            new = (mark + apply_edits(diagnosed, edits)).encode("utf-8")
            record[real] = (diagnosed, frozenset(edits), new)
        if not current.force:
            _check_writable(real, shown, status)
        planned.append(_Planned(path, real, data, new, status))
    _commit(planned)
    current.written.update(record)
    return sorted(p.path for p in planned)


def _changed(shown: str) -> str:
    return f"{shown} changed since gradfix diagnosed it (it was read before the runs); nothing written: run gradfix again"


def _read(real: str) -> tuple[bytes, os.stat_result]:
    with open(real, "rb") as handle:
        return handle.read(), os.fstat(handle.fileno())


def _diagnosed_text(data: bytes) -> str | None:
    """The file's text as diagnosis reads it; None when it is no longer UTF-8 (it was then)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def read_only(path: str) -> str | None:
    """Why ``apply`` without ``--force`` would refuse to write ``path``, in one line, said before
    any run (the diagnosis takes seconds to minutes); None when it may write it, or when there is
    no such file (the input checks say that)."""
    real = os.path.realpath(path)
    try:
        status = os.stat(real)
    except OSError:
        return None
    refused = _refusal(real, status)
    if refused is None:
        return None
    why, kept = refused
    return f"{os.path.relpath(path)} {why}: apply would write nothing to it; pass --force to write it anyway ({kept})"


def _refusal(real: str, status: os.stat_result) -> tuple[str, str] | None:
    """Whether a file is read-only: (what it is, what --force keeps), or None. A rename replaces a
    file whatever its mode (only the folder's counts), so the mode is checked here. Root may write
    anything: no write bit for anyone is what says read-only then."""
    mode = stat.S_IMODE(status.st_mode)
    if not mode & 0o222:
        return f"is read-only (mode {mode:04o})", "its mode is kept"
    if not os.access(real, os.W_OK):
        return f"is not writable by you (mode {mode:04o}, owner uid {status.st_uid})", "its owner and mode are kept"
    return None


def _check_writable(real: str, shown: str, status: os.stat_result) -> None:
    """Refuse a file that is read-only (``_refusal``)."""
    refused = _refusal(real, status)
    if refused is not None:
        why, kept = refused
        raise ReadOnlyFile(f"{shown} {why}; nothing written: pass --force to write it anyway ({kept})")


def _commit(planned: list[_Planned]) -> None:
    """Stage every file, check every one still holds the bytes its new text was made from, then
    rename them all; a check that fails leaves every file as it was."""
    staged: list[str] = []
    try:
        for item in planned:
            staged.append(_stage(item))
        for item in planned:
            try:
                now, _ = _read(item.real)
            except OSError:
                now = None
            if now != item.read:
                raise StaleFile(_changed(os.path.relpath(item.path)))
        for item, temporary in zip(planned, staged):
            try:
                os.replace(temporary, item.real)
            except OSError as error:
                raise OSError(error.errno, error.strerror, item.path) from None
    finally:
        for temporary in staged:
            if os.path.lexists(temporary):
                os.unlink(temporary)


def _stage(item: _Planned) -> str:
    """The new bytes in a temporary file beside the file they replace, with its owner, group and
    mode, on disk (a crash after the rename must not leave an empty file)."""
    folder = os.path.dirname(item.real)
    try:
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=".gradfix-", suffix=os.path.splitext(item.real)[1])
    except OSError as error:  # named by the file the user knows, not the temporary one
        raise OSError(error.errno, error.strerror, item.path) from None
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(item.new)
            out.flush()
            made = os.fstat(out.fileno())
            if (item.status.st_uid, item.status.st_gid) != (made.st_uid, made.st_gid):
                try:
                    os.fchown(out.fileno(), item.status.st_uid, item.status.st_gid)
                except PermissionError:
                    raise Refused(
                        f"{os.path.relpath(item.path)}: gradfix cannot give the new file its owner "
                        f"(uid {item.status.st_uid}, gid {item.status.st_gid}); nothing written"
                    ) from None
            # After the owner: changing it clears the set-user-ID and set-group-ID bits.
            os.fchmod(out.fileno(), stat.S_IMODE(item.status.st_mode))
            os.fsync(out.fileno())
    except BaseException:
        os.unlink(temporary)
        raise
    return temporary
