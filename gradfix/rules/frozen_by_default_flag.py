"""GF100: parameters frozen by a helper's flag whose default is ``False`` (``def
load_adapter(model, weights, is_trainable=False): ... p.requires_grad_(is_trainable)``), called
without it: the adapters, or the head, load frozen, and nothing that was meant to train does.
The run then ends in "No inf checks were recorded for this optimizer" (a GradScaler with nothing
to step), "optimizer got an empty parameter list", or trains nothing, silently.

Loaders modelled on ``PeftModel.from_pretrained(..., is_trainable=False)`` and builders with a
``trainable=False`` or ``requires_grad=False`` keyword load weights for inference unless asked
otherwise. Resuming a training run with them, or fine-tuning what they return, needs the flag.

The evidence comes from the run: parameters were frozen at a statement that sets ``requires_grad``
from a name (``p.requires_grad_(flag)``, ``p.requires_grad = flag``), that name is a parameter of
the enclosing function with the default ``False``, and the training crashed or changed no
parameter. The fix passes ``flag=True`` at each call of that function in the user's files that does
not pass it, under its own name or a name it is imported as. It is a conjecture from the source,
reported only when the re-run proves it: the parameters frozen there must then train (those no loss
reaches, as a frozen teacher loaded with the same helper would be, are not held against it).
Unsafe: it changes what trains.
"""

from __future__ import annotations

from typing import Optional

import libcst as cst

from gradfix.edits import Patch
from gradfix.expressions import call_argument, with_keyword
from gradfix.findings import Applicability, Candidate, Finding, short_list
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.source import SourceFile, descendants
from gradfix.trace import Site, Trace


def _flag_of(source: SourceFile, site: Site) -> Optional[tuple[cst.FunctionDef, str, int]]:
    """The enclosing function, the flag's name and its position, when the freezing statement at
    ``site`` sets requires_grad from a parameter of that function that defaults to ``False``."""
    value: Optional[cst.BaseExpression] = None
    anchor: Optional[cst.CSTNode] = None
    for call in source.nodes_at(site, cst.Call):
        if isinstance(call.func, cst.Attribute) and call.func.attr.value == "requires_grad_" and len(call.args) == 1:
            value, anchor = call.args[0].value, call
    if value is None:
        for assign in descendants(source.module, cst.Assign):
            where = source.range(assign)
            target = assign.targets[0].target if len(assign.targets) == 1 else None
            if where.start.line == site.line and isinstance(target, cst.Attribute) and target.attr.value == "requires_grad":
                value, anchor = assign.value, assign
    if not isinstance(value, cst.Name) or anchor is None:
        return None
    function = source.enclosing_function(anchor)
    if function is None:
        return None
    positional = [*function.params.posonly_params, *function.params.params]
    for index, param in enumerate([*positional, *function.params.kwonly_params]):
        if param.name.value == value.value:
            default = param.default
            if isinstance(default, cst.Name) and default.value == "False":
                return function, value.value, index if index < len(positional) else -1
            return None
    return None


class FrozenByDefaultFlag(Rule):
    code = "GF100"
    title = "parameters frozen by a helper flag left at its default False"
    applicability = Applicability.UNSAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        if trace.crash is None and any(p.changed for p in trace.params if p.optimizers):
            return []  # something trains: a helper's default may well be meant
        by_site: dict[tuple[str, int], list[str]] = {}
        sites: dict[tuple[str, int], Site] = {}
        for p in trace.params:
            if p.requires_grad or not p.frozen_at:
                continue
            site = p.frozen_at[-1]
            by_site.setdefault((site.file, site.line), []).append(p.name)
            sites[(site.file, site.line)] = site
        findings = []
        for key, params in by_site.items():
            site = sites[key]
            if not project.is_editable(site.file):
                continue
            flag = _flag_of(project.source(site.file), site)
            if flag is None:
                continue
            function, name, position = flag
            candidates = self._candidates(trace, project, function.name.value, name, position)
            if not candidates:
                continue
            message = (
                f"`{function.name.value}` sets requires_grad from `{name}`, which defaults to False, and no call passes it: "
                f"{short_list(params)} {'is' if len(params) == 1 else 'are'} frozen there"
                + (" and the training crashed" if trace.crash is not None else " and nothing trains")
            )
            finding = self.finding(project, site, message, params, candidates, blocking=trace.crash is not None)
            finding.conjecture = True  # a default may be meant: only a re-run in which they train shows it was not
            findings.append(finding)
        return findings

    def _candidates(self, trace: Trace, project: Project, function: str, flag: str, position: int) -> list[Candidate]:
        found = []
        for path in self.crash_files(trace, project):
            source = project.source(path)
            # the names the function is called by here: its own, and those it is imported as
            names = {function} | {
                alias.asname.name.value
                for node in descendants(source.module, cst.ImportFrom) if not isinstance(node.names, cst.ImportStar)
                for alias in node.names
                if source.code(alias.name) == function and alias.asname is not None and isinstance(alias.asname.name, cst.Name)
            }
            for call in descendants(source.module, cst.Call):
                callee = call.func.value if isinstance(call.func, cst.Name) else call.func.attr.value if isinstance(call.func, cst.Attribute) else None
                if callee not in names or any(a.star for a in call.args):
                    continue
                if call_argument(call, position if position >= 0 else None, flag) is not None:
                    continue  # the caller says what it wants
                edit = source.replace_node(call, with_keyword(call, flag, cst.Name("True")))
                found.append(Candidate(
                    f"pass {flag}=True to `{source.code(call.func)}` at line {source.range(call).start.line}",
                    [Patch(path, [edit])], self.applicability, thaws=True,
                ))
        return found
