"""GF013: parameters that receive gradients but that no optimizer holds.

A loss module with weights of its own (center or margin losses), an extra head applied outside
the model, a second model the optimizer forgot: they get gradients on every backward and never
change; so does a bare ``nn.Parameter`` (learned loss weights). The fix adds them to the optimizer
that trains their neighbours: ``Adam(list(model.parameters()) + list(criterion.parameters()))``,
``Adam(list(net.parameters()) + [log_vars])``. If they are meant to stay fixed,
they should not require gradients at all: the message says so. The same parameters chained
(``itertools.chain(model.parameters(), head.parameters())``) and added as a param group right after
the optimizer are candidates too; the re-run judges (SAM, whose groups are its inner optimizer's,
takes the list and refuses the group). An optimizer class of the script's own is built where the
script calls it, not at its ``super().__init__`` (the probe's doing), so the same fixes apply to it.
A head that the optimizer's frame does not see (a helper given the model alone built it) gets a
param group where a frame sees both: after the statement that binds the optimizer in the function
that binds the head and runs the training step.

A module built after the optimizer, which replaced nothing the optimizer holds (that is GF010's),
cannot be added to the optimizer's construction: it does not exist yet. A loss module built inside
a Trainer (``ModelWithLoss(model, MotLoss())``) that was handed an optimizer built from
``model.parameters()`` is the usual case. The fix adds a param group where the module becomes
reachable: ``optimizer.add_param_group({"params": <module>.parameters()})`` where every name it uses is
bound: after the later of the statement that binds the module (or binds what holds it) and the
statement that binds the optimizer's name there. The optimizer's names are the frame's own: the
name it was built into in the same function; the name the training step uses (``self.optimizer``
in a method of the same class, placed after ``self.optimizer = optimizer`` when ``__init__`` stores
it after building the loss); the names the module's own frame had for it when it built the module
(a Trainer's ``optimizer`` argument, an optimizer a helper returned), which the probe records.
Each placement is a candidate; the re-run picks.

Parameters a module makes for itself after the optimizer was built (``self.s = nn.Parameter(...)``
in the first ``forward``, a data-dependent initialisation; a head built on the first call to know
its input size; a ``calibrate()`` method run after the optimizer) were never seen by it. The probe
records the frames that made each one, which lead to the statement of the optimizer's function
that made them exist. The candidates, most conservative first: build the optimizer after that
statement, when it runs once and nothing uses the optimizer before it; add them as a param group
right after it, when it runs once; run the model once under ``torch.no_grad()`` before the
optimizer is built, on inputs the script has there (the first item of the loader the loop
iterates, the first batch of the tensor it indexes, with the batch size of the run's first call);
build the layer in ``__init__`` as a lazy module (``nn.Linear(h.shape[1], n)`` ->
``nn.LazyLinear(n)``, likewise the convolutions and norms), the block that built it in the call
(``if self.head is None:``) gone, which needs neither the optimizer's function nor the inputs;
add them as a param group right after the statement that runs in a loop, guarded so that it
happens the first time only (``if not any(p is model.head.weight for group in
optimizer.param_groups ...)``).

Parameters a module holds itself (``self.p2_w1 = nn.Parameter(...)``, a layer scale, a class
token, attention vectors, a ``MultiheadAttention``'s ``in_proj_weight``) that no optimizer holds, while the optimizer holds every other
parameter of that module, its layers' included, were left out by the collection of the
optimizer's parameters: a loop over the modules that takes each one's ``weight`` and ``bias``, a
sort by name (``endswith(".weight")``) with no ``else``. A linear probe's encoder is not this: no
optimizer holds its layers either. The candidates: the collecting loop made to take what it leaves
out (the lists of groups without weight decay first), the optimizer's list extended, a param group
added after the optimizer. When a helper built the optimizer from what it was given (the leaf
modules, layers picked by type, layer groups) and has no name for what was left out, the group is
added in a caller that binds what the helper returned and names it (``optimizer =
build_optimizer(model, cfg)``), also through the attribute by which a wrapper of the script's own
steps it (``optimizer.opt``, from the chain of calls that stepped it).
"""

from __future__ import annotations

import builtins
import re
from typing import NamedTuple, Optional

import libcst as cst

