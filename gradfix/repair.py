"""The repair loop: run, diagnose, fix, re-run, judge; repeat until the script is clean or stuck.

A fault that crashes the script early hides the faults after it, so repair is a loop: fix the
first blocking fault, re-run, diagnose again. The re-run that verifies one fix is the run that
diagnoses the next. Each accepted fix is kept as edits on the files as they are on disk, so fixes
in one file compose and every output can be rendered from them.
"""

from __future__ import annotations

import os
import re
import shlex
import sys
from dataclasses import dataclass, field, replace
from typing import Callable, Optional, Union

from gradfix import notebook, precheck
from gradfix.edits import Edit, Patch, Position, apply_edits, fold, in_line_endings
from gradfix.findings import Applicability, Candidate, Finding, Fix, ParamRow, Report, Result, Verdict, short_list
from gradfix.project import Project, find_root
from gradfix.rules import Rule, all_rules
from gradfix.sandbox import RunResult, Sandbox
from gradfix.sandbox.loops import EXTEND
from gradfix.sandbox.runner import RunHandle  # a run started, not yet collected
from gradfix.source import BadSource
from gradfix.trace import Trace, unwrapped_name
from gradfix.untrusted import Screen, clean
from gradfix.verify import describe_crash

MAX_ROUNDS = 8
WITHDRAWN = "no verified fix: the chain of fixes does not make the parameters train"


class ScriptProblem(Exception):
    """The script cannot be diagnosed as given. One line for the user; ``exit_code`` for the CLI."""

    def __init__(self, message: str, exit_code: int = 2):
        super().__init__(message)
        self.exit_code = exit_code


@dataclass
class Problem:
    """A script of a batch that could not be diagnosed: reported, and the batch goes on."""

    script: str
    message: str
    exit_code: int = 2


def exit_code(findings: bool, problems: list[Problem]) -> int:
    """1 when there are findings, even when some scripts of a batch could not be diagnosed (they
    are listed; the findings are what CI must not miss); else the problems' code (2: bad input)."""
    if findings:
        return 1
    return max((problem.exit_code for problem in problems), default=0)


def repair_all(
    entries: list[tuple[str, list[str]]],
    sandbox: Sandbox,
    on_start: Optional[Callable[[str], None]] = None,
    first: Optional[RunHandle] = None,
    ignore: Optional[Callable[[str, str], bool]] = None,
    on_progress: Optional[Callable[[str], None]] = None,
) -> list[Union[Report, Problem]]:
    """Diagnose several (script, arguments) in one warm sandbox; a bad script becomes a Problem,
    not a crash. ``first``: the first script's run, already started by the caller (who checked
    the script first). ``on_progress``: told what is happening, in a few words, as it happens."""
    outcomes: list[Union[Report, Problem]] = []
    ahead: Optional[tuple[str, RunHandle]] = (entries[0][0], first) if first is not None and entries else None
    for index, (script, args) in enumerate(entries):
        if on_start is not None:
            on_start(script)
        started = ahead[1] if ahead is not None and ahead[0] == script else None
        ahead = None
        if index + 1 < len(entries):
            # The next script's first run goes on while this one is diagnosed: a core each.
            following, following_args = entries[index + 1]
            try:
                check_script(following)
                ahead = (following, sandbox.start(following, following_args))
            except ScriptProblem:
                pass
        try:
            outcomes.append(repair(script, args, sandbox, started=started, ignore=ignore, on_progress=on_progress))
        except ScriptProblem as problem:
            # The crash message is the script's own text: one line, cut to a length, no controls.
            outcomes.append(Problem(os.path.realpath(script), clean(str(problem)), problem.exit_code))
    return outcomes


def check_path(path: str) -> None:
    """Reject what is not a script at all before paying for a run."""
    problem = precheck.path_problem(path)
    if problem is not None:
        raise ScriptProblem(problem)


def check_script(path: str) -> None:
    """Reject what cannot be diagnosed before paying for a run: not a Python file, not UTF-8, not
    Python, empty, or one of the project's modules it imports does not compile (precheck.py)."""
    problem = precheck.script_problem(path)
    if problem is not None:
        raise ScriptProblem(problem)


