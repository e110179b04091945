"""Steps and the conditions around them: through which chain of user calls each optimizer's
step() runs, with the names each of those frames binds to optimizers and the gradients that the
backward() calls before it left for other optimizers; the user objects that keep an optimizer
that has not stepped (a wrapper's ``self._optimizer``); and how often each test of an ``if``
around a ``step()`` or ``zero_grad()`` call in user code ran, and held (GF055)."""

from __future__ import annotations

import ast
import builtins
import os
import sys
import types
from typing import Any, Iterable, Optional

import torch.optim.optimizer as optimizer_module

from gradfix.sandbox.facts import optimizer_tensors, site_in, site_of
from gradfix.trace import ConditionTest, OptimizerFact, OptimizerHolder, StepCall

TEST = "__gradfix_test__"
_METHODS = ("step", "zero_grad")
_CHAINS = 48  # distinct chains of calls to step() kept
_FRAMES = 6  # user frames kept per chain
_TESTS = 256  # distinct tests of ifs counted
_DEPTH = 3  # attribute hops from a name to an optimizer
_BUDGET = 4000  # objects looked into per walk: a walk must cost little whatever the script keeps
_NAMES = 16


def _calls_step(nodes: Iterable[ast.AST]) -> bool:
    """A call of ``.step(...)`` or ``.zero_grad(...)`` in these statements, outside any function or
    class they define."""
    stack = list(nodes)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in _METHODS:
            return True
        stack.extend(ast.iter_child_nodes(node))
    return False


def _counted(test: ast.expr) -> ast.expr:
    call = ast.Call(func=ast.Name(id=TEST, ctx=ast.Load()), args=[test], keywords=[])
    # The call takes the test's own span: the probe reports the operand where the file has it.
    ast.copy_location(call, test)
    ast.copy_location(call.func, test)
    return call


class _CountStepConditions(ast.NodeTransformer):
    def visit_If(self, node: ast.If) -> ast.If:
        self.generic_visit(node)
        if not _calls_step(node.body):
            return node
        test = node.test
        if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
            test.values = [_counted(value) for value in test.values]
        else:
            node.test = _counted(test)
        return node


def count_step_conditions(tree: ast.Module) -> ast.Module:
    """Every test of an ``if`` whose block calls ``step()`` or ``zero_grad()``, each operand of an
    ``and`` on its own, goes through a call that counts it and returns it unchanged (the ``and``
    still stops at the first false operand)."""
    return _CountStepConditions().visit(tree)


