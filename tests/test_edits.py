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


# -- SourceFile's statement edits: comments are the user's -------------------------------------


def removed(text: str, line: int, moved: bool = False) -> str:
    """The text after removing the statement that starts on ``line``."""
    from gradfix.source import SourceFile

    source = SourceFile("t.py", text)
    [statement] = [s for s in source.statements_on_line(line) if source.range(s).start.line == line][:1]
    edit = source.remove_statement(statement, moved=True) if moved else source.remove_statement(statement)
    return apply_edits(text, [edit])


FREEZE = "for p in enc.parameters():\n    p.requires_grad = False\n"


@pytest.mark.parametrize(
    ("before", "after"),
    [
        # The comment heads only the freeze (a blank line, another comment, a dedent or the end
        # follows it): it goes with it.
        (f"x = 1\n\n# freeze the encoder\n{FREEZE}\ny = 2\n", "x = 1\n\n\ny = 2\n"),
        (f"x = 1\n# freeze the encoder\n{FREEZE}# build the optimizer\ny = 2\n", "x = 1\n# build the optimizer\ny = 2\n"),
        (f"def f():\n    x = 1\n    # off\n    torch.set_grad_enabled(False)\nz = 3\n", "def f():\n    x = 1\nz = 3\n"),
        (f"x = 1\n# freeze the encoder\n{FREEZE}", "x = 1\n"),
        # Code follows in the same paragraph: the comment may say why that code is there. It stays.
        (f"x = 1\n\n# fixed random features, by design: only the head trains\n{FREEZE}head = nn.Linear(4, 1)\n",
         "x = 1\n\n# fixed random features, by design: only the head trains\nhead = nn.Linear(4, 1)\n"),
        ("import torch\n\n# setup copied from predict.py: no autograd\ntorch.set_grad_enabled(False)\ntorch.manual_seed(0)\n",
         "import torch\n\n# setup copied from predict.py: no autograd\ntorch.manual_seed(0)\n"),
        # A comment on the statement's own line, or inside the loop, is part of the code removed.
        ("a = 1\nb = a.half()  # fp16\nc = 2\n", "a = 1\nc = 2\n"),
        (f"a = 1\nfor p in enc.parameters():  # all of them\n    # frozen\n    p.requires_grad = False\nc = 2\n", "a = 1\nc = 2\n"),
        # A comment separated by a blank line is not the statement's.
        (f"x = 1\n# section: the encoder\n\n{FREEZE}y = 2\n", "x = 1\n# section: the encoder\n\ny = 2\n"),
    ],
    ids=["blank-after", "comment-after", "dedent-after", "end-of-file", "code-after", "code-after-simple",
         "own-line", "inside-loop", "blank-between"],
)
def test_removing_a_statement_keeps_comments_about_what_stays(before: str, after: str) -> None:
    line = next(i for i, text in enumerate(before.splitlines(), 1) if text.lstrip().startswith(("for ", "torch.set", "b = ")))
    assert removed(before, line) == after


def test_a_moved_statement_takes_its_comments() -> None:
    text = "x = 1\n# clear the gradients first\nopt.zero_grad()\nopt.step()\n"
    assert removed(text, 3, moved=True) == "x = 1\nopt.step()\n"


@pytest.mark.parametrize(
    ("text", "target", "expected"),
    [
        ("loss = f(x)\nloss = loss.detach()\nloss.backward()\n", "loss.detach()", "loss = f(x)\nloss.backward()\n"),
        ("self.w = self.w.half()  # fp16\ny = 1\n", "self.w.half()", "y = 1\n"),
        # Not a self-assignment: the expression alone changes.
        ("out = loss.detach()\n", "loss.detach()", "out = loss\n"),
        ("a[i] = a[i].detach()\n", "a[i].detach()", "a[i] = a[i]\n"),
    ],
    ids=["name", "attribute", "other-target", "subscript-target"],
)
def test_a_replacement_never_leaves_a_statement_that_does_nothing(text: str, target: str, expected: str) -> None:
    import libcst as cst

    from gradfix.source import SourceFile, descendants

    source = SourceFile("t.py", text)
    [call] = [c for c in descendants(source.module, cst.Call) if source.code(c) == target]
    assert isinstance(call.func, cst.Attribute)
    assert apply_edits(text, [source.replace_node(call, call.func.value)]) == expected


def test_inserted_lines_end_as_the_file_s_lines_do() -> None:
    from gradfix.edits import in_line_endings

    lf = "a = 1\nb = 2\n"
    insert = [edit(2, 0, 2, 0, "x = 0\n")]
    assert in_line_endings(lf, insert) == insert  # a \n file: the edits as the rules made them
    crlf = "a = 1\r\nb = 2\r\n"
    assert apply_edits(crlf, in_line_endings(crlf, insert)) == "a = 1\r\nx = 0\r\nb = 2\r\n"
    # Mixed: each edit takes the ending of the line it starts on; a last line without an ending,
    # the ending of the line before it.
    mixed = "a = 1\r\nb = 2\nc = 3\r\nd = 4"
    edits = [edit(2, 0, 2, 0, "x = 0\n"), edit(3, 0, 3, 0, "y = 0\n"), edit(4, 5, 4, 5, "\ne = 5")]
    assert apply_edits(mixed, in_line_endings(mixed, edits)) == "a = 1\r\nx = 0\nb = 2\ny = 0\r\nc = 3\r\nd = 4\r\ne = 5"
    # A \r\n the rule wrote stays one, and a \n that completes the file's \r is not doubled.
    split = [edit(1, 6, 1, 6, "\n    z = 0\r"), edit(2, 0, 2, 0, "w = 0\r\n")]
    assert apply_edits(crlf, in_line_endings(crlf, split)) == "a = 1\r\n    z = 0\r\nw = 0\r\nb = 2\r\n"
