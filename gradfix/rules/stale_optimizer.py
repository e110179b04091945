"""GF010: the optimizer was built before the model, or a layer of it, was replaced.

``optimizer = SGD(model.parameters())`` followed by ``model = Net()`` again, ``model =
Wrapper(model)``, ``model.fc = nn.Linear(...)``, or a helper that swaps a head (called on the model,
or on ``trainer.model`` after a Trainer built its optimizer): the optimizer holds the parameters of
the module that is gone, the module that is trained has parameters no optimizer holds. They receive
gradients and never change. Every edit the evidence allows is proposed, and the re-run picks, most
conservative first: build the optimizer (and the schedulers built over it) after the replacement;
make the replacement before the optimizer, or the object that builds it, is built; build the
optimizer and its schedulers again right after the replacement, with the script's own constructor
(``self.`` read through the caller's receiver: ``trainer.optimizer = SGD(trainer.model.parameters(),
...)``; a callback handed the learner or keeping it as ``self.learn``: ``learner.opt = ...``; a
top-level optimizer in a hook, declared ``global``), when what that constructor reads did not
change in between; add the new modules' parameters to it with ``add_param_group``.

A module method can also replace every parameter object at once, after the optimizer was built:
``model.to_empty(device=...)`` of a model built on the meta device, ``model.load_state_dict(state,
assign=True)``. The optimizer then holds tensors no module owns. Candidates: drop ``assign=True``
(the values copied into the parameters it holds); build it below the statement that makes the call
(or the call of the helper that makes it); build it again after the call.
"""

from __future__ import annotations

import builtins
import re
from dataclasses import dataclass, field
from typing import Iterator, Optional, Sequence, Union

import libcst as cst

from gradfix.edits import Edit
from gradfix.expressions import dotted_path
from gradfix.findings import Applicability, Candidate, Finding, short_list
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.source import SourceFile, descendants
from gradfix.trace import OptimizerFact, Site, Trace

MAX_CANDIDATES = 6


@dataclass
class _Replacement:
    trained: list[str]  # parameters of the new module: gradients, no optimizer
    site: Optional[Site] = None  # `model.fc = ...`: where the (first) attribute was assigned
    rebound: Optional[str] = None  # `model = Net()` again: the name bound a second time
    # every replaced attribute the optimizer held: (where it was assigned, the attribute's name)
    attributes: list[tuple[Site, str]] = field(default_factory=list)
    # `model = Wrapper(model)`: the new module holds the old one, whose parameters the optimizer has
    wrapped: bool = False


@dataclass
class _Built:
    """The statement that built the optimizer (``optimizer = Adam(...)``, ``self.opt = Adam(...)``)
    or a learning-rate scheduler over it."""

    statement: cst.SimpleStatementLine
    call: cst.Call
    target: str  # `optimizer` or `self.optimizer`
    function: Optional[cst.FunctionDef]  # where it runs; None at the top level
    owner: Optional[cst.ClassDef]  # for `self.<name> = ...`: the class of the method


