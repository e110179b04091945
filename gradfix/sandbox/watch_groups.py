"""Parameter groups that torch refused: when ``add_param_group`` (called by an optimizer's
constructor for each group, or by user code on an optimizer already built) raises ``ValueError:
some parameters appear in more than one parameter group``, which parameters each group held, which
one was refused, and the groups the constructor had not reached yet (GF054)."""

from __future__ import annotations

import functools
import os
import sys
import types
from typing import Any, Optional

import torch

from gradfix.sandbox.facts import group_tensors
from gradfix.trace import GroupClash, Site

_MESSAGE = "more than one parameter group"
_OPTIMIZER_FILE = os.path.realpath(sys.modules[torch.optim.Optimizer.__module__].__file__ or "")
# Generators that only walk a module's parameters: reading one of a group the failed constructor
# never reached costs nothing the script could see (a filter or a generator of the user's could).
_PARAMETER_GENERATORS = {"parameters", "named_parameters", "_named_members", "buffers"}
_LIMIT = 4096  # parameters recorded per group, at most


def _tensors(value: Any) -> Optional[list[torch.Tensor]]:
    """The tensors of a group's ``params`` as torch would read them (``(name, tensor)`` pairs
    too), or None when reading them could run user code."""
    if isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, types.GeneratorType):
        if value.gi_code.co_name not in _PARAMETER_GENERATORS or value.gi_frame is None:
            return None
        value = list(value)
    elif not isinstance(value, (list, tuple)):
        return None
    found = []
    for item in value[:_LIMIT]:
        if isinstance(item, tuple) and len(item) == 2:
            item = item[1]
        if isinstance(item, torch.Tensor):
            found.append(item)
    return found


class GroupWatch:
    """The probe's part that watches refused parameter groups; mixed into :class:`~gradfix.sandbox.probe.Probe`."""

    def _install_group_tracking(self) -> None:
        probe = self
        # the clash: its site, whether a built optimizer's add_param_group raised (and its id),
        # the groups' tensors (None: not readable), and the refused group's index
        self._group_clash: Optional[tuple[Optional[Site], Optional[int], list[Optional[list[torch.Tensor]]], int]] = None
        # the lists torch made for groups (at construction, in add_param_group), kept alive so
        # that their ids stay theirs: a group holding any other object was written by the script
        self.torch_made_lists: dict[int, list[Any]] = {}
        original = torch.optim.Optimizer.add_param_group

        @functools.wraps(original)
        def add_param_group(optimizer: Any, param_group: Any) -> Any:
            try:
                result = original(optimizer, param_group)
            except ValueError as error:
                if _MESSAGE in str(error) and probe._group_clash is None:
                    probe._note_group_clash(optimizer, param_group, sys._getframe(1))
                raise
            made = optimizer.param_groups[-1].get("params")
            if isinstance(made, list):
                probe.torch_made_lists[id(made)] = made
            return result

        torch.optim.Optimizer.add_param_group = add_param_group  # type: ignore[method-assign]

    def _note_group_clash(self, optimizer: Any, refused: Any, caller: types.FrameType) -> None:
        groups: list[Optional[list[torch.Tensor]]] = [group_tensors(g)[:_LIMIT] for g in optimizer.param_groups]
        index = len(groups)
        groups.append(_tensors(refused.get("params")) if isinstance(refused, dict) else None)
        constructor = self._constructor_frame(optimizer, caller)
        if constructor is not None:
            pending = constructor.f_locals.get("param_groups")
            if isinstance(pending, list):
                later = next((i for i, g in enumerate(pending) if g is refused), None)
                for group in pending[later + 1 :] if later is not None else []:
                    groups.append(_tensors(group.get("params")) if isinstance(group, dict) else None)
        self.remember_params([p for group in groups if group for p in group])  # type: ignore[attr-defined]
        site, _ = self.caller_site(2)  # type: ignore[attr-defined]
        built = None if constructor is not None else self.optimizer_id(optimizer)  # type: ignore[attr-defined]
        self._group_clash = (site, built, groups, index)

    @staticmethod
    def _constructor_frame(optimizer: Any, frame: Optional[types.FrameType]) -> Optional[types.FrameType]:
        """torch's ``Optimizer.__init__`` frame for this optimizer, when it is the one adding groups."""
        for _ in range(4):
            if frame is None:
                return None
            code = frame.f_code
            if code.co_name == "__init__" and os.path.realpath(code.co_filename) == _OPTIMIZER_FILE and frame.f_locals.get("self") is optimizer:
                return frame
            frame = frame.f_back
        return None

    def group_clash_fact(self, names_of: dict[int, str]) -> Optional[GroupClash]:
        if self._group_clash is None:
            return None
        site, built, groups, refused = self._group_clash
        return GroupClash(
            site=site,
            optimizer=built,
            refused=refused,
            groups=[[names_of.get(id(p), "?") for p in group] if group is not None else [] for group in groups],
            unread=[i for i, group in enumerate(groups) if group is None],
        )