def check_run(shown: str, run: RunResult, timeout: float, args: Optional[list[str]] = None) -> None:
    """Turn a first run that never reached training into a one-line problem. ``args``: what the
    script was given (argparse's own words say what is wrong with them)."""
    trace = run.trace
    if run.probe_error:
        raise ScriptProblem(f"{shown}: gradfix could not observe the run: {run.probe_error}")
    trained = bool(trace.optimizers or trace.backwards)
    if trace.timed_out and not trace.backwards:
        # With no backward, nothing about gradients was seen: "no problem found" would be a lie.
        built = "it built an optimizer but ran" if trace.optimizers else "no optimizer and"
        raise ScriptProblem(
            f"{shown}: {built} no backward() within {timeout:g} s; "
            "the script may wait for input or hang (raise --timeout if it is just slow)"
        )
    crash = trace.crash
    if crash is not None and crash.exit_code is not None and not trained:
        usage, refused = argparse_error(run.stderr)
        if usage and not args:
            said = f": {refused}" if refused else ""
            raise ScriptProblem(f"{shown}: the script needs arguments{said} ({usage}); pass them after --")
        if usage:
            said = refused or f"it exited with status {crash.exit_code}"
            raise ScriptProblem(f"{shown}: the script refused its arguments `{shlex.join(args or [])}`: {said} ({usage})")
        raise ScriptProblem(f"{shown}: the script exited with status {crash.exit_code} before training")


def argparse_error(stderr: str) -> tuple[str, str]:
    """The usage line and the error an argument parser printed last (argparse writes ``usage:
    ...`` then ``PROG: error: MESSAGE``); empty strings where there is none."""
    lines = stderr.splitlines()
    start = next((i for i in range(len(lines) - 1, -1, -1) if lines[i].startswith("usage:")), None)
    if start is None:
        return "", ""
    usage = lines[start].rstrip()
    more = start + 1 < len(lines) and lines[start + 1][:1].isspace()
    error = next((m.group(1) for line in lines[start + 1 :] if (m := _PARSER_ERROR.match(line))), "")
    return usage + (" ..." if more else ""), error.strip()


_PARSER_ERROR = re.compile(r"^\S.*?: error: (.+)$")


def dropped_variables(trace: Trace, dropped: list[str]) -> list[str]:
    """The environment variables a crash is about when the sandbox dropped them: the ``KeyError``
    of a variable the script looked up in vain, or a ``None`` where the script read ones that were
    not there (``os.getenv``, ``os.environ.get``)."""
    crash = trace.crash
    gone = [name for name in trace.missing_env if name in set(dropped)]
    if crash is None or not gone:
        return []
    if crash.type == "KeyError":
        return [name for name in gone if crash.message == repr(name)]
    return gone if "NoneType" in crash.message else []


def _dropped_hint(names: list[str]) -> str:
    if not names:
        return ""
    passes = " ".join(f"--env {name}" for name in names)
    return f"; gradfix dropped {', '.join(names)} from the script's environment (as it drops most): {passes} passes {'it' if len(names) == 1 else 'them'}"


def diagnose(
    trace: Trace, project: Project, rules: list[Rule], ignore: Optional[Callable[[str, str], bool]] = None,
    silenced: Optional[list[tuple[Finding, str]]] = None,
) -> list[Finding]:
    """Findings of every rule, minus those the user silenced on the flagged line or in the config.
    ``silenced``: given, it gets each silenced finding with what silenced it (a crashed run whose
    findings were all silenced is then said to be that, not a crash gradfix cannot explain)."""
    findings = []
    for rule in rules:
        try:
            found = rule.check(trace, project)
        except BadSource as error:  # Python runs the file, but libcst cannot parse it: nothing to edit
            raise ScriptProblem(f"{os.path.relpath(error.path) if error.path else trace.script}: {error}") from None
        except Exception as error:  # a bug in one rule must not cost the user the others
            print(f"gradfix: rule {rule.code} failed ({type(error).__name__}: {error}); its findings are skipped. "
                  "This is a bug in gradfix: please report it.", file=sys.stderr)
            continue
        for finding in found:
            if not project.is_editable(finding.path):
                continue
            comment = project.source(finding.path).ignore_comment(finding.line, finding.code)
            if comment is not None:
                if silenced is not None:
                    silenced.append((finding, f"its `{comment}` comment"))
                continue
            if ignore is not None and ignore(finding.code, finding.path):
                if silenced is not None:
                    silenced.append((finding, "`ignore` or `per-file-ignores` in [tool.gradfix]"))
                continue
            findings.append(finding)
    findings.sort(key=lambda f: (not f.blocking, not f.candidates))
    return findings


