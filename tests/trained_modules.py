"""Which of a script's modules really trained, seen without gradfix's probe.

    python tests/trained_modules.py SCRIPT NAME [NAME ...]

Runs SCRIPT as ``__main__`` with torch's own public hooks only: each module's parameters are
copied at its first forward, and after every optimizer step each parameter it holds is compared
with its value after the step before. At the end, for each NAME (a module bound to that name
among the script's globals or a part of one by its dotted path (``model.blocks.10``), a tensor that is one, or else every module of that class that ran, or ``Class.attr``: that
attribute of each, a tensor, a module, or a list or dict of them, registered or not), it prints whether every
parameter that requires grad (with a trailing ``!``, every parameter: a momentum copy) changed from its first value, and whether it still changed in the
second half of the steps that stepped it (a learning rate that fell to 0 after the first epoch
stops that). One JSON object on the last line of stdout.

This is the independent check of a repair: gradfix's verdicts come from its probe; this file
shares no code with it.
"""

from __future__ import annotations

import json
import os
import sys
import types

import torch
import torch.nn as nn
import torch.optim.optimizer as optimizer_hooks


def main() -> None:
    script, names = sys.argv[1], sys.argv[2:]
    first: dict[int, torch.Tensor] = {}
    previous: dict[int, torch.Tensor] = {}
    last_change: dict[int, int] = {}
    own_steps: dict[int, int] = {}
    kept: list[torch.Tensor] = []
    ran: list[nn.Module] = []
    ran_ids: set[int] = set()
    last_gradient: dict[int, int] = {}
    owners: dict[int, nn.Module] = {}  # modules that hold submodules, alive to the end
    steps = 0

    def on_forward(module: nn.Module, args: object) -> None:
        # Tensors trained without a module (latent codes, a soft prompt) that are globals of the
        # script: their value before the first forward that may use them.
        loose = [v for v in list(scope.values()) if isinstance(v, torch.Tensor) and v.is_leaf and v.requires_grad]
        for p in [*module.parameters(), *loose]:
            # A lazy module's parameters have no value before its own first call: their first
            # value is taken then, or before the first step that holds them.
            if id(p) not in first and not nn.parameter.is_lazy(p):
                first[id(p)] = p.detach().clone()
                previous[id(p)] = first[id(p)]
                kept.append(p)  # alive to the end, so that no later tensor reuses its id
        if id(module) not in ran_ids:
            ran_ids.add(id(module))
            ran.append(module)

    def before_step(optimizer: torch.optim.Optimizer, args: object, kwargs: object) -> None:
        # A model that never runs a forward of its own (MAML adapts copies of it and hands their
        # gradients back): its values before the first step that holds it.
        # A parameter an optimizer holds counts from its value before the first step that holds
        # it: what the script wrote into it before any step (a k-means codebook init in the first
        # forward) is initialisation, not training.
        for group in optimizer.param_groups:
            for p in group["params"]:
                if id(p) not in first or id(p) not in own_steps:
                    first[id(p)] = p.detach().clone()
                    previous[id(p)] = first[id(p)]
                    kept.append(p)

    def on_register(module: nn.Module, name: str, submodule: object) -> None:
        owners[id(module)] = module

    def after_step(optimizer: torch.optim.Optimizer, args: object, kwargs: object) -> None:
        nonlocal steps
        steps += 1
        for group in optimizer.param_groups:
            for p in group["params"]:
                # Counted in the steps of the optimizers that hold it: a first model trained before
                # a second one still trained to the end of its own run.
                own_steps[id(p)] = own_steps.get(id(p), 0) + 1
                before = previous.get(id(p))
                # A meta tensor has no values to change (an optimizer built before to_empty()).
                if before is not None and not p.is_meta and (before.shape != p.shape or before.is_meta or not torch.equal(before, p.detach())):
                    last_change[id(p)] = own_steps[id(p)]
                # A sparse gradient (an embedding with sparse=True) has no max(): its values do.
                grad = p.grad.coalesce().values() if p.grad is not None and p.grad.is_sparse else p.grad
                if grad is not None and grad.numel() and float(grad.abs().max()) > 1e-6:
                    last_gradient[id(p)] = own_steps[id(p)]
                previous[id(p)] = p.detach().clone()

    sys.argv = [script]
    sys.path[0] = os.path.dirname(os.path.abspath(script))
    main = types.ModuleType("__main__")
    main.__file__ = script
    sys.modules["__main__"] = main
    scope = main.__dict__
    nn.modules.module.register_module_forward_pre_hook(on_forward)
    nn.modules.module.register_module_module_registration_hook(on_register)
    optimizer_hooks.register_optimizer_step_pre_hook(before_step)
    optimizer_hooks.register_optimizer_step_post_hook(after_step)
    with open(script, encoding="utf-8") as handle:
        code = compile(handle.read(), script, "exec")
    try:
        exec(code, scope)
    except SystemExit:
        pass
    report = {}
    for given in names:
        # `name!`: frozen parameters count too (a momentum copy must follow its online twin).
        name, every = given.rstrip("!"), given.endswith("!")
        # A global of the script, or else the class of modules that ran (models built in main()).
        module = scope.get(name)
        root, _, path = name.partition(".")
        if module is None and path and isinstance(scope.get(root), nn.Module):
            # `model.text.blocks.10`: a part of a global model, by its named_modules() path (one
            # block of a list, when only some of them must train).
            try:
                module = scope[root].get_submodule(path)
            except AttributeError:
                # `net.fc1.weight`: a tensor of a part (a weight kept as a buffer is one too).
                module = scope[root]
                for part in path.split("."):
                    module = getattr(module, part, None)
        elif module is None and path and root in scope:
            # `wrapper.model.lm_head`, `vocab.embedding`: a model held by a plain object (a
            # trainer, a vocabulary), by attributes, then by its named_modules() path.
            module = scope[root]
            for part in path.split("."):
                if isinstance(module, nn.Module):
                    try:
                        module = module.get_submodule(part)
                        continue
                    except AttributeError:
                        pass
                module = getattr(module, part, None)
        if isinstance(module, nn.Module):
            params = [p for p in module.parameters() if p.requires_grad or every]
        elif isinstance(module, torch.Tensor):
            params = [module] if module.requires_grad or every else []
        elif isinstance(module, (dict, list, tuple)) and module and all(isinstance(t, torch.Tensor) for t in (module.values() if isinstance(module, dict) else module)):
            # A global dict or list of tensors trained without a module (variational parameters).
            tensors = list(module.values()) if isinstance(module, dict) else list(module)
            params = [t for t in tensors if t.requires_grad or every]
        else:
            # `MoE.w_gate`: an attribute of the modules of a class, a tensor or a module, registered or not.
            cls, _, attr = name.partition(".")
            instances = [m for m in ran if type(m).__name__ == cls]
            if not instances:
                # A module used only through its own methods (an actor's `sample()` calling
                # `self.net`): its forward never runs, the modules inside it do.
                instances = [
                    m for m in owners.values()
                    if type(m).__name__ == cls and any(id(c) in ran_ids for c in m.modules())
                ]
            held = [getattr(m, attr, None) for m in instances] if attr else instances
            if not instances or any(h is None for h in held):
                report[given] = {"found": False}
                continue
            parts = [
                x for h in held
                for x in (h if isinstance(h, (list, tuple)) else list(h.values()) if isinstance(h, dict) else [h])
            ]
            params = [
                p for h in parts
                for p in ([h] if isinstance(h, torch.Tensor) else h.parameters())
                if p.requires_grad or every
            ]
        changed = all(id(p) in first and not p.is_meta and (first[id(p)].is_meta or not torch.equal(first[id(p)], p.detach())) for p in params)
        # A parameter whose gradient is (numerically) zero late in the run (the bias of a layer
        # followed by batch norm) is not expected to move there.
        late = all(
            last_change.get(id(p), 0) > own_steps.get(id(p), 0) // 2
            for p in params if last_gradient.get(id(p), 0) > own_steps.get(id(p), 0) // 2
        )
        report[given] = {"found": True, "params": len(params), "changed": bool(params) and changed, "late": bool(params) and late}
    print(json.dumps({"steps": steps, "modules": report}))


if __name__ == "__main__":
    main()
