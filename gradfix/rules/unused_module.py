"""GF016: a submodule defined in ``__init__`` and never used.

``self.fc_extra = nn.Linear(...)`` that nothing else refers to (in its file, the script, or the
files backward runs from) never runs, so its parameters never receive a gradient. gradfix cannot
know for sure what the layer was meant to do, so the fix is unsafe and the re-run judges: the
candidates put the layer where its neighbours in ``__init__`` suggest, on the output of the
sibling defined just before it (``self.bn2(self.conv2(x))``) or on the input of the one defined
just after it (``self.layer3(self.layer2(x1))``). A candidate whose shapes do not fit crashes and
is dropped; when none runs, the finding only explains. A head used only in another method
(``predict``), or only by a later stage of the script, is referenced, and is not flagged; an
assignment (``self.dense_v = self.dense_u`` in the branch that shares the weights) is no use.

A layer used in place of its twin: when a layer built alike in the same ``__init__``, whose name
differs by a pair marker (``_u``/``_v``, ``user``/``item``, ``src``/``tgt``, ``q``/``k``, ``1``/``2``),
ran and is called twice (``v = self.dense_u(v_hidden)``), the first candidates replace one call of
the twin each by the unused layer, the call whose argument is named for its marker first.

Under ``DistributedDataParallel`` the same layer is fatal: DDP waits for its gradients, and the
next iteration raises "Expected to have finished reduction in the prior iteration" naming only
parameter indices. There the finding blocks, and the first candidate removes the layer from the
model (nothing refers to it, so nothing else changes); the re-run of every rank must show the
crash gone and every other parameter of the model trained, with the replicas equal.

A layer that the code does call, only in a phase or condition this run did not reach, is no unused
layer; but under DDP it stops the run too. When DDP stopped it and its wrapper was not told that
parameters may go unused, the candidate is ``find_unused_parameters=True`` on the DDP call
(``gradfix/ddp_unused.py``): the layer sits out this phase on purpose.
"""

from __future__ import annotations

import libcst as cst

from typing import Optional

from gradfix.ddp_unused import (
    ddp_waits_for_gradients, ddp_wrappers_holding, find_unused_candidate, is_find_unused, judge_find_unused, told_unused,
)
from gradfix.edits import Patch
from gradfix.expressions import name_words, self_attribute
from gradfix.findings import Applicability, Candidate, Finding, Verdict, short_list
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.sandbox import RunResult
from gradfix.source import SourceFile, descendants
from gradfix.trace import AttributeFact, ModuleFact, Trace
from gradfix.verify import judge


