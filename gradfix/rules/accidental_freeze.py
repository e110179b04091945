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
left out of every optimizer, or held in a group whose rate is 0, are frozen on purpose. So are
parameters an optimizer holds only through a group the script rewrote after building it
(``param_groups[0]["params"] = list(model.parameters())`` over an optimizer built from what
requires grad): the whole model written into a group hands nothing torch does not skip.

A setting of the script that says to train them, that nothing reads, shows the same intent: a
name set to a literal (``self.fine_tune_embedding = True``, ``"train_embeddings": True``,
``freeze_word_vectors: bool = False``) whose words say to tune or not to freeze, and name the
frozen parameter or a module it is in, and that appears nowhere else in the script's files. The
intent is written down and the wiring is missing, so the freeze is the accident, loaded values
or not. A setting the code reads decides elsewhere, one that says to keep them frozen agrees, and
one that names another part (or the whole model: ``train_model`` says what to run) says nothing.

When backward() crashed on a loss with no graph and everything the optimizer holds was frozen by
the ``from_pretrained`` call that built it (the default, ``freeze=True``, a setting passed as
``freeze``), nothing can train and the freeze is the accident: the candidates set the setting's
literal the other way, then pass ``freeze=False``.

A freeze that reads a setting, applied in one method that binds ``self.model`` and not in another
that binds a copy of a model (a transfer ``load()``), leaves the copy frozen as its source was,
whatever the trainer's setting says: the candidates apply the statement on that path too, and
only a verified one is reported (a conjecture).

An optimizer that holds nothing but frozen parameters ("freeze everything, train the head", with
the head frozen too) was handed what the script meant to train: the first candidate unfreezes
what it was given (``model.fc.requires_grad_(True)``) just before it is built, and nothing else.

Two phases (a linear probe on a frozen encoder, then fine-tuning): when an earlier phase's
optimizer left the frozen parameters out and a later one holds them, the first freeze is meant
and stays. An unfreeze guarded by the flag it sets (``if p.requires_grad: p.requires_grad =
trainable``, ``if not p.requires_grad: continue``, a loop over ``filter(lambda p:
p.requires_grad, ...)``) can never reach a frozen parameter: the first candidate drops the guard
(loaded weights too, when the script called that thaw on the module a freezing call named).
Then ``encoder.requires_grad_(True)`` (or the script's own freezing call with ``True``) right
before the later optimizer is built. The re-run must show them training in the later phase and
still frozen in the earlier one.

One statement that froze a whole module whose part holds given values (``nn.Embedding(...,
_weight=vectors)``, ``from_pretrained``, ``load_state_dict`` on that part, values copied in) and
whose other part is fresh and runs in every forward, while the optimizer takes what requires
grad: the fresh part is the accident. The fix narrows the freeze to the loaded part
(``module.word_embedding.weight.requires_grad = False``); the re-run must show the loaded part
still frozen and the rest training. A frozen module none of whose parameters were loaded, left
out of the optimizer, is a deliberate random-feature baseline, and gives no finding.

A freeze chosen by name with a keyword that ends in a block's index (``"resblocks.1" in name``,
``name.startswith("encoder.layer.1")``, ``re.match(r"blocks\\.1", name)``) also matches every block
whose index starts with that number: ``resblocks.10``, ``resblocks.11``. The run shows it among the
11 or more indexed blocks of one container: the frozen blocks (or those an optimizer holds at a
learning rate of 0) are not one range, and they are exactly the indices whose number starts with
one of the smaller frozen ones (0, 1, 10, 11 of 0..11 while 2..9 train). The source must spell the
smaller blocks as keywords (a list, a comma-joined string, a dict's keys, an argparse default, an
f-string over ``range``) and never the larger ones: a list that names ``blocks.10`` means it. The
first candidate ends those keywords with a dot (``resblocks.1.``); the others make a test with a
keyword that is not a literal compare whole name parts (``(keyword + ".") in (name + ".")``). The
re-run must show the wrongly frozen blocks training and the named ones still held.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Callable, Optional

import libcst as cst

