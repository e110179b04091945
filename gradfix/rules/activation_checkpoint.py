"""GF040: activation checkpointing that cuts the gradient to the layers inside it: a reentrant
checkpoint whose inputs require no grad, or a checkpoint whose output is thrown away.

``torch.utils.checkpoint.checkpoint(block, x, use_reentrant=True)`` (and ``checkpoint(block, x)``
with no ``use_reentrant``, torch's old default, and ``checkpoint_sequential(..., use_reentrant=True)``)
runs ``block`` as an autograd Function whose only inputs are the tensor arguments. When none of them
requires grad (the first stage on the raw images, the output of a frozen embedding or of a backbone
run under ``no_grad``, a detached input), the output has no graph: the parameters inside the block
are not part of it, and torch only warns "None of the inputs have requires_grad=True". Training runs
on, silently, without them; when everything is checkpointed, ``backward()`` fails with "element 0 of
tensors does not require grad". A ``checkpoint(block, h, ...)`` on a line of its own (for
``h = block(h)``) computes the block and throws its output away, whatever the variant.

The probe records every checkpoint call from user code with gradients on: the variant, whether a
tensor argument required grad, whether the output did, and the parameters of the modules that ran
inside. A finding needs parameters meant to train (they require grad and an optimizer holds them)
that ran inside such a call and never received a gradient. The fix passes ``use_reentrant=False``
at the call (the non-reentrant variant records the graph to the parameters whatever its inputs);
the other candidate makes the input require grad (``x.requires_grad_()``). A thrown-away output is
assigned back to the tensor the call was given (``h = checkpoint(block, h, ...)``). The re-run
decides. A non-reentrant checkpoint, a reentrant one whose input requires grad (the stages after an
un-checkpointed stem), and a frozen module checkpointed on purpose give no finding.

Under DistributedDataParallel a reentrant checkpoint of a layer called more than once per step
(shared weights applied at every depth) crashes the first backward: each call runs a backward of
its own, and the reducer sees the shared parameters "marked as ready twice". With that crash, each
reentrant call in the user's code is a candidate with ``use_reentrant=False`` (and all together).
"""
from __future__ import annotations

from typing import Optional

import libcst as cst

from gradfix.findings import Applicability, Candidate, Finding, short_list
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.source import SourceFile
from gradfix.trace import CheckpointCall, Trace

# DistributedDataParallel's reducer, on a parameter whose gradient hook fired twice in one backward.
_READY_TWICE = ("Expected to mark a variable ready only once", "has been marked as ready twice")
# Expressions that take a method call as they are: ``x``, ``self.x``, ``batch[0]``, ``x.to(device)``.
_ATOMIC = (cst.Name, cst.Attribute, cst.Subscript, cst.Call)


