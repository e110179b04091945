"""GF020: ``step()`` is called on an optimizer that holds none of the parameters the loss reached.

A helper written for one model and reused for a second (``train_batch(xb, yb, net, opt)`` whose
body says ``optimizer.step()``, the global of the first run, instead of ``opt.step()``); a block
copied from one model's update to the next with the old optimizer's name left in it; a GAN whose
two ``step()`` calls were swapped. The probe records the order of backward, zero_grad and step
calls, the parameters each backward reached, and the optimizers bound to names where backward
ran. A step is wrong when its optimizer holds none of what the backward before it reached, an
optimizer bound in that same function holds those parameters, and their gradients are lost: the
parameters never change, or that optimizer does not step before the next backward (a GAN whose
steps are swapped still changes both models, with the wrong gradients, or crashes because the
step changed weights the next loss still needs).

When what the loss reached is trained by its own optimizer after a loss of its own, and no loss
ever reaches what the stepped optimizer holds, the step is right and the loss is not (a DDPG actor
loss that scores the buffer's actions): GF091 reports that, and this rule stands aside.

The candidates rename the receiver, most local first: the step and the ``zero_grad`` calls on the
same receiver next to it (the copied block), the two optimizers' steps swapped, the step alone.
The re-run judges: the parameters the loss reached must now change, everything the stepped
optimizer trained before must still change, and every optimizer that zeroed its gradients before
must still do so.
"""

from __future__ import annotations

from typing import Optional

import libcst as cst

from gradfix.findings import Applicability, Candidate, Finding, Verdict, short_list
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.rules.loss_without_its_model import losses_without_their_model
from gradfix.sandbox import RunResult
from gradfix.source import SourceFile, descendants
from gradfix.trace import BackwardFact, CallEvent, Trace
from gradfix.verify import judge

ORDER_LIMIT = 200  # the probe keeps the first calls only (gradfix/sandbox/probe.py, record_call)


def _steps_after_backwards(trace: Trace) -> list[tuple[int, CallEvent, set[str], BackwardFact]]:
    """Each step (with its place in ``trace.order``) and the parameters reached by the backward
    calls since the step before it."""
    found = []
    reached: set[str] = set()
    last: Optional[BackwardFact] = None
    index = 0
    for position, event in enumerate(trace.order):
        if event.kind == "backward":
            if index < len(trace.backwards):
                last = trace.backwards[index]
                reached.update(last.reached)
            index += 1
        elif event.kind == "step" and event.optimizer is not None:
            if reached and last is not None:
                found.append((position, event, reached, last))
            reached, last = set(), None
    return found


def _unapplied(trace: Trace, position: int, holders: set[int]) -> bool:
    """No optimizer in ``holders`` steps after the step at ``position`` and before the next backward:
    the gradients that backward left for them are lost (zeroed, or mixed with the next loss's)."""
    for event in trace.order[position + 1 :]:
        if event.kind == "step" and event.optimizer in holders:
            return False
        if event.kind == "backward":
            return True
    # The run ended there; with the record full, what came next is unknown.
    return len(trace.order) < ORDER_LIMIT or trace.crash is not None


def _copies_of_what_it_holds(trace: Trace, reached: set[str], held: list[str]) -> bool:
    """The parameters the loss reached were copied from those the stepped optimizer holds, or the
    modules it reached were made without being built (a ``copy.deepcopy``) and are of the class
    of a model the stepped optimizer holds, which no loss reached."""
    def owners(names: set[str] | list[str]) -> list:  # type: ignore[type-arg]
        found = {trace.param(n).module for n in names if trace.param(n) is not None}  # type: ignore[union-attr]
        return [m for m in trace.modules if m.id in found]

    # Copied parameter by parameter (a deepcopy, or a load_state_dict of the model's state_dict()):
    # the probe saw where each came from.
    sources = {p.copy_of for n in reached if (p := trace.param(n)) is not None}
    if reached and None not in sources and sources <= set(held):
        return True
    copies, models = owners(reached), owners(held)
    return bool(copies) and bool(models) and all(
        c.site is None and any(c.cls == m.cls and m.site is not None for m in models) for c in copies
    )


def _name_expression(text: str) -> Optional[cst.BaseExpression]:
    """``opt`` or ``self.opt``: a name or dotted path, nothing else (it goes into the user's code)."""
    parts = text.split(".")
    if not all(part.isidentifier() for part in parts):
        return None
    node: cst.BaseExpression = cst.Name(parts[0])
    for part in parts[1:]:
        node = cst.Attribute(value=node, attr=cst.Name(part))
    return node