from gradfix.edits import Edit, Patch, Position
from gradfix.expressions import call_argument, dotted_path, is_dotted_name, name_words, root_name, self_attribute, setting_name
from gradfix.findings import Applicability, Candidate, Finding, Verdict, short_list
from gradfix.precheck import imported_project_files
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.source import SourceFile, descendants
from gradfix.sandbox import RunResult
from gradfix.trace import ModuleFact, ParamFact, Site, Trace
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
# What a finding's message says when an earlier phase trained with the parameters frozen: its
# verdict then also checks that the fix leaves that phase as it was.
_PHASED = "an earlier phase kept them frozen on purpose"
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

        # A keyword that froze more blocks than it names comes first: the blocks it does name are
        # frozen on purpose, and none of the checks below may take them for an accident.
        collided, keyworded = self._keyword_collisions(trace, project)
        findings += collided
        grouped = {name for name in self._frozen_groups(trace) if not said_so(trace.param(name))} - keyworded
        written = {o.id: set(o.written_params) for o in trace.optimizers}
        # A setting that says to train them (`fine_tune_embedding = True`) that nothing reads: the
        # intent is written down, the wiring is missing.
        settings = self._unread_settings(trace, project)
        grouped |= {name for name in settings if not said_so(trace.param(name))} - keyworded
        # A later attempt to unfreeze them (even a misspelt one) shows the freeze is a schedule.
        retried = {t.name for t in trace.typos}
        findings += [
            f for f in self._mixed_freezes(trace, project, retried, lambda site: meant(site) or deterministic(site))
            if f is None or not keyworded & set(f.params)
        ]
        claimed = {name for f in findings for name in f.params} | keyworded
        no_ops = self._no_op_thaws(trace, project)
        for module in trace.modules:
            params = trace.params_of(module.id)
            # A parameter that got a gradient or changed was trained at some point: its freeze is a
            # phase (a GAN's discriminator held still during the generator's step), not an accident.
            # A parameter frozen at a constant (a norm layer's 1s and 0s) is fixed on purpose, as
            # affine=False would: nothing random is being kept by mistake.
            frozen = [
                p for p in params
                if p.frozen_at and not p.requires_grad and p.name not in retried and not p.got_grad and not p.changed
                and not p.constant and p.name not in claimed
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
            # Unless the script called a thaw on them that its own guard made a no-op.
            frozen = [p for p in frozen if p.name in grouped or p.name.rsplit(".", 1)[0] not in loaded or p.name in no_ops]
            if not frozen:
                continue
            # A group the script rewrote by hand with the whole model (`param_groups[0]["params"] =
            # list(model.parameters())`) hands what torch would skip anyway: only what an optimizer
            # was given when it was built, or by add_param_group, was chosen to train.
            handed = [p for p in frozen if any(p.name not in written.get(o, ()) for o in p.optimizers)]
            # A whole frozen model is an accident only when that broke training: the optimizer or
            # backward() crashed for lack of trainable parameters (a random frozen target
            # network, as in RND, is fine).
            everything = len(frozen) == len([p for p in params if not p.constant]) and trace.crash is not None and (
                "empty parameter list" in trace.crash.message or "does not require grad" in trace.crash.message
            )
            if not handed and not everything:
                continue  # the optimizer leaves the frozen parameters out: intentional
            # Nothing of the model is left to train, crash or not (an optimizer over all of it
            # whose steps change nothing): a freeze meant to choose a part chose everything.
            spared_nothing = everything or (
                len(frozen) == len([p for p in params if not p.constant]) and not any(p.requires_grad for p in params)
            )
            if self._unfreezes_later(trace, project, frozen):
                continue  # a warm-up schedule: the script turns gradients back on further on
            # The script chose in its set-up what to train (it unfroze some parameters again): what
            # is still frozen stays frozen on purpose, even when the optimizer was given the whole
            # model (Adam skips what has no gradient). Only a group made for frozen parameters (an
            # optimizer given just the frozen head) is the accident.
            chosen = [p for p in handed if p.name in grouped] if trace.setup_thaws and not everything else frozen
            if not chosen:
                continue
            # A norm layer's 1s and 0s frozen by the same statement as the random weights beside
            # them, and held by the same optimizer, go with them: not a choice of their own.
            own_group = all(p.name in grouped for p in chosen)
            lines = {(s.file, s.line) for p in chosen for s in p.frozen_at}
            holders = {o for p in chosen for o in p.optimizers}
            chosen = chosen + [
                p for p in params
                if p.constant and p not in chosen and not p.requires_grad and not p.got_grad and not p.changed
                and set(p.optimizers) & holders and {(s.file, s.line) for s in p.frozen_at} & lines
                and (p.name.rsplit(".", 1)[0] not in loaded or p.name in no_ops)
            ]
            findings.append(self._finding(
                trace, project, chosen, everything, shared=self._shared_sites(trace, chosen), grouped=own_group, root=module,
                spared_nothing=spared_nothing, setting=next((settings[p.name] for p in chosen if p.name in settings), None),
                thawed_by=sorted({no_ops[p.name] for p in chosen if p.name in no_ops and p.name.rsplit(".", 1)[0] in loaded}),
            ))
        findings += self._built_frozen(trace, project, grouped, settings)
        claimed = {name for f in findings if f is not None for name in f.params} | keyworded
        findings += self._pretrained_crash(trace, project, claimed)
        claimed = {name for f in findings if f is not None for name in f.params} | keyworded
        findings += self._setting_skipped_on_other_path(trace, project, claimed)
        return [f for f in findings if f is not None]

    # -- a keyword that names a block by the start of longer indices ----------------------------------

    def _keyword_collisions(self, trace: Trace, project: Project) -> tuple[list[Finding], set[str]]:
        """Blocks frozen (or put in a group with a learning rate of 0) by a name test whose keyword
        names a smaller index: ``"resblocks.1" in name`` also holds for ``resblocks.10``. The run
        shows it in a container of 11 or more indexed blocks: the stuck indices are not one range,
        and they are exactly the indices whose number starts with one of the smaller stuck ones
        (0, 1, 10, 11 of 0..11 while 2..9 train). The source must name the smaller blocks with
        keyword literals and none of the larger ones. Returns the findings, and every parameter of
        the stuck blocks: the blocks the keywords name are frozen on purpose."""
        if not trace.steps:
            return [], set()
        collided = []
        for container, blocks in sorted(_indexed_blocks(trace).items()):
            if len(blocks) < _MIN_BLOCKS:
                continue
            states = {index: _block_state(params) for index, params in blocks.items()}
            if None in states.values():
                continue  # a block partly stuck, or one that neither trains nor was held still
            stuck = {index for index, state in states.items() if state != "trains"}
            if len({states[index] for index in stuck}) != 1:
                continue
            seeded = _prefix_collided(sorted(blocks), stuck)
            if seeded is not None:
                collided.append((container, blocks, states, seeded))
        if not collided:
            return [], set()  # most runs: no source is parsed
        findings: list[Finding] = []
        claimed: set[str] = set()
        files = _keyword_files(trace, project)
        keywords = [k for path in files for k in _keywords(project.source(path))]
        for container, blocks, states, seeded in collided:
            own = [k for k in keywords if k.names(container)]
            explicit = {k.index for k in own if k.index is not None} | {i for k in own for i in (k.ranged or ())}
            if explicit & set(seeded):
                continue  # the larger blocks are named too: "blocks.10" in the list means them
            if not all(any(k.spells(seed) for k in own) for seed in set(seeded.values())):
                continue  # no keyword of the source names the smaller block: not this fault
            finding = self._collision_finding(trace, project, container, blocks, states, seeded, own, files)
            if finding is not None:
                findings.append(finding)
                claimed |= {p.name for index, state in states.items() if state != "trains" for p in blocks[index]}
        return findings, claimed

    def _collision_finding(
        self, trace: Trace, project: Project, container: str, blocks: dict[int, list[ParamFact]],
        states: dict[int, Optional[str]], seeded: dict[int, int], own: list["_Keyword"], files: list[str],
    ) -> Optional[Finding]:
        kind = states[next(iter(seeded))]
        extra = [p for index in sorted(seeded) for p in blocks[index]]
        tail = container.rsplit(".", 1)[-1]
        by_seed: dict[int, list[int]] = {}
        for index, seed in sorted(seeded.items()):
            by_seed.setdefault(seed, []).append(index)
        spelled = {}
        for seed in by_seed:
            said = next((k for k in own if k.index == seed), None) or next((k for k in own if k.index is None), None)
            spelled[seed] = said.text if said is not None and said.index is not None else f"{tail}.{seed}"
        matches = "; ".join(
            f"`{spelled[seed]}` also {'froze' if kind == 'frozen' else 'put'} {', '.join(f'{tail}.{i}' for i in indices)}"
            f"{'' if kind == 'frozen' else ' at a learning rate of 0'}"
            for seed, indices in by_seed.items()
        )
        stuck = sorted(i for i, state in states.items() if state != "trains")
        trains = sorted(i for i, state in states.items() if state == "trains")
        blocked = ", ".join(f"{tail}.{i}" for i in sorted(seeded))
        if kind == "frozen":
            head = f"requires_grad set to False on {blocked} {_COLLIDED}"
            tail_words = "they never receive a gradient"
            sites = [s for p in extra for s in p.frozen_at if project.is_editable(s.file)]
        else:
            head = f"a learning rate of 0 given to {blocked} {_COLLIDED}"
            tail_words = "they never change"
            holders = {o for p in extra for o in p.optimizers}
            sites = [o.site for o in trace.optimizers if o.id in holders and o.site is not None and project.is_editable(o.site.file)]
        message = (
            f"{head}: {matches} (a name test by substring or prefix matches the start of a longer index); of {container}.{min(blocks)}-{max(blocks)}, "
            f"blocks {_spans(stuck)} are {'frozen' if kind == 'frozen' else 'held at a learning rate of 0'} "
            f"and {_spans(trains)} train; {tail_words}"
        )
        literal = [k for k in own if k.index is None or k.index in set(stuck)]
        candidates: list[Candidate] = []
        at: Optional[tuple[str, int, int]] = None
        if literal:
            edits: dict[str, list[Edit]] = {}
            for k in literal:
                edits.setdefault(k.path, []).append(k.edit)
            first = min(literal, key=lambda k: (k.path != trace.script, k.path, k.edit.start))
            at = (first.path, first.edit.start.line, first.edit.start.column)
            shown = ", ".join(f"`{spelled[seed]}`" for seed in by_seed)
            candidates.append(Candidate(
                f"end the block keywords with a dot, so that {shown} no longer {'matches' if len(by_seed) == 1 else 'match'} {blocked}",
                [Patch(path, sorted(set(found), key=lambda e: e.start)) for path, found in sorted(edits.items())],
                self.applicability, at=at,
            ))
        near = {(s.file, s.line) for s in sites}
        for path, node, new in _boundary_tests(project, files, near)[:_MAX_TESTS]:
            source = project.source(path)
            line = source.range(node).start.line
            candidates.append(Candidate(
                f"compare whole name parts in the test on line {line}: `{source.module.code_for_node(new)}`",
                [Patch(path, [source.replace_node(node, new)])], self.applicability,
                at=(path, line, source.range(node).start.column),
            ))
        site = min(sites, key=lambda s: (s.file != trace.script, s.file, s.line)) if sites else None
        if site is None and at is not None:
            site = Site(at[0], at[1])
        if site is None or not candidates:
            return None
        return self.finding(project, site, message, [p.name for p in extra], candidates)

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

    @staticmethod
    def _unread_settings(trace: Trace, project: Project) -> dict[str, str]:
        """Frozen parameters, held by a stepping optimizer, that a setting of the script says should
        train, with the setting's text: an attribute, variable, keyword or dict key assigned a
        literal, whose name has a tuning word (``fine_tune``, ``trainable``, ``learn``) with True or a
        freezing word (``freeze``, ``static``, ``fixed``) with False, and the words of the frozen
        module's attribute name (``fine_tune_embedding`` for ``model.embedding``), and that nothing
        reads: its name appears once in the script's files. A setting the code reads decides
        elsewhere, and says nothing here."""
        stepping = {o.id for o in trace.optimizers if o.steps}
        frozen = [
            p for p in trace.params
            if not p.requires_grad and not p.got_grad and not p.changed and not p.constant and set(p.optimizers) & stepping
        ]
        if not frozen:
            return {}
        files = sorted({trace.script, *(s.file for p in frozen for s in p.frozen_at)} | {
            m.site.file for m in trace.modules if m.site is not None
        })
        files = [f for f in files if project.is_editable(f)]
        # A read in any file of the program counts (a schedule in a helper module that unfreezes on
        # the setting): the files that ran are searched for settings, every module the script
        # imports for reads.
        imported = [f for f in imported_project_files(trace.script) if f not in files and project.is_editable(f)]
        texts = [project.text(f) for f in files + imported]
        said: dict[str, str] = {}
        for path in files:
            source = project.source(path)
            for name, value, quoted, _ in _settings(source):
                words = name_words(name)
                says_train = (value is True and bool(set(words) & _TUNE_WORDS)) or (value is False and bool(set(words) & _FREEZE_WORDS))
                subject = [w for w in words if w not in _TUNE_WORDS | _FREEZE_WORDS | {"fine", "tune", "is", "do", "should"}]
                if not says_train or not subject:
                    continue
                mentions = sum(len(re.findall(rf"(?<![\w.]){re.escape(name)}\b|\.{re.escape(name)}\b", t)) for t in texts)
                if mentions != 1:
                    continue  # read somewhere (or set twice): the code decides
                named = [p for p in trace.params if _named_by(subject, p.name)]
                if any(p.requires_grad for p in named):
                    continue  # something it names trains: the setting is honoured, or names that part
                for p in named:
                    if p in frozen:
                        said[p.name] = quoted
        return said

    def _built_frozen(self, trace: Trace, project: Project, grouped: set[str], settings: Optional[dict[str, str]] = None) -> list[Finding]:
        """Grouped frozen parameters that no statement froze: the call that built them did."""
        settings = settings or {}
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
            setting = next((settings[n] for n in names if n in settings), None)
            why = (
                f"the script's setting `{setting}` says {'it' if len(names) == 1 else 'they'} should train, and nothing reads it"
                if setting is not None else
                f"an optimizer holds {'it' if len(names) == 1 else 'them'} in a param group of "
                f"{'its' if len(names) == 1 else 'their'} own with a learning rate above 0: nothing in that group can change"
            )
            message = (
                f"{short_list(names)} {'is' if len(names) == 1 else 'are'} frozen where built "
                f"(`{built if len(built) <= 60 else built[:57] + '...'}`), yet {why}"
            )
            candidates = [Candidate(description, [Patch(site.file, [edit])], self.applicability)]
            findings.append(self.finding(project, site, message, names, candidates))
        return findings

    def _pretrained_crash(self, trace: Trace, project: Project, claimed: set[str]) -> list[Finding]:
        """backward() crashed on a loss with no graph, and every parameter an optimizer holds is
        frozen, each by the ``from_pretrained`` call that built its module (``freeze=True``, a
        setting passed as ``freeze``, or the default). A script that builds an optimizer and calls
        backward() means to train something: when nothing can train, the freeze is the accident.
        Candidates: the setting that said to freeze set the other way (one edit, where the script
        spells it as a literal), then ``freeze=False`` in every such call; the re-run judges."""
        if trace.graphless_backward() is None or trace.optimized_params_that_ran():
            return []
        held = [p for p in trace.params if p.optimizers and p.is_leaf and not p.constant]
        if not held or any(p.requires_grad or p.got_grad or p.changed or p.name in claimed for p in held):
            return []
        calls: dict[tuple[str, int, int], tuple[Site, cst.Call, list[str]]] = {}
        for p in held:
            module = next((m for m in trace.modules if m.path == p.name.rsplit(".", 1)[0]), None)
            if module is None or module.site is None or not project.is_editable(module.site.file):
                return []
            source = project.source(module.site.file)
            call = next((c for c in source.nodes_at(module.site, cst.Call) if source.qualified_names(c.func) & _FROM_PRETRAINED), None)
            if call is None or any(a.star for a in call.args):
                return []  # frozen by something else: the other checks speak for it
            if self._said_deliberate(project, module.site):
                return []
            start = source.range(call).start
            calls.setdefault((module.site.file, start.line, start.column), (source.site(call), call, []))[2].append(p.name)
        candidates: list[Candidate] = []
        flips: dict[tuple[str, int, int], tuple[str, Edit]] = {}
        thaws: dict[str, list[Edit]] = {}
        for site, call, _ in calls.values():
            source = project.source(site.file)
            given = call_argument(call, 1, "freeze")
            if given is None:
                args = list(call.args)
                args[-1] = args[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
                args.append(cst.Arg(cst.Name("False"), keyword=cst.Name("freeze"), equal=cst.AssignEqual(
                    whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace(""),
                )))
                thaws.setdefault(site.file, []).append(source.replace_node(call, call.with_changes(args=args)))
                continue
            thaws.setdefault(site.file, []).append(source.replace_node(given.value, cst.Name("False")))
            # `freeze=not cfg["finetune"]` reads a setting that is False; `freeze=cfg["freeze"]` one that is True.
            value, wanted = given.value, True
            if isinstance(value, cst.UnaryOperation) and isinstance(value.operator, cst.Not):
                value, wanted = value.expression, False
            name = setting_name(value)
            if name is None:
                continue
            files = sorted({trace.script, site.file})
            for path in files:
                if not project.is_editable(path):
                    continue
                settings = project.source(path)
                for setting, literal, quoted, node in _settings(settings):
                    if setting == name and literal is wanted:
                        start = settings.range(node).start
                        flips[(path, start.line, start.column)] = (quoted, settings.replace_node(node, cst.Name(str(not wanted))))
        # Each literal that sets the setting is its own candidate (a default and an override may both
        # spell it): the re-run shows which one this run read.
        for (path, line, _), (quoted, edit) in sorted(flips.items())[:3]:
            candidates.append(Candidate(
                f"set `{quoted}` on line {line} to {'False' if quoted.endswith('True') else 'True'}: from_pretrained() reads it as freeze",
                [Patch(path, [edit])], self.applicability,
            ))
        candidates.append(Candidate(
            "pass freeze=False to from_pretrained()",
            [Patch(path, sorted(edits, key=lambda e: e.start)) for path, edits in sorted(thaws.items())], self.applicability,
        ))
        names = [name for *_, found in calls.values() for name in found]
        first_site, first_call, _ = min(calls.values(), key=lambda c: (c[0].file != trace.script, c[0].file, c[0].line))
        built = project.source(first_site.file).code(first_call)
        message = (
            f"{short_list(names)} {'is' if len(names) == 1 else 'are'} frozen where built "
            f"(`{built if len(built) <= 60 else built[:57] + '...'}`), and nothing else the optimizer holds can train: "
            "backward() crashed on a loss with no graph"
        )
        return [self.finding(project, first_site, message, names, candidates)]

    def _setting_skipped_on_other_path(self, trace: Trace, project: Project, claimed: set[str]) -> list[Finding]:
        """A model trained while part of it stays frozen, that part a copy (``copy.deepcopy``, a
        loaded ``state_dict``) of one frozen by a statement that reads a setting
        (``model.emb.weight.requires_grad = self.config["fine_tune_emb"]``) in a method that binds
        ``self.<attr>``, while another method of the same class binds ``self.<attr>`` too (a
        transfer-learning ``load()``) and never applies that setting: the copy keeps the freeze of
        the object it came from, whatever the setting of the object that trains it says. The
        candidates apply the same statement on the other path; whether the setting there says to
        train is the re-run's to show, so the finding is a conjecture: a setting that says to keep
        it frozen leaves it frozen after the edit, and nothing is reported."""
        findings: list[Finding] = []
        done: set[tuple[str, int, int]] = set()
        for p in trace.params:
            if p.requires_grad or p.got_grad or p.changed or p.frozen_at or p.name in claimed or p.copy_of is None:
                continue
            source_param = trace.param(p.copy_of)
            root = next((m for m in trace.modules if m.id == p.module), None)
            if source_param is None or root is None or not root.path or len(source_param.frozen_at) != 1:
                continue
            if not any(q.module == p.module and (q.got_grad or q.changed) for q in trace.params):
                continue  # the model it is part of did not train: nothing says it should
            site = source_param.frozen_at[0]
            if not project.is_editable(site.file):
                continue
            source = project.source(site.file)
            found = self._skipped_path(source, site, root.path.rsplit(".", 1)[-1])
            if found is None:
                continue
            freeze, top, paths, subject = found
            binding = paths[0][1]
            start = source.range(binding).start
            if (site.file, start.line, start.column) in done:
                continue
            done.add((site.file, start.line, start.column))
            names = [q.name for q in trace.params if q.copy_of is not None and q.module == p.module and not q.requires_grad
                     and not q.got_grad and not q.changed and not q.frozen_at and (s := trace.param(q.copy_of)) is not None
                     and [(f.file, f.line) for f in s.frozen_at] == [(site.file, site.line)]]
            statement = _block_code(source, top)
            candidates = []
            # Each other path is a candidate: the re-run shows which one built the trained model.
            for other, bind in paths:
                bound = bind.body[0].targets[0].target  # type: ignore[attr-defined]
                renamed = _block_code(source, top.visit(_Reroot(subject, bound)))  # type: ignore[arg-type]
                at = source.range(bind)
                indent = source.indentation(at.start.line)
                shown = renamed if "\n" not in renamed else renamed.splitlines()[0] + " ..."
                candidates.append(Candidate(
                    f"apply the setting in {other.name.value}() too: `{shown}` after it binds `{source.code(bound)}`",
                    [Patch(site.file, [source.insert_lines(at.end.line + 1, _indented(renamed, indent))])],
                    self.applicability,
                ))
                value = bind.body[0].value  # type: ignore[attr-defined]
                if isinstance(value, cst.Name) and value.value == subject and renamed != statement:
                    shown = statement if "\n" not in statement else statement.splitlines()[0] + " ..."
                    candidates.append(Candidate(
                        f"apply the setting in {other.name.value}() too: `{shown}` before it binds `{source.code(bound)}`",
                        [Patch(site.file, [source.insert_lines(at.start.line, _indented(statement, indent))])],
                        self.applicability,
                    ))
            other = paths[0][0]
            bound = binding.body[0].targets[0].target  # type: ignore[attr-defined]
            setting = source.code(freeze.body[0].value)  # type: ignore[attr-defined]
            enclosing = source.enclosing_function(freeze)
            message = (
                f"{short_list(names)} {'is' if len(names) == 1 else 'are'} frozen, copied from a model frozen by "
                f"`{source.code(freeze).strip()}` in {enclosing.name.value if enclosing else '?'}(); {other.name.value}() also binds "
                f"`{source.code(bound)}` and never applies `{setting}`, so the trained model keeps the freeze of the one it was copied from"
            )
            finding = self.finding(project, source.site(binding), message, names, candidates)
            finding.conjecture = True
            findings.append(finding)
        return findings

    @staticmethod
    def _skipped_path(
        source: SourceFile, site: Site, attr: str,
    ) -> Optional[tuple[cst.SimpleStatementLine, cst.BaseStatement, list[tuple[cst.FunctionDef, cst.SimpleStatementLine]], str]]:
        """The freezing statement on ``site``'s line (``X.requires_grad = <a setting>``, directly in a
        method's body), the other method of its class that binds ``self.<attr>`` and sets no
        ``requires_grad``, that method's binding statement, and the name the freeze starts from."""
        freeze = next((
            st for st in source.statements_on_line(site.line)
            if isinstance(st, cst.SimpleStatementLine) and len(st.body) == 1 and isinstance(st.body[0], cst.Assign)
            and len(st.body[0].targets) == 1 and isinstance(st.body[0].targets[0].target, cst.Attribute)
            and st.body[0].targets[0].target.attr.value == "requires_grad"
        ), None)
        if freeze is None:
            return None
        value = freeze.body[0].value  # type: ignore[attr-defined]
        inner = value.expression if isinstance(value, cst.UnaryOperation) and isinstance(value.operator, cst.Not) else value
        if setting_name(inner) is None or isinstance(inner, cst.Name):
            return None  # a literal, or a local: not a setting the object holds
        method = source.enclosing_function(freeze)
        if method is None:
            return None
        # The freeze itself, or a loop over the parameters that does nothing else, directly in the
        # method's body: guarded by an `if`, copying it alone would not be the same path.
        top: cst.BaseStatement = freeze
        target = freeze.body[0].targets[0].target  # type: ignore[attr-defined]
        subject = root_name(target)
        loop = source.parent(source.parent(freeze) or freeze)
        if source.parent(freeze) is not method.body:
            if not (isinstance(loop, cst.For) and source.parent(loop) is method.body and len(loop.body.body) == 1
                    and isinstance(loop.target, cst.Name) and subject == loop.target.value):
                return None
            top, subject = loop, root_name(loop.iter.func if isinstance(loop.iter, cst.Call) else loop.iter)
            target = loop.iter.func if isinstance(loop.iter, cst.Call) else loop.iter
        cls = next((a for a in source.ancestors(method) if isinstance(a, cst.ClassDef)), None)
        if cls is None or not any(_binds_self(st, attr) for st in method.body.body):
            return None
        if subject is None or subject == "self" and not re.match(rf"self\.{attr}\b[.\[]", source.code(target)):
            return None  # `self.<other>.x`: not the model the other path binds
        paths = []
        for other in cls.body.body:
            if not isinstance(other, cst.FunctionDef) or other is method:
                continue
            bindings = [st for st in other.body.body if _binds_self(st, attr) and not _placeholder(st.body[0].value)]  # type: ignore[attr-defined]
            if len(bindings) != 1:
                continue
            if any(
                isinstance(node, cst.Attribute) and node.attr.value in ("requires_grad", "requires_grad_")
                for node in descendants(other, cst.Attribute)
            ):
                continue  # it decides the freeze its own way
            paths.append((other, bindings[0]))
        return (freeze, top, paths, subject) if paths else None

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
            # An unfreeze guarded by the flag it sets (`if p.requires_grad: p.requires_grad = True`)
            # never reaches a frozen parameter: no schedule, a no-op.
            dead = {id(statement.body[0]) for statement, _ in _guarded_toggles(source)}
            for node in source.positions:
                if id(node) in dead or id(source.parent(node)) in dead:
                    continue
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
        if candidate.claims_what_trains:
            return self._verify_narrowed(finding, candidate, before, run)
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
        if _COLLIDED in finding.message:
            # The blocks the keywords name stay as they were: frozen, or at a learning rate of 0.
            moved = [
                p.name for p in before.params
                if p.name not in finding.params and not p.changed and (p.frozen_at or p.lr_zero)
                and (now := run.trace.param(p.name)) is not None and now.changed
            ]
            if moved:
                return Verdict(False, f"it also trains {short_list(moved)}, which the keywords name")
        # An earlier phase that trained with them frozen keeps them frozen: the fix is for the
        # later phase only.
        names = set(finding.params)
        if _PHASED in finding.message and _first_phase(before, names) is not None:
            after = _first_phase(run.trace, names)
            if after is None:
                return Verdict(False, "the earlier phase no longer runs before the one that trains them")
            early = sorted({n for b in run.trace.backwards[:after] for n in b.reached} & names)
            if early:
                return Verdict(False, f"it also trains {short_list(early)} in the earlier phase, which kept them frozen")
        return verdict

    @staticmethod
    def _verify_narrowed(finding: Finding, candidate: Candidate, before: Trace, run: RunResult) -> Verdict:
        """A freezing loop narrowed to leave part of the model out: what it leaves trainable is
        decided by the loop's own count or test, so the claim is what the re-run shows trainable
        in the model the finding froze whole. It must be something, and all of it must train."""
        roots = {before.param(name).module for name in finding.params if before.param(name) is not None}  # type: ignore[union-attr]
        model = {p.name for p in before.params if p.module in roots}
        left = [p.name for p in run.trace.params if p.name in model and p.requires_grad]
        if not left:
            return Verdict(False, "it still leaves nothing of the model to train")
        return judge(finding, replace(candidate, params=left), before, run)

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
        grouped: bool = False, thawed_by: Optional[list[str]] = None, root: Optional[ModuleFact] = None,
        spared_nothing: bool = False, setting: Optional[str] = None,
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
            if everything or spared_nothing
            else f"the script's setting `{setting}` says they should train, and nothing reads it"
            if grouped and setting is not None
            else "an optimizer holds them in a param group of their own with a learning rate above 0"
            if grouped
            else f"an optimizer holds them, and the script called `{thawed_by[0]}` to unfreeze them"
            if thawed_by
            else "they are randomly initialised (never loaded) yet handed to an optimizer"
        )
        message = f"requires_grad set to False on {short_list(names)}: {why}; they never receive a gradient"
        # A thaw that cannot reach them (guarded by the flag it sets) is the first suspect: the
        # script meant to unfreeze them and a guard made that a no-op.
        candidates = self._guard_drops(trace, project, frozen, sites)
        guarded = "the statement meant to unfreeze them runs only on parameters that already require grad"
        if _first_phase(trace, set(names)) is not None:
            # An earlier phase trained with them frozen, its optimizer leaving them out: that freeze
            # is meant, and stays. What is missing is the thaw before the phase that holds them.
            message += f"; {_PHASED}, and " + (
                f"{guarded}" if candidates else "nothing unfroze them for the phase whose optimizer holds them"
            )
            candidates += self._phase_thaws(trace, project, frozen)
            return self.finding(project, first, message, names, candidates)
        if candidates:
            message += f"; {guarded}"
        if everything and root is not None:
            # A freeze meant to spare part of the model spared nothing: its keyword names no part.
            # Pointing it at the part the model's output comes from keeps the rest frozen, as
            # meant, where unfreezing everything would make the fine-tune a full one: it comes first.
            missed, spared = _missed_keywords(trace, project, root, sites)
            if missed:
                message += f"; {missed}"
                candidates += spared
        if spared_nothing and root is not None:
            # A loop that chose what to freeze (by position, by a counter, by name) chose every
            # part of this model: its count or test was written for another layout. The re-run
            # judges which narrowing leaves a part that trains.
            candidates += _selective_loop_narrowings(trace, project, root, sites)
        thaw = self._thaw_what_optimizers_hold(trace, project, frozen)
        description = "remove the statements that freeze them"
        if set(sites) & shared:
            # The line also froze what is meant to stay frozen: narrow it to that part, or remove
            # the call of a helper that chose these.
            candidates += self._narrowings(trace, project, frozen)
            callers = {(c.file, c.line): c for p in frozen for c in p.frozen_callers if project.is_editable(c.file)}
            # Only a call on a line of its own goes: `model.head = frozen(nn.Linear(...))` also builds
            # the head, and removing it would train another one.
            if not callers or set(callers) & shared or not all(self._bare_call(project, c) for c in callers.values()):
                if thaw is not None:
                    candidates.append(thaw)
                if not candidates:
                    message += "; the line that froze them also froze parameters that are meant to stay frozen, so the change is yours to make"
                return self.finding(project, first, message, names, candidates)
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
        held: list[str] = []
        for optimizer in trace.optimizers:
            if not optimizer.params or not names & set(optimizer.params):
                continue
            held += [name for name in optimizer.params if name not in held]
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
                and dotted_path(call.func.value) is not None
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
        # The claim is what the optimizers hold: the rest of a model frozen whole (a backbone no
        # checkpoint was found for on this machine) may stay frozen on purpose.
        return Candidate(
            "unfreeze what the optimizer holds, just before it is built",
            [Patch(path, sorted(found, key=lambda e: e.start)) for path, found in sorted(edits.items())],
            self.applicability,
            params=held,
        )

    # -- a thaw the guard made a no-op, an earlier phase's freeze, a freeze wider than the loaded part --

    def _guard_drops(
        self, trace: Trace, project: Project, frozen: list[ParamFact], sites: dict[tuple[str, int], Site],
    ) -> list[Candidate]:
        """For each statement that could set ``requires_grad`` back to True but is guarded by the
        flag itself (the freezing line when it sets a flag the caller gives, or an unfreezing loop
        elsewhere), the edit that drops its guard; the freezing lines' own first."""
        files = sorted({trace.script, *(path for path, _ in sites)} - {""})
        found: list[tuple[bool, str, cst.SimpleStatementLine, list[Edit], str]] = []
        for path in files:
            if not project.is_editable(path):
                continue
            source = project.source(path)
            lines = {line for file, line in sites if file == path}
            for statement, edits in _guarded_toggles(source):
                at_freeze = source.range(statement).start.line in lines
                found.append((not at_freeze, path, statement, edits, source.code(statement).strip()))
        found.sort(key=lambda f: (f[0], f[1], f[3][0].start.line))
        candidates = []
        for _, path, statement, edits, code in found[:4]:
            line = project.source(path).range(statement).start.line
            candidates.append(Candidate(
                f"drop the requires_grad guard that keeps `{code}` (line {line}) from reaching frozen parameters",
                [Patch(path, sorted(edits, key=lambda e: e.start))], self.applicability,
            ))
        return candidates

    @staticmethod
    def _no_op_thaws(trace: Trace, project: Project) -> dict[str, str]:
        """Frozen parameters the script called a thaw on that cannot reach them: a call of a
        function whose unfreezing statement is guarded by the flag it sets
        (``encoder.set_trainable(True)`` after ``encoder.set_trainable(False)``; ``unfreeze(model.rnn)``
        after ``freeze(model.rnn)``), on the module that a freezing call named. Each with that call."""
        files = sorted({trace.script, *(s.file for p in trace.params for s in p.frozen_at)} - {""})
        callers = {(s.file, s.line) for p in trace.params for s in p.frozen_callers}
        found: dict[str, str] = {}
        for path in files:
            if not project.is_editable(path):
                continue
            source = project.source(path)
            helpers: dict[str, bool] = {}  # function name -> needs a literal True among its call's arguments
            for statement, _ in _guarded_toggles(source):
                function = next((a for a in source.ancestors(statement) if isinstance(a, cst.FunctionDef)), None)
                toggle = _toggle(statement.body[0], source)
                if function is None or toggle is None:
                    continue
                literal = isinstance(toggle[1], cst.Name) and toggle[1].value == "True"
                helpers[function.name.value] = helpers.get(function.name.value, True) and not literal
            if not helpers:
                continue
            thaws: list[tuple[set[str], str]] = []
            for call in descendants(source.module, cst.Call):
                name = call.func.attr.value if isinstance(call.func, cst.Attribute) else getattr(call.func, "value", None)
                if name not in helpers or (path, source.range(call).start.line) in callers:
                    continue
                flags = [a.value.value for a in call.args if isinstance(a.value, cst.Name) and a.value.value in ("True", "False")]
                if "False" in flags or (helpers[name] and "True" not in flags):
                    continue
                thaws.append((_named_modules(source, call), source.code(call)))
            for p in trace.params:
                if p.requires_grad or p.got_grad or p.changed or p.name in found:
                    continue
                for site in p.frozen_callers:
                    if site.file != path:
                        continue
                    named = {e for s in source.statements_on_line(site.line) for c in descendants(s, cst.Call) for e in _named_modules(source, c)}
                    match = next((text for exprs, text in thaws if exprs & named), None)
                    if match is not None:
                        found[p.name] = match
                        break
        return found

    def _phase_thaws(self, trace: Trace, project: Project, frozen: list[ParamFact]) -> list[Candidate]:
        """Unfreeze what an optimizer of a later phase holds frozen, right before it is built:
        ``encoder.requires_grad_(True)`` for each module it holds frozen, then the script's own
        freezing call with ``True`` in place of ``False``. The earlier phase's freeze stays."""
        names = {p.name for p in frozen}
        by_module: dict[str, list[Edit]] = {}
        by_call: dict[str, list[Edit]] = {}
        for optimizer in trace.optimizers:
            held = [n for n in optimizer.params if n in names]
            site = optimizer.site
            if not held or site is None or not project.is_editable(site.file):
                continue
            if any(other.site is not None and other.site.same_place(site) and not names & set(other.params) for other in trace.optimizers):
                continue  # one line builds the earlier phase's optimizer too: a thaw there would undo its freeze
            source = project.source(site.file)
            calls = source.nodes_at(site, cst.Call)
            statement = source.statement_of(calls[0]) if calls else None
            if not isinstance(statement, cst.SimpleStatementLine):
                continue
            line = source.range(statement).start.line
            indent = source.indentation(line)
            expressions = _module_expressions(trace, project, source, optimizer.scope_modules, held)
            if expressions:
                text = "".join(f"{indent}{e}.requires_grad_(True)\n" for e in expressions)
                by_module.setdefault(site.file, []).append(source.insert_lines(line, text))
            calls_text = self._own_thaw_calls(project, source, statement, [p for p in frozen if p.name in held])
            if calls_text:
                by_call.setdefault(site.file, []).append(source.insert_lines(line, "".join(f"{indent}{c}\n" for c in calls_text)))
        candidates = []
        for edits, description in (
            (by_module, "unfreeze what the later phase's optimizer holds frozen, just before it is built"),
            (by_call, "call the script's own freezing helper with True before the later phase's optimizer is built"),
        ):
            if edits:
                candidates.append(Candidate(
                    description,
                    [Patch(path, sorted(found, key=lambda e: e.start)) for path, found in sorted(edits.items())],
                    self.applicability,
                ))
        return candidates

    @staticmethod
    def _own_thaw_calls(project: Project, source: SourceFile, before: cst.SimpleStatementLine, frozen: list[ParamFact]) -> list[str]:
        """The calls that froze these parameters (``set_trainable(encoder, False)``), each with its
        one literal ``False`` turned into ``True``: when they are in the same function as ``before``
        and the script has no such call there already."""
        scope = next((a for a in source.ancestors(before) if isinstance(a, cst.FunctionDef)), None)
        texts: list[str] = []
        for site in sorted({(c.file, c.line) for p in frozen for c in p.frozen_callers}):
            if site[0] != source.path:
                continue
            statements = source.statements_on_line(site[1])
            if len(statements) != 1 or not isinstance(statements[0], cst.SimpleStatementLine) or len(statements[0].body) != 1:
                continue
            small = statements[0].body[0]
            if not isinstance(small, cst.Expr) or not isinstance(small.value, cst.Call):
                continue
            if next((a for a in source.ancestors(small) if isinstance(a, cst.FunctionDef)), None) is not scope:
                continue
            call = small.value
            falses = [i for i, a in enumerate(call.args) if isinstance(a.value, cst.Name) and a.value.value == "False"]
            if len(falses) != 1 or any(a.star for a in call.args):
                continue
            args = list(call.args)
            args[falses[0]] = args[falses[0]].with_changes(value=cst.Name("True"))
            text = cst.Module([]).code_for_node(call.with_changes(args=args))
            existing = {
                source.code(s.body[0]).strip() for s in descendants(scope or source.module, cst.SimpleStatementLine) if len(s.body) == 1
            }
            if text not in existing and text not in texts:
                texts.append(text)
        return texts

    def _narrowings(self, trace: Trace, project: Project, fresh: list[ParamFact]) -> list[Candidate]:
        """A statement that froze a whole module, loaded part and fresh part alike, narrowed to the
        loaded part: ``module.word_embedding.weight.requires_grad = False`` (the script's own style
        first) or ``module.word_embedding.requires_grad_(False)``."""
        keys = {(s.file, s.line): s for p in fresh for s in p.frozen_at}
        if len(keys) != 1:
            return []
        [site] = keys.values()
        if not project.is_editable(site.file):
            return []
        group = [p for p in trace.params if not p.requires_grad and any((s.file, s.line) == (site.file, site.line) for s in p.frozen_at)]
        split = _mixed(trace, group)
        if split is None:
            return []
        prefix, tops, _, rest = split
        if not {p.name for p in fresh} <= {p.name for p in rest}:
            return []
        source = project.source(site.file)
        statements = [s for s in source.statements_on_line(site.line) if isinstance(s, cst.SimpleStatementLine)]
        if len(statements) != 1 or len(statements[0].body) != 1:
            return []
        own = statements[0]
        toggle = _toggle(own.body[0], source)
        if toggle is None or _can_thaw(toggle[1]):
            return []
        subject = toggle[0]
        block = source.parent(own)
        loop = source.parent(block) if block is not None else None
        if (
            isinstance(loop, cst.For) and isinstance(block, cst.IndentedBlock) and len(block.body) == 1
            and loop.orelse is None and _binds(loop.target, subject)
        ):
            walk = loop.iter
            if not (
                isinstance(walk, cst.Call) and isinstance(walk.func, cst.Attribute) and not walk.args
                and walk.func.attr.value in ("parameters", "named_parameters") and dotted_path(walk.func.value) is not None
            ):
                return []
            receiver = source.code(walk.func.value)
            replaced: cst.BaseStatement = loop
        elif is_dotted_name(subject) and isinstance(own.body[0], cst.Expr):
            receiver, replaced = subject, own  # `module.requires_grad_(False)`
        else:
            return []
        known = _attribute_names(trace, project, [site.file, *(m.site.file for m in tops if m.site is not None)])
        forms: list[list[str]] = [[], []]
        for top in tops:
            relative = top.path[len(prefix) + 1 :].split(".")  # type: ignore[index]
            if not all(part.isidentifier() and part in known for part in relative):
                return []
            path = ".".join([receiver, *relative])
            own_params = [p.name[len(top.path) + 1 :] for p in trace.params if p.name.startswith(f"{top.path}.")]  # type: ignore[operator]
            # torch's own layers name their parameters (`weight`): those names need no spelling in the file
            named = top.cls.startswith("torch.nn.") or (len(own_params) == 1 and own_params[0] in known)
            single = own_params[0] if len(own_params) == 1 and own_params[0].isidentifier() and named else None
            forms[0].append(f"{path}.{single}.requires_grad = False" if single else "")
            forms[1].append(f"{path}.requires_grad_(False)")
        order = [forms[0], forms[1]] if isinstance(own.body[0], cst.Assign) else [forms[1], forms[0]]
        candidates = []
        for lines in order:
            if not all(lines):
                continue
            new = [cst.parse_statement(f"{line}\n", config=source.module.config_for_parsing) for line in lines]
            new[0] = new[0].with_changes(leading_lines=replaced.leading_lines)
            edit = source.replace_statement(replaced, cst.FlattenSentinel(new))
            shown = "; ".join(lines)
            candidates.append(Candidate(
                f"freeze only the loaded part: `{shown if len(shown) <= 70 else shown[:67] + '...'}`",
                [Patch(site.file, [edit])], self.applicability,
            ))
        return candidates

    def _mixed_freezes(
        self, trace: Trace, project: Project, retried: set[str], intent: Callable[[Site], bool],
    ) -> list[Finding]:
        """One statement that froze a whole module whose part was loaded (``_weight=vectors``,
        ``from_pretrained``, ``load_state_dict`` on that part, values copied in) and whose other
        part is fresh, running in every forward, while an optimizer takes what the model has
        trainable: the fresh part is the accident."""
        by_site: dict[tuple[str, int], tuple[Site, list[ParamFact]]] = {}
        for p in trace.params:
            if p.requires_grad or p.got_grad or p.changed or not p.frozen_at or p.name in retried:
                continue
            for site in {(s.file, s.line): s for s in p.frozen_at}.values():
                by_site.setdefault((site.file, site.line), (site, []))[1].append(p)
        ran = {m.path for m in trace.modules if m.ran_with_grad and m.path}
        findings = []
        for site, group in by_site.values():
            split = _mixed(trace, group)
            if split is None or not project.is_editable(site.file) or intent(site):
                continue
            prefix, tops, loaded, fresh = split
            if not any(not p.constant for p in fresh) or not all(p.name.rsplit(".", 1)[0] in ran for p in fresh):
                continue  # a part that never runs loses nothing by being frozen
            fresh_names = {p.name for p in fresh}
            if _first_phase(trace, fresh_names) is not None:
                continue  # an earlier phase trained without them: the phases' own thaw is missing (below)
            roots = {p.module for p in fresh}
            trainable = {p.name for p in trace.params if p.module in roots and p.requires_grad}
            if not any(
                o.steps and (fresh_names & set(o.params) or (trainable and trainable <= set(o.params)))
                for o in trace.optimizers
            ):
                continue  # nothing shows the fresh part would be trained: the script chose what to train
            if self._unfreezes_later(trace, project, group):
                continue
            candidates = self._narrowings(trace, project, fresh)
            if not candidates:
                continue  # not a statement this rule can narrow: say nothing rather than guess
            names = [p.name for p in fresh]
            parts = [m.path for m in tops if m.path]
            message = (
                f"requires_grad set to False on {short_list(names)}: one statement froze all of `{prefix}`, "
                f"whose {short_list([f'`{p}`' for p in parts])} {'holds' if len(parts) == 1 else 'hold'} given "
                "(pretrained) values, but these were randomly initialised and run in every forward; they never "
                "receive a gradient"
            )
            findings.append(self.finding(project, site, message, names, candidates))
        return findings

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


_TUNE_WORDS = {"finetune", "tune", "tuned", "tuning", "train", "trainable", "learn", "learnable", "update", "updatable"}
_FREEZE_WORDS = {"freeze", "frozen", "static", "fixed"}


def _binds_self(statement: cst.BaseStatement, attr: str) -> bool:
    """``self.<attr> = ...`` as a statement of its own."""
    return (
        isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1 and isinstance(statement.body[0], cst.Assign)
        and len(statement.body[0].targets) == 1 and self_attribute(statement.body[0].targets[0].target) == attr
    )


def _placeholder(value: cst.BaseExpression) -> bool:
    """``None``, ``True``, a number or a string: a value bound before anything is built."""
    return isinstance(value, (cst.BaseNumber, cst.BaseString)) or isinstance(value, cst.Name) and value.value in ("None", "True", "False")


class _Reroot(cst.CSTTransformer):
    """Chains that start from ``subject`` (``model.emb.weight``) made to start from ``bound``
    (``self.model``); with ``self`` as the subject the chain already names what was bound."""

    def __init__(self, subject: str, bound: cst.BaseExpression):
        super().__init__()
        self.subject, self.bound = subject, bound

    def leave_Attribute(self, original: cst.Attribute, updated: cst.Attribute) -> cst.Attribute:
        if self.subject != "self" and isinstance(updated.value, cst.Name) and updated.value.value == self.subject:
            return updated.with_changes(value=self.bound)
        return updated


def _block_code(source: SourceFile, statement: cst.CSTNode) -> str:
    """A statement's code as at column 0 (a compound one keeps its body's own indentation)."""
    return source.module.code_for_node(statement).strip("\n")


def _indented(code: str, indent: str) -> str:
    return "".join(f"{indent}{line}\n" for line in code.splitlines())


def _settings(source: SourceFile) -> list[tuple[str, bool, str, cst.Name]]:
    """Every name set to a literal True or False, with how the script wrote it and the literal:
    ``self.x = True``, ``x: bool = False``, ``x=True`` in a call, ``"x": True`` in a dict."""
    found: list[tuple[str, bool, str, cst.Name]] = []

    def literal(node: Optional[cst.BaseExpression]) -> Optional[bool]:
        return {"True": True, "False": False}.get(node.value) if isinstance(node, cst.Name) else None

    def named(target: cst.BaseExpression) -> Optional[str]:
        return target.attr.value if isinstance(target, cst.Attribute) else target.value if isinstance(target, cst.Name) else None

    for assign in descendants(source.module, cst.Assign):
        value = literal(assign.value)
        name = named(assign.targets[0].target) if len(assign.targets) == 1 else None
        if value is not None and name:
            found.append((name, value, f"{source.code(assign.targets[0].target)} = {value}", assign.value))  # type: ignore[arg-type]
    for annotated in descendants(source.module, cst.AnnAssign):
        value, name = literal(annotated.value), named(annotated.target)
        if value is not None and name:
            found.append((name, value, f"{source.code(annotated.target)} = {value}", annotated.value))  # type: ignore[arg-type]
    for arg in descendants(source.module, cst.Arg):
        value = literal(arg.value)
        if value is not None and arg.keyword is not None:
            found.append((arg.keyword.value, value, f"{arg.keyword.value}={value}", arg.value))  # type: ignore[arg-type]
    for element in descendants(source.module, cst.DictElement):
        value = literal(element.value)
        key = element.key.evaluated_value if isinstance(element.key, cst.SimpleString) else None
        if value is not None and isinstance(key, str) and key:
            found.append((key, value, f"{source.code(element.key)}: {value}", element.value))  # type: ignore[arg-type]
    return found


def _named_by(subject: list[str], name: str) -> bool:
    """The setting's subject names the parameter (``word_vectors``) or a module it is in
    (``encoder`` for ``model.encoder.mix.weight``), below the script's root object (``train_model``
    says what to run, not what to unfreeze), and not by a name every layer has (``weight``, ``bias``)."""
    parts = name.split(".")[1:] or name.split(".")
    if parts[-1] in ("weight", "bias"):
        parts = parts[:-1]
    return any(_same_words(subject, name_words(part)) for part in parts)


def _same_words(subject: list[str], owner: list[str]) -> bool:
    """The setting's subject names the module: the same words, or each the start of the other
    (``embed`` and ``embedding``, ``emb`` and ``embeddings``), three letters at least."""
    if len(subject) != len(owner):
        return False
    return all(a == b or (min(len(a), len(b)) >= 3 and (a.startswith(b) or b.startswith(a))) for a, b in zip(subject, owner))


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


# -- toggles guarded by the flag they set -------------------------------------------------------


def _is_flag(node: cst.BaseExpression, subject: str, source: SourceFile) -> bool:
    """``subject.requires_grad`` (also ``== True``, ``is True``): true only for what already trains."""
    return source.tests_requires_grad(node, subject)


def _toggle(small: cst.BaseSmallStatement, source: SourceFile) -> Optional[tuple[str, cst.BaseExpression]]:
    """``x.requires_grad = v`` or ``x.requires_grad_(v)``: the subject ``x`` and the value set."""
    if isinstance(small, cst.Assign) and len(small.targets) == 1:
        target = small.targets[0].target
        if isinstance(target, cst.Attribute) and target.attr.value == "requires_grad":
            return source.code(target.value), small.value
    if isinstance(small, cst.Expr) and isinstance(small.value, cst.Call):
        call = small.value
        if isinstance(call.func, cst.Attribute) and call.func.attr.value == "requires_grad_" and not any(a.star for a in call.args):
            if not call.args:
                return source.code(call.func.value), cst.Name("True")
            given = next((a for a in call.args if a.keyword is None or a.keyword.value == "requires_grad"), None)
            if given is not None and len(call.args) == 1:
                return source.code(call.func.value), given.value
    return None


def _can_thaw(value: cst.BaseExpression) -> bool:
    """Anything but a literal ``False``: the statement may set the flag back to True."""
    return not (isinstance(value, cst.Name) and value.value == "False")


def _flag_guards(source: SourceFile, statement: cst.SimpleStatementLine, subject: str) -> list[Edit]:
    """What keeps a toggle of ``subject.requires_grad`` from running on frozen parameters, each as
    the edit that drops it: an ``if p.requires_grad:`` around it (or that conjunct of its test), an
    ``if not p.requires_grad: continue`` before it in its loop, a loop over
    ``filter(lambda p: p.requires_grad, ...)`` or ``(p for p in ... if p.requires_grad)``. Such a
    toggle can freeze, never thaw: what is frozen is never looked at."""
    edits: list[Edit] = []
    inner: cst.CSTNode = statement
    for ancestor in source.ancestors(statement):
        if isinstance(ancestor, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            break
        if isinstance(ancestor, cst.If) and ancestor.orelse is None and inner is ancestor.body:
            edit = _drop_from_test(source, ancestor, subject)
            if edit is not None:
                edits.append(edit)
        if isinstance(ancestor, cst.For) and _binds(ancestor.target, subject):
            iterable = source.requires_grad_filtered(ancestor.iter)
            if iterable is not None:
                edits.append(source.replace_node(ancestor.iter, iterable))
            if isinstance(ancestor.body, cst.IndentedBlock):
                for sibling in ancestor.body.body:
                    if sibling is inner or source.range(sibling).start.line >= source.range(statement).start.line:
                        break
                    if _skips_frozen(source, sibling, subject):
                        edits.append(source.remove_statement(sibling))
        inner = ancestor
    return edits


def _drop_from_test(source: SourceFile, node: cst.If, subject: str) -> Optional[Edit]:
    """The edit that stops ``if`` from testing ``subject.requires_grad``: its body in its place
    when that is the whole test, else the test without that conjunct."""
    test = node.test
    if _is_flag(test, subject, source):
        body = list(node.body.body) if isinstance(node.body, cst.IndentedBlock) else []
        if not body or not isinstance(node.body, cst.IndentedBlock):
            return None
        first = body[0]
        body[0] = first.with_changes(leading_lines=[*node.leading_lines, *first.leading_lines])
        return source.replace_statement(node, cst.FlattenSentinel(body))
    if isinstance(test, cst.BooleanOperation) and isinstance(test.operator, cst.And) and not test.lpar:
        if _is_flag(test.left, subject, source) and not isinstance(test.right, cst.BooleanOperation):
            return source.replace_node(test, test.right)
        if _is_flag(test.right, subject, source):
            return source.replace_node(test, test.left)
    return None


def _binds(target: cst.BaseAssignTargetExpression, subject: str) -> bool:
    """The loop target is ``subject`` or a tuple holding it (``for name, p in ...``)."""
    if isinstance(target, cst.Name):
        return target.value == subject
    if isinstance(target, (cst.Tuple, cst.List)):
        return any(isinstance(e.value, cst.Name) and e.value.value == subject for e in target.elements)
    return False


def _skips_frozen(source: SourceFile, statement: cst.BaseStatement, subject: str) -> bool:
    """``if not p.requires_grad: continue``."""
    if not isinstance(statement, cst.If) or statement.orelse is not None:
        return False
    test = statement.test
    if not (isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not) and _is_flag(test.expression, subject, source)):
        return False
    body = statement.body
    small = body.body if isinstance(body, cst.SimpleStatementSuite) else (
        body.body[0].body if len(body.body) == 1 and isinstance(body.body[0], cst.SimpleStatementLine) else []
    )
    return len(small) == 1 and isinstance(small[0], cst.Continue)


def _guarded_toggles(source: SourceFile, lines: Optional[set[int]] = None) -> list[tuple[cst.SimpleStatementLine, list[Edit]]]:
    """Statements that may set ``requires_grad`` to True (a literal True, or a flag given by the
    caller) but are guarded by ``requires_grad`` itself, so they never reach a frozen parameter;
    with the edits that drop each guard. ``lines``: only statements starting on these lines."""
    found = []
    for node in source.positions:
        if not isinstance(node, cst.SimpleStatementLine) or len(node.body) != 1:
            continue
        if lines is not None and source.range(node).start.line not in lines:
            continue
        toggle = _toggle(node.body[0], source)
        if toggle is None or not _can_thaw(toggle[1]):
            continue
        edits = _flag_guards(source, node, toggle[0])
        if edits:
            found.append((node, edits))
    return found


# -- phases, loaded parts, names ----------------------------------------------------------------


def _first_phase(trace: Trace, names: set[str]) -> Optional[int]:
    """How many ``backward()`` calls an earlier phase ran: those up to the last step of another
    optimizer before the first step of one that holds any of ``names``. None when no other
    optimizer stepped first (or the recorded order ends before one that holds them steps)."""
    holders = {o.id for o in trace.optimizers if names & set(o.params)}
    if not holders:
        return None
    backwards = 0
    end: Optional[int] = None
    for event in trace.order:
        if event.kind == "backward":
            backwards += 1
        elif event.kind == "step" and event.optimizer is not None:
            if event.optimizer in holders:
                return end or None
            end = backwards
    return None


def _mixed(trace: Trace, group: list[ParamFact]) -> Optional[tuple[str, list, list[ParamFact], list[ParamFact]]]:  # type: ignore[type-arg]
    """Parameters frozen by one statement, when they are every parameter of one module and some
    parts of that module were loaded: the module's path, its loaded parts (outermost), the loaded
    parameters and the others."""
    owners = [p.name.split(".")[:-1] for p in group]
    if not owners or not all(owners):
        return None
    common: list[str] = []
    for level in zip(*owners):
        if len(set(level)) != 1:
            break
        common.append(level[0])
    prefix = ".".join(common)
    module = next((m for m in trace.modules if m.path == prefix), None) if prefix else None
    if module is None or module.loaded:
        return None
    if {p.name for p in trace.params if p.name.startswith(f"{prefix}.")} != {p.name for p in group}:
        return None  # not the whole module: the statement chose its parameters one by one
    inside = [m for m in trace.modules if m.loaded and m.path and m.path.startswith(f"{prefix}.")]
    tops = [m for m in inside if not any(o is not m and m.path.startswith(f"{o.path}.") for o in inside)]  # type: ignore[union-attr]
    tops = [m for m in tops if any(p.name.startswith(f"{m.path}.") for p in group)]
    loaded = [p for p in group if any(p.name.startswith(f"{m.path}.") for m in tops)]
    fresh = [p for p in group if p not in loaded]
    if not loaded or not fresh:
        return None
    return prefix, tops, loaded, fresh


def _module_expressions(
    trace: Trace, project: Project, source: SourceFile, scope: dict[str, int], names: list[str],
) -> Optional[list[str]]:
    """How the code where an optimizer was built names the modules whose parameters are exactly
    ``names`` (``encoder``, ``model.encoder``): names bound there, or paths from them."""
    wanted = set(names)
    inside = [m for m in trace.modules if m.path and (under := {p.name for p in trace.params if p.name.startswith(f"{m.path}.")}) and under <= wanted]
    tops = [m for m in inside if not any(o is not m and m.path.startswith(f"{o.path}.") for o in inside)]  # type: ignore[union-attr]
    if {p.name for m in tops for p in trace.params if p.name.startswith(f"{m.path}.")} != wanted:
        return None
    known = _attribute_names(trace, project, [source.path, *(m.site.file for m in trace.modules if m.site is not None)])
    bound = {n.value for n in descendants(source.module, cst.Name)}
    paths = {m.id: m.path for m in trace.modules if m.path}
    expressions = []
    for top in tops:
        options = []
        for name, module_id in scope.items():
            parts = name.split(".")
            if not all(part.isidentifier() for part in parts) or parts[0] not in bound:
                continue
            if module_id == top.id:
                options.append(name)
            elif (path := paths.get(module_id)) and top.path.startswith(f"{path}."):  # type: ignore[union-attr]
                rest = top.path[len(path) + 1 :].split(".")  # type: ignore[index]
                if all(part.isidentifier() and part in known for part in rest):
                    options.append(".".join([name, *rest]))
        if not options:
            return None
        expressions.append(min(options, key=lambda o: (o.count("."), len(o), o)))
    return expressions


def _attribute_names(trace: Trace, project: Project, paths: list[str]) -> set[str]:
    """Attribute names the files use (``self.word_embedding = ...``, ``model.encoder``): a path
    built from the run's module names is written into a fix only when the source spells it."""
    names: set[str] = set()
    for path in {trace.script, *paths}:
        if path and project.is_editable(path):
            names |= {a.attr.value for a in descendants(project.source(path).module, cst.Attribute)}
    return names


def _named_modules(source: SourceFile, call: cst.Call) -> set[str]:
    """What a call names: its receiver (``encoder`` of ``encoder.set_trainable(True)``) and its
    arguments that are plain paths (``model.rnn`` of ``unfreeze(model.rnn)``)."""
    named = {source.code(a.value) for a in call.args if dotted_path(a.value) is not None and not (isinstance(a.value, cst.Name) and a.value.value in ("True", "False", "None"))}
    if isinstance(call.func, cst.Attribute) and dotted_path(call.func.value) is not None:
        named.add(source.code(call.func.value))
    return named


# -- keywords that name a block by the start of longer indices ------------------------------------

# A container this long has two-digit indices: `blocks.1` is then the start of `blocks.10`.
_MIN_BLOCKS = 11
_MAX_TESTS = 3
# What a finding's message says when a keyword froze blocks it does not name: its verdict then
# also checks that the blocks the keywords name stay as they were.
_COLLIDED = "by a keyword meant for another block"
# A keyword that ends in a block's index: `resblocks.1`, `encoder.layer.11`, `!blocks.0`, a regex's
# `blocks\.1`; the path before the index ends with a dot.
_INDEXED = re.compile(r"[!^+\-]*(?P<stem>(?:\w+\\?\.)+)(?P<index>0|[1-9]\d*)")
_TOKEN = re.compile(r"[^\s,;|]+")
# Calls whose string arguments are shown to people, and keywords that hold text, not names.
_SAID = {"print", "info", "debug", "warning", "warn", "error", "exception", "log", "write", "set_description", "add_text"}
_TEXT_ARGS = {"help", "description", "epilog", "usage", "metavar", "msg", "desc"}
_NAME_LOOPS = {"named_parameters", "named_modules", "named_children", "named_buffers", "items"}


class _Keyword:
    """A string the source spells that names a block by its index, with the edit that ends it
    with a dot. ``index`` is None for an f-string whose index is a loop variable; ``ranged`` is
    then the indices that loop gives, when they are literals."""

    def __init__(self, path: str, stem: str, index: Optional[int], ranged: Optional[set[int]], edit: Edit, text: str):
        self.path, self.stem, self.index, self.ranged, self.edit, self.text = path, stem, index, ranged, edit, text

    def names(self, container: str) -> bool:
        """The path before the index is the end of the container's path, whole parts only."""
        return f".{container}.".endswith(f".{self.stem}")

    def spells(self, index: int) -> bool:
        """It names that index: its own, or one its loop may give."""
        if self.index is not None:
            return self.index == index
        return self.ranged is None or index in self.ranged


def _indexed_blocks(trace: Trace) -> dict[str, dict[int, list[ParamFact]]]:
    """The parameters under each indexed child of each container (``encoder.layer`` → 0, 1, ...),
    from their names."""
    blocks: dict[str, dict[int, list[ParamFact]]] = {}
    for p in trace.params:
        parts = p.name.split(".")
        for at in range(1, len(parts) - 1):
            if parts[at].isdigit() and str(int(parts[at])) == parts[at]:
                blocks.setdefault(".".join(parts[:at]), {}).setdefault(int(parts[at]), []).append(p)
    return blocks


def _block_state(params: list[ParamFact]) -> Optional[str]:
    """"frozen" (every parameter set to requires_grad=False, and still), "rate 0" (held only at a
    learning rate of 0), "trains" (requires grad, at a rate above 0, and changed), else None."""
    if all(not p.requires_grad and p.frozen_at and not p.got_grad and not p.changed for p in params):
        return "frozen"
    if all(p.requires_grad and p.lr_zero and p.optimizers and not p.changed for p in params):
        return "rate 0"
    if all(p.requires_grad and not p.lr_zero for p in params) and any(p.changed for p in params):
        return "trains"
    return None


def _prefix_collided(indices: list[int], stuck: set[int]) -> Optional[dict[int, int]]:
    """When the stuck indices are not one range of ``indices`` and are exactly those whose number
    starts with one of the smallest stuck ones (the seeds): each other stuck index with its seed."""
    if not stuck:
        return None
    seeds = {s for s in stuck if not any(o != s and str(s).startswith(str(o)) for o in stuck)}
    closure = {i for i in indices if any(str(i).startswith(str(s)) for s in seeds)}
    if closure != stuck or closure == seeds:
        return None
    places = [indices.index(i) for i in sorted(stuck)]
    if places[-1] - places[0] + 1 == len(places):
        return None  # one range (the first ten of twelve): a choice, whatever the test
    return {i: next(s for s in seeds if str(i).startswith(str(s))) for i in stuck - seeds}


def _spans(indices: list[int]) -> str:
    """0, 1, 10, 11 → "0, 1, 10, 11"; 2..9 → "2-9"."""
    runs: list[list[int]] = []
    for i in indices:
        if runs and runs[-1][-1] == i - 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    return ", ".join(f"{r[0]}-{r[-1]}" if len(r) > 2 else ", ".join(map(str, r)) for r in runs)


def _keyword_files(trace: Trace, project: Project) -> list[str]:
    """Where the keywords may be spelled: the script, the files that froze, and the files that
    built the optimizers."""
    paths = {trace.script}
    paths |= {s.file for p in trace.params for s in [*p.frozen_at, *p.frozen_callers]}
    paths |= {o.site.file for o in trace.optimizers if o.site is not None}
    return sorted(path for path in paths if path and project.is_editable(path))


def _said(source: SourceFile, node: cst.CSTNode) -> bool:
    """A docstring, text shown to people (a print, a log call), or an argument's help text."""
    parent = source.parent(node)
    while isinstance(parent, cst.ConcatenatedString):
        node, parent = parent, source.parent(parent)
    if isinstance(parent, cst.Expr):
        return True
    for ancestor in source.ancestors(node):
        if isinstance(ancestor, cst.Arg) and ancestor.keyword is not None and ancestor.keyword.value in _TEXT_ARGS:
            return True
        if isinstance(ancestor, cst.Call):
            func = ancestor.func
            name = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else ""
            if name in _SAID:
                return True
        if isinstance(ancestor, cst.BaseStatement):
            break
    return False


def _keywords(source: SourceFile) -> list[_Keyword]:
    """Every keyword that ends in an index, in the string literals of a file (one keyword, or
    several joined by commas or spaces: ``"token_embedding,resblocks.0,resblocks.1"``), and in
    f-strings whose index is a loop's (``f"blocks.{i}"`` for ``i`` in ``range(2)``)."""
    found: list[_Keyword] = []
    for node in descendants(source.module, cst.SimpleString):
        prefix = node.prefix.lower()
        if "b" in prefix or _said(source, node):
            continue
        raw = "r" in prefix
        body = node.raw_value
        if not raw and "\\" in body.replace("\\\\", ""):
            continue  # other escapes: the spelling is not the value
        where = source.range(node).start
        start = source.lines.offset(Position(where.line, where.column)) + len(node.prefix) + len(node.quote)
        for match in _TOKEN.finditer(body):
            value = match.group() if raw else match.group().replace("\\\\", "\\")
            named = _INDEXED.fullmatch(value)
            if named is None:
                continue
            escaped = "\\." in named["stem"]
            suffix = ("\\." if raw else "\\\\.") if escaped else "."
            at = source.position(start + match.end())
            found.append(_Keyword(
                source.path, named["stem"].replace("\\.", "."), int(named["index"]), None, Edit(at, at, suffix), value,
            ))
    for node in descendants(source.module, cst.FormattedString):
        parts = node.parts
        if len(parts) < 2 or _said(source, node):
            continue
        text, last = parts[-2], parts[-1]
        if not (isinstance(text, cst.FormattedStringText) and isinstance(last, cst.FormattedStringExpression)):
            continue
        if last.conversion is not None or last.format_spec is not None or not isinstance(last.expression, cst.Name):
            continue
        named = re.fullmatch(r"[!^+\-]*(?P<stem>(?:\w+\.)+)", text.value)
        if named is None:
            continue
        loop, indices = _index_loop(source, node, last.expression.value)
        if not loop:
            continue
        where = source.range(node).end
        at = source.position(source.lines.offset(Position(where.line, where.column)) - len(node.end))
        found.append(_Keyword(source.path, named["stem"], None, indices, Edit(at, at, "."), source.code(node)))
    return found


def _index_loop(source: SourceFile, node: cst.CSTNode, name: str) -> tuple[bool, Optional[set[int]]]:
    """Whether the loop or comprehension around ``node`` that binds ``name`` runs over
    ``range(...)`` or a list of integers, and the indices it gives (None when they are not
    literals)."""
    for ancestor in source.ancestors(node):
        if isinstance(ancestor, (cst.FunctionDef, cst.ClassDef)):
            break
        for target, iterable in _loops(ancestor):
            if not (isinstance(target, cst.Name) and target.value == name):
                continue
            if isinstance(iterable, (cst.List, cst.Tuple)):
                values = [e.value for e in iterable.elements]
                if values and all(isinstance(v, cst.Integer) for v in values):
                    return True, {int(v.value) for v in values if isinstance(v, cst.Integer)}
                return False, None
            if isinstance(iterable, cst.Call) and source.qualified_names(iterable.func) == {"builtins.range"}:
                args = [a.value for a in iterable.args]
                if 1 <= len(args) <= 3 and all(isinstance(a, cst.Integer) for a in args) and not any(a.keyword for a in iterable.args):
                    return True, set(range(*(int(a.value) for a in args if isinstance(a, cst.Integer))))
                return True, None
            return False, None
    return False, None


def _loops(node: cst.CSTNode) -> list[tuple[cst.BaseAssignTargetExpression, cst.BaseExpression]]:
    """What a ``for`` statement or a comprehension binds, and over what."""
    if isinstance(node, cst.For):
        return [(node.target, node.iter)]
    found = []
    if isinstance(node, (cst.ListComp, cst.GeneratorExp, cst.SetComp, cst.DictComp)):
        loop: Optional[cst.CompFor] = node.for_in
        while loop is not None:
            found.append((loop.target, loop.iter))
            loop = loop.inner_for_in
    return found


def _name_variable(source: SourceFile, node: cst.CSTNode, name: str) -> bool:
    """``name`` is the name a loop over ``named_parameters()`` (or ``named_modules()``, a state
    dict's ``items()``) binds around ``node``: ``for name, param in model.named_parameters()``."""
    for ancestor in source.ancestors(node):
        if isinstance(ancestor, (cst.FunctionDef, cst.ClassDef)):
            break
        for target, iterable in _loops(ancestor):
            if not isinstance(target, cst.Tuple) or not target.elements:
                continue
            first = target.elements[0].value
            if isinstance(first, cst.Name) and first.value == name:
                return (
                    isinstance(iterable, cst.Call) and isinstance(iterable.func, cst.Attribute)
                    and iterable.func.attr.value in _NAME_LOOPS
                )
    return False


def _not_one_keyword(node: cst.BaseExpression) -> bool:
    """A string or a collection: not one keyword that a dot can be added to."""
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.func.value in ("tuple", "list", "set"):
        return True
    return isinstance(node, (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString, cst.Tuple, cst.List, cst.Set))


def _boundary_tests(project: Project, files: list[str], near: set[tuple[str, int]]) -> list[tuple[str, cst.CSTNode, cst.BaseExpression]]:
    """Name tests by substring or prefix with a keyword that is not a literal (``keyword in
    name``, ``name.startswith(prefix)``, in a loop over ``named_parameters()``), each with the
    test on whole name parts: ``(keyword + ".") in (name + ".")``. The tests in the function of
    a line in ``near`` (where the run froze them) first."""
    found: list[tuple[bool, str, int, cst.CSTNode, cst.BaseExpression]] = []
    for path in files:
        source = project.source(path)
        quote = _quote(source)
        dot = f"{quote}.{quote}"
        functions = {
            id(next((a for a in source.ancestors(s) if isinstance(a, cst.FunctionDef)), source.module))
            for file, line in near if file == path for s in source.statements_on_line(line)
        }
        for node in source.positions:
            new: Optional[str] = None
            if isinstance(node, cst.Comparison) and len(node.comparisons) == 1 and isinstance(node.comparisons[0].operator, cst.In):
                subject = node.comparisons[0].comparator
                if isinstance(subject, cst.Name) and not subject.lpar and not _not_one_keyword(node.left) and _name_variable(source, node, subject.value):
                    new = f"({source.code(node.left)} + {dot}) in ({subject.value} + {dot})"
            elif (
                isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value == "startswith"
                and isinstance(node.func.value, cst.Name) and len(node.args) == 1 and node.args[0].keyword is None
                and not node.args[0].star and not _not_one_keyword(node.args[0].value)
                and _name_variable(source, node, node.func.value.value)
            ):
                new = f"({node.func.value.value} + {dot}).startswith({source.code(node.args[0].value)} + {dot})"
            if new is None:
                continue
            expression = cst.parse_expression(new, config=source.module.config_for_parsing)
            expression = expression.with_changes(lpar=getattr(node, "lpar", ()), rpar=getattr(node, "rpar", ()))
            function = next((a for a in source.ancestors(node) if isinstance(a, cst.FunctionDef)), source.module)
            found.append((id(function) not in functions, path, source.range(node).start.line, node, expression))
    found.sort(key=lambda f: (f[0], f[1], f[2]))
    return [(path, node, new) for _, path, _, node, new in found]


def _quote(source: SourceFile) -> str:
    """The quote the file writes its strings with, most of the time."""
    quotes = [s.quote for s in descendants(source.module, cst.SimpleString) if len(s.quote) == 1]
    return "'" if quotes.count("'") > quotes.count('"') else '"'


# -- a selective freeze whose keyword names no part of the model ------------------------------------


def _missed_keywords(
    trace: Trace, project: Project, root: ModuleFact, sites: dict[tuple[str, int], Site],
) -> tuple[str, list[Candidate]]:
    """A freeze chosen by name (``if not name.startswith("head")``, ``"fc" not in name``, a list
    of keep-keywords) that froze every parameter of the model, with keywords none of which occurs
    in any parameter's name: the part they were meant to spare is called something else here.
    Returns what to say, and one candidate per likely part (the one whose output the model
    returns first), each spelling that part's name in place of the first keyword."""
    if not root.path:
        return "", []
    names = [p.name[len(root.path) + 1 :] for p in trace.params_of(root.id) if p.name.startswith(f"{root.path}.")]
    if not names:
        return "", []
    for (path, line), _site in sorted(sites.items()):
        source = project.source(path)
        for statement in source.statements_on_line(line):
            found = _keyword_test(source, statement)
            if found is None:
                continue
            keywords = [k for k in found if isinstance(k.evaluated_value, str) and k.evaluated_value]
            # Every keyword must name nothing: one that does occur chose something, and the
            # selection is then not what failed.
            if not keywords or any(k.evaluated_value in n for k in keywords for n in names):  # type: ignore[operator]
                continue
            parts = _top_parts(trace, root)
            heads = _likely_heads(trace, project, root, parts)
            if not heads:
                continue
            spelled = ", ".join(f'"{k.evaluated_value}"' for k in keywords)
            shown = ", ".join(f"`{part}`" for part, _ in parts)
            message = (
                f"the {'keyword' if len(keywords) == 1 else 'keywords'} {spelled} that chose what to spare "
                f"{'matches' if len(keywords) == 1 else 'match'} no parameter name, so the freeze spared nothing "
                f"(the model's top-level parts: {shown})"
            )
            first = keywords[0]
            candidates = []
            for part in heads:
                new = cst.SimpleString(f"{first.prefix}{first.quote}{part}{first.quote}")
                candidates.append(Candidate(
                    f'spare `{part}`, the part the model\'s output comes from: the keyword "{first.evaluated_value}" becomes "{part}"',
                    [Patch(path, [source.replace_node(first, new)])],
                    Applicability.UNSAFE,
                    params=[p.name for p in trace.params_of(root.id) if p.name.startswith(f"{root.path}.{part}.")],
                ))
            return message, candidates
    return "", []


def _keyword_test(source: SourceFile, statement: cst.BaseStatement) -> Optional[list[cst.SimpleString]]:
    """The plain string keywords of the ``if`` around a freezing statement that tests the name a
    loop over ``named_parameters()`` binds (inline, or a list or tuple assigned once to a name the
    test reads); None when no such test chose the statement."""
    for ancestor in source.ancestors(statement):
        if isinstance(ancestor, (cst.FunctionDef, cst.ClassDef)):
            return None
        if not isinstance(ancestor, cst.If):
            continue
        test = ancestor.test
        reads = {n.value for n in descendants(test, cst.Name)}
        if not any(_name_variable(source, test, name) for name in reads):
            continue
        strings = [s for s in descendants(test, cst.SimpleString) if "b" not in s.prefix.lower()]
        for name in descendants(test, cst.Name):
            value = _bound_value(source, name)
            if isinstance(value, (cst.List, cst.Tuple, cst.Set)) and value.elements and all(
                isinstance(e.value, cst.SimpleString) for e in value.elements
            ):
                strings += [e.value for e in value.elements if isinstance(e.value, cst.SimpleString)]
        if descendants(test, cst.FormattedString) or descendants(test, cst.ConcatenatedString):
            return None  # a keyword built at run time: what it spells is not in the text
        return strings or None
    return None


def _top_parts(trace: Trace, root: ModuleFact) -> list[tuple[str, ModuleFact]]:
    """The root module's children, by the names its parameters carry, in the order it registered them."""
    parts = []
    for child in root.children:
        module = trace.module(child)
        if module is not None and module.path and module.path.startswith(f"{root.path}."):
            relative = module.path[len(root.path) + 1 :]  # type: ignore[arg-type]
            if "." not in relative:
                parts.append((relative, module))
    return parts


def _likely_heads(trace: Trace, project: Project, root: ModuleFact, parts: list[tuple[str, ModuleFact]]) -> list[str]:
    """The parts a fine-tune that spares one part most likely meant, most likely first: the one
    that ran with gradients and whose output the model's forward returns (``return
    self.classifier(x)``), then the last registered part that has parameters and ran."""
    held = [(part, m) for part, m in parts if any(p.name.startswith(f"{root.path}.{part}.") for p in trace.params_of(root.id))]
    # An optimizer that crashed on an empty list stopped the script before any forward: then the
    # order the model registered its parts in is all the run shows.
    ran = [(part, m) for part, m in held if m.ran_with_grad or m.ran_without_grad] or held
    heads: list[str] = []
    for part, module in ran:
        for call in module.grad_calls[:1]:
            site = call[0] if call else None
            if site is None or not project.is_editable(site.file):
                continue
            source = project.source(site.file)
            # The outermost call of the return: `return self.out(self.body(x))` returns `out`'s
            # output, though `body` ran on the same line.
            returned = [
                s.body[0].value for s in source.statements_on_line(site.line)
                if isinstance(s, cst.SimpleStatementLine) and isinstance(s.body[0], cst.Return)
            ]
            if any(
                isinstance(value, cst.Call) and (dotted_path(value.func) or "").split(".")[-1] == part for value in returned
            ):
                heads.append(part)
    if ran and ran[-1][0] not in heads:
        heads.append(ran[-1][0])
    return heads[:2]


def _bound_value(source: SourceFile, name: cst.Name) -> Optional[cst.BaseExpression]:
    """What ``name`` was bound to by its one plain assignment, in its own scope or an enclosing
    one (a module-level ``TRAINABLE = ("head", "fc")`` read in a function)."""
    scope = source.scopes.get(name)
    if scope is None:
        return None
    assignments = list(scope[name.value])  # looks through the enclosing scopes, as Python does
    if len(assignments) != 1:
        return None
    node = getattr(assignments[0], "node", None)
    assign = source.parent(node) if isinstance(node, cst.Name) else None
    while assign is not None and isinstance(assign, cst.AssignTarget):
        assign = source.parent(assign)
    if not isinstance(assign, cst.Assign) or len(assign.targets) != 1:
        return None
    return assign.value


# -- a selective freeze loop that chose every part of the model ----------------------------------

# What a candidate that narrows a freezing loop says (its verdict claims what the re-run left
# trainable: Candidate.claims_what_trains).
_NARROWED = "so that part of the model is left to train"
_PART_LOOPS = {"children", "named_children"}
_PARAMETER_LOOPS = {"parameters", "named_parameters"}


def _held_parts(trace: Trace, root: ModuleFact, module: ModuleFact) -> list[tuple[str, ModuleFact]]:
    """``module``'s children that hold parameters of ``root``, in the order they were registered."""
    names = [p.name for p in trace.params_of(root.id)]
    return [
        (part, child) for part, child in _top_parts(trace, module)
        if any(n.startswith(f"{child.path}.") for n in names)
    ]


def _selective_loop_narrowings(
    trace: Trace, project: Project, root: ModuleFact, sites: dict[tuple[str, int], Site],
) -> list[Candidate]:
    """A loop over the model's parts or parameters that freezes under a test (``if ct < 8``, ``if
    i < 100``, a name test) and froze every one of them: the count was written for a model with
    more parts (a ResNet's ten children, where a DenseNet has ``features`` and ``classifier``).
    Two narrowings, each kept only if its re-run leaves something that trains:

    - count within the part the layers live in, one level down (``model.features.children()``),
      so the loop's own count or test still decides what freezes; it comes first, since it keeps
      the script's choice in force;
    - leave the model's last part (its head) out of the loop
      (``list(model.children())[:-1]``, or for a loop over parameters
      ``list(model.parameters())[:-len(list(model.classifier.parameters()))]``).

    A model with one part that holds everything (a wrapper around a ``Sequential``) is looked at
    one level down. A loop that freezes without a test froze everything on purpose, and is left to
    the other candidates."""
    if not root.path:
        return []
    level: list[str] = []
    module = root
    parts = _held_parts(trace, root, module)
    while len(parts) == 1 and _held_parts(trace, root, parts[0][1]):
        level.append(parts[0][0])
        module = parts[0][1]
        parts = _held_parts(trace, root, module)
    if len(parts) < 2:
        return []
    head = parts[-1][0]
    containers = [part for part, child in parts[:-1] if len(_held_parts(trace, root, child)) > 1]
    candidates: list[Candidate] = []
    seen: set[tuple[str, int]] = set()
    for (path, line), _site in sorted(sites.items()):
        if not project.is_editable(path):
            continue
        source = project.source(path)
        for statement in source.statements_on_line(line):
            found = _freezing_loop_call(source, statement)
            if found is None:
                continue
            call, receiver = found
            where = (path, source.range(call).start.line)
            if where in seen:
                continue
            seen.add(where)
            method = call.func.attr.value  # type: ignore[attr-defined]
            base = receiver
            for part in level:
                base = _part_of(base, part)
            for part in containers:
                text = f"{_part_of(base, part)}.{method}()"
                candidates.append(Candidate(
                    f"freeze by the loop's own test within `{_part_of(base, part)}`, the part that holds the layers, "
                    f"{_NARROWED}",
                    [Patch(path, [source.replace_node(call, cst.parse_expression(text))])],
                    Applicability.UNSAFE, claims_what_trains=True,
                ))
            if method in _PART_LOOPS:
                text = f"list({base}.{method}())[:-1]"
            else:
                # The head's parameters come last: it is the last part the model registered.
                text = f"list({receiver}.{method}())[:-len(list({_part_of(base, head)}.parameters()))]"
            candidates.append(Candidate(
                f"leave `{_part_of(base, head)}`, the model's last part, out of the freezing loop, {_NARROWED}",
                [Patch(path, [source.replace_node(call, cst.parse_expression(text))])],
                Applicability.UNSAFE, claims_what_trains=True,
            ))
    return candidates


def _part_of(base: str, part: str) -> str:
    """How code names a child: ``model.features``, or ``model.net[4]`` for a ``Sequential``'s."""
    return f"{base}[{part}]" if part.isdigit() else f"{base}.{part}"


def _freezing_loop_call(source: SourceFile, statement: cst.BaseStatement) -> Optional[tuple[cst.Call, str]]:
    """The ``model.children()`` (``named_children``, ``parameters``, ``named_parameters``) call that
    the outermost loop around a freezing statement iterates, with the model's expression, when an
    ``if`` inside that loop chose the statement; None otherwise."""
    chosen = False
    found: Optional[tuple[cst.Call, str]] = None
    for ancestor in source.ancestors(statement):
        if isinstance(ancestor, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            break
        if isinstance(ancestor, cst.If):
            chosen = True
        if not isinstance(ancestor, cst.For):
            continue
        for call in descendants(ancestor.iter, cst.Call):
            func = call.func
            if (
                isinstance(func, cst.Attribute) and func.attr.value in _PART_LOOPS | _PARAMETER_LOOPS
                and not call.args and (receiver := dotted_path(func.value)) is not None
            ):
                if chosen:
                    found = (call, receiver)
                break
    return found
