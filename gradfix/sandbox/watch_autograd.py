"""Autograd: every backward() call (grad mode, whether the loss has a graph, the leaves it
reaches, which parameters hold a gradient after it), switches of grad mode, and the tensors that
still carry a graph when the script crashes."""

from __future__ import annotations

import types
from typing import Any, Callable, Optional

import torch
import torch.nn as nn

from gradfix.sandbox.facts import named_modules_of
from gradfix.sandbox.loops import EXTEND
from gradfix.trace import BackwardFact, LooseTerm

# A loss term left out of the loss is left out at every call: the first few backward() calls of a
# site show it, and the graph walks stay few.
LOOSE_CALLS_PER_SITE = 3
LOOSE_NAMES = 64  # names of a frame looked at, at most
LOOSE_ITEMS = 16  # entries of a list, tuple or dict looked at, at most
# User frames kept around a graphless forward: the closure, the optimizer's step that called it,
# the trainer that called the step, and a few more.
GRAD_OFF_CHAIN = 8


class AutogradWatch:
    """The probe's part that watches autograd; mixed into :class:`~gradfix.sandbox.probe.Probe`."""

    def _install_switch_tracking(self) -> None:
        probe = self
        from torch.autograd import grad_mode

        switch_init = grad_mode.set_grad_enabled.__init__

        def init(switch: Any, mode: bool) -> None:
            if not mode:
                site, _ = probe.caller_site()
                if site is not None:
                    probe.grad_switches.append(site)
            switch_init(switch, mode)

        grad_mode.set_grad_enabled.__init__ = init  # type: ignore[method-assign]

    def _install_backward_tracking(self) -> None:
        probe = self
        tensor_backward = torch.Tensor.backward
        autograd_backward = torch.autograd.backward

        def observe(tensors: Any, run: Callable[[], Any]) -> Any:
            if probe.in_backward:
                return run()
            probe.events += 1  # counted before running: a backward that raises still got this far
            site, frame = probe.caller_site(3)
            probe.learn_names(frame)
            roots = [tensors] if isinstance(tensors, torch.Tensor) else list(tensors)
            fact = BackwardFact(
                site=site,
                grad_enabled=torch.is_grad_enabled(),
                requires_grad=any(t.requires_grad for t in roots),
                has_grad_fn=any(t.grad_fn is not None for t in roots),
                no_grad_forwards=probe.pending_no_grad,
                scope_optimizers=probe.scope_optimizers(frame),
            )
            if not fact.has_grad_fn:
                fact.grad_off_chain = probe.pending_no_grad_chain or (
                    probe.site_chain(frame, GRAD_OFF_CHAIN) if not fact.grad_enabled else []
                )
                origin = probe.mode.graphless_origin([t for t in roots if isinstance(t, torch.Tensor)])
                if origin is not None:
                    fact.graphless_origin, fact.graphless_by_cut = origin
                    fact.graphless_callers = probe.mode.graphless_callers([t for t in roots if isinstance(t, torch.Tensor)])
            probe.pending_no_grad = []
            probe.pending_no_grad_chain = []
            probe.losses_from_cuts(probe.mode.cuts_behind([t for t in roots if isinstance(t, torch.Tensor)]))
            probe.weights_at_backward([t for t in roots if isinstance(t, torch.Tensor)], site)
            probe.record_call("backward", None, site)
            leaves = probe.reachable(roots)
            probe.remember_params(leaves.values())  # bare tensors trained by hand count too
            probe.note_loose_terms(frame, site, roots, leaves)
            probe.note_copy_backward(leaves, frame, site)  # a loss reaching a copy (MAML's learner)
            probe.learn_names(frame)
            reached = set(leaves)
            probe.reached.update(reached)
            with probe.channel.busy():
                probe.backwards.append(fact)
                probe.channel.backward()
            fact_reached = reached
            probe.applied_before_backward()
            probe.in_backward = True
            try:
                result = run()
            except RuntimeError as error:
                probe.stepped_since_forward(roots, str(error), frame)
                raise
            finally:
                probe.in_backward = False
            probe.applied_after_backward(site)
            probe.copy_backward_done()
            for pid in fact_reached:
                probe._reached_names.setdefault(len(probe.backwards) - 1, set()).add(pid)
            for pid, p in probe.all_params().items():
                if p.grad is not None:
                    probe.got_grad.add(pid)
            probe.gradients_computed()
            if probe.loops.counted()[1] >= probe.max_backwards or len(probe.backwards) >= probe.max_backwards * EXTEND:
                probe.cap_reached = True
                probe.stop(stopped_early=True)
            return result

        self._reached_names: dict[int, set[int]] = {}
        self._loose_calls: dict[tuple, int] = {}
        self._loose_terms: dict[tuple, tuple[LooseTerm, set[int]]] = {}

        def backward(tensor: torch.Tensor, *args: Any, **kwargs: Any) -> Any:
            return observe(tensor, lambda: tensor_backward(tensor, *args, **kwargs))

        def functional_backward(tensors: Any, *args: Any, **kwargs: Any) -> Any:
            return observe(tensors, lambda: autograd_backward(tensors, *args, **kwargs))

        torch.Tensor.backward = backward  # type: ignore[method-assign]
        torch.autograd.backward = functional_backward

        autograd_grad = torch.autograd.grad

        def grad(outputs: Any, *args: Any, **kwargs: Any) -> Any:
            # An output with no graph: autograd.grad raises, or with allow_unused gives None for
            # every input (after the "fix" of marking the output requires_grad by hand).
            roots = [outputs] if isinstance(outputs, torch.Tensor) else list(outputs)
            if len(probe.graphless_grads) < 16 and any(isinstance(t, torch.Tensor) and t.grad_fn is None for t in roots):
                site, _ = probe.caller_site()
                if site is not None and site not in probe.graphless_grads:
                    probe.graphless_grads.append(site)
            return probe.grad_call(outputs, args, kwargs, autograd_grad)

        torch.autograd.grad = grad

    def reachable(self, roots: list[torch.Tensor]) -> dict[int, torch.Tensor]:
        """The leaf tensors that a backward from these roots would accumulate into, by id."""
        found: dict[int, torch.Tensor] = {}
        seen: set[int] = set()
        stack = [t.grad_fn for t in roots if t.grad_fn is not None]
        found.update((id(t), t) for t in roots if t.grad_fn is None and t.requires_grad)
        while stack:
            node = stack.pop()
            if node is None or id(node) in seen:
                continue
            seen.add(id(node))
            variable = getattr(node, "variable", None)
            if variable is not None:
                found[id(variable)] = variable
            stack.extend(next_node for next_node, _ in node.next_functions)
        return found

    def note_loose_terms(
        self, frame: Optional[types.FrameType], site: Any, roots: list, reached: dict[int, torch.Tensor],
    ) -> None:
        """The scalar tensors with a graph that the frame calling backward() holds beside the loss
        (a name, an entry of a dict, a list of them), with the trainable leaves each reaches that
        this loss does not: a loss term computed and never added (GF063). Which of those leaves no
        backward() ever reached is known at the end of the run."""
        if frame is None or site is None:
            return
        key = (site.file, site.line, site.column)
        calls = self._loose_calls.get(key, 0)
        if calls >= LOOSE_CALLS_PER_SITE:
            return
        self._loose_calls[key] = calls + 1
        names = frame.f_globals if frame.f_code.co_name == "<module>" else frame.f_locals
        root_ids = {id(t) for t in roots}
        for count, (name, value) in enumerate(list(names.items())):
            if count >= LOOSE_NAMES:
                break
            if name.startswith("_"):
                continue
            for expression, kind, tensors in _scalar_terms(name, value):
                if any(id(t) in root_ids for t in tensors):
                    continue
                more = [
                    pid for pid, leaf in self.reachable(tensors).items()
                    if pid not in reached and (isinstance(leaf, nn.Parameter) or pid in self.param_objects)
                ]
                if more:
                    term, pids = self._loose_terms.setdefault((key, expression), (LooseTerm(site, expression, kind), set()))
                    pids.update(more)

    def loose_term_facts(self, names_of: dict[int, str]) -> list[LooseTerm]:
        """The loose terms whose leaves no backward() reached in the whole run, named."""
        facts = []
        for term, pids in self._loose_terms.values():
            term.leaves = sorted(names_of[pid] for pid in pids if pid in names_of and pid not in self.reached)[:64]
            if term.leaves:
                facts.append(term)
        return facts

    @staticmethod
    def graph_locals(frame: types.FrameType, limit: int = 32) -> dict[str, str]:
        """Names in a frame bound to tensors that carry a graph (a grad_fn), or to small tuples or
        lists of tensors some of which do (an LSTM's ``(h, c)``): how GF024 tells a state carried
        from one iteration into the next. State kept on an object counts too, by its attribute
        path: ``self.hidden`` of a Trainer, ``model.hidden`` or ``self.model.lstm_state`` of a
        module (and of its submodules). Names and kinds only; no value leaves the child."""
        names = dict(frame.f_globals) if frame.f_code.co_name == "<module>" else {}
        names.update(frame.f_locals)
        found: dict[str, str] = {}
        for name, value in names.items():
            if len(found) >= limit:
                break
            if name.startswith("__"):
                continue
            kind = _graph_kind(value)
            if kind is not None:
                found[name] = kind
        held: dict[str, str] = {}
        for name, value in names.items():
            if name.startswith("__"):
                continue
            if isinstance(value, nn.Module):
                _module_state(name, value, held, limit)
            elif name == "self":  # a Trainer: its own attributes, and the modules it holds
                for attr, inner in list(getattr(value, "__dict__", {}).items()):
                    if attr.startswith("_") or len(held) >= limit:
                        continue
                    if isinstance(inner, nn.Module):
                        _module_state(f"self.{attr}", inner, held, limit)
                    elif (kind := _graph_kind(inner)) is not None:
                        held[f"self.{attr}"] = kind
        found.update(held)
        return found


