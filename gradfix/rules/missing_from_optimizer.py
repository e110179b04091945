"""GF013: parameters that receive gradients but that no optimizer holds.

A loss module with weights of its own (center or margin losses), an extra head applied outside
the model, a second model the optimizer forgot: they get gradients on every backward and never
change; so does a bare ``nn.Parameter`` (learned loss weights). The fix adds them to the optimizer
that trains their neighbours: ``Adam(list(model.parameters()) + list(criterion.parameters()))``,
``Adam(list(net.parameters()) + [log_vars])``. If they are meant to stay fixed,
they should not require gradients at all: the message says so.
"""

from __future__ import annotations

from typing import Optional

import libcst as cst

from gradfix.findings import Applicability, Candidate, Finding, short_list
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.trace import ModuleFact, OptimizerFact, Trace


class MissingFromOptimizer(Rule):
    code = "GF013"
    title = "parameters receive gradients but no optimizer holds them"
    applicability = Applicability.UNSAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        stepping = [o for o in trace.optimizers if o.steps]
        if not stepping or trace.crash is not None:
            return []
        # Optimizers that hold only plain tensors optimise an input (activation maximisation, style
        # transfer): the network around it is a fixed instrument, not something forgotten.
        module_params = {p.name for p in trace.params if p.module is not None or p.is_parameter}
        stepping = [o for o in stepping if set(o.params) & module_params]
        if not stepping:
            return []
        in_containers = {m for a in trace.attributes if a.kind == "modules" for m in a.members}
        forgotten: list[tuple[ModuleFact, list[str]]] = []
        for module in sorted(trace.modules, key=lambda m: m.created_event):
            params = trace.params_of(module.id)
            if not params or module.id in in_containers or module.name is None or "@" in module.name:
                continue
            if module.loaded:
                continue  # loaded weights left out of the optimizer: a fixed surrogate or a linear probe's backbone
            stranded = [p.name for p in params if p.got_grad and not p.optimizers and not p.changed]
            if stranded and len(stranded) == len([p for p in params if p.requires_grad]):
                forgotten.append((module, stranded))
        forgotten += self._forgotten_parts(trace, stepping, {m.id for m, _ in forgotten} | in_containers)
        # A bare nn.Parameter (learned loss weights, a temperature) that no optimizer holds. A plain
        # tensor with requires_grad is left alone: an input whose gradient is wanted (saliency,
        # adversarial examples) is one too.
        bare = [
            p.name for p in trace.params
            if p.module is None and p.is_parameter and p.requires_grad and p.is_leaf and p.got_grad
            and not p.optimizers and not p.changed and all(part.isidentifier() for part in p.name.split("."))
        ]
        if not forgotten and not bare:
            return []
        optimizer = self._neighbour(trace, stepping, [n for _, names in forgotten for n in names] + bare)
        if optimizer is None or optimizer.site is None or not project.is_editable(optimizer.site.file):
            return []
        # Built after the optimizer, a module replaced what the optimizer holds: GF010's evidence.
        forgotten = [(m, names) for m, names in forgotten if m.created_event < optimizer.built_event]
        if not forgotten and not bare:
            return []
        names = [n for _, ns in forgotten for n in ns] + bare
        scope = {module_id: name for name, module_id in optimizer.scope_modules.items()}
        candidates = []
        in_scope = [self._expression(trace, scope, m) for m, _ in forgotten]
        if all(in_scope):
            # A bare parameter's name comes from the frame that made it; if the optimizer's frame
            # does not see it, the re-run fails with a NameError and the candidate is rejected.
            candidates = self._extend(project, optimizer, [n for n in in_scope if n], bare)
        modules = ", ".join([*(n or m.name or "?" for n, (m, _) in zip(in_scope, forgotten)), *bare])
        one = len(names) == 1
        message = (
            f"{short_list(names)} {'receives' if one else 'receive'} gradients but no optimizer holds "
            f"{'it' if one else 'them'}, so {'it never changes' if one else 'they never change'} "
            f"({modules} {'is' if len(forgotten) + len(bare) == 1 else 'are'} missing from the optimizer built here; "
            f"if {'it is' if one else 'they are'} meant to stay fixed, set requires_grad=False on {'it' if one else 'them'})"
        )
        return [self.finding(project, optimizer.site, message, names, candidates)]

    @staticmethod
    def _neighbour(trace: Trace, stepping: list[OptimizerFact], names: list[str]) -> Optional[OptimizerFact]:
        """The optimizer whose parameters are reached by the same backward calls."""
        wanted = set(names)
        best, score = None, -1
        for optimizer in stepping:
            held = set(optimizer.params)
            shared = sum(1 for b in trace.backwards if wanted & set(b.reached) and held & set(b.reached))
            if shared > score:
                best, score = optimizer, shared
        return best

    @staticmethod
    def _forgotten_parts(trace: Trace, stepping: list[OptimizerFact], skip: set[int]) -> list[tuple[ModuleFact, list[str]]]:
        """Submodules left out of an optimizer that holds the rest of their model: a param group
        built and never appended, a head missing from a hand-made list. Randomly initialised (not
        loaded) and getting gradients: nothing says they are meant to stay as they are."""
        held = {n for o in stepping for n in o.params}
        roots = {p.module for p in trace.params if p.name in held and p.module is not None}
        parts: list[tuple[ModuleFact, list[str]]] = []
        for module in sorted(trace.modules, key=lambda m: len(m.path or "")):
            root = trace.module(next((p.module for p in trace.params if module.path and p.name.startswith(module.path + ".")), -1) or -1)
            if root is None or root.id not in roots or module.id == root.id or module.loaded or root.loaded or module.id in skip:
                continue
            if any(module.path.startswith(f"{m.path}.") for m, _ in parts):  # type: ignore[union-attr]
                continue  # inside a part already found
            params = [p for p in trace.params if p.name.startswith(f"{module.path}.") and p.requires_grad]
            stranded = [p.name for p in params if p.got_grad and not p.optimizers and not p.changed]
            if params and len(stranded) == len(params):
                parts.append((module, stranded))
        return parts

    @staticmethod
    def _expression(trace: Trace, scope: dict[int, str], module: ModuleFact) -> Optional[str]:
        """How the optimizer's frame names a module: ``criterion``, or ``model.fc`` for a part of a model it sees."""
        if module.id in scope:
            return scope[module.id]
        for root_id, name in scope.items():
            root = trace.module(root_id)
            if root is None or not root.path or not module.path or not module.path.startswith(root.path + "."):
                continue
            text = name
            for part in module.path[len(root.path) + 1 :].split("."):
                if part.isdigit():
                    text += f"[{part}]"
                elif part.isidentifier():
                    text += f".{part}"
                else:
                    return None
            return text
        return None

    def _extend(self, project: Project, optimizer: OptimizerFact, extra: list[str], tensors: list[str]) -> list[Candidate]:
        assert optimizer.site is not None
        source = project.source(optimizer.site.file)
        for call in source.nodes_at(optimizer.site, cst.Call):
            target = next((a for a in call.args if a.keyword is not None and a.keyword.value == "params"), None)
            if target is None and call.args and call.args[0].keyword is None and not call.args[0].star:
                target = call.args[0]
            if target is None or isinstance(target.value, (cst.List, cst.Tuple, cst.Dict)):
                continue  # literal lists and param groups: the right group is a guess
            given = target.value
            # Already a list (`list(a.parameters()) + list(b.parameters())`): extend it as it is.
            is_list = (isinstance(given, cst.BinaryOperation) and isinstance(given.operator, cst.Add)) or (
                isinstance(given, cst.Call) and isinstance(given.func, cst.Name) and given.func.value == "list"
            )
            text = (source.code(given) if is_list else f"list({source.code(given)})") + "".join(f" + list({n}.parameters())" for n in extra)
            if tensors:
                text += f" + [{', '.join(tensors)}]"
            new = cst.parse_expression(text, config=source.module.config_for_parsing)
            candidates = [self.candidate(f"add {', '.join(extra + tensors)} to the optimizer", source.path, [source.replace_node(target.value, new)])]
            if isinstance(given, cst.Name) and extra and not tensors:
                # A name may hold param groups (dicts), which a list of tensors cannot join: a group of their own.
                groups = " + [" + ", ".join(f'{{"params": {n}.parameters()}}' for n in extra) + "]"
                grouped = cst.parse_expression(source.code(given) + groups, config=source.module.config_for_parsing)
                candidates.append(self.candidate(f"add {', '.join(extra)} to the optimizer as a param group", source.path, [source.replace_node(target.value, grouped)]))
            return candidates
        return []
