"""Edits on the text on disk: applying, composing fixes, and the unified diff built from edits."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from gradfix.edits import Edit, Position, apply_edits, fold, unified_diff

TEXT = "a = 1\nb = 2\nc = 3\nd = 4\n"


def edit(l1: int, c1: int, l2: int, c2: int, text: str) -> Edit:
    return Edit(Position(l1, c1), Position(l2, c2), text)


def test_apply_in_any_order_and_refuse_overlaps() -> None:
    edits = [edit(3, 4, 3, 5, "30"), edit(1, 4, 1, 5, "10")]
    assert apply_edits(TEXT, edits) == "a = 10\nb = 2\nc = 30\nd = 4\n"
    with pytest.raises(ValueError):
        apply_edits(TEXT, [edit(1, 0, 2, 0, ""), edit(1, 4, 1, 5, "x")])


def test_fold_maps_a_later_edit_back_to_the_file_on_disk() -> None:
    first = edit(1, 0, 2, 0, "")  # delete line 1
    second_on_new_text = edit(2, 4, 2, 5, "33")  # "c = 3" is line 2 after the deletion
    on_disk, absorbed = fold(TEXT, [first], second_on_new_text)
    assert absorbed == [] and on_disk == edit(3, 4, 3, 5, "33")
    assert apply_edits(TEXT, [first, on_disk]) == "b = 2\nc = 33\nd = 4\n"


def test_fold_merges_an_edit_inside_an_earlier_one() -> None:
    first = edit(2, 0, 3, 0, "    b = 2\n")  # indent line 2
    inner = edit(2, 8, 2, 9, "20")
    merged, absorbed = fold(TEXT, [first], inner)
    assert absorbed == [0]
    assert apply_edits(TEXT, [merged]) == "a = 1\n    b = 20\nc = 3\nd = 4\n"


def test_fold_keeps_an_earlier_deletion_the_new_edit_touches() -> None:
    deletion = edit(3, 0, 4, 0, "")  # delete line 3
    before = edit(2, 0, 3, 0, "B = 2\n")  # on the new text, ends where line 3 was
    merged, absorbed = fold(TEXT, [deletion], before)
    assert absorbed == [0] and apply_edits(TEXT, [merged]) == "a = 1\nB = 2\nd = 4\n"
    after = edit(3, 0, 3, 0, "x = 0\n")  # starts where line 3 was
    merged, absorbed = fold(TEXT, [deletion], after)
    assert absorbed == [0] and apply_edits(TEXT, [merged]) == "a = 1\nb = 2\nx = 0\nd = 4\n"


def test_unified_diff_applies_with_git(tmp_path: Path) -> None:
    text = "".join(f"line {i}\n" for i in range(1, 21))
    edits = [edit(2, 0, 3, 0, ""), edit(10, 5, 10, 7, "TEN"), edit(20, 0, 20, 0, "inserted\n"), edit(19, 0, 19, 7, "nineteen")]
    (tmp_path / "f.txt").write_text(text)
    diff = unified_diff(text, edits, "a/f.txt", "b/f.txt")
    (tmp_path / "f.patch").write_text(diff)
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    subprocess.run(["git", "apply", "f.patch"], cwd=tmp_path, check=True)
    assert (tmp_path / "f.txt").read_text() == apply_edits(text, edits)


def test_unified_diff_without_final_newline(tmp_path: Path) -> None:
    text = "x = 1\ny = 2"
    edits = [edit(2, 4, 2, 5, "3")]
    diff = unified_diff(text, edits, "a/g.py", "b/g.py")
    assert diff.count("\\ No newline at end of file") == 2
    (tmp_path / "g.py").write_text(text)
    (tmp_path / "g.patch").write_text(diff)
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    subprocess.run(["git", "apply", "g.patch"], cwd=tmp_path, check=True)
    assert (tmp_path / "g.py").read_text() == "x = 1\ny = 3"


def test_edits_on_one_line_render_as_one_change() -> None:
    diff = unified_diff(TEXT, [edit(2, 0, 2, 1, "B"), edit(2, 4, 2, 5, "20")], "a/t", "b/t")
    assert "-b = 2\n+B = 20\n" in diff


def test_edits_on_adjacent_lines_render_as_one_block() -> None:
    diff = unified_diff(TEXT, [edit(2, 4, 2, 5, "20"), edit(3, 4, 3, 5, "30")], "a/t", "b/t")
    assert "-b = 2\n-c = 3\n+b = 20\n+c = 30\n" in diff
