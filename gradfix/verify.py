"""The verdict on a candidate fix: did the re-run show that the gradients now arrive?

A candidate is verified when, re-run under the same arguments, (1) the script gets at least as
far as before, (2) the finding's parameters now receive a gradient and, where an optimizer steps,
change, and (3) no parameter that had a gradient before loses it. A fix for a crash that reveals a
later crash counts as progress: the repair loop goes on with the next fault.
"""

from __future__ import annotations

import dataclasses

from gradfix.findings import Candidate, Finding, Verdict, short_list
from gradfix.sandbox import RunResult
from gradfix.trace import Crash, Trace

# A gradient this much smaller than the largest of its layer's is float rounding of an exact zero:
# a Linear's bias before a batch-statistics BatchNorm gets about 7e-9 beside weights' 1e-2.
_ROUNDING = 1e-5


def describe_crash(crash: Crash) -> str:
    where = ""
    if crash.site is not None:
        where = f" at line {crash.site.line}"
    if crash.rank is not None:
        where += f" in rank {crash.rank}"
    return f"{crash.type}: {crash.message}{where}"


def judge(finding: Finding, candidate: Candidate, before: Trace, run: RunResult) -> Verdict:
    after = run.trace
    claimed = finding.params if candidate.params is None else candidate.params
    if run.probe_error:
        return Verdict(False, f"the re-run failed: {run.probe_error}")
    if after.timed_out and not before.timed_out:
        return Verdict(False, "the fixed script no longer finishes in time")
    if after.crash is not None:
        if before.crash is None:
            return Verdict(False, f"the fixed script crashes: {describe_crash(after.crash)}")
        same = (after.crash.type, after.crash.message) == (before.crash.type, before.crash.message)
        if after.events <= before.events:
            if same:
                return Verdict(False, f"still fails: {describe_crash(after.crash)}")
            return Verdict(False, f"fails earlier: {describe_crash(after.crash)}")
        return Verdict(True, f"the crash is gone; the script now gets further and stops with {describe_crash(after.crash)}", partial=True)
    verdict = _thawed(claimed, before, after) if candidate.thaws else _gradients(claimed, before, after)
    if not verdict.verified and before.crash is not None and after.events > before.events:
        # A second fault behind the first (integer inputs and a zero_grad() before step()): the
        # crash is gone, and the loop diagnoses the rest from this run; the whole chain is judged at the end.
        return Verdict(True, f"the crash is gone and the script runs on; {verdict.reason}", partial=True)
    return verdict


def judge_what_trains(finding: Finding, candidate: Candidate, before: Trace, run: RunResult, trained: list[str]) -> Verdict:
    """For a fix that is a conjecture about which of the stuck parameters it frees (a flag parsed
    as meant, an autocast in another dtype): judged on ``trained``, those its re-run shows
    training, which must be some. When it wins, the finding names only those; the safety net
    (GF018) still reports the ones left stuck."""
    if not trained:
        return judge(finding, candidate, before, run)
    verdict = judge(finding, dataclasses.replace(candidate, params=trained), before, run)
    if verdict.verified and not verdict.partial:
        candidate.params = trained
    return verdict


def loss_independent(trace: Trace) -> set[str]:
    """Parameters the loss does not depend on. The bias before a batch norm, or a WGAN critic's
    last bias, which cancels out of mean(fake) - mean(real), gets a gradient of exactly 0 at every
    step and stays as it was, beside parameters of its own layer that change. That is the loss's
    shape, not a fix failing (GF018 leaves such a parameter alone too). So is a gradient of
    rounding noise (about 1e-8 where its layer's others are about 1e-2, the bias of a Linear before
    a BatchNorm that normalises with batch statistics), which plain SGD moves by less than the
    parameter's float resolution."""
    layer_peaks: dict[str, float] = {}
    for q in trace.params:
        if q.changed:
            layer = q.name.rsplit(".", 1)[0]
            layer_peaks[layer] = max(layer_peaks.get(layer, 0.0), q.grad_peak)
    return {
        p.name for p in trace.params
        if p.got_grad and not p.changed and (layer := p.name.rsplit(".", 1)[0]) in layer_peaks
        and (not p.nonzero_grad or p.grad_peak <= _ROUNDING * layer_peaks[layer])
    }