def _graph_kind(value: Any) -> Optional[str]:
    """"tensor", "tuple" or "list" for a value that carries a graph; for a small nested state
    (a spiking neuron's ``(LIFState(z, v, i), v_out)``), "nested:" and its shape (``_shape``).
    None otherwise."""
    try:
        return _graph_kind_of(value)
    except RuntimeError:
        # Reading `grad_fn` of a view autograd has already refused (a custom Function's output
        # whose base was modified in place) raises that refusal again: it carries no usable graph.
        return None


def _graph_kind_of(value: Any) -> Optional[str]:
    if isinstance(value, torch.Tensor):
        return "tensor" if value.grad_fn is not None else None
    if type(value) in (tuple, list) and 0 < len(value) <= 8:
        if all(isinstance(v, torch.Tensor) for v in value) and any(v.grad_fn is not None for v in value):
            return type(value).__name__
    shape = _shape(value, 3)
    if shape is not None and shape not in ("tensor", "other") and _carries_graph(value, 3):
        return f"nested:{shape}"
    return None


def _shape(value: Any, depth: int) -> Optional[str]:
    """The structure of a state made of tuples, named tuples, lists and dicts of tensors, as
    GF024 rebuilds it detached: ``tensor``, ``other`` (kept as it is: None, a number),
    ``tuple(...)``, ``list(...)``, ``named(...)`` (a named tuple, rebuilt by its own type),
    ``dict(n)`` (every value a tensor). None when it is anything else, or too big or deep."""
    if isinstance(value, torch.Tensor):
        return "tensor"
    if value is None or isinstance(value, (bool, int, float)):
        return "other"
    if depth == 0:
        return None
    if isinstance(value, dict) and type(value) is dict and 0 < len(value) <= 8:
        return f"dict({len(value)})" if all(isinstance(v, torch.Tensor) for v in value.values()) else None
    if isinstance(value, (tuple, list)) and 0 < len(value) <= 8:
        if type(value) is list:
            kind = "list"
        elif type(value) is tuple:
            kind = "tuple"
        elif isinstance(value, tuple) and hasattr(type(value), "_fields"):
            kind = "named"
        else:
            return None
        inner = [_shape(v, depth - 1) for v in value]
        if any(i is None for i in inner):
            return None
        return f"{kind}({','.join(inner)})"  # type: ignore[arg-type]
    return None


