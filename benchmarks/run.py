"""gradfix's performance targets, measured as ratios in one run on this machine.

    python benchmarks/run.py [--write-docs] [--baseline REV]
    python benchmarks/run.py --run-cost-only --baseline REV   # one sandbox run, this tree vs REV
    python benchmarks/run.py --distributed-only               # two ranks: gradfix vs torchrun

Prints a table, writes benchmarks/results/latest.json and, with --write-docs, the table into
docs/performance.md. Every number is wall time of a real process (or a real sandbox run), with
peak memory from getrusage over the process and everything it started.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SEED = sorted(p for p in (ROOT / "corpus" / "seed").glob("*.py") if not p.name.endswith(".fixed.py"))

MEASURE = """
import resource, subprocess, sys, time
started = time.perf_counter()
done = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
seconds = time.perf_counter() - started
rss_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
sys.stderr.write(f"{seconds} {rss_kb} {done.returncode}\\n")
sys.stdout.buffer.write(done.stdout)
"""

LONG_SCRIPT = """
import torch
import torch.nn as nn

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(32, 64), nn.ReLU(), nn.Linear(64, 1))
for p in model[0].parameters():
    p.requires_grad = False
optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
x, y = torch.randn(256, 32), torch.randn(256, 1)
for step in range({steps}):
    optimizer.zero_grad()
    loss = nn.functional.mse_loss(model(x), y)
    loss.backward()
    optimizer.step()
print("done", loss.item())
"""

# Three models trained one after the other, each for {epochs} epochs of {batches} batches; the
# third one's scheduler sets its learning rate to 0 after an epoch (GF019). Every phase must be
# diagnosed (the loops are shortened, not the script), and quickly: the report has one finding.
PHASES_SCRIPT = """
import torch
import torch.nn as nn

def fit(model, epochs, batches, gamma):
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=gamma)
    x, y = torch.randn(256, 32), torch.randn(256, 1)
    for epoch in range(epochs):
        for batch in range(batches):
            optimizer.zero_grad()
            nn.functional.mse_loss(model(x), y).backward()
            optimizer.step()
        scheduler.step()

torch.manual_seed(0)
for gamma in (0.9, 0.9, 0):
    fit(nn.Sequential(nn.Linear(32, 64), nn.ReLU(), nn.Linear(64, 1)), {epochs}, {batches}, gamma)
print("done")
"""


# A script written for torchrun: two ranks over gloo, a DistributedSampler, DDP, a few epochs.
# Correct, so the diagnosis is one run of every rank under the probe, and the comparison is what
# the probe and the launch cost against torch's own launcher running the same script.
TORCHRUN_SCRIPT = """
import os
import torch
import torch.distributed as dist
import torch.nn as nn
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader, DistributedSampler, TensorDataset

dist.init_process_group("gloo")
torch.manual_seed(0)
model = DDP(nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 1)))
optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
data = TensorDataset(torch.randn(256, 16), torch.randn(256, 1))
sampler = DistributedSampler(data)
for epoch in range(3):
    sampler.set_epoch(epoch)
    for x, y in DataLoader(data, batch_size=32, sampler=sampler):
        optimizer.zero_grad()
        nn.functional.mse_loss(model(x), y).backward()
        optimizer.step()