class StaleOptimizer(Rule):
    code = "GF010"
    title = "optimizer built before the model was replaced"
    applicability = Applicability.SAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        unheld = [p.name for p in trace.params if p.got_grad and not p.optimizers and p.requires_grad]
        if not unheld:
            return []
        findings = self._stored_before_replacement(trace, project, unheld)
        findings += self._whole_model_replaced(trace, project, unheld)
        # A model replaced, then given an optimizer built from parameters stored before: the older
        # optimizer trained the model as it was, and the later one is the one to fix.
        explained = {name for finding in findings for name in finding.params}
        for optimizer in trace.optimizers:
            replacement = self._replacement(trace, optimizer, unheld)
            if replacement is None or optimizer.site is None or not project.is_editable(optimizer.site.file):
                continue
            if all(name in explained for name in replacement.trained):
                continue
            source = project.source(optimizer.site.file)
            built = _constructor(source, optimizer.site)
            if replacement.wrapped and not _rebinds_what_it_read(source, built, replacement.rebound):
                continue  # a new model around a module the optimizer was built for by another name: GF013
            target = self._replacing_statement(source, optimizer.site, replacement)
            where = "later"
            if replacement.site is not None and replacement.site.function not in ("", "<module>", optimizer.site.function):
                where = f"in {replacement.site.function}() at line {replacement.site.line}"
            elif target is not None:
                where = f"at line {source.range(target).start.line}"
            candidates = self._candidates(trace, project, source, optimizer, built, replacement, target)
            message = (
                f"the optimizer is built here, before the model is replaced {where}: it holds the old "
                f"parameters, and {short_list(replacement.trained)} receive gradients that no optimizer applies"
            )
            findings.append(self.finding(project, optimizer.site, message, replacement.trained, candidates))
        return findings

    def _stored_before_replacement(self, trace: Trace, project: Project, unheld: list[str]) -> list[Finding]:
        """An optimizer built after the model was replaced, from parameters the script stored before
        (``self.optimizer_params = {"params": self.net.parameters(), ...}``, a list of groups, a
        config dict, ``self.head_params = list(self.net.head.parameters())``, or a dict restored
        from a checkpoint in their place): none of what it holds gets a gradient, and the live
        model's parameters at the paths the stored values were read from get gradients no optimizer
        holds. The fix reads them again from the live model where the optimizer is built."""
        findings: list[Finding] = []
        seen: set[tuple[str, int]] = set()
        for optimizer in trace.optimizers:
            held = [p for p in trace.params if optimizer.id in p.optimizers]
            site = optimizer.site
            # Some of what it holds gets no gradient: the old module's parameters (a head swapped
            # out of a stored list of groups leaves the body's group live).
            if not held or all(p.got_grad for p in held) or site is None or (site.file, site.line) in seen:
                continue
            if not project.is_editable(site.file):
                continue
            source = project.source(site.file)
            stored = _stored_parameters(source, site)
            if stored is None:
                continue
            statement, groups = stored
            trained = [name for name in unheld if any(name.startswith(f"{leaf.module}.") for leaf in _leaves(groups))]
            if not trained:
                continue
            seen.add((site.file, site.line))
            candidates = [
                self._reread(source, statement, chosen, what)
                for chosen, what in _rereadings(groups, trained)
            ]
            containers = " and ".join(sorted({f"`{group.container}`" for group in groups}))
            message = (
                f"the optimizer is built here from parameters stored in {containers} before the model was replaced: "
                f"it holds the old parameters, and {short_list(trained)} receive gradients that no optimizer applies"
            )
            findings.append(self.finding(project, site, message, trained, _distinct(project, [c for c in candidates if c])[:MAX_CANDIDATES]))
        return findings

    def _whole_model_replaced(self, trace: Trace, project: Project, unheld: list[str]) -> list[Finding]:
        """An optimizer that holds only tensors no module owns any more, none of them given a
        gradient, while the model's parameters get gradients no optimizer holds, and a call of
        this file replaces every parameter of a module in place of the old objects
        (``model.to_empty(...)`` of a model built on the meta device,
        ``model.load_state_dict(sd, assign=True)``) where it may run after the optimizer was
        built. Candidates, for each such call: copy the values into the parameters the optimizer
        holds (drop ``assign=True``); build the optimizer below the statement of its block that
        makes the call (with what initialises the parameters after it); build it again after the
        call (a method of the optimizer's class, or its own scope)."""
        findings: list[Finding] = []
        for optimizer in trace.optimizers:
            held = [p for p in trace.params if optimizer.id in p.optimizers]
            site = optimizer.site
            # The optimizer's tensors are orphans: a live module would own them (and name them).
            if not held or any(p.module is not None or p.got_grad for p in held) or site is None:
                continue
            if not project.is_editable(site.file):
                continue
            source = project.source(site.file)
            statement = _statement_at(source, site)
            built = _constructor(source, site)
            if statement is None:
                continue
            calls = [call for call in _replacing_calls(source) if not _ran_before(source, call, statement)]
            if not calls:
                continue
            replacement = _Replacement(list(unheld))
            schedulers = _schedulers(source, trace, optimizer, built)
            candidates: list[Optional[Candidate]] = []
            for call in calls:
                if _method_name(call) == "load_state_dict":
                    candidates.append(self._drop_assign(source, call))
            for call in calls:
                anchor = source.statement_of(call)
                if anchor is None:
                    continue
                home = _scope_of(source, anchor)
                # A helper that makes the call (`materialise(model)`): its calls replace too.
                anchors = [anchor]
                if isinstance(home, cst.FunctionDef) and _method_class(source, home) is None:
                    anchors += [statement for statement, _, _, _ in _calls_of(source, source, home)]
                for place in anchors:
                    candidates += self._candidates(trace, project, source, optimizer, built, replacement, place)
                if built is not None and isinstance(home, cst.FunctionDef) and home is not built.function:
                    if built.owner is not None and _method_class(source, home) is built.owner:
                        rebuilt = _rebuilt(source, built, schedulers, home, None)
                        candidates.append(self._rebuild(source, built, rebuilt, [anchor], f"in {home.name.value}() after the call"))
            kept = _distinct(project, [c for c in candidates if c is not None])[:MAX_CANDIDATES]
            what = " and ".join(dict.fromkeys(f"`{_method_name(call)}()`" for call in calls))
            message = (
                f"the optimizer is built here, before {what} replaced the model's parameters with new tensors: "
                f"it steps the old ones, and {short_list(replacement.trained)} receive gradients that no optimizer applies"
            )
            findings.append(self.finding(project, site, message, replacement.trained, kept))
        return findings

    def _drop_assign(self, source: SourceFile, call: cst.Call) -> Optional[Candidate]:
        """``load_state_dict(sd)``: the checkpoint's values copied into the parameters the
        optimizer holds, instead of its tensors put in their place."""
        args = [arg for arg in call.args if not _is_assign_true(arg)]
        if len(args) == len(call.args) or not args:
            return None
        args[-1] = args[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
        edit = source.replace_node(call, call.with_changes(args=args))
        return self.candidate("copy the checkpoint into the parameters the optimizer holds: drop assign=True", source.path, [edit])

    def _reread(self, source: SourceFile, statement: cst.BaseStatement, leaves: list["_StoredLeaf"], what: str) -> Optional[Candidate]:
        """``<container>[<key>]... = <the stored expression>`` for each leaf, just above the
        statement that builds the optimizer: the parameters read from the model as it is now."""
        if not leaves:
            return None
        line = source.range(statement).start.line
        indent = source.indentation(line)
        text = "".join(f"{indent}{leaf.container}{''.join(f'[{key}]' for key in leaf.keys)} = {leaf.code}\n" for leaf in leaves)
        return self.candidate(f"read {what} again from the model where the optimizer is built", source.path, [source.insert_lines(line, text)])

    @staticmethod
    def _replacement(trace: Trace, optimizer: OptimizerFact, unheld: list[str]) -> Optional[_Replacement]:
        held_modules = {p.module for p in trace.params if optimizer.id in p.optimizers}
        found: Optional[_Replacement] = None
        for attribute in trace.attributes:
            if attribute.kind != "module" or attribute.replaced is None or attribute.event < optimizer.built_event:
                continue
            prefix = f"{attribute.owner_name}.{attribute.attr}."
            trained = [n for n in unheld if n.startswith(prefix)]
            if trained and attribute.replaced in held_modules:
                # `self.fc1, self.fc2 = new_fc1, new_fc2`: every layer swapped out counts.
                found = found or _Replacement([], site=attribute.site)
                found.trained += [n for n in trained if n not in found.trained]
                if attribute.site is not None:
                    found.attributes.append((attribute.site, attribute.attr))
        if found is not None:
            return found
        for module in trace.modules:
            if module.name is None or module.created_event < optimizer.built_event:
                continue
            older = [m for m in trace.modules if m.name and m.name.startswith(f"{module.name}@") and m.id in held_modules]
            trained = [n for n in unheld if n.startswith(f"{module.name}.")]
            if older and trained:
                return _Replacement(trained, rebound=module.name)
            if trained and module.id in held_modules and not module.name.startswith("<"):
                # The parameters the optimizer holds now live in a module built after it, under the
                # same name: `model = Wrapper(model)`. The source must say the name was rebound.
                return _Replacement(trained, rebound=module.name, wrapped=True)
        return None

    @staticmethod
    def _replacing_statement(source: SourceFile, built_at: Site, replacement: _Replacement) -> Optional[cst.BaseStatement]:
        if replacement.site is not None:
            if replacement.site.file != source.path:
                return None
            found = source.statements_on_line(replacement.site.line)
            return found[0] if found else None
        # The new module may be built inside a helper: the replacing statement is the rebinding.
        built = source.statements_on_line(built_at.line)
        block = source.parent(built[0]) if built else None
        body = list(getattr(block, "body", []))
        if not built or built[0] not in body:
            return None
        for later in body[body.index(built[0]) + 1 :]:
            if isinstance(later, cst.SimpleStatementLine):
                for small in later.body:
                    if isinstance(small, cst.Assign) and any(source.code(t.target) == replacement.rebound for t in small.targets):
                        return later
        return None

    def _candidates(
        self,
        trace: Trace,
        project: Project,
        source: SourceFile,
        optimizer: OptimizerFact,
        built: Optional[_Built],
        replacement: _Replacement,
        target: Optional[cst.BaseStatement],
    ) -> list[Candidate]:
        """Every edit the evidence allows, most conservative first: move the optimizer's
        construction below the replacement; move the replacement above it; build the optimizer
        (and its schedulers) again after the replacement; add the new layers to it. Moves keep
        everything the script computes; they exist only while nothing has used the optimizer yet."""
        assert optimizer.site is not None
        statement = _statement_at(source, optimizer.site)
        if statement is None:
            return []
        schedulers = _schedulers(source, trace, optimizer, built)
        builder = _builder(source, statement)
        downs: list[Optional[Candidate]] = []
        ups: list[Optional[Candidate]] = []
        fresh = False
        for anchor in self._anchors(project, source, replacement, target):
            found = _construction(source, statement, builder, anchor)
            if found is None:
                continue
            made, place = found
            carried = [s.statement for s in schedulers or []] if made is statement else []
            if not _fresh(source, made, place, carried):
                continue
            fresh = True
            downs.append(self._move_down(source, made, place, carried, built if made is statement else None))
            ups.append(self._move_up(source, made, place, carried, builder))
        rebuilds: list[Candidate] = []
        additions: list[Candidate] = []
        if built is not None:
            rebuilds, additions = self._rebuilds(project, source, built, schedulers, replacement)
        # A schedule that already ran goes on where it was with the new layers added; a rebuilt one
        # would start over. Before anything stepped, a rebuild is what the script meant to build.
        later = additions + rebuilds if schedulers and not fresh else rebuilds + additions
        return _distinct(project, [c for c in [*downs, *ups, *later] if c is not None])[:MAX_CANDIDATES]

    def _anchors(
        self, project: Project, source: SourceFile, replacement: _Replacement, target: Optional[cst.BaseStatement]
    ) -> list[cst.BaseStatement]:
        """The statements of the optimizer's file that make the replacement: the replacing
        statement itself, and each call of the function it is in (`replace_head(trainer.model, 5)`)."""
        found: list[cst.BaseStatement] = [target] if target is not None else []
        for where, statements, _ in self._replacing_groups(project, replacement):
            home = _scope_of(where, statements[-1])
            if where is source:
                found += statements
            if isinstance(home, cst.FunctionDef):
                found += [statement for statement, _, _, _ in _calls_of(source, where, home)]
        return [s for i, s in enumerate(found) if all(s is not t for t in found[:i])]

    def _move_down(
        self, source: SourceFile, made: cst.BaseStatement, place: cst.BaseStatement, carried: list[cst.BaseStatement], built: Optional[_Built]
    ) -> Optional[Candidate]:
        """The statement that builds the optimizer (with the schedulers built over it in between)
        moved to just after the replacing statement of the same block."""
        if not isinstance(made, cst.SimpleStatementLine):
            return None
        between = _between(source, made, place)
        moving = [s for s in between if any(s is c for c in carried)]
        staying = [s for s in between if all(s is not c for c in moving)]
        if _conflict(_chains(source, place), [code for s in [made, *moving] for code in _bound_codes(source, s)]):
            return None  # `replace_head(trainer.model)` needs the trainer built first
        # The parameters are the model, which changed on purpose; the rest must mean the same below.
        checked: list[cst.CSTNode] = [made] if built is None else [arg.value for i, arg in enumerate(built.call.args) if not _is_params(arg, i)]
        if _conflict([code for node in [*checked, *moving] for code in _chains(source, node)], _assigned(source, staying)):
            return None  # `lr = lr / 10` in between: the moved statement would build another optimizer
        start, end = source.statement_lines(made, with_comments=True)
        text = source.text[start:end]
        edits = [source.remove_statement(made, moved=True)]
        for statement in moving:
            first, last = source.statement_lines(statement, with_comments=True)
            text += source.text[first:last]
            edits.append(source.remove_statement(statement, moved=True))
        edits.append(_insert_after(source, place, text))
        with_schedulers = " (with the schedulers built over it)" if moving else ""
        return self.candidate(f"build the optimizer after the replacement{with_schedulers}", source.path, edits)

    def _move_up(
        self, source: SourceFile, made: cst.BaseStatement, place: cst.BaseStatement, carried: list[cst.BaseStatement], builder: Optional[_Builder]
    ) -> Optional[Candidate]:
        """The replacing statement moved to just before the statement that builds the optimizer
        (``replace_head(trainer.model, 5)`` becomes ``replace_head(model, 5)`` above
        ``trainer = Trainer(model)``, whose constructor keeps ``model`` as ``self.model``)."""
        if not isinstance(place, cst.SimpleStatementLine) or not all(
            isinstance(small, (cst.Assign, cst.AugAssign, cst.AnnAssign, cst.Expr)) for small in place.body
        ):
            return None
        between = _between(source, made, place)
        moved = place
        if builder is not None and builder.cls is not None:
            moved = _through_constructor(source, made, place, builder)
            if moved is None:
                return None
        if _conflict(_used(source, moved), _assigned(source, [made, *between])):
            return None  # it needs what the optimizer's statement, or one after it, builds
        if _conflict([code for s in between for code in _used(source, s)], _changed(source, moved)):
            return None  # a statement in between uses the model as it was before the replacement
        start, end = source.statement_lines(place, with_comments=True)
        own, _ = source.statement_lines(place, with_comments=False)
        text = source.text[start:end]
        if moved is not place:
            text = source.text[start:own] + source.indentation(source.range(place).start.line) + source.module.code_for_node(
                moved.with_changes(leading_lines=[])
            )
        before, _ = source.statement_lines(made, with_comments=True)
        position = source.position(before)
        edits = [Edit(position, position, text), source.remove_statement(place, moved=True)]
        return self.candidate("make the replacement before the optimizer is built", source.path, edits)

    # -- the replacement in a helper or a later phase: rebuild the optimizer, or extend it ---------

    def _rebuilds(
        self, project: Project, source: SourceFile, built: _Built, schedulers: Optional[list[_Built]], replacement: _Replacement
    ) -> tuple[list[Candidate], list[Candidate]]:
        """Rebuild the optimizer, and every scheduler built over it, after the replacement (in the
        optimizer's scope, in a method of its class, after the helper's call, or where a caller
        holds the object that built it); and add the new modules' parameters to it instead."""
        rebuilds: list[Optional[Candidate]] = []
        additions: list[Optional[Candidate]] = []
        globals_: list[Optional[Candidate]] = []  # a module-level optimizer rebuilt inside a function
        scope = built.function or source.module
        later: list[cst.BaseStatement] = []  # statements after the optimizer's that swap a layer or rebind the model
        for where, statements, exprs in self._replacing_groups(project, replacement):
            anchor = statements[-1]
            home = _scope_of(where, anchor)
            if where is source and home is scope and _after(source, anchor, built.statement):
                later.append(anchor)
                additions.append(self._add_group(source, built.target, [(anchor, exprs)], "after the replacement"))
                continue
            if where is source and built.owner is not None and isinstance(home, cst.FunctionDef) and _method_class(source, home) is built.owner:
                # `self.optimizer` of the same object: rebuilt, or extended, where the layers are swapped.
                rebuilt = _rebuilt(source, built, schedulers, home, None)
                rebuilds.append(self._rebuild(source, built, rebuilt, [anchor], f"in {home.name.value}() after the replacement"))
                additions.append(self._add_group(source, built.target, [(anchor, exprs)], f"in {home.name.value}() after the replacement"))
                continue
            if built.owner is not None:
                # `self.optimizer` of an object a caller holds (`trainer = Trainer(model)`): rebuilt
                # through it where the caller swaps the layer, or calls the helper that does.
                places: list[tuple[cst.BaseStatement, list[Optional[str]]]] = []
                if where is source and home is not None:
                    places.append((anchor, list(exprs)))
                if isinstance(home, cst.FunctionDef) and _method_class(where, home) is None:
                    for statement, _, bindings, there in _calls_of(source, where, home):
                        if there is not scope:  # in the optimizer's own method: below
                            places.append((statement, [_translate(where, home, expr, bindings) for expr in exprs]))
                for statement, translated in places:
                    for receiver, binding in _receivers(source, statement, built):
                        there = _scope_of(source, statement)
                        assert there is not None
                        what = f"after the replacement, through {receiver}"
                        rebuilt = _rebuilt(source, built, schedulers, there, receiver)
                        if rebuilt is not None and _unchanged(source, there, _settings(source, rebuilt[0]), binding, [statement]):
                            rebuilds.append(self._rebuild(source, built, rebuilt, [statement], what))
                        if all(t is not None for t in translated):
                            optimizer = receiver + built.target[built.target.index("."):]
                            additions.append(self._add_group(source, optimizer, [(statement, [t for t in translated if t])], what))
            if built.function is None and isinstance(home, cst.FunctionDef) and where is source:
                # A module-level optimizer and a replacement inside a function the loop calls (a
                # hook, a callback): rebuilt there as the global it is, or extended in place.
                # Where the function swaps the layers of a module it was handed (`net.fc`), the
                # module is the caller's: rebuilt at the call. In the function itself only when it
                # swaps them on the global model (`model.fc = ...`).
                places = []
                for statement, _, bindings, there in _calls_of(source, where, home):
                    if isinstance(there, cst.FunctionDef):
                        places.append((statement, there, [t for t in (_translate(where, home, e, bindings) for e in exprs) if t]))
                if _method_class(source, home) is None and exprs and not {_root(e) for e in exprs} & _locals(home):
                    places.append((anchor, home, list(exprs)))
                for statement, there, modules in places:
                    assert isinstance(there, cst.FunctionDef)
                    what = f"in {there.name.value}() after the replacement"
                    globals_.append(self._rebuild_global(source, built, schedulers, statement, there, what))
                    if built.target not in _locals(there) and len(modules) == len(exprs):
                        additions.append(self._add_group(source, built.target, [(statement, modules)], what))
            if not isinstance(home, cst.FunctionDef):
                continue
            # A helper called where the optimizer is built: its name (or `self.`'s) is in scope there.
            calls = [(s, c, b) for s, c, b, there in _calls_of(source, where, home) if there is scope and _after(source, s, built.statement)]
            if not calls:
                continue
            anchors = [statement for statement, _, _ in calls]
            if _hyperparameters_stable(source, scope, built, schedulers, anchors):
                rebuilds.append(self._rebuild(source, built, _rebuilt(source, built, schedulers, scope, None), anchors, f"after the call of {home.name.value}()"))
            translated_calls = [
                (statement, [t for t in (_translate(where, home, expr, bindings) for expr in exprs) if t is not None])
                for statement, _, bindings in calls
            ]
            if all(len(t) == len(exprs) for _, t in translated_calls):
                additions.append(self._add_group(source, built.target, translated_calls, f"after the call of {home.name.value}()"))
        if replacement.rebound is not None:
            later += [s for s in _rebinding_statements(source, scope, replacement.rebound) if _after(source, s, built.statement)]
        later = [s for i, s in enumerate(later) if all(s is not t for t in later[:i])]
        if later and _hyperparameters_stable(source, scope, built, schedulers, later):
            rebuilds.insert(0, self._rebuild(source, built, _rebuilt(source, built, schedulers, scope, None), later, "after the replacement"))
        rebuilds += globals_
        return [c for c in rebuilds if c is not None], [c for c in additions if c is not None]

    def _rebuild_global(
        self,
        source: SourceFile,
        built: _Built,
        schedulers: Optional[list[_Built]],
        anchor: cst.BaseStatement,
        there: cst.FunctionDef,
        where: str,
    ) -> Optional[Candidate]:
        """The module-level optimizer's statement, and its schedulers', again after ``anchor`` in
        the function ``there``, which declares their names ``global`` first: the loop reads the
        module's names, so a local rebinding would train nothing. Only where every name the
        constructors read is the module's (``there`` binds none of them itself)."""
        if schedulers is None or not isinstance(there.body, cst.IndentedBlock) or not there.body.body:
            return None
        made = [built, *schedulers]
        targets = [m.target for m in made]
        if not all(t.isidentifier() for t in targets):
            return None
        declared = {
            name.name.value for node in descendants(there, cst.Global) if _scope_of(source, node) is there for name in node.names
        }
        own = _locals(there) - declared
        if own & ({name for m in made for name in _reads(m.call)} | set(targets)):
            return None
        missing = [t for t in targets if t not in declared]
        extra: list[Edit] = []
        if missing:
            first = there.body.body[0]
            indent = source.indentation(source.range(first).start.line)
            line = f"{indent}global {', '.join(missing)}\n"
            docstring = (
                isinstance(first, cst.SimpleStatementLine) and isinstance(first.body[0], cst.Expr)
                and isinstance(first.body[0].value, (cst.SimpleString, cst.ConcatenatedString))
            )
            extra.append(_insert_after(source, first, line) if docstring else source.insert_lines(source.range(first).start.line, line))
        return self._rebuild(source, built, ([m.statement for m in made], []), [anchor], where, extra)

    def _replacing_groups(self, project: Project, replacement: _Replacement) -> list[tuple[SourceFile, list[cst.BaseStatement], list[str]]]:
        """The replacing statements, grouped by the function they are in, in order, with the code of
        the attribute each assigns (`self.model.fc1`): (file, statements, targets)."""
        groups: dict[tuple[str, int], tuple[SourceFile, list[cst.BaseStatement], list[str]]] = {}
        for site, attr in replacement.attributes:
            if not project.is_editable(site.file):
                continue
            where = project.source(site.file)
            found = _replacing_target(where, site, attr)
            if found is None:
                continue
            statement, target = found
            home = _scope_of(where, statement)
            if home is None:
                continue
            _, statements, exprs = groups.setdefault((site.file, id(home)), (where, [], []))
            if all(statement is not s for s in statements):
                statements.append(statement)
            if target is not None and target not in exprs:
                exprs.append(target)
        for where, statements, _ in groups.values():
            statements.sort(key=lambda s: _start(where, s))
        return list(groups.values())

    def _rebuild(
        self,
        source: SourceFile,
        built: _Built,
        rebuilt: Optional[tuple[list[cst.SimpleStatementLine], list[str]]],
        anchors: list[cst.BaseStatement],
        where: str,
        extra: Sequence[Edit] = (),
    ) -> Optional[Candidate]:
        """The optimizer's statement, and each scheduler's after it, again after each anchor (with
        ``extra`` edits: a ``global`` declaration)."""
        if rebuilt is None:
            return None
        statements, kept = rebuilt
        own = source.indentation(source.range(built.statement).start.line)
        edits = list(extra)
        for anchor in anchors:
            indent = source.indentation(source.range(anchor).start.line)
            text = ""
            for statement in statements:
                lines = source.module.code_for_node(statement.with_changes(leading_lines=[])).splitlines()
                moved = [indent + lines[0]] + [indent + line[len(own):] if line.startswith(own) else line for line in lines[1:]]
                text += "".join(f"{line}\n" for line in moved)
            edits.append(_insert_after(source, anchor, text))
        taken = f" ({', '.join(kept)} taken from the old optimizer)" if kept else ""
        what = "build the optimizer and its schedulers again" if len(statements) > 1 else "build the optimizer again"
        return self.candidate(f"{what} {where}, with the same constructor{taken}", source.path, edits)

    def _add_group(
        self, source: SourceFile, optimizer: str, places: list[tuple[cst.BaseStatement, list[str]]], where: str
    ) -> Optional[Candidate]:
        """``optimizer.add_param_group({"params": <new module>.parameters()})`` after each place."""
        edits = []
        for anchor, modules in places:
            if not modules or not all(_is_path_with_literal_index(m) for m in [optimizer, *modules]):
                return None
            params = f"{modules[0]}.parameters()" if len(modules) == 1 else "[" + ", ".join(f"*{m}.parameters()" for m in modules) + "]"
            indent = source.indentation(source.range(anchor).start.line)
            edits.append(_insert_after(source, anchor, f'{indent}{optimizer}.add_param_group({{"params": {params}}})\n'))
        if not edits:
            return None
        return self.candidate(f"add the new layers' parameters to the optimizer {where}", source.path, edits)


# -- where the optimizer is built, and what is built over it ------------------------------------------


@dataclass
class _Builder:
    """What a caller calls to build the optimizer, when its statement is inside a function: that
    function's name, or the class whose ``__init__`` it is in (with that ``__init__``)."""

    name: str
    cls: Optional[cst.ClassDef] = None
    init: Optional[cst.FunctionDef] = None


# Module methods that put new tensor objects in place of every parameter of the module.
_REPLACING_METHODS = ("to_empty", "load_state_dict")


def _method_name(call: cst.Call) -> str:
    return call.func.attr.value if isinstance(call.func, cst.Attribute) else ""


def _is_assign_true(arg: cst.Arg) -> bool:
    return arg.keyword is not None and arg.keyword.value == "assign" and isinstance(arg.value, cst.Name) and arg.value.value == "True"


def _replacing_calls(source: SourceFile) -> list[cst.Call]:
    """``X.to_empty(...)`` and ``X.load_state_dict(..., assign=True)`` of a module path ``X``:
    without ``assign=True`` load_state_dict copies into the parameters that are there."""
    found = []
    for call in descendants(source.module, cst.Call):
        name = _method_name(call)
        if name not in _REPLACING_METHODS or dotted_path(call.func.value) is None:  # type: ignore[attr-defined]
            continue
        if name == "load_state_dict" and not any(_is_assign_true(arg) for arg in call.args):
            continue
        found.append(call)
    return found


def _ran_before(source: SourceFile, call: cst.Call, statement: cst.BaseStatement) -> bool:
    """The call is in the optimizer's own scope, above its statement, outside any loop: it ran
    before the optimizer was built."""
    if _scope_of(source, call) is not _scope_of(source, statement) or _after(source, call, statement):
        return False
    return not any(isinstance(node, (cst.For, cst.While)) for node in source.ancestors(call))


def _statement_at(source: SourceFile, site: Site) -> Optional[cst.SimpleStatementLine]:
    for call in source.nodes_at(site, cst.Call):
        statement = source.statement_of(call)
        if isinstance(statement, cst.SimpleStatementLine):
            return statement
    return None


def _builder(source: SourceFile, statement: cst.BaseStatement) -> Optional[_Builder]:
    scope = _scope_of(source, statement)
    if not isinstance(scope, cst.FunctionDef):
        return None
    cls = _method_class(source, scope)
    if cls is not None:
        if scope.name.value == "__init__" and _scope_of(source, cls) is source.module:
            return _Builder(cls.name.value, cls, scope)
        return None
    if _scope_of(source, scope) is source.module:
        return _Builder(scope.name.value)
    return None


def _schedulers(source: SourceFile, trace: Trace, optimizer: OptimizerFact, built: Optional[_Built]) -> Optional[list[_Built]]:
    """The statements that built the learning-rate schedulers over this optimizer, in order, each
    ``scheduler = StepLR(optimizer, ...)`` after the optimizer's statement in its scope; None when
    one was built some other way (it could not be built again with the optimizer)."""
    found: list[_Built] = []
    for fact in trace.schedulers:
        if fact.optimizer != optimizer.id:
            continue
        if built is None or fact.site is None or fact.site.file != source.path:
            return None
        made = _constructor(source, fact.site)
        if made is None or made.function is not built.function or not _after(source, made.statement, built.statement):
            return None
        if not any(source.code(node) == built.target for node in descendants(made.call, cst.BaseExpression)):
            return None
        if all(made.statement is not other.statement for other in found):
            found.append(made)
    found.sort(key=lambda made: _start(source, made.statement))
    return found


def _construction(
    source: SourceFile, statement: cst.BaseStatement, builder: Optional[_Builder], anchor: cst.BaseStatement
) -> Optional[tuple[cst.BaseStatement, cst.BaseStatement]]:
    """The statement that builds the optimizer, in the block of the anchor (or of a statement
    around it, in the same function) and before it: the optimizer's own statement, or the last call
    of the function or class that builds it (``trainer = Trainer(model)``). With the statement of
    that block the anchor is in."""
    for node in [anchor, *source.ancestors(anchor)]:
        if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            return None
        if not isinstance(node, cst.BaseStatement):
            continue
        body = list(getattr(source.parent(node), "body", []))
        index = next((i for i, s in enumerate(body) if s is node), None)
        if index is None:
            continue
        for earlier in reversed(body[:index]):
            if earlier is statement:
                return earlier, node
            if builder is not None and isinstance(earlier, cst.SimpleStatementLine) and any(
                isinstance(call.func, cst.Name) and call.func.value == builder.name for call in descendants(earlier, cst.Call)
            ):
                return earlier, node
    return None


def _between(source: SourceFile, first: cst.BaseStatement, last: cst.BaseStatement) -> list[cst.BaseStatement]:
    body = list(getattr(source.parent(first), "body", []))
    start = next(i for i, s in enumerate(body) if s is first)
    end = next(i for i, s in enumerate(body) if s is last)
    return body[start + 1 : end]


def _fresh(source: SourceFile, made: cst.BaseStatement, place: cst.BaseStatement, carried: list[cst.BaseStatement]) -> bool:
    """Nothing between the optimizer's construction and the replacement uses what it built, but a
    scheduler built over it: the optimizer has not trained anything yet."""
    bound = _bound_codes(source, made)
    if not bound:
        return False
    return not any(_conflict(_used(source, s), bound) for s in _between(source, made, place) if all(s is not c for c in carried))


def _bound_codes(source: SourceFile, statement: cst.BaseStatement) -> list[str]:
    """What a statement binds, as code: `optimizer`, `self.optimizer`, `trainer`."""
    if not isinstance(statement, cst.SimpleStatementLine):
        return []
    return [
        source.code(inner)
        for small in statement.body if isinstance(small, (cst.Assign, cst.AnnAssign))
        for target in (small.targets if isinstance(small, cst.Assign) else [small])
        for inner in _flat(target.target)
    ]


class _Chains(cst.CSTVisitor):
    """The longest names a node reads or writes, as code (`self.model.head`, `model[2]`, `lr`), and
    the names inside their indices and calls; not keywords or a lambda's parameters."""

    def __init__(self, module: cst.Module) -> None:
        super().__init__()
        self.module = module
        self.found: list[str] = []

    def _chain(self, node: Union[cst.Name, cst.Attribute, cst.Subscript]) -> bool:
        self.found.append(self.module.code_for_node(node))
        inner: cst.BaseExpression = node
        while isinstance(inner, (cst.Attribute, cst.Subscript)):
            if isinstance(inner, cst.Subscript):
                for element in inner.slice:
                    element.visit(self)
            inner = inner.value
        if not isinstance(inner, cst.Name):
            inner.visit(self)
        return False

    def visit_Name(self, node: cst.Name) -> bool:
        return self._chain(node)

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        return self._chain(node)

    def visit_Subscript(self, node: cst.Subscript) -> bool:
        return self._chain(node)

    def visit_Arg(self, node: cst.Arg) -> bool:
        node.value.visit(self)
        return False

    def visit_Param(self, node: cst.Param) -> bool:
        return False


def _chains(source: SourceFile, node: cst.CSTNode) -> list[str]:
    chains = _Chains(source.module)
    node.visit(chains)
    return chains.found


def _used(source: SourceFile, node: cst.CSTNode) -> list[str]:
    """The chains a node uses, and the outside ones used by what it calls in this file, however
    deep: a module-level function (`run_epochs(6)` uses the global `optimizer`), or a method of the
    node's own class called on ``self`` (`self.step(x, y)` uses `self.optimizer`)."""
    functions = {f.name.value: f for f in source.module.body if isinstance(f, cst.FunctionDef)}
    methods: dict[str, cst.FunctionDef] = {}
    me: Optional[str] = None
    scope = _scope_of(source, node)  # the module for a node made by a rewrite (it has no parents)
    if isinstance(scope, cst.FunctionDef) and (owner := _method_class(source, scope)) is not None:
        me = _first_param(scope)
        methods = {f.name.value: f for f in owner.body.body if isinstance(f, cst.FunctionDef)}
    codes = _chains(source, node)
    pending: list[tuple[cst.CSTNode, Optional[str]]] = [(node, me)]
    seen: set[str] = set()
    while pending:
        body, this = pending.pop()
        for call in descendants(body, cst.Call):
            func = call.func
            if isinstance(func, cst.Name) and func.value in functions and f"f:{func.value}" not in seen:
                seen.add(f"f:{func.value}")
                function = functions[func.value]
                own = _locals(function)
                codes += [code for code in _chains(source, function.body) if _root(code) not in own]
                pending.append((function.body, None))
            elif (
                isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and this is not None
                and func.value.value == this and func.attr.value in methods and f"m:{func.attr.value}" not in seen
            ):
                seen.add(f"m:{func.attr.value}")
                method = methods[func.attr.value]
                mine = _first_param(method)
                own = _locals(method) - {mine}
                for code in _chains(source, method.body):
                    if _root(code) == mine and me is not None:
                        codes.append(me + code[len(mine or ""):])  # the same object, by the caller's name
                    elif _root(code) not in own:
                        codes.append(code)
                pending.append((method.body, mine))
    return codes


def _root(code: str) -> str:
    return re.split(r"[.\[]", code, maxsplit=1)[0]


def _conflict(codes: list[str], others: list[str]) -> bool:
    """Some code names the same thing as another, or a part of it (`model` and `model.fc.weight`)."""
    def within(inner: str, outer: str) -> bool:
        return inner == outer or inner.startswith(f"{outer}.") or inner.startswith(f"{outer}[")

    return any(within(a, b) or within(b, a) for a in codes for b in others)


def _assigned(source: SourceFile, statements: list[cst.BaseStatement]) -> list[str]:
    """What statements bind or change, as code (a `def` its name, not what its body assigns)."""
    codes: list[str] = []
    for statement in statements:
        if isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
            codes.append(statement.name.value)
        else:
            codes += [source.module.code_for_node(target) for target in _targets(statement)]
    return codes


def _changed(source: SourceFile, statement: cst.BaseStatement) -> list[str]:
    """What a replacing statement changes: its targets, and what it hands to a call
    (`replace_head(model, 5)` changes `model`)."""
    codes = _assigned(source, [statement])
    for call in descendants(statement, cst.Call):
        for arg in call.args:
            if isinstance(arg.value, (cst.Name, cst.Attribute, cst.Subscript)):
                codes.append(source.module.code_for_node(arg.value))
    return codes


def _through_constructor(
    source: SourceFile, made: cst.BaseStatement, place: cst.SimpleStatementLine, builder: _Builder
) -> Optional[cst.SimpleStatementLine]:
    """``place`` with ``trainer.<attr>`` read as what the call ``trainer = Trainer(...)`` handed to
    the constructor that keeps it as ``self.<attr>``; None when it reads something else of ``trainer``."""
    assert builder.init is not None
    me = _first_param(builder.init)
    receivers = [
        (small.targets[0].target.value, small.value)
        for small in getattr(made, "body", [])
        if isinstance(small, cst.Assign) and len(small.targets) == 1 and isinstance(small.targets[0].target, cst.Name)
        and isinstance(small.value, cst.Call) and isinstance(small.value.func, cst.Name) and small.value.func.value == builder.name
    ]
    if me is None or len(receivers) != 1:
        return place
    receiver, call = receivers[0]
    arguments = _bindings(source, builder.init, call, me)
    stored = {attr: local for local, attr in _stored_locals(source, builder.init).items()}
    replacements: dict[cst.CSTNode, cst.CSTNode] = {}
    for node in descendants(place, cst.Attribute):
        if isinstance(node.value, cst.Name) and node.value.value == receiver:
            local = stored.get(node.attr.value)
            if local is None or local not in arguments:
                return None
            replacements[node] = cst.parse_expression(arguments[local], config=source.module.config_for_parsing)
    moved = _replaced(place, replacements)
    assert isinstance(moved, cst.SimpleStatementLine)
    return moved


def _stored_locals(source: SourceFile, function: cst.FunctionDef) -> dict[str, str]:
    """Parameters of a method that it keeps, unchanged, on the object: ``self.model = model``
    (the method's own statement, the only assignment of each), as parameter -> attribute."""
    me = _first_param(function)
    params = {p.name.value for p in [*function.params.params, *function.params.kwonly_params]} - {me}
    codes = [source.code(target) for target in _targets(function)]
    roots = [root for target in _targets(function) for root in _target_roots(target)]
    stored: dict[str, str] = {}
    body = function.body.body if isinstance(function.body, cst.IndentedBlock) else []
    for statement in body:
        if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
            continue
        small = statement.body[0]
        if not isinstance(small, cst.Assign) or len(small.targets) != 1 or not isinstance(small.value, cst.Name):
            continue
        target = small.targets[0].target
        local = small.value.value
        if (
            isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name) and target.value.value == me
            and local in params and local not in roots and codes.count(source.code(target)) == 1
        ):
            stored.setdefault(local, target.attr.value)
    return stored