def _carries_graph(value: Any, depth: int) -> bool:
    if isinstance(value, torch.Tensor):
        return value.grad_fn is not None
    if depth == 0:
        return False
    if isinstance(value, dict):
        return any(_carries_graph(v, depth - 1) for v in value.values())
    if isinstance(value, (tuple, list)):
        return any(_carries_graph(v, depth - 1) for v in value)
    return False


def _module_state(name: str, module: nn.Module, found: dict[str, str], limit: int) -> None:
    """Plain attributes of a module and its submodules that carry a graph (not its parameters or
    buffers, which torch keeps elsewhere): ``model.hidden``, ``model.encoder.state``."""
    for count, (path, sub) in enumerate(named_modules_of(module)):
        if count >= 256 or len(found) >= limit:
            return
        prefix = f"{name}.{path}" if path else name
        for attr, value in list(sub.__dict__.items()):
            if attr.startswith("_"):
                continue
            kind = _graph_kind(value)
            if kind is not None and len(found) < limit:
                found[f"{prefix}.{attr}"] = kind


def _is_scalar_graph(value: Any) -> bool:
    return isinstance(value, torch.Tensor) and value.grad_fn is not None and value.numel() == 1


def _scalar_terms(name: str, value: Any) -> list[tuple[str, str, list[torch.Tensor]]]:
    """What a frame's name holds that could be a loss term: a scalar tensor with a graph, a list or
    tuple of them (``aux_losses``), or such entries of a dict with plain string keys
    (``out["kl"]``). As (expression, kind, tensors)."""
    if _is_scalar_graph(value):
        return [(name, "tensor", [value])]
    if type(value) in (list, tuple) and 0 < len(value) <= LOOSE_ITEMS and all(_is_scalar_graph(v) for v in value):
        return [(name, "list", list(value))]
    if isinstance(value, dict) and len(value) <= LOOSE_ITEMS:
        return [
            (f'{name}["{key}"]', "tensor", [entry]) for key, entry in list(value.items())
            if isinstance(key, str) and key.replace("_", "").isalnum() and _is_scalar_graph(entry)
        ]
    return []
