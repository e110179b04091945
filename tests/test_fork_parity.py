"""The fork path and the fresh-interpreter path see the same facts and give the same findings, on
two cases of every corpus folder (the first and the last, so every rule's evidence is crossed) and
every fifth correct look-alike. A fresh interpreter costs seconds per script: the whole corpus
would double the suite's time for no more coverage of the two paths."""

from __future__ import annotations

from gradfix.project import Project, find_root
from gradfix.repair import diagnose
from gradfix.rules import all_rules
from gradfix.sandbox import Sandbox

from conftest import CORPUS, ROOT, clean_cases, faulty_cases



def _sample() -> list:  # type: ignore[type-arg]
    by_folder: dict[str, list] = {}  # type: ignore[type-arg]
    for case in faulty_cases():
        by_folder.setdefault(case.relative_to(CORPUS).parts[0], []).append(case)
    picked = [c for cases in by_folder.values() for c in dict.fromkeys((cases[0], cases[-1]))]
    return picked + clean_cases()[::5]


SCRIPTS = _sample()


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
    assert sum(1 for f in forked.values() if f) >= len(SCRIPTS) - len(clean_cases()[::5])
