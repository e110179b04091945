"""What comes back from a run is data: the one guard between it and gradfix's fixes and messages.

The script controls its own process, so every string of its Trace is the script's choice: the
names it binds (``globals()[text] = model`` binds any text), the class names, the crash message,
the file names of its frames. Rules build fixes and messages from those strings. They all pass
here, whatever rule made them:

* a candidate fix is run only if none of the text it inserts came from the run, unless that text
  is a name the source itself binds (:meth:`Screen.refusal`);
* every message of a report quotes only such names: any other name the run gave is replaced by
  ``<hidden name #N>``; the run's free text (a crash message) is cut to a length; control
  characters go (:meth:`Screen.report`);
* each output format then escapes what it shows for its own syntax (:func:`markdown`,
  :func:`workflow_data`, :func:`workflow_property`, :func:`output_lines`).

A *name* is an identifier path as user code writes it: ``model``, ``self.encoder.0.weight``,
``params['w']``, or with the probe's own marks: ``<Linear#1>`` for a module bound to no name,
``model@12`` for one whose name a later module took. It is *known* when each part is an
identifier (or an index), its first part is a name the source binds (libcst:
:attr:`gradfix.source.SourceFile.bindings`), and each quoted key is a string the source spells
or a parameter's path in the module tree the run reported (``params['fc1.weight']``).
"""

from __future__ import annotations

import ast
import dataclasses
import keyword
import os
import re
import unicodedata
from typing import TYPE_CHECKING, Any, Iterable, Optional

if TYPE_CHECKING:
    from gradfix.findings import Candidate, Report
    from gradfix.project import Project
    from gradfix.trace import Trace

NAME_LIMIT = 200  # a longer name is not one a person wrote
TEXT_LIMIT = 500  # a crash message, a class name, a file name: quoted up to this long
MESSAGE_LIMIT = 4000  # one message of a report, whatever it quotes
OUTPUT_LIMIT = 100_000  # the script's own output, shown with --verbose

# The Trace's strings by what they hold (``Class.field``). A field not listed is a NAME: what user
# code calls something, checked against the source. PART: a name relative to an object (an
# attribute, a forward parameter), checked for its shape only: a library's module defines
# attributes no file of the project spells. TEXT: free text, never a name: cut to TEXT_LIMIT
# where quoted, and never written into a fix.
_PARTS = frozenset({
    "AttributeFact.attr", "OwnWeightsForward.arg", "OptionalArgsCall.given", "OptionalArgsCall.omitted",
    "OptionalArgsCall.positions", "TypoSet.attr", "Site.function", "OptimizerHolder.attr",
})
_TEXTS = frozenset({
    "Site.file", "ModuleFact.cls", "ModuleFact.torch_class", "ParamFact.dtype", "OptimizerFact.cls", "AttributeFact.kind", "AttributeFact.keys",
    "AttributeFact.inner", "Cut.op", "LooseTerm.kind", "SingularInput.op",
    "MixedDtypeLoss.op", "MixedDtypeLoss.input_dtype", "MixedDtypeLoss.target_dtype",
    "SchedulerFact.cls", "InPlaceOp.op", "InPlaceOp.module", "InPlaceOp.grad_fn", "InPlaceOp.related",
    "OwnWeightsForward.cls", "CheckpointCall.api", "GradWipe.op", "ScalerCall.kind", "CallEvent.kind",
    "ModuleCall.cls", "ModuleCall.arg_dtypes", "ModuleCall.param_dtype", "Crash.type", "Crash.message",
    "RankFact.waiting_in", "Trace.script", "Trace.torch_version", "Trace.late_stop", "Trace.hung",
    "Trace.distributed_notes", "Trace.missing_env", "OptimizerHolder.cls", "OptimizerHolder.file",
    "OneElementNorm.op", "OneElementNorm.module", "GradBuffer.cls", "Lookup.op",
})
# What the run echoes of gradfix's own command line: not the script's words.
_SKIPPED = frozenset({"Trace.argv"})

_IDENTIFIER = r"[^\W\d]\w*"
_PLACEHOLDER = re.compile(r"<\w+#\d+>")  # the probe's name for a module or tensor bound to no name
_CODE_NAME = re.compile(r"<(?:module|lambda|listcomp|dictcomp|setcomp|genexpr)>")
# the probe's `model@12`: an older module bound to a name that a later one took (built at line 12)
_ROOT = re.compile(rf"(?P<root><\w+#\d+>|{_IDENTIFIER})(?:@(?:\d+|\?))?")
_PART = re.compile(
    rf"\.(?P<attr>{_IDENTIFIER}|\d+)"
    r"|\[(?P<index>\d+)\]"
    r"|\[(?P<key>'(?:[^'\\\n]|\\.)*'|\"(?:[^\"\\\n]|\\.)*\")\]"
)
_NUMBER = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")
# C0 and C1 controls, DEL, and the invisible characters that reorder or hide text (bidi
# overrides and isolates: "Trojan Source"), which a terminal, a log or a web page would obey.
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")


