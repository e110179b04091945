"""Posting gradfix's findings on a pull request: one review with suggestion blocks for the fixes
on lines of the diff, one sticky summary comment with every finding, idempotent re-runs.

Everything here works on gradfix's JSON report and the diff's line numbers; it never imports or
runs code from the pull request. The report is untrusted data (it may come from a fork's
workflow): every text in it (parameter names, crash messages, paths) is cut to a length and
escaped before it goes into markdown, and its codes and fingerprints are checked for their shape.
A script that could not be diagnosed is said in the summary: the bot never posts an all-clear
that covers it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from gradfix.untrusted import MESSAGE_LIMIT, NAME_LIMIT, TEXT_LIMIT, clean, markdown

SUMMARY_MARKER = "<!-- gradfix:summary -->"
_FINGERPRINT = re.compile(r"<!-- gradfix:fp=([0-9a-f]{16}) -->")
MAX_BODY = 65_000  # GitHub refuses bodies over 65 536 characters


def escape(text: str) -> str:
    """Untrusted text for a code span (where Markdown's backslash escapes show as typed): no HTML
    (so no forged markers), no mentions, no fences, one line."""
    text = clean(text, TEXT_LIMIT)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = text.replace("@", "@\u200b").replace("```", "`\u200b`\u200b`")
    return text


_CODE_SPAN = re.compile(r"(`[^`]+`)")


def prose(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """Untrusted text in a sentence of the comment: inert Markdown (untrusted.markdown), except
    that a `code` span of gradfix's messages (a line of the script, a parameter's name) stays a
    code span, its content escaped as ``escape`` does: a reader sees code as code, not as
    backticks typed around escaped text."""
    parts = _CODE_SPAN.split(clean(text, limit))
    return "".join(
        # a code span shows HTML entities as typed (`x &lt; 0`): one with `<`, `>` or `&` in it
        # is written as escaped prose instead
        f"`{escape(part[1:-1])}`" if index % 2 and not set(part) & set("<>&") else markdown(part, limit)
        for index, part in enumerate(parts)
    )


def fence(content: str) -> str:
    """A backtick fence longer than any backtick run inside the content."""
    longest = max((len(run) for run in re.findall(r"`+", content)), default=0)
    return "`" * max(3, longest + 1)


def code_list(names: list[str], limit: int = 8) -> str:
    shown = ", ".join(f"`{escape(clean(n, NAME_LIMIT)).replace('`', '')}`" for n in names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


@dataclass
class Finding:
    """One finding of gradfix's JSON, as the bot needs it."""

    path: str
    code: str
    title: str
    message: str
    line: int
    params: list[str]
    fingerprint: str
    fix: Optional[dict[str, Any]]
    cell: Optional[int] = None  # in a notebook: the cell's number; ``line`` is then in the cell
    json_line: Optional[int] = None  # in a notebook: the line of its JSON file that holds the cell line

    @property
    def suggestion(self) -> Optional[dict[str, Any]]:
        return self.fix.get("suggestion") if self.fix and self.fix.get("verified") else None

    @property
    def cell_fix(self) -> Optional[str]:
        """A notebook's verified fix, as its per-cell diff: never a suggestion block (the file is JSON)."""
        if self.cell is None or not self.fix or not self.fix.get("verified") or not self.fix.get("edits"):
            return None
        return str(self.fix.get("diff", "")) or None

    @property
    def place(self) -> str:
        return f"{self.path}:cell {self.cell}:{self.line}" if self.cell is not None else f"{self.path}:{self.line}"


@dataclass
class Undiagnosed:
    """A script of the report that gradfix could not diagnose: no verdict on it either way."""

    path: str
    message: str


_CODE = re.compile(r"GF\d{3}")


def _fingerprint(value: Any) -> str:
    """The report's fingerprint when it has the shape gradfix writes; else one made from it (it
    goes into an HTML comment, and a forged one could close it)."""
    text = str(value)
    if re.fullmatch(r"[0-9a-f]{16}", text):
        return text
    import hashlib

    return hashlib.sha256(text.encode()).hexdigest()[:16]


