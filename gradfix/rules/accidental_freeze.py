"""GF004: parameters frozen (``requires_grad = False``) by accident.

Freezing is often intended: a pretrained backbone whose weights were loaded first, or an
optimizer built from ``filter(lambda p: p.requires_grad, ...)``. The rule fires only on evidence
of an accident: the frozen parameters were never loaded (randomly initialised) and are still
handed to an optimizer, or every parameter of the model is frozen. A freeze whose own comment
says it is meant ("fixed random features, by design", "keep frozen", "on purpose") is intent,
and gives no finding. The fix removes the freezing statements (the whole loop when freezing is
all it does), and the comment right above them only when it heads nothing else. It changes what
is trained, so it is an unsafe fix: verified, but applied only with ``--unsafe-fixes`` or after
review.

An optimizer's parameter group made for frozen parameters (one tensor, or every parameter of one
module), at a learning rate above 0, shows the same intent even for loaded values: the script made a group to train them (a smaller
rate for pretrained embeddings), and nothing in it can change. Such parameters may have been
frozen when they were built, with no statement to remove: ``nn.Embedding.from_pretrained(w)``
(and ``EmbeddingBag``) freezes by default, and ``nn.Parameter(t, requires_grad=False)`` says so
itself. The fix passes ``freeze=False``, or drops ``requires_grad=False``. Parameters frozen and
left out of every optimizer, or held in a group whose rate is 0, are frozen on purpose.

An optimizer that holds nothing but frozen parameters ("freeze everything, train the head", with
the head frozen too) was handed what the script meant to train: the first candidate unfreezes
what it was given (``model.fc.requires_grad_(True)``) just before it is built, and nothing else.
"""

from __future__ import annotations

import re
from typing import Optional

import libcst as cst

from gradfix.edits import Edit, Patch
from gradfix.findings import Applicability, Candidate, Finding, Verdict, short_list
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.source import SourceFile, descendants
from gradfix.sandbox import RunResult
from gradfix.trace import ParamFact, Site, Trace
from gradfix.verify import judge

_ENCLOSING = (cst.For, cst.While, cst.If)
_FROM_PRETRAINED = {
    f"torch.nn.{kind}.from_pretrained" for kind in ("Embedding", "EmbeddingBag")
} | {f"torch.nn.modules.sparse.{kind}.from_pretrained" for kind in ("Embedding", "EmbeddingBag")}
_PARAMETER = {"torch.nn.Parameter", "torch.nn.parameter.Parameter"}
_RANDOM = re.compile(r"rand|normal|uniform|empty|kaiming|xavier|orthogonal|bernoulli|multinomial|init")
# What a freeze's own comment says when the freeze is meant: "fixed random features, by design",
# "keep frozen", "frozen on purpose". Not when negated right before ("not on purpose"), nor when
# the comment calls it a slip.
_INTENT = (
    r"by design|on purpose|purposely|purposefully|intentional(?:ly)?|deliberate(?:ly)?"
    r"|(?:keep|keeps|keeping|kept|stays?|remains?|left) (?:\w+ ){0,3}frozen|random[- ]features?"
)
_MEANT = re.compile(rf"(?<![\w'])(?<!not )(?<!n't )(?<!never )(?:{_INTENT})\b", re.IGNORECASE)
_SLIP = re.compile(r"accident|mistake|\bbug\b|\boops\b|\bwrong|\bfixme\b|\btodo\b|\bforgot", re.IGNORECASE)