class ActivationCheckpoint(Rule):
    code = "GF040"
    title = "activation checkpoint cuts the gradient to the layers inside it"
    applicability = Applicability.SAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        ready_twice = self._ready_twice(trace, project)
        if ready_twice:
            return ready_twice
        findings = []
        crashed = trace.graphless_backward() is not None
        for call in trace.checkpoints:
            if not project.is_editable(call.site.file):
                continue
            stuck = [name for name in call.params if self._meant_to_train(trace, name)]
            if not stuck:
                continue  # a frozen module checkpointed on purpose, or the parameters train elsewhere
            source = project.source(call.site.file)
            node = self._call_node(source, call)
            if node is None:
                continue
            cut = call.reentrant and call.graphless_calls > 0 and not call.output_requires_grad
            shown = f"{call.api}(...)"
            discarded = self._discarded(source, node)
            if discarded is not None:
                candidates = self._keep_output(source, call, node, discarded, cut)
                message = f"{short_list(stuck)} run inside {shown}, whose output is thrown away: they never receive a gradient"
            elif cut:
                candidates = [c for c in (self._non_reentrant(source, call, node), self._input_requires_grad(source, call, node)) if c]
                variant = "use_reentrant=True" if call.explicit else "no use_reentrant, so torch's old default, the reentrant variant"
                message = (
                    f"{short_list(stuck)} run inside {shown} ({variant}) and never receive a gradient: in "
                    f"{call.graphless_calls} of its {call.calls} calls no input required grad, and the reentrant "
                    "checkpoint's output then has no graph"
                )
                if crashed:
                    message += "; the loss has no graph at all, and backward() fails"
            else:
                continue
            findings.append(self.finding(project, call.site, message, stuck, candidates, blocking=crashed))
        return findings

    def _ready_twice(self, trace: Trace, project: Project) -> list[Finding]:
        """DistributedDataParallel refuses a parameter marked ready twice in one backward: a
        reentrant checkpoint runs a backward of its own per call, so a layer checkpointed more than
        once per step (shared weights, a block applied at every depth) marks its parameters in each."""
        crash = trace.crash
        if crash is None or crash.site is None or not any(m in crash.message for m in _READY_TWICE):
            return []
        calls = [c for c in trace.checkpoints if c.reentrant and project.is_editable(c.site.file)]
        candidates: list[Candidate] = []
        for call in calls:
            source = project.source(call.site.file)
            node = self._call_node(source, call)
            if node is not None:
                candidates.append(self._non_reentrant(source, call, node, "the non-reentrant variant runs inside the one backward"))
        if not candidates:
            return []
        together = self.together(candidates, f"use_reentrant=False at all {len(candidates)} checkpoint calls")
        if together is not None:
            candidates.append(together)
        message = (
            f"the script crashed: {crash.type}: DistributedDataParallel saw a parameter marked ready twice in one backward: "
            f"the reentrant {calls[0].api}() runs a backward of its own for each call, and a layer checkpointed more than "
            "once per step (shared weights) is marked in each; the non-reentrant variant runs inside the one backward"
        )
        params = trace.meant_to_train()
        return [self.finding(project, calls[0].site, message, params, candidates, blocking=True)]

    @staticmethod
    def _meant_to_train(trace: Trace, name: str) -> bool:
        p = trace.param(name)
        return p is not None and p.requires_grad and p.is_leaf and not p.got_grad and bool(p.optimizers)

    @staticmethod
    def _call_node(source: SourceFile, call: CheckpointCall) -> Optional[cst.Call]:
        found = source.nodes_at(call.site, cst.Call)
        if call.site.column is None:  # no columns (Python 3.10): the call on the line that names it
            found = [n for n in found if call.api in source.code(n.func)]
        return found[0] if len(found) == 1 else None

    @staticmethod
    def _discarded(source: SourceFile, node: cst.Call) -> Optional[cst.Expr]:
        """The expression statement that is this call alone: its value goes nowhere."""
        parent = source.parent(node)
        return parent if isinstance(parent, cst.Expr) and parent.value is node else None

    def _keep_output(self, source: SourceFile, call: CheckpointCall, node: cst.Call, statement: cst.Expr, cut: bool) -> list[Candidate]:
        """``checkpoint(block, h, ...)`` on a line of its own becomes ``h = checkpoint(block, h, ...)``,
        as the un-checkpointed ``h = block(h)`` it stands for; with the reentrant variant on an input
        that requires no grad, also with ``use_reentrant=False``."""
        index = call.tensor_arg
        if index is None or index >= len(node.args) or any(a.keyword is not None or a.star for a in node.args[: index + 1]):
            return []
        target = node.args[index].value
        if not isinstance(target, (cst.Name, cst.Attribute)) or not all(part.isidentifier() for part in source.code(target).split(".")):
            return []
        name = source.code(target)
        calls = [(node, f"assign the output of {call.api}() back to {name}, as the block's own call would")]
        if cut:
            calls.append((self._non_reentrant_call(call, node), f"assign the output of {call.api}() back to {name}, with use_reentrant=False"))
        return [
            self.candidate(description, source.path, [source.replace_node(statement, cst.Assign([cst.AssignTarget(target)], new))])
            for new, description in calls
        ]

    def _non_reentrant(
        self, source: SourceFile, call: CheckpointCall, node: cst.Call,
        why: str = "the non-reentrant variant gives the layers inside their gradient whatever its inputs",
    ) -> Candidate:
        edit = source.replace_node(node, self._non_reentrant_call(call, node))
        return self.candidate(f"pass use_reentrant=False to {call.api}(): {why}", source.path, [edit])

    @staticmethod
    def _non_reentrant_call(call: CheckpointCall, node: cst.Call) -> cst.Call:
        false = cst.Name("False")
        args = list(node.args)
        keyword = next((i for i, a in enumerate(args) if a.keyword is not None and a.keyword.value == "use_reentrant"), None)
        positional = [i for i, a in enumerate(args) if a.keyword is None and not a.star]
        if keyword is not None:
            args[keyword] = args[keyword].with_changes(value=false)
        elif call.api == "checkpoint_sequential" and len(positional) > 3 and positional[3] == 3:
            args[3] = args[3].with_changes(value=false)  # checkpoint_sequential(f, segments, x, True)
        else:
            added = cst.Arg(
                value=false, keyword=cst.Name("use_reentrant"),
                equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")),
            )
            last = args[-1]
            if isinstance(last.comma, cst.Comma) and len(args) > 1:
                # a call written one argument per line, with a trailing comma: the new one goes last, alike
                added = added.with_changes(comma=last.comma)
                args[-1] = last.with_changes(comma=args[-2].comma)
            args.append(added)
        return node.with_changes(args=args)

    def _input_requires_grad(self, source: SourceFile, call: CheckpointCall, node: cst.Call) -> Optional[Candidate]:
        index = call.tensor_arg
        if index is None or index >= len(node.args):
            return None
        before = node.args[: index + 1]
        if any(a.keyword is not None or a.star for a in before):
            return None  # the runtime position does not name a written argument
        value = node.args[index].value
        if not isinstance(value, _ATOMIC):
            return None
        code = source.code(value)
        new = cst.parse_expression(f"{code}.requires_grad_()", config=source.module.config_for_parsing)
        return self.candidate(
            f"make the checkpoint's input require grad ({code}.requires_grad_()), so that the reentrant checkpoint "
            "records a graph", source.path, [source.replace_node(value, new)],
        )