def findings_of(report: dict[str, Any]) -> list[Finding]:
    found = []
    for entry in report.get("files", []):
        for item in entry.get("findings", []):
            code = str(item["code"])
            found.append(
                Finding(
                    path=clean(str(item.get("path") or entry["path"]), TEXT_LIMIT),
                    code=code if _CODE.fullmatch(code) else "GF???",
                    title=str(item.get("title", "")),
                    message=str(item.get("message", "")),
                    line=int(item.get("line", 1)),
                    params=[str(p) for p in item.get("params", [])],
                    fingerprint=_fingerprint(item.get("fingerprint", "")),
                    fix=item.get("fix"),
                    cell=int(item["cell"]) if item.get("cell") is not None else None,
                    json_line=int(item["json_line"]) if item.get("json_line") is not None else None,
                )
            )
    return found


def diagnosed_of(report: dict[str, Any]) -> int:
    """How many scripts the report diagnosed (gradfix's JSON gives each its sandbox ``runs``)."""
    return sum(1 for entry in report.get("files", []) if isinstance(entry, dict) and entry.get("runs") and not entry.get("error"))


def undiagnosed_of(report: dict[str, Any]) -> list[Undiagnosed]:
    """The scripts the report could not diagnose (an ``error`` in their entry)."""
    found = []
    for entry in report.get("files", []):
        if isinstance(entry, dict) and entry.get("error"):
            path, message = clean(str(entry.get("path", "")), TEXT_LIMIT), str(entry["error"])
            # gradfix's messages start with the script's path, which the list item already says
            found.append(Undiagnosed(path, message[len(path) + 2 :] if message.startswith(f"{path}: ") else message))
    return found


def comment_body(finding: Finding) -> str:
    fix = finding.fix or {}
    suggestion = finding.suggestion or {}
    text = suggestion.get("text", "")
    content = text[:-1] if text.endswith("\n") else text
    marks = fence(content)
    lines = [
        f"**{finding.code}** {prose(finding.title, TEXT_LIMIT)}",
        "",
        prose(finding.message),
        "",
        f"Parameters: {code_list(finding.params)}" if finding.params else "",
        f"Verified by re-running the script: {prose(str(fix.get('verification', '')))} "
        f"({prose(str(fix.get('applicability', '')), TEXT_LIMIT)} fix: {prose(str(fix.get('description', '')))})",
        "",
        f"{marks}suggestion",
        *([content] if content else []),
        marks,
        f"<!-- gradfix:fp={finding.fingerprint} -->",
    ]
    return "\n".join(line for line in lines if line is not None)


def cell_comment_body(finding: Finding) -> str:
    """An inline comment on the JSON line of a notebook cell's source: the finding and the cell's
    diff (a suggestion block would have to replace JSON)."""
    fix = finding.fix or {}
    diff = (finding.cell_fix or "").rstrip("\n")
    marks = fence(diff)
    lines = [
        f"**{finding.code}** {prose(finding.title, TEXT_LIMIT)} (cell {finding.cell}, line {finding.line})",
        "",
        prose(finding.message),
        "",
        f"Parameters: {code_list(finding.params)}" if finding.params else "",
        f"Verified by re-running the notebook: {prose(str(fix.get('verification', '')))} "
        f"({prose(str(fix.get('applicability', '')), TEXT_LIMIT)} fix: {prose(str(fix.get('description', '')))}). "
        "`gradfix apply` writes it into the cell.",
        "",
        f"{marks}diff",
        diff,
        marks,
        f"<!-- gradfix:fp={finding.fingerprint} -->",
    ]
    return "\n".join(lines)