def _method_calls(node: cst.CSTNode, method: str) -> list[cst.Call]:
    return [c for c in descendants(node, cst.Call) if isinstance(c.func, cst.Attribute) and c.func.attr.value == method]


class WrongOptimizer(Rule):
    code = "GF020"
    title = "step() called on an optimizer that holds none of the trained parameters"
    applicability = Applicability.SAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        findings: list[Finding] = []
        seen: set[tuple[str, int]] = set()
        cut_off = set(trace.params_cut_off())
        # A loss computed without the model the stepped optimizer trains, while what it reached is
        # trained by its own optimizer after its own loss: the step is right, the loss is not (GF091).
        without_model = {(s.site.file, s.site.line) for s, _, _ in losses_without_their_model(trace) if s.site is not None}
        for position, step, reached, backward in _steps_after_backwards(trace):
            if step.site is not None and (step.site.file, step.site.line) in without_model:
                continue
            stepped = trace.optimizers[step.optimizer]  # type: ignore[index]
            if reached & set(stepped.params) or step.site is None or not project.is_editable(step.site.file):
                continue
            if backward.site is None or backward.site.function != step.site.function:
                continue
            # The optimizer bound where backward ran that holds the most of what it reached.
            holders = sorted(
                ((name, index) for name, index in backward.scope_optimizers.items() if index != stepped.id),
                key=lambda item: -len(reached & set(trace.optimizers[item[1]].params)),
            )
            if not holders or not reached & set(trace.optimizers[holders[0][1]].params):
                continue
            if not any((p := trace.param(n)) is not None and p.reached for n in stepped.params) and set(stepped.params) & cut_off:
                # No loss ever reached what the stepped optimizer holds, and its model ran with
                # gradients on: the graph is cut in front of it (a GAN's `fake = G(z).detach()`
                # reused for G's own loss), and GF008 says where. The step is the right one.
                continue
            if _copies_of_what_it_holds(trace, reached, stepped.params):
                # The loss reached copies of the stepped optimizer's own model (MAML adapting a
                # deepcopy): the gradient went to the wrong tensors, not the step to the wrong
                # optimizer; moving the step would train a throw-away copy.
                continue
            if self._steps_what_it_is_given(trace, project, step):
                # A helper that steps the optimizer its caller gives it, and that at this same call
                # stepped the right one for another loss: the caller passed the wrong optimizer
                # (GF055 passes the right one there); renaming the receiver would make the helper
                # step one optimizer for every caller.
                continue
            name, index = holders[0]
            held = sorted(reached & set(trace.optimizers[index].params))
            stale = [n for n in held if (p := trace.param(n)) is not None and p.got_grad and not p.changed]
            holding = {i for _, i in holders if reached & set(trace.optimizers[i].params)}
            if not stale and not _unapplied(trace, position, holding):
                continue
            if (step.site.file, step.site.line) in seen:
                continue
            seen.add((step.site.file, step.site.line))
            # What the stepped optimizer trains elsewhere (the first model, the other GAN player)
            # must still train after the fix.
            own = [p.name for p in trace.params if stepped.id in p.optimizers and p.requires_grad and p.reached]
            finding = self._finding(project, project.source(step.site.file), step, name, held, stale, own)
            if finding is not None:
                findings.append(finding)
        return findings

    @staticmethod
    def _steps_what_it_is_given(trace: Trace, project: Project, step: CallEvent) -> bool:
        """The step's receiver is a parameter of the function it is in, and the same call, at
        another time, stepped an optimizer that held what the backward() before it reached."""
        assert step.site is not None
        right = any(
            event.site is not None and event.site.same_place(step.site) and event.optimizer is not None
            and reached & set(trace.optimizers[event.optimizer].params)
            for _, event, reached, _ in _steps_after_backwards(trace)
        )
        if not right:
            return False
        source = project.source(step.site.file)
        calls = [c for c in source.nodes_at(step.site, cst.Call) if isinstance(c.func, cst.Attribute) and c.func.attr.value == "step"]
        if not calls or not isinstance(calls[-1].func.value, cst.Name):  # type: ignore[attr-defined]
            return False
        receiver = calls[-1].func.value.value  # type: ignore[attr-defined]
        function = next((a for a in source.ancestors(calls[-1]) if isinstance(a, cst.FunctionDef)), None)
        if function is None:
            return False
        params = [*function.params.posonly_params, *function.params.params, *function.params.kwonly_params]
        return receiver in {p.name.value for p in params}

    def _finding(
        self, project: Project, source: SourceFile, step: CallEvent, name: str, held: list[str], stale: list[str], own: list[str]
    ) -> Optional[Finding]:
        calls = [c for c in source.nodes_at(step.site, cst.Call) if isinstance(c.func, cst.Attribute) and c.func.attr.value == "step"]  # type: ignore[arg-type]
        replacement = _name_expression(name)
        if not calls or replacement is None:
            return None
        call = calls[-1]
        receiver = source.code(call.func.value)  # type: ignore[attr-defined]
        if receiver == name or _name_expression(receiver) is None:
            return None
        claimed = sorted(set(held) | set(own))
        function = next((a for a in source.ancestors(call) if isinstance(a, cst.FunctionDef)), source.module)
        rename = lambda c, to: source.replace_node(c.func.value, to)  # noqa: E731
        block = self._zero_grads_beside(source, call, receiver)
        candidates: list[Candidate] = []
        if block:
            candidates.append(self.candidate(
                f"call step() and the zero_grad() beside it on `{name}`", source.path,
                [rename(c, replacement) for c in [call, *block]], claimed,
            ))
        swapped = [c for c in _method_calls(function, "step") if source.code(c.func.value) == name]  # type: ignore[attr-defined]
        if swapped:
            back = _name_expression(receiver)
            assert back is not None
            candidates.append(self.candidate(
                f"swap the two step() calls: `{name}.step()` here, `{receiver}.step()` where `{name}` stepped",
                source.path, [rename(call, replacement), *(rename(c, back) for c in swapped)], claimed,
            ))
        candidates.append(self.candidate(f"call step() on `{name}`", source.path, [rename(call, replacement)], claimed))
        if stale:
            one = len(stale) == 1
            lost = f"{short_list(stale)}, which {'receives' if one else 'receive'} gradients and never {'changes' if one else 'change'}"
        else:
            lost = (
                f"{short_list(held)}, but `{name}` does not step before the next backward(): the gradients "
                "this loss gives them are never applied as they are"
            )
        message = (
            f"`{receiver}.step()` steps an optimizer that holds none of the parameters the loss reached; "
            f"`{name}` holds {lost}"
        )
        return self.finding(project, step.site, message, held, candidates)  # type: ignore[arg-type]

    @staticmethod
    def _zero_grads_beside(source: SourceFile, call: cst.Call, receiver: str) -> list[cst.Call]:
        """``receiver.zero_grad()`` calls of the same block as the step: before it back to the previous
        statement that steps, after it up to the next that steps or runs backward."""
        statement = source.statement_of(call)
        block = source.parent(statement) if statement is not None else None
        body = list(getattr(block, "body", ()))
        if statement not in body:
            return []
        where = body.index(statement)

        def zeroes(node: cst.CSTNode) -> list[cst.Call]:
            return [c for c in _method_calls(node, "zero_grad") if source.code(c.func.value) == receiver]  # type: ignore[attr-defined]

        found: list[cst.Call] = []
        for before in reversed(body[:where]):
            if _method_calls(before, "step"):
                break
            found = zeroes(before) + found
        for after in body[where + 1 :]:
            if _method_calls(after, "step") or _method_calls(after, "backward"):
                break
            found += zeroes(after)
        return found

    def verify(self, finding: Finding, candidate: Candidate, before: Trace, run: RunResult) -> Verdict:
        verdict = judge(finding, candidate, before, run)
        if not verdict.verified or verdict.partial:
            return verdict
        # A rename that takes the last zero_grad() away from an optimizer lets its gradients pile up.
        zeroed = {e.optimizer for e in before.order if e.kind == "zero_grad" and e.optimizer is not None}
        still = {e.optimizer for e in run.trace.order if e.kind == "zero_grad" and e.optimizer is not None}
        if len(run.trace.order) < ORDER_LIMIT and zeroed - still:
            lines = [str(o.site.line) for o in before.optimizers if o.id in zeroed - still and o.site is not None]
            return Verdict(False, f"no zero_grad() is called any more on the optimizer built at line {short_list(lines)}")
        return verdict
