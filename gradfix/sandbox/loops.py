"""Shortened loops: the early stop that lets a run reach every phase of a script.

Stopping the whole script after its first few optimizer steps hides whatever it does later: a
second model trained after the first, a fine-tuning stage, the epochs after a scheduler's first
decay. Instead, every ``for`` loop of the user's code (the script and the modules it imports from
the project) iterates through :func:`LoopCap.wrap`, which ends a loop early once enough of its
iterations trained: ``steps`` iterations that stepped an optimizer (or, where there is no
optimizer, ran backward). Nested loops are cut each on its own, so ``for epoch`` ends after a few
epochs of a few batches, and the script goes on to its next phase. Loops that train nothing
(building layers, reading data, evaluating) run in full: what they compute is what the next phase
is built from.

The rewrite wraps only the ``for`` statement's iterable in a call that keeps the iterable's source
position, so every line and column the probe reports is the same as in the file on disk.

A loop that ran to its end with backward() calls in it and no optimizer step is recorded, by the
position of its iterable (GF014: an epoch of gradient accumulation whose step condition never held).
"""

from __future__ import annotations

import ast
import builtins
import sys
import types
from typing import TYPE_CHECKING, Any, Iterable, Iterator

from gradfix.trace import UnsteppedLoop

if TYPE_CHECKING:
    from gradfix.sandbox.probe import Probe

WRAPPER = "__gradfix_loop__"


class _WrapForLoops(ast.NodeTransformer):
    def visit_For(self, node: ast.For) -> ast.For:
        self.generic_visit(node)
        call = ast.Call(func=ast.Name(id=WRAPPER, ctx=ast.Load()), args=[node.iter], keywords=[])
        node.iter = ast.copy_location(call, node.iter)
        ast.copy_location(call.func, node.iter)
        call.func.end_lineno, call.func.end_col_offset = node.iter.end_lineno, node.iter.end_col_offset  # type: ignore[attr-defined]
        return node


def compile_user_code(source: str | bytes, path: str) -> Any:
    """Compile a user file with its ``for`` loops shortened; positions stay those of the file."""
    tree = ast.parse(source, path)
    tree = _WrapForLoops().visit(tree)
    from gradfix.sandbox.watch_steps import count_step_conditions

    tree = count_step_conditions(tree)  # the tests of ifs around step() calls (GF055)
    return compile(tree, path, "exec", dont_inherit=True)


class LoopCap:
    """Ends the user's loops once they have trained enough; counts what it cut."""

    def __init__(self, probe: "Probe", steps: int):
        self.probe = probe
        self.steps = steps
        self.cut = 0
        # (code, instruction) of a loop's iterable -> its passes that ended with backward() and no step
        self.unstepped: dict[tuple[types.CodeType, int], UnsteppedLoop] = {}

    def install(self) -> None:
        setattr(builtins, WRAPPER, self.wrap)

    def wrap(self, iterable: Iterable[Any]) -> Iterator[Any]:
        caller = sys._getframe(1)  # the user frame whose `for` starts: where the loop is, kept cheaply
        return self._shortened(iter(iterable), caller.f_code, caller.f_lasti)

    def _shortened(self, items: Iterator[Any], code: types.CodeType, lasti: int) -> Iterator[Any]:
        probe = self.probe
        stepped = backwards_only = 0
        steps_before, backwards_before = probe.step_count, len(probe.backwards)
        for item in items:
            steps, backwards = probe.step_count, len(probe.backwards)
            yield item
            if probe.step_count > steps:
                stepped += 1
            elif len(probe.backwards) > backwards:
                backwards_only += 1
            else:
                continue  # an iteration that trained nothing (reading data, building layers): cheap
            if self._enough(stepped, backwards_only):
                self.cut += 1
                return
        # Ran to its end (a `break`, an exception or a cut never gets here).
        backwards = len(probe.backwards) - backwards_before
        if backwards and probe.step_count == steps_before:
            self._record_unstepped(code, lasti, backwards)

    def _record_unstepped(self, code: types.CodeType, lasti: int, backwards: int) -> None:
        from gradfix.sandbox.facts import site_in

        loop = self.unstepped.get((code, lasti))
        if loop is None:
            loop = self.unstepped[(code, lasti)] = UnsteppedLoop(site=site_in(code, lasti, None))
        loop.passes += 1
        loop.backwards = backwards

    def _enough(self, stepped: int, backwards_only: int) -> bool:
        probe = self.probe
        if stepped >= self.steps:
            # An optimizer whose modules already trained gets its first step first (a WGAN's
            # generator steps once per five critic steps), up to a bound.
            return stepped >= self.steps * 8 or not probe.awaiting_first_step()
        # Training by hand (w -= lr * w.grad): no optimizer will ever step.
        return not probe.optimizers and backwards_only >= self.steps


def shorten_imported_loops(user: Any) -> None:
    """The project's own modules, imported by the script, get their loops shortened too (a
    ``train_one_epoch`` in ``engine.py``); installed packages are left as they are."""
    from importlib.machinery import SourceFileLoader

    original = SourceFileLoader.source_to_code

    def source_to_code(loader: Any, data: Any, path: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(path, str) and path in user:
            try:
                return compile_user_code(data, path)
            except SyntaxError:
                pass  # let the import report it as it would without gradfix
        return original(loader, data, path, *args, **kwargs)

    SourceFileLoader.source_to_code = source_to_code  # type: ignore[method-assign]