def _rebinds_what_it_read(source: SourceFile, built: Optional[_Built], name: Optional[str]) -> bool:
    """``optimizer = SGD(model.parameters())`` and, later in the same scope, ``model = ...``."""
    if built is None or name is None:
        return False
    params = [arg for i, arg in enumerate(built.call.args) if _is_params(arg, i)]
    if not params or name not in _reads(params[0].value):
        return False
    scope = built.function or source.module
    return any(_after(source, s, built.statement) for s in _rebinding_statements(source, scope, name))


class _Substitute(cst.CSTTransformer):
    def __init__(self, replacements: dict[cst.CSTNode, cst.CSTNode]) -> None:
        super().__init__()
        self.replacements = replacements

    def on_leave(self, original_node: cst.CSTNode, updated_node: cst.CSTNode) -> cst.CSTNode:  # type: ignore[override]
        return self.replacements.get(original_node, updated_node)


def _replaced(node: cst.CSTNode, replacements: dict[cst.CSTNode, cst.CSTNode]) -> cst.CSTNode:
    """``node`` with each of the given nodes (by identity) replaced."""
    if not replacements:
        return node
    return node.visit(_Substitute(replacements))  # type: ignore[return-value]


def _rewrite(
    source: SourceFile, built: _Built, made: _Built, here: Union[cst.FunctionDef, cst.Module], receiver: Optional[str]
) -> Optional[tuple[cst.SimpleStatementLine, list[str]]]:
    """``made`` (the optimizer's statement, or a scheduler's built in the same method) as ``here``
    can write it: another method of the same class (``receiver`` None: ``self`` is the same object),
    or a scope where a caller holds the object as ``receiver``. Module-level names mean the same;
    a parameter the method kept on the object (``self.model = model``) is read from there; a
    keyword argument of the optimizer that reads another local takes the value the optimizer kept
    (``self.opt.defaults["lr"]``). Anything else: None. Also the keywords taken from the optimizer."""
    function = built.function
    assert function is not None
    me = _first_param(function)
    if me is None or (receiver is None and (not isinstance(here, cst.FunctionDef) or _first_param(here) != me)):
        return None
    owner = receiver or me
    there = _locals(function) - {me}
    local_here = _locals(here) - {me} if isinstance(here, cst.FunctionDef) else set()
    shared = _module_names(source) | set(dir(builtins))
    stored = _stored_locals(source, function)
    optimizer = owner + built.target[len(me):]

    def rewritten(value: cst.BaseExpression) -> Optional[cst.BaseExpression]:
        reads = _Reads()
        value.visit(reads)
        replacements: dict[cst.CSTNode, cst.CSTNode] = {}
        for name in reads.names:
            if name.value in reads.own:
                continue
            if name.value == me:
                replacements[name] = cst.parse_expression(owner, config=source.module.config_for_parsing)
            elif name.value in there:
                if name.value not in stored:
                    return None
                replacements[name] = cst.parse_expression(f"{owner}.{stored[name.value]}", config=source.module.config_for_parsing)
            elif name.value in local_here or name.value not in shared:
                return None
        new = _replaced(value, replacements)
        assert isinstance(new, cst.BaseExpression)
        return new

    args = []
    kept = []
    for index, arg in enumerate(made.call.args):
        value = rewritten(arg.value)
        if value is not None:
            args.append(arg.with_changes(value=value))
        elif made is built and arg.keyword is not None and not _is_params(arg, index) and arg.keyword.value.isidentifier():
            value = cst.parse_expression(f'{optimizer}.defaults["{arg.keyword.value}"]', config=source.module.config_for_parsing)
            args.append(arg.with_changes(value=value))
            kept.append(arg.keyword.value)
        else:
            return None
    # The class read from a local of the constructing method (`self.opt = opt_cls(...)`) is the
    # class of the optimizer it built.
    func = rewritten(made.call.func)
    if func is None and made is built:
        func = cst.parse_expression(f"type({optimizer})", config=source.module.config_for_parsing)
        kept.insert(0, "its class")
    if func is None:
        return None
    assign = made.statement.body[0]
    assert isinstance(assign, cst.Assign)
    target = rewritten(assign.targets[0].target)
    if target is None or not _is_path_with_literal_index(source.module.code_for_node(target)):
        return None
    new_assign = assign.with_changes(targets=[assign.targets[0].with_changes(target=target)], value=made.call.with_changes(func=func, args=args))
    return made.statement.with_changes(body=[new_assign]), kept


