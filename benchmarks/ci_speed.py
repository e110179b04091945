"""What the test suite's speed-ups buy, as ratios measured in one run on this machine.

    python benchmarks/ci_speed.py [CASE.py ...]     # default: the seed corpus

1. The golden test's work per case (tests/test_corpus.py): repair the script, then run the fixed
   script once more. With ``Sandbox(cache=True)`` that last run is the repair's own last run of
   the same bytes; without it, one more sandbox run. Ratio: cached / uncached, and the runs each
   took (the reports must be the same).
2. tests/trained_modules.py on a script: forked from the warm process (tests/warm_harness.py)
   against a fresh interpreter per run. Ratio: warm / fresh, and the outputs must be the same.
3. The warm harness process with its optimizer built once (torch._dynamo and sympy imported in
   it, not in each child) against one that only imports torch, on outside cases, interleaved.
   Ratio: warmed / plain, and the verdicts must be the same.
4. ``diagnose()`` (the rules on a run's Trace) on the corpus scripts' traces: the rules'
   searches sharing one walk of each tree, the parents read from it and the qualified names asked
   of the scopes (gradfix/source.py), against a libcst visit per search, ParentNodeProvider and
   QualifiedNameProvider (what source.py did before). Ratio: shared / per search, and the
   findings and candidates must be the same.

Wall times on a shared machine vary: the ratios, not the seconds, are the result.
"""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from gradfix import project  # noqa: E402
from gradfix.edits import apply_edits  # noqa: E402
from gradfix.repair import repair  # noqa: E402
from gradfix.report.json import to_dict  # noqa: E402
from gradfix.sandbox import Sandbox  # noqa: E402
from warm_harness import HARNESS, run_harness  # noqa: E402


def golden(cases: list[Path], cache: bool) -> tuple[float, int, list]:  # type: ignore[type-arg]
    box = Sandbox([str(ROOT)], steps=3, timeout=60, cache=cache)
    box.warm()
    project._PARSED.clear()  # each side parses the files itself
    started = time.perf_counter()
    reports = []
    for case in cases:
        report = repair(str(case), [], box)
        reports.append(to_dict([report]))
        fixed: dict[str, list] = {}  # type: ignore[type-arg]
        for result in report.results:
            for patch in result.fix.patches if result.fix else []:
                fixed.setdefault(patch.path, []).extend(patch.edits)
        if fixed:
            box.run(str(case), [], overlay={p: apply_edits(report.originals[p], e) for p, e in fixed.items()})
    return time.perf_counter() - started, box.runs, reports


def harness(script: Path, rounds: int = 3) -> tuple[float, float]:
    fresh = warm = 0.0
    run_harness([str(script), "model"], Path(tempfile.gettempdir()), 300)  # the warm process starts
    for _ in range(rounds):
        with tempfile.TemporaryDirectory() as folder:
            started = time.perf_counter()
            one = subprocess.run([sys.executable, str(HARNESS), str(script), "model"], capture_output=True, text=True, cwd=folder, timeout=300)
            fresh += time.perf_counter() - started
            started = time.perf_counter()
            other = run_harness([str(script), "model"], Path(folder), 300)
            warm += time.perf_counter() - started
        assert (one.returncode, one.stdout.splitlines()[-1:]) == (other.returncode, other.stdout.splitlines()[-1:])
    return warm, fresh


def warmed_harness(cases: list[tuple[Path, list[str]]]) -> tuple[float, float]:
    import warm_harness

    plain_server = warm_harness.SERVER.replace(warm_harness.OPTIMIZER_WARM_UP, "")
    assert plain_server != warm_harness.SERVER
    servers = {
        side: subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=HARNESS.parent)
        for side, code in (("warmed", warm_harness.SERVER), ("plain", plain_server))
    }
    seconds = {"warmed": 0.0, "plain": 0.0}
    try:
        for index, (script, names) in enumerate(cases):
            seen = {}
            for side in ("warmed", "plain") if index % 2 else ("plain", "warmed"):  # neither side always first
                warm_harness._server = servers[side]
                with tempfile.TemporaryDirectory() as folder:
                    started = time.perf_counter()
                    done = run_harness([str(script), *names], Path(folder), 300)
                    seconds[side] += time.perf_counter() - started
                seen[side] = (done.returncode, done.stdout.splitlines()[-1:])
            assert seen["warmed"] == seen["plain"], (script, seen)
    finally:
        warm_harness._server = None
        for server in servers.values():
            server.kill()
            server.wait()
    return seconds["warmed"], seconds["plain"]