def is_identifier_path(text: str) -> bool:
    """``a.b.c``: every dot-separated part an identifier (not a keyword)."""
    return bool(text) and all(part.isidentifier() and not keyword.iskeyword(part) for part in text.split("."))


def _parse_name(text: str) -> Optional[tuple[str, list[str]]]:
    """A name's first part and its quoted keys; None when the text is not a name."""
    if not text or len(text) > NAME_LIMIT:
        return None
    root = _ROOT.match(text)
    if root is None or (not _PLACEHOLDER.fullmatch(root.group("root")) and keyword.iskeyword(root.group("root"))):
        return None
    keys = []
    position = root.end()
    while position < len(text):
        part = _PART.match(text, position)
        if part is None:
            return None
        if part.group("attr") is not None and not part.group("attr").isdigit() and keyword.iskeyword(part.group("attr")):
            return None
        if part.group("key") is not None:
            keys.append(part.group("key"))
        position = part.end()
    return root.group("root"), keys


def is_name(text: str) -> bool:
    """Whether a string has the shape of a name as user code writes it (see the module's docstring)."""
    return _parse_name(text) is not None


def is_part(text: str) -> bool:
    """An attribute or parameter name, or a dotted path of them (``blocks.0.attn``)."""
    if not text or len(text) > NAME_LIMIT:
        return False
    if _CODE_NAME.fullmatch(text):
        return True
    return all((part.isidentifier() and not keyword.iskeyword(part)) or part.isdigit() for part in text.split("."))


def clean(text: str, limit: int = MESSAGE_LIMIT, lines: bool = False) -> str:
    """Text as data: control and invisible characters gone (line breaks too, unless ``lines``),
    and at most ``limit`` characters."""
    if lines:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        text = "\n".join(_CONTROLS.sub("", line.replace("\t", "    ")) for line in text.split("\n"))
    else:
        text = _CONTROLS.sub("", re.sub(r"[\t\n\r\x0b\x0c\x85\u2028\u2029]+", " ", text))
    return text if len(text) <= limit else text[: limit - 1] + "…"


