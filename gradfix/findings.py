"""What rules produce and what the repair loop decides: findings, candidate fixes, verdicts.

Plain dataclasses, in one place, so the CLI, the reports and the tests all speak the same types.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Optional

from gradfix.edits import Patch


class Applicability(str, Enum):
    SAFE = "safe"  # restores evident intent: the script crashed or provably lost the gradient
    UNSAFE = "unsafe"  # verified, but changes what is trained: the user opts in
    DISPLAY_ONLY = "display-only"  # explained, never applied


@dataclass
class Candidate:
    """One way to fix a finding: edits in one or more files of the user's project."""

    description: str
    patches: list[Patch]
    applicability: Applicability
    # the parameters this candidate claims to fix, when narrower than the finding's (GF001: the
    # parameters of the module it passes to the optimizer)
    params: Optional[list[str]] = None
    # where the fault this candidate removes is, when the evidence showed several (GF008: each cut
    # on the path): the finding is reported there when this candidate is its fix
    at: Optional[tuple[str, int, int]] = field(default=None, kw_only=True)  # (file, line, column)
    # the parameters it fixes are what its re-run leaves trainable, which only that run can tell
    # (GF004: a freezing loop narrowed to spare a part, whose own count then decides what freezes)
    claims_what_trains: bool = field(default=False, kw_only=True)
    # it makes the parameters trainable (sets requires_grad) and nothing more: one that no loss
    # reaches in its re-run (a decoder the fine-tuning phase never calls, unfrozen by the same
    # loop) cannot receive a gradient whatever the fix, so it is no evidence against it
    thaws: bool = field(default=False, kw_only=True)


@dataclass
class Finding:
    code: str
    title: str
    message: str  # why: frozen / not reached from the loss / crashed with ...
    path: str
    line: int  # 1-based, in the file as it is on disk
    column: int  # 0-based
    params: list[str] = field(default_factory=list)
    candidates: list[Candidate] = field(default_factory=list)  # most conservative first
    blocking: bool = False  # the script crashed here: faults after it are hidden until it is fixed
    # what the source suggests and only a verified fix proves (a buffer initialised like a weight):
    # reported only when one of its candidates verifies
    conjecture: bool = False
    no_fix: str = ""  # why the rule offers no candidate, when it knows (said instead of a generic note)

    @property
    def key(self) -> tuple[str, str, int]:
        return (self.code, self.path, self.line)


@dataclass
class Verdict:
    verified: bool
    reason: str  # why it was rejected, or what the re-run showed
    trained: list[str] = field(default_factory=list)  # finding params that now get grads and change
    # progress, not the whole fix: the crash is gone and the script runs further, but the finding's
    # parameters do not train yet (a second fault behind the first); a full verdict is preferred
    partial: bool = False


@dataclass
class ParamRow:
    """One row of the before/after table for a finding's parameters."""

    name: str
    before: Optional[tuple[bool, bool, bool]]  # requires_grad, got grad, updated; None: not seen
    after: Optional[tuple[bool, bool, bool]]


@dataclass
class Fix:
    """The verified candidate of a finding, with its edits on the files as they are on disk."""

    description: str
    applicability: Applicability
    patches: list[Patch]
    verdict: Verdict
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (candidate, why)
    also_verified: list[str] = field(default_factory=list)  # larger candidates that verified too


@dataclass
class Result:
    """A finding and what became of it."""

    finding: Finding
    fix: Optional[Fix] = None
    rejected: list[tuple[str, str]] = field(default_factory=list)
    table: list[ParamRow] = field(default_factory=list)
    note: str = ""  # e.g. why no fix is offered


@dataclass
class Report:
    """Everything gradfix found for one script, in the order the repair loop found it."""

    script: str
    results: list[Result]
    originals: dict[str, str]  # path -> text as diagnosed, for the stale-file check and diffs
    runs: int = 0
    stdout: str = ""
    stderr: str = ""
    cuda_emulated: bool = False
    # a multi-process run: how many ranks ran under the probe, and what they were given instead of
    # what they asked for on this machine (nccl -> gloo)
    distributed: str = ""
    final_state: str = ""  # one line: how the last run ended
    # branches waiting on a loop's progress that the run never reached (file, line, what): what they
    # start was not diagnosed, so no finding is not an all-clear
    unreached: list[tuple[str, int, str]] = field(default_factory=list)
    # path -> notebook.Layout for a notebook: its program's lines in cells (every position and
    # edit above is on the program; the reports say them in cells)
    notebooks: dict[str, Any] = field(default_factory=dict)
    # path -> the first line of each cell of a jupytext percent script (``# %%``): it runs as a
    # script, and its findings also say their cell
    percent_cells: dict[str, list[int]] = field(default_factory=dict)


def short_list(names: list[str], limit: int = 4) -> str:
    if len(names) <= limit:
        return ", ".join(names)
    return ", ".join(names[:limit]) + f" and {len(names) - limit} more"
