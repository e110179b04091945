"""GF059: a target, EMA or momentum copy of a trained network that nothing ever updates.

DDPG and TD3 keep a target actor and a target critic, DQN variants a target network per head,
BYOL and MoCo a momentum encoder beside a momentum projector, a mean teacher one copy per student
part: each copy is made from its online network (``target.load_state_dict(online.state_dict())``
or ``copy.deepcopy(online)``) and must then follow it, softly (a Polyak loop over ``zip(...
parameters())``) or now and then (``load_state_dict`` again). When the update covers one pair
and forgets the other (``update_target_soft`` averages the critic, not the actor), the forgotten
copy keeps its initial weights for good while its online twin trains. Nothing crashes: the TD
targets just come from a policy that never learns.

The probe records which parameters were copied from which (``deepcopy``, ``load_state_dict`` given
another module's ``state_dict()``), which modules ran (a deepcopy, which skips ``__init__``, is
recorded at its first call when every parameter of it is a copy, and named as the script names it:
a global, ``self.q1_targ`` of an agent, ``targets['actor']`` of a dict), and every write into
parameters that user code makes once training has begun. A finding needs all of this from the run: a copy of a module
that trains (every parameter of it a copy, at the same relative names), that ran forward, whose
parameters got no gradient, never changed and were never written; and a sibling copy of another
module that trains, kept beside it (the copies under one owner, the sources under one owner) and
named the same way (``target_actor`` / ``actor`` as ``target_critic`` / ``critic``), whose
parameters got no gradient and changed: the run saw the sibling updated. The statement that did it
(the ``zip`` loop around the write, the helper call around it, the ``load_state_dict``) must name
the sibling and its source and not the forgotten copy; nothing else in the file may update the
forgotten copy (a ``load_state_dict`` into it, its ``parameters()`` or ``state_dict()`` read, or
the copy passed to a call, outside the block that made it: a hard update every N steps that the
shortened run did not reach).

The fix repeats the sibling's update statement for the forgotten pair, the two names swapped for
the copy's and its source's; when the statement loops over a written list of pairs (``for tgt, src
in [(self.q1_targ, self.q1), ...]``), the pair is added to the list instead. A copy kept in a dict
is swapped by its key (``targets["critic"]`` -> ``targets["actor"]``). The re-run checks that
the copy's parameters now change and still get no gradient. A frozen reference or teacher (never
meant to change: no sibling is updated, or the copies come from one source), a copy made for
evaluation only (named otherwise than the updated copy), a target network updated every N steps
and the copies updated together (BYOL, TD3's delayed targets) give no finding.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Optional

import libcst as cst

from gradfix.findings import Applicability, Candidate, Finding, Verdict, short_list
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.sandbox import RunResult
from gradfix.source import SourceFile, descendants
from gradfix.trace import ParamFact, Site, Trace, is_under, path_parts
from gradfix.verify import judge

# What a module is asked for when its weights are read or written: an update reads the copy this
# way (a Polyak loop, a hard copy, an EMA over its state), where a forward only calls it.
_STATE_METHODS = frozenset({
    "parameters", "named_parameters", "state_dict", "load_state_dict", "buffers", "named_buffers",
    "modules", "named_modules", "children", "named_children", "apply",
})


@dataclasses.dataclass
class _Copy:
    """A module whose parameters are all copies of another module's, at the same relative names."""

    copy: str  # module path, as the trace names it: `self.target_actor`
    source: str
    params: list[ParamFact]
    sources: list[ParamFact]


def _nested(a: str, b: str) -> bool:
    return a == b or is_under(a, path_parts(b)) or is_under(b, path_parts(a))