@dataclass
class _Accepted:
    """The fixes accepted so far: per file, edits on the text on disk and the result owning each."""

    originals: dict[str, str] = field(default_factory=dict)
    edits: dict[str, list[tuple[Edit, int]]] = field(default_factory=dict)

    def texts(self) -> dict[str, str]:
        return {
            path: apply_edits(self.originals[path], [e for e, _ in edits])
            for path, edits in self.edits.items()
        }

    def to_disk(self, path: str, position: Position) -> Position:
        """A position in the current text of a file, in the coordinates of the file on disk."""
        if path not in self.edits:
            return position
        edit, _ = fold(self.originals[path], [e for e, _ in self.edits[path]], Edit(position, position, ""))
        return edit.start

    def on_disk(self, path: str, edit: Edit) -> Edit:
        """An edit on the current text of a file, as an edit on the file on disk (merged with the
        accepted edits it touches)."""
        if path not in self.edits:
            return edit
        return fold(self.originals[path], [e for e, _ in self.edits[path]], edit)[0]

    def add(self, project: Project, patches: list[Patch], owner: int) -> list[int]:
        """Record a verified candidate; returns the owners of earlier edits it merged with."""
        merged_with = []
        for patch in patches:
            path = patch.path
            if path not in self.originals:
                # The text the candidate was made on, read before its run: apply compares the file
                # on disk with it. A read from disk now would take in an edit made during the run.
                self.originals[path] = project.text(path)
            current = self.edits.setdefault(path, [])
            # The patch's edits were all made on the same text: fold each against the fixes
            # accepted before this patch, not against its own siblings.
            base = [e for e, _ in current]
            folded = [fold(self.originals[path], base, edit) for edit in patch.edits]
            gone = {i for _, absorbed in folded for i in absorbed}
            merged_with += [current[i][1] for i in sorted(gone)]
            current[:] = [item for i, item in enumerate(current) if i not in gone]
            current.extend((on_disk, owner) for on_disk, _ in folded)
        return merged_with

    def patches_of(self, owner: int) -> list[Patch]:
        return [
            Patch(path, in_line_endings(self.originals[path], sorted((e for e, o in edits if o == owner), key=lambda e: e.start)))
            for path, edits in sorted(self.edits.items())
            if any(o == owner for _, o in edits)
        ]


# How much longer the second run of a script that never stepped may go on (in backward passes).
LONGER = 16


class _NoStepSeen(Exception):
    """The runs ended at gradfix's backward limit before any optimizer step, and no rule explains
    it: nothing was shown to train, so "no problem found" would claim what the run did not show."""

    def __init__(self, runs: int, cap: int):
        self.runs, self.cap = runs, cap


def _stepless_at_cap(trace: Trace) -> bool:
    return bool(trace.backward_cap) and trace.steps == 0 and trace.crash is None and bool(trace.optimizers)


def repair(
    script: str,
    args: list[str],
    sandbox: Sandbox,
    rules: Optional[list[Rule]] = None,
    max_rounds: int = MAX_ROUNDS,
    started: Optional[RunHandle] = None,
    ignore: Optional[Callable[[str, str], bool]] = None,
    on_progress: Optional[Callable[[str], None]] = None,
) -> Report:
    """Diagnose ``script`` and find a verified fix for every fault that can be fixed.

    A script whose run reached gradfix's backward limit without one optimizer step and showed no
    fault is run once more, ``LONGER`` times as long, with its candidates: gradient accumulation
    over more micro-batches than the limit, or a step that never comes, which the rules can then
    tell apart. If it still never steps, it could not be diagnosed (exit 2), never "clean"."""
    cap = sandbox.max_backwards
    try:
        return _repair(script, args, sandbox, rules, max_rounds, started, ignore, on_progress)
    except _NoStepSeen as short:
        sandbox.max_backwards = cap * LONGER
        (on_progress or (lambda _: None))(f"no optimizer step in {short.cap} backward passes: running {os.path.basename(script)} longer")
        try:
            report = _repair(script, args, sandbox, rules, max_rounds, None, ignore, on_progress)
            report.runs += short.runs
            return report
        except _NoStepSeen as still:
            raise ScriptProblem(
                f"{os.path.relpath(script)}: could not diagnose: no optimizer step ran in the first {still.cap} backward "
                "passes, where gradfix stopped the script, so nothing was shown to train (gradient accumulation over "
                "more micro-batches than that?)"
            ) from None
    finally:
        sandbox.max_backwards = cap


