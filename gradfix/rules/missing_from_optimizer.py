"""GF013: parameters that receive gradients but that no optimizer holds.

A loss module with weights of its own (center or margin losses), an extra head applied outside
the model, a second model the optimizer forgot: they get gradients on every backward and never
change; so does a bare ``nn.Parameter`` (learned loss weights). The fix adds them to the optimizer
that trains their neighbours: ``Adam(list(model.parameters()) + list(criterion.parameters()))``,
``Adam(list(net.parameters()) + [log_vars])``. If they are meant to stay fixed,
they should not require gradients at all: the message says so.

A module built after the optimizer, which replaced nothing the optimizer holds (that is GF010's),
cannot be added to the optimizer's construction: it does not exist yet. A loss module built inside
a Trainer (``ModelWithLoss(model, MotLoss())``) that was handed an optimizer built from
``model.parameters()`` is the usual case. The fix adds a param group where the module becomes
reachable: ``optimizer.add_param_group({"params": <module>.parameters()})`` right after the
statement that binds it (or binds what holds it), with the names that statement's frame has for
the module and for the optimizer (the optimizer's own name where it is built in the same function,
or the name the training step uses, ``self.optimizer``, in a method of the same class).
"""

from __future__ import annotations

from typing import Optional

import libcst as cst