def _tokens(name: str) -> frozenset[str]:
    """``target_actor`` -> {target, actor}; ``actorTarget`` -> {actor, target}."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name)
    return frozenset(t.lower() for t in re.split(r"[_\W]+", spaced) if t)


def _role(copy: str, source: str) -> tuple[frozenset[str], frozenset[str]]:
    """How a copy's name differs from its source's: ({target}, {}) for target_actor / actor."""
    c, s = _tokens(path_parts(copy)[-1]), _tokens(path_parts(source)[-1])
    return c - s, s - c


def _owner(path: str) -> list[str]:
    return path_parts(path)[:-1]


def _copies(trace: Trace) -> list[_Copy]:
    groups: dict[tuple[str, str], list[tuple[ParamFact, ParamFact]]] = {}
    for p in trace.params:
        if not p.copy_of:
            continue
        q = trace.param(p.copy_of)
        if q is None:
            continue
        mine, theirs = path_parts(p.name), path_parts(q.name)
        common = 0
        while common < min(len(mine), len(theirs)) - 1 and mine[-1 - common] == theirs[-1 - common]:
            common += 1
        if not common:
            continue
        key = (".".join(mine[:-common]), ".".join(theirs[:-common]))
        groups.setdefault(key, []).append((p, q))
    found = []
    for (copy, source), pairs in groups.items():
        if _nested(copy, source):
            continue
        if len({s for c, s in groups if c == copy}) != 1:
            continue  # one module copied from two: not one network's copy
        inside = [p for p in trace.params if is_under(p.name, path_parts(copy))]
        if len(inside) != len(pairs):
            continue  # part of it is no copy (a head of its own): GF041's ground, or none
        found.append(_Copy(copy, source, [c for c, _ in pairs], [s for _, s in pairs]))
    return found


def _signature(copy: _Copy) -> list[tuple[str, tuple[int, ...]]]:
    return sorted((p.name[len(copy.copy) + 1 :], tuple(p.shape)) for p in copy.params)


def _trains(params: list[ParamFact]) -> bool:
    return any(p.got_grad and p.changed and p.optimizers for p in params)


def _ran(trace: Trace, path: str) -> bool:
    return any(
        m.path and (m.path == path or is_under(m.path, path_parts(path))) and (m.ran_with_grad or m.ran_without_grad)
        for m in trace.modules
    )


# A module kept in a dict, as the probe names it: `targets['critic']`.
_KEYED = re.compile(r"([A-Za-z_]\w*)\[('[A-Za-z_]\w*')\]")


def _handle(node: cst.CSTNode) -> Optional[str]:
    """The last segment of the trace's name for what an expression holds: ``self.target_critic`` ->
    ``target_critic``, ``targets["critic"]`` -> ``targets['critic']``."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return node.attr.value
    if isinstance(node, cst.Subscript) and isinstance(node.value, (cst.Name, cst.Attribute)) and len(node.slice) == 1:
        index = node.slice[0].slice
        if isinstance(index, cst.Index) and isinstance(index.value, cst.SimpleString):
            key = index.value.evaluated_value
            if isinstance(key, str) and key.isidentifier():
                return f"{_handle(node.value)}[{key!r}]"
    return None


def _identifiers(node: cst.CSTNode) -> set[str]:
    """The names and attribute names a statement spells (``self.target_critic`` -> self,
    target_critic), and the dict entries it reads by a written key (``targets['critic']``)."""
    keyed = {h for n in descendants(node, cst.Subscript) if (h := _handle(n)) is not None}
    return {n.value for n in descendants(node, cst.Name)} | keyed


def _homes(source: SourceFile, name: str) -> list[cst.CSTNode]:
    """The blocks holding an assignment to ``name`` or ``<x>.name``: where the copy is made (and,
    beside it, loaded, frozen, moved)."""
    def spelled(node: cst.BaseExpression) -> set[str]:
        if isinstance(node, (cst.Tuple, cst.List)):
            return {n for e in node.elements for n in spelled(e.value)}
        handle = _handle(node)
        return {handle} if handle is not None else set()

    # A module kept in a dict is made where the dict is, or where the entry is assigned.
    keyed = _KEYED.fullmatch(name)
    names = {name, keyed.group(1)} if keyed else {name}
    homes = []
    for assign in descendants(source.module, cst.Assign):
        statement = source.statement_of(assign)
        if statement is None or source.parent(statement) is None:
            continue
        if any(names & spelled(target.target) for target in assign.targets):
            homes.append(source.parent(statement))
    return homes


def _self_loads(source: SourceFile, name: str) -> list[cst.Call]:
    """``target.load_state_dict(target.state_dict())``: loads into ``name`` of its own state."""
    found = []
    for call in descendants(source.module, cst.Call):
        func = call.func
        if not (isinstance(func, cst.Attribute) and func.attr.value == "load_state_dict" and _handle(func.value) == name):
            continue
        if not call.args or call.args[0].keyword is not None and call.args[0].keyword.value != "state_dict":
            continue
        # The same expression on both sides (`ema.module` into `model.module` is a real sync).
        receiver = source.code(func.value)
        reads = [
            a for a in descendants(call.args[0].value, cst.Attribute)
            if a.attr.value == "state_dict" and source.code(a.value) == receiver
        ]
        if reads:
            found.append(call)
    return found


