"""Each rule on small scripts: what it flags, what it leaves alone, and registry hygiene."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import pytest

from gradfix.project import Project
from gradfix.repair import repair
from gradfix.rules import all_rules
from gradfix.sandbox import Sandbox

from conftest import CORPUS, ROOT

RULES = all_rules()


def test_codes_are_distinct_and_every_rule_has_its_page_and_corpus() -> None:
    assert len({r.code for r in RULES}) == len(RULES)
    for rule in RULES:
        assert (ROOT / "docs" / "rules" / f"{rule.slug}.md").exists(), rule.slug
        assert (CORPUS / rule.slug).is_dir(), rule.slug
        page = (ROOT / "docs" / "rules" / f"{rule.slug}.md").read_text()
        for section in ("## What it does", "## Why is this bad?", "## Example", "## Use instead",
                        "## When this is not a bug", "## Fix safety"):
            assert section in page, f"{rule.slug}.md lacks {section}"


def test_readme_lists_every_rule() -> None:
    readme = (ROOT / "README.md").read_text()
    for rule in RULES:
        assert f"[{rule.code}](docs/rules/{rule.slug}.md)" in readme, rule.code


def findings(write_script: Callable[..., Path], text: str, **modules: str) -> list:  # type: ignore[type-arg]
    path = write_script(text, **modules)
    report = repair(str(path), [], Sandbox([str(path.parent)], timeout=30))
    return report.results


def codes(results: list) -> list[str]:  # type: ignore[type-arg]
    return [r.finding.code for r in results]


def test_gf001_gan_picks_the_module_no_optimizer_holds(write_script) -> None:  # type: ignore[no-untyped-def]
    results = findings(write_script, """
        import torch
        from torch import nn, optim
        D = nn.Linear(2, 1)
        G = nn.Linear(3, 2)
        opt_d = optim.Adam(D.parameters())
        opt_g = optim.Adam([])
        for _ in range(3):
            fake = G(torch.randn(4, 3))
            opt_d.zero_grad(); D(fake.detach()).mean().backward(); opt_d.step()
            opt_g.zero_grad(); (-D(fake).mean()).backward(); opt_g.step()
    """)
    [result] = results
    assert result.fix and result.fix.description == "pass G.parameters() to the optimizer"


def test_gf001_tries_the_next_candidate_when_the_first_is_rejected(write_script) -> None:  # type: ignore[no-untyped-def]
    # Both modules are free; the name `opt_a` fits `a`, but only `b` is trained by this loss.
    results = findings(write_script, """
        import torch
        a = torch.nn.Linear(2, 2)
        b = torch.nn.Linear(2, 1)
        opt_a = torch.optim.SGD([], lr=0.1)
        for _ in range(3):
            opt_a.zero_grad()
            loss = b(torch.randn(4, 2)).pow(2).mean()
            loss.backward()
            opt_a.step()
    """)
    [result] = results
    assert [c for c, _ in result.rejected] == ["pass a.parameters() to the optimizer"]
    assert result.fix and result.fix.description == "pass b.parameters() to the optimizer"


def test_gf002_backward_inside_no_grad_with_a_graph_is_left_alone(write_script) -> None:  # type: ignore[no-untyped-def]
    assert findings(write_script, """
        import torch
        model = torch.nn.Linear(2, 1)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        for _ in range(3):
            loss = model(torch.randn(4, 2)).pow(2).mean()
            with torch.no_grad():
                print("logging")
            loss.backward()
            opt.step()
            opt.zero_grad()
    """) == []


def test_gf002_keeps_other_context_managers(write_script) -> None:  # type: ignore[no-untyped-def]
    [result] = findings(write_script, """
        import contextlib
        import torch
        model = torch.nn.Linear(2, 1)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        with torch.no_grad(), contextlib.nullcontext():
            loss = model(torch.randn(4, 2)).pow(2).mean()
            loss.backward()
            opt.step()
    """)
    assert result.fix
    from gradfix.edits import apply_edits

    [patch] = result.fix.patches
    fixed = apply_edits(Path(patch.path).read_text(), patch.edits)
    assert "with contextlib.nullcontext():\n    loss = model" in fixed and "no_grad" not in fixed


def test_gf003_embedding_with_long_indices_is_correct(write_script) -> None:  # type: ignore[no-untyped-def]
    assert findings(write_script, """
        import torch
        emb = torch.nn.Embedding(10, 4)
        opt = torch.optim.SGD(emb.parameters(), lr=0.1)
        for _ in range(3):
            loss = torch.nn.functional.cross_entropy(emb(torch.randint(0, 10, (8,))), torch.randint(0, 4, (8,)))
            opt.zero_grad(); loss.backward(); opt.step()
    """) == []


def test_gf003_casts_to_the_model_dtype_not_float(write_script) -> None:  # type: ignore[no-untyped-def]
    [result] = findings(write_script, """
        import torch
        model = torch.nn.Linear(3, 1).double()
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        x = torch.randn(4, 3)
        for _ in range(3):
            opt.zero_grad(); model(x).sum().backward(); opt.step()
    """)
    assert result.finding.code == "GF003"
    assert result.fix and [e.replacement for p in result.fix.patches for e in p.edits] == ["x.double()"]


def test_gf004_loaded_weights_frozen_is_fine_tuning(write_script) -> None:  # type: ignore[no-untyped-def]
    assert findings(write_script, """
        import torch
        model = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Linear(2, 1))
        model.load_state_dict(torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Linear(2, 1)).state_dict())
        for p in model[0].parameters():
            p.requires_grad = False
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        for _ in range(3):
            opt.zero_grad(); model(torch.randn(4, 2)).sum().backward(); opt.step()
    """) == []


def test_gf004_freeze_left_out_of_the_optimizer_is_intended(write_script) -> None:  # type: ignore[no-untyped-def]
    assert findings(write_script, """
        import torch
        model = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Linear(2, 1))
        model[0].requires_grad_(False)
        opt = torch.optim.SGD(model[1].parameters(), lr=0.1)
        for _ in range(3):
            opt.zero_grad(); model(torch.randn(4, 2)).sum().backward(); opt.step()
    """) == []


def test_faults_in_one_file_compose_into_one_patch(write_script) -> None:  # type: ignore[no-untyped-def]
    path = write_script("""
        import torch
        model = torch.nn.Linear(3, 1)
        optimizer = torch.optim.SGD([], lr=0.1)
        x = torch.randint(0, 5, (4, 3))
        for _ in range(3):
            with torch.no_grad():
                loss = model(x).pow(2).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    """)
    report = repair(str(path), [], Sandbox([str(path.parent)], timeout=30))
    assert codes(report.results) == ["GF001", "GF003", "GF002"]  # in the order the crashes show them
    assert all(r.fix for r in report.results)
    from gradfix.edits import apply_edits

    edits = [e for r in report.results for p in r.fix.patches for e in p.edits]  # type: ignore[union-attr]
    fixed = apply_edits(path.read_text(), edits)
    assert "optimizer = torch.optim.SGD(model.parameters(), lr=0.1)" in fixed
    assert "    loss = model(x.float()).pow(2).mean()\n    optimizer.zero_grad()" in fixed
    assert "no_grad" not in fixed
    assert "ran 3 optimizer steps" in report.final_state
    first = report.results[0].fix.verdict.reason  # type: ignore[union-attr]
    assert "with the fixes after it: model.weight, model.bias now receive gradients and change" in first


def test_ignored_line_is_not_reported(write_script) -> None:  # type: ignore[no-untyped-def]
    assert findings(write_script, """
        import torch
        model = torch.nn.Linear(2, 1)
        model.weight.requires_grad = False  # gradfix: ignore[GF004]
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        for _ in range(3):
            opt.zero_grad(); model(torch.randn(4, 2)).sum().backward(); opt.step()
    """) == []


def test_files_outside_the_project_are_never_edited(tmp_path: Path) -> None:
    project = Project(str(tmp_path))
    import torch

    assert not project.is_editable(torch.__file__)
    assert project.is_editable(str(tmp_path / "train.py"))


def test_gf004_values_copied_in_are_pretrained_weights(write_script) -> None:  # type: ignore[no-untyped-def]
    assert findings(write_script, """
        import torch
        vectors = torch.randn(10, 4)
        model = torch.nn.Sequential(torch.nn.Embedding(10, 4), torch.nn.Linear(4, 1))
        model[0].weight.data.copy_(vectors)
        model[0].weight.requires_grad = False
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        for _ in range(3):
            opt.zero_grad(); model(torch.randint(0, 10, (8,))).sum().backward(); opt.step()
    """) == []


def test_gf004_frozen_random_target_network_is_fine(write_script) -> None:  # type: ignore[no-untyped-def]
    assert findings(write_script, """
        import torch
        target = torch.nn.Linear(4, 4)
        for p in target.parameters():
            p.requires_grad = False
        predictor = torch.nn.Linear(4, 4)
        opt = torch.optim.Adam(predictor.parameters(), lr=1e-3)
        for _ in range(3):
            obs = torch.randn(8, 4)
            loss = (predictor(obs) - target(obs)).pow(2).mean()
            opt.zero_grad(); loss.backward(); opt.step()
    """) == []


def test_gf001_two_modules_one_optimizer_gets_both(write_script) -> None:  # type: ignore[no-untyped-def]
    [result] = findings(write_script, """
        import torch
        encoder = torch.nn.Linear(8, 4)
        decoder = torch.nn.Linear(4, 8)
        optimizer = torch.optim.Adam([], lr=1e-3)
        for _ in range(3):
            x = torch.randn(16, 8)
            loss = (decoder(encoder(x)) - x).pow(2).mean()
            optimizer.zero_grad(); loss.backward(); optimizer.step()
    """)
    assert result.fix
    assert [e.replacement for p in result.fix.patches for e in p.edits] == [
        "list(encoder.parameters()) + list(decoder.parameters())"
    ]


def test_gf003_tensor_used_elsewhere_is_cast_at_the_call(write_script) -> None:  # type: ignore[no-untyped-def]
    [result] = findings(write_script, """
        import torch
        model = torch.nn.Linear(3, 1)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        for step in range(3):
            counts = torch.tensor([[1, 0, 2], [0, 3, 1]], dtype=torch.int64)
            loss = model(counts).pow(2).mean()
            opt.zero_grad(); loss.backward(); opt.step()
            print(torch.bincount(counts.flatten()))
    """)
    assert result.fix and [e.replacement for p in result.fix.patches for e in p.edits] == ["counts.float()"]


def test_gf002_keeps_the_order_and_the_evaluation_under_no_grad(write_script) -> None:  # type: ignore[no-untyped-def]
    path = write_script("""
        import torch
        import torch.nn.functional as F
        model = torch.nn.Linear(3, 1)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        x, y, val_x, val_y = torch.randn(8, 3), torch.randn(8, 1), torch.randn(4, 3), torch.randn(4, 1)
        for _ in range(3):
            with torch.no_grad():
                val_out = model(val_x)
                out = model(x)
                loss = F.mse_loss(out, y)
                loss.backward()
                opt.step()
                opt.zero_grad()
                val_loss = F.mse_loss(val_out, val_y)
                print(loss.item(), val_loss.item())
    """)
    report = repair(str(path), [], Sandbox([str(path.parent)], timeout=30))
    [result] = report.results
    assert result.fix and result.fix.description.startswith("move the training statements out")
    from gradfix.edits import apply_edits

    fixed = apply_edits(path.read_text(), [e for p in result.fix.patches for e in p.edits])
    assert (
        "    with torch.no_grad():\n        val_out = model(val_x)\n"
        "    out = model(x)\n    loss = F.mse_loss(out, y)\n    loss.backward()\n    opt.step()\n    opt.zero_grad()\n"
        "    with torch.no_grad():\n        val_loss = F.mse_loss(val_out, val_y)\n        print(loss.item(), val_loss.item())\n"
    ) in fixed


def test_gf002_explains_a_run_time_condition_that_turned_gradients_off(write_script) -> None:  # type: ignore[no-untyped-def]
    [result] = findings(write_script, """
        import torch
        model = torch.nn.Linear(2, 1)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        for phase in ["training", "val"]:
            with torch.set_grad_enabled(phase == "train"):
                loss = model(torch.randn(4, 2)).pow(2).mean()
                if phase == "training":
                    opt.zero_grad(); loss.backward(); opt.step()
    """)
    assert result.finding.code == "GF002" and result.fix is None
    assert '`torch.set_grad_enabled(phase == "train")` turned gradients off' in result.finding.message


def test_gf001_a_params_list_the_script_fills_is_not_replaced(write_script) -> None:  # type: ignore[no-untyped-def]
    # The name filter matched nothing: which parameters were meant is the user's call, not ours.
    from gradfix.repair import ScriptProblem

    with pytest.raises(ScriptProblem, match="empty parameter list"):
        findings(write_script, """
            import torch
            from torch import nn
            model = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 1))
            params = []
            for name, p in model.named_parameters():
                if name.startswith("head."):
                    params.append(p)
            optimizer = torch.optim.SGD(params, lr=0.1)
        """)
