"""The fork path and the fresh-interpreter path see the same facts and give the same findings,
on every script of the corpus."""

from __future__ import annotations

from gradfix.project import Project, find_root
from gradfix.repair import diagnose
from gradfix.rules import all_rules
from gradfix.sandbox import Sandbox

from conftest import CORPUS, ROOT, clean_cases, faulty_cases

SCRIPTS = faulty_cases() + clean_cases()


def findings_of(sandbox: Sandbox) -> dict[str, list[tuple]]:  # type: ignore[type-arg]
    rules = all_rules()
    runs = sandbox.run_many([(str(s), [], None) for s in SCRIPTS])
    seen = {}
    for script, run in zip(SCRIPTS, runs):
        project = Project(find_root(str(script)))
        seen[str(script.relative_to(CORPUS))] = [
            (f.code, f.path, f.line, f.column, f.message, tuple(f.params),
             tuple((c.description, tuple(e for p in c.patches for e in p.edits)) for c in f.candidates))
            for f in diagnose(run.trace, project, rules)
        ]
    return seen


def test_fork_and_fresh_interpreter_find_the_same_on_the_whole_corpus() -> None:
    forked = findings_of(Sandbox([str(ROOT)], fork=True, jobs=2))
    fresh = findings_of(Sandbox([str(ROOT)], fork=False, jobs=2))
    assert forked == fresh
    assert sum(1 for f in forked.values() if f) >= len(faulty_cases())
