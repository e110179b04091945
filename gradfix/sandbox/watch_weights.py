"""Functional forwards: calls of modules whose ``forward`` takes the weights to use as an argument
(``params=None``, ``weights=None``, ``vars=None``: MAML's fast weights), ``torch.func.functional_call``,
and whether the losses built on them reach the weights the script handed over (GF037).

Each such call made from user code tags its outputs' graph nodes with what the call was given and
which containers of tensors (lists, tuples, dicts) the calling frame held. When
``torch.autograd.grad`` is asked for tensors its loss does not reach, or a ``backward()`` after an
inner loop reaches none of the adapted weights, the tagged calls in that loss's graph say which
forward ran with the module's own parameters, and which names held the weights it should have used.
"""

from __future__ import annotations

import collections.abc
import inspect
import sys
import types
from typing import Any, Optional

import torch
import torch.nn as nn

from gradfix.sandbox.facts import class_name, parameters_of, site_of
from gradfix.trace import OwnWeightsForward, Site

# Words of a forward parameter that carries the weights to use (`params`, `fast_weights`, `vars`).
_WEIGHT_WORDS = {"params", "param", "parameters", "weights", "weight", "vars", "variables", "theta", "thetas", "fast"}
_UNUSED = "appears to not have been used in the graph"
WEIGHTS_TAG = "gradfix.weights"  # the key of a functional forward's tag in its outputs' grad_fn metadata
_MAX_NODES = 200_000
# graph nodes of an update step from a weight to its adapted value: `w - lr * g`, `w.add(...)`, a clone
_UPDATE_NODES = ("SubBackward", "AddBackward", "RsubBackward", "CloneBackward", "ToCopyBackward", "AliasBackward")


class _Holder:
    """A container of tensors bound to a name in the calling frame: ids only, never the tensors."""

    __slots__ = ("name", "ids", "edges", "adapted")

    def __init__(self, name: str, ids: frozenset[int], edges: frozenset[tuple[int, int]], adapted: bool):
        self.name = name
        self.ids = ids  # ids of its tensors that require grad
        self.edges = edges  # (id of grad_fn, output_nr) of those that are not leaves
        self.adapted = adapted  # non-leaf tensors shaped like the module's own parameters: fast weights


class _Tag:
    """One functional forward call, as its outputs' graph nodes remember it."""

    __slots__ = ("site", "module", "arg", "position", "given", "functional", "given_ids", "holders")

    def __init__(self, site: Site, module: nn.Module, arg: str, position: Optional[int], given: bool,
                 functional: bool, given_ids: frozenset[int], holders: list[_Holder]):
        self.site = site
        self.module = module
        self.arg = arg
        self.position = position
        self.given = given
        self.functional = functional
        self.given_ids = given_ids
        self.holders = holders


def _tensors(value: Any) -> Optional[list[torch.Tensor]]:
    """The tensors of a plain list, tuple or dict of tensors (a ParameterList/Dict's too); None otherwise."""
    if isinstance(value, (nn.ParameterList, nn.ParameterDict)):
        return list(parameters_of(value))
    if type(value) in (list, tuple):
        members = list(value)
    elif isinstance(value, dict):
        members = list(value.values())
    else:
        return None
    if not members or len(members) > 4096 or not all(isinstance(m, torch.Tensor) for m in members):
        return None
    return members


def _updated_from(tensor: torch.Tensor, own: dict[int, torch.Tensor]) -> bool:
    """An adapted weight: ``w - lr * g`` (``w.add(g, alpha=-lr)``, a clone, after several steps),
    computed from one of the module's own parameters of the same shape by a chain of updates. A
    gradient taken with ``create_graph=True`` is shaped like its parameter too, but is not made
    from it this way."""
    if tensor.grad_fn is None or id(tensor) in own:
        return False
    node = tensor.grad_fn
    stack, seen = [node], 0
    while stack and seen < 64:
        node = stack.pop()
        seen += 1
        variable = getattr(node, "variable", None)
        if variable is not None:
            if id(variable) in own and variable.shape == tensor.shape:
                return True
            continue
        if not type(node).__name__.startswith(_UPDATE_NODES):
            continue
        stack.extend(next_node for next_node, _ in node.next_functions if next_node is not None)
    return False