dist.destroy_process_group()
"""


def distributed_cost(repeats: int) -> dict:
    """`gradfix suggest --nproc-per-node 2` against `torchrun --nproc-per-node 2` on one script."""
    python, gradfix = str(BIN / "python"), str(BIN / "gradfix")
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "train_ddp.py"
        script.write_text(TORCHRUN_SCRIPT)
        (Path(folder) / "pyproject.toml").write_text("[project]\nname = 'bench'\n")
        torchrun, _, _ = best_of(repeats, [python, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2", str(script)], Path(folder))
        diagnosed, _, out = best_of(repeats, [gradfix, "suggest", "--nproc-per-node", "2", str(script), "--format", "json"], Path(folder))
    findings = sum(len(f["findings"]) for f in json.loads(out)["files"])
    return {"torchrun_s": torchrun, "gradfix_s": diagnosed, "ratio": diagnosed / torchrun, "findings": findings}


def measure(command: list[str], cwd: Path = ROOT) -> tuple[float, float, str]:
    """(seconds, peak MB of the process tree, stdout) of one real run of a command."""
    done = subprocess.run([sys.executable, "-c", MEASURE, *command], capture_output=True, text=True, cwd=cwd)
    seconds, rss_kb, _ = done.stderr.strip().splitlines()[-1].split()
    return float(seconds), int(rss_kb) / 1024, done.stdout


def best_of(runs: int, command: list[str], cwd: Path = ROOT) -> tuple[float, float, str]:
    results = [measure(command, cwd) for _ in range(runs)]
    return min(r[0] for r in results), max(r[1] for r in results), results[-1][2]


# Run in a process of its own, on the gradfix tree given, so that another revision can be measured
# the same way on the same machine at the same time.
RUN_COST = """
import statistics, sys, tempfile
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from gradfix.sandbox import Sandbox
with tempfile.TemporaryDirectory() as folder:
    script = Path(folder) / "tiny.py"
    script.write_text("import torch\\nw = torch.zeros(1, requires_grad=True)\\n(w * 2).sum().backward()\\n")
    sandbox = Sandbox([folder])
    sandbox.warm()
    sandbox.run(str(script), [])
    times = [sandbox.run(str(script), []).seconds for _ in range(int(sys.argv[2]))]