from gradfix.findings import Applicability, Candidate, Finding, short_list
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.edits import Edit
from gradfix.source import SourceFile, descendants, is_zero_literal
from gradfix.torch_api import module_alias, spelled_or_imported
from gradfix.trace import AttributeFact, ModuleFact, OptimizerFact, Site, Trace


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
        # A DDP replica trained in place of the model its optimizer holds is GF050's.
        instead = {n for o in stepping for n in trace.copies_trained_instead(o)}
        forgotten: list[tuple[ModuleFact, list[str]]] = []
        for module in sorted(trace.modules, key=lambda m: m.created_event):
            params = trace.params_of(module.id)
            if not params or module.id in in_containers or module.name is None or "@" in module.name:
                continue
            stranded = [p.name for p in params if p.got_grad and not p.optimizers and not p.changed and p.name not in instead]
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
        made = _made_once(trace)
        left = _left_out(trace, stepping)
        if not forgotten and not bare and not made and not left:
            return []
        optimizer = self._neighbour(trace, stepping, [n for _, names in forgotten for n in names] + bare + list(made) + list(left))
        if optimizer is None or optimizer.site is None or not project.is_editable(optimizer.site.file):
            return []
        # Parameters a module that existed when the optimizer was built made afterwards (in its
        # first forward): the optimizer took the ones that existed then. A module built later
        # altogether is the case below.
        made = {
            n: a for n, a in made.items()
            if a.event > optimizer.built_event and (owner := trace.module(a.owner)) is not None
            and owner.created_event < optimizer.built_event
        }
        forgotten = [(m, [n for n in names if n not in made]) for m, names in forgotten]
        forgotten = [(m, names) for m, names in forgotten if names]
        later = [(m, names) for m, names in forgotten if m.created_event >= optimizer.built_event]
        # A layer made once inside a module call (a head sized by its first input) is made by the
        # same first call.
        lazy = {m.id: a for m, _ in later if (a := _made_in_call(trace, m)) is not None}
        added = self._built_later(trace, project, optimizer, [(m, names) for m, names in later if m.id not in lazy])
        added += self._made_late(
            trace, project, optimizer,
            [([n], a, False) for n, a in made.items()] + [(names, lazy[m.id], True) for m, names in later if m.id in lazy],
        )
        forgotten = [(m, names) for m, names in forgotten if m.created_event < optimizer.built_event]
        left = {n: a for n, a in left.items() if n not in made}
        if not forgotten and not bare and not left:
            return added
        names = [n for _, ns in forgotten for n in ns] + bare + list(left)
        scope = {module_id: name for name, module_id in optimizer.scope_modules.items()}
        candidates = []
        in_scope = [self._expression(trace, scope, m) for m, _ in forgotten]
        # The parameters the collection left out, as the optimizer's frame names them.
        owners = {n: trace.module(a.owner) for n, a in left.items()}
        left_names = [
            f"{base}.{a.attr}" if (m := owners[n]) is not None and (base := self._expression(trace, scope, m)) and a.attr.isidentifier() else None
            for n, a in left.items()
        ]
        only_left = bool(left) and not forgotten and not bare
        if all(in_scope) and all(left_names):
            # A bare parameter's name comes from the frame that made it; if the optimizer's frame
            # does not see it, the re-run fails with a NameError and the candidate is rejected.
            tensors = bare + [n for n in left_names if n]
            if only_left:
                candidates += self._extend_collection(project, optimizer)
            candidates += self._extend(project, optimizer, [n for n in in_scope if n], tensors)
            if only_left:
                candidates += self._group_after(project, optimizer, tensors)
            else:
                # The same parameters given another way: the re-run judges which the script takes
                # (an optimizer class of its own may want a list, a generator, or groups).
                candidates += self._group_after(project, optimizer, tensors, [n for n in in_scope if n])
        if only_left:
            # A helper built the optimizer (a wrapper's `create(opt_func, lr, layer_groups)` given
            # the model's leaf layers): a caller that binds what it returned may name what the
            # collection left out when the helper does not.
            candidates += self._group_in_callers(trace, project, optimizer, left, names)
        elif forgotten and not bare and not left:
            # Built where the module is out of sight (a helper given the model only, a Trainer's
            # method): a param group added where a frame sees both, after it has the optimizer.
            for module, stranded in forgotten:
                candidates += self._group_where_seen(trace, project, optimizer, module, stranded)
        one = len(names) == 1
        if only_left:
            holders = sorted({a.owner_name for a in left.values()})
            message = (
                f"{short_list(names)} {'receives' if one else 'receive'} gradients but no optimizer holds "
                f"{'it' if one else 'them'}, so {'it never changes' if one else 'they never change'}: the optimizer "
                f"built here holds every other parameter of {short_list(holders)}, but the parameters collected for it "
                f"left out {'this one, which its module holds itself' if one else 'these, which their modules hold themselves'}, not in a layer of {'its' if one else 'their'} own; "
                f"if {'it is' if one else 'they are'} meant to stay fixed, set requires_grad=False on {'it' if one else 'them'}"
            )
            return [self.finding(project, optimizer.site, message, names, candidates[:6]), *added]
        modules = ", ".join([*(n or m.name or "?" for n, (m, _) in zip(in_scope, forgotten)), *bare, *(n or "?" for n in left_names)])
        one = len(names) == 1
        message = (
            f"{short_list(names)} {'receives' if one else 'receive'} gradients but no optimizer holds "
            f"{'it' if one else 'them'}, so {'it never changes' if one else 'they never change'} "
            f"({modules} {'is' if len(forgotten) + len(bare) + len(left) == 1 else 'are'} missing from the optimizer built here; "
            f"if {'it is' if one else 'they are'} meant to stay fixed, set requires_grad=False on {'it' if one else 'them'})"
        )
        return [self.finding(project, optimizer.site, message, names, candidates), *added]

    def _group_where_seen(
        self, trace: Trace, project: Project, optimizer: OptimizerFact, module: ModuleFact, names: list[str]
    ) -> list[Candidate]:
        """A module built before the optimizer, in a frame the optimizer's construction does not
        see: ``optimizer.add_param_group({"params": head.parameters()})`` in a function that binds
        the module and names the optimizer (where the training step uses it), after the statement
        that binds the optimizer there (``optimizer = build_optimizer(model)``)."""
        candidates = []
        for statement, source, expression in self._bindings(trace, project, module):
            for name, anchor in self._placements(trace, optimizer, module, source, statement):
                where = source.range(anchor)
                line = f'{name}.add_param_group({{"params": {expression}.parameters()}})'
                candidates.append(self.candidate(
                    f"add {expression} to the optimizer as a param group, after line {where.start.line}",
                    source.path, [source.insert_lines(where.end.line + 1, f"{source.indentation(where.start.line)}{line}\n")], names,
                ))
        return candidates[:6]

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
                for name, anchor in self._placements(trace, optimizer, module, source, statement):
                    line = f'{name}.add_param_group({{"params": {expression}.parameters()}})'
                    where = source.range(anchor)
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

    # -- made by the script's first call, after the optimizer -----------------------------------------

    def _made_late(
        self, trace: Trace, project: Project, optimizer: OptimizerFact, made: list[tuple[list[str], AttributeFact, bool]]
    ) -> list[Finding]:
        """Parameters (and layers) a module made after the optimizer was built, in a forward or a
        method: one finding per statement of the optimizer's function that made them exist (the
        model's first call), with the fixes that make the optimizer see them."""
        assert optimizer.site is not None
        source = project.source(optimizer.site.file)
        built = source.nodes_at(optimizer.site, cst.Call)
        opt_statement = source.statement_of(built[0]) if len(built) == 1 else None
        groups: dict[Optional[tuple[int, Optional[int]]], list[tuple[list[str], AttributeFact, bool]]] = {}
        triggers: dict[Optional[tuple[int, Optional[int]]], Optional[tuple[Site, cst.Call]]] = {}
        for item in made:
            trigger = _trigger(source, opt_statement, item[1].chain) if opt_statement is not None else None
            key = (trigger[0].line, trigger[0].column) if trigger is not None else None
            groups.setdefault(key, []).append(item)
            triggers[key] = trigger
        findings = []
        for key, items in groups.items():
            names = [n for ns, _, _ in items for n in ns]
            first = items[0][1]
            if first.site is None or not project.is_editable(first.site.file):
                continue
            trigger = triggers[key]
            # Building the layer in __init__ as a lazy module needs neither the optimizer's
            # function nor the first call's inputs: it is a candidate wherever the layer is made.
            lazy = self._lazy_in_init(project, items, names)
            candidates: list[Candidate] = lazy
            if trigger is not None and opt_statement is not None:
                candidates = self._late_candidates(trace, source, optimizer, opt_statement, trigger, items, names, lazy)
            one = len(names) == 1
            where = f" in {first.site.function}()" if first.site.function.isidentifier() else ""
            if trigger is not None:
                where += f", {'at the first call' if first.in_call else 'by the call'} at line {trigger[0].line}"
            message = (
                f"{short_list(names)} {'receives' if one else 'receive'} gradients but no optimizer holds "
                f"{'it' if one else 'them'}: {'it is' if one else 'they are'} made here{where}, after the "
                f"optimizer (line {optimizer.site.line}) took the parameters that existed then; "
                f"if {'it is' if one else 'they are'} meant to stay fixed, set requires_grad=False on {'it' if one else 'them'}"
            )
            findings.append(self.finding(project, first.site, message, names, candidates[:6]))
        return findings

    def _late_candidates(
        self,
        trace: Trace,
        source: SourceFile,
        optimizer: OptimizerFact,
        opt_statement: cst.BaseStatement,
        trigger: tuple[Site, cst.Call],
        items: list[tuple[list[str], AttributeFact, bool]],
        names: list[str],
        lazy: list[Candidate],
    ) -> list[Candidate]:
        """Most conservative first: build the optimizer after the statement that made them, when
        that statement runs once and nothing uses the optimizer before it; add them as a param
        group right after that statement, when it runs once; run the model once under no_grad
        before the optimizer, on the first batch the script has there; build the layers in
        ``__init__`` as lazy modules (``lazy``); add them as a param group right after the
        statement, guarded so that it happens once, when that statement runs in a loop."""
        call = trigger[1]
        statement = source.statement_of(call)
        target = _assigned_name(source, opt_statement)
        if statement is None:
            return []
        opt_loops = {id(a) for a in source.ancestors(opt_statement) if isinstance(a, (cst.For, cst.While))}
        once = not any(isinstance(a, (cst.For, cst.While)) and id(a) not in opt_loops for a in source.ancestors(statement))
        candidates = []
        anchor = _sibling_after(source, opt_statement, statement)
        if once and target is not None and anchor is not None:
            block, start, end = anchor
            between = block[start + 1 : end + 1]
            if not any(_mentions(source, s, target) for s in between):
                start_offset, end_offset = source.statement_lines(opt_statement, with_comments=True)
                first_line, last_line = source.position(start_offset).line, source.range(opt_statement).end.line
                moved = source.text[start_offset:end_offset]
                after = source.range(block[end]).end.line + 1
                candidates.append(self.candidate(
                    f"build the optimizer after line {source.range(block[end]).start.line}, once the model made its parameters",
                    source.path, [source.remove_lines(first_line, last_line), source.insert_lines(after, moved)], names,
                ))
        scope = {module_id: name for name, module_id in optimizer.scope_modules.items()}
        members, held = self._members(trace, scope, items)
        group = None
        if members and target is not None:
            group = members[0][1:] if len(members) == 1 and members[0].startswith("*") else f"[{', '.join(members)}]"
        if once and group is not None:
            line = f'{target}.add_param_group({{"params": {group}}})'
            where = source.range(statement)
            candidates.append(self.candidate(
                f"add them to the optimizer as a param group, after line {where.start.line}",
                source.path, [source.insert_lines(where.end.line + 1, f"{source.indentation(where.start.line)}{line}\n")], names,
            ))
        batch = next((fact.batch for _, fact, _ in items if fact.batch is not None), None)
        if items[0][1].in_call and source.code(call.func) in optimizer.scope_modules:
            dry = _dry_run_call(source, call, opt_statement, batch)
            grad_off = _no_grad(source)
            if dry is not None and grad_off is not None:
                first_line = source.position(source.statement_lines(opt_statement, with_comments=True)[0]).line
                indent = source.indentation(source.range(opt_statement).start.line)
                unit = source.module.default_indent
                text = f"{indent}with {grad_off}:\n{indent}{unit}{dry}\n"
                candidates.append(self.candidate(
                    f"run {source.code(call.func)} once under no_grad before the optimizer is built, so its parameters exist",
                    source.path, [source.insert_lines(first_line, text)], names,
                ))
        candidates += lazy
        if not once and group is not None and held is not None:
            # The statement runs at every step: the group is added the first time only, when the
            # optimizer does not hold the new parameters yet (adding them twice raises).
            where = source.range(statement)
            indent = source.indentation(where.start.line)
            unit = source.module.default_indent
            text = (
                f'{indent}if not any(p is {held} for group in {target}.param_groups for p in group["params"]):\n'
                f'{indent}{unit}{target}.add_param_group({{"params": {group}}})\n'
            )
            candidates.append(self.candidate(
                f"add them to the optimizer as a param group after line {where.start.line}, the first time it runs",
                source.path, [source.insert_lines(where.end.line + 1, text)], names,
            ))
        return candidates

    def _lazy_in_init(
        self, project: Project, items: list[tuple[list[str], AttributeFact, bool]], names: list[str]
    ) -> list[Candidate]:
        """The layers a module built in its first call, built in ``__init__`` instead as lazy
        modules (``nn.Linear(h.shape[1], n)`` -> ``nn.LazyLinear(n)``), and the block that built them
        (``if self.head is None:``) gone: the optimizer then holds their parameters, uninitialised,
        and torch fills the same objects in on the first call."""
        sites = {fact.site.file for _, fact, _ in items if fact.site is not None}
        if len(sites) != 1 or not all(is_module and fact.in_call and fact.site is not None for _, fact, is_module in items):
            return []
        path = sites.pop()
        if not project.is_editable(path):
            return []
        source = project.source(path)
        layers = [_lazy_layer(source, fact) for _, fact, _ in items]
        if any(layer is None for layer in layers) or len({id(layer.init) for layer in layers if layer is not None}) != 1:
            return []
        built = [layer for layer in layers if layer is not None]
        statements = {id(layer.statement) for layer in built}
        guards = {id(layer.guard): layer.guard for layer in built}
        if any(id(s) not in statements for guard in guards.values() for s in guard.body.body):
            return []  # the block does more than build the layers
        init = built[0].init
        edits = [source.remove_statement(guard) for guard in guards.values()]
        # Each layer replaces its `self.head = None` in __init__ when the attributes it reads are
        # bound by then; the others go at the end of __init__.
        appended = []
        body_indent = source.indentation(source.range(init.body.body[0]).start.line)
        for layer in built:
            # libcst writes an expression's continuation lines relative to its block: moved into
            # __init__, they keep their place relative to the statement.
            if layer.placeholder is not None and layer.reads <= _self_bound_before(source, init, layer.self_name, layer.placeholder):
                assign = layer.placeholder.body[0]
                assert isinstance(assign, cst.Assign)
                edits.append(source.replace_node(assign.value, cst.parse_expression(layer.value, config=source.module.config_for_parsing)))
                continue
            if layer.placeholder is not None:
                edits.append(source.remove_statement(layer.placeholder))
            text = "\n".join(line if i == 0 or not line.strip() else body_indent + line for i, line in enumerate(layer.value.split("\n")))
            appended.append(f"{body_indent}{layer.self_name}.{layer.attr} = {text}\n")
        if appended:
            edits.append(source.insert_lines(source.range(init).end.line + 1, "".join(appended)))
        built_names = ", ".join(f"{layer.self_name}.{layer.attr}" for layer in built)
        return [self.candidate(
            f"build {built_names} in __init__ as lazy modules, which learn their input size on the first call",
            source.path, edits, names,
        )]

    def _members(
        self, trace: Trace, scope: dict[int, str], items: list[tuple[list[str], AttributeFact, bool]]
    ) -> tuple[list[str], Optional[str]]:
        """What a param group of the new parameters holds, as the optimizer's frame names them
        (``*model.head.parameters()``, ``model.layer1.alpha``), and one of those parameters by
        itself (``model.head[0].weight``): whether the optimizer holds them already."""
        members: list[str] = []
        held = None
        for ns, fact, is_module in items:
            owner = next((m for m in trace.modules if m.path == fact.owner_name), None)
            base = self._expression(trace, scope, owner) if owner is not None else None
            # Names from the run go into the fix only as dotted identifiers (and list indices).
            if base is None or not fact.attr.isidentifier() or not all(
                part.isidentifier() for part in re.sub(r"\[\d+\]", "", base).split(".")
            ):
                return [], None
            members.append(f"*{base}.{fact.attr}.parameters()" if is_module else f"{base}.{fact.attr}")
            prefix = f"{fact.owner_name}.{fact.attr}"
            if held is None and ns and (ns[0] == prefix or ns[0].startswith(prefix + ".")):
                below = ns[0][len(prefix) + 1 :].split(".") if ns[0] != prefix else []
                if all(part.isidentifier() or part.isdigit() for part in below):
                    held = f"{base}.{fact.attr}" + "".join(f"[{part}]" if part.isdigit() else f".{part}" for part in below)
        return members, held

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
    def _placements(
        trace: Trace, optimizer: OptimizerFact, module: ModuleFact, source: SourceFile, statement: cst.SimpleStatementLine
    ) -> list[tuple[str, cst.SimpleStatementLine]]:
        """Names the statement's frame has for the optimizer, each with the statement after which
        both it and the module are bound: the target it was built into in the same function,
        before; the name a training step uses, when that name is local to the same function or
        ``self.<x>`` in a method of the same class (after the statement of that function that binds
        it, when that comes later: ``self.optimizer = optimizer`` after the loss module); the names
        the frame that built the module had for the optimizer then (a Trainer's ``optimizer``
        argument, an optimizer a helper returned)."""
        function = source.enclosing_function(statement)
        owner = _class_of(source, function)
        line = source.range(statement).start.line
        found: list[tuple[str, cst.SimpleStatementLine]] = []

        def add(name: str, anchor: cst.SimpleStatementLine) -> None:
            if all(name != known for known, _ in found):
                found.append((name, anchor))

        if optimizer.site is not None and optimizer.site.file == source.path and optimizer.site.line < line:
            built = source.statements_on_line(optimizer.site.line)
            if built and source.enclosing_function(built[0]) is function and isinstance(built[0], cst.SimpleStatementLine):
                small = built[0].body[0] if len(built[0].body) == 1 else None
                if isinstance(small, cst.Assign) and len(small.targets) == 1 and isinstance(small.targets[0].target, (cst.Name, cst.Attribute)):
                    add(source.code(small.targets[0].target), statement)
        for backward in trace.backwards:
            if backward.site is None or backward.site.file != source.path:
                continue
            there = source.statements_on_line(backward.site.line)
            if not there:
                continue
            used_in = source.enclosing_function(there[0])
            for name, index in backward.scope_optimizers.items():
                if index != optimizer.id:
                    continue
                parts = name.split(".")
                if not all(part.isidentifier() for part in parts):
                    continue
                if len(parts) == 1 and used_in is function and name in _bound_in(function or source.module):
                    add(name, _bound_later(source, function or source.module, name, statement) or statement)
                elif (
                    parts[0] == "self" and len(parts) == 2 and owner is not None and _class_of(source, used_in) is owner
                    and name in _bound_in(owner)
                ):
                    add(name, (_bound_later(source, function, name, statement) if function is not None else None) or statement)
        # The names the module's own frame had for the optimizer when it built it: bound before
        # this statement, when the statement is in that frame's function.
        if module.site is not None and module.site.file == source.path:
            made = source.statements_on_line(module.site.line)
            if made and source.enclosing_function(made[0]) is function:
                bound = _bound_in(function or source.module)
                for name, index in module.scope_optimizers.items():
                    parts = name.split(".")
                    if index == optimizer.id and all(part.isidentifier() for part in parts) and name in bound:
                        add(name, statement)
        return found

    # -- left out by the collection of the optimizer's parameters -------------------------------------

    def _group_after(
        self, project: Project, optimizer: OptimizerFact, tensors: list[str], modules: Optional[list[str]] = None
    ) -> list[Candidate]:
        """``optimizer.add_param_group({"params": [...]})`` right after the optimizer is built and
        the groups the script adds to it there: the tensors, and the parameters of the modules
        (``{"params": clf_head.parameters()}`` for one module alone)."""
        assert optimizer.site is not None
        source = project.source(optimizer.site.file)
        built = source.nodes_at(optimizer.site, cst.Call)
        statement = source.statement_of(built[0]) if len(built) == 1 else None
        target = _assigned_name(source, statement) if statement is not None else None
        block = source.parent(statement) if statement is not None else None
        if statement is None or target is None or not isinstance(block, (cst.IndentedBlock, cst.Module)):
            return []
        body = list(block.body)
        last = statement
        for following in body[next(i for i, s in enumerate(body) if s is statement) + 1 :]:
            call = following.body[0].value if isinstance(following, cst.SimpleStatementLine) and isinstance(following.body[0], cst.Expr) else None
            if not isinstance(call, cst.Call) or source.code(call.func) != f"{target}.add_param_group":
                break
            last = following
        where = source.range(last)
        modules = modules or []
        if len(modules) == 1 and not tensors:
            group = f"{modules[0]}.parameters()"
        else:
            group = f"[{', '.join([*(f'*{m}.parameters()' for m in modules), *tensors])}]"
        line = f'{source.indentation(source.range(statement).start.line)}{target}.add_param_group({{"params": {group}}})\n'
        return [self.candidate(
            f"add {short_list(modules + tensors)} to the optimizer as a param group, after line {where.start.line}",
            source.path, [source.insert_lines(where.end.line + 1, line)],
        )]

    def _group_in_callers(
        self, trace: Trace, project: Project, optimizer: OptimizerFact, left: dict[str, "LeftOut"], names: list[str]
    ) -> list[Candidate]:
        """``optimizer.add_param_group({"params": [model.dense_head.box_scale]})`` right after the
        statement of a caller that binds what the optimizer's helper returned (``optimizer =
        build_optimizer(model, cfg)``), with the names that caller's frame has for the modules. What
        the helper returned may be a wrapper that keeps the optimizer (``self.opt``) and has no
        ``add_param_group``: the chains of calls that stepped the optimizer say by which attribute
        (a wrapper's ``step()`` that runs ``self.opt.step()``), and the group goes through it too."""
        inner = _inner_paths(trace, project, optimizer)
        candidates: list[Candidate] = []
        for caller in optimizer.callers:
            if not project.is_editable(caller.site.file):
                continue
            source = project.source(caller.site.file)
            calls = source.nodes_at(caller.site, cst.Call)
            statement = source.statement_of(calls[0]) if len(calls) == 1 else None
            if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
                continue
            assign = statement.body[0]
            if not isinstance(assign, cst.Assign) or len(assign.targets) != 1 or assign.value is not calls[0]:
                continue  # a `return build(...)` is bound further out; a call inside a larger value binds something else
            if not isinstance(assign.targets[0].target, (cst.Name, cst.Attribute)) or not isinstance(source.parent(statement), (cst.IndentedBlock, cst.Module)):
                continue
            scope = {module_id: name for name, module_id in caller.scope_modules.items()}
            tensors = []
            for a in left.values():
                owner = trace.module(a.owner)
                base = self._expression(trace, scope, owner) if owner is not None else None
                if base is None or not a.attr.isidentifier():
                    break
                tensors.append(f"{base}.{a.attr}")
            else:
                target = source.code(assign.targets[0].target)
                where = source.range(statement)
                for path in [target, *(target + suffix for suffix in inner)]:
                    line = f'{source.indentation(where.start.line)}{path}.add_param_group({{"params": [{", ".join(tensors)}]}})\n'
                    candidates.append(self.candidate(
                        f"add {short_list(tensors)} to the optimizer{'' if path == target else f' {path}'} as a param group, after line {where.start.line}",
                        source.path, [source.insert_lines(where.end.line + 1, line)], names,
                    ))
        return candidates[:4]

    def _extend_collection(self, project: Project, optimizer: OptimizerFact) -> list[Candidate]:
        """The loops that collected the optimizer's parameter lists (``for k, v in
        model.named_modules(): ... pg1.append(v.weight)``, ``for n, p in model.named_parameters():
        if ...: decay.append(p) elif ...: no_decay.append(p)``) made to collect the rest too, into
        each list in turn: the lists of groups that are not given a weight decay first."""
        assert optimizer.site is not None
        source = project.source(optimizer.site.file)
        built = source.nodes_at(optimizer.site, cst.Call)
        statement = source.statement_of(built[0]) if len(built) == 1 else None
        if statement is None:
            return []
        function = source.enclosing_function(statement)
        lists = _group_lists(source, built[0], function or source.module, _assigned_name(source, statement))
        found: list[tuple[bool, Candidate]] = []
        for name, decays, filled, before in lists:
            for loop in descendants(filled, cst.For):
                if source.enclosing_scope(loop) is not filled or source.range(loop).end.line >= before:
                    continue
                if not _appends_to(loop.body, name):
                    continue
                edit = _collect_rest(source, loop, name)
                if edit is not None:
                    found.append((decays, self.candidate(
                        f"make the loop at line {source.range(loop).start.line} collect the parameters it leaves out, into {name}",
                        source.path, [edit],
                    )))
        return [c for _, c in sorted(found, key=lambda item: item[0])]

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
            ) or isinstance(given, cst.ListComp)  # `[p for m in layers for p in m.parameters()]`: a list already
            text = (source.code(given) if is_list else f"list({source.code(given)})") + "".join(f" + list({n}.parameters())" for n in extra)
            if tensors:
                text += f" + [{', '.join(tensors)}]"
            new = cst.parse_expression(text, config=source.module.config_for_parsing)
            candidates = [self.candidate(f"add {', '.join(extra + tensors)} to the optimizer", source.path, [source.replace_node(target.value, new)])]
            if not is_list and extra:
                # Chained, not listed: what the optimizer is given stays a one-pass iterable, as
                # the script gave it (an optimizer class of its own may take no list).
                chain, imported = spelled_or_imported(source, "itertools.chain")
                parts = [source.code(given), *(f"{n}.parameters()" for n in extra)] + ([f"[{', '.join(tensors)}]"] if tensors else [])
                chained = cst.parse_expression(f"{chain}({', '.join(parts)})", config=source.module.config_for_parsing)
                candidates.append(self.candidate(
                    f"add {', '.join(extra + tensors)} to the optimizer with {chain}", source.path,
                    [*imported, source.replace_node(target.value, chained)],
                ))
            if isinstance(given, cst.Name) and extra and not tensors:
                # A name may hold param groups (dicts), which a list of tensors cannot join: a group of their own.
                groups = " + [" + ", ".join(f'{{"params": {n}.parameters()}}' for n in extra) + "]"
                grouped = cst.parse_expression(source.code(given) + groups, config=source.module.config_for_parsing)
                candidates.append(self.candidate(f"add {', '.join(extra)} to the optimizer as a param group", source.path, [source.replace_node(target.value, grouped)]))
            return candidates
        return []