def _rebuilt(
    source: SourceFile, built: _Built, schedulers: Optional[list[_Built]], here: Union[cst.FunctionDef, cst.Module, None], receiver: Optional[str]
) -> Optional[tuple[list[cst.SimpleStatementLine], list[str]]]:
    """The statements that build the optimizer and every scheduler over it, as written in the
    optimizer's own scope, else as ``here`` must write them (``_rewrite``); with the keywords taken
    from the old optimizer. A scheduler left on the old optimizer would schedule nothing that
    trains: None when one cannot be built again."""
    if schedulers is None or here is None:
        return None
    if here is (built.function or source.module):
        return [made.statement for made in [built, *schedulers]], []
    statements = []
    kept: list[str] = []
    for made in [built, *schedulers]:
        rewritten = _rewrite(source, built, made, here, receiver)
        if rewritten is None:
            return None
        statements.append(rewritten[0])
        kept += rewritten[1]
    return statements, kept


def _settings(source: SourceFile, statements: list[cst.SimpleStatementLine]) -> list[str]:
    """What the rebuilt statements read (as dotted code) besides the optimizer's parameters, which
    changed on purpose, and the optimizer the schedulers are built over."""
    codes: list[str] = []
    optimizer = ""
    for index, statement in enumerate(statements):
        for small in statement.body:
            if isinstance(small, cst.Assign) and isinstance(small.value, cst.Call):
                if index == 0:
                    optimizer = source.module.code_for_node(small.targets[0].target)
                for position, arg in enumerate(small.value.args):
                    if index > 0 or not _is_params(arg, position):
                        codes += [code for code in _chains(source, arg.value) if code != optimizer]
    return codes