print(statistics.median(times) * 1000)
"""


def sandbox_run_cost(tree: Path = ROOT, repeats: int = 20) -> float:
    """Median milliseconds of one forked sandbox run of a script that does almost nothing."""
    done = subprocess.run([sys.executable, "-c", RUN_COST, str(tree), str(repeats)], capture_output=True, text=True, check=True)
    return float(done.stdout.strip().splitlines()[-1])


def run_cost_against(revision: str, rounds: int = 5, repeats: int = 20) -> dict:
    """This tree's sandbox run vs ``revision``'s, measured in alternating rounds (a shared machine's
    load changes by the minute): the median of each side's round medians."""
    with tempfile.TemporaryDirectory() as folder:
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", revision], capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", folder], input=archive, check=True)
        ours, theirs = [], []
        for index in range(rounds):  # each side first in every other round
            sides = [(ROOT, ours), (Path(folder), theirs)]
            for tree, into in sides if index % 2 == 0 else sides[::-1]:
                into.append(sandbox_run_cost(tree, repeats))
    now, before = statistics.median(ours), statistics.median(theirs)
    # Each round's two sides ran a few seconds apart: their difference is less at the mercy of the
    # machine's load, which moves either side by tens of milliseconds from one minute to the next.
    paired = statistics.median(a - b for a, b in zip(ours, theirs))
    return {"revision": revision, "ms": now, "baseline_ms": before, "extra_ms": now - before, "ratio": now / before,
            "paired_extra_ms": paired, "rounds": [[round(a, 1), round(b, 1)] for a, b in zip(ours, theirs)]}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3, help="best of N for each timing")
    parser.add_argument("--write-docs", action="store_true")
    parser.add_argument("--baseline", metavar="REV", help="also measure a sandbox run of this git revision, for the ratio")
    parser.add_argument("--run-cost-only", action="store_true", help="measure only the sandbox run (with --baseline: against it)")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds of the run-cost comparison")
    parser.add_argument("--distributed-only", action="store_true", help="measure only the two-rank diagnosis against torchrun")
    options = parser.parse_args()
    if options.distributed_only:
        print(json.dumps(distributed_cost(options.repeats), indent=2))
        return 0
    if options.run_cost_only:
        cost = run_cost_against(options.baseline, rounds=options.rounds) if options.baseline else {"ms": sandbox_run_cost()}
        print(json.dumps(cost, indent=2))
        return 0
    python, gradfix = str(BIN / "python"), str(BIN / "gradfix")
    rows = []
    for script in SEED:
        cold, cold_mb, _ = best_of(options.repeats, [python, str(script)])
        fixed, fixed_mb, out = best_of(options.repeats, [gradfix, "suggest", str(script), "--format", "json"])
        runs = sum(f.get("runs", 0) for f in json.loads(out)["files"])
        rows.append({
            "script": str(script.relative_to(ROOT)), "python_s": cold, "gradfix_s": fixed,
            "ratio": fixed / cold, "sandbox_runs": runs, "python_mb": cold_mb, "gradfix_mb": fixed_mb,
            "extra_mb": fixed_mb - cold_mb,
        })
    one, _, _ = best_of(options.repeats, [gradfix, "suggest", str(SEED[0])])
    seed_batch, _, _ = best_of(options.repeats, [gradfix, "suggest", "corpus/seed"])
    corpus, corpus_mb, corpus_out = best_of(1, [gradfix, "suggest", "corpus", "--format", "json"])
    corpus_runs = sum(f.get("runs", 0) for f in json.loads(corpus_out)["files"])
    corpus_scripts = len(json.loads(corpus_out)["files"])
    with tempfile.TemporaryDirectory() as folder:
        long_script, short_script = Path(folder) / "long.py", Path(folder) / "short.py"
        long_script.write_text(LONG_SCRIPT.format(steps=10_000))
        short_script.write_text(LONG_SCRIPT.format(steps=3))
        (Path(folder) / "pyproject.toml").write_text("[project]\nname = 'bench'\n")
        imports_and_first_steps, _, _ = best_of(options.repeats, [python, str(short_script)], Path(folder))
        long_python, _, _ = best_of(1, [python, str(long_script)], Path(folder))
        long_gradfix, _, _ = best_of(options.repeats, [gradfix, "suggest", str(long_script)], Path(folder))
        phases, phases_short = Path(folder) / "phases.py", Path(folder) / "phases_short.py"
        phases.write_text(PHASES_SCRIPT.format(epochs=1000, batches=100))
        phases_short.write_text(PHASES_SCRIPT.format(epochs=3, batches=3))
        phases_python, _, _ = best_of(options.repeats, [python, str(phases_short)], Path(folder))
        phases_gradfix, _, phases_out = best_of(options.repeats, [gradfix, "suggest", str(phases), "--format", "json"], Path(folder))
    distributed = distributed_cost(options.repeats)
    run_ms = sandbox_run_cost()
    baseline = run_cost_against(options.baseline) if options.baseline else None
    result = {
        "machine": {
            "platform": platform.platform(), "python": platform.python_version(), "cores": os.cpu_count(),
            "cpu": _cpu_name(), "torch": _torch_version(),
        },
        "seed": rows,
        "sandbox_run_ms": run_ms,
        "sandbox_run_vs_baseline": baseline,
        "single_script_s": one,
        "seed_batch": {"seconds": seed_batch, "scripts": len(SEED), "ratio": seed_batch / one},
        "corpus": {
            "seconds": corpus, "scripts": corpus_scripts, "sandbox_runs": corpus_runs, "peak_mb": corpus_mb,
            "ratio": corpus / one, "per_extra_script_ms": (corpus - one) / max(1, corpus_scripts - 1) * 1000,
        },
        "three_phases": {
            "python_3x3x3_steps_s": phases_python, "gradfix_s": phases_gradfix, "ratio": phases_gradfix / phases_python,
            "findings": sum(len(f["findings"]) for f in json.loads(phases_out)["files"]),
        },
        "distributed": distributed,
        "long_script": {
            "python_10000_steps_s": long_python, "imports_and_first_steps_s": imports_and_first_steps,
            "gradfix_s": long_gradfix, "ratio": long_gradfix / imports_and_first_steps,
        },
    }
    out = ROOT / "benchmarks" / "results"
    out.mkdir(exist_ok=True)
    (out / "latest.json").write_text(json.dumps(result, indent=2))
    table = render(result)
    print(table)
    if options.write_docs:
        docs = ROOT / "docs" / "performance.md"
        head = docs.read_text().split("<!-- results -->")[0] if docs.exists() else "# Performance\n\n"
        docs.write_text(head + "<!-- results -->\n" + table)
    return 0