class StepWatch:
    """The probe's part that watches the calls around steps; mixed into :class:`~gradfix.sandbox.probe.Probe`."""

    def _install_step_tracking(self) -> None:
        probe = self
        self.step_calls: dict[tuple[Any, ...], StepCall] = {}
        self._backwards_at_step = 0  # backward() calls already counted by a step
        self.condition_counts: dict[tuple[types.CodeType, int], list[int]] = {}

        def before_step(optimizer: Any, args: Any, kwargs: Any) -> None:
            # A step inside backward() is an optimizer applied in backward (a hook per parameter):
            # no chain of calls chose which optimizer it is.
            if probe.in_backward:
                return
            index = probe.optimizer_id(optimizer)
            if index is None:
                return
            reached = probe._reached_since_step()
            frames = []
            frame = probe.user_frame(sys._getframe(1))
            while frame is not None and len(frames) < _FRAMES:
                frames.append(frame)
                frame = probe.user_frame(frame.f_back)
            if not frames:
                return
            key = (index, *((f.f_code, f.f_lasti) for f in frames))
            call = probe.step_calls.get(key)
            if call is None:
                if len(probe.step_calls) >= _CHAINS:
                    return
                call = StepCall(
                    optimizer=index, sites=[site_of(f) for f in frames], names=[probe.scope_optimizers(f) for f in frames]
                )
                probe.step_calls[key] = call
                probe.find_holders(frames)
            call.count += 1
            if not reached:
                return
            held = {id(p) for p in optimizer_tensors(optimizer)}
            left = reached - held
            if not left:
                return
            if not reached & held:
                call.held_none = True
            for other, fact in probe.optimizers:
                if other is optimizer or fact.id in call.others:
                    continue
                if any(id(p) in left for p in optimizer_tensors(other)):
                    call.others.append(fact.id)

        optimizer_module.register_optimizer_step_pre_hook(before_step)
        setattr(builtins, TEST, self.count_test)

    def _reached_since_step(self) -> set[int]:
        """The parameters the backward() calls since the previous step reached."""
        reached: set[int] = set()
        count = len(self.backwards)
        for index in range(self._backwards_at_step, count):
            reached |= self._reached_names.get(index, set())
        self._backwards_at_step = count
        return reached

    def count_test(self, value: Any) -> Any:
        """An ``if`` test around a step: counted where it is written, and returned as it is."""
        frame = sys._getframe(1)
        key = (frame.f_code, frame.f_lasti)
        counts = self.condition_counts.get(key)
        if counts is None:
            if len(self.condition_counts) >= _TESTS:
                return value
            counts = self.condition_counts[key] = [0, 0]
        counts[0] += 1
        try:
            if value:
                counts[1] += 1
        except Exception:  # noqa: BLE001 - the if itself raises it again, as it would without gradfix
            pass
        return value

    def condition_facts(self) -> list[ConditionTest]:
        return [
            ConditionTest(site=site_in(code, lasti, None), evaluated=counts[0], held=counts[1])
            for (code, lasti), counts in self.condition_counts.items()
        ]

    # -- who keeps an optimizer that has not stepped -----------------------------------------------

    def find_holders(self, frames: list[types.FrameType]) -> None:
        """In these user frames: the names and the user objects that lead to an optimizer that has
        not stepped yet (a wrapper whose own ``step()`` is meant to step it)."""
        waiting = {id(o): fact for o, fact in self.optimizers if not fact.steps}
        if not waiting:
            return
        for frame in frames:
            names = dict(frame.f_globals) if frame.f_code.co_name == "<module>" else {}
            names.update(frame.f_locals)
            self._walk_to_optimizers(names.items(), waiting)

    def idle_optimizer_holders(self) -> None:
        """At the end: the script's globals and the user frames still running lead to optimizers
        that never stepped; what was learned about those that did step is dropped."""
        waiting = {id(o): fact for o, fact in self.optimizers if not fact.steps}
        for _, fact in self.optimizers:
            if fact.steps:
                fact.holders, fact.reached_as = [], []
        if not waiting:
            return
        main = sys.modules.get("__main__")
        if main is not None:
            self._walk_to_optimizers(list(vars(main).items()), waiting)
        frame: Optional[types.FrameType] = self.user_frame(sys._getframe(1))
        while frame is not None:
            if frame.f_code.co_name != "<module>":
                self._walk_to_optimizers(list(frame.f_locals.items()), waiting)
            frame = self.user_frame(frame.f_back)

    def _walk_to_optimizers(self, roots: Iterable[tuple[str, Any]], waiting: dict[int, OptimizerFact]) -> None:
        stack: list[tuple[str, Any, list[tuple[type, str]]]] = [
            (name, value, []) for name, value in roots if isinstance(name, str) and not name.startswith("__")
        ]
        budget = _BUDGET
        while stack and budget:
            path, value, links = stack.pop()
            fact = waiting.get(id(value))
            if fact is not None:
                if path not in fact.reached_as and len(fact.reached_as) < _NAMES:
                    fact.reached_as.append(path)
                for kind, attr in links:
                    holder = OptimizerHolder(cls=kind.__qualname__, file=self._defined_in(kind) or "", attr=attr)
                    if holder not in fact.holders and len(fact.holders) < _NAMES:
                        fact.holders.append(holder)
                continue
            if len(links) >= _DEPTH or self._defined_in(type(value)) is None:
                continue
            attributes = getattr(value, "__dict__", None)
            if type(attributes) is not dict:
                continue
            budget -= 1
            for attr, inner in list(attributes.items())[:256]:
                if isinstance(attr, str) and attr.isidentifier():
                    stack.append((f"{path}.{attr}", inner, [*links, (type(value), attr)]))

    def _defined_in(self, kind: type) -> Optional[str]:
        """The user file that defines a class, None for a class of a library."""
        module = sys.modules.get(getattr(kind, "__module__", "") or "")
        path = getattr(module, "__file__", None)
        if not isinstance(path, str) or path not in self.user:
            return None
        return os.path.realpath(path)