def _inner_paths(trace: Trace, project: Project, optimizer: OptimizerFact) -> list[str]:
    """How an object that keeps the optimizer reaches it, from the chains of calls that stepped
    it: a frame that names it ``self.opt`` ran a method its caller called on ``<x>.step()``, so
    ``<x>.opt`` is the optimizer (``.opt``). An optimizer stepped by name directly gives none."""
    found: list[str] = []
    for call in trace.step_calls:
        if call.optimizer != optimizer.id or len(call.sites) < 2 or len(call.names) < 2:
            continue
        if any(index == optimizer.id for index in call.names[1].values()):
            continue  # the caller names the optimizer itself
        inside = sorted(n for n, index in call.names[0].items() if index == optimizer.id and n.startswith("self."))
        site = call.sites[1]
        if not inside or not project.is_editable(site.file):
            continue
        method = project.source(site.file).nodes_at(site, cst.Call)
        if len(method) != 1 or not isinstance(method[0].func, cst.Attribute):
            continue  # the wrapper's method was not called on an object there
        suffix = inside[0][len("self"):]
        if all(part.isidentifier() for part in suffix.split(".")[1:]) and suffix not in found:
            found.append(suffix)
    return found


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


def _class_of(source: SourceFile, function: Optional[cst.FunctionDef]) -> Optional[cst.ClassDef]:
    """The class a function is a method of."""
    block = source.parent(function) if function is not None else None
    owner = source.parent(block) if block is not None else None
    return owner if isinstance(owner, cst.ClassDef) else None