def _repair(
    script: str,
    args: list[str],
    sandbox: Sandbox,
    rules: Optional[list[Rule]],
    max_rounds: int,
    started: Optional[RunHandle],
    ignore: Optional[Callable[[str, str], bool]],
    on_progress: Optional[Callable[[str], None]],
) -> Report:
    say = on_progress or (lambda _: None)
    name = os.path.basename(script)
    shown = os.path.relpath(script)
    if started is None:
        # Bad input is reported before torch is loaded or anything runs (the caller that started
        # the run checked it first).
        check_script(script)
    runs = 1
    # The first run starts at once; loading libcst and the rules happens while it runs.
    running = started or sandbox.start(script, args)
    say(f"running {name} under the probe (step 2 of 3)")
    script = os.path.realpath(script)
    rules = all_rules() if rules is None else rules
    rule_of = {rule.code: rule for rule in rules}
    final_rules = [rule for rule in rules if rule.final]
    rules = [rule for rule in rules if not rule.final]
    root = find_root(script)
    # A notebook runs, and is edited, as the program of its code cells; a fix must map back to them.
    layout = notebook.read(script) if notebook.is_notebook(script) else None
    first = sandbox.wait(running)
    check_run(shown, first, sandbox.timeout, args)
    # Every string of every run is the script's: the screen sees each run, every candidate
    # before it runs, and the report before anyone does (untrusted.py).
    screen = Screen(script)
    screen.learn(first.trace)

    accepted = _Accepted()
    results: list[Result] = []
    seen: dict[tuple[str, str, int], tuple[int, int]] = {}  # finding -> (its result, the round it was tried in)
    trace = first.trace
    last_run = first
    claims: list[tuple[int, Candidate]] = []
    named_at_first: dict[int, list[str]] = {}  # a finding's parameters before a fix's claim narrowed them
    silenced: list[tuple[Finding, str]] = []  # of the first run: what the user's ignores hid
    for round_ in range(max_rounds):
        project = Project(root, accepted.texts())
        progressed = False
        for finding in diagnose(trace, project, rules, ignore, silenced if round_ == 0 else None):
            on_disk = accepted.to_disk(finding.path, Position(finding.line, finding.column))
            finding.line, finding.column = on_disk.line, on_disk.column
            if finding.key in seen:
                owner, tried_in = seen[finding.key]
                # Found before and not fixed then: a fix since may have made one of its candidates
                # work (the list of a helper is filled once its module's constructor is spelled right).
                if results[owner].fix is not None or tried_in == round_ or not finding.candidates:
                    continue
                results[owner] = result = Result(finding)
            else:
                owner = len(results)
                result = Result(finding)
                results.append(result)
            seen[finding.key] = (owner, round_)
            named_at_first.setdefault(owner, list(finding.params))
            if layout is not None and finding.candidates:
                finding.candidates = _writable_in_cells(finding.candidates, layout, accepted, result)
                if not finding.candidates:
                    result.note = "no fix offered: the fixes found cannot be written into the notebook's cells"
                    continue
            if finding.candidates:
                finding.candidates, refused = screen.admit(finding.candidates, project)
                result.rejected += refused
                if not finding.candidates:
                    result.note = "no fix offered: each fix found would write into the code text that the run gave"
                    continue
            if not finding.candidates:
                if finding.no_fix:
                    result.note = f"no automatic fix: {finding.no_fix}"
                elif rule_of[finding.code].applicability is Applicability.DISPLAY_ONLY:
                    result.note = "display-only: gradfix explains; the change is yours to make"
                else:
                    result.note = "no automatic fix: the evidence does not say which change is right"
                continue
            specs = []
            kept = []
            for candidate in finding.candidates:
                overlay = dict(accepted.texts())
                for patch in candidate.patches:
                    overlay[patch.path] = patch.apply(project.text(patch.path))
                undone = _undone(candidate, project, accepted, overlay)
                if undone:
                    result.rejected.append((candidate.description, undone))
                    continue
                kept.append(candidate)
                specs.append((script, args, overlay))
            finding.candidates = kept
            if not specs:
                result.note = "no fix offered: every fix found changes nothing"
                continue
            # Candidates are independent runs: run them side by side when there are cores for it,
            # and still take the first verified one in the rule's order, as a serial run would.
            say(f"re-running {name} with {len(specs)} candidate fix{'es' if len(specs) > 1 else ''} for {finding.code} (step 3 of 3)")
            parallel = sandbox.jobs > 1 and len(specs) > 1
            outcomes = iter(sandbox.run_many(specs)) if parallel else (sandbox.run(*spec) for spec in specs)
            runs += len(specs) if parallel else 0
            # The re-run is the judge: every candidate is run, and the first one that fully
            # verifies wins, in the rule's order (smallest change of behaviour first); one that only
            # gets past a crash is kept when nothing verifies fully, and the loop diagnoses the
            # fault behind it. The others that verified are reported.
            verified: list[tuple[Candidate, Verdict, RunResult]] = []
            for candidate, run in zip(finding.candidates, outcomes):
                runs += 0 if parallel else 1
                screen.learn(run.trace)
                verdict = _judged(rule_of[finding.code], finding, candidate, trace, run)
                if verdict.verified:
                    verified.append((candidate, verdict, run))
                else:
                    result.rejected.append((candidate.description, verdict.reason))
            if not verified:
                continue
            full = [v for v in verified if not v[1].partial]
            if full:  # what only got past the crash lost to what verified fully: say why
                result.rejected += [(c.description, v.reason) for c, v, _ in verified if v.partial]
                # Of the fixes that verify, the one after which the most parameters that were
                # stuck train wins; in a tie, the rule's order (the smallest change first). A
                # smaller fix that repairs half of what the run shows is broken is not the answer.
                gains = [newly_trained(trace, v[2].trace) for v in full]
                best = max(range(len(full)), key=lambda i: (len(gains[i]), -i))
                if best:
                    candidate, verdict, run = full[best]
                    extra = [n for n in gains[best] if n not in (verdict.trained or finding.params) and n not in gains[0]]
                    if extra:
                        verdict.reason += f"; {short_list(extra)} train too, which the smaller fix leaves unchanged"
                    full.insert(0, full.pop(best))
            else:
                full = verified[:1]
            candidate, verdict, run = full[0]
            if candidate.params is not None:
                finding.params = list(candidate.params)
            if candidate.at is not None and candidate.at[0] == finding.path and not verdict.partial:
                # The evidence showed several faults of this kind; the one the fix removes is the
                # one to point at (editors, annotations and SARIF jump there).
                at = accepted.to_disk(finding.path, Position(candidate.at[1], candidate.at[2]))
                finding.line, finding.column = at.line, at.column
            merged_with = accepted.add(project, candidate.patches, owner)
            result.fix = Fix(candidate.description, candidate.applicability, [], verdict, list(result.rejected))
            result.fix.also_verified = [c.description for c, v, _ in full if c is not candidate]
            for earlier in set(merged_with) - {owner}:
                results[earlier].note = f"applied together with the {finding.code} fix below (same lines)"
            trace, last_run = run.trace, run
            claims.append((owner, candidate))
            progressed = True
            break  # re-diagnose on the new run: the fix may have revealed or removed faults
        if not progressed:
            break

    # A fix that was only progress (past a crash) is judged again by the last run, with every fix
    # in: the verdict is about the whole chain. When the chain ran to its end and the fix's
    # parameters still do not train, it is withdrawn, with every fix verified on top of it.
    withdrawn: Optional[int] = None
    still: str = ""
    for position, (owner, candidate) in enumerate(claims):
        fix = results[owner].fix
        if fix is None or last_run is first or not fix.verdict.partial:
            continue
        finding = results[owner].finding
        final = rule_of[finding.code].verify(finding, candidate, trace, last_run)
        if final.verified and not final.partial and trace.crash is None:
            fix.verdict = Verdict(True, f"{fix.verdict.reason}; with the fixes after it: {final.reason}", final.trained)
        elif trace.crash is None and (kept := _judged_without_the_rest(results, named_at_first, owner, candidate, rule_of[finding.code], trace, last_run)):
            fix.verdict = Verdict(True, f"{fix.verdict.reason}; with the fixes after it: {kept.reason}", kept.trained)
        elif trace.crash is None:
            withdrawn, still = position, final.reason
            break
        else:  # stuck at a later crash: getting past the first one is still progress the user can see
            fix.verdict = Verdict(True, f"{fix.verdict.reason}; with the fixes after it, not yet: {final.reason}", partial=True)
    if withdrawn is not None:
        for owner, candidate in claims[withdrawn:]:
            fix = results[owner].fix
            if fix is None:
                continue
            why = (
                f"gets past the crash, but with every fix in, its parameters still do not train ({still})"
                if owner == claims[withdrawn][0] else "verified only on top of a fix that was withdrawn"
            )
            results[owner].rejected.append((fix.description, why))
            results[owner].fix = None
            results[owner].note = WITHDRAWN
    # The safety net: parameters meant to train that the last run left unchanged, and that no
    # finding above names, are reported even though no rule explains them. What a withdrawn chain
    # was about is still unexplained: the chain's last run says why it did not train.
    # A conjecture no re-run proved is not a finding (the source suggested it; the run did not show it).
    # Getting past a crash proves nothing about it: only a full verdict does.
    unproved = {
        i for i, result in enumerate(results)
        if result.finding.conjecture and (result.fix is None or result.fix.verdict.partial)
    }
    named = {name for i, result in enumerate(results) if result.note != WITHDRAWN and i not in unproved for name in result.finding.params}
    for rule in final_rules:
        rule.explained = frozenset(named)
    for finding in diagnose(trace, Project(root, accepted.texts()), final_rules, ignore):
        on_disk = accepted.to_disk(finding.path, Position(finding.line, finding.column))
        finding.line, finding.column = on_disk.line, on_disk.column
        named.update(finding.params)
        results.append(Result(finding, note="display-only: gradfix explains; the change is yours to make"))
    if withdrawn is not None and not any(r.fix is not None for r in results):
        trace = first.trace  # no fix is offered: the tables and the summary speak of the script as it is
    reported = [i for i in range(len(results)) if i not in unproved]
    if not reported and _stepless_at_cap(trace):
        raise _NoStepSeen(runs, trace.backward_cap)

    if not reported and first.trace.crash is not None:
        when = "before training" if not (first.trace.optimizers or first.trace.backwards) else "and gradfix knows no gradient fault that explains it"
        dropped = dropped_variables(first.trace, sandbox.dropped_environment())
        crashed = describe_crash(first.trace.crash)
        site = first.trace.crash.site
        place = layout.locate(Position(site.line, 0)) if layout is not None and site is not None and site.file == layout.path else None
        if place is not None:  # the program's line, said in the notebook's terms
            crashed = crashed.rsplit(" at line ", 1)[0] + f" in cell {place.cell.number} at line {place.line}"
        if silenced:
            # gradfix has findings for this run; the user silenced them. Still exit 2: nothing
            # after the crash ran, so this is no all-clear for the rest of the script.
            silenced.sort(key=lambda pair: not pair[0].blocking)  # one that says it caused the crash first
            named = "; ".join(f"{f.code} ({f.title}) at {_line_of(f, script, layout)}, by {how}" for f, how in silenced[:3])
            more = f"; and {len(silenced) - 3} more" if len(silenced) > 3 else ""
            them = "it" if len(silenced) == 1 else "them"
            raise ScriptProblem(
                f"{shown}: the script crashed: {crashed}; gradfix's finding{'s' if len(silenced) > 1 else ''} for this run "
                f"{'is' if len(silenced) == 1 else 'are'} silenced: {named}{more}; nothing after the crash ran "
                f"(remove the ignore to see {them} and {'its' if len(silenced) == 1 else 'their'} fix){_dropped_hint(dropped)}"
            )
        raise ScriptProblem(f"{shown}: the script crashed {when}: {crashed}{_dropped_hint(dropped)}")
    if not reported and not (first.trace.modules or first.trace.optimizers or first.trace.backwards):
        raise ScriptProblem(f"{shown}: the script ran without building a model, an optimizer or calling backward(): nothing to diagnose")
    if not reported and first.trace.timed_out:
        raise ScriptProblem(_cut_at_time_limit(shown, first.trace, sandbox.timeout))
    for index in reported:
        result = results[index]
        if result.fix is not None:
            result.fix.patches = accepted.patches_of(index)
        result.table = _table(result.finding, first.trace, trace)
        if layout is not None:
            _in_cells(result, layout)
    report = Report(
        script=script,
        results=[results[i] for i in reported],
        originals=dict(accepted.originals),
        runs=runs,
        stdout=first.stdout,
        stderr=first.stderr,
        cuda_emulated=first.trace.cuda_emulated,
        distributed=_distributed(first.trace),
        final_state=_final_state(trace, any(r.fix is not None for r in results)),
        unreached=_unreached(first.trace) + _never_ran(first.trace, [results[i] for i in reported]),
        notebooks={script: layout} if layout is not None else {},
        percent_cells={script: cells} if layout is None and (cells := notebook.percent_cells(_read_text(script))) else {},
    )
    screen.report(report, Project(root, accepted.texts()))
    return report