class UnusedModule(Rule):
    code = "GF016"
    title = "submodule defined but never used"
    applicability = Applicability.UNSAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        if not trace.backwards:
            return []
        ran = {m.id for m in trace.modules if m.ran_with_grad or m.ran_without_grad}
        findings = []
        for attribute in trace.attributes:
            if attribute.kind != "module" or attribute.site is None or attribute.owner not in ran:
                continue
            owner = trace.module(attribute.owner)
            if owner is not None and owner.cls.startswith("torch."):
                # A layer torch builds inside its own modules and uses without calling it
                # (MultiheadAttention reads out_proj.weight directly): torch's business, not a fault.
                continue
            child = next(
                (m for m in trace.modules if m.path == f"{attribute.owner_name}.{attribute.attr}"), None
            )
            if child is None or child.id in ran or any(c in ran for c in child.children):
                continue
            # A frozen module that never runs loses no training (a frozen encoder in eval() whose
            # fast path skips its layers' forward): only parameters meant to train count.
            params = [
                p.name for p in trace.params
                if p.name.startswith(f"{child.path}.") and not p.reached and p.requires_grad
            ]
            if not params or not project.is_editable(attribute.site.file):
                continue
            # The module's own file, the script and every file backward ran from: a layer used
            # only by a later stage of the script (which the early stop cut off) is referenced there.
            files = {attribute.site.file, trace.script, *(b.site.file for b in trace.backwards if b.site is not None)}
            if any(
                self._referenced(project, path, attribute.attr, attribute.site.line if path == attribute.site.file else 0)
                for path in sorted(files)
                if project.is_editable(path)
            ):
                # Called somewhere, just not in this phase (a branch of forward() a flag or a
                # warm-up keeps off): under DDP that stops the run, and DDP is told it may sit out.
                if ddp_waits_for_gradients(trace):
                    sits_out = self._sits_out(project, trace, attribute, child, params)
                    if sits_out is not None:
                        findings.append(sits_out)
                continue
            twin = self._twin(project, trace, attribute, child, ran)
            placements = self._placements(project, attribute)
            if twin is not None:
                name, calls = twin
                lines = ", ".join(str(line) for line in sorted({project.source(attribute.site.file).site(c).line for c in calls}))
                message = (
                    f"`{child.path}` is defined here but never used: it never runs, so {short_list(params)} "
                    f"never receive a gradient, while its twin `self.{name}`, built alike, is called "
                    f"{'twice' if len(calls) == 2 else f'{len(calls)} times'} (lines {lines}): one of those calls meant `self.{attribute.attr}`?"
                )
                swaps = self._swaps(project, attribute, name, calls)
                findings.append(self.finding(project, attribute.site, message, params, swaps + placements))
                continue
            if ddp_waits_for_gradients(trace):
                # No rank is named: every rank waits for the same gradients, and which one reports
                # it first is a race between processes, not a fact about the script.
                message = (
                    f"`{child.path}` is defined here but never used: it never runs, so {short_list(params)} "
                    f"never receive a gradient, and DistributedDataParallel, which waits for them, stops the "
                    f"next iteration (\"Expected to have finished reduction\"); delete it or call it in forward()"
                )
                removal = self._removal(project, attribute)
                findings.append(self.finding(project, attribute.site, message, params, removal + placements, blocking=True))
                continue
            message = (
                f"`{child.path}` is defined here but never used: it never runs, so {short_list(params)} "
                "never receive a gradient; call it in forward() or delete it"
            )
            findings.append(self.finding(project, attribute.site, message, params, placements))
        return findings

    def _sits_out(
        self, project: Project, trace: Trace, attribute: AttributeFact, child: ModuleFact, params: list[str],
    ) -> Optional[Finding]:
        """A layer the model calls only in some phase, that did not run in this one, in a DDP model
        not told that parameters may go unused: ``find_unused_parameters=True`` on its DDP call."""
        assert attribute.site is not None and child.path is not None
        wraps = ddp_wrappers_holding(trace, project, [child.path])
        if not wraps or any(told_unused(call) for _, call in wraps):
            return None
        candidates = [c for source, call in wraps if (c := find_unused_candidate(source, call)) is not None]
        if not candidates:
            return None
        message = (
            f"`{child.path}` did not run in this run's iterations (the code calls it only in some phase or "
            f"condition), so {short_list(params)} receive no gradient, and DistributedDataParallel, which waits "
            f"for them, stops the next iteration (\"Expected to have finished reduction\"): if it sits out this "
            "phase on purpose, pass find_unused_parameters=True"
        )
        return self.finding(project, attribute.site, message, params, candidates, blocking=True)

    def _removal(self, project: Project, attribute: AttributeFact) -> list[Candidate]:
        """Delete ``self.<attr> = ...`` from ``__init__``: nothing refers to the layer (checked
        before), so the model computes what it computed, without the parameters DDP waits for."""
        assert attribute.site is not None
        source = project.source(attribute.site.file)
        for statement in source.statements_on_line(attribute.site.line):
            if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
                continue
            assign = statement.body[0]
            if not isinstance(assign, cst.Assign) or len(assign.targets) != 1:
                continue
            if self_attribute(assign.targets[0].target) != attribute.attr:
                continue
            return [Candidate(
                f"delete self.{attribute.attr}, which the model never uses, so that DDP waits for no gradient of it",
                [Patch(source.path, [source.remove_statement(statement)])], Applicability.UNSAFE, params=[],
            )]
        return []

    def verify(self, finding: Finding, candidate: Candidate, before: Trace, run: RunResult) -> Verdict:
        if is_find_unused(candidate):
            return judge_find_unused(finding, candidate, before, run)
        verdict = judge(finding, candidate, before, run)
        if candidate.params != [] or not verdict.verified or verdict.partial:
            return verdict
        after = run.trace
        # The layer is gone: what counts is the rest of the model, in every rank.
        stuck = [p.name for p in after.params if p.requires_grad and p.optimizers and not (p.got_grad and p.changed)]
        if stuck:
            return Verdict(False, f"{short_list(stuck)} still do not train")
        if after.replicas_differ:
            return Verdict(False, f"the replicas differ after the step: {short_list(after.replicas_differ)}")
        ranks = f" in all {after.world_size} ranks" if after.world_size > 1 else ""
        return Verdict(True, f"the crash is gone: every parameter of the model receives a gradient and changes after optimizer.step(){ranks}", [])

    def _placements(self, project: Project, attribute: AttributeFact) -> list[Candidate]:
        """Calls of the layer where ``__init__``'s order puts it: after the sibling defined just
        before it, then before the one defined just after it (each called once in ``forward``)."""
        assert attribute.site is not None
        source = project.source(attribute.site.file)
        cls = _class_defining(source, attribute.site.line)
        if cls is None:
            return []
        methods = {f.name.value: f for f in cls.body.body if isinstance(f, cst.FunctionDef)}
        init, forward = methods.get("__init__"), methods.get("forward")
        if init is None or forward is None:
            return []
        order = [name for name in _assigned_attributes(init)]
        if attribute.attr not in order:
            return []
        calls: dict[str, list[cst.Call]] = {}
        for call in descendants(forward, cst.Call):
            name = self_attribute(call.func)
            if name is not None:
                calls.setdefault(name, []).append(call)
        at = order.index(attribute.attr)
        before = next((n for n in reversed(order[:at]) if n in calls), None)
        after = next((n for n in order[at + 1 :] if n in calls), None)
        layer = f"self.{attribute.attr}"
        candidates = []
        if before is not None and len(calls[before]) == 1:
            call = calls[before][0]
            wrapped = cst.parse_expression(f"{layer}({source.code(call)})", config=source.module.config_for_parsing)
            candidates.append(Candidate(
                f"call {layer} on the output of self.{before}, as __init__'s order suggests",
                [_patch(source, call, wrapped)], Applicability.UNSAFE,
            ))
        if after is not None and len(calls[after]) == 1 and calls[after][0].args and calls[after][0].args[0].keyword is None:
            call = calls[after][0]
            first = call.args[0]
            inner = cst.parse_expression(f"{layer}({source.code(first.value)})", config=source.module.config_for_parsing)
            wrapped = call.with_changes(args=[first.with_changes(value=inner), *call.args[1:]])
            candidates.append(Candidate(
                f"call {layer} on the input of self.{after}, as __init__'s order suggests",
                [_patch(source, call, wrapped)], Applicability.UNSAFE,
            ))
        return candidates

    def _twin(
        self, project: Project, trace: Trace, attribute: AttributeFact, child: ModuleFact, ran: set[int],
    ) -> Optional[tuple[str, list[cst.Call]]]:
        """The layer built alike in the same ``__init__`` whose name differs from this one's by a
        pair marker (``_u``/``_v``, ``user``/``item``, ``src``/``tgt``, ``1``/``2``), that ran,
        and that the class calls at least twice: one call was meant for the layer that never ran."""
        assert attribute.site is not None
        source = project.source(attribute.site.file)
        cls = _class_defining(source, attribute.site.line)
        if cls is None:
            return None
        init = next((f for f in cls.body.body if isinstance(f, cst.FunctionDef) and f.name.value == "__init__"), None)
        if init is None:
            return None
        assigned = _assigned_attributes(init)
        if attribute.attr not in assigned:  # the edit names only layers the source binds
            return None
        shapes = _shapes(trace, child)
        for name in assigned:
            if name == attribute.attr or _pair_marker(attribute.attr, name) is None:
                continue
            twin = next((m for m in trace.modules if m.path == f"{attribute.owner_name}.{name}"), None)
            # Built alike: the same class with parameters of the same shapes, and it ran.
            if twin is None or twin.id not in ran or twin.cls != child.cls or _shapes(trace, twin) != shapes:
                continue
            calls = [
                call for method in cls.body.body if isinstance(method, cst.FunctionDef) and method.name.value != "__init__"
                for call in descendants(method, cst.Call) if self_attribute(call.func) == name
            ]
            if len(calls) >= 2:
                return name, calls
        return None

    def _swaps(self, project: Project, attribute: AttributeFact, twin: str, calls: list[cst.Call]) -> list[Candidate]:
        """Each call of the twin made a call of this layer, the one whose argument is named for this
        layer's marker first (``self.dense_layer_u(v_hidden)``), the one named for the twin's last."""
        assert attribute.site is not None
        source = project.source(attribute.site.file)
        markers = _pair_marker(attribute.attr, twin)
        assert markers is not None
        mine, theirs = markers

        def rank(call: cst.Call) -> int:
            # The names the call reads, and the name its result is bound to (``k = self.q(memory)``).
            named = [n for arg in call.args for n in descendants(arg, cst.Name)]
            parent = source.parent(call)
            if isinstance(parent, cst.Assign):
                named += [n for t in parent.targets for n in descendants(t, cst.Name)]
            words = {w for n in named if n.value != "self" for w in name_words(n.value)}
            if any(_names_marker(w, mine) for w in words):
                return 0
            return 2 if any(_names_marker(w, theirs) for w in words) else 1

        ordered = sorted(calls, key=lambda c: (rank(c), source.site(c).line, source.site(c).column or 0))
        layer = f"self.{attribute.attr}"
        candidates = []
        for call in ordered[:6]:
            line = source.site(call).line
            candidates.append(Candidate(
                f"call {layer} instead of its twin self.{twin} at line {line} ({source.code(call)})",
                [_patch(source, call.func, cst.parse_expression(layer))], Applicability.UNSAFE,
            ))
        return candidates

    @staticmethod
    def _referenced(project: Project, path: str, attr: str, defined_on: int) -> bool:
        """Any other read of ``.attr`` (or the string ``"attr"``) in the file, off its defining line.
        Assigning it is no use of it: ``self.dense_v = self.dense_u`` in the branch that shares
        the weights binds the name, and the layer built in the other branch still never runs."""
        source = project.source(path)
        stores = {
            id(target) for assign in descendants(source.module, cst.Assign)
            for t in assign.targets for target in _targets(t.target)
        } | {id(a.target) for a in descendants(source.module, cst.AnnAssign)}
        for node, where in source.positions.items():
            if isinstance(node, cst.Attribute) and node.attr.value == attr and where.start.line != defined_on and id(node) not in stores:
                return True
            if isinstance(node, cst.SimpleString) and node.evaluated_value == attr:
                return True
            if (  # getattr(self, f"head_{task}"): any layer may be the one asked for
                isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.func.value == "getattr"
                and len(node.args) >= 2 and not isinstance(node.args[1].value, cst.SimpleString)
            ):
                return True
        return False


