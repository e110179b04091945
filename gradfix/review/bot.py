"""Posting gradfix's findings on a pull request: one review with suggestion blocks for the fixes
on lines of the diff, one sticky summary comment with every finding, idempotent re-runs.

Everything here works on gradfix's JSON report and the diff's line numbers; it never imports or
runs code from the pull request. Text that came from the pull request (parameter names, crash
messages) is escaped before it goes into markdown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

SUMMARY_MARKER = "<!-- gradfix:summary -->"
_FINGERPRINT = re.compile(r"<!-- gradfix:fp=([0-9a-f]{16}) -->")
MAX_BODY = 65_000  # GitHub refuses bodies over 65 536 characters


def escape(text: str) -> str:
    """Untrusted text as inert markdown: no HTML (so no forged markers), no mentions, no fences."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = text.replace("@", "@\u200b").replace("```", "`\u200b`\u200b`")
    return text


def fence(content: str) -> str:
    """A backtick fence longer than any backtick run inside the content."""
    longest = max((len(run) for run in re.findall(r"`+", content)), default=0)
    return "`" * max(3, longest + 1)


def code_list(names: list[str], limit: int = 8) -> str:
    shown = ", ".join(f"`{escape(n).replace('`', '')}`" for n in names[:limit])
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


def findings_of(report: dict[str, Any]) -> list[Finding]:
    found = []
    for entry in report.get("files", []):
        for item in entry.get("findings", []):
            found.append(
                Finding(
                    path=str(item.get("path") or entry["path"]),
                    code=str(item["code"]),
                    title=str(item.get("title", "")),
                    message=str(item.get("message", "")),
                    line=int(item.get("line", 1)),
                    params=[str(p) for p in item.get("params", [])],
                    fingerprint=str(item.get("fingerprint", "")),
                    fix=item.get("fix"),
                    cell=int(item["cell"]) if item.get("cell") is not None else None,
                    json_line=int(item["json_line"]) if item.get("json_line") is not None else None,
                )
            )
    return found


def comment_body(finding: Finding) -> str:
    fix = finding.fix or {}
    suggestion = finding.suggestion or {}
    text = suggestion.get("text", "")
    content = text[:-1] if text.endswith("\n") else text
    marks = fence(content)
    lines = [
        f"**{finding.code}** {escape(finding.title)}",
        "",
        escape(finding.message),
        "",
        f"Parameters: {code_list(finding.params)}" if finding.params else "",
        f"Verified by re-running the script: {escape(str(fix.get('verification', '')))} "
        f"({escape(str(fix.get('applicability', '')))} fix: {escape(str(fix.get('description', '')))})",
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
        f"**{finding.code}** {escape(finding.title)} (cell {finding.cell}, line {finding.line})",
        "",
        escape(finding.message),
        "",
        f"Parameters: {code_list(finding.params)}" if finding.params else "",
        f"Verified by re-running the notebook: {escape(str(fix.get('verification', '')))} "
        f"({escape(str(fix.get('applicability', '')))} fix: {escape(str(fix.get('description', '')))}). "
        "`gradfix apply` writes it into the cell.",
        "",
        f"{marks}diff",
        diff,
        marks,
        f"<!-- gradfix:fp={finding.fingerprint} -->",
    ]
    return "\n".join(lines)


def summary_body(findings: list[Finding], inline: set[str], permalink: Callable[[Finding], str], notes: list[str]) -> str:
    head = [SUMMARY_MARKER, "## gradfix", ""]
    if not findings:
        head.append("No gradient problems found in the scripts this pull request changes.")
    else:
        head.append(f"{len(findings)} finding(s) where parameters get no gradient or never update:")
        head.append("")
        for f in findings:
            if f.cell_fix:  # a notebook's fix is always in the summary, with its cell's diff
                where = "verified fix below" + (", and inline" if f.fingerprint in inline else "")
            else:
                where = "inline suggestion" if f.fingerprint in inline else ("verified fix below" if f.suggestion else "no automatic fix")
            head.append(f"- **{f.code}** [{escape(f.place)}]({permalink(f)}) {escape(f.title)} ({where})")
        for f in findings:
            if not f.cell_fix and (f.fingerprint in inline or not f.suggestion):
                continue
            diff = (f.fix or {}).get("diff", "").rstrip("\n")
            marks = fence(diff)
            head += ["", f"<details><summary>{f.code} fix for {escape(f.place)}</summary>", "", f"{marks}diff",
                     diff, marks, "", "</details>"]
    head += [""] + [f"> {escape(note)}" for note in notes]
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
    return Plan(review, stale, summary_body(findings, inline, permalink, notes), inline)