def _line_of(finding: Finding, script: str, layout: Optional[notebook.Layout]) -> str:
    """Where a finding is, as the user finds it: a line of the script, of another file, or of a cell."""
    if layout is not None and finding.path == layout.path:
        place = layout.locate(Position(finding.line, 0))
        if place is not None:
            return f"cell {place.cell.number} line {place.line}"
    if finding.path == script:
        return f"line {finding.line}"
    return f"{os.path.relpath(finding.path)}:{finding.line}"


def _undone(candidate: Candidate, project: Project, accepted: _Accepted, overlay: dict[str, str]) -> str:
    """Why a candidate is no change at all: its text is the text it was made on, or the text of a
    file before the fixes accepted in it (two findings that each swap the same pair of calls
    would otherwise be offered together as a "verified" fix that writes nothing)."""
    paths = [patch.path for patch in candidate.patches]
    if all(overlay[path] == project.text(path) for path in paths):
        return "changes nothing"
    if all(path in accepted.edits and overlay[path] == accepted.originals[path] for path in paths):
        return "undoes the fixes already made there"
    return ""


def _judged(rule: Rule, finding: Finding, candidate: Candidate, before: Trace, run: RunResult) -> Verdict:
    """A candidate's verdict. A run gradfix could not observe (its messages failed their check,
    the probe went quiet, the script replaced a patch) verifies nothing, whatever a rule's own test
    would make of the Trace it has (none)."""
    if run.probe_error:
        return Verdict(False, f"the re-run failed: {run.probe_error}")
    return rule.verify(finding, candidate, before, run)


