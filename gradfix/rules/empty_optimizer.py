"""GF001: an optimizer built with an empty parameter list (``optim.SGD([], lr=0.01)``).

torch raises ``ValueError: optimizer got an empty parameter list``. The fix passes
``<model>.parameters()``, where ``<model>`` is a name that the crashed frame really bound to an
``nn.Module`` (read from the Trace, never guessed). With several candidates (a GAN's G and D) the
one no optimizer holds yet, and whose name fits the optimizer's, is tried first; the re-run decides.
"""

from __future__ import annotations

import re
from typing import Optional

import libcst as cst

from gradfix.findings import Applicability, Candidate, Finding, Verdict, short_list
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.sandbox import RunResult
from gradfix.trace import ModuleFact, Trace
from gradfix.verify import judge

_OPTIMIZER_WORDS = {"opt", "optim", "optimizer", "optimiser", "solver"}


def _empty_params_arg(call: cst.Call) -> Optional[cst.BaseExpression]:
    """The expression passed as ``params`` when it is a literal empty collection."""
    chosen = None
    for index, arg in enumerate(call.args):
        if arg.keyword is not None and arg.keyword.value == "params":
            chosen = arg
            break
        if index == 0 and arg.keyword is None and not arg.star:
            chosen = arg
    if chosen is None:
        return None
    value = chosen.value
    if isinstance(value, (cst.List, cst.Tuple)) and not value.elements:
        return value
    if (
        isinstance(value, cst.Call)
        and isinstance(value.func, cst.Name)
        and value.func.value in ("list", "tuple")
        and not value.args
    ):
        return value
    return None


def _words(name: str) -> set[str]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    return {w for w in re.split(r"[^A-Za-z0-9]+", spaced.lower()) if w}


def _affinity(optimizer_name: str, module_name: str) -> int:
    """How well a module's name fits the optimizer's (``opt_g`` ~ ``G``/``netG``/``generator``)."""
    wanted = _words(optimizer_name) - _OPTIMIZER_WORDS
    have = _words(module_name) - {"self", "net", "model"}
    return sum(1 for w in wanted for h in have if w == h or w.startswith(h) or h.startswith(w))


def _assigned_name(source, call: cst.Call) -> str:  # type: ignore[no-untyped-def]
    statement = source.statement_of(call)
    if isinstance(statement, cst.SimpleStatementLine) and statement.body:
        small = statement.body[0]
        if isinstance(small, cst.Assign) and len(small.targets) == 1:
            return source.code(small.targets[0].target)
        if isinstance(small, cst.AnnAssign):
            return source.code(small.target)
    return ""


class EmptyOptimizer(Rule):
    code = "GF001"
    title = "optimizer built with an empty parameter list"
    applicability = Applicability.SAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        crash = trace.crash
        if crash is None or crash.site is None or "empty parameter list" not in crash.message:
            return []
        if not project.is_editable(crash.site.file):
            return []
        source = project.source(crash.site.file)
        empty = None
        call = None
        for node in source.nodes_at(crash.site, cst.Call):
            empty = _empty_params_arg(node)
            if empty is not None:
                call = node
                break
        if call is None or empty is None:
            return []  # built from an expression that happened to be empty (e.g. all frozen): not ours

        optimizer_name = _assigned_name(source, call)
        modules = self._candidates(trace, crash.scope_modules, optimizer_name)
        unheld = [
            p.name
            for _, module in modules
            for p in trace.params_of(module.id)
            if p.requires_grad and not p.optimizers
        ]
        candidates = []
        for name, module in modules:
            replacement = cst.parse_expression(f"{name}.parameters()", config=source.module.config_for_parsing)
            candidates.append(
                self.candidate(f"pass {name}.parameters() to the optimizer", source.path, [source.replace_node(empty, replacement)], [p.name for p in trace.params_of(module.id) if p.requires_grad])
            )
        if len(modules) > 1:
            # An autoencoder's encoder and decoder trained by one optimizer: both, together.
            text = " + ".join(f"list({name}.parameters())" for name, _ in modules)
            replacement = cst.parse_expression(text, config=source.module.config_for_parsing)
            candidates.append(
                self.candidate(f"pass the parameters of {', '.join(n for n, _ in modules)} to the optimizer", source.path, [source.replace_node(empty, replacement)], [p.name for _, module in modules for p in trace.params_of(module.id) if p.requires_grad])
            )
        if modules:
            names = ", ".join(name for name, _ in modules)
            why = f"in scope: {names}; parameters no optimizer holds: {short_list(unheld) or 'none'}"
        else:
            why = "no nn.Module with trainable parameters is bound to a name where the optimizer is built"
        message = f"the script crashed: {crash.type}: {crash.message}; {why}"
        return [self.finding(project, crash.site, message, unheld, candidates, blocking=True)]

    def verify(self, finding: Finding, candidate: Candidate, before: Trace, run: RunResult) -> Verdict:
        verdict = judge(finding, candidate, before, run)
        if not verdict.verified or run.trace.crash is not None:
            return verdict
        # The right module is the one whose training needs the optimizer: after the fix, nothing
        # that receives a gradient may be left without one.
        orphans = [p.name for p in run.trace.params if p.got_grad and p.requires_grad and not p.optimizers and p.is_leaf]
        if orphans:
            return Verdict(False, f"{short_list(orphans)} receive gradients but no optimizer holds them")
        return verdict

    @staticmethod
    def _candidates(trace: Trace, scope: dict[str, int], optimizer_name: str) -> list[tuple[str, ModuleFact]]:
        """Modules bound in the crashed frame that have trainable parameters, most likely first."""
        found: list[tuple[str, ModuleFact]] = []
        for name, module_id in scope.items():
            module = trace.module(module_id)
            if module is None or any(m.id == module_id for _, m in found):
                continue
            if any(p.requires_grad for p in trace.params_of(module_id)):
                found.append((name, module))  # params_of() is empty for loss modules and submodules

        def rank(item: tuple[str, ModuleFact]) -> tuple[int, int, int]:
            name, module = item
            held = any(p.optimizers for p in trace.params_of(module.id))
            return (held, -_affinity(optimizer_name, name), name.startswith("self."))

        return sorted(found, key=rank)
