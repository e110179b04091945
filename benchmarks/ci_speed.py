"""What the test suite's speed-ups buy, as ratios measured in one run on this machine.

    python benchmarks/ci_speed.py [CASE.py ...]     # default: the seed corpus

1. The golden test's work per case (tests/test_corpus.py): repair the script, then run the fixed
   script once more. With ``Sandbox(cache=True)`` that last run is the repair's own last run of
   the same bytes; without it, one more sandbox run. Ratio: cached / uncached, and the runs each
   took (the reports must be the same).
2. tests/trained_modules.py on a script: forked from the warm process (tests/warm_harness.py)
   against a fresh interpreter per run. Ratio: warm / fresh, and the outputs must be the same.

Wall times on a shared machine vary: the ratios, not the seconds, are the result.
"""

from __future__ import annotations

import json
import os
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


def main() -> None:
    cases = [Path(a).resolve() for a in sys.argv[1:]] or sorted(
        p for p in (ROOT / "corpus" / "seed").glob("*.py") if not p.name.endswith(".fixed.py")
    )
    golden(cases[:1], cache=False)  # imports (libcst, the rules) are paid before either side is timed
    plain, plain_runs, plain_reports = golden(cases, cache=False)
    cached, cached_runs, cached_reports = golden(cases, cache=True)
    assert plain_reports == cached_reports, "the cache changed a report"
    warm, fresh = harness(cases[0])
    print(json.dumps({
        "cases": len(cases),
        "golden_cached_over_uncached": round(cached / plain, 3),
        "golden_runs": {"uncached": plain_runs, "cached": cached_runs},
        "harness_warm_over_fresh": round(warm / fresh, 3),
        "seconds": {"golden_uncached": round(plain, 2), "golden_cached": round(cached, 2), "harness_fresh": round(fresh, 2), "harness_warm": round(warm, 2)},
        "cpus": os.cpu_count(),
    }, indent=1))


if __name__ == "__main__":
    main()