def _outputs(result: Any) -> list[torch.Tensor]:
    outputs = result if type(result) in (tuple, list) else (result,)
    return [o for o in outputs[:8] if isinstance(o, torch.Tensor) and o.grad_fn is not None]


class WeightsWatch:
    """The probe's part that watches functional forwards; mixed into :class:`~gradfix.sandbox.probe.Probe`."""

    def _install_weights_tracking(self) -> None:
        probe = self
        self.weight_signatures: dict[Any, Optional[tuple[str, int, inspect.Signature]]] = {}
        # tagged calls, all told and since the last backward() (and whether one saw adapted weights):
        # the tags themselves live in the graph nodes' metadata and go with them
        self.weight_tags = 0
        self.recent_tags: list[_Tag] = []
        self.grad_inputs_since_backward: set[int] = set()
        self.own_weights: dict[tuple[Any, ...], OwnWeightsForward] = {}
        self.in_grad_call = False

        import torch.func
        import torch.nn.utils.stateless

        for owner, attr, dict_arg in (
            (torch.func, "functional_call", "parameter_and_buffer_dicts"),
            (torch.nn.utils.stateless, "functional_call", "parameters_and_buffers"),
        ):
            original = getattr(owner, attr, None)
            if original is None:
                continue

            def functional_call(module: Any, *args: Any, _original: Any = original, _arg: str = dict_arg, **kwargs: Any) -> Any:
                result = _original(module, *args, **kwargs)
                caller = sys._getframe(1)
                if isinstance(module, nn.Module) and caller.f_code.co_filename in probe.user:
                    given = args[0] if args else kwargs.get(_arg)
                    dicts = given if type(given) in (list, tuple) else [given]
                    ids = frozenset(id(t) for d in dicts if isinstance(d, dict) for t in d.values() if isinstance(t, torch.Tensor))
                    probe.tag_weights(result, module, caller, _arg, 1 if args else None, True, True, ids)
                return result

            setattr(owner, attr, functional_call)

    # -- the calls --------------------------------------------------------------------------------

    def _weights_parameter(self, cls: type) -> Optional[tuple[str, int, inspect.Signature]]:
        """The parameter of ``cls.forward`` that takes the weights (``params=None``): its name, its
        index among the call's positional arguments, and the signature; cached per class."""
        if cls in self.weight_signatures:
            return self.weight_signatures[cls]
        found = None
        forward = getattr(cls, "forward", None)
        if isinstance(forward, types.FunctionType) and forward.__code__.co_filename in self.user:  # type: ignore[attr-defined]
            try:
                signature = inspect.signature(forward)
            except (TypeError, ValueError):
                signature = None
            if signature is not None:
                for index, param in enumerate(list(signature.parameters.values())[1:]):
                    if param.kind not in (param.POSITIONAL_OR_KEYWORD, param.KEYWORD_ONLY) or param.default is not None:
                        continue
                    if set(param.name.lower().split("_")) & _WEIGHT_WORDS:
                        found = (param.name, index if param.kind is param.POSITIONAL_OR_KEYWORD else -1, signature)
                        break
        self.weight_signatures[cls] = found
        return found

    def note_weights_call(self, module: nn.Module, args: tuple, kwargs: dict, result: Any) -> None:
        """A module called (``module(...)``, from the frame two levels up): tag the call when its
        forward takes the weights as an argument and user code made it."""
        found = self._weights_parameter(type(module))
        if found is None or not torch.is_grad_enabled():
            return
        caller = sys._getframe(2)
        if caller.f_code.co_filename not in self.user:  # type: ignore[attr-defined]
            return
        name, index, signature = found
        try:
            bound = signature.bind(module, *args, **kwargs)
        except TypeError:
            return
        value = bound.arguments.get(name)
        position = index if name not in kwargs and 0 <= index < len(args) else None
        given = name in kwargs or position is not None
        if value is None:
            ids: frozenset[int] = frozenset()
        else:
            tensors = _tensors(value)
            if tensors is None:
                return  # weights of a kind gradfix does not read: not its business
            ids = frozenset(id(t) for t in tensors)
        self.tag_weights(result, module, caller, name, position, given, False, ids)

    def tag_weights(self, result: Any, module: nn.Module, caller: types.FrameType, arg: str, position: Optional[int],
                    given: bool, functional: bool, given_ids: frozenset[int]) -> None:
        outputs = _outputs(result)
        if not outputs:
            return
        tag = _Tag(site_of(caller), module, arg, position, given, functional, given_ids, self._holders(caller, module))
        for output in outputs:
            output.grad_fn.metadata[WEIGHTS_TAG] = tag
        self.weight_tags += 1
        if any(h.adapted for h in tag.holders) and len(self.recent_tags) < 64:
            self.recent_tags.append(tag)

    def _holders(self, frame: types.FrameType, module: nn.Module) -> list[_Holder]:
        """Containers of tensors the frame binds to plain names (its globals too, at a script's top level)."""
        names = dict(frame.f_globals) if frame.f_code.co_name == "<module>" else {}
        names.update(frame.f_locals)
        own = {id(p): p for p in parameters_of(module)}
        holders = []
        for name, value in names.items():
            if len(holders) >= 16:
                break
            if name.startswith("__") or not name.isidentifier():
                continue
            tensors = _tensors(value)
            if tensors is None:
                continue
            trainable = [t for t in tensors if t.requires_grad]
            if not trainable:
                continue
            adapted = len(trainable) == len(tensors) and all(_updated_from(t, own) for t in tensors)
            holders.append(_Holder(
                name,
                frozenset(id(t) for t in trainable),
                frozenset((id(t.grad_fn), t.output_nr) for t in trainable if t.grad_fn is not None),
                adapted,
            ))
        return holders

    # -- the losses -------------------------------------------------------------------------------

    def _walk(self, roots: list[torch.Tensor]) -> tuple[list[_Tag], set[tuple[int, int]], set[int]]:
        """The graph behind ``roots``: the functional forwards tagged in it, its edges (node id,
        output number), and the ids of the leaves it accumulates into."""
        tags: list[_Tag] = []
        nodes: set[int] = set()
        edges: set[tuple[int, int]] = set()
        leaves: set[int] = set()
        held = []  # keeps the visited nodes alive, so that no id is reused during the walk
        stack = []
        for root in roots:
            if root.grad_fn is not None:
                edges.add((id(root.grad_fn), root.output_nr))
                stack.append(root.grad_fn)
        while stack and len(nodes) < _MAX_NODES:
            node = stack.pop()
            if id(node) in nodes:
                continue
            nodes.add(id(node))
            held.append(node)
            variable = getattr(node, "variable", None)
            if variable is not None:
                leaves.add(id(variable))
            tag = getattr(node, "metadata", {}).get(WEIGHTS_TAG)
            if tag is not None and all(t is not tag for t in tags):
                tags.append(tag)
            for next_node, number in node.next_functions:
                if next_node is not None:
                    edges.add((id(next_node), number))
                    stack.append(next_node)
        return tags, edges, leaves

    def grad_inputs(self, args: tuple, kwargs: dict) -> tuple[list[torch.Tensor], tuple, dict]:
        """The tensors ``torch.autograd.grad`` is asked for; a one-shot iterator (``parameters_of(model)``)
        is made a tuple first, as autograd.grad itself would, so that reading it costs the call nothing."""
        if args:
            inputs, where = args[0], "args"
        elif "inputs" in kwargs:
            inputs, where = kwargs["inputs"], "kwargs"
        else:
            return [], args, kwargs
        if isinstance(inputs, collections.abc.Iterator):
            inputs = tuple(inputs)
            if where == "args":
                args = (inputs, *args[1:])
            else:
                kwargs = {**kwargs, "inputs": inputs}
        if isinstance(inputs, torch.Tensor):
            tensors = [inputs]
        elif type(inputs) is dict:
            tensors = list(inputs.values())
        elif isinstance(inputs, (list, tuple, collections.abc.ValuesView)):
            tensors = list(inputs)
        else:
            tensors = []
        tensors = [t for t in tensors if isinstance(t, torch.Tensor)]
        self.grad_inputs_since_backward.update(id(t) for t in tensors)
        return tensors, args, kwargs

    def grad_call(self, outputs: Any, args: tuple, kwargs: dict, grad: Any) -> Any:
        """Run ``torch.autograd.grad``; when its loss does not reach some of the tensors it was asked
        for (it raises, or gives None for them), look for a functional forward that left them out."""
        if self.in_grad_call:
            # torch dispatches the call to the probe's function mode, which calls it again: once is enough
            return grad(outputs, *args, **kwargs)
        inputs, args, kwargs = self.grad_inputs(args, kwargs)
        roots = [outputs] if isinstance(outputs, torch.Tensor) else [t for t in outputs if isinstance(t, torch.Tensor)] if isinstance(outputs, (list, tuple)) else []
        self.in_grad_call = True
        try:
            result = grad(outputs, *args, **kwargs)
        except RuntimeError as error:
            if self.weight_tags and _UNUSED in str(error):
                self._unreached(roots, inputs, sys._getframe(2))
            raise
        finally:
            self.in_grad_call = False
        values = list(result.values()) if isinstance(result, dict) else list(result) if isinstance(result, tuple) else []
        if self.weight_tags and any(v is None for v in values):
            self._unreached(roots, inputs, sys._getframe(2))
        return result

    def _unreached(self, roots: list[torch.Tensor], inputs: list[torch.Tensor], frame: types.FrameType) -> None:
        tags, edges, leaves = self._walk(roots)

        def reached(t: torch.Tensor) -> bool:
            return id(t) in leaves if t.grad_fn is None else (id(t.grad_fn), t.output_nr) in edges

        unreached = [t for t in inputs if not reached(t)]
        if not unreached:
            return
        loss_frame = self.user_frame(frame)  # type: ignore[attr-defined]
        loss_site = site_of(loss_frame) if loss_frame is not None else None
        for tag in tags:
            own = {id(p) for p in parameters_of(tag.module)}
            left_out = {id(t) for t in unreached if id(t) not in own}
            if not left_out or left_out & tag.given_ids:
                continue  # the module's own parameters unused, or the weights it was given: not this fault
            holders = sorted((h for h in tag.holders if h.ids & left_out), key=lambda h: -len(h.ids & left_out))
            self._record(tag, [h.name for h in holders], loss_site, silent=False, unreached=len(left_out))

    def weights_at_backward(self, roots: list[torch.Tensor], site: Optional[Site]) -> None:
        """A backward() after an inner loop (autograd.grad was asked for some module's weights since
        the last backward): its loss must reach the adapted weights in scope at its functional forwards."""
        asked = self.grad_inputs_since_backward
        recent = self.recent_tags
        self.grad_inputs_since_backward = set()
        self.recent_tags = []
        if not asked or not recent:
            return
        tags, edges, _ = self._walk(roots)
        for tag in tags:
            if all(t is not tag for t in recent):
                continue
            adapted = [h for h in tag.holders if h.adapted and not h.ids & tag.given_ids]
            if not adapted or any(h.edges & edges for h in tag.holders if h.adapted):
                continue  # the loss uses adapted weights: the adaptation counts
            own = {id(p) for p in parameters_of(tag.module)}
            if not (own | set().union(*(h.ids for h in adapted))) & asked:
                continue  # no inner loop over this module's weights since the last backward
            self._record(tag, [h.name for h in adapted], site, silent=True, unreached=0)

    def _record(self, tag: _Tag, names: list[str], loss_site: Optional[Site], silent: bool, unreached: int) -> None:
        key = (tag.site.file, tag.site.line, tag.site.column, silent)
        fact = self.own_weights.get(key)
        if fact is not None:
            fact.count += 1
            fact.names += [n for n in names if n not in fact.names]
            return
        if len(self.own_weights) >= 16:
            return
        self.own_weights[key] = OwnWeightsForward(
            site=tag.site, module=id(tag.module), cls=class_name(tag.module), arg=tag.arg, position=tag.position,
            given=tag.given, other_weights=bool(tag.given_ids), functional=tag.functional, names=names, loss_site=loss_site, silent=silent, unreached=unreached,
        )