class Screen:
    """The guard for one script's repair: learns the strings of every run, then screens the
    candidates before they run and the report before anyone sees it."""

    def __init__(self, script: str):
        self.script = os.path.realpath(script)
        self.names: set[str] = set()
        self.parts: set[str] = set()
        self.texts: set[str] = set()
        self.files: set[str] = set()
        self._sources: dict[str, Any] = {}  # path -> SourceFile, the first text of it seen
        self._hidden: Optional[dict[str, str]] = None  # text to hide -> its placeholder
        self._labels: dict[str, str] = {}  # kept across recomputations: a name keeps its number

    # -- what the runs said --------------------------------------------------------------------

    def learn(self, trace: Optional["Trace"]) -> None:
        """Every string of a run's Trace, by what its field holds."""
        if trace is None:
            return
        before = (len(self.names), len(self.parts), len(self.texts))
        self._walk(trace, "")
        if (len(self.names), len(self.parts), len(self.texts)) != before:
            self._hidden = None

    def _walk(self, value: Any, where: str) -> None:
        if isinstance(value, str):
            self._add(value, where)
        elif isinstance(value, list):
            for item in value:
                self._walk(item, where)
        elif isinstance(value, dict):
            for key, item in value.items():
                if isinstance(key, str):
                    self._add(key, where)
                if isinstance(item, str):
                    self._add(item, "text")  # a dict's string values are kinds, not names
                elif isinstance(item, (list, dict)) or dataclasses.is_dataclass(item):
                    self._walk(item, where)
        elif dataclasses.is_dataclass(value):
            kind = type(value).__name__
            for name, item in vars(value).items():
                if item is None or isinstance(item, (bool, int, float)):
                    continue
                where = f"{kind}.{name}"
                if where not in _SKIPPED:
                    self._walk(item, where)

    def _add(self, text: str, where: str) -> None:
        if not text:
            return
        if where == "Site.file":
            self.files.add(text)
        if where in _TEXTS or where == "text":
            self.texts.add(text)
        elif where in _PARTS:
            self.parts.add(text)
        else:
            self.names.add(text)

    # -- what the source binds -----------------------------------------------------------------

    def _source(self, project: "Project", path: str) -> Any:
        from gradfix.source import BadSource

        real = os.path.realpath(path)
        if real not in self._sources:
            try:
                self._sources[real] = project.source(real) if project.is_editable(real) else None
            except (BadSource, OSError, ValueError):
                self._sources[real] = None
        return self._sources[real]

    def _spelled(self, project: "Project") -> tuple[set[str], set[str]]:
        """The names the project's files bind, and the strings they spell: the script's, and
        those of every file of the project the run's frames were in."""
        bound: set[str] = set()
        strings: set[str] = set()
        for path in sorted({self.script, *self.files}):
            if path.startswith("<"):
                continue
            source = self._source(project, path)
            if source is None:
                continue
            try:
                # Python compares identifiers in NFKC (`ｍodel` is `model`); the run reports them so.
                bound |= {unicodedata.normalize("NFKC", name) for name in source.bindings}
                strings |= source.strings
            except Exception:  # a file libcst cannot parse binds nothing we can vouch for
                continue
        return bound, strings

    def _paths(self) -> set[str]:
        """The attribute paths below the run's names (``fc1.weight`` of ``<MLP#1>.fc1.weight``),
        each ending of them: the names a module tree gives its parameters."""
        paths = set()
        for name in self.names:
            parsed = _parse_name(name)
            if parsed is None or parsed[1]:
                continue
            pieces = name.split(".")[1:]
            paths.update(".".join(pieces[i:]) for i in range(len(pieces)))
        return paths

    def hidden(self, project: "Project") -> dict[str, str]:
        """The run's strings that may not be quoted or written into a fix, each with the
        placeholder that stands for it: names the source does not bind (their first part, or a
        quoted key it does not spell, or the whole text when it is not a name at all), and parts
        that are not identifiers."""
        if self._hidden is not None:
            return self._hidden
        bound, strings = self._spelled(project)
        tree = self._paths()
        hide: set[str] = set()
        odd = sorted((n for n in self.names if _parse_name(n) is None and not _CODE_NAME.fullmatch(n)), key=len)
        for name in odd:
            # `<expression>.weight`: the parameter of a module bound to a hidden text is that
            # text's placeholder followed by its own name, as for a hidden root.
            if not any(name.startswith(other) and is_name("x" + name[len(other):]) for other in hide):
                hide.add(name)
            # A rule that takes a name apart (its last part, its first) must not get a piece of
            # code either: each dotted piece that is not a name is hidden on its own.
            hide.update(piece for piece in name.split(".") if len(piece) > 1 and not is_part(piece))
        for name in self.names:
            parsed = _parse_name(name)
            if parsed is None:
                continue
            root, keys = parsed
            if not _PLACEHOLDER.fullmatch(root) and root not in bound:
                hide.add(root)
            for key in keys:
                try:
                    value = ast.literal_eval(key)
                except (ValueError, SyntaxError):
                    value = None
                # A key the source spells, or one torch made from the module tree the run
                # reported (`torch.func.stack_module_state` gives `params['fc1.weight']`).
                if value not in strings and value not in tree:
                    hide.add(key)
        hide.update(part for part in self.parts if not is_part(part))
        for text in sorted(hide, key=lambda t: (-len(t), t)):
            self._labels.setdefault(text, f"<hidden name #{len(self._labels) + 1}>")
        self._hidden = {text: self._labels[text] for text in sorted(hide, key=lambda t: (-len(t), t))}
        return self._hidden

    # -- fixes ---------------------------------------------------------------------------------

    def refusal(self, candidate: "Candidate", project: "Project") -> Optional[str]:
        """Why a candidate may not run, or None: it would write into the code a name the run gave
        that the source does not bind, or any other text the run gave (a crash message, a class
        name, a name that is an expression)."""
        hidden = self.hidden(project)
        for patch in candidate.patches:
            inserted = "".join(edit.replacement for edit in patch.edits)
            if not inserted:
                continue
            old = project.text(patch.path)
            new = patch.apply(old)
            for text in self._suspects(hidden, inserted):
                if _count(new, text) > _count(old, text):
                    shown = hidden.get(text) or clean(text, 60)
                    return f"not run: it would write text the run gave ({shown}) into the code, which is not a name the source binds"
        return None

    def _suspects(self, hidden: dict[str, str], inserted: str) -> Iterable[str]:
        yield from (text for text in hidden if text in inserted)
        for text in self.texts:
            # Free text never belongs in code; a number or a plain dotted name (a class's
            # qualified name, a dtype) cannot change what code does, and short ones occur anywhere.
            if len(text) >= 2 and text in inserted and not _NUMBER.fullmatch(text) and not is_identifier_path(text):
                yield text

    def admit(self, candidates: list["Candidate"], project: "Project") -> tuple[list["Candidate"], list[tuple[str, str]]]:
        """The candidates that may run, and the others with why not (their descriptions screened)."""
        kept, refused = [], []
        for candidate in candidates:
            why = self.refusal(candidate, project)
            if why is None:
                kept.append(candidate)
            else:
                refused.append((self.message(candidate.description, project), why))
        return kept, refused

    # -- messages ------------------------------------------------------------------------------

    def message(self, text: str, project: "Project", limit: int = MESSAGE_LIMIT) -> str:
        """A message as it may be shown: hidden names replaced, the run's long texts cut, no
        control characters, at most ``limit`` characters."""
        if not text:
            return text
        for hidden, label in self.hidden(project).items():
            if hidden in text:
                text = _replace(text, hidden, label)
        for quoted in self.texts:
            if len(quoted) > TEXT_LIMIT and quoted in text:
                text = text.replace(quoted, quoted[: TEXT_LIMIT - 1] + "…")
        return clean(text, limit)

    def report(self, report: "Report", project: "Project") -> None:
        """Screen, in place, every text of a report that a rule, a verdict or the repair loop
        composed from the runs."""
        say = lambda text: self.message(text, project)  # noqa: E731
        pairs = lambda items: [(say(a), say(b)) for a, b in items]  # noqa: E731
        for result in report.results:
            finding = result.finding
            finding.message = say(finding.message)
            finding.params = [say(p) for p in finding.params]
            result.note = say(result.note)
            result.rejected = pairs(result.rejected)
            for row in result.table:
                row.name = say(row.name)
            fix = result.fix
            if fix is not None:
                fix.description = say(fix.description)
                fix.verdict.reason = say(fix.verdict.reason)
                fix.verdict.trained = [say(n) for n in fix.verdict.trained]
                fix.rejected = pairs(fix.rejected)
                fix.also_verified = [say(d) for d in fix.also_verified]
        report.final_state = say(report.final_state)
        report.unreached = [(path, line, say(what)) for path, line, what in report.unreached]
        report.distributed = say(report.distributed)
        report.stdout = clean(report.stdout, OUTPUT_LIMIT, lines=True)
        report.stderr = clean(report.stderr, OUTPUT_LIMIT, lines=True)



