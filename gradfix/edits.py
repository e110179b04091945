"""Edits and patches: a fix is a list of text edits on a file as it is on disk.

Every output (the terminal diff, JSON, later GitHub suggestions and SARIF) is rendered from these
edits. The unified diff here is built from the edits themselves, not by comparing two texts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable


@dataclass(frozen=True, order=True)
class Position:
    line: int  # 1-based
    column: int  # 0-based, in characters


@dataclass(frozen=True)
class Edit:
    start: Position
    end: Position
    replacement: str

    def to_dict(self) -> dict:
        return {
            "start": {"line": self.start.line, "column": self.start.column},
            "end": {"line": self.end.line, "column": self.end.column},
            "replacement": self.replacement,
        }


class Text:
    """A file's text with line/column <-> offset conversion."""

    def __init__(self, text: str):
        self.text = text
        self.line_starts = [0]
        for index, char in enumerate(text):
            if char == "\n":
                self.line_starts.append(index + 1)

    def offset(self, position: Position) -> int:
        line = min(max(position.line, 1), len(self.line_starts))
        return min(self.line_starts[line - 1] + position.column, len(self.text))

    def position(self, offset: int) -> Position:
        import bisect

        line = bisect.bisect_right(self.line_starts, offset)
        return Position(line, offset - self.line_starts[line - 1])

    def line_start(self, line: int) -> int:
        return self.line_starts[min(max(line, 1), len(self.line_starts)) - 1]

    def line_end(self, line: int) -> int:
        """Offset just past the line's newline (or the end of the text)."""
        return self.line_starts[line] if line < len(self.line_starts) else len(self.text)


def overlaps(a: Edit, b: Edit) -> bool:
    return a.start < b.end and b.start < a.end or a.start == b.start


def apply_edits(text: str, edits: Iterable[Edit]) -> str:
    ordered = sorted(edits, key=lambda e: (e.start, e.end))
    for first, second in zip(ordered, ordered[1:]):
        if overlaps(first, second):
            raise ValueError(f"overlapping edits at line {second.start.line}")
    lines = Text(text)
    out = []
    cursor = 0
    for edit in ordered:
        start, end = lines.offset(edit.start), lines.offset(edit.end)
        out.append(text[cursor:start])
        out.append(edit.replacement)
        cursor = end
    out.append(text[cursor:])
    return "".join(out)


def _ending(lines: Text, line: int) -> str:
    """How a line ends, ``\\r\\n`` or ``\\n``; the last line, when it has no ending, as the line before it."""
    line = min(max(line, 1), len(lines.line_starts))
    end = lines.line_end(line)
    if lines.text[max(end - 1, 0) : end] != "\n" and line > 1:
        end = lines.line_end(line - 1)
    return "\r\n" if lines.text[max(end - 2, 0) : end] == "\r\n" else "\n"


_BARE_NEWLINE = re.compile(r"(?<!\r)\n")


def in_line_endings(text: str, edits: Iterable[Edit]) -> list[Edit]:
    """The edits, with the lines they insert ending as the file's own lines do.

    Rules write ``\\n``. In a file whose lines end with ``\\r\\n`` an inserted line must end so too:
    a lone ``\\n`` line is what Windows tools show as broken and git as a changed line ending. In a
    file that mixes both, an edit takes the ending of the line it starts on. Python reads either
    ending alike (in string literals too), so the text written runs as the text verified did.
    """
    edits = list(edits)
    if "\r\n" not in text:
        return edits
    lines = Text(text)
    out = []
    for edit in edits:
        if "\n" not in edit.replacement or _ending(lines, edit.start.line) == "\n":
            out.append(edit)
            continue
        # A \n that completes a \r (in the replacement, or just before the edit) is already one.
        start = lines.offset(edit.start)
        kept = "\n" if text[start - 1 : start] == "\r" and edit.replacement.startswith("\n") else ""
        out.append(Edit(edit.start, edit.end, kept + _BARE_NEWLINE.sub("\r\n", edit.replacement[len(kept) :])))
    return out