class AccidentalFreeze(Rule):
    code = "GF004"
    title = "parameters frozen by accident"
    applicability = Applicability.UNSAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        # An optimizer that crashed because everything was frozen still shows the intent to train.
        crashed_building = trace.crash is not None and "empty parameter list" in trace.crash.message
        trains = bool(trace.backwards or trace.optimizers or crashed_building)
        if not trains:
            return []
        findings = []
        made: dict[tuple[str, int], bool] = {}  # one look per freezing line, however many parameters it froze

        def deterministic(site: Site) -> bool:
            if (site.file, site.line) not in made:
                made[(site.file, site.line)] = self._made_deterministic(project, site)
            return made[(site.file, site.line)]

        said: dict[tuple[str, int], bool] = {}

        def meant(site: Site) -> bool:
            if (site.file, site.line) not in said:
                said[(site.file, site.line)] = self._said_deliberate(project, site)
            return said[(site.file, site.line)]

        def said_so(p: Optional[ParamFact]) -> bool:
            return p is not None and bool(p.frozen_at) and all(meant(site) for site in p.frozen_at)

        grouped = {name for name in self._frozen_groups(trace) if not said_so(trace.param(name))}
        for module in trace.modules:
            params = trace.params_of(module.id)
            # A later attempt to unfreeze them (even a misspelt one) shows the freeze is a schedule.
            retried = {t.name for t in trace.typos}
            # A parameter that got a gradient or changed was trained at some point: its freeze is a
            # phase (a GAN's discriminator held still during the generator's step), not an accident.
            # A parameter frozen at a constant (a norm layer's 1s and 0s) is fixed on purpose, as
            # affine=False would: nothing random is being kept by mistake.
            frozen = [
                p for p in params
                if p.frozen_at and not p.requires_grad and p.name not in retried and not p.got_grad and not p.changed
                and not p.constant
            ]
            # In a group of their own, frozen parameters were meant to train whatever their values.
            frozen = [p for p in frozen if p.name in grouped or not any(deterministic(site) for site in p.frozen_at)]
            # The script's author said so where they froze them.
            frozen = [p for p in frozen if not said_so(p)]
            # `EmbeddingBag.from_pretrained` freezes after building: the call, not a statement, froze them.
            frozen = [p for p in frozen if not all(self._from_pretrained_at(project, site) for site in p.frozen_at)]
            if not frozen:
                continue
            tree = {module.id, *module.children}
            loaded = [m.path for m in trace.modules if m.id in tree and m.loaded and m.path]
            # Freezing what was loaded is fine-tuning; a fresh part frozen beside it may still be an accident.
            # A part built after the load (a new head) is fresh, whatever its parent's values are.
            frozen = [p for p in frozen if p.name in grouped or p.name.rsplit(".", 1)[0] not in loaded]
            if not frozen:
                continue
            handed = [p for p in frozen if p.optimizers]
            # A whole frozen model is an accident only when that broke training: the optimizer or
            # backward() crashed for lack of trainable parameters (a random frozen target
            # network, as in RND, is fine).
            everything = len(frozen) == len([p for p in params if not p.constant]) and trace.crash is not None and (
                "empty parameter list" in trace.crash.message or "does not require grad" in trace.crash.message
            )
            if not handed and not everything:
                continue  # the optimizer leaves the frozen parameters out: intentional
            if self._unfreezes_later(trace, project, frozen):
                continue  # a warm-up schedule: the script turns gradients back on further on
            # The script chose in its set-up what to train (it unfroze some parameters again): what
            # is still frozen stays frozen on purpose, even when the optimizer was given the whole
            # model (Adam skips what has no gradient). Only a group made for frozen parameters (an
            # optimizer given just the frozen head) is the accident.
            chosen = [p for p in handed if p.name in grouped] if trace.setup_thaws and not everything else frozen
            if not chosen:
                continue
            findings.append(self._finding(
                trace, project, chosen, everything, shared=self._shared_sites(trace, chosen),
                grouped=all(p.name in grouped for p in chosen),
            ))
        findings += self._built_frozen(trace, project, grouped)
        return [f for f in findings if f is not None]

    # -- frozen when built, in a param group made to train them ---------------------------------------

    @staticmethod
    def _frozen_groups(trace: Trace) -> set[str]:
        """Parameters in a param group of a stepping optimizer where every parameter is frozen and
        the learning rate is above 0: a group made to train what can never change. Made for them:
        the group is one tensor, or every parameter of one module (``emb.parameters()``), not a
        selection across the model (a no-weight-decay group of frozen norm layers)."""
        found: set[str] = set()
        for optimizer in trace.optimizers:
            if not optimizer.steps or sum(optimizer.group_sizes) != len(optimizer.params):
                continue
            start = 0
            for size in optimizer.group_sizes:
                names = optimizer.params[start : start + size]
                start += size
                members = [trace.param(name) for name in names]
                if not members or any(p is None or p.requires_grad or p.lr_zero or p.got_grad or p.changed for p in members):
                    continue
                if len(names) > 1 and set(names) != set(_whole_module(trace, names)):
                    continue
                found.update(names)
        return found

    def _built_frozen(self, trace: Trace, project: Project, grouped: set[str]) -> list[Finding]:
        """Grouped frozen parameters that no statement froze: the call that built them did."""
        if not grouped:
            return []
        retried = {t.name for t in trace.typos}
        builds: dict[tuple[str, int, int], tuple[Site, cst.Call, Edit, list[str], str]] = {}
        for name in sorted(grouped):
            p = trace.param(name)
            if p is None or name in retried or not all(self._from_pretrained_at(project, site) for site in p.frozen_at):
                continue
            made = self._pretrained_call(trace, project, p) or self._frozen_parameter(trace, project, p)
            if made is None:
                continue
            site, call, edit, description = made
            key = (site.file, edit.start.line, edit.start.column)
            builds.setdefault(key, (site, call, edit, [], description))[3].append(name)
        files = frozenset({trace.script, *(site.file for site, *_ in builds.values())})
        if not builds or self._unfreezes_later(trace, project, [], frozenset(f for f in files if project.is_editable(f))):
            return []
        findings = []
        for site, call, edit, names, description in builds.values():
            source = project.source(site.file)
            built = source.code(call)
            message = (
                f"{short_list(names)} {'is' if len(names) == 1 else 'are'} frozen where built "
                f"(`{built if len(built) <= 60 else built[:57] + '...'}`), yet an optimizer holds "
                f"{'it' if len(names) == 1 else 'them'} in a param group of {'its' if len(names) == 1 else 'their'} own "
                f"with a learning rate above 0: nothing in that group can change"
            )
            candidates = [Candidate(description, [Patch(site.file, [edit])], self.applicability)]
            findings.append(self.finding(project, site, message, names, candidates))
        return findings

    @staticmethod
    def _from_pretrained_at(project: Project, site: Site) -> bool:
        """A freeze recorded on a line that calls ``from_pretrained`` (EmbeddingBag's sets
        ``requires_grad`` after building the layer)."""
        if not project.is_editable(site.file):
            return False
        source = project.source(site.file)
        return any(
            source.qualified_names(call.func) & _FROM_PRETRAINED
            for statement in source.statements_on_line(site.line)
            for call in descendants(statement, cst.Call)
        )

    @staticmethod
    def _pretrained_call(trace: Trace, project: Project, p: ParamFact) -> Optional[tuple[Site, cst.Call, Edit, str]]:
        """``nn.Embedding.from_pretrained(w)`` that built the parameter's module, with freeze left at
        its default (True): the edit passes ``freeze=False``."""
        path = p.name.rsplit(".", 1)[0]
        module = next((m for m in trace.modules if m.path == path), None)
        if module is None or module.site is None or not project.is_editable(module.site.file):
            return None
        source = project.source(module.site.file)
        for call in source.nodes_at(module.site, cst.Call):
            if not source.qualified_names(call.func) & _FROM_PRETRAINED:
                continue
            if any(a.keyword is not None and a.keyword.value == "freeze" for a in call.args) or any(a.star for a in call.args):
                return None  # said explicitly: not this default
            positional = [a for a in call.args if a.keyword is None]
            if len(positional) > 1:
                return None  # freeze given by position
            args = list(call.args)
            if args:
                args[-1] = args[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
            args.append(cst.Arg(cst.Name("False"), keyword=cst.Name("freeze"), equal=cst.AssignEqual(
                whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace(""),
            )))
            edit = source.replace_node(call, call.with_changes(args=args))
            return source.site(call), call, edit, "pass freeze=False to from_pretrained(), which freezes by default"
        return None

    @staticmethod
    def _frozen_parameter(trace: Trace, project: Project, p: ParamFact) -> Optional[tuple[Site, cst.Call, Edit, str]]:
        """``self.<attr> = nn.Parameter(t, requires_grad=False)`` in the class of the parameter's
        module, or ``<name> = nn.Parameter(t, requires_grad=False)`` for a bare one: the edit
        drops the keyword."""
        owner_path, _, attr = p.name.rpartition(".")
        module = next((m for m in trace.modules if m.path == owner_path), None) if owner_path else None
        files = {trace.script}
        if module is not None and module.site is not None:
            files.add(module.site.file)
        cls = module.cls.rsplit(".", 1)[-1] if module is not None else None
        found: list[tuple[SourceFile, cst.Call, cst.Arg]] = []
        for path in sorted(files):
            if not project.is_editable(path):
                continue
            source = project.source(path)
            for assign in descendants(source.module, cst.Assign):
                if len(assign.targets) != 1 or not isinstance(assign.value, cst.Call):
                    continue
                target = assign.targets[0].target
                if cls is not None:
                    holder = next((a for a in source.ancestors(assign) if isinstance(a, cst.ClassDef)), None)
                    if not (
                        holder is not None and holder.name.value == cls and isinstance(target, cst.Attribute)
                        and isinstance(target.value, cst.Name) and target.value.value == "self" and target.attr.value == attr
                    ):
                        continue
                elif source.code(target) != p.name:
                    continue
                call = assign.value
                if not source.qualified_names(call.func) & _PARAMETER:
                    continue
                keyword = next((a for a in call.args if a.keyword is not None and a.keyword.value == "requires_grad"), None)
                if keyword is None or not (isinstance(keyword.value, cst.Name) and keyword.value.value == "False"):
                    continue
                found.append((source, call, keyword))
        if len(found) != 1:
            return None  # none, or several places: which one built it is a guess
        source, call, keyword = found[0]
        args = [a for a in call.args if a is not keyword]
        args[-1] = args[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
        edit = source.replace_node(call, call.with_changes(args=args))
        return source.site(call), call, edit, "drop requires_grad=False from the nn.Parameter"

    @staticmethod
    def _unfreezes_later(trace: Trace, project: Project, frozen: list[ParamFact], files: frozenset[str] = frozenset()) -> bool:
        """The file that freezes also sets ``requires_grad`` back to True somewhere (maybe in a
        step the early stop did not reach, maybe misspelt): freezing is part of a schedule. An
        unfreeze that already ran during set-up (before the first backward, outside any training
        loop) is not one: it thawed what it was going to, and the parameters still frozen stay so."""
        files = files | {site.file for p in frozen for site in p.frozen_at if project.is_editable(site.file)}
        done = {(site.file, site.line) for site in trace.setup_thaws}
        for path in files:
            source = project.source(path)
            for node in source.positions:
                if isinstance(node, cst.Assign) and any(
                    isinstance(t.target, cst.Attribute) and t.target.attr.value in ("requires_grad", "require_grad")
                    for t in node.targets
                ) and isinstance(node.value, cst.Name) and node.value.value == "True":
                    pass
                elif (
                    isinstance(node, cst.Call)
                    and isinstance(node.func, cst.Attribute)
                    and node.func.attr.value == "requires_grad_"
                    and (not node.args or (isinstance(node.args[0].value, cst.Name) and node.args[0].value.value == "True"))
                ):
                    pass
                else:
                    continue
                if (path, source.range(node).start.line) in done and not _in_training_loop(source, node):
                    continue
                return True
        return False

    def verify(self, finding: Finding, candidate: Candidate, before: Trace, run: RunResult) -> Verdict:
        verdict = judge(finding, candidate, before, run)
        if not verdict.verified:
            return verdict
        # Unfreeze what was flagged and nothing else: a loaded encoder frozen beside it stays frozen.
        thawed = [
            p.name for p in before.params
            if not p.requires_grad and p.name not in finding.params and (now := run.trace.param(p.name)) and now.requires_grad
        ]
        if thawed:
            return Verdict(False, f"it also unfreezes {short_list(thawed)}")
        return verdict

    @staticmethod
    def _made_deterministic(project: Project, site: Site) -> bool:
        """``self.pos_embed.requires_grad = False`` where the file made it with
        ``self.pos_embed = nn.Parameter(sincos(...))``: given values (a fixed embedding, a Sobel
        filter), computed without anything random, are frozen on purpose."""
        if not project.is_editable(site.file):
            return False
        source = project.source(site.file)
        frozen = []
        for statement in source.statements_on_line(site.line):
            for node in descendants(statement, cst.Assign):
                for target in node.targets:
                    if isinstance(target.target, cst.Attribute) and target.target.attr.value == "requires_grad":
                        frozen.append(source.code(target.target.value))
            for call in descendants(statement, cst.Call):
                if isinstance(call.func, cst.Attribute) and call.func.attr.value == "requires_grad_":
                    frozen.append(source.code(call.func.value))
        if not frozen:
            return False
        made = [
            node.value for node in descendants(source.module, cst.Assign)
            if any(source.code(t.target) in frozen for t in node.targets)
        ]
        if len(made) != 1 or not isinstance(made[0], cst.Call):
            return False
        if not source.qualified_names(made[0].func) & {"torch.nn.Parameter", "torch.nn.parameter.Parameter"}:
            return False
        calls = descendants(made[0], cst.Call)[1:]  # what the Parameter wraps
        named = {(c.func.attr.value if isinstance(c.func, cst.Attribute) else getattr(c.func, "value", "")) for c in calls}
        return bool(calls) and not any(_RANDOM.search(n) for n in named)

    @classmethod
    def _said_deliberate(cls, project: Project, site: Site) -> bool:
        """The freeze's own comment says it is meant: a comment in the freezing statement, in the
        comment lines right above it, or on or right above the loop (or ``if``) around it when
        freezing is all that loop does. A comment further up heads other code too."""
        if not project.is_editable(site.file):
            return False
        source = project.source(site.file)
        statements = source.statements_on_line(site.line)
        if not statements:
            return False
        own = statements[-1]  # the innermost: `for p in ps: p.requires_grad = False` is one line
        widest = cls._widen(source, own, [site.line])
        comments = [c.value for c in descendants(own.with_changes(leading_lines=[]), cst.Comment)]
        node: Optional[cst.CSTNode] = own
        while node is not None:
            if isinstance(node, cst.BaseStatement):
                body = getattr(node, "body", None)
                if node is not own and isinstance(body, cst.IndentedBlock) and body.header.comment is not None:
                    comments.append(body.header.comment.value)
                for empty in reversed(list(getattr(node, "leading_lines", ()))):
                    if empty.comment is None:
                        break
                    comments.append(empty.comment.value)
            if node is widest:
                break
            node = source.parent(node)
        return any(_MEANT.search(c) and not _SLIP.search(c) for c in comments)

    @staticmethod
    def _bare_call(project: Project, site: Site) -> bool:
        statements = project.source(site.file).statements_on_line(site.line)
        return len(statements) == 1 and isinstance(statements[0], cst.SimpleStatementLine) and all(
            isinstance(small, cst.Expr) and isinstance(small.value, cst.Call) for small in statements[0].body
        )

    @staticmethod
    def _shared_sites(trace: Trace, frozen: list[ParamFact]) -> set[tuple[str, int]]:
        """Freezing lines (and calls of freezing helpers) that also froze parameters left alone,
        such as a loaded encoder: removing them would unfreeze what was meant to stay frozen."""
        flagged = {p.name for p in frozen}
        return {
            (site.file, site.line)
            for p in trace.params
            if p.name not in flagged and not p.requires_grad
            for site in [*p.frozen_at, *p.frozen_callers]
        }

    def _finding(
        self, trace: Trace, project: Project, frozen: list[ParamFact], everything: bool, shared: set[tuple[str, int]],
        grouped: bool = False,
    ) -> Finding | None:
        sites: dict[tuple[str, int], Site] = {}
        for p in frozen:
            for site in p.frozen_at:
                if project.is_editable(site.file):
                    sites.setdefault((site.file, site.line), site)
        if not sites:
            return None
        first = min(sites.values(), key=lambda s: (s.file != trace.script, s.file, s.line))
        names = [p.name for p in frozen]
        why = (
            "every parameter of the model is frozen"
            if everything
            else "an optimizer holds them in a param group of their own with a learning rate above 0"
            if grouped
            else "they are randomly initialised (never loaded) yet handed to an optimizer"
        )
        message = f"requires_grad set to False on {short_list(names)}: {why}; they never receive a gradient"
        candidates = []
        thaw = self._thaw_what_optimizers_hold(trace, project, frozen)
        description = "remove the statements that freeze them"
        if set(sites) & shared:
            # A helper that also froze what is meant to stay frozen: remove the call that chose these.
            callers = {(c.file, c.line): c for p in frozen for c in p.frozen_callers if project.is_editable(c.file)}
            # Only a call on a line of its own goes: `model.head = frozen(nn.Linear(...))` also builds
            # the head, and removing it would train another one.
            if not callers or set(callers) & shared or not all(self._bare_call(project, c) for c in callers.values()):
                if thaw is not None:
                    return self.finding(project, first, message, names, [thaw])
                message += "; the line that froze them also froze parameters that are meant to stay frozen, so the change is yours to make"
                return self.finding(project, first, message, names, [])
            sites, description = callers, "remove the call that freezes them"
            first = min(sites.values(), key=lambda s: (s.file != trace.script, s.file, s.line))
        if thaw is not None:
            candidates.append(thaw)
        patches = self._unfreeze(project, list(sites.values()))
        if patches:
            candidates.append(
                Candidate(
                    description=description,
                    patches=patches,
                    applicability=self.applicability,
                )
            )
        return self.finding(project, first, message, names, candidates)

    def _thaw_what_optimizers_hold(self, trace: Trace, project: Project, frozen: list[ParamFact]) -> Optional[Candidate]:
        """An optimizer whose every parameter is frozen can never change anything: it was handed what the script meant to train. The edit unfreezes the modules
        whose ``.parameters()`` it was given, just before it is built, and nothing else (a loop
        that froze the whole model also froze what stays frozen on purpose)."""
        names = {p.name for p in frozen}
        edits: dict[str, list[Edit]] = {}
        for optimizer in trace.optimizers:
            if not optimizer.params or not names & set(optimizer.params):
                continue
            if any((p := trace.param(name)) is None or p.requires_grad for name in optimizer.params):
                return None  # it also holds what trains: which of its groups were meant is not clear
            site = optimizer.site
            if site is None or not project.is_editable(site.file):
                return None
            source = project.source(site.file)
            calls = source.nodes_at(site, cst.Call)
            receivers = [
                call.func.value for built in calls[:1] for call in descendants(built, cst.Call)
                if isinstance(call.func, cst.Attribute) and call.func.attr.value == "parameters" and not call.args
                and _dotted(call.func.value)
            ]
            statement = source.statement_of(calls[0]) if calls else None
            if not receivers or statement is None or not isinstance(statement, cst.SimpleStatementLine):
                return None
            line = source.range(statement).start.line
            indent = source.indentation(line)
            text = "".join(f"{indent}{source.code(r)}.requires_grad_(True)\n" for r in receivers)
            edits.setdefault(site.file, []).append(source.insert_lines(line, text))
        if not edits:
            return None
        return Candidate(
            "unfreeze what the optimizer holds, just before it is built",
            [Patch(path, sorted(found, key=lambda e: e.start)) for path, found in sorted(edits.items())],
            self.applicability,
        )

    def _unfreeze(self, project: Project, sites: list[Site]) -> list[Patch]:
        by_file: dict[str, list[int]] = {}
        for site in sites:
            by_file.setdefault(site.file, []).append(site.line)
        patches = []
        for path, lines in sorted(by_file.items()):
            source = project.source(path)
            targets: dict[int, cst.BaseStatement] = {}
            for line in lines:
                for statement in source.statements_on_line(line):
                    if isinstance(statement, cst.SimpleStatementLine):
                        doomed = self._widen(source, statement, lines)
                        targets[id(doomed)] = doomed
            # A removed loop swallows the statements inside it.
            outer = [
                s for s in targets.values()
                if not any(a is not s and id(a) in targets for a in source.ancestors(s))
            ]
            edits: list[Edit] = [source.remove_statement(s) for s in outer]
            if edits:
                patches.append(Patch(path, sorted(edits, key=lambda e: e.start)))
        return patches

    @staticmethod
    def _widen(source: SourceFile, statement: cst.BaseStatement, freeze_lines: list[int]) -> cst.BaseStatement:
        """The loop (or ``if``) around a freezing statement, when freezing is all it does: removing
        only the statement would leave an empty block."""
        current = statement
        while True:
            block = source.parent(current)
            compound = source.parent(block) if block is not None else None
            if not isinstance(compound, _ENCLOSING) or not isinstance(block, cst.IndentedBlock):
                return current
            if getattr(compound, "orelse", None) is not None:
                return current
            if not all(s is current or source.range(s).start.line in freeze_lines for s in block.body):
                return current
            current = compound


def _whole_module(trace: Trace, names: list[str]) -> list[str]:
    """Every parameter of the deepest module that holds all of ``names``."""
    parts = [name.split(".")[:-1] for name in names]
    common: list[str] = []
    for level in zip(*parts):
        if len(set(level)) != 1:
            break
        common.append(level[0])
    if not common:
        return []
    prefix = ".".join(common) + "."
    return [p.name for p in trace.params if p.name.startswith(prefix)]


def _dotted(node: cst.BaseExpression) -> bool:
    """``model.head`` or ``self.backbone.fc``: a path of names, nothing computed."""
    while isinstance(node, cst.Attribute):
        node = node.value
    return isinstance(node, cst.Name)


_TRAINING_CALLS = {"backward", "step"}


def _in_training_loop(source: SourceFile, node: cst.CSTNode, depth: int = 2) -> bool:
    """Inside a loop that also calls ``backward()`` or ``step()``, directly or through the
    function it sits in: an unfreeze there may run again at a later epoch (gradual unfreezing)."""
    for ancestor in source.ancestors(node):
        if isinstance(ancestor, (cst.For, cst.While)) and any(
            isinstance(call.func, cst.Attribute) and call.func.attr.value in _TRAINING_CALLS
            for call in descendants(ancestor, cst.Call)
        ):
            return True
        if isinstance(ancestor, cst.FunctionDef):
            if depth == 0:
                return True  # called from too far away to tell: assume a schedule
            name = ancestor.name.value
            if name == "__init__":  # a constructor runs where its class is called
                holder = next((a for a in source.ancestors(ancestor) if isinstance(a, cst.ClassDef)), None)
                name = holder.name.value if holder is not None else name
            callers = [
                call for call in descendants(source.module, cst.Call)
                if (isinstance(call.func, cst.Name) and call.func.value == name)
                or (isinstance(call.func, cst.Attribute) and call.func.attr.value == name)
            ]
            return any(_in_training_loop(source, call, depth - 1) for call in callers)
    return False