def _receivers(source: SourceFile, statement: cst.BaseStatement, built: _Built) -> list[tuple[str, cst.CSTNode]]:
    """What the statement's scope calls the object whose method built the optimizer, with the node
    after which it holds it: a name bound there to ``Cls(...)``; else (a callback handed the
    learner, ``self.learn`` of another object) each path that the statement, or else its scope,
    reads an attribute of that the constructing method kept on ``self`` (``learner.model`` for
    ``self.model``, ``self.learn.opt`` for ``self.opt``). Where a path means another object, the
    rebuild crashes or trains nothing, and the re-run rejects it."""
    assert built.owner is not None and built.function is not None
    bound = _receiver(source, statement, built.owner.name.value)
    if bound is not None:
        return [bound]
    scope = _scope_of(source, statement)
    me = _first_param(built.function)
    if not isinstance(scope, cst.FunctionDef) or me is None:
        return []
    kept = {code.split(".")[1] for code in _chains(source, built.call) if code.startswith(f"{me}.")}
    kept |= {built.target.split(".")[1]} | set(_stored_locals(source, built.function).values())
    own = _locals(scope)
    mine = _first_param(scope) if _method_class(source, scope) is not None else None
    found: list[str] = []
    for node in (statement, scope.body):
        for code in _chains(source, node):
            head, dot, attr = code.rpartition(".")
            attr = re.split(r"[.\[]", attr, maxsplit=1)[0]
            while dot and attr not in kept:
                head, dot, attr = head.rpartition(".")
            if not dot or head == mine or not _is_path_with_literal_index(head) or _root(head) not in own:
                continue  # `self.model` of the scope's own object is not the optimizer's owner
            if head not in found:
                found.append(head)
        if found:
            break
    return [(receiver, scope.params) for receiver in found[:2]]