def _patch(source: SourceFile, old: cst.CSTNode, new: cst.CSTNode) -> Patch:
    return Patch(source.path, [source.replace_node(old, new)])


def _class_defining(source: SourceFile, line: int) -> Optional[cst.ClassDef]:
    for statement in source.statements_on_line(line):
        holder = next((a for a in source.ancestors(statement) if isinstance(a, cst.ClassDef)), None)
        if holder is not None:
            return holder
    return None



def _assigned_attributes(init: cst.FunctionDef) -> list[str]:
    """``self.<name> = ...`` targets in ``__init__``, in order, each once."""
    names: list[str] = []
    for assign in descendants(init, cst.Assign):
        for target in assign.targets:
            name = self_attribute(target.target)
            if name is not None and name not in names:
                names.append(name)
    return names


# Markers that tell two layers built alike apart: the two sides of a pair (a user and an item
# tower, a source and a target encoder, a query and a key projection).
_PAIRS = {
    frozenset(p) for p in [
        ("u", "v"), ("user", "item"), ("users", "items"), ("src", "tgt"), ("source", "target"), ("q", "k"),
        ("q", "v"), ("k", "v"), ("query", "key"), ("key", "value"), ("query", "value"), ("left", "right"),
        ("a", "b"), ("x", "y"), ("real", "imag"), ("pos", "neg"), ("head", "tail"), ("fwd", "bwd"),
        ("forward", "backward"), ("l", "r"), ("s", "t"), ("h", "w"), ("row", "col"),
    ]
}