def render(r: dict) -> str:
    m = r["machine"]
    lines = [
        f"Measured {time.strftime('%Y-%m-%d')} on {m['cpu']} ({m['cores']} cores), {m['platform']}, "
        f"Python {m['python']}, torch {m['torch']}; best of several runs; `python benchmarks/run.py`.",
        "",
        "| seed script | `python script.py` | `gradfix suggest` | ratio (target ≤ 1.2) | sandbox runs | peak MB python / gradfix (target: +150 at most) |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for row in r["seed"]:
        lines.append(
            f"| {row['script']} | {row['python_s']:.2f} s | {row['gradfix_s']:.2f} s | {row['ratio']:.2f} | "
            f"{row['sandbox_runs']} | {row['python_mb']:.0f} / {row['gradfix_mb']:.0f} (+{row['extra_mb']:.0f}) |"
        )
    c, long, phases = r["corpus"], r["long_script"], r["three_phases"]
    lines += [
        "",
        "| measure | value | target |",
        "| --- | --- | --- |",
        f"| one extra sandbox run (forked, tiny script) | {r['sandbox_run_ms']:.1f} ms | ≤ 50 ms + the script's compute |",
        *([
            f"| the same, this tree vs {b['revision']} (alternating rounds) | {b['ms']:.1f} ms vs {b['baseline_ms']:.1f} ms = "
            f"{b['ratio']:.2f}× ({b['extra_ms']:+.1f} ms) | ≤ +10 ms |"
        ] if (b := r.get("sandbox_run_vs_baseline")) else []),
        f"| the {r['seed_batch']['scripts']} seed scripts in one invocation vs one script | {r['seed_batch']['seconds']:.2f} s vs {r['single_script_s']:.2f} s = {r['seed_batch']['ratio']:.2f}× | ≤ 4× |",
        f"| whole corpus in one invocation ({c['scripts']} scripts, {c['sandbox_runs']} runs) vs one script | {c['seconds']:.1f} s vs {r['single_script_s']:.2f} s = {c['ratio']:.1f}×; each extra script {c['per_extra_script_ms']:.0f} ms | ≤ 4× |",
        f"| 10 000-step script: `gradfix suggest` vs imports + first 3 steps | {long['gradfix_s']:.2f} s vs {long['imports_and_first_steps_s']:.2f} s = {long['ratio']:.2f}× (plain python: {long['python_10000_steps_s']:.1f} s) | ≤ 2× |",
        *([
            f"| a torchrun script on 2 ranks (gloo, DDP, 3 epochs): `gradfix suggest --nproc-per-node 2` vs `torchrun --nproc-per-node 2` | "
            f"{d['gradfix_s']:.2f} s vs {d['torchrun_s']:.2f} s = {d['ratio']:.2f}× ({d['findings']} findings) | ≤ 1.3× |"
        ] if (d := r.get("distributed")) else []),
        f"| three models × 1000 epochs × 100 batches, a fault in the third: `gradfix suggest` vs the same script with 3 × 3 steps per model | {phases['gradfix_s']:.2f} s vs {phases['python_3x3x3_steps_s']:.2f} s = {phases['ratio']:.2f}× ({phases['findings']} finding{'s' if phases['findings'] != 1 else ''}) | ≤ 2×, the third phase's fault found |",
        "",
    ]
    return "\n".join(lines)


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _torch_version() -> str:
    done = subprocess.run([str(BIN / "python"), "-c", "import torch; print(torch.__version__)"], capture_output=True, text=True)
    return done.stdout.strip()


if __name__ == "__main__":
    raise SystemExit(main())