def _bound_later(
    source: SourceFile, scope: cst.CSTNode, name: str, statement: cst.BaseStatement
) -> Optional[cst.SimpleStatementLine]:
    """The first statement of ``scope`` after ``statement`` that binds ``name`` (``self.optimizer
    = optimizer``, ``self.optimizer, self.scheduler = pair``), when nothing binds it before
    ``statement`` there (not a parameter of the function either)."""
    if isinstance(scope, cst.FunctionDef):
        params = scope.params
        if name in {p.name.value for p in [*params.params, *params.kwonly_params, *params.posonly_params]}:
            return None
    line = source.range(statement).start.line
    later = []
    for node in _own_statements(scope):
        targets = []
        for small in node.body:
            if isinstance(small, cst.Assign):
                targets += [t.target for t in small.targets]
            elif isinstance(small, cst.AnnAssign) and small.value is not None:
                targets.append(small.target)
        flat = [e.value for t in targets for e in (t.elements if isinstance(t, (cst.Tuple, cst.List)) else [cst.Element(t)])]
        if not any(isinstance(t, (cst.Name, cst.Attribute)) and source.code(t) == name for t in flat):
            continue
        start = source.range(node).start.line
        if start <= line:
            return None
        later.append((start, node))
    return min(later, key=lambda item: item[0])[1] if later else None