def _judged_without_the_rest(
    results: list[Result], named: dict[int, list[str]], owner: int, candidate: Candidate, rule: Rule, before: Trace,
    last_run: RunResult,
) -> Optional[Verdict]:
    """The chain's verdict on a fix, leaving out the parameters another finding owns.

    A crash fixed (an empty optimizer list) can reveal a second fault that keeps some of the same
    parameters from training (a head that forward never calls). When that one has no verified
    fix, the first is still right: what it was about now trains, and the rest is reported under
    the finding that explains it. Without this, the user would get neither fix.
    """
    finding = results[owner].finding
    # Compared unwrapped: the finding behind a crash before `DDP(model)` names the parameters
    # without the wrapper's `.module`, one found past it names them with it.
    elsewhere = {unwrapped_name(n) for index in named if index != owner for n in named[index]}
    rest = [n for n in (candidate.params if candidate.params is not None else finding.params) if unwrapped_name(n) not in elsewhere]
    left = [n for n in finding.params if unwrapped_name(n) in elsewhere]
    if not rest or not left:
        return None
    narrowed = rule.verify(replace(finding, params=rest), replace(candidate, params=rest), before, last_run)
    if not narrowed.verified or narrowed.partial:
        return None
    left_plain = {unwrapped_name(n) for n in left}
    codes = sorted({results[index].finding.code for index in named if index != owner and {unwrapped_name(n) for n in named[index]} & left_plain})
    return Verdict(
        True,
        f"{narrowed.reason}; {short_list(left)} still {'does' if len(left) == 1 else 'do'} not train, "
        f"which {' and '.join(codes)} {'explains' if len(codes) == 1 else 'explain'}",
        narrowed.trained,
    )