def per_search_walks() -> None:
    """gradfix/source.py as it was: a libcst visit per search, the metadata providers' own walks."""
    import libcst as cst
    from libcst.metadata import ParentNodeProvider, QualifiedNameProvider

    from gradfix import source

    def subtree(node: cst.CSTNode) -> list:  # type: ignore[type-arg]
        found: list = []  # type: ignore[type-arg]

        class Collect(cst.CSTVisitor):
            def on_visit(self, visited: cst.CSTNode) -> bool:
                found.append(visited)
                return True

        node.visit(Collect())
        return found

    def parents(self: source.SourceFile) -> object:
        return self.wrapper.resolve(ParentNodeProvider)

    def qualified_names(self: source.SourceFile, node: cst.CSTNode) -> set[str]:
        names = self.wrapper.resolve(QualifiedNameProvider).get(node, set())
        return {q.name for q in (names() if callable(names) else names)}

    source._subtree = subtree  # type: ignore[assignment]
    source.SourceFile.parents = property(parents)  # type: ignore[assignment]
    source.SourceFile.qualified_names = qualified_names  # type: ignore[method-assign]


def diagnosis(cases: list[Path]) -> tuple[float, float]:
    """Each side in a process of its own (the reference replaces source.py's functions)."""
    box = Sandbox([str(ROOT)], steps=3, timeout=60)
    box.warm()
    with tempfile.TemporaryDirectory() as folder:
        traces = Path(folder) / "traces.pickle"
        traces.write_bytes(pickle.dumps({str(c): r.trace for c, r in zip(cases, box.run_many([(str(c), [], None) for c in cases]))}))
        sides = {}
        for side in ("shared", "per_search"):
            done = subprocess.run([sys.executable, __file__, "--diagnose", side, str(traces)], capture_output=True, text=True, timeout=3600)
            assert done.returncode == 0, done.stderr[-2000:]
            sides[side] = json.loads(done.stdout.splitlines()[-1])
    assert sides["shared"]["findings"] == sides["per_search"]["findings"], "the shared walks changed a finding"
    return sides["shared"]["seconds"], sides["per_search"]["seconds"]


def diagnose_side(side: str, traces_path: str) -> None:
    from gradfix.project import Project, find_root
    from gradfix.repair import diagnose
    from gradfix.rules import all_rules

    if side == "per_search":
        per_search_walks()
    traces = pickle.loads(Path(traces_path).read_bytes())
    rules = all_rules()
    first = next(iter(traces))
    diagnose(traces[first], Project(find_root(first)), rules)  # imports paid before the clock starts
    project._PARSED.clear()
    findings = {}
    started = time.perf_counter()
    for script, trace in traces.items():
        findings[script] = [
            [f.code, f.path, f.line, f.column, f.message, list(f.params),
             [[c.description, [repr(e) for p in c.patches for e in p.edits]] for c in f.candidates]]
            for f in diagnose(trace, Project(find_root(script)), rules)
        ]
    print(json.dumps({"seconds": time.perf_counter() - started, "findings": findings}))


def outside_cases(every: int) -> list[tuple[Path, list[str]]]:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib  # type: ignore[no-redef]
    cases = []
    for manifest in sorted((ROOT / "corpus" / "outside").glob("*/cases.toml")):
        for name, case in tomllib.loads(manifest.read_text())["cases"].items():
            if not case.get("clean"):
                cases.append((manifest.parent / f"{name}.py", case["must_train"]))
    return cases[::every]


def main() -> None:
    if sys.argv[1:2] == ["--diagnose"]:
        diagnose_side(sys.argv[2], sys.argv[3])
        return
    cases = [Path(a).resolve() for a in sys.argv[1:]] or sorted(
        p for p in (ROOT / "corpus" / "seed").glob("*.py") if not p.name.endswith(".fixed.py")
    )
    golden(cases[:1], cache=False)  # imports (libcst, the rules) are paid before either side is timed
    plain, plain_runs, plain_reports = golden(cases, cache=False)
    cached, cached_runs, cached_reports = golden(cases, cache=True)
    assert plain_reports == cached_reports, "the cache changed a report"
    warm, fresh = harness(cases[0])
    warmed, plain_server = warmed_harness(outside_cases(every=14))
    corpus = sorted(p for p in (ROOT / "corpus").glob("*/*.py") if not p.name.endswith(".fixed.py") and p.parent.name != "outside")
    shared, per_search = diagnosis(corpus[::10])
    print(json.dumps({
        "cases": len(cases),
        "golden_cached_over_uncached": round(cached / plain, 3),
        "golden_runs": {"uncached": plain_runs, "cached": cached_runs},
        "harness_warm_over_fresh": round(warm / fresh, 3),
        "harness_optimizer_warmed_over_plain": round(warmed / plain_server, 3),
        "diagnose_shared_walks_over_per_search": round(shared / per_search, 3),
        "seconds": {"golden_uncached": round(plain, 2), "golden_cached": round(cached, 2), "harness_fresh": round(fresh, 2), "harness_warm": round(warm, 2),
                    "harness_warmed": round(warmed, 2), "harness_plain_server": round(plain_server, 2),
                    "diagnose_shared": round(shared, 2), "diagnose_per_search": round(per_search, 2)},
        "cpus": os.cpu_count(),
    }, indent=1))


if __name__ == "__main__":
    main()