def _own_statements(scope: cst.CSTNode) -> list[cst.SimpleStatementLine]:
    """The simple statements a function or module runs itself, in blocks of its own (``if``,
    ``for``, ``with`` ...), not those of the functions and classes it defines."""
    found: list[cst.SimpleStatementLine] = []

    class Collect(cst.CSTVisitor):
        def on_visit(self, node: cst.CSTNode) -> bool:
            if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)) and node is not scope:
                return False
            if isinstance(node, cst.SimpleStatementLine):
                found.append(node)
                return False
            return True

    scope.visit(Collect())
    return found


def _bound_in(scope: cst.CSTNode) -> set[str]:
    """What a function (its parameters and assignments), a class (``self.<x> = ...``) or a module
    binds, as source text: a name read from the run goes into a fix only when the source binds it."""
    bound: set[str] = set()
    if isinstance(scope, cst.FunctionDef):
        bound |= {p.name.value for p in [*scope.params.params, *scope.params.kwonly_params, *scope.params.posonly_params]}
    for node in descendants(scope, cst.AssignTarget):
        targets = node.target.elements if isinstance(node.target, (cst.Tuple, cst.List)) else [cst.Element(node.target)]
        for target in targets:
            if isinstance(target.value, (cst.Name, cst.Attribute)):
                bound.add(cst.Module([]).code_for_node(target.value))
    return bound


# -- made after the optimizer ----------------------------------------------------------------------


def _made_once(trace: Trace) -> dict[str, AttributeFact]:
    """Parameters a module made for itself with one assignment in user code (``self.s =
    nn.Parameter(...)``), that receive gradients and that no optimizer holds: by name. One assigned
    again at every call is a new parameter each time, which no optimizer can hold."""
    made = {}
    for attribute in trace.attributes:
        if attribute.kind != "parameter" or attribute.count != 1 or attribute.site is None:
            continue
        if attribute.replaced_held:
            continue  # GF062: it replaced a parameter an optimizer held (`layer.weight = nn.Parameter(w)`)
        owner = trace.module(attribute.owner)
        p = trace.param(f"{attribute.owner_name}.{attribute.attr}")
        if owner is None or owner.loaded or p is None:
            continue
        if p.requires_grad and p.is_leaf and p.got_grad and not p.optimizers and not p.changed:
            made[p.name] = attribute
    return made


class LeftOut(NamedTuple):
    """A parameter a module holds itself, not in a layer of its own: the module and its attribute."""

    owner: int
    owner_name: str
    attr: str


def _left_out(trace: Trace, stepping: list[OptimizerFact]) -> dict[str, LeftOut]:
    """Parameters a module holds itself, not in a layer of its own (``self.p2_w1 =
    nn.Parameter(...)`` in user code, a ``MultiheadAttention``'s ``in_proj_weight``, also in the
    layers ``nn.TransformerEncoder`` deep-copies from its template) that receive gradients that
    are not zero and that no optimizer holds, while a
    stepping optimizer holds every other trainable parameter of that module, its layers' included:
    the optimizer's parameters were collected by what they are (each layer's ``weight`` and
    ``bias``, names that end in ``.weight``), and these are what the collection missed. Innermost
    modules first: parameters missed that way inside a module (a layer scale in each block) count
    as held for the module around it (a class token on the model). A loaded module's are left
    alone unless the script chose them; so is a module with nothing else held (a linear probe's
    encoder, whose layers no optimizer holds either)."""
    held = {n for o in stepping for n in o.params}

    def stranded(name: str) -> bool:
        p = trace.param(name)
        return p is not None and p.requires_grad and p.is_leaf and p.nonzero_grad and not p.optimizers and not p.changed

    made: dict[str, LeftOut] = {}
    handed_off: set[str] = set()  # other rules' parameters: not found again by name below
    for attribute in trace.attributes:
        if attribute.kind != "parameter" or attribute.site is None:
            continue
        name = f"{attribute.owner_name}.{attribute.attr}"
        if attribute.replaced_held or (attribute.in_call and attribute.count > 1):
            # replaced_held: an optimizer held the parameter it replaced (GF062's); made anew at
            # every call of its module, no optimizer can hold it (GF026's)
            handed_off.add(name)
            continue
        owner = trace.module(attribute.owner)
        if owner is None or not stranded(name):
            continue
        if owner.loaded and not _chosen(trace, [name]):
            continue
        made[name] = LeftOut(owner.id, attribute.owner_name, attribute.attr)
    # Registered by a library's module (no assignment of user code made them), or on a deep copy
    # of a layer (a copy skips __init__, so no assignment was seen): found by their names.
    by_path = {m.path: m for m in trace.modules if m.path}
    for p in trace.params:
        if p.name in made or p.name in handed_off or p.module is None or "." not in p.name:
            continue
        owner_name, attr = p.name.rsplit(".", 1)
        owner = by_path.get(owner_name)
        if owner is None or not attr.isidentifier() or not stranded(p.name):
            continue
        if owner.loaded and not _chosen(trace, [p.name]):
            continue
        made[p.name] = LeftOut(owner.id, owner_name, attr)
    trainable = [p.name for p in trace.params if p.requires_grad and p.is_leaf]
    accepted: set[str] = set()
    for owner_name in sorted({a.owner_name for a in made.values()}, key=lambda n: -n.count(".")):
        own = {n for n, a in made.items() if a.owner_name == owner_name}
        others = [n for n in trainable if n.startswith(owner_name + ".") and n not in own]
        if any(n in held for n in others) and all(n in held or n in accepted for n in others):
            accepted |= own
    return {n: a for n, a in made.items() if n in accepted}


def _group_lists(
    source: SourceFile, call: cst.Call, scope: cst.CSTNode, target: Optional[str]
) -> list[tuple[str, bool, cst.CSTNode, int]]:
    """The lists the optimizer's groups were given (``SGD(pg0, ...)``, ``AdamW([{"params": decay,
    "weight_decay": 0.05}, ...])``, ``optimizer.add_param_group({"params": pg1})``, or what a
    function of the file that built them returned: ``SGD(param_groups(net), ...)``): each list's
    name, whether its group is given a weight decay that is not 0, the function (or module) that
    filled it, and the line before which it was filled."""

    def decay_of(args: list[tuple[str, cst.BaseExpression]], default: bool) -> bool:
        value = next((v for k, v in args if k == "weight_decay"), None)
        return default if value is None else not is_zero_literal(value)

    def from_dict(node: cst.BaseExpression, default: bool) -> Optional[tuple[str, bool]]:
        if not isinstance(node, cst.Dict):
            return None
        items = [
            (e.key.evaluated_value, e.value) for e in node.elements
            if isinstance(e, cst.DictElement) and isinstance(e.key, cst.SimpleString) and isinstance(e.key.evaluated_value, str)
        ]
        params = next((v for k, v in items if k == "params"), None)
        return (params.value, decay_of(items, default)) if isinstance(params, cst.Name) else None

    def lists_in(given: Optional[cst.BaseExpression], default: bool, depth: int = 0) -> list[tuple[str, bool, cst.CSTNode, int]]:
        where = source.statement_of(given) if given is not None else None
        if given is None or where is None:
            return []
        filled = source.enclosing_scope(where)
        line = source.range(where).start.line
        if isinstance(given, cst.Name):
            bound = source.bound_once(given)
            value = bound[0].value if bound is not None else None
            if isinstance(value, (cst.List, cst.Tuple)) and value.elements and all(isinstance(e.value, cst.Dict) for e in value.elements):
                given = value
            else:
                return [(given.value, default, filled, line)]
        if isinstance(given, (cst.List, cst.Tuple)):
            return [(*item, filled, line) for e in given.elements if (item := from_dict(e.value, default)) is not None]
        if isinstance(given, cst.Call) and isinstance(given.func, cst.Name) and depth == 0:
            helper = next((s for s in source.module.body if isinstance(s, cst.FunctionDef) and s.name.value == given.func.value), None)
            returns = [r for r in descendants(helper, cst.Return) if source.enclosing_function(r) is helper] if helper is not None else []
            if len(returns) == 1 and returns[0].value is not None:
                return lists_in(returns[0].value, default, depth + 1)
        return []

    keywords = [(a.keyword.value, a.value) for a in call.args if a.keyword is not None]
    default = decay_of(keywords, False)
    given = next((v for k, v in keywords if k == "params"), None)
    if given is None and call.args and call.args[0].keyword is None and not call.args[0].star:
        given = call.args[0].value
    found = lists_in(given, default)
    if target is not None:
        for statement in _own_statements(scope):
            small = statement.body[0] if len(statement.body) == 1 else None
            added = small.value if isinstance(small, cst.Expr) else None
            if isinstance(added, cst.Call) and source.code(added.func) == f"{target}.add_param_group" and len(added.args) == 1:
                item = from_dict(added.args[0].value, False)
                if item is not None:
                    found.append((*item, scope, source.range(statement).start.line))
    names: list[tuple[str, bool, cst.CSTNode, int]] = []
    for entry in found:
        if all(entry[0] != n for n, *_ in names):
            names.append(entry)
    return names