def _unreached(trace: Trace) -> list[tuple[str, int, str]]:
    """The branches the run never reached, as the report says them: (file, line, what). Positions
    are the files' on disk (the first run's)."""
    said = []
    texts: dict[str, list[str]] = {}
    for branch in trace.unreached_branches:
        site = branch.site
        lines = texts.setdefault(site.file, _read_text(site.file).splitlines())
        test = ""
        if site.end_line == site.line and site.column is not None and site.end_column is not None and 0 < site.line <= len(lines):
            # co_positions-style columns count UTF-8 bytes
            test = lines[site.line - 1].encode()[site.column : site.end_column].decode(errors="replace")
        what = f"`if {test}:`" if test else "the if"
        arm = f"the else of {what}" if branch.orelse else f"the block of {what}"
        said.append((site.file, site.line, f"{arm} never ran: gradfix ended its loop first (having gone on {EXTEND}x past its usual cut), so what it starts was not diagnosed (a larger --steps goes further)"))
    return said


def _never_ran(trace: Trace, results: list[Result]) -> list[tuple[str, int, str]]:
    """Modules of the script's own classes that never ran while other instances of their class
    did, whose parameters an optimizer that stepped holds and which stayed as they were: no rule
    may call that a fault (a layer can be unused on purpose), but "no problems" would promise that
    they trained. Said at the optimizer, as the report's other notes are. (A wrapper put where a
    parent reads the weights itself, as nn.MultiheadAttention does its out_proj, never runs.)"""
    named = {name for result in results for name in result.finding.params}
    classes_ran = {m.cls for m in trace.modules if m.ran_with_grad}
    idle = {
        m.id: m for m in trace.modules
        if not (m.ran_with_grad or m.ran_without_grad or m.in_workers) and m.path and m.cls in classes_ran
        and not m.cls.startswith("torch.")
    }
    said = []
    for optimizer in trace.optimizers:
        if not optimizer.steps or optimizer.site is None:
            continue
        held = [
            p.name for p in trace.params
            if optimizer.id in p.optimizers and p.requires_grad and not p.changed and not p.got_grad and p.name not in named
            and any(p.name.startswith(f"{m.path}.") for m in idle.values())
        ]
        if held:
            modules = sorted({m.path for m in idle.values() if any(n.startswith(f"{m.path}.") for n in held)})
            said.append((optimizer.site.file, optimizer.site.line, (
                f"{short_list(held)}, held by this optimizer, never changed: {short_list([f'`{m}`' for m in modules])} never ran, "
                "while other instances of the same class did (unused on purpose, or bypassed: nn.MultiheadAttention reads its "
                "out_proj's weight itself and never calls it)"
            )))
    return said