def _pair_marker(mine: str, other: str) -> Optional[tuple[str, str]]:
    """The markers (mine, other's) when the two names differ in one word only, and those two words
    make a pair (``u``/``v``) or are two numbers (``1``/``2``)."""
    a, b = name_words(mine), name_words(other)
    if len(a) != len(b) or len(a) < 2:
        return None
    differ = [(x, y) for x, y in zip(a, b) if x != y]
    if len(differ) != 1:
        return None
    x, y = differ[0]
    if frozenset((x, y)) in _PAIRS or (x.isdigit() and y.isdigit()):
        return x, y
    return None


def _names_marker(word: str, marker: str) -> bool:
    """Is an argument's word named for a marker: ``v`` in ``v_hidden``, ``item`` in ``items``,
    ``src`` in ``src``, ``q`` in ``queries``."""
    if word == marker or word == f"{marker}s":
        return True
    return len(marker) == 1 and marker.isalpha() and word.startswith(marker)


def _shapes(trace: Trace, module: ModuleFact) -> list[tuple[str, list[int]]]:
    prefix = f"{module.path}."
    return sorted((p.name[len(prefix):], p.shape) for p in trace.params if p.name.startswith(prefix))


def _targets(node: cst.BaseExpression) -> list[cst.BaseExpression]:
    """The names an assignment target binds: ``a, self.b = ...`` -> a, self.b."""
    if isinstance(node, (cst.Tuple, cst.List)):
        return [t for e in node.elements for t in _targets(e.value)]
    return [node]