def _count(text: str, needle: str) -> int:
    if re.fullmatch(r"\w+", needle):
        return len(re.findall(rf"(?<![\w]){re.escape(needle)}(?!\w)", text))
    return text.count(needle)


def _replace(text: str, needle: str, label: str) -> str:
    if re.fullmatch(r"\w+", needle):
        return re.sub(rf"(?<![\w]){re.escape(needle)}(?!\w)", lambda _: label, text)
    return text.replace(needle, label)


# -- each output's own syntax ---------------------------------------------------------------------


def output_lines(text: str) -> str:
    """The script's own output, shown with --verbose: its lines kept, the controls gone, and a
    line that reads as a workflow command (``::add-mask::``, ``::error::``) disarmed with an
    invisible mark before it: GitHub's runner would obey it in the job's log."""
    text = clean(text, OUTPUT_LIMIT, lines=True)
    return "\n".join("\u2060" + line if line.lstrip().startswith("::") else line for line in text.split("\n"))


def workflow_data(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """The message of a GitHub workflow command (``::error file=...::MESSAGE``)."""
    text = _CONTROLS.sub("", text)
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def workflow_property(text: str, limit: int = TEXT_LIMIT) -> str:
    """A property value of a workflow command (``file=``, ``title=``)."""
    return workflow_data(text, limit).replace(":", "%3A").replace(",", "%2C")


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>:])")


def markdown(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """Text as inert Markdown, on one line: no HTML (so no forged gradfix markers), no mentions,
    no links, emphasis, headings, lists, tables or code fences of its own."""
    text = clean(text, limit)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", text)
    # A mention is one word: a zero-width space after @ keeps it from notifying anyone. Written
    # as an HTML entity: the comment stays free of the invisible characters clean() removes.
    return text.replace("@", "@&#8203;")