def _read_text(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as file:
            return file.read()
    except (OSError, UnicodeDecodeError):
        return ""


def _in_cells(result: Result, layout: "notebook.Layout") -> None:
    """The lines a result's words name, said in cells: the rules speak of the program's lines."""
    words = layout.in_cells
    result.finding.message = words(result.finding.message)
    result.note = words(result.note)
    result.rejected = [(words(what), words(why)) for what, why in result.rejected]
    if result.fix is not None:
        fix = result.fix
        fix.description = words(fix.description)
        fix.verdict.reason = words(fix.verdict.reason)
        fix.rejected = [(words(what), words(why)) for what, why in fix.rejected]
        fix.also_verified = [words(what) for what in fix.also_verified]


def _writable_in_cells(candidates: list[Candidate], layout: "notebook.Layout", accepted: _Accepted, result: Result) -> list[Candidate]:
    """The candidates whose edits, on the notebook as it is on disk, fall inside one cell each
    and leave IPython's lines alone; the others are rejected (not run: they could not be written)."""
    kept = []
    for candidate in candidates:
        edits = [accepted.on_disk(patch.path, edit) for patch in candidate.patches if patch.path == layout.path for edit in patch.edits]
        why = layout.writable(edits)
        if why is None:
            kept.append(candidate)
        else:
            result.rejected.append((candidate.description, f"not offered: {why}"))
    return kept


def newly_trained(before: Trace, after: Trace) -> list[str]:
    """Parameters that an optimizer held and that required grad, unchanged in ``before`` and
    changed in ``after``, and parameters the fix made that an optimizer holds and that change:
    what a fix made train. Parameters frozen on purpose do not count."""
    if not after.steps:
        return []
    stuck = [
        p.name for p in before.params
        if p.requires_grad and p.optimizers and not p.changed and (q := after.param(p.name)) is not None and q.changed
    ]
    # A tensor the fix made a parameter (a plain tensor attribute wrapped in nn.Parameter) was not
    # a parameter in ``before`` at all, and as stuck as one: it never changed.
    known = {p.name for p in before.params}
    made = [q.name for q in after.params if q.name not in known and q.requires_grad and q.optimizers and q.changed]
    return stuck + made


def _table(finding: Finding, before: Trace, after: Trace) -> list[ParamRow]:
    rows = []
    for name in finding.params:
        old, new = before.param(name), after.param(name)
        rows.append(
            ParamRow(
                name=name,
                before=(old.requires_grad, old.got_grad, old.changed) if old else None,
                after=(new.requires_grad, new.got_grad, new.changed) if new else None,
            )
        )
    return rows


def _distributed(trace: Trace) -> str:
    if not trace.world_size:
        return ""
    notes = "".join(f"; {note}" for note in trace.distributed_notes)
    return f"ran {trace.world_size} ranks, each under the probe; the facts are rank {trace.rank}'s, a gradient or a change counts only when every rank shows it{notes}"


def _cut_at_time_limit(shown: str, trace: Trace, timeout: float) -> str:
    """A run the time limit ended, with no finding: the steps it ran were clean, but what the script
    does after them (where it hangs, or what it is too slow to reach) was never seen, so this is no
    all-clear (exit 2), and the user is told what would show it."""
    steps = f"{trace.steps} optimizer step{'s' if trace.steps != 1 else ''}"
    hung = f" ({trace.hung})" if trace.hung else ""
    ran = f"the {steps} it ran" if trace.steps else "the backward passes it ran"
    return (
        f"{shown}: the script was stopped at the time limit ({timeout:g} s) after {steps}{hung}: it may hang, "
        f"or be slow (raise --timeout); {ran} showed no gradient problem"
    )


def _final_state(trace: Trace, fixed: bool) -> str:
    subject = "with the fixes, the script" if fixed else "the script"
    if trace.crash is not None:
        return f"{subject} stops with {describe_crash(trace.crash)}"
    steps = f"{trace.steps} optimizer step{'s' if trace.steps != 1 else ''}"
    if trace.timed_out:
        hung = f" ({trace.hung})" if trace.hung else ""
        return f"{subject} was stopped at the time limit after {steps}{hung}"
    return f"{subject} ran {steps}" + (" (stopped early by gradfix)" if trace.stopped_early else " to its end")
