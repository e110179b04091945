"""GF070: an argparse option declared ``type=bool`` and given a string that means false.

``parser.add_argument("--freeze_embedding", type=bool, default=True)`` run with
``--freeze_embedding False``: argparse calls ``bool("False")``, and every non-empty string is
True. The option the user turned off is on, and what it gates happens anyway: the embedding meant
to be fine-tuned stays frozen, a backbone meant to train runs under ``no_grad``, a part is left out
of the optimizer. Nothing crashes, and a freeze that an option chose looks deliberate, so no other
rule says so.

The probe records each ``add_argument`` call of user code that declares ``type=bool``, and each
time argparse made such an option True from a string that means false ("False", "false", "0",
"no", "n", "off", ""), from the command line, from a list given to ``parse_args``, or from a
string default. The rule fires when the run also left parameters unchanged (frozen at the
optimizer's steps, left out of it, or held by it and never moved). Which of them the option held
back only a re-run can tell, so the finding is a conjecture: the candidate replaces ``type=bool``
with a parser of the usual spellings (``lambda s: s.lower() in ("true", "1", "yes", "y", "on")``),
one option at a time and then all of them, and the finding is reported only when the re-run shows
stuck parameters training; it names those. An option given no string (its default ``True`` used:
freezing on purpose), one given "True", and ``action="store_true"`` flags give nothing.
"""

from __future__ import annotations

from typing import Optional

import libcst as cst

from gradfix.edits import Edit, Patch
from gradfix.expressions import call_argument
from gradfix.findings import Applicability, Candidate, Finding, short_list
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.trace import FALSE_SPELLINGS, BoolOption, ParamFact, Trace

# What the option's strings become: True for the usual spellings of yes, False for everything else.
PARSER = 'lambda s: s.lower() in ("true", "1", "yes", "y", "on")'


class ArgparseTypeBool(Rule):
    code = "GF070"
    title = "an argparse option declared type=bool, given a string that means false"
    applicability = Applicability.SAFE
    claims_what_trains = True

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        if not trace.bool_options or not trace.steps:
            return []
        stuck = _stuck(trace)
        if not stuck:
            return []
        options: list[tuple[BoolOption, str, cst.Arg]] = []
        for option in trace.bool_options:
            found = _declared_type(project, option)
            if found is not None:
                options.append((option, *found))
        if not options:
            return []
        candidates = []
        for option, flag, arg in options:
            source = project.source(option.site.file)
            edit = source.replace_node(arg.value, cst.parse_expression(PARSER))
            at = (option.site.file, option.site.line, source.char_column(option.site.line, option.site.column) or 0)
            candidates.append(self.candidate(f"parse `{flag}` as a yes/no word instead of with bool()", option.site.file, [edit], at=at))
        if len(candidates) > 1:
            files: dict[str, list[Edit]] = {}
            for candidate in candidates:
                for patch in candidate.patches:
                    files.setdefault(patch.path, []).extend(patch.edits)
            candidates.append(Candidate(
                "parse every option declared `type=bool` as a yes/no word",
                [Patch(path, sorted(edits, key=lambda e: e.start)) for path, edits in files.items()],
                self.applicability,
            ))
        option, flag, _ = options[0]
        message = (
            f"`{flag}` is declared `type=bool` and was given {_given(option)}: argparse calls bool() on the string, "
            f"and every non-empty string is True, so the option is on and what it gates happens; in this run "
            f"{short_list(stuck)} never {'changes' if len(stuck) == 1 else 'change'}"
        )
        found = self.finding(project, option.site, message, stuck, candidates)
        found.conjecture = True  # which stuck parameters the option held back, only the re-run shows
        return [found]



def _stuck(trace: Trace) -> list[str]:
    """Floating-point leaf parameters held by an optimizer, or of a layer that ran (the layer or a
    module around it was called), that never changed: frozen, left out of the optimizer, or
    given no gradient."""
    ran = {m.path for m in trace.modules if m.path and (m.ran_with_grad or m.ran_without_grad)}
    return [
        p.name for p in trace.params
        if p.is_leaf and not p.changed and _floating(p) and (p.optimizers or _under(p.name, ran))
    ]


def _under(name: str, paths: set[str]) -> bool:
    parts = name.split(".")
    return any(".".join(parts[:end]) in paths for end in range(1, len(parts)))


def _floating(p: ParamFact) -> bool:
    return p.dtype.startswith(("float", "bfloat", "complex"))


def _declared_type(project: Project, option: BoolOption) -> Optional[tuple[str, cst.Arg]]:
    """The ``add_argument`` call at the option's site: the flag it declares (its first string), and
    its ``type=bool`` argument, when ``bool`` there is the builtin."""
    if not project.is_editable(option.site.file):
        return None
    source = project.source(option.site.file)
    for call in source.nodes_at(option.site, cst.Call):
        arg = call_argument(call, None, "type")
        if arg is None or not isinstance(arg.value, cst.Name) or "builtins.bool" not in source.qualified_names(arg.value):
            continue
        flags = [
            a.value.evaluated_value for a in call.args
            if a.keyword is None and isinstance(a.value, cst.SimpleString) and isinstance(a.value.evaluated_value, str)
        ]
        return (flags[0] if flags else "the option"), arg
    return None


def _given(option: BoolOption) -> str:
    spelled = FALSE_SPELLINGS[option.spelling] if 0 <= option.spelling < len(FALSE_SPELLINGS) else None
    said = "a word for false" if spelled is None else f'"{spelled}"' if spelled else "an empty string"
    if option.from_default:
        return f"{said} as its default"
    return said + (f" (parsed at line {option.parsed.line})" if option.parsed is not None else "")