def _appends_to(node: cst.CSTNode, name: str) -> bool:
    """Whether ``name.append(...)``, ``name.extend(...)`` or ``name += ...`` is in ``node``."""
    for call in descendants(node, cst.Call):
        func = call.func
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value == name and func.attr.value in ("append", "extend"):
            return True
    return any(isinstance(a.target, cst.Name) and a.target.value == name for a in descendants(node, cst.AugAssign))


def _loop_variable(loop: cst.For, named: bool) -> Optional[str]:
    """``m`` of ``for m in ...``, ``v`` of ``for k, v in ...named_...()``."""
    target = loop.target
    if not named:
        return target.value if isinstance(target, cst.Name) else None
    if isinstance(target, (cst.Tuple, cst.List)) and len(target.elements) == 2 and isinstance(target.elements[1].value, cst.Name):
        return target.elements[1].value.value
    return None


def _collect_rest(source: SourceFile, loop: cst.For, into: str) -> Optional[Edit]:
    """The edit that makes a collecting loop take what it leaves out into ``into``: over modules,
    each module's own parameters other than the attributes the loop takes (``weight``,
    ``bias``); over parameters, an ``else`` for the ``if``/``elif`` chain that sorts them."""
    iterated = loop.iter
    if not isinstance(iterated, cst.Call) or not isinstance(iterated.func, cst.Attribute) or not isinstance(loop.body, cst.IndentedBlock):
        return None
    kind = iterated.func.attr.value
    if kind in ("modules", "named_modules"):
        module = _loop_variable(loop, kind == "named_modules")
        if module is None:
            return None
        taken = sorted({
            arg.value.attr.value for call in descendants(loop.body, cst.Call)
            if isinstance(call.func, cst.Attribute) and call.func.attr.value == "append" and len(call.args) == 1
            for arg in call.args
            if isinstance(arg.value, cst.Attribute) and isinstance(arg.value.value, cst.Name) and arg.value.value.value == module
        })
        if not taken:
            return None
        key, param = ("name", "p") if module not in ("name", "p") else ("key", "q")
        names = ", ".join(f'"{t}"' for t in taken) + ("," if len(taken) == 1 else "")
        first = loop.body.body[0]
        indent = source.indentation(source.range(first).start.line)
        line = f"{indent}{into}.extend({param} for {key}, {param} in {module}.named_parameters(recurse=False) if {key} not in ({names}))\n"
        return source.insert_lines(source.range(loop.body.body[-1]).end.line + 1, line)
    if kind in ("parameters", "named_parameters"):
        param = _loop_variable(loop, kind == "named_parameters")
        chains = [s for s in loop.body.body if isinstance(s, cst.If)]
        if param is None or not chains:
            return None
        chain = chains[-1]
        branches = [chain]
        while isinstance(branches[-1].orelse, cst.If):
            branches.append(branches[-1].orelse)
        if branches[-1].orelse is not None or not any(_appends_to(b.body, n) for b in branches for n in _appended_names(b.body, param)):
            return None
        indent = source.indentation(source.range(chain).start.line)
        text = f"{indent}else:\n{indent}{source.module.default_indent}{into}.append({param})\n"
        return source.insert_lines(source.range(chain).end.line + 1, text)
    return None


def _appended_names(node: cst.CSTNode, value: str) -> set[str]:
    """The lists ``value`` is appended to in ``node`` (``decay.append(p)``)."""
    return {
        call.func.value.value for call in descendants(node, cst.Call)
        if isinstance(call.func, cst.Attribute) and isinstance(call.func.value, cst.Name) and call.func.attr.value == "append"
        and len(call.args) == 1 and isinstance(call.args[0].value, cst.Name) and call.args[0].value.value == value
    }


def _made_in_call(trace: Trace, module: ModuleFact) -> Optional[AttributeFact]:
    """The assignment that bound a layer made once inside a module call (``self.head =
    nn.Linear(h.shape[1], 4)`` under ``if self.head is None``), if that is how it was made."""
    for attribute in trace.attributes:
        if attribute.kind == "module" and f"{attribute.owner_name}.{attribute.attr}" == module.path:
            return attribute if attribute.in_call and attribute.count == 1 and attribute.replaced is None else None
    return None


# Layers whose first argument is the size of their input, with their lazy forms: the same
# arguments without that one, learnt from the first input instead.
_LAZY = {
    "torch.nn.Linear": ("LazyLinear", "in_features"),
    **{f"torch.nn.{kind}{d}d": (f"Lazy{kind}{d}d", "in_channels") for kind in ("Conv", "ConvTranspose") for d in (1, 2, 3)},
    **{f"torch.nn.{kind}{d}d": (f"Lazy{kind}{d}d", "num_features") for kind in ("BatchNorm", "InstanceNorm") for d in (1, 2, 3)},
}


class _LazyLayer:
    """A layer assigned in a method under a guard (``if self.head is None:``), rewritten with lazy
    modules so that ``__init__`` can build it: ``value`` is its new source text."""

    def __init__(
        self, statement: cst.SimpleStatementLine, guard: cst.If, init: cst.FunctionDef, placeholder: Optional[cst.SimpleStatementLine],
        self_name: str, attr: str, value: str, reads: set[str],
    ):
        self.statement, self.guard, self.init, self.placeholder = statement, guard, init, placeholder
        self.self_name, self.attr, self.value, self.reads = self_name, attr, value, reads


def _lazy_layer(source: SourceFile, fact: AttributeFact) -> Optional[_LazyLayer]:
    """``self.<attr> = <layers sized by a local>`` at the fact's site, under an ``if`` that tests
    the attribute, in a method of a class with an ``__init__``: the same layers as lazy modules."""
    assert fact.site is not None
    statement = next((s for s in source.statements_on_line(fact.site.line) if isinstance(s, cst.SimpleStatementLine)), None)
    if statement is None or len(statement.body) != 1 or not isinstance(statement.body[0], cst.Assign):
        return None
    assign = statement.body[0]
    target = assign.targets[0].target if len(assign.targets) == 1 else None
    if not (isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name) and target.attr.value == fact.attr):
        return None
    self_name = target.value.value
    method = source.enclosing_function(statement)
    owner = _class_of(source, method)
    if method is None or owner is None or not method.params.params or method.params.params[0].name.value != self_name:
        return None
    init = next((s for s in owner.body.body if isinstance(s, cst.FunctionDef) and s.name.value == "__init__"), None)
    if init is None or init is method or not init.params.params or init.params.params[0].name.value != self_name:
        return None
    if not isinstance(init.body, cst.IndentedBlock):
        return None
    block = source.parent(statement)
    guard = source.parent(block) if block is not None else None
    if not isinstance(guard, cst.If) or guard.orelse is not None or source.enclosing_function(guard) is not method:
        return None
    tested = {n.attr.value for n in descendants(guard.test, cst.Attribute)} | {
        n.evaluated_value for n in descendants(guard.test, cst.SimpleString) if isinstance(n.evaluated_value, str)
    }
    if fact.attr not in tested:
        return None
    local = _binds(method.body) | {p.name.value for p in [*method.params.params, *method.params.kwonly_params, *method.params.posonly_params]}
    local.discard(self_name)
    lazify = _Lazify(source, local)
    value = assign.value.visit(lazify)
    # `.to(h.device)`: a layer built in __init__ moves with its module.
    while (
        isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute) and value.func.attr.value in ("to", "cuda")
        and _free_names(value) & local and not _free_names(value.func.value) & local
    ):
        value = value.func.value
    if lazify.failed or not lazify.changed or not isinstance(value, cst.BaseExpression) or _free_names(value) & local:
        return None
    reads = {
        f"{self_name}.{n.attr.value}" for n in descendants(value, cst.Attribute)
        if isinstance(n.value, cst.Name) and n.value.value == self_name
    }
    placeholder = None
    for candidate in _own_statements(init):
        small = candidate.body[0] if len(candidate.body) == 1 else None
        if (
            isinstance(small, cst.Assign) and len(small.targets) == 1 and isinstance(small.value, cst.Name) and small.value.value == "None"
            and source.code(small.targets[0].target) == f"{self_name}.{fact.attr}"
        ):
            placeholder = candidate
    return _LazyLayer(statement, guard, init, placeholder, self_name, fact.attr, source.module.code_for_node(value), reads)


