"""GF041: a momentum or EMA copy whose update loop covers only part of it.

MoCo's key encoder, BYOL's target network, a mean teacher, a DQN target network updated softly,
an EMA of a model: a copy that must follow its online twin, updated by hand with
``for p_q, p_k in zip(self.encoder_q.parameters(), self.encoder_k.parameters()): p_k.data = ...``.
When the loop names only a part of the copy (the encoder but not the projection head kept beside
it, a network's ``features`` but not its head, a backbone but not the classifier), the rest of the
copy keeps its initial values for good. Nothing crashes: the copy's outputs just come from a head
that never learned.

The probe records every write into parameters that user code makes outside an optimizer's step
once training has begun (``p.data = ...``, ``p.mul_(m).add_(...)``, ``p.data.copy_(...)``,
``torch._foreach_lerp_``), with its site. A finding needs a loop over ``zip(A.parameters(),
B.parameters())`` around such a write, whose written parameters got no gradient and changed; in the
same copy (under the module its receiving argument is an attribute of), a part whose parameters
got no gradient, never changed and were never written; and an online twin of that part beside the
loop's other argument: the same parameter names and shapes, trained by gradients. The fix extends
the loop to the forgotten part and its twin (``list(self.encoder_k.parameters()) +
list(self.head_k.parameters())``); the other candidate adds a second loop after it. The re-run
checks that the forgotten part now changes. A copy every part of which follows, a frozen copy that
is never updated (a fixed teacher, a reference model, a linear probe's backbone) and a module used
only by the online branch (BYOL's predictor: it has no twin in the copy) give no finding.
"""

from __future__ import annotations

import dataclasses
from typing import Optional

import libcst as cst

from gradfix.edits import Position
from gradfix.findings import Applicability, Candidate, Finding, Verdict, short_list
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.sandbox import RunResult
from gradfix.source import SourceFile, descendants
from gradfix.trace import Site, Trace, is_under, path_parts
from gradfix.verify import judge

_METHODS = ("parameters", "named_parameters")
_WIDTH = 99  # a fixed line longer than this is split, one zip argument per line


@dataclasses.dataclass
class _Arg:
    """One argument of the update loop's ``zip``: ``[list(]E.parameters()[)]``, E = base.a1...an."""

    node: cst.Arg
    wrapped: bool  # written as list(E.parameters())
    method: str
    base: cst.BaseExpression
    attrs: list[str]


@dataclasses.dataclass
class _Pair:
    """A forgotten part of the copy and its online twin, as module paths and as source expressions."""

    copy: str
    twin: str
    copy_code: str
    twin_code: str


def _signature(trace: Trace, path: list[str]) -> list[tuple[str, tuple[int, ...]]]:
    """The parameters under a module path: names relative to it and shapes."""
    return sorted(
        (".".join(path_parts(p.name)[len(path) :]), tuple(p.shape)) for p in trace.params if is_under(p.name, path)
    )


def _split_zip_arg(arg: cst.Arg) -> Optional[_Arg]:
    value, wrapped = arg.value, False
    if (
        isinstance(value, cst.Call) and isinstance(value.func, cst.Name) and value.func.value == "list"
        and len(value.args) == 1 and value.args[0].keyword is None and value.args[0].star == ""
    ):
        value, wrapped = value.args[0].value, True
    if not (isinstance(value, cst.Call) and not value.args and isinstance(value.func, cst.Attribute)):
        return None
    if value.func.attr.value not in _METHODS:
        return None
    node: cst.BaseExpression = value.func.value
    attrs: list[str] = []
    while isinstance(node, cst.Attribute):
        attrs.insert(0, node.attr.value)
        node = node.value
    if not attrs or arg.keyword is not None or arg.star:
        return None
    return _Arg(arg, wrapped, value.func.attr.value, node, attrs)


def _tokens(name: str) -> list[str]:
    return name.split("_")


def _renamed(part: str, before: str, after: str) -> Optional[str]:
    """``head_k`` for ``head_q`` given ``encoder_k`` -> ``encoder_q``: the tokens (split on ``_``) that
    differ between the loop's two arguments, swapped in a part's name."""
    old, new = _tokens(before), _tokens(after)
    if len(old) != len(new):
        return None
    swaps = {o: n for o, n in zip(old, new) if o != n}
    if not swaps:
        return part
    return "_".join(swaps.get(t, t) for t in _tokens(part))