class _Rename(cst.CSTTransformer):
    """Swap identifiers token for token: the sibling's copy and source for the forgotten pair's."""

    def __init__(self, names: dict[str, str]):
        self.names = names

    def leave_Name(self, original: cst.Name, updated: cst.Name) -> cst.Name:
        new = self.names.get(updated.value)
        return updated.with_changes(value=new) if new else updated

    def leave_Subscript(self, original: cst.Subscript, updated: cst.Subscript) -> cst.Subscript:
        # `targets["critic"]` -> `targets["actor"]`: the key swapped, its quotes kept.
        new = _KEYED.fullmatch(self.names.get(_handle(original) or "", ""))
        if new is None:
            return updated
        index = updated.slice[0].slice
        assert isinstance(index, cst.Index) and isinstance(index.value, cst.SimpleString)
        string = index.value
        key = string.prefix + string.quote + new.group(2)[1:-1] + string.quote
        return updated.with_changes(slice=[updated.slice[0].with_changes(slice=index.with_changes(value=string.with_changes(value=key)))])


@dataclasses.dataclass
class _Update:
    """The statement that updated the sibling copy."""

    source: SourceFile
    statement: cst.BaseStatement
    site: Site


class TargetNetworkNeverUpdated(Rule):
    code = "GF059"
    title = "target network never updated"
    applicability = Applicability.SAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        written = {name for write in trace.param_writes for name in write.params}
        copies = [c for c in _copies(trace) if _trains(c.sources)]
        stuck = [
            c for c in copies
            if not any(p.got_grad or p.changed or p.name in written for p in c.params) and _ran(trace, c.copy)
        ]
        following = [c for c in copies if not any(p.got_grad for p in c.params) and any(p.changed for p in c.params)]
        findings: list[Finding] = []
        for forgotten in stuck:
            # `target.load_state_dict(target.state_dict())`: the script meant to update the copy
            # here, and gave it its own weights. That load says which copy and where; no sibling
            # is needed.
            itself = self._loads_itself(trace, project, forgotten)
            if itself is not None:
                findings.append(itself)
                continue
            # A sibling built as the forgotten copy is (q1_target for q2_target) first: its update
            # is the one the forgotten copy was meant to share.
            alike = sorted(following, key=lambda c: _signature(c) != _signature(forgotten))
            for sibling in alike:
                if _nested(sibling.source, forgotten.source) or _nested(sibling.copy, forgotten.copy):
                    continue  # two copies of one network: a snapshot or a reference beside the EMA
                if _owner(sibling.copy) != _owner(forgotten.copy) or _owner(sibling.source) != _owner(forgotten.source):
                    continue
                if _role(sibling.copy, sibling.source) != _role(forgotten.copy, forgotten.source):
                    continue
                finding = self._finding(trace, project, forgotten, sibling, written)
                if finding is not None:
                    findings.append(finding)
                    break
        return findings

    def _finding(self, trace: Trace, project: Project, forgotten: _Copy, sibling: _Copy, written: set[str]) -> Optional[Finding]:
        names = {
            path_parts(sibling.copy)[-1]: path_parts(forgotten.copy)[-1],
            path_parts(sibling.source)[-1]: path_parts(forgotten.source)[-1],
        }
        if not all(n.isidentifier() or _KEYED.fullmatch(n) for n in [*names, *names.values()]):
            return None  # `blocks.3`: no name a fix could write
        for pair in ((sibling.copy, forgotten.copy), (sibling.source, forgotten.source)):
            keyed = [_KEYED.fullmatch(path_parts(path)[-1]) for path in pair]
            if any(keyed) and not (all(keyed) and keyed[0].group(1) == keyed[1].group(1)):  # type: ignore[union-attr]
                return None  # one kept in a dict, the other not: no swap of names makes the one update the other
        update = self._update(trace, project, sibling, forgotten)
        if update is None:
            return None
        source = update.source
        spelled = source.bindings | {a.attr.value for a in descendants(source.module, cst.Attribute)} | _identifiers(source.module)
        if not all(n in spelled for n in names.values()):
            return None
        if self._updated_elsewhere(source, path_parts(forgotten.copy)[-1]):
            return None
        candidates = [c for c in (self._add_pair(update, names), self._repeat(update, names)) if c is not None]
        if not candidates:
            return None
        message = (
            f"{forgotten.copy} is a copy of {forgotten.source} that runs forward but never changes: "
            f"its {len(forgotten.params)} parameters keep the values copied from {forgotten.source}, while "
            f"{forgotten.source} trains; its sibling {sibling.copy} follows {sibling.source} through the update at "
            f"line {update.site.line}, which leaves {path_parts(forgotten.copy)[-1]} out"
        )
        return self.finding(project, update.site, message, [p.name for p in forgotten.params], candidates)

    def _loads_itself(self, trace: Trace, project: Project, forgotten: _Copy) -> Optional[Finding]:
        """A load into the forgotten copy of its own ``state_dict()``, reached by the run: the fix
        loads it from the module it was copied from instead."""
        name, origin = path_parts(forgotten.copy)[-1], path_parts(forgotten.source)[-1]
        if not (name.isidentifier() or _KEYED.fullmatch(name)) or not (origin.isidentifier() or _KEYED.fullmatch(origin)):
            return None
        if bool(_KEYED.fullmatch(name)) != bool(_KEYED.fullmatch(origin)):
            return None  # one kept in a dict, the other not: no swap of names reaches the source
        for site in dict.fromkeys(trace.loads):
            if not project.is_editable(site.file):
                continue
            source = project.source(site.file)
            call = next((c for c in _self_loads(source, name) if source.site(c).line == site.line), None)
            if call is None:
                continue
            if origin not in _identifiers(source.module) and origin not in source.bindings:
                return None
            argument = call.args[0].value
            renamed = argument.visit(_Rename({name: origin}))
            assert isinstance(renamed, cst.BaseExpression)
            edit = source.replace_node(argument, renamed)
            shown = source.module.code_for_node(renamed)
            candidate = self.candidate(f"load {name} from {shown}", source.path, [edit])
            message = (
                f"{forgotten.copy} is a copy of {forgotten.source} that runs forward but never changes: the "
                f"update at line {site.line} loads {name}'s own state_dict() into it, so its "
                f"{len(forgotten.params)} parameters keep the values first copied from {forgotten.source}, "
                f"while {forgotten.source} trains"
            )
            return self.finding(project, source.site(call), message, [p.name for p in forgotten.params], [candidate])
        return None

    # -- the sibling's update -----------------------------------------------------------------------

    def _update(self, trace: Trace, project: Project, sibling: _Copy, forgotten: _Copy) -> Optional[_Update]:
        mine = {path_parts(sibling.copy)[-1], path_parts(sibling.source)[-1]}
        theirs = {path_parts(forgotten.copy)[-1]}
        chains = [(False, w.sites) for w in trace.param_writes if any(is_under(n, path_parts(sibling.copy)) for n in w.params)]
        chains += [(True, [site]) for site in dict.fromkeys(trace.loads)]
        for load, sites in chains:
            for site in sites:
                if not project.is_editable(site.file):
                    continue
                source = project.source(site.file)
                statement = self._naming(source, site, mine, theirs)
                if statement is None:
                    continue
                if load:
                    # A load: the one that made the sibling (beside the statement that built it)
                    # is no update.
                    if "load_state_dict" not in source.code(statement):
                        continue
                    if source.parent(statement) in _homes(source, path_parts(sibling.copy)[-1]):
                        continue
                return _Update(source, statement, source.site(statement))
        return None

    @staticmethod
    def _naming(source: SourceFile, site: Site, mine: set[str], theirs: set[str]) -> Optional[cst.BaseStatement]:
        """The smallest statement around a line, within its function, that names the sibling and its
        source and not the forgotten copy."""
        lines = [
            (where.start.line, node) for node, where in source.positions.items()
            if isinstance(node, cst.SimpleStatementLine) and where.start.line <= site.line <= where.end.line
        ]
        if not lines:
            return None
        statement: cst.CSTNode = max(lines, key=lambda s: s[0])[1]
        chain = [statement, *source.ancestors(statement)]
        for node in chain:
            if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Module)):
                return None
            if not isinstance(node, (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
                continue
            spelled = _identifiers(node)
            if spelled & theirs:
                return None
            if mine <= spelled:
                return node
        return None

    @staticmethod
    def _updated_elsewhere(source: SourceFile, name: str) -> bool:
        """Another update of the forgotten copy written in the file, which the shortened run did not
        reach: a ``load_state_dict`` into it, its weights read (``parameters()``, ``state_dict()``),
        or the copy handed to a call, anywhere but in the blocks of statements that made it."""
        # The first block that assigns it made it; an assignment anywhere else is a hard update
        # (`actor_target = copy.deepcopy(actor)` every N steps) the shortened run did not reach.
        every = _homes(source, name)
        homes = every[:1]
        if any(home is not homes[0] for home in every):
            return True
        itself = _self_loads(source, name)
        held: list[cst.CSTNode] = [*descendants(source.module, cst.Name), *descendants(source.module, cst.Attribute)]
        for node in [*held, *descendants(source.module, cst.Subscript)]:
            if _handle(node) != name:
                continue
            if isinstance(node, cst.Name) and isinstance(source.parent(node), cst.Attribute) and source.parent(node).attr is node:  # type: ignore[union-attr]
                continue  # the attribute's own name: judged as the Attribute
            parent = source.parent(node)
            read = (
                isinstance(parent, cst.Attribute) and parent.value is node and parent.attr.value in _STATE_METHODS
            ) or (isinstance(parent, cst.Arg) and isinstance(source.parent(parent), cst.Call)) or isinstance(parent, cst.Element)
            if not read:
                continue
            statement = source.statement_of(node)
            if statement is not None and any(source.parent(statement) is home for home in homes):
                continue  # made and loaded, frozen, moved: the copy's set-up
            if any(source.statement_of(call) is statement for call in itself):
                continue  # its own state_dict() loaded back into it: no update
            return True
        return False

    # -- the fixes ----------------------------------------------------------------------------------

    def _add_pair(self, update: _Update, names: dict[str, str]) -> Optional[Candidate]:
        """``for tgt, src in [(a_targ, a), ...]``: the forgotten pair added to the written list."""
        statement = update.statement
        if not isinstance(statement, cst.For) or not isinstance(statement.iter, (cst.List, cst.Tuple)):
            return None
        elements = list(statement.iter.elements)
        ours = [e for e in elements if isinstance(e.value, cst.Tuple) and set(names) <= _identifiers(e.value)]
        if len(ours) != 1:
            return None
        new = ours[0].value.visit(_Rename(names))
        assert isinstance(new, cst.BaseExpression)
        last = elements[-1]
        comma = last.comma if isinstance(last.comma, cst.Comma) else cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
        tail = cst.Element(new, comma=last.comma)
        elements[-1] = last.with_changes(comma=comma)
        elements.append(tail)
        edit = update.source.replace_node(statement.iter, statement.iter.with_changes(elements=elements))
        shown = update.source.module.code_for_node(new)
        return self.candidate(f"add {shown} to the pairs the update loops over", update.source.path, [edit])

    def _repeat(self, update: _Update, names: dict[str, str]) -> Optional[Candidate]:
        statement = update.statement
        if isinstance(statement, cst.For) and isinstance(statement.iter, (cst.List, cst.Tuple)):
            return None  # repeating it would update the other pairs twice
        renamed = statement.visit(_Rename(names))
        assert isinstance(renamed, cst.BaseStatement)
        renamed = renamed.with_changes(leading_lines=())
        edit = update.source.replace_statement(statement, cst.FlattenSentinel([statement, renamed]))
        copy = [n for s, n in names.items()][0]
        return self.candidate(f"repeat the update for {copy}", update.source.path, [edit])

    # -- the verdict --------------------------------------------------------------------------------

    def verify(self, finding: Finding, candidate: Candidate, before: Trace, run: RunResult) -> Verdict:
        # The copy gets no gradient, before or after: the fix is right when it changes by the update.
        verdict = judge(finding, dataclasses.replace(candidate, params=[]), before, run)
        if not verdict.verified or verdict.partial:
            return verdict
        after = run.trace
        stale = [n for n in finding.params if not ((p := after.param(n)) and p.changed)]
        if stale:
            return Verdict(False, f"{short_list(stale)} still never change")
        trained = [n for n in finding.params if (p := after.param(n)) and p.got_grad]
        if trained:
            return Verdict(False, f"{short_list(trained)} now get gradients: the copy would train instead of following")
        return Verdict(True, f"{short_list(finding.params)} now follow their source", list(finding.params))