class _Lazify(cst.CSTTransformer):
    """Layers whose input size is computed from the call's values (``nn.Linear(h.shape[1], 512)``)
    made lazy (``nn.LazyLinear(512)``)."""

    def __init__(self, source: SourceFile, local: set[str]):
        self.source, self.local = source, local
        self.failed = self.changed = False

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        lazy = next((_LAZY[n] for n in self.source.qualified_names(original.func) if n in _LAZY), None)
        if lazy is None:
            return updated
        name, keyword = lazy
        args = list(updated.args)
        if args and args[0].keyword is None and not args[0].star:
            index = 0
        else:
            index = next((i for i, a in enumerate(args) if a.keyword is not None and a.keyword.value == keyword), -1)
        if index < 0 or not _free_names(original.args[index].value) & self.local:
            return updated  # sized by a constant: it stays as it is
        if isinstance(updated.func, cst.Attribute):
            func: cst.BaseExpression = updated.func.with_changes(attr=cst.Name(name))
        else:
            nn = module_alias(self.source, "torch.nn")
            if nn is None:
                self.failed = True
                return updated
            func = cst.parse_expression(f"{nn}.{name}")
        del args[index]
        if args and index == len(args):
            args[-1] = args[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
        self.changed = True
        return updated.with_changes(func=func, args=args)


def _free_names(node: cst.CSTNode) -> set[str]:
    """The names an expression reads (not attribute names, not keywords)."""
    found: set[str] = set()

    class Collect(cst.CSTVisitor):
        def visit_Name(self, name: cst.Name) -> None:
            found.add(name.value)

        def visit_Attribute(self, attribute: cst.Attribute) -> bool:
            attribute.value.visit(self)
            return False

        def visit_Arg(self, arg: cst.Arg) -> bool:
            arg.value.visit(self)
            return False

    node.visit(Collect())
    return found


def _self_bound_before(source: SourceFile, init: cst.FunctionDef, self_name: str, statement: cst.SimpleStatementLine) -> set[str]:
    """The ``self.<x>`` that ``__init__`` assigns before ``statement``."""
    line = source.range(statement).start.line
    bound: set[str] = set()
    for node in _own_statements(init):
        if source.range(node).start.line >= line:
            continue
        for target in descendants(node, cst.AssignTarget):
            text = source.code(target.target)
            if text.startswith(f"{self_name}."):
                bound.add(text)
    return bound


def _trigger(source: SourceFile, opt_statement: cst.BaseStatement, chain: list[Site]) -> Optional[tuple[Site, cst.Call]]:
    """The call, in the function that built the optimizer, that led to the assignment: the frames
    that made it, innermost first, the first one in that function."""
    function = source.enclosing_function(opt_statement)
    for site in chain:
        if site.file != source.path:
            continue
        calls = source.nodes_at(site, cst.Call)
        if len(calls) == 1 and source.enclosing_function(calls[0]) is function:
            return site, calls[0]
    return None


def _assigned_name(source: SourceFile, statement: cst.BaseStatement) -> Optional[str]:
    """``optimizer`` for ``optimizer = Adam(...)`` (a name or ``self.<x>``)."""
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return None
    assign = statement.body[0]
    if not isinstance(assign, cst.Assign) or len(assign.targets) != 1:
        return None
    target = assign.targets[0].target
    if isinstance(target, cst.Name) or (isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name)):
        return source.code(target)
    return None


def _sibling_after(
    source: SourceFile, first: cst.BaseStatement, later: cst.BaseStatement
) -> Optional[tuple[list[cst.BaseStatement], int, int]]:
    """When ``later`` is (inside) a statement of the block that holds ``first``, after it: that
    block's statements and the two indices."""
    block = source.parent(first)
    if not isinstance(block, (cst.IndentedBlock, cst.Module)):
        return None
    body = list(block.body)
    node: Optional[cst.CSTNode] = later
    while node is not None and source.parent(node) is not block:
        node = source.parent(node)
    if node is None:
        return None
    start = next(i for i, s in enumerate(body) if s is first)
    end = next((i for i, s in enumerate(body) if s is node), -1)
    return (body, start, end) if end > start else None


def _mentions(source: SourceFile, statement: cst.CSTNode, name: str) -> bool:
    return any(source.code(n) == name for n in descendants(statement, cst.CSTNode) if isinstance(n, (cst.Name, cst.Attribute)))


def _no_grad(source: SourceFile) -> Optional[str]:
    """``torch.no_grad()`` as this file can write it."""
    torch = module_alias(source, "torch")
    if torch is not None:
        return f"{torch}.no_grad()"
    direct = module_alias(source, "torch.no_grad")
    return f"{direct}()" if direct is not None else None


def _binds(statement: cst.CSTNode) -> set[str]:
    """Names a statement binds (assignment, import, def, class, ``with ... as``, ``for`` targets)."""
    names: set[str] = set()
    if isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
        return {statement.name.value}
    for node in descendants(statement, cst.CSTNode):
        if isinstance(node, cst.AssignTarget):
            names |= _target_names(node.target)
        elif isinstance(node, (cst.AnnAssign, cst.AugAssign, cst.For, cst.CompFor)):
            names |= _target_names(node.target)
        elif isinstance(node, cst.AsName):
            names |= _target_names(node.name)  # type: ignore[arg-type]
        elif isinstance(node, cst.ImportAlias) and node.asname is None:
            names.add(cst.Module([]).code_for_node(node.name).split(".")[0])
        elif isinstance(node, (cst.FunctionDef, cst.ClassDef)):
            names.add(node.name.value)
    return names


def _target_names(target: cst.CSTNode) -> set[str]:
    if isinstance(target, cst.Name):
        return {target.value}
    if isinstance(target, (cst.Tuple, cst.List)):
        return {n for e in target.elements for n in _target_names(e.value)}
    if isinstance(target, cst.StarredElement):
        return _target_names(target.value)
    return set()


def _bound_before(source: SourceFile, statement: cst.BaseStatement) -> set[str]:
    """Names bound when ``statement`` runs, as far as the source says: what the statements before
    it in its blocks bind, the function's parameters, the module's names, the builtins."""
    names = set(dir(builtins))
    node: cst.CSTNode = statement
    for ancestor in source.ancestors(statement):
        if isinstance(ancestor, (cst.IndentedBlock, cst.Module)):
            for earlier in ancestor.body:
                if earlier is node:
                    break
                names |= _binds(earlier)
        if isinstance(ancestor, (cst.FunctionDef, cst.Lambda)):
            params = ancestor.params
            names |= {p.name.value for p in [*params.params, *params.kwonly_params, *params.posonly_params]}
            # A function runs once the module has bound its own names.
            names |= {n for s in source.module.body for n in _binds(s)}
            break
        node = ancestor
    return names


class _Binding:
    """A name bound between the optimizer and the call: by ``name = value`` (``targets`` the
    index path of each name in a tuple target) or as a ``for`` target over ``value``."""

    def __init__(self, names: dict[str, tuple[int, ...]], value: Optional[cst.BaseExpression], loop: bool):
        self.names, self.value, self.loop = names, value, loop


def _index_paths(target: cst.CSTNode, path: tuple[int, ...] = ()) -> Optional[dict[str, tuple[int, ...]]]:
    if isinstance(target, cst.Name):
        return {target.value: path}
    if isinstance(target, (cst.Tuple, cst.List)):
        found: dict[str, tuple[int, ...]] = {}
        for index, element in enumerate(target.elements):
            inner = _index_paths(element.value, (*path, index)) if not isinstance(element, cst.StarredElement) else None
            if inner is None:
                return None
            found.update(inner)
        return found
    return None