def _gradients(claimed: list[str], before: Trace, after: Trace) -> Verdict:
    """The finding's parameters now receive gradients and change; none that had a gradient lost it."""
    lost = []
    for p in before.params:
        now = after.param(p.name)
        if p.got_grad and now is not None and not now.got_grad:
            if not now.is_leaf and not p.optimizers:
                # A copy no optimizer held is now part of the graph (MAML's fast weights made
                # with `.clone()` instead of `.clone().detach()`): its gradient flows on to what
                # it was copied from instead of stopping in it.
                continue
            lost.append(p.name)
    if lost:
        return Verdict(False, f"{short_list(lost)} lose their gradient")
    # Step counts differ between runs as the shortened loops end at different points (a loop
    # waits for an optimizer that has not stepped yet); none at all is what a broken fix shows.
    if before.steps and not after.steps:
        return Verdict(False, "no optimizer steps any more")
    missing = [n for n in claimed if not ((p := after.param(n)) and p.got_grad)]
    if missing:
        return Verdict(False, f"still no gradient: {short_list(missing)}")
    trained = list(claimed)
    if after.steps and not trained:
        return Verdict(True, "the script now runs and its optimizers step")  # a fix that names no parameter
    if after.steps:
        stale = [n for n in claimed if not ((p := after.param(n)) and p.changed)]
        independent = loss_independent(after)
        stale = [n for n in stale if n not in independent]
        if stale:
            return Verdict(False, f"{short_list(stale)} receive gradients but never change after optimizer.step()")
        # A fix that lets gradients through an op that yields NaN (a division by a zero norm, a
        # sqrt at 0) "changes" the parameters into NaN: that is not training.
        ruined = [q.name for q in after.params if q.nonfinite and not ((p := before.param(q.name)) and p.nonfinite)]
        if ruined:
            return Verdict(False, f"{short_list(ruined)} {'ends' if len(ruined) == 1 else 'end'} the run holding NaN or inf")
        return Verdict(True, f"{short_list(trained)} now {_receive(trained)} gradients and {'changes' if len(trained) == 1 else 'change'} after optimizer.step()", trained)
    if not trained:
        return Verdict(True, "the script now runs to the end")
    return Verdict(True, f"{short_list(trained)} now {_receive(trained)} gradients (the script steps no optimizer)", trained)


def _thawed(claimed: list[str], before: Trace, after: Trace) -> Verdict:
    """A fix that makes parameters trainable, judged on those a loss reaches in its re-run.

    An unfreezing loop over ``model.parameters()`` also unfreezes parts the phase after it never
    calls (a stacked autoencoder's decoders while the classifier fine-tunes): they require grad
    now and no loss reaches them, so no fix could give them a gradient. They are left out of the
    claim and named in the verdict. A parameter still frozen, or one a loss reaches without a
    gradient arriving, is still evidence against the fix; and at least one parameter that was
    stuck before (never received a gradient, or never changed) must now train, so a fix whose
    only trained parameters trained anyway verifies nothing."""
    unused = [
        n for n in claimed
        if (p := after.param(n)) is not None and p.requires_grad and not p.reached and not p.got_grad
    ]
    used = [n for n in claimed if n not in unused]
    verdict = _gradients(used, before, after)
    if not unused or not verdict.verified:
        return verdict
    stuck = [n for n in used if (p := before.param(n)) is None or not (p.got_grad and p.changed)]
    if not stuck:
        return Verdict(False, f"nothing it unfreezes trains that did not before; no loss reaches {short_list(unused)}")
    verb = "stays" if len(unused) == 1 else "stay"
    return Verdict(
        True,
        f"{verdict.reason}; {short_list(unused)} {verb} unchanged: now trainable, but no loss reaches "
        f"{'it' if len(unused) == 1 else 'them'} in the fixed run (nothing uses {'it' if len(unused) == 1 else 'them'} there)",
        verdict.trained,
    )


def _receive(names: list[str]) -> str:
    return "receives" if len(names) == 1 else "receive"


def judge_across_ranks(finding: Finding, candidate: Candidate, before: Trace, run: RunResult) -> Verdict:
    """For a fault that only ranks show (replicas drifting apart, DDP waiting for a gradient): the
    usual verdict, and the finding's parameters equal in every rank after the last step."""
    verdict = judge(finding, candidate, before, run)
    if not verdict.verified or verdict.partial:
        return verdict
    after = run.trace
    still = [n for n in finding.params if n in after.replicas_differ]
    if still:
        return Verdict(False, f"the replicas still differ after the step: {short_list(still)}")
    if len([r for r in after.ranks if r.checksums]) < 2:
        return Verdict(False, "the re-run did not report the parameters of every rank")
    return Verdict(
        True,
        f"{short_list(finding.params)} receive gradients, change after optimizer.step(), and are equal in all "
        f"{after.world_size} ranks after the last step (their checksums compared)",
        verdict.trained,
    )

