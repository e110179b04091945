"""The outside figure: how gradfix does on scripts written outside this repository.

    python benchmarks/accuracy.py [--gradfix SRC] [BATCH ...]

For each case of ``corpus/outside/<batch>/cases.toml`` it runs ``gradfix suggest --format json``
(from the source tree SRC, default this checkout: point it at an older checkout to measure a batch
"before"), applies every verified fix, and runs the result under ``tests/trained_modules.py``,
which shares no code with gradfix's probe. Per case:

* found: gradfix reported a finding (exit 1), not "no problems" (0) or "cannot diagnose" (2);
* repaired: the fixed script trains every module the case names, still changing in the second
  half of the run (or, with no module named, runs to its end);
* false positive: any finding on a correct look-alike.

Prints one row per case and a summary line per batch, the line docs/accuracy.md quotes.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

ROOT = Path(__file__).resolve().parent.parent
OUTSIDE = ROOT / "corpus" / "outside"
HARNESS = ROOT / "tests" / "trained_modules.py"
sys.path.insert(0, str(ROOT))

from gradfix.edits import Edit, Position, apply_edits  # noqa: E402


def suggest(source_tree: Path, script: Path) -> tuple[int, dict[str, Any]]:
    env = {**os.environ, "PYTHONPATH": str(source_tree)}
    done = subprocess.run(
        [sys.executable, "-m", "gradfix", "suggest", script.name, "--format", "json"],
        capture_output=True, text=True, cwd=script.parent, env=env, timeout=900,
    )
    try:
        return done.returncode, json.loads(done.stdout)
    except json.JSONDecodeError:
        return done.returncode, {"files": []}


def fixed_text(script: Path, report: dict[str, Any]) -> tuple[str, int]:
    edits = [
        Edit(Position(e["start"]["line"], e["start"]["column"]), Position(e["end"]["line"], e["end"]["column"]), e["replacement"])
        for entry in report["files"] for finding in entry["findings"] if finding.get("fix")
        for e in finding["fix"]["edits"] if (script.parent / e["path"]).resolve() == script.resolve()
    ]
    return apply_edits(script.read_text(), edits), len(edits)


def trains(script: Path, names: list[str]) -> bool:
    done = subprocess.run([sys.executable, str(HARNESS), str(script), *names], capture_output=True, text=True, cwd=script.parent, timeout=600)
    if done.returncode != 0:
        return False
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    return all(m["found"] and m["changed"] and m["late"] for m in seen["modules"].values())


def score(source_tree: Path, batch: Path) -> list[dict[str, Any]]:
    rows = []
    for name, case in tomllib.loads((batch / "cases.toml").read_text())["cases"].items():
        script = batch / f"{name}.py"
        code, report = suggest(source_tree, script)
        findings = [f for entry in report["files"] for f in entry["findings"]]
        row = {"case": name, "clean": bool(case.get("clean")), "exit": code, "codes": sorted({f["code"] for f in findings})}
        if row["clean"]:
            row["false_positive"] = bool(findings)
        else:
            row["found"] = code == 1 and bool(findings)
            text, edits = fixed_text(script, report)
            with tempfile.TemporaryDirectory(dir=batch) as folder:
                fixed = Path(folder) / script.name
                fixed.write_text(text)
                row["repaired"] = bool(edits) and trains(fixed, case["must_train"])
        rows.append(row)
    return rows


def summary(batch: str, rows: list[dict[str, Any]]) -> str:
    faulty = [r for r in rows if not r["clean"]]
    clean = [r for r in rows if r["clean"]]
    found = sum(r["found"] for r in faulty)
    repaired = sum(r["repaired"] for r in faulty)
    false = sum(r["false_positive"] for r in clean)
    return (
        f"{batch}: {len(faulty)} faulty, {len(clean)} look-alikes: found {found}/{len(faulty)}, "
        f"repaired {repaired}/{len(faulty)} ({100 * repaired / max(1, len(faulty)):.0f}%), false positives {false}/{len(clean)}"
    )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("batches", nargs="*", help="batch folders under corpus/outside (default: all)")
    parser.add_argument("--gradfix", type=Path, default=ROOT, help="the source tree whose gradfix to measure")
    options = parser.parse_args()
    batches = [OUTSIDE / b for b in options.batches] or sorted(p.parent for p in OUTSIDE.glob("*/cases.toml"))
    for batch in batches:
        rows = score(options.gradfix.resolve(), batch)
        for row in rows:
            verdict = ("false positive" if row["false_positive"] else "clean") if row["clean"] else (
                "repaired" if row["repaired"] else "found" if row["found"] else "missed")
            print(f"  {row['case']:40} exit {row['exit']}  {verdict:15} {' '.join(row['codes'])}")
        print(summary(batch.name, rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