def _bindings_between(source: SourceFile, opt_statement: cst.BaseStatement, statement: cst.BaseStatement) -> Optional[list[_Binding]]:
    """What the statements and loops between the optimizer and the call bind, in the order they
    run: the call's inputs may come from them (``for xb, yb in loader``, ``idx = perm[i:i + 128]``)."""
    around = set(map(id, source.ancestors(opt_statement)))
    groups: list[list[_Binding]] = []
    node: cst.CSTNode = statement
    for ancestor in source.ancestors(statement):
        if isinstance(ancestor, (cst.IndentedBlock, cst.Module)):
            group = []
            earlier = list(ancestor.body)
            index = next(i for i, s in enumerate(earlier) if s is node)
            begin = 0
            if id(ancestor) in around:
                # The block that holds the optimizer too: only what runs after it.
                holder = next(s for s in earlier if s is opt_statement or id(s) in around)
                begin = earlier.index(holder) + 1
            for s in earlier[begin:index]:
                group.append(_binding_of(s))
            groups.append(group)
            if id(ancestor) in around:
                break
        elif isinstance(ancestor, cst.For) and id(ancestor) not in around:
            paths = _index_paths(ancestor.target)
            groups.append([_Binding(paths, ancestor.iter, True) if paths is not None else _Binding(dict.fromkeys(_target_names(ancestor.target), ()), None, True)])
        elif isinstance(ancestor, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            return None
        node = ancestor
    return [b for group in reversed(groups) for b in group]


def _binding_of(statement: cst.BaseStatement) -> _Binding:
    """``name = value`` or ``a, b = value``; anything else binds what it binds to an unknown value."""
    if isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1 and isinstance(statement.body[0], cst.Assign):
        assign = statement.body[0]
        if len(assign.targets) == 1:
            paths = _index_paths(assign.targets[0].target)
            if paths is not None:
                return _Binding(paths, assign.value, False)
    return _Binding(dict.fromkeys(_binds(statement), ()), None, False)


# Calls that draw new random values: a dry run on them would run on data the script never had
# (and shift the random stream the script's own data comes from).
_RANDOM = {f"torch.{name}" for name in (
    "rand", "randn", "randint", "randperm", "rand_like", "randn_like", "randint_like", "normal", "bernoulli", "multinomial", "poisson",
)}
_RANDOM_METHODS = {"normal_", "uniform_", "bernoulli_", "random_", "exponential_", "geometric_", "cauchy_", "log_normal_"}

_ATOMS = (cst.Name, cst.Attribute, cst.Call, cst.Subscript, cst.Integer, cst.Float, cst.SimpleString, cst.List, cst.Dict)


class _Inputs(cst.CSTTransformer):
    """The call's arguments rewritten with what is bound before the optimizer: a loop's variable
    becomes the first item of what it iterates (``next(iter(loader))[0]``), a name bound in
    between its value, and an index that depends on the loop (``x_train[idx]``) the first batch
    (``x_train[:128]``, the batch size of the run's first call)."""

    def __init__(self, source: SourceFile, bindings: list[_Binding], available: set[str], batch: Optional[int], position: int):
        # The batch size comes from the run, which may lie: only a plain positive int goes into code.
        batch = batch if type(batch) is int and 0 < batch < 1_000_000_000 else None
        self.source, self.bindings, self.available, self.batch, self.position = source, bindings, available, batch, position
        self.failed = False
        self.dependent = False  # something in it comes from the loop or from a statement in between

    def _inner(self, position: int) -> "_Inputs":
        return _Inputs(self.source, self.bindings, self.available, self.batch, position)

    def visit_Call(self, node: cst.Call) -> bool:
        names = self.source.qualified_names(node.func)
        if names & _RANDOM or any(n.startswith(("numpy.random.", "random.")) for n in names) or (
            isinstance(node.func, cst.Attribute) and node.func.attr.value in _RANDOM_METHODS
        ):
            self.failed = True
            return False
        return True

    def rewrite(self, node: cst.BaseExpression) -> Optional[cst.BaseExpression]:
        new = node.visit(self)
        return None if self.failed or not isinstance(new, cst.BaseExpression) else new

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        return False

    def leave_Attribute(self, original: cst.Attribute, updated: cst.Attribute) -> cst.BaseExpression:
        return updated.with_changes(value=original.value.visit(self))

    def visit_Arg(self, node: cst.Arg) -> bool:
        return False

    def leave_Arg(self, original: cst.Arg, updated: cst.Arg) -> cst.Arg:
        value = original.value.visit(self)
        if isinstance(original.value, cst.Name) and isinstance(value, cst.BaseExpression) and value.lpar:
            value = value.with_changes(lpar=[], rpar=[])  # an argument needs no parentheses of its own
        return updated.with_changes(value=value)

    def visit_Subscript(self, node: cst.Subscript) -> bool:
        return False

    def leave_Subscript(self, original: cst.Subscript, updated: cst.Subscript) -> cst.BaseExpression:
        value = original.value.visit(self)
        inner = self._inner(self.position)
        index = [element.visit(inner) for element in original.slice]
        if not inner.failed and not inner.dependent:
            return updated.with_changes(value=value, slice=index)
        if len(original.slice) != 1 or self.batch is None:
            self.failed = True
            return updated
        self.dependent = True
        first = cst.SubscriptElement(cst.Slice(lower=None, upper=cst.Integer(str(self.batch))))
        return updated.with_changes(value=value, slice=[first])

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        self.failed = True
        return False

    def visit_CompFor(self, node: cst.CompFor) -> bool:
        self.failed = True
        return False

    def leave_Name(self, original: cst.Name, updated: cst.Name) -> cst.BaseExpression:
        for at in range(self.position - 1, -1, -1):
            binding = self.bindings[at]
            if original.value not in binding.names:
                continue
            value = _binding_value(binding, binding.names[original.value], self._inner(at))
            if value is None:
                self.failed = True
                return updated
            self.dependent = True
            return value if isinstance(value, _ATOMS) else value.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
        if original.value not in self.available:
            self.failed = True
        return updated


def _binding_value(binding: _Binding, path: tuple[int, ...], rewriter: _Inputs) -> Optional[cst.BaseExpression]:
    """What a bound name holds, written with what is bound before the optimizer: ``value[i]`` for
    ``a, b = value``; the first item of a loop's iterable (``enumerate`` and ``zip`` unwrapped)."""
    if binding.value is None:
        return None
    value: cst.BaseExpression = binding.value
    if binding.loop:
        while path and isinstance(value, cst.Call) and isinstance(value.func, cst.Name) and not any(a.keyword or a.star for a in value.args):
            if value.func.value == "enumerate" and len(value.args) == 1:
                if path[0] == 0:
                    return cst.Integer("0")
                value, path = value.args[0].value, path[1:]
            elif value.func.value == "zip" and path[0] < len(value.args):
                value, path = value.args[path[0]].value, path[1:]
            else:
                break
        iterable = rewriter.rewrite(value)
        if iterable is None:
            return None
        value = cst.Call(cst.Name("next"), [cst.Arg(cst.Call(cst.Name("iter"), [cst.Arg(iterable)]))])
    else:
        # `images, targets = images.to(device), targets.to(device)`: the element itself.
        while path and isinstance(value, (cst.Tuple, cst.List)) and path[0] < len(value.elements) and not any(
            isinstance(e, cst.StarredElement) for e in value.elements
        ):
            value, path = value.elements[path[0]].value, path[1:]
        rewritten = rewriter.rewrite(value)
        if rewritten is None:
            return None
        value = rewritten if not path or isinstance(rewritten, _ATOMS) else rewritten.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
    for index in path:
        value = cst.Subscript(value, [cst.SubscriptElement(cst.Index(cst.Integer(str(index))))])
    return value


def _dry_run_call(source: SourceFile, call: cst.Call, opt_statement: cst.BaseStatement, batch: Optional[int]) -> Optional[str]:
    """The model's call, with inputs the script has before the optimizer is built: ``model(x_train[:128].to(device))``."""
    statement = source.statement_of(call)
    if statement is None:
        return None
    bindings = _bindings_between(source, opt_statement, statement)
    if bindings is None:
        return None
    rewriter = _Inputs(source, bindings, _bound_before(source, opt_statement), batch, len(bindings))
    func = rewriter.rewrite(call.func)
    args = [arg.visit(rewriter) for arg in call.args]
    if func is None or rewriter.failed:
        return None
    text = source.module.code_for_node(call.with_changes(func=func, args=args))
    return text if len(text) <= 240 and "\n" not in text else None