def fold(original: str, accepted: list[Edit], new: Edit) -> tuple[Edit, list[int]]:
    """Express ``new``, made on ``apply_edits(original, accepted)``, as an edit on ``original``.

    Used when fixes compose: the second fix was computed on the file with the first applied. When
    the new edit touches an accepted one (the cast inside a block that an earlier fix moved), the
    two merge into one edit; the indexes of the accepted edits it absorbed are returned.
    """
    before = Text(original)
    spans = []  # (index, start, end in original, start, end of its replacement in the current text)
    delta = 0
    for index in sorted(range(len(accepted)), key=lambda i: accepted[i].start):
        edit = accepted[index]
        start, end = before.offset(edit.start), before.offset(edit.end)
        spans.append((index, start, end, start + delta, start + delta + len(edit.replacement)))
        delta += len(edit.replacement) - (end - start)
    current_text = apply_edits(original, accepted)
    current = Text(current_text)
    new_start, new_end = current.offset(new.start), current.offset(new.end)
    low, high = new_start, new_end
    absorbed: list[int] = []
    grew = True
    while grew:
        grew = False
        for index, _, _, cur_start, cur_end in spans:
            if index not in absorbed and cur_start <= high and low <= cur_end:
                absorbed.append(index)
                low, high = min(low, cur_start), max(high, cur_end)
                grew = True

    def back(offset: int, at_end: bool) -> int:
        shift = 0
        for index, start, end, cur_start, cur_end in spans:
            # An absorbed deletion is empty in the current text: the merged edit's start maps to
            # where it began and its end to where it ended, so that the deletion stays in.
            if index in absorbed and offset == (cur_end if at_end else cur_start):
                return end if at_end else start
            if offset >= cur_end:
                shift = cur_end - end
        return offset - shift

    grown = len(new.replacement) - (new_end - new_start)
    merged = apply_edits(current_text, [new])[low : high + grown]
    return Edit(before.position(back(low, False)), before.position(back(high, True)), merged), absorbed


@dataclass
class Patch:
    """The edits of one fix in one file."""

    path: str
    edits: list[Edit] = field(default_factory=list)

    def apply(self, text: str) -> str:
        return apply_edits(text, self.edits)


def unified_diff(text: str, edits: list[Edit], old_name: str, new_name: str, context: int = 3) -> str:
    """A ``git apply``-able unified diff of the edits, built from the edits themselves."""
    if not edits:
        return ""
    lines = Text(text)
    file_lines = _lines(text)
    groups: list[tuple[int, int, list[Edit]]] = []  # whole-line blocks, edits sharing a line merged
    for edit in sorted(edits, key=lambda e: e.start):
        first = edit.start.line
        last = edit.end.line if (edit.end.column > 0 or edit.end == edit.start) else edit.end.line - 1
        if edit.start == edit.end and edit.start.column == 0:
            last = first - 1  # a pure insertion before line `first`
        if groups and first <= groups[-1][1] + 1:  # same or adjacent lines: one block of - then +
            previous = groups.pop()
            groups.append((previous[0], max(previous[1], last), [*previous[2], edit]))
        else:
            groups.append((first, last, [edit]))
    changes = []  # (first old line, last old line, old text, new text)
    for first, last, group in groups:
        block_start = lines.line_start(first)
        block_end = lines.line_end(last) if last >= first else block_start
        pieces, cursor = [], block_start
        for edit in group:
            pieces.append(text[cursor : lines.offset(edit.start)])
            pieces.append(edit.replacement)
            cursor = lines.offset(edit.end)
        pieces.append(text[cursor:block_end])
        changes.append((first, last, text[block_start:block_end], "".join(pieces)))

    hunks: list[list[tuple[int, int, str, str]]] = []
    for change in changes:
        if hunks and change[0] - hunks[-1][-1][1] - 1 <= 2 * context:
            hunks[-1].append(change)
        else:
            hunks.append([change])

    out = [f"--- {old_name}\n", f"+++ {new_name}\n"]
    shift = 0  # how many lines the hunks so far added to the new file
    for hunk in hunks:
        start = max(1, hunk[0][0] - context)
        end = min(len(file_lines), max(hunk[-1][1], hunk[-1][0] - 1) + context)
        body: list[str] = []
        old_count = new_count = 0
        line = start
        for first, last, old_block, new_block in hunk:
            for n in range(line, first):
                body.append(" " + file_lines[n - 1])
                old_count += 1
                new_count += 1
            old_lines = _lines(old_block)
            new_lines = _lines(new_block)
            body.extend("-" + x for x in old_lines)
            body.extend("+" + x for x in new_lines)
            old_count += len(old_lines)
            new_count += len(new_lines)
            line = max(last + 1, first)
        for n in range(line, end + 1):
            body.append(" " + file_lines[n - 1])
            old_count += 1
            new_count += 1
        old_start = start if old_count else start - 1
        new_start = start + shift if new_count else start + shift - 1
        shift += new_count - old_count
        out.append(f"@@ -{old_start},{old_count} +{new_start},{new_count} @@\n")
        for entry in body:
            out.append(entry if entry.endswith("\n") else entry + "\n\\ No newline at end of file\n")
    return "".join(out)


def _lines(text: str) -> list[str]:
    """Lines ended by \\n only, as git sees them (str.splitlines also breaks at \\f, \\x85, U+2028)."""
    parts = text.split("\n")
    lines = [part + "\n" for part in parts[:-1]]
    return lines + [parts[-1]] if parts[-1] else lines