from gradfix.findings import Applicability, Candidate, Finding, short_list
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.source import SourceFile, descendants
from gradfix.trace import ModuleFact, OptimizerFact, Site, Trace


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
            stranded = [p.name for p in params if p.got_grad and not p.optimizers and not p.changed]
            if module.loaded and not _chosen(trace, stranded):
                continue  # loaded weights left out of the optimizer: a fixed surrogate or a linear probe's backbone
            if stranded and len(stranded) == len([p for p in params if p.requires_grad]):
                forgotten.append((module, stranded))
        forgotten += self._forgotten_parts(trace, stepping, {m.id for m, _ in forgotten} | in_containers)
        forgotten = _narrowest(forgotten)
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
        later = [(m, names) for m, names in forgotten if m.created_event >= optimizer.built_event]
        added = self._built_later(trace, project, optimizer, later)
        forgotten = [(m, names) for m, names in forgotten if m.created_event < optimizer.built_event]
        if not forgotten and not bare:
            return added
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
        return [self.finding(project, optimizer.site, message, names, candidates), *added]

    # -- built after the optimizer ------------------------------------------------------------------

    def _built_later(
        self, trace: Trace, project: Project, optimizer: OptimizerFact, later: list[tuple[ModuleFact, list[str]]]
    ) -> list[Finding]:
        """Modules built after the optimizer that replaced nothing it holds: a param group added
        where the module becomes reachable."""
        per_site: dict[tuple[str, int, Optional[int]], int] = {}
        for m in trace.modules:
            if m.site is not None:
                key = (m.site.file, m.site.line, m.site.column)
                per_site[key] = per_site.get(key, 0) + 1
        findings = []
        for module, names in later:
            if module.site is None or module.path is None or module.path.startswith("<"):
                continue  # bound to nothing: a layer built in a forward (GF026)
            if per_site.get((module.site.file, module.site.line, module.site.column), 0) > 1:
                continue  # built at every call, not once
            if self._replaced(trace, module):
                continue  # GF010: the optimizer holds what it replaced
            # What the fix must make train: the parameters whose gradient is not always zero (the
            # bias of a layer whose output is only compared with itself gets exactly 0).
            moving = [n for n in names if (p := trace.param(n)) is not None and p.nonzero_grad] or names
            candidates = []
            for statement, source, expression in self._bindings(trace, project, module):
                for name in self._optimizer_names(trace, optimizer, source, statement):
                    line = f'{name}.add_param_group({{"params": {expression}.parameters()}})'
                    where = source.range(statement)
                    text = f"{source.indentation(where.start.line)}{line}\n"
                    candidates.append(self.candidate(
                        f"add {expression} to the optimizer as a param group, after line {where.start.line}",
                        source.path, [source.insert_lines(where.end.line + 1, text)], moving,
                    ))
            site = module.site
            one = len(names) == 1
            message = (
                f"{short_list(names)} {'receives' if one else 'receive'} gradients but no optimizer holds "
                f"{'it' if one else 'them'}: {module.path} is built here, after the optimizer (line "
                f"{optimizer.site.line if optimizer.site else '?'}), and never added to it; "
                f"if {'it is' if one else 'they are'} meant to stay fixed, set requires_grad=False on {'it' if one else 'them'}"
            )
            if project.is_editable(site.file):
                findings.append(self.finding(project, site, message, names, candidates[:6]))
        return findings

    @staticmethod
    def _replaced(trace: Trace, module: ModuleFact) -> bool:
        path = module.path or ""
        for attribute in trace.attributes:
            prefix = f"{attribute.owner_name}.{attribute.attr}"
            if attribute.replaced is not None and (path == prefix or path.startswith(prefix + ".")):
                return True
        # `model = Net()` again: the older module is named `model@<line>`.
        for m in trace.modules:
            base = (m.name or "").split("@", 1)[0]
            if m.name and "@" in m.name and (path == base or path.startswith(base + ".")):
                return True
        return False

    @staticmethod
    def _bindings(trace: Trace, project: Project, module: ModuleFact) -> list[tuple[cst.SimpleStatementLine, SourceFile, str]]:
        """Statements after which the module is reachable by a name of that statement's frame, with
        that name: ``self.loss = loss`` (an attribute assignment) or ``self.model_with_loss =
        ModelWithLoss(model, MotLoss())`` (the construction of the module or of what holds it)."""
        path = module.path or ""
        found: list[tuple[cst.SimpleStatementLine, SourceFile, str]] = []
        seen: set[tuple[str, int]] = set()

        def add(site: Optional[Site], held: str, exact: Optional[Site]) -> None:
            if site is None or not project.is_editable(site.file) or (site.file, site.line) in seen:
                return
            source = project.source(site.file)
            statements = source.statements_on_line(site.line)
            if not statements or not isinstance(statements[0], cst.SimpleStatementLine) or len(statements[0].body) != 1:
                return
            assign = statements[0].body[0]
            if not isinstance(assign, cst.Assign) or len(assign.targets) != 1:
                return
            target = assign.targets[0].target
            if not isinstance(target, (cst.Name, cst.Attribute)):
                return
            if exact is not None and assign.value not in source.nodes_at(exact, cst.Call):
                return  # the construction is only part of the value: the name binds something else
            # The attribute path below what the statement binds comes from the run: names only.
            below = [part for part in path[len(held):].split(".") if part]
            if not all(part.isidentifier() or part.isdigit() for part in below):
                return
            expression = source.code(target) + "".join(f"[{part}]" if part.isdigit() else f".{part}" for part in below)
            seen.add((site.file, site.line))
            found.append((statements[0], source, expression))

        owners = sorted(
            (m for m in trace.modules if m.path and (path == m.path or path.startswith(m.path + "."))),
            key=lambda m: -len(m.path or ""),
        )
        attributes = sorted(
            (a for a in trace.attributes if a.kind == "module" and (path == f"{a.owner_name}.{a.attr}" or path.startswith(f"{a.owner_name}.{a.attr}."))),
            key=lambda a: -len(f"{a.owner_name}.{a.attr}"),
        )
        # Innermost first: where the module itself is bound, then what holds it.
        for owner in owners:
            for attribute in attributes:
                if f"{attribute.owner_name}.{attribute.attr}" == owner.path:
                    add(attribute.site, owner.path or "", None)
            add(owner.site, owner.path or "", owner.site)
        return found

    @staticmethod
    def _optimizer_names(trace: Trace, optimizer: OptimizerFact, source: SourceFile, statement: cst.SimpleStatementLine) -> list[str]:
        """Names the statement's frame has for the optimizer: the target it was built into in the
        same function, before; or the name a training step uses, when that name is local to the
        same function, or ``self.<x>`` in a method of the same class."""
        function = _function_of(source, statement)
        owner = _class_of(source, function)
        line = source.range(statement).start.line
        names: list[str] = []
        if optimizer.site is not None and optimizer.site.file == source.path and optimizer.site.line < line:
            built = source.statements_on_line(optimizer.site.line)
            if built and _function_of(source, built[0]) is function and isinstance(built[0], cst.SimpleStatementLine):
                small = built[0].body[0] if len(built[0].body) == 1 else None
                if isinstance(small, cst.Assign) and len(small.targets) == 1 and isinstance(small.targets[0].target, (cst.Name, cst.Attribute)):
                    names.append(source.code(small.targets[0].target))
        for backward in trace.backwards:
            if backward.site is None or backward.site.file != source.path:
                continue
            there = source.statements_on_line(backward.site.line)
            if not there:
                continue
            used_in = _function_of(source, there[0])
            for name, index in backward.scope_optimizers.items():
                if index != optimizer.id or name in names:
                    continue
                parts = name.split(".")
                if not all(part.isidentifier() for part in parts):
                    continue
                if len(parts) == 1 and used_in is function and name in _bound_in(function or source.module):
                    names.append(name)
                elif (
                    parts[0] == "self" and len(parts) == 2 and owner is not None and _class_of(source, used_in) is owner
                    and name in _bound_in(owner)
                ):
                    names.append(name)
        return names

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
            if root is None or root.id not in roots or module.id == root.id or module.id in skip:
                continue
            if any(module.path.startswith(f"{m.path}.") for m, _ in parts):  # type: ignore[union-attr]
                continue  # inside a part already found
            params = [p for p in trace.params if p.name.startswith(f"{module.path}.") and p.requires_grad]
            stranded = [p.name for p in params if p.got_grad and not p.optimizers and not p.changed]
            if (module.loaded or root.loaded) and not _chosen(trace, stranded):
                continue
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
            if target is not None and isinstance(target.value, (cst.List, cst.Tuple)) and target.value.elements and all(
                isinstance(e.value, cst.Dict) for e in target.value.elements
            ):
                # Param groups written out: the missing ones join as a group of their own, at the
                # optimizer's default settings.
                groups = [f'{{"params": {n}.parameters()}}' for n in extra] + ([f'{{"params": [{", ".join(tensors)}]}}'] if tensors else [])
                elements = list(target.value.elements)
                elements[-1] = elements[-1].with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
                elements += [cst.Element(cst.parse_expression(g, config=source.module.config_for_parsing)) for g in groups]
                elements[-1] = elements[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
                new_groups = target.value.with_changes(elements=elements)
                return [self.candidate(
                    f"add {', '.join(extra + tensors)} to the optimizer as a param group", source.path,
                    [source.replace_node(target.value, new_groups)],
                )]
            if target is None or isinstance(target.value, (cst.List, cst.Tuple, cst.Dict)):
                continue  # literal lists of tensors, a single group: the right group is a guess
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


def _chosen(trace: Trace, names: list[str]) -> bool:
    """Loaded weights that the script itself set ``requires_grad = True`` on (the norm layers
    unfrozen after freezing the whole model): chosen to train, whatever their values."""
    return bool(names) and all((p := trace.param(n)) is not None and p.thawed for n in names)


def _narrowest(found: list[tuple[ModuleFact, list[str]]]) -> list[tuple[ModuleFact, list[str]]]:
    """One module per set of stranded parameters: the narrowest that holds them all
    (``model.features``, not ``model``, whose frozen head the optimizer already holds: adding
    ``model`` would hand it the head twice), and none inside another one kept."""

    def inside(inner: ModuleFact, outer: ModuleFact) -> bool:
        return bool(inner.path and outer.path and inner.path.startswith(outer.path + "."))

    kept = [
        (module, names) for module, names in found
        if not any(inside(other, module) and set(names) <= set(other_names) for other, other_names in found)
    ]
    return [(m, names) for m, names in kept if not any(inside(m, other) for other, _ in kept)]


def _function_of(source: SourceFile, node: cst.CSTNode) -> Optional[cst.FunctionDef]:
    return next((a for a in source.ancestors(node) if isinstance(a, cst.FunctionDef)), None)


def _class_of(source: SourceFile, function: Optional[cst.FunctionDef]) -> Optional[cst.ClassDef]:
    """The class a function is a method of."""
    block = source.parent(function) if function is not None else None
    owner = source.parent(block) if block is not None else None
    return owner if isinstance(owner, cst.ClassDef) else None


def _bound_in(scope: cst.CSTNode) -> set[str]:
    """What a function (its parameters and assignments), a class (``self.<x> = ...``) or a module
    binds, as source text: a name read from the run goes into a fix only when the source binds it."""
    bound: set[str] = set()
    if isinstance(scope, cst.FunctionDef):
        bound |= {p.name.value for p in [*scope.params.params, *scope.params.kwonly_params, *scope.params.posonly_params]}
    for node in descendants(scope, cst.AssignTarget):
        if isinstance(node.target, (cst.Name, cst.Attribute)):
            bound.add(cst.Module([]).code_for_node(node.target))
    return bound