def summary_body(
    findings: list[Finding], inline: set[str], permalink: Callable[[Finding], str], notes: list[str],
    undiagnosed: Optional[list[Undiagnosed]] = None, diagnosed: int = 0,
) -> str:
    """``undiagnosed``: the scripts gradfix could not diagnose; ``diagnosed``: how many it did."""
    undiagnosed = undiagnosed or []
    head = [SUMMARY_MARKER, "## gradfix", ""]
    if undiagnosed:
        # First, and never under an all-clear: these scripts were not checked at all.
        head.append(f"**gradfix could not diagnose {len(undiagnosed)} script(s)**; nothing is known about their gradients:")
        head.append("")
        head += [f"- `{escape(u.path).replace('`', '')}`: {prose(u.message)}" for u in undiagnosed]
        head.append("")
    if not findings and undiagnosed:
        head.append(f"No gradient problems found in the {diagnosed} other script(s) this pull request changes." if diagnosed else
                    "No script of this pull request was diagnosed.")
    elif not findings:
        head.append("No gradient problems found in the scripts this pull request changes.")
    else:
        head.append(f"{len(findings)} finding(s) where parameters get no gradient or never update:")
        head.append("")
        for f in findings:
            if f.cell_fix:  # a notebook's fix is always in the summary, with its cell's diff
                where = "verified fix below" + (", and inline" if f.fingerprint in inline else "")
            else:
                where = "inline suggestion" if f.fingerprint in inline else ("verified fix below" if f.suggestion else "no automatic fix")
            head.append(f"- **{f.code}** [{prose(f.place, TEXT_LIMIT)}]({permalink(f)}) {prose(f.title, TEXT_LIMIT)} ({where})")
        for f in findings:
            if not f.cell_fix and (f.fingerprint in inline or not f.suggestion):
                continue
            diff = (f.fix or {}).get("diff", "").rstrip("\n")
            marks = fence(diff)
            head += ["", f"<details><summary>{f.code} fix for {escape(f.place)}</summary>", "", f"{marks}diff",
                     diff, marks, "", "</details>"]
    head += [""] + [f"> {prose(note)}" for note in notes]
    body = "\n".join(head)
    if len(body) > MAX_BODY:
        cut = body.rfind("\n- ", 0, MAX_BODY - 200)
        body = body[: cut if cut > 0 else MAX_BODY - 200] + "\n\n… (cut: the full report is in the job's summary)"
    return body


@dataclass
class Plan:
    review: Optional[dict[str, Any]]
    delete: list[int]
    summary: str
    inline: set[str] = field(default_factory=set)


def plan(
    findings: list[Finding],
    commentable: dict[str, set[int]],
    existing: list[dict[str, Any]],
    bot_login: str,
    sha: str,
    permalink: Callable[[Finding], str],
    max_comments: int = 30,
    notes: Optional[list[str]] = None,
    undiagnosed: Optional[list[Undiagnosed]] = None,
    diagnosed: int = 0,
) -> Plan:
    """What to post, given what the bot already said on this pull request."""
    ours = [c for c in existing if c.get("user", {}).get("login") == bot_login and _FINGERPRINT.search(c.get("body", ""))]
    replied = {c.get("in_reply_to_id") for c in existing if c.get("in_reply_to_id")}
    posted = {_FINGERPRINT.search(c["body"]).group(1): c for c in ours}  # type: ignore[union-attr]
    current = {f.fingerprint for f in findings}
    comments, inline, overflow = [], set(), []
    for finding in findings:
        suggestion = finding.suggestion
        if suggestion is None and finding.cell_fix and finding.json_line is not None:
            # A notebook: a comment (no suggestion) on the JSON line that holds the cell line.
            suggestion = {"path": finding.path, "start_line": finding.json_line, "end_line": finding.json_line}
        if suggestion is None:
            continue
        wanted = set(range(suggestion["start_line"], suggestion["end_line"] + 1))
        if not wanted <= commentable.get(suggestion["path"], set()):
            continue  # outside the diff: GitHub would refuse the whole review; the summary has it
        if finding.fingerprint in posted:
            inline.add(finding.fingerprint)
            continue
        body = cell_comment_body(finding) if finding.cell_fix else comment_body(finding)
        if len(body) > MAX_BODY:
            continue  # a suggestion this long cannot be an inline comment; the summary carries it
        if len(comments) >= max_comments:
            overflow.append(finding)
            continue
        comment: dict[str, Any] = {"path": suggestion["path"], "line": suggestion["end_line"], "side": "RIGHT", "body": body}
        if suggestion["start_line"] != suggestion["end_line"]:
            comment.update(start_line=suggestion["start_line"], start_side="RIGHT")
        comments.append(comment)
        inline.add(finding.fingerprint)
    review = None
    if comments:
        review = {
            "commit_id": sha,
            "event": "COMMENT",
            "body": f"gradfix: {len(comments)} verified fix(es) as suggestions; the summary comment lists every finding.",
            "comments": comments,
        }
    stale = [c["id"] for fp, c in posted.items() if fp not in current and c["id"] not in replied]
    notes = list(notes or [])
    if overflow:
        notes.append(f"{len(overflow)} more fix(es) are only in this summary (at most {max_comments} inline comments per review).")
    return Plan(review, stale, summary_body(findings, inline, permalink, notes, undiagnosed, diagnosed), inline)
