"""The rules: one file per fault kind, each a :class:`Rule` subclass that registers itself.

A rule reads the Trace and the user's sources and returns Findings, each with its candidate fixes
(most conservative first). It never runs anything: the repair loop re-runs every candidate and
keeps only what the re-run verifies. A new fault kind is one new file here, its corpus folder and
its docs page; nothing else needs to change.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
from typing import Callable, ClassVar, Optional

import libcst as cst

from gradfix.findings import Applicability, Candidate, Finding, Verdict
from gradfix.project import Project
from gradfix.sandbox import RunResult
from gradfix.expressions import call_argument, with_keyword
from gradfix.source import SourceFile, descendants
from gradfix.trace import Site, Trace
from gradfix.verify import judge, judge_what_trains


class Rule:
    code: ClassVar[str]
    slug: ClassVar[str]  # the rule's file, docs page and corpus folder: rules/<slug>.py
    title: ClassVar[str]
    applicability: ClassVar[Applicability]
    # A final rule runs once, on the repair loop's last run, and reports only parameters that no
    # other finding names: the safety net under every other rule.
    final: ClassVar[bool] = False
    explained: frozenset[str] = frozenset()  # for a final rule: parameters other findings already name

    registry: ClassVar[dict[str, type["Rule"]]] = {}

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        if cls.code in Rule.registry:
            raise ValueError(f"two rules claim {cls.code}: {Rule.registry[cls.code].__name__} and {cls.__name__}")
        cls.slug = cls.__module__.rsplit(".", 1)[-1]
        Rule.registry[cls.code] = cls

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        raise NotImplementedError

    def candidate(
        self, description: str, path: str, edits: list, params: Optional[list[str]] = None,  # type: ignore[type-arg]
        at: Optional[tuple[str, int, int]] = None,
    ) -> Candidate:
        """A candidate fix of this rule: edits in one file, at the rule's applicability. ``at``:
        the fault it removes, when the finding's evidence showed several."""
        from gradfix.edits import Patch

        return Candidate(description, [Patch(path, sorted(edits, key=lambda e: e.start))], self.applicability, params, at=at)

    # A rule whose fix is a conjecture about which of the stuck parameters it frees (a flag parsed
    # as meant, a result kept, a mask filled the other way): its candidates are judged on those of
    # the finding's parameters that train in the re-run (a non-zero gradient, a change), which
    # must be some; the others, stuck for another reason, stay with the safety net.
    claims_what_trains: ClassVar[bool] = False

    def verify(self, finding: Finding, candidate: Candidate, before: Trace, run: RunResult) -> Verdict:
        """Did the re-run show the fix works? Rules whose fix is not about gradients arriving override it."""
        if self.claims_what_trains:
            trained = [n for n in finding.params if (p := run.trace.param(n)) is not None and p.nonzero_grad and p.changed]
            return judge_what_trains(finding, candidate, before, run, trained)
        return judge(finding, candidate, before, run)

    @classmethod
    def doc(cls) -> str:
        """The module docstring as plain text: code in single backquotes, as in gradfix's messages
        and in Markdown (the docstring's RST ````x```` and ``:class:`x``` mean nothing to a reader)."""
        import re
        import sys

        text = (sys.modules[cls.__module__].__doc__ or "").strip()
        text = re.sub(r"``(.+?)``", r"`\1`", text, flags=re.DOTALL)
        text = re.sub(r":\w+:`~?([^`]+)`", r"`\1`", text)
        return f"{text}\n\nFix safety: {cls.applicability.value}. Full page: docs/rules/{cls.slug}.md"

    # -- helpers for rules ------------------------------------------------------------------------

    def finding(
        self,
        project: Project,
        site: Site,
        message: str,
        params: list[str],
        candidates: Optional[list[Candidate]] = None,
        blocking: bool = False,
    ) -> Finding:
        source = project.source(site.file)
        column = source.char_column(site.line, site.column) or 0
        return Finding(
            code=self.code,
            title=self.title,
            message=message,
            path=site.file,
            line=site.line,
            column=column,
            params=params,
            candidates=candidates or [],
            blocking=blocking,
        )


    @staticmethod
    def crash_files(trace: Trace, project: Project) -> list[str]:
        """The user's files where a crash's cause can be written: the one that raised, then those
        that built the run's modules, then the files beside those that they import, each once,
        editable ones only."""
        crash = trace.crash
        first = [crash.site.file] if crash is not None and crash.site is not None else []
        built = [m.site.file for m in trace.modules if m.site is not None]
        # then the files beside them that they import (a helper module of loss functions or
        # pooling ops builds no module, and its call may raise only at backward())
        imported = [path for file in dict.fromkeys([*first, *built]) if project.is_editable(file) for path in _imported_beside(project, file)]
        files = dict.fromkeys([*first, *built, *imported])
        return [path for path in files if project.is_editable(path)]

    def keyword_candidates(
        self, trace: Trace, project: Project, wanted: Callable[[SourceFile, cst.Call], bool], keyword: str,
        value: str, describe: Callable[[str, int], str], position: Optional[int] = None,
        conflicting: Optional[dict[str, str]] = None,
    ) -> list[Candidate]:
        """One candidate per call, in the files where the crash's cause can be written, that
        ``wanted`` accepts: the call passing ``keyword=value`` (``create_graph=True``,
        ``drop_last=True``), laid out as its arguments are; a value passed at ``position`` is
        replaced there. Keyword-only settings that the new value rejects (``conflicting``:
        ``persistent_workers="False"`` beside ``num_workers=0``) are set too, where the call passes
        them. ``describe(callee, line)`` says it."""
        candidates = []
        for path in self.crash_files(trace, project):
            source = project.source(path)
            for call in descendants(source.module, cst.Call):
                if not wanted(source, call):
                    continue
                config = source.module.config_for_parsing
                new = with_keyword(call, keyword, cst.parse_expression(value, config=config), position)
                for other, allowed in (conflicting or {}).items():
                    if call_argument(call, None, other) is not None:
                        new = with_keyword(new, other, cst.parse_expression(allowed, config=config))
                edit = source.replace_node(call, new)
                candidates.append(self.candidate(describe(source.code(call.func), source.range(call).start.line), path, [edit]))
        return candidates

    def together(self, candidates: list[Candidate], description: str) -> Optional[Candidate]:
        """One more candidate with the edits of all these, when there are several, all in one file,
        and none overlaps another: each alone may fix only its part of the fault."""
        if len(candidates) < 2 or len({c.patches[0].path for c in candidates}) != 1:
            return None
        edits = sorted((e for c in candidates for e in c.patches[0].edits), key=lambda e: (e.start, e.end))
        if any(a.end > b.start for a, b in zip(edits, edits[1:])):
            return None
        return self.candidate(description, candidates[0].patches[0].path, edits)


def all_rules() -> list[Rule]:
    for info in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{info.name}")
    return [Rule.registry[code]() for code in sorted(Rule.registry)]


def _imported_beside(project: Project, path: str) -> list[str]:
    """The files of the modules ``path`` imports by a name found beside it (``from pooling import
    segment_sum`` -> ``pooling.py`` in its folder; ``import utils.losses`` -> ``utils/losses.py``)."""
    try:
        module = project.source(path).module
    except Exception:  # noqa: BLE001  (a file gradfix cannot read has nothing to add)
        return []
    folder = os.path.dirname(path)
    names: list[str] = []
    for node in descendants(module, cst.ImportFrom):
        if node.module is not None and not node.relative:
            names.append(project.source(path).code(node.module))
    for node in descendants(module, cst.Import):
        names += [project.source(path).code(alias.name) for alias in node.names]
    found = []
    for name in names:
        base = os.path.join(folder, *name.split("."))
        for candidate in (f"{base}.py", os.path.join(base, "__init__.py")):
            if os.path.isfile(candidate):
                found.append(os.path.realpath(candidate))
    return found