class PartialMomentumUpdate(Rule):
    code = "GF041"
    title = "momentum or EMA update covers only part of the copy"
    applicability = Applicability.SAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        written = {name for write in trace.param_writes for name in write.params}
        findings: list[Finding] = []
        seen: set[int] = set()
        for write in trace.param_writes:
            followers = [n for n in write.params if (p := trace.param(n)) is not None and not p.got_grad and p.changed]
            if not followers:
                continue
            found = self._update_loop(project, write.sites)
            if found is None:
                continue
            source, loop, args = found
            if id(loop) in seen:
                continue
            seen.add(id(loop))
            finding = self._partial(trace, project, source, loop, args, followers, written)
            if finding is not None:
                findings.append(finding)
        return findings

    # -- the loop ---------------------------------------------------------------------------------

    @staticmethod
    def _update_loop(project: Project, sites: list[Site]) -> Optional[tuple[SourceFile, cst.For, list[_Arg]]]:
        """The innermost ``for ... in zip(A.parameters(), B.parameters())`` around the write (or
        around the call of the helper that wrote)."""
        for site in sites:
            if not project.is_editable(site.file):
                continue
            source = project.source(site.file)
            statements = [
                (where.start.line, node) for node, where in source.positions.items()
                if isinstance(node, cst.SimpleStatementLine) and where.start.line <= site.line <= where.end.line
            ]
            if not statements:
                continue
            statement = max(statements, key=lambda s: s[0])[1]
            for ancestor in source.ancestors(statement):
                if isinstance(ancestor, (cst.FunctionDef, cst.ClassDef)):
                    break
                if not isinstance(ancestor, cst.For):
                    continue
                call = ancestor.iter
                if not (isinstance(call, cst.Call) and isinstance(call.func, cst.Name) and call.func.value == "zip"):
                    continue
                args = [_split_zip_arg(a) for a in call.args]
                if len(args) == 2 and all(a is not None for a in args):
                    return source, ancestor, args  # type: ignore[return-value]
        return None

    # -- the evidence -----------------------------------------------------------------------------

    def _partial(
        self, trace: Trace, project: Project, source: SourceFile, loop: cst.For, args: list[_Arg],
        followers: list[str], written: set[str],
    ) -> Optional[Finding]:
        common = path_parts(followers[0])[:-1]
        for name in followers[1:]:
            parts = path_parts(name)[:-1]
            while common and parts[: len(common)] != common:
                common = common[:-1]
        receiver = source_arg = None
        copy_path: list[str] = []
        for index, arg in enumerate(args):
            n = len(arg.attrs)
            for end in range(len(common), n, -1):
                if common[end - n : end] == arg.attrs:
                    receiver, source_arg, copy_path = arg, args[1 - index], common[:end]
                    break
            if receiver is not None:
                break
        if receiver is None or source_arg is None:
            return None
        base = copy_path[: len(copy_path) - len(receiver.attrs)]
        # The online twin of the followed part: a module path ending as the other argument does,
        # with the same parameters, trained by gradients.
        followed = _signature(trace, copy_path)
        m = len(source_arg.attrs)
        twins = {
            tuple(path_parts(p.name)[:end])
            for p in trace.params if p.got_grad
            for end in range(m, len(path_parts(p.name)))
            if path_parts(p.name)[end - m : end] == source_arg.attrs
        }
        twins = {t for t in twins if _signature(trace, list(t)) == followed and self._trains(trace, list(t))}
        if len(twins) != 1:
            return None
        online = list(next(iter(twins)))
        online_base = online[: len(online) - m]
        # The forgotten parts: under the copy's base, outside the followed part, never written,
        # never changed, no gradient; grouped by the largest module holding only such parameters.
        forgotten = {
            p.name for p in trace.params
            if is_under(p.name, base) and not is_under(p.name, copy_path)
            and not p.got_grad and not p.changed and p.name not in written
        }
        parts: list[list[str]] = []
        for name in sorted(forgotten):
            whole = path_parts(name)
            if any(is_under(name, q) for q in parts):
                continue
            for end in range(len(base) + 1, len(whole)):
                path = whole[:end]
                if copy_path[:end] == path:
                    continue  # holds the followed part: look deeper
                inside = [p.name for p in trace.params if is_under(p.name, path)]
                if inside and all(n in forgotten for n in inside):
                    parts.append(path)
                    break
        pairs = []
        for part in parts:
            pair = self._pair(trace, source, part, base, online_base, copy_path, online, receiver, source_arg)
            if pair is not None and not self._updated_elsewhere(source, pair.copy_code, receiver):
                pairs.append(pair)
        if not pairs:
            return None
        params = [n for pair in pairs for n in sorted(forgotten) if is_under(n, path_parts(pair.copy))]
        loop_site = source.site(receiver.node.value)
        one = len(pairs) == 1
        shown = f"zip({', '.join(source.code(a.node.value) for a in args)})"  # on one line, as written or not
        message = (
            f"`{shown}` moves {'.'.join(copy_path)} towards {'.'.join(online)} but leaves out "
            f"{short_list([p.copy for p in pairs])} of the same copy: {'its' if one else 'their'} {len(params)} "
            f"parameters never change, while {'its online twin' if one else 'their online twins'} "
            f"{short_list([p.twin for p in pairs])} {'trains' if one else 'train'}"
        )
        candidates = [
            c for c in (
                self._extend(source, loop, receiver, source_arg, pairs),
                self._second_loop(source, loop, receiver, source_arg, pairs),
            ) if c
        ]
        return self.finding(project, loop_site, message, params, candidates)

    @staticmethod
    def _trains(trace: Trace, path: list[str]) -> bool:
        inside = [p for p in trace.params if is_under(p.name, path)]
        return bool(inside) and all(p.got_grad for p in inside) and any(p.changed for p in inside)

    def _pair(
        self, trace: Trace, source: SourceFile, part: list[str], base: list[str], online_base: list[str],
        copy_path: list[str], online: list[str], receiver: _Arg, source_arg: _Arg,
    ) -> Optional[_Pair]:
        relative = part[len(base) :]
        signature = _signature(trace, part)
        candidates = {
            tuple(path_parts(p.name)[:end])
            for p in trace.params if is_under(p.name, online_base) and p.got_grad
            for end in range(len(online_base) + 1, len(path_parts(p.name)))
        }
        twins = [
            list(t) for t in candidates
            if _signature(trace, list(t)) == signature and self._trains(trace, list(t))
            and not (list(t)[: len(online)] == online or online[: len(t)] == list(t))
            and not (list(t)[: len(part)] == part or part[: len(t)] == list(t))
        ]
        if len(twins) > 1:
            # Several look alike: the one at the same place in the twin (a deepcopy of the whole
            # model), or the one named as the loop's two arguments are (`head_k` for `head_q`).
            same = [t for t in twins if t[len(online_base) :] == relative]
            renamed = [
                t for t in twins
                if t[len(online_base) :] == [_renamed(r, copy_path[-1], online[-1]) for r in relative]
            ]
            twins = same if len(same) == 1 else renamed
        if len(twins) != 1:
            return None
        twin_relative = twins[0][len(online_base) :]
        if not all(r.isidentifier() for r in [*relative, *twin_relative]):
            return None  # `blocks.3`: not an attribute the fix could write
        return _Pair(
            copy=".".join(part),
            twin=".".join(twins[0]),
            copy_code=".".join([source.code(receiver.base), *relative]),
            twin_code=".".join([source.code(source_arg.base), *twin_relative]),
        )

    @staticmethod
    def _updated_elsewhere(source: SourceFile, code: str, receiver: _Arg) -> bool:
        """Another update of the forgotten part written in the file (a hard copy every N steps, a
        second loop) that the shortened run did not reach: then the part is not forgotten."""
        last = code.rsplit(".", 1)[-1]
        whole = source.code(receiver.base)
        for call in descendants(source.module, cst.Call):
            if isinstance(call.func, cst.Attribute) and call.func.attr.value == "load_state_dict":
                owner = source.code(call.func.value)
                if owner in (code, whole) or owner.endswith("." + last):
                    return True
        for loop in descendants(source.module, cst.For):
            if isinstance(loop.iter, cst.Call) and isinstance(loop.iter.func, cst.Name) and loop.iter.func.value == "zip":
                for arg in loop.iter.args:
                    split = _split_zip_arg(arg)
                    if split is not None and last in split.attrs:
                        return True
        return False

    # -- the fixes --------------------------------------------------------------------------------

    def _extend(
        self, source: SourceFile, loop: cst.For, receiver: _Arg, source_arg: _Arg, pairs: list[_Pair]
    ) -> Optional[Candidate]:
        assert isinstance(loop.iter, cst.Call)
        texts = {}
        for arg, codes in ((receiver, [p.copy_code for p in pairs]), (source_arg, [p.twin_code for p in pairs])):
            written = source.code(arg.node.value)
            head = written if arg.wrapped else f"list({written})"
            texts[id(arg.node)] = " + ".join([head, *(f"list({c}.{arg.method}())" for c in codes)])
        config = source.module.config_for_parsing
        split = self._split_zip(source, loop, [texts[id(a)] for a in loop.iter.args])
        if split is not None:
            edits = [source.replace_node(loop.iter, split)]
        else:
            edits = [source.replace_node(arg.node.value, cst.parse_expression(texts[id(arg.node)], config=config)) for arg in (receiver, source_arg)]
        shown = short_list([p.copy_code for p in pairs])
        return self.candidate(f"extend the momentum update to {shown}", source.path, edits)

    @staticmethod
    def _split_zip(source: SourceFile, loop: cst.For, texts: list[str]) -> Optional[cst.BaseExpression]:
        """``zip(...)`` of these arguments one per line, as a formatter would write it, when the
        loop's line would be too long with them; None when it fits."""
        where = source.range(loop.iter)
        start = source.lines.offset(Position(where.start.line, where.start.column))
        end = source.lines.offset(Position(where.end.line, where.end.column))
        before = source.text[source.lines.line_start(where.start.line) : start]
        after = source.text[end : source.lines.line_end(where.end.line)].rstrip("\n")
        if len(before + f"zip({', '.join(texts)})" + after) <= _WIDTH:
            return None
        # libcst indents the continuation lines by the loop's own indentation.
        inner = "".join(f"    {text},\n" for text in texts)
        return cst.parse_expression(f"zip(\n{inner})", config=source.module.config_for_parsing)

    def _second_loop(self, source: SourceFile, loop: cst.For, receiver: _Arg, source_arg: _Arg, pairs: list[_Pair]) -> Optional[Candidate]:
        assert isinstance(loop.iter, cst.Call)
        texts = []
        for arg in loop.iter.args:
            mine = arg is receiver.node
            codes = [p.copy_code if mine else p.twin_code for p in pairs]
            method = receiver.method if mine else source_arg.method
            texts.append(" + ".join(f"list({c}.{method}())" for c in codes) if len(codes) > 1 else f"{codes[0]}.{method}()")
        config = source.module.config_for_parsing
        split = self._split_zip(source, loop, texts)
        if split is None:
            args = [arg.with_changes(value=cst.parse_expression(t, config=config)) for arg, t in zip(loop.iter.args, texts)]
            split = loop.iter.with_changes(args=args)
        second = loop.with_changes(iter=split, leading_lines=())
        edit = source.replace_statement(loop, cst.FlattenSentinel([loop, second]))
        shown = short_list([p.copy_code for p in pairs])
        return self.candidate(f"update {shown} in a second loop", source.path, [edit])

    # -- the verdict ------------------------------------------------------------------------------

    def verify(self, finding: Finding, candidate: Candidate, before: Trace, run: RunResult) -> Verdict:
        # The forgotten part gets no gradient, before or after: the fix is right when it changes.
        verdict = judge(finding, dataclasses.replace(candidate, params=[]), before, run)
        if not verdict.verified or verdict.partial:
            return verdict
        stale = [n for n in finding.params if not ((p := run.trace.param(n)) and p.changed)]
        if stale:
            return Verdict(False, f"{short_list(stale)} still never change")
        return Verdict(True, f"{short_list(finding.params)} now follow their online twin", list(finding.params))