def _receiver(source: SourceFile, statement: cst.BaseStatement, cls: str) -> Optional[tuple[str, cst.BaseStatement]]:
    """The name a scope binds to an instance of ``cls`` (``trainer = Trainer(model)``) before the
    statement: the one the statement reads, else the only one. With the statement that bound it."""
    scope = _scope_of(source, statement)
    if scope is None:
        return None
    bound: dict[str, cst.BaseStatement] = {}
    for target in _targets(scope):
        if not isinstance(target, cst.Name) or not _built_by(source, target, cls):
            continue
        binding = source.statement_of(target)
        if binding is not None and _after(source, statement, binding):
            if target.value not in bound or _after(source, binding, bound[target.value]):
                bound[target.value] = binding
    read = [name for name in bound if name in _reads(statement)]
    if len(read) == 1:
        return read[0], bound[read[0]]
    if not read and len(bound) == 1:
        [(name, binding)] = bound.items()
        return name, binding
    return None


def _distinct(project: Project, candidates: list[Candidate]) -> list[Candidate]:
    """The candidates that make different files (moving one of two adjacent statements down is
    moving the other up)."""
    seen: set[tuple[tuple[str, str], ...]] = set()
    kept = []
    for candidate in candidates:
        try:
            key = tuple((p.path, p.apply(project.text(p.path))) for p in candidate.patches)
        except ValueError:  # edits that overlap: not a change that can be made
            continue
        if key not in seen:
            seen.add(key)
            kept.append(candidate)
    return kept


def _start(source: SourceFile, node: cst.CSTNode) -> tuple[int, int]:
    where = source.range(node).start
    return where.line, where.column


def _after(source: SourceFile, node: cst.CSTNode, than: cst.CSTNode) -> bool:
    end = source.range(than).end
    return _start(source, node) >= (end.line, end.column)


def _is_path_with_literal_index(code: str) -> bool:
    """`model.fc1`, `self.model.classifier[-1]`: a name the source binds, with attributes or a
    literal index; nothing that calls or computes."""
    head, _, index = code.partition("[")
    if index and not (index.endswith("]") and index[:-1].lstrip("-").isdigit()):
        return False
    return all(part.isidentifier() for part in head.split("."))


def _scope_of(source: SourceFile, node: cst.CSTNode) -> Union[cst.FunctionDef, cst.Module, None]:
    """The function a statement runs in, or the module for the top level; None in a class body or
    a lambda."""
    for ancestor in source.ancestors(node):
        if isinstance(ancestor, cst.FunctionDef):
            return ancestor
        if isinstance(ancestor, (cst.ClassDef, cst.Lambda)):
            return None
    return source.module


def _method_class(source: SourceFile, function: cst.FunctionDef) -> Optional[cst.ClassDef]:
    block = source.parent(function)
    owner = source.parent(block) if isinstance(block, cst.IndentedBlock) else None
    if not isinstance(owner, cst.ClassDef):
        return None
    for decorator in function.decorators:
        name = decorator.decorator
        if isinstance(name, cst.Name) and name.value in ("staticmethod", "classmethod", "property"):
            return None  # no `self` that is the instance
    return owner


def _first_param(function: cst.FunctionDef) -> Optional[str]:
    params = function.params.params
    return params[0].name.value if params else None


def _constructor(source: SourceFile, site: Site) -> Optional[_Built]:
    """``optimizer = Adam(...)`` (or ``self.optimizer = Adam(...)`` in a method) at the optimizer's site."""
    for call in source.nodes_at(site, cst.Call):
        statement = source.statement_of(call)
        if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
            continue
        assign = statement.body[0]
        if not isinstance(assign, cst.Assign) or len(assign.targets) != 1 or assign.value is not call:
            continue
        target = assign.targets[0].target
        scope = _scope_of(source, statement)
        if scope is None:
            return None
        function = scope if isinstance(scope, cst.FunctionDef) else None
        if isinstance(target, cst.Name):
            return _Built(statement, call, target.value, function, None)
        if isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name) and function is not None:
            owner = _method_class(source, function)
            if owner is not None and target.value.value == _first_param(function):
                return _Built(statement, call, source.code(target), function, owner)
    return None


class _Reads(cst.CSTVisitor):
    """The names an expression reads: not attribute names or keywords, not the variables of its
    own lambdas and comprehensions."""

    def __init__(self) -> None:
        super().__init__()
        self.names: list[cst.Name] = []
        self.own: set[str] = set()

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        node.value.visit(self)
        return False

    def visit_Arg(self, node: cst.Arg) -> bool:
        node.value.visit(self)
        return False

    def visit_Param(self, node: cst.Param) -> bool:
        self.own.add(node.name.value)
        return False

    def visit_CompFor(self, node: cst.CompFor) -> bool:
        self.own.update(n.value for n in descendants(node.target, cst.Name))
        return True

    def visit_Name(self, node: cst.Name) -> bool:
        self.names.append(node)
        return False


def _reads(node: cst.CSTNode) -> set[str]:
    reads = _Reads()
    node.visit(reads)
    return {n.value for n in reads.names} - reads.own


def _is_params(arg: cst.Arg, index: int) -> bool:
    """The constructor's first argument: the parameters (the model, which changed on purpose)."""
    if arg.keyword is not None:
        return arg.keyword.value == "params"
    return index == 0 and not arg.star


def _target_roots(target: cst.BaseExpression) -> Iterator[str]:
    """The names an assignment target rebinds or changes: `lr`, `args` of `args.lr = ...`."""
    if isinstance(target, (cst.Tuple, cst.List)):
        for element in target.elements:
            yield from _target_roots(element.value)
    elif isinstance(target, cst.StarredElement):
        yield from _target_roots(target.value)
    else:
        while isinstance(target, (cst.Attribute, cst.Subscript)):
            target = target.value
        if isinstance(target, cst.Name):
            yield target.value


class _Targets(cst.CSTVisitor):
    """Every assignment target in a scope's own code (not in the functions it defines)."""

    def __init__(self, root: cst.CSTNode) -> None:
        super().__init__()
        self.root = root
        self.found: list[cst.BaseExpression] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        if node is not self.root and isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            return False
        if isinstance(node, cst.AssignTarget):
            self.found.append(node.target)
        elif isinstance(node, (cst.AugAssign, cst.AnnAssign)):
            self.found.append(node.target)
        elif isinstance(node, (cst.For, cst.CompFor)):
            self.found.append(node.target)
        elif isinstance(node, cst.NamedExpr):
            self.found.append(node.target)
        elif isinstance(node, cst.AsName) and isinstance(node.name, cst.BaseExpression):
            self.found.append(node.name)
        return True


def _targets(scope: cst.CSTNode) -> list[cst.BaseExpression]:
    visitor = _Targets(scope)
    scope.visit(visitor)
    return visitor.found


def _locals(function: cst.FunctionDef) -> set[str]:
    names = {p.name.value for p in [*function.params.params, *function.params.kwonly_params, *function.params.posonly_params]}
    for star in (function.params.star_arg, function.params.star_kwarg):
        if isinstance(star, cst.Param):
            names.add(star.name.value)
    return names | {name for target in _targets(function) for name in _target_roots(target)}


def _module_names(source: SourceFile) -> set[str]:
    names = {name for target in _targets(source.module) for name in _target_roots(target)}
    for node in descendants(source.module, cst.CSTNode):
        if isinstance(node, (cst.FunctionDef, cst.ClassDef)) and _scope_of(source, node) is source.module:
            names.add(node.name.value)
        elif isinstance(node, (cst.Import, cst.ImportFrom)) and not isinstance(node.names, cst.ImportStar):
            for alias in node.names:
                bound = alias.asname.name if alias.asname is not None else alias.name
                while isinstance(bound, cst.Attribute):  # `import torch.nn` binds `torch`
                    bound = bound.value
                if isinstance(bound, cst.Name):
                    names.add(bound.value)
    return names


def _hyperparameters_stable(
    source: SourceFile, scope: cst.CSTNode, built: _Built, schedulers: Optional[list[_Built]], anchors: list[cst.BaseStatement]
) -> bool:
    """Nothing the constructor's other arguments read (`lr`, `args.lr`), nor the schedulers' (but
    the optimizer), is assigned between the optimizer's statement and the last anchor: the same
    expressions still mean the same optimizer."""
    statements = [built.statement, *(made.statement for made in schedulers or [])]
    return _unchanged(source, scope, _settings(source, statements), built.statement, anchors)


def _unchanged(source: SourceFile, scope: cst.CSTNode, codes: list[str], since: cst.CSTNode, anchors: list[cst.BaseStatement]) -> bool:
    """Nothing that ``codes`` name (`lr`, `args.lr`, `trainer.cfg`) is assigned in ``scope`` after
    ``since`` and up to the last anchor."""
    if not codes:
        return True
    start = source.range(since).end
    end = max((source.range(a).end for a in anchors), key=lambda p: (p.line, p.column))
    for anchor in anchors:
        # In a loop that the first statement is not in, the loop's later lines run between
        # too (from the second iteration on).
        for loop in source.ancestors(anchor):
            if loop is scope:
                break
            if isinstance(loop, (cst.For, cst.While)) and _after(source, loop, since):
                loop_end = source.range(loop).end
                end = max(end, loop_end, key=lambda p: (p.line, p.column))
    for target in _targets(scope):
        where = source.range(target).start
        if (start.line, start.column) <= (where.line, where.column) <= (end.line, end.column):
            if _conflict([source.code(target)], codes):
                return False
    return True


def _replacing_target(source: SourceFile, site: Site, attr: str) -> Optional[tuple[cst.BaseStatement, Optional[str]]]:
    """The statement that assigned a module attribute, and the code of its target (`self.model.fc1`)."""
    statement: Optional[cst.BaseStatement] = None
    for node in source.nodes_at(site, cst.BaseExpression):
        statement = source.statement_of(node)
        if isinstance(node, cst.Attribute) and node.attr.value == attr or isinstance(node, cst.Subscript):
            if isinstance(statement, cst.SimpleStatementLine) and any(
                node is inner for small in statement.body if isinstance(small, cst.Assign) for t in small.targets for inner in _flat(t.target)
            ):
                return statement, source.code(node)
    if statement is None:
        found = [s for s in source.statements_on_line(site.line) if isinstance(s, cst.SimpleStatementLine)]
        statement = found[0] if found else None
    if not isinstance(statement, cst.SimpleStatementLine):
        return None
    return statement, None


def _flat(target: cst.BaseExpression) -> list[cst.BaseExpression]:
    if isinstance(target, (cst.Tuple, cst.List)):
        return [inner for element in target.elements for inner in _flat(element.value)]
    return [target]


def _rebinding_statements(source: SourceFile, scope: cst.CSTNode, name: str) -> list[cst.BaseStatement]:
    """Statements of a scope that bind ``name`` (`model = Net()` again) as a whole."""
    found = []
    for target in _targets(scope):
        if source.code(target) == name:
            statement = source.statement_of(target)
            if isinstance(statement, cst.SimpleStatementLine):
                found.append(statement)
    return found


def _calls_of(
    source: SourceFile, helper_source: SourceFile, helper: cst.FunctionDef
) -> list[tuple[cst.BaseStatement, cst.Call, dict[str, str], Union[cst.FunctionDef, cst.Module]]]:
    """The calls of a helper in ``source``: the statement of each, what the helper's parameters are
    bound to there (`net` -> `model`), and the scope the call runs in. A method is called on
    ``self`` in its own class, or on a name bound to an instance of it (``pruner.apply()``)."""
    owner = _method_class(helper_source, helper)
    name = helper.name.value
    if owner is None and _scope_of(helper_source, helper) is not helper_source.module:
        return []  # a nested function: not called by its name from elsewhere
    found = []
    for call in descendants(source.module, cst.Call):
        statement = source.statement_of(call)
        scope = _scope_of(source, statement) if statement is not None else None
        if statement is None or scope is None or scope is helper:
            continue
        receiver: Optional[str] = None
        if owner is None and isinstance(call.func, cst.Name) and call.func.value == name:
            pass
        elif owner is not None and isinstance(call.func, cst.Attribute) and call.func.attr.value == name:
            receiver = source.code(call.func.value)
            mine = isinstance(scope, cst.FunctionDef) and helper_source is source and _method_class(source, scope) is owner
            if not (mine and receiver == _first_param(scope)) and not _instance_of(source, scope, call.func.value, owner.name.value):
                continue
        else:
            continue
        found.append((statement, call, _bindings(source, helper, call, receiver), scope))
    return found


def _instance_of(source: SourceFile, scope: cst.CSTNode, receiver: cst.BaseExpression, cls: str) -> bool:
    """``trainer`` of ``trainer.prune()`` was bound in this scope to ``Trainer(...)``."""
    if not isinstance(receiver, cst.Name):
        return False
    return any(
        isinstance(target, cst.Name) and target.value == receiver.value and _built_by(source, target, cls)
        for target in _targets(scope)
    )


def _built_by(source: SourceFile, target: cst.Name, cls: str) -> bool:
    """``target = cls(...)`` (or ``module.cls(...)``)."""
    parent = source.parent(target)
    assign = source.parent(parent) if isinstance(parent, cst.AssignTarget) else None
    if isinstance(assign, cst.Assign) and isinstance(assign.value, cst.Call):
        func = assign.value.func
        called = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else ""
        return called == cls
    return False


def _bindings(source: SourceFile, helper: cst.FunctionDef, call: cst.Call, receiver: Optional[str]) -> dict[str, str]:
    """The helper's parameters bound to plain names of the call (`prune(model)`: net -> model)."""
    params = [p.name.value for p in [*helper.params.posonly_params, *helper.params.params]]
    bound: dict[str, str] = {}
    if receiver is not None:
        if not params:
            return {}
        bound[params[0]] = receiver
        params = params[1:]
    positional = [a for a in call.args if a.keyword is None]
    if any(a.star for a in positional):
        return bound
    for name, arg in zip(params, positional):
        bound[name] = source.code(arg.value)
    keywords = params + [p.name.value for p in helper.params.kwonly_params]
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value in keywords:
            bound[arg.keyword.value] = source.code(arg.value)
    return {name: code for name, code in bound.items() if _is_path_with_literal_index(code)}


def _translate(source: SourceFile, helper: cst.FunctionDef, expr: str, bindings: dict[str, str]) -> Optional[str]:
    """A module the helper names through its parameter (`net.fc1`), as the caller names it (`model.fc1`)."""
    root = expr.split(".", 1)[0].split("[", 1)[0]
    if root not in bindings:
        return None
    me = _first_param(helper) if _method_class(source, helper) is not None else None
    if root != me and root in {name for target in _targets(helper) for name in _target_roots(target) if source.code(target) == name}:
        return None  # the helper rebinds its parameter (`net = net.module`) before the replacement
    return bindings[root] + expr[len(root):]


def _insert_after(source: SourceFile, statement: cst.BaseStatement, text: str) -> Edit:
    _, end = source.statement_lines(statement, with_comments=False)
    if end == len(source.text) and not source.text.endswith("\n"):
        text = "\n" + text
    position = source.position(end)
    return Edit(position, position, text)


# -- parameters stored before the model was replaced, handed to an optimizer built later ---------------


@dataclass
class _StoredLeaf:
    """A value stored in a container that reads a module's parameters: ``self.net.head.parameters()``
    at ``self.optimizer_params["head"]["params"]`` (keys as the literal spells them)."""

    container: str  # `self.optimizer_params`, `groups`
    keys: tuple[str, ...]  # `"head"`, `"params"`; list positions as numbers
    code: str  # the stored expression: `self.net.head.parameters()`, `list(model.fc.parameters())`
    module: str  # the module whose parameters it reads: `self.net.head`


@dataclass
class _StoredGroups:
    """One assignment of a container the optimizer's parameters are read from, and its leaves;
    ``own``: it is made in the optimizer's own scope or class."""

    container: str
    leaves: list[_StoredLeaf]
    own: bool


def _leaves(groups: list[_StoredGroups]) -> list[_StoredLeaf]:
    return [leaf for group in groups for leaf in group.leaves]


def _stored_parameters(source: SourceFile, site: Site) -> Optional[tuple[cst.BaseStatement, list[_StoredGroups]]]:
    """The statement that builds the optimizer at ``site``, when its parameters are read from a
    container stored by an assignment of this file (not a ``.parameters()`` call of its own), with
    every such assignment readable from there, the optimizer's own scope or class first."""
    calls = source.nodes_at(site, cst.Call)
    if not calls:
        return None
    call = max(calls, key=lambda c: len(source.code(c)))
    params = next((arg for i, arg in enumerate(call.args) if _is_params(arg, i)), None)
    statement = source.statement_of(call)
    scope = _scope_of(source, call)
    if params is None or statement is None or scope is None:
        return None
    if any(_reads_parameters(node) for node in descendants(params.value, cst.Call)):
        return None  # `Adam(model.parameters())`: read from the model where it is built
    reads = [code for code in _chains(source, params.value)]
    groups: list[_StoredGroups] = []
    for node in descendants(source.module, cst.Assign):
        if len(node.targets) != 1:
            continue
        container = source.code(node.targets[0].target)
        if not _is_path_with_literal_index(container) or not any(_within(code, container) for code in reads):
            continue
        there = _scope_of(source, node)
        if there is None:
            continue
        leaves = list(_stored_leaves(source, node.value, container, ()))
        names = {name for leaf in leaves for name in _reads(cst.parse_expression(leaf.code))} | {_root(container)}
        if leaves and all(_readable(source, there, scope, name) for name in names):
            groups.append(_StoredGroups(container, leaves, there is scope or _same_object(source, there, scope, _root(container)) == "own"))
    if not groups:
        return None
    groups.sort(key=lambda group: not group.own)
    return statement, groups


def _reads_parameters(call: cst.Call) -> bool:
    return isinstance(call.func, cst.Attribute) and call.func.attr.value == "parameters" and dotted_path(call.func.value) is not None


def _stored_leaves(source: SourceFile, value: cst.BaseExpression, container: str, keys: tuple[str, ...]) -> Iterator[_StoredLeaf]:
    """The values of a literal (dicts and lists, nested) that read a module's parameters, with the
    keys that reach each one; a key that is not a literal string or a position stops the walk."""
    if isinstance(value, cst.Dict):
        for element in value.elements:
            if isinstance(element, cst.DictElement) and isinstance(element.key, (cst.SimpleString, cst.Integer)):
                yield from _stored_leaves(source, element.value, container, (*keys, source.code(element.key)))
        return
    if isinstance(value, (cst.List, cst.Tuple)):
        if any(isinstance(element, cst.StarredElement) for element in value.elements):
            return
        for index, element in enumerate(value.elements):
            yield from _stored_leaves(source, element.value, container, (*keys, str(index)))
        return
    modules = {dotted_path(c.func.value) for c in descendants(value, cst.Call) if _reads_parameters(c)}  # type: ignore[attr-defined]
    if len(modules) == 1:
        module = modules.pop()
        assert module is not None
        yield _StoredLeaf(container, keys, source.code(value), module)


def _within(inner: str, outer: str) -> bool:
    return inner == outer or inner.startswith(f"{outer}.") or inner.startswith(f"{outer}[")


def _same_object(source: SourceFile, there: Union[cst.FunctionDef, cst.Module], here: Union[cst.FunctionDef, cst.Module], name: str) -> str:
    """Whether ``name`` is ``self`` in two methods of one class, or of a class and one it derives
    from in this file ("own" for the same class, "related" for a base or a subclass, "" else)."""
    if not isinstance(there, cst.FunctionDef) or not isinstance(here, cst.FunctionDef):
        return ""
    if _first_param(there) != name or _first_param(here) != name:
        return ""
    first, second = _method_class(source, there), _method_class(source, here)
    if first is None or second is None:
        return ""
    if first is second:
        return "own"
    return "related" if _derives(source, second, first.name.value) or _derives(source, first, second.name.value) else ""


def _derives(source: SourceFile, cls: cst.ClassDef, base: str, seen: Optional[set[str]] = None) -> bool:
    """A class of this file derives from the class named ``base`` of this file, directly or not."""
    seen = set() if seen is None else seen
    if cls.name.value in seen:
        return False
    seen.add(cls.name.value)
    for arg in cls.bases:
        if isinstance(arg.value, cst.Name):
            if arg.value.value == base:
                return True
            for other in descendants(source.module, cst.ClassDef):
                if other.name.value == arg.value.value and _derives(source, other, base, seen):
                    return True
    return False


def _readable(source: SourceFile, there: Union[cst.FunctionDef, cst.Module], here: Union[cst.FunctionDef, cst.Module], name: str) -> bool:
    """A name read where a value was stored means the same where the optimizer is built: the same
    scope, ``self`` of the same object, or a global the optimizer's function does not shadow."""
    if there is here or _same_object(source, there, here, name):
        return True
    if name in dir(builtins):
        return True
    return there is source.module and isinstance(here, cst.FunctionDef) and name not in _locals(here)


def _rereadings(groups: list[_StoredGroups], trained: list[str]) -> Iterator[tuple[list[_StoredLeaf], str]]:
    """What to read again, from the least: for each assignment of the container, the values of the
    modules whose parameters train unheld; then all its values."""
    for group in groups:
        stale = [leaf for leaf in group.leaves if any(name.startswith(f"{leaf.module}.") for name in trained)]
        modules = ", ".join(dict.fromkeys(f"{leaf.module}.parameters()" for leaf in stale))
        yield stale, modules
        if len(stale) < len(group.leaves):
            yield group.leaves, ", ".join(dict.fromkeys(f"{leaf.module}.parameters()" for leaf in group.leaves))
