"""Each rule on small scripts: what it flags, what it leaves alone, and registry hygiene."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import libcst as cst
import pytest

from gradfix.project import Project
from gradfix.findings import Applicability, Report
from gradfix.repair import repair
from gradfix.rules import all_rules
from gradfix.sandbox import Sandbox
from gradfix.source import descendants

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
    # Every candidate is re-run: `a` only gets past the crash (b's parameters stay without an
    # optimizer), so it loses to `b`, which verifies fully.
    assert "pass a.parameters() to the optimizer" in [c for c, _ in result.rejected]
    assert result.fix and result.fix.description == "pass b.parameters() to the optimizer"


def test_gf001_weights_kept_as_buffers_are_handed_to_the_optimizer(write_script) -> None:  # type: ignore[no-untyped-def]
    # model.parameters() is empty: the weights are buffers that require grad. The class's `params()`
    # is tried first; registering them as parameters breaks the class's own swap of plain tensors
    # into those names, which only the re-run shows.
    results = findings(write_script, """
        import torch
        import torch.nn.functional as F
        class Swappable(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.register_buffer("w", torch.randn(1, 3).requires_grad_())
            def params(self):
                yield self.w
            def swap(self, w):
                self.w = w
            def forward(self, x):
                return F.linear(x, self.w)
        model = Swappable()
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        for _ in range(3):
            x = torch.randn(4, 3)
            halved = Swappable()
            halved.swap(model.w * 0.5)  # a functional copy: a plain tensor in place of the buffer
            loss = model(x).pow(2).mean() + halved(x).pow(2).mean()
            opt.zero_grad(); loss.backward(); opt.step()
    """)
    [result] = results
    assert result.fix and result.fix.description == "pass model.params(), the model's own method for its weights, to the optimizer"
    assert "register the weights as parameters instead of buffers" in [c for c, _ in result.rejected]


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


_FIXED_EXTRACTOR = """
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.extractor = nn.Linear(6, 8)
            self.head = nn.Linear(8, 2)

        def forward(self, x):
            with torch.no_grad():
                feats = self.extractor(x)
            return self.head(torch.relu(feats))

    torch.manual_seed(0)
    model = Net()
    opt = torch.optim.SGD(PARAMS, lr=0.1)
    for _ in range(5):
        x, y = torch.randn(8, 6), torch.randint(0, 2, (8,))
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad(); loss.backward(); opt.step()
"""


def test_gf002_no_grad_extractor_in_forward_is_kept_when_the_optimizer_takes_what_requires_grad(write_script) -> None:  # type: ignore[no-untyped-def]
    # Built over what requires grad, with nothing frozen by requires_grad: the block is the freeze.
    # Neither GF002 nor the catch-all GF018 speaks.
    params = "list(filter(lambda p: p.requires_grad, model.parameters()))"
    assert findings(write_script, _FIXED_EXTRACTOR.replace("PARAMS", params)) == []


def test_gf002_no_grad_extractor_in_forward_is_a_fault_with_an_unfiltered_optimizer(write_script) -> None:  # type: ignore[no-untyped-def]
    [result] = findings(write_script, _FIXED_EXTRACTOR.replace("PARAMS", "model.parameters()"))
    assert result.finding.code == "GF002" and result.fix is not None
    assert result.finding.params == ["model.extractor.weight", "model.extractor.bias"]


_EMBEDDING_IN_DATASET = """
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    from torch.utils.data import DataLoader, Dataset

    class Embedded(Dataset):
        def __init__(self, ids, labels, table):
            self.ids, self.labels, self.table = ids, labels, table
        def __len__(self):
            return len(self.ids)
        def __getitem__(self, i):
            with torch.no_grad():
                vectors = self.table(self.ids[i]).mean(0)
            return vectors, self.labels[i]

    torch.manual_seed(0)
    table = nn.Embedding(20, 8)
    head = nn.Linear(8, 2)
    ids, labels = torch.randint(0, 20, (32, 5)), torch.randint(0, 2, (32,))
    loader = DataLoader(Embedded(ids, labels, table), batch_size=8, num_workers=WORKERS)
    opt = torch.optim.SGD(PARAMS, lr=0.1)
    if __name__ == "__main__":
        for _ in range(2):
            for x, y in loader:
                loss = F.cross_entropy(head(x), y)
                opt.zero_grad(); loss.backward(); opt.step()
"""


def test_gf002_an_embedding_the_optimizer_holds_looked_up_under_no_grad_in_a_dataset_is_taken_out_of_the_block(write_script) -> None:  # type: ignore[no-untyped-def]
    script = _EMBEDDING_IN_DATASET.replace("WORKERS", "0").replace("PARAMS", "[*head.parameters(), *table.parameters()]")
    [result] = findings(write_script, script)
    assert result.finding.code == "GF002" and result.fix is not None
    assert result.fix.description == "take the statements out of the no_grad block"
    assert result.finding.params == ["table.weight"]


def test_gf002_a_feature_table_in_a_dataset_with_an_optimizer_over_what_requires_grad_is_left_alone(write_script) -> None:  # type: ignore[no-untyped-def]
    # The block only binds the lookup and the optimizer filters by requires_grad: a fixed extractor.
    # Neither GF002 nor the catch-all GF018 speaks.
    params = "filter(lambda p: p.requires_grad, [*head.parameters(), *table.parameters()])"
    assert findings(write_script, _EMBEDDING_IN_DATASET.replace("WORKERS", "0").replace("PARAMS", params)) == []


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


def test_gf004_everything_frozen_by_from_pretrained_explains_the_crash(write_script) -> None:  # type: ignore[no-untyped-def]
    # Only pre-trained tables, frozen through a setting: backward() crashes. The verified fix
    # flips the one setting, not each call's freeze argument.
    [result] = findings(write_script, """
        import torch
        cfg = {"freeze_tables": True}
        class Towers(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.a = torch.nn.Embedding.from_pretrained(torch.randn(9, 3), freeze=cfg["freeze_tables"])
                self.b = torch.nn.Embedding.from_pretrained(torch.randn(9, 3), freeze=cfg["freeze_tables"])
            def forward(self, i):
                return (self.a(i) * self.b(i)).sum()
        model = Towers()
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        for _ in range(3):
            opt.zero_grad(); model(torch.randint(0, 9, (4,))).backward(); opt.step()
    """)
    assert result.finding.code == "GF004"
    assert result.fix and result.fix.verdict.verified
    assert [e.replacement for p in result.fix.patches for e in p.edits] == ["False"]
    assert result.fix.patches[0].edits[0].start.line == 3


def test_gf004_setting_skipped_by_the_copying_path_is_applied_there(write_script) -> None:  # type: ignore[no-untyped-def]
    # build() applies the trainer's setting; adopt() copies a frozen model and forgets it. The
    # same script with the setting False everywhere gives nothing: the freeze is then meant.
    script = """
        import copy, torch
        class Runner:
            def __init__(self, tune):
                self.tune = tune
            def build(self):
                self.net = torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.Linear(4, 1))
                self.net[0].weight.requires_grad = self.tune
            def adopt(self, other):
                self.net = copy.deepcopy(other.net)
            def fit(self):
                opt = torch.optim.SGD([p for p in self.net.parameters() if p.requires_grad], lr=0.1)
                for _ in range(3):
                    opt.zero_grad(); self.net(torch.randn(8, 4)).pow(2).mean().backward(); opt.step()
        first = Runner(False)
        first.build()
        second = Runner(TUNE)
        second.adopt(first)
        second.fit()
    """
    [result] = findings(write_script, script.replace("TUNE", "True"))
    assert result.finding.code == "GF004" and result.fix and result.fix.verdict.verified
    assert [e.replacement.strip() for p in result.fix.patches for e in p.edits] == ["self.net[0].weight.requires_grad = self.tune"]
    assert findings(write_script, script.replace("TUNE", "False")) == []


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


def test_gf002_a_loss_appended_under_no_grad_leaves_the_block_and_the_accuracy_stays(write_script) -> None:  # type: ignore[no-untyped-def]
    # The loss reaches backward() through a list filled under no_grad; the accuracy next to it
    # needs no graph, so only the append (and the forward it reads) may come out.
    path = write_script("""
        import torch
        import torch.nn.functional as F
        model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        batches = [(torch.randn(6, 4), torch.randint(0, 3, (6,))) for _ in range(2)]
        for _ in range(3):
            losses, hits = [], 0
            for x, y in batches:
                with torch.no_grad():
                    logits = model(x)
                    losses.append(F.cross_entropy(logits, y))
                    hits += (logits.argmax(dim=1) == y).sum().item()
            opt.zero_grad()
            torch.stack(losses).mean().backward()
            opt.step()
    """)
    report = repair(str(path), [], Sandbox([str(path.parent)], timeout=30))
    [result] = report.results
    assert result.finding.code == "GF002" and result.fix is not None
    from gradfix.edits import apply_edits

    fixed = apply_edits(path.read_text(), [e for p in result.fix.patches for e in p.edits])
    assert (
        "        logits = model(x)\n        losses.append(F.cross_entropy(logits, y))\n"
        "        with torch.no_grad():\n            hits += (logits.argmax(dim=1) == y).sum().item()\n"
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


def test_gf024_carried_tuple_state_is_detached_never_retained(write_script) -> None:  # type: ignore[no-untyped-def]
    [result] = findings(write_script, """
        import torch
        lstm = torch.nn.LSTM(3, 5)
        opt = torch.optim.SGD(lstm.parameters(), lr=0.1)
        state = None
        for _ in range(4):
            out, state = lstm(torch.randn(6, 1, 3), state)
            opt.zero_grad()
            out.pow(2).mean().backward()
            opt.step()
    """)
    assert result.finding.code == "GF024"
    assert not any("retain_graph" in c.description for c in result.finding.candidates)
    assert result.fix is not None
    [patch] = result.fix.patches
    assert [e.replacement.strip() for e in patch.edits] == ["state = tuple(t.detach() for t in state)"]


def test_gf024_graph_built_once_before_the_loop_from_a_trained_layer_is_only_moved(write_script) -> None:  # type: ignore[no-untyped-def]
    # Nothing is carried from one iteration to the next: the stale graph comes from before the
    # loop, through `net`, which the optimizer trains. Detaching `memory` or computing it under
    # no_grad would verify (net still learns through the loss's other term) and stop net learning
    # through it: only the move into the loop is offered, and as unsafe (it draws a new input).
    [result] = findings(write_script, """
        import torch
        net = torch.nn.Linear(4, 4)
        opt = torch.optim.SGD(net.parameters(), lr=0.1)
        memory = net(torch.randn(2, 4))
        for _ in range(3):
            loss = (net(torch.randn(2, 4)) - memory).pow(2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
    """)
    assert result.finding.code == "GF024"
    assert [c.description for c in result.finding.candidates] == ["compute memory in the loop, before line 7 reads it: a new graph at every step"]
    assert result.finding.candidates[0].applicability is Applicability.UNSAFE


def test_gf025_only_casts_tied_to_the_float16_parameters_are_candidates(write_script) -> None:  # type: ignore[no-untyped-def]
    # The input's .half() is data, not a parameter: it is never a candidate.
    [result] = findings(write_script, """
        import torch
        model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 1))
        model = model.half()
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        scaler = torch.amp.GradScaler("cpu")
        for _ in range(4):
            x = torch.randn(16, 4).half()
            opt.zero_grad()
            with torch.autocast("cpu", dtype=torch.float16):
                loss = model(x).float().pow(2).mean()
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()
    """)
    assert result.finding.code == "GF025"
    assert [c.description for c in result.finding.candidates] == [
        "keep the parameters in float32 (line 4: model.half()); autocast does the float16 math"
    ]
    assert result.fix is not None and result.fix.patches[0].edits[0].replacement == ""


def test_gf025_a_model_the_run_names_self_is_fixed_where_its_variable_is_cast(write_script) -> None:  # type: ignore[no-untyped-def]
    # The model builds its own optimizer, so the run names its parameters `self.*`; the cast is
    # on the function's local `net`, followed back to `Net()`. The fixed run names them `net.*`.
    [result] = findings(write_script, """
        import torch

        class Net(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = torch.nn.Linear(4, 1)
            def forward(self, x):
                return self.fc(x)
            def configure_optimizers(self):
                return torch.optim.SGD(self.parameters(), lr=0.1)

        def train():
            net = Net()
            net.half()
            opt = net.configure_optimizers()
            scaler = torch.amp.GradScaler("cpu")
            for _ in range(4):
                opt.zero_grad()
                with torch.autocast("cpu", dtype=torch.float16):
                    loss = net(torch.randn(16, 4)).float().pow(2).mean()
                scaler.scale(loss).backward()
                scaler.step(opt)
                scaler.update()

        train()
    """)
    assert result.finding.code == "GF025"
    assert result.finding.params == ["self.fc.weight", "self.fc.bias"]
    assert result.fix is not None
    assert result.fix.description == "keep the parameters in float32 (line 15: net.half()); autocast does the float16 math"
    assert result.fix.patches[0].edits[0].replacement == ""


def test_gf021_modules_inside_lists_and_groups_ask_for_their_parameters(write_script) -> None:  # type: ignore[no-untyped-def]
    [result] = findings(write_script, """
        import torch
        a = torch.nn.Linear(4, 4)
        b = torch.nn.Linear(4, 2)
        opt = torch.optim.SGD([dict(params=a, lr=0.1), {"params": (b,)}], lr=0.01)
        for _ in range(3):
            opt.zero_grad(); b(a(torch.randn(8, 4))).sum().backward(); opt.step()
    """)
    assert result.finding.code == "GF021" and result.fix is not None
    assert result.fix.description == 'pass [dict(params=a.parameters(), lr=0.1), {"params": b.parameters()}] to the optimizer'


def test_gf021_a_module_iterated_outside_an_optimizer_is_not_rewritten(write_script) -> None:  # type: ignore[no-untyped-def]
    # `list(model)` fails with the same "not iterable", but it builds no optimizer.
    from gradfix.repair import ScriptProblem

    with pytest.raises(ScriptProblem, match="not iterable"):
        findings(write_script, """
            import torch
            model = torch.nn.Linear(4, 2)
            layers = list(model)
            opt = torch.optim.SGD(model.parameters(), lr=0.1)
        """)


def test_gf022_near_miss_names() -> None:
    from gradfix.rules.misspelled_init import is_near_init

    for name in ("_init_", "__int__", "__init", "init__", "__inti__", "__initi__", "_init__", "__init_", "___init__"):
        assert is_near_init(name), name
    for name in ("__init__", "init", "_init", "_init_weights", "init_weights", "initialize", "__iter__", "__index__"):
        assert not is_near_init(name), name


def test_gf022_renames_first_then_gf001_fills_the_empty_list(write_script) -> None:  # type: ignore[no-untyped-def]
    # Both faults: GF001 has nothing to offer while the model has no parameters; once the rename
    # builds them, it passes model.parameters().
    results = findings(write_script, """
        import torch
        from torch import nn

        class Net(nn.Module):
            def __int__(self):
                super().__init__()
                self.fc = nn.Linear(4, 2)

            def forward(self, x):
                return self.fc(x)

        model = Net()
        opt = torch.optim.SGD([], lr=0.1)
        for _ in range(3):
            opt.zero_grad(); model(torch.randn(8, 4)).sum().backward(); opt.step()
    """)
    assert codes(results) == ["GF022", "GF001"]
    assert all(r.fix is not None for r in results)
    assert results[0].fix.description == "rename Net.__int__ to __init__"  # type: ignore[union-attr]


def test_gf022_a_real_int_hook_is_not_a_constructor(write_script) -> None:  # type: ignore[no-untyped-def]
    # `__int__` that returns a number is int()'s hook: the crash is someone else's business.
    from gradfix.repair import ScriptProblem

    with pytest.raises(ScriptProblem, match="no attribute 'fc'"):
        findings(write_script, """
            import torch
            from torch import nn

            class Net(nn.Module):
                def __int__(self):
                    return len(self._modules)

                def forward(self, x):
                    return self.fc(x)

            model = Net()
            opt = torch.optim.SGD([torch.zeros(2, requires_grad=True)], lr=0.1)
            model(torch.randn(2, 4))
        """)


def test_gf023_probe_records_inplace_ops_on_graph_tensors_only(write_script) -> None:  # type: ignore[no-untyped-def]
    path = write_script("""
        import torch
        from torch import nn
        net = nn.Sequential(nn.Linear(4, 4), nn.ReLU(inplace=True))
        opt = torch.optim.SGD(net.parameters(), lr=0.1)
        correct = torch.zeros(())
        for _ in range(3):
            h = net(torch.randn(2, 4))
            h += 1
            correct += (h > 0).sum()
            with torch.no_grad():
                net[0].weight.mul_(1.0)
            opt.zero_grad(); h.sum().backward(); opt.step()
    """)
    trace = Sandbox([str(path.parent)], timeout=30).run(str(path), []).trace
    by_op = {e.op: e for e in trace.inplace_ops}
    assert set(by_op) == {"add_", "relu"}  # not the metric, not the update under no_grad
    assert by_op["add_"].site.line == 9 and by_op["add_"].grad_fn == "ReluBackward0" and by_op["add_"].shapes == [[2, 4]]
    relu = by_op["relu"]
    assert relu.in_module and relu.inplace_arg and relu.module == "torch.nn.modules.activation.ReLU"
    assert relu.site.line == 8 and relu.module_site is not None and relu.module_site.line == 4


def test_gf023_two_tensors_modified_before_one_backward_are_fixed_in_turn(write_script) -> None:  # type: ignore[no-untyped-def]
    path = write_script("""
        import torch
        from torch import nn
        net = nn.Linear(4, 4)
        opt = torch.optim.SGD(net.parameters(), lr=0.1)

        def squash(h):
            torch.sigmoid_(h)
            return h

        for _ in range(3):
            e = squash(torch.exp(net(torch.randn(2, 4))))
            t = torch.tanh(net(torch.randn(2, 4)))
            t = t.mul_(2)
            opt.zero_grad(); (e.sum() + t.sum()).backward(); opt.step()
    """)
    report = repair(str(path), [], Sandbox([str(path.parent)], timeout=30))
    assert codes(report.results) == ["GF023", "GF023"]
    assert [r.fix.description for r in report.results if r.fix] == [
        "write `t = t.mul(2)` (out of place) instead of `t = t.mul_(2)`",
        "write `h = torch.sigmoid(h)` (out of place) instead of `torch.sigmoid_(h)`",
    ]
    assert "stops with" not in report.final_state


def test_gf023_a_loop_variable_is_explained_without_a_fix(write_script) -> None:  # type: ignore[no-untyped-def]
    # `f += 1` updates the list; `f = f + 1` would not: no rewrite is right, the line is shown.
    results = findings(write_script, """
        import torch
        from torch import nn
        net = nn.Linear(4, 4)
        opt = torch.optim.SGD(net.parameters(), lr=0.1)
        for _ in range(3):
            feats = [torch.sigmoid(net(torch.randn(2, 4))) for _ in range(2)]
            for f in feats:
                f += 1
            opt.zero_grad(); sum(f.sum() for f in feats).backward(); opt.step()
    """)
    [result] = results
    assert result.finding.code == "GF023" and result.finding.line == 9
    assert result.fix is None and not result.finding.candidates


def test_gf023_an_optimizer_step_before_the_second_backward_is_not_an_inplace_op(write_script) -> None:  # type: ignore[no-untyped-def]
    # The GAN ordering fault: D's step changes the weights G's loss still needs. A harmless
    # in-place add in the script is not to blame.
    results = findings(write_script, """
        import torch
        from torch import nn
        G = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 4))
        D = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 1))
        opt_g = torch.optim.Adam(G.parameters(), 1e-3)
        opt_d = torch.optim.Adam(D.parameters(), 1e-3)
        bce = nn.BCEWithLogitsLoss()
        for _ in range(3):
            fake = G(torch.randn(16, 8))
            fake += 0.0
            d_loss = bce(D(torch.randn(16, 4)), torch.ones(16, 1)) + bce(D(fake), torch.zeros(16, 1))
            g_loss = bce(D(fake), torch.ones(16, 1))
            opt_d.zero_grad(); d_loss.backward(retain_graph=True); opt_d.step()
            opt_g.zero_grad(); g_loss.backward(); opt_g.step()
    """)
    assert "GF023" not in codes(results)


def test_gf023_a_parameter_modified_in_place_in_forward_is_computed_out_of_place(write_script) -> None:  # type: ignore[no-untyped-def]
    # torch refuses an in-place op on a trainable leaf at once; the probe records it first.
    results = findings(write_script, """
        import torch
        from torch import nn
        class Gain(nn.Module):
            def __init__(self):
                super().__init__()
                self.gain = nn.Parameter(torch.ones(4))
                self.lin = nn.Linear(4, 1)
            def forward(self, x):
                return self.lin(x * self.gain.abs_())
        model = Gain()
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        for _ in range(3):
            loss = model(torch.randn(8, 4)).pow(2).mean()
            opt.zero_grad(); loss.backward(); opt.step()
    """)
    [result] = results
    assert result.finding.code == "GF023" and result.finding.line == 10 and result.finding.params == ["model.gain"]
    assert result.fix is not None
    assert result.fix.description == "write `self.gain.abs()` (out of place) instead of `self.gain.abs_()`"


def test_gf023_leaves_a_manual_update_of_a_leaf_outside_forward_alone(write_script) -> None:  # type: ignore[no-untyped-def]
    # The same message for `w -= lr * w.grad` with gradients on is GF015's: it is no forward.
    results = findings(write_script, """
        import torch
        w = torch.randn(4, 1, requires_grad=True)
        for _ in range(3):
            x = torch.randn(8, 4)
            loss = ((x @ w - x.sum(1, keepdim=True)) ** 2).mean()
            loss.backward()
            w -= 0.1 * w.grad
            w.grad.zero_()
    """)
    assert "GF023" not in codes(results) and "GF015" in codes(results)


def test_gf023_a_chain_that_reads_its_view_again_is_fixed_on_a_copy(write_script) -> None:  # type: ignore[no-untyped-def]
    # In place, `.add_(b)` adds the doubled `b`; `b = b.mul(2).add(b)` would add the old one.
    results = findings(write_script, """
        import torch
        from torch import nn
        net = nn.Linear(4, 8)
        opt = torch.optim.SGD(net.parameters(), lr=0.1)
        for _ in range(3):
            a, b = net(torch.randn(2, 4)).chunk(2, dim=-1)
            b.mul_(2).add_(b)
            opt.zero_grad(); (a * b).sum().backward(); opt.step()
    """)
    [result] = results
    assert result.finding.code == "GF023" and result.finding.line == 8 and "output 1 of Split" in result.finding.message
    assert [c.description for c in result.finding.candidates] == ["copy `b` right before `b.mul_(2).add_(b)` modifies it"]
    assert result.fix is not None


def test_gf023_a_loop_over_a_tensor_is_explained_without_a_fix(write_script) -> None:  # type: ignore[no-untyped-def]
    # Iterating over a tensor unbinds it; `row = row.clamp(0)` would not change `h` as `row.clamp_(0)` meant to.
    results = findings(write_script, """
        import torch
        from torch import nn
        net = nn.Linear(4, 4)
        opt = torch.optim.SGD(net.parameters(), lr=0.1)
        for _ in range(3):
            h = net(torch.randn(2, 4))
            for row in h:
                row.clamp_(0)
            opt.zero_grad(); h.sum().backward(); opt.step()
    """)
    [result] = results
    assert result.finding.code == "GF023" and result.finding.line == 9 and "Unbind" in result.finding.message
    assert result.fix is None and not result.finding.candidates


def test_gf023_leaves_a_view_of_a_leaf_modified_outside_forward_alone(write_script) -> None:  # type: ignore[no-untyped-def]
    # "a view of a leaf Variable ..." at the script's own level is an update, not a forward's op.
    from gradfix.repair import ScriptProblem

    text = """
        import torch
        from torch import nn
        emb = nn.Embedding(10, 4)
        opt = torch.optim.SGD(emb.parameters(), lr=0.1)
        for _ in range(3):
            loss = emb(torch.randint(0, 10, (8,))).pow(2).mean()
            opt.zero_grad(); loss.backward(); opt.step()
            emb.weight[0].zero_()
    """
    try:
        results = findings(write_script, text)
    except ScriptProblem:  # nothing explains it
        results = []
    assert "GF023" not in codes(results)


def test_gf035_probe_names_the_step_and_the_forward_to_run_again(write_script) -> None:  # type: ignore[no-untyped-def]
    path = write_script("""
        import torch
        from torch import nn
        G, D = nn.Linear(8, 4), nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 1))
        opt_g, opt_d = torch.optim.Adam(G.parameters()), torch.optim.Adam(D.parameters())

        def update(opt, loss, retain=False):
            opt.zero_grad()
            loss.backward(retain_graph=retain)
            opt.step()

        for _ in range(3):
            fake = G(torch.randn(16, 8))
            scores = D(fake)
            d_loss = (D(torch.randn(16, 4)) - 1).pow(2).mean() + scores.pow(2).mean()
            g_loss = (scores - 1).pow(2).mean()
            update(opt_d, d_loss, retain=True)
            update(opt_g, g_loss)
    """)
    trace = Sandbox([str(path.parent)], timeout=30).run(str(path), []).trace
    fact = trace.stepped_before_backward
    assert fact is not None and fact.params == ["D.2.weight"] and fact.optimizer == 1
    assert [s.line for s in fact.step_sites] == [10, 17] and [s.line for s in fact.backward_sites] == [9, 18]
    assert [[s.line for s in chain] for chain in fact.forwards] == [[14]]
    assert "g_loss" not in fact.graphless[1] and "fake" not in fact.graphless[1]


def test_gf035_the_gan_step_order_moves_the_generator_loss_after_the_step(write_script) -> None:  # type: ignore[no-untyped-def]
    path = write_script("""
        import torch
        from torch import nn
        G = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 4))
        D = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 1))
        opt_g = torch.optim.Adam(G.parameters(), 1e-3)
        opt_d = torch.optim.Adam(D.parameters(), 1e-3)
        bce = nn.BCEWithLogitsLoss()
        for _ in range(3):
            fake = G(torch.randn(16, 8))
            d_loss = bce(D(torch.randn(16, 4)), torch.ones(16, 1)) + bce(D(fake), torch.zeros(16, 1))
            g_loss = bce(D(fake), torch.ones(16, 1))
            opt_d.zero_grad(); d_loss.backward(retain_graph=True); opt_d.step()
            opt_g.zero_grad(); g_loss.backward(); opt_g.step()
    """)
    report = repair(str(path), [], Sandbox([str(path.parent)], timeout=30))
    [result] = report.results
    assert result.finding.code == "GF035" and result.fix is not None
    assert result.fix.description == "move `g_loss = bce(D(fake), torch.ones(16, 1))` after `opt_d.step()`"
    assert result.fix.also_verified == ["call `opt_d.step()` after `g_loss.backward()`"]
    assert "stops with" not in report.final_state


def test_gf028_star_args_forward_is_explained_without_a_fix(write_script) -> None:  # type: ignore[no-untyped-def]
    # forward(ctx, *tensors): which input each gradient belongs to is not written anywhere.
    results = findings(write_script, """
        import torch
        from torch import nn
        class Mul(torch.autograd.Function):
            @staticmethod
            def forward(ctx, *tensors):
                ctx.save_for_backward(*tensors)
                return tensors[0] * tensors[1]
            @staticmethod
            def backward(ctx, grad_output):
                a, b = ctx.saved_tensors
                return grad_output * b
        w = nn.Parameter(torch.randn(4))
        opt = torch.optim.SGD([w], lr=0.1)
        for _ in range(3):
            opt.zero_grad(); Mul.apply(torch.randn(2, 4), w).sum().backward(); opt.step()
    """)
    [result] = results
    assert result.finding.code == "GF028" and result.finding.line == 10
    assert result.fix is None and not result.finding.candidates


def test_gf028_never_returns_a_gradient_its_names_do_not_give(write_script) -> None:  # type: ignore[no-untyped-def]
    # g1 and g2 say nothing about a and b; grad_output would pass the re-run (torch sums it down
    # to w's shape) and be wrong: no fix is offered.
    results = findings(write_script, """
        import torch
        from torch import nn
        class Mul(torch.autograd.Function):
            @staticmethod
            def forward(ctx, a, b):
                ctx.save_for_backward(a, b)
                return a * b
            @staticmethod
            def backward(ctx, grad_output):
                a, b = ctx.saved_tensors
                g1 = grad_output * b
                g2 = (grad_output * a).sum(0)
        w = nn.Parameter(torch.randn(4))
        opt = torch.optim.SGD([w], lr=0.1)
        for _ in range(3):
            opt.zero_grad(); Mul.apply(torch.randn(2, 4), w).sum().backward(); opt.step()
    """)
    [result] = results
    assert result.finding.code == "GF028" and result.fix is None


def test_gf015_inplace_initialisation_before_any_backward_is_not_a_manual_update(write_script) -> None:  # type: ignore[no-untyped-def]
    # `self.w.normal_()` outside no_grad crashes with the same message, but no gradient was ever
    # computed and none is read: not GF015's fault.
    from gradfix.repair import ScriptProblem

    with pytest.raises(ScriptProblem, match="leaf Variable"):
        findings(write_script, """
            import torch
            from torch import nn
            class Net(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.w = nn.Parameter(torch.empty(3, 1))
                    self.w.normal_(0, 0.02)
            net = Net()
            opt = torch.optim.SGD(net.parameters(), lr=0.1)
            for _ in range(3):
                opt.zero_grad(); (torch.randn(4, 3) @ net.w).sum().backward(); opt.step()
        """)


def test_gf015_inplace_update_leaves_the_clipping_next_to_it_alone(write_script) -> None:  # type: ignore[no-untyped-def]
    [result] = findings(write_script, """
        import torch
        x = torch.randn(64, 3)
        y = x.sum(1, keepdim=True)
        w = torch.zeros(3, 1, requires_grad=True)
        for _ in range(5):
            loss = ((x @ w - y) ** 2).mean()
            loss.backward()
            torch.nn.utils.clip_grad_norm_([w], 1.0)
            w.add_(w.grad, alpha=-0.1)
            w.grad = None
    """)
    assert result.finding.code == "GF015" and result.fix is not None
    [edit] = result.fix.patches[0].edits
    assert edit.replacement == "    with torch.no_grad():\n        w.add_(w.grad, alpha=-0.1)\n"


def test_gf021_single_tensor_through_a_helper_called_twice_is_wrapped_at_its_caller(write_script) -> None:  # type: ignore[no-untyped-def]
    # Wrapping inside the helper would break its first caller, which passes parameters(): the
    # re-run rejects that candidate, and the caller that passed the tensor gets the list.
    [result] = findings(write_script, """
        import torch
        def build(params, lr=0.1):
            return torch.optim.SGD(params, lr=lr)
        net = torch.nn.Linear(3, 1)
        scale = torch.nn.Parameter(torch.ones(1))
        opt_net = build(net.parameters())
        opt_scale = build(scale, lr=0.01)
        for _ in range(3):
            loss = (net(torch.randn(8, 3)) * scale).pow(2).mean()
            opt_net.zero_grad(); opt_scale.zero_grad(); loss.backward(); opt_net.step(); opt_scale.step()
    """)
    assert result.finding.code == "GF021" and result.fix is not None
    assert result.fix.description == "pass [scale] to build()"
    assert result.finding.params == ["scale"]


def test_gf019_zero_factor_candidates_by_keyword_position_and_constant() -> None:
    from gradfix.rules.zero_learning_rate import ZeroLearningRate
    from gradfix.source import SourceFile
    from gradfix.trace import SchedulerFact, Site

    text = (
        "import torch\n"
        "DECAY = 0\n"
        "a = torch.optim.lr_scheduler.StepLR(opt, 2, 0)\n"
        "b = torch.optim.lr_scheduler.ExponentialLR(opt, gamma=DECAY)\n"
        "c = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, 'min', factor=0.0, patience=0)\n"
        "d = torch.optim.lr_scheduler.StepLR(opt, 2, 0, -1)\n"
        "e = torch.optim.lr_scheduler.StepLR(opt, 2, gamma=0.5)\n"
    )
    source = SourceFile("t.py", text)
    rule = ZeroLearningRate()

    def described(line: int, cls: str) -> list[str]:
        fact = SchedulerFact(f"torch.optim.lr_scheduler.{cls}", Site("t.py", line), 0)
        return [c.description.split(":")[0] for c in rule._candidates(source, fact)]

    assert described(3, "StepLR") == ["gamma 1 instead of `0`", "drop the gamma argument `0`"]
    assert described(4, "ExponentialLR") == ["`DECAY = 1`"]  # no default gamma to fall back on
    assert described(5, "ReduceLROnPlateau") == ["drop `factor=0.0`"]  # a factor of 1 is refused
    assert described(6, "StepLR") == ["gamma 1 instead of `0`"]  # last_epoch follows: not dropped
    assert described(7, "StepLR") == []


def test_gf026_forward_locals_are_bound_names_not_attribute_targets() -> None:
    import libcst as cst

    from gradfix.rules.module_built_in_forward import _local_names, _peel_moves

    forward = cst.parse_module(
        "def forward(self, x, *rest, scale=1):\n"
        "    h = self.body(x)\n"
        "    self.head = nn.Linear(h.shape[1], self.classes)\n"
        "    for i, (a, b) in enumerate(rest):\n"
        "        self.cache[i] = a\n"
        "    with torch.no_grad() as ctx:\n"
        "        pass\n"
        "    return self.head(h)\n"
    ).body[0]
    assert isinstance(forward, cst.FunctionDef)
    local = _local_names(forward)
    assert local == {"x", "rest", "scale", "h", "i", "a", "b", "ctx"}
    call = cst.parse_expression("nn.Linear(h.shape[1], 4).to(h.device).cuda()")
    assert isinstance(call, cst.Call)
    layer, kept = _peel_moves(call, local)
    assert cst.Module([]).code_for_node(layer) == "nn.Linear(h.shape[1], 4)"
    assert [cst.Module([]).code_for_node(m) for m in kept] == ["nn.Linear(h.shape[1], 4).to(h.device).cuda()"]


def test_gf027_markings_on_the_loss_and_its_copies_only() -> None:
    from gradfix.rules.silenced_graph_error import SilencedGraphError
    from gradfix.source import SourceFile

    text = (
        "x.requires_grad_()\n"
        "loss = crit(model(x), y)\n"
        "loss = loss.clone().requires_grad_(True)\n"
        "loss.requires_grad = True\n"
        "total = (loss * 2).requires_grad_()\n"
        "loss.requires_grad_(False)\n"
    )
    source = SourceFile("t.py", text)
    marks = SilencedGraphError._markings(source, {"loss", "total"})
    assert [source.range(m).start.line for m in marks] == [3, 4, 5]
    edits = [SilencedGraphError._unmark(source, m) for m in marks]
    from gradfix.edits import apply_edits

    assert apply_edits(text, [e for e in edits if e is not None]) == (
        "x.requires_grad_()\n"
        "loss = crit(model(x), y)\n"
        "total = (loss * 2)\n"
        "loss.requires_grad_(False)\n"
    )


def test_gf027_rewraps_of_the_loss_are_markings_too() -> None:
    import libcst as cst

    from gradfix.edits import apply_edits
    from gradfix.rules.silenced_graph_error import SilencedGraphError
    from gradfix.source import SourceFile

    text = (
        "import torch\n"
        "from torch import nn\n"
        "from torch.autograd import Variable as V\n"
        "w = V(torch.zeros(3), requires_grad=True)\n"
        "loss = crit(model(x), y)\n"
        "loss = V(loss.data, requires_grad=True)\n"
        "total = nn.Parameter(loss * 2)\n"
        "other = torch.tensor(loss.item(), requires_grad=True)\n"
        "kept = torch.tensor(loss.item())\n"
        "total = torch.tensor(loss.detach().cpu().numpy()).requires_grad_()\n"
        "torch.autograd.Variable(loss, requires_grad=True).backward()\n"
    )
    source = SourceFile("t.py", text)
    [backward] = [
        c for c in source.nodes_at(source.site(source.module.body[-1]), cst.Call)
        if isinstance(c.func, cst.Attribute) and c.func.attr.value == "backward"
    ]
    marks = SilencedGraphError._markings(source, {"loss", "total"}, [backward.func.value])  # type: ignore[attr-defined]
    assert [source.range(m).start.line for m in marks] == [6, 7, 10, 11]
    edits = [SilencedGraphError._unmark(source, m) for m in marks]
    assert apply_edits(text, [e for e in edits if e is not None]) == (
        "import torch\n"
        "from torch import nn\n"
        "from torch.autograd import Variable as V\n"
        "w = V(torch.zeros(3), requires_grad=True)\n"
        "loss = crit(model(x), y)\n"
        "total = loss * 2\n"
        "other = torch.tensor(loss.item(), requires_grad=True)\n"
        "kept = torch.tensor(loss.item())\n"
        "total = loss\n"
        "loss.backward()\n"
    )


def test_gf020_zero_grad_beside_a_step_is_the_one_of_its_own_block() -> None:
    import libcst as cst

    from gradfix.rules.wrong_optimizer import WrongOptimizer
    from gradfix.source import SourceFile

    text = (
        "def train(a, b):\n"
        "    opt_a.zero_grad()\n"
        "    a.backward()\n"
        "    opt_a.step()\n"
        "    opt_a.zero_grad()\n"
        "    b.backward()\n"
        "    opt_a.step()\n"
        "    opt_a.zero_grad()\n"
        "    log(b)\n"
    )
    source = SourceFile("t.py", text)
    steps = [c for c in source.positions if isinstance(c, cst.Call) and source.code(c) == "opt_a.step()"]
    second = max(steps, key=lambda c: source.range(c).start.line)
    beside = WrongOptimizer._zero_grads_beside(source, second, "opt_a")
    assert [source.range(c).start.line for c in beside] == [5, 8]


def test_gf018_leaves_layers_rebuilt_in_forward_to_gf026(write_script) -> None:  # type: ignore[no-untyped-def]
    # The heads built at earlier calls are held by the optimizer and never change; GF026 names the
    # fault (without a fix: the Sequential's input size is not known), GF018 does not repeat it.
    results = findings(write_script, """
        import torch
        from torch import nn

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.body = nn.Linear(10, 20)

            def forward(self, x):
                h = self.body(x)
                self.head = nn.Sequential(nn.Linear(h.shape[-1], 8), nn.ReLU(), nn.Linear(8, 2))
                return self.head(h)

        net = Net()
        net(torch.randn(2, 10))
        opt = torch.optim.SGD(net.parameters(), lr=0.1)
        for _ in range(4):
            loss = net(torch.randn(4, 10)).pow(2).mean()
            opt.zero_grad(); loss.backward(); opt.step()
    """)
    assert codes(results) == ["GF026"]


def test_gf026_parameter_made_in_forward_is_named_by_its_module_path_and_moved_to_init(write_script) -> None:  # type: ignore[no-untyped-def]
    # The nested instance's parameter is new at every call; the user sees its path, not
    # `<tensor#N>`, and a verified fix that makes it once in __init__ without the input's device.
    results = findings(write_script, """
        import torch
        from torch import nn

        class Scale(nn.Module):
            def __init__(self, width):
                super().__init__()
                self.width = width
                self.fc = nn.Linear(width, width)

            def forward(self, x):
                self.gain = nn.Parameter(torch.ones(self.width, device=x.device))
                return self.fc(x) * self.gain

        model = nn.Sequential(nn.Linear(3, 8), Scale(8))
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        for _ in range(4):
            loss = model(torch.randn(4, 3)).pow(2).mean()
            opt.zero_grad(); loss.backward(); opt.step()
    """)
    assert codes(results) == ["GF026"]
    result = results[0]
    assert result.finding.params == ["model.1.gain"]
    assert result.fix is not None and result.fix.verdict.verified and not result.fix.verdict.partial
    inserted = "".join(e.replacement for patch in result.fix.patches for e in patch.edits)
    assert inserted.strip() == "self.gain = nn.Parameter(torch.ones(self.width))"


def test_gf026_moves_a_requires_grad_tensor_made_in_forward_to_init_as_a_parameter(write_script) -> None:  # type: ignore[no-untyped-def]
    # Wrapped where it stands (GF007's fix), it would still be new at every call: it must move.
    results = findings(write_script, """
        import torch
        from torch import nn

        class Gate(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(5, 5)

            def forward(self, x):
                self.logit = torch.zeros(5, requires_grad=True)
                return self.fc(x) * torch.sigmoid(self.logit)

        model = Gate()
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        for _ in range(4):
            loss = model(torch.randn(4, 5)).pow(2).mean()
            opt.zero_grad(); loss.backward(); opt.step()
    """)
    assert codes(results) == ["GF026"]
    fix = results[0].fix
    assert fix is not None and fix.verdict.verified and not fix.verdict.partial
    inserted = "".join(e.replacement for patch in fix.patches for e in patch.edits)
    assert inserted.strip() == "self.logit = nn.Parameter(torch.zeros(5))"


def test_gf026_leaves_a_parameter_made_once_in_the_first_forward_alone(write_script) -> None:  # type: ignore[no-untyped-def]
    results = findings(write_script, """
        import torch
        from torch import nn

        class Head(nn.Module):
            def forward(self, x):
                if not hasattr(self, "w"):
                    self.w = nn.Parameter(torch.randn(x.shape[-1], 1))
                return x @ self.w

        model = Head()
        model(torch.randn(1, 5))
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        for _ in range(4):
            loss = model(torch.randn(4, 5)).pow(2).mean()
            opt.zero_grad(); loss.backward(); opt.step()
    """)
    assert codes(results) == []


def test_gf022_super_call_with_the_same_typo_is_the_constructor_but_an_extended_hook_is_not() -> None:
    import libcst as cst

    from gradfix.rules.misspelled_init import base_constructor_calls, misspelled_constructor
    from gradfix.source import SourceFile

    typo = SourceFile("typo.py", (
        "import torch.nn as nn\n"
        "class Typo(nn.Module):\n"
        "    def _init_(self):\n"
        "        super(Typo, self)._init_()\n"
        "        self.fc = nn.Linear(2, 2)\n"
    ))
    hook = SourceFile("hook.py", (
        "import torch.nn as nn\n"
        "class Base(nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.build()\n"
        "    def _init_(self):\n"
        "        self.norm = nn.LayerNorm(2)\n"
        "class Hook(Base):\n"
        "    def _init_(self):\n"
        "        super()._init_()\n"
        "        self.fc = nn.Linear(2, 2)\n"
    ))
    [cls] = [c for c in typo.module.body if isinstance(c, cst.ClassDef)]
    method = misspelled_constructor(typo, cls)
    assert method is not None and len(base_constructor_calls(cls, method)) == 1
    # Base defines `_init_` too: Hook overrides a hook of its base, even where nothing in this
    # file calls it by name (the base's constructor calls it through another method here).
    [cls] = [c for c in hook.module.body if isinstance(c, cst.ClassDef) and c.name.value == "Hook"]
    assert misspelled_constructor(hook, cls) is None


def test_gf010_rebuilds_only_when_the_hyperparameters_did_not_change(write_script) -> None:  # type: ignore[no-untyped-def]
    # `lr` is lowered for the second phase: the script's own constructor would now build another
    # optimizer, so the new head is added to the old one instead.
    [result] = findings(write_script, """
        import torch
        from torch import nn
        lr = 0.05
        model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
        optimizer = torch.optim.SGD(model.parameters(), lr=lr)
        x, y = torch.randn(16, 4), torch.randint(0, 3, (16,))
        for _ in range(3):
            optimizer.zero_grad(); nn.functional.cross_entropy(model(x), y).backward(); optimizer.step()
        lr = lr / 10
        model[2] = nn.Linear(8, 2)
        for _ in range(3):
            optimizer.zero_grad(); nn.functional.cross_entropy(model(x), y % 2).backward(); optimizer.step()
    """)
    assert result.finding.code == "GF010"
    assert [c.description for c in result.finding.candidates] == ["add the new layers' parameters to the optimizer after the replacement"]
    assert result.fix is not None
    [patch] = result.fix.patches
    assert [e.replacement for e in patch.edits] == ['optimizer.add_param_group({"params": model[2].parameters()})\n']


def test_gf010_rebuilds_a_trainers_optimizer_and_scheduler_through_the_caller(write_script) -> None:  # type: ignore[no-untyped-def]
    # The Trainer builds the model itself, so the swap cannot move above it: the optimizer and the
    # schedule built over it are built again where the caller swapped the head, `self` read as
    # `trainer`, a kept parameter (`self.epochs = epochs`) read from it, and an `lr` it did not
    # keep taken from the old optimizer.
    [result] = findings(write_script, """
        import torch
        from torch import nn
        from torch.optim.lr_scheduler import StepLR
        class Trainer:
            def __init__(self, lr=0.1, epochs=3):
                self.epochs = epochs
                self.model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 5))
                self.optimizer = torch.optim.SGD(self.model.parameters(), lr=lr)
                self.scheduler = StepLR(self.optimizer, step_size=epochs)
            def fit(self, x, y):
                for _ in range(self.epochs):
                    self.optimizer.zero_grad(); nn.functional.cross_entropy(self.model(x), y).backward(); self.optimizer.step()
                    self.scheduler.step()
        def new_head(net, n):
            net[2] = nn.Linear(8, n)
        trainer = Trainer()
        new_head(trainer.model, 2)
        trainer.fit(torch.randn(16, 4), torch.randint(0, 2, (16,)))
    """)
    assert result.finding.code == "GF010" and result.fix is not None
    assert result.fix.description.startswith("build the optimizer and its schedulers again after the replacement, through trainer")
    [patch] = result.fix.patches
    assert [e.replacement for e in patch.edits] == [
        'trainer.optimizer = torch.optim.SGD(trainer.model.parameters(), lr=trainer.optimizer.defaults["lr"])\n'
        "trainer.scheduler = StepLR(trainer.optimizer, step_size=trainer.epochs)\n"
    ]


def test_gf010_rebuilds_a_learners_optimizer_in_the_callback_that_swapped_its_layer(write_script) -> None:  # type: ignore[no-untyped-def]
    # The callback is handed the learner as a parameter, through a list of callbacks the fit loop
    # calls: it is the only place that holds both the new layer and the optimizer. The optimizer's
    # class was a local of the learner's constructor: it is taken from the optimizer itself.
    [result] = findings(write_script, """
        import torch
        from torch import nn
        class SwapHead:
            def before_epoch(self, learner):
                if learner.epoch == 1:
                    learner.model[2] = nn.Linear(8, 3)
        class Learner:
            def __init__(self, model, opt_func, cbs):
                self.model, self.cbs = model, cbs
                self.opt = opt_func(self.model.parameters(), lr=0.1)
            def fit(self, x, y):
                for self.epoch in range(3):
                    for cb in self.cbs:
                        cb.before_epoch(self)
                    self.opt.zero_grad(); nn.functional.cross_entropy(self.model(x), y).backward(); self.opt.step()
        model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
        Learner(model, torch.optim.SGD, [SwapHead()]).fit(torch.randn(16, 4), torch.randint(0, 3, (16,)))
    """)
    assert result.finding.code == "GF010" and result.fix is not None
    assert result.fix.description.startswith("build the optimizer again after the replacement, through learner")
    [patch] = result.fix.patches
    assert [e.replacement for e in patch.edits] == [
        "            learner.opt = type(learner.opt)(learner.model.parameters(), lr=0.1)\n"
    ]


def test_gf010_rebuilds_a_module_level_optimizer_as_a_global_in_the_hook_that_swapped_its_layer(write_script) -> None:  # type: ignore[no-untyped-def]
    # A hook called by the top-level loop calls a helper that swaps the head of the model it is
    # handed: the optimizer is built again at the hook's call of the helper, declared global so
    # that the loop steps the new one.
    [result] = findings(write_script, """
        import torch
        from torch import nn
        def new_head(net):
            net[2] = nn.Linear(8, 3)
        def on_epoch(epoch):
            if epoch == 1:
                new_head(model)
        model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        x, y = torch.randn(16, 4), torch.randint(0, 3, (16,))
        for epoch in range(3):
            on_epoch(epoch)
            optimizer.zero_grad(); nn.functional.cross_entropy(model(x), y).backward(); optimizer.step()
    """)
    assert result.finding.code == "GF010" and result.fix is not None
    assert result.fix.description.startswith("build the optimizer again in on_epoch() after the replacement")
    [patch] = result.fix.patches
    assert [e.replacement for e in patch.edits] == [
        "    global optimizer\n",
        "        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)\n",
    ]


def test_gf010_reads_parameter_groups_stored_before_a_resume_again_from_the_live_network(write_script) -> None:  # type: ignore[no-untyped-def]
    # The groups were stored before the network was replaced by a resumed one; the optimizer is
    # built after, from the stored groups: they are read again from the live network where it is
    # built, only the group of the swapped module when that is enough.
    [result] = findings(write_script, """
        import torch
        from torch import nn
        class Trainer:
            def __init__(self):
                self.network = nn.Sequential(nn.Linear(4, 8), nn.ReLU())
                self.head = nn.Linear(8, 3)
                self.groups = {"body": {"params": self.network.parameters(), "lr": 0.01},
                               "head": {"params": self.head.parameters(), "lr": 0.1}}
            def resume(self):
                self.network = nn.Sequential(nn.Linear(4, 8), nn.ReLU())
            def fit(self, x, y):
                optimizer = torch.optim.SGD(self.groups.values(), momentum=0.9)
                for _ in range(3):
                    optimizer.zero_grad(); nn.functional.cross_entropy(self.head(self.network(x)), y).backward(); optimizer.step()
        trainer = Trainer()
        trainer.resume()
        trainer.fit(torch.randn(16, 4), torch.randint(0, 3, (16,)))
    """)
    assert result.finding.code == "GF010" and result.fix is not None
    assert result.fix.description == "read self.network.parameters() again from the model where the optimizer is built"
    [patch] = result.fix.patches
    assert [e.replacement for e in patch.edits] == ['        self.groups["body"]["params"] = self.network.parameters()\n']


def test_gf029_gives_a_dense_table_in_sparseadam_to_adam_and_leaves_the_sgd_table(run_script, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # The reverse fault crashes at a step too, next to a sparse table that SGD steps correctly:
    # the table SparseAdam holds was built dense, so sparse=False would fix nothing there; the
    # only candidate builds SparseAdam as Adam, and the SGD table is left as it is.
    run = run_script("""
        import torch
        table = torch.nn.Embedding(10, 3, sparse=True)
        dense = torch.nn.Embedding(10, 3)
        sgd = torch.optim.SGD(table.parameters(), lr=0.1)
        sparse_adam = torch.optim.SparseAdam(dense.parameters())
        (table(torch.tensor([1, 2])) * dense(torch.tensor([3, 4]))).sum().backward()
        sgd.step()
        sparse_adam.step()
    """)
    assert run.trace.crash is not None and "dense gradients" in run.trace.crash.message
    [rule] = [r for r in RULES if r.code == "GF029"]
    [finding] = rule.check(run.trace, Project(str(tmp_path)))
    assert finding.blocking and finding.params == ["dense.weight"]
    [candidate] = finding.candidates
    [patch] = candidate.patches
    assert [e.replacement for e in patch.edits] == ["Adam"]
    assert candidate.applicability is Applicability.UNSAFE


def test_gf008_stacks_a_list_rewrap_under_the_files_torch(write_script) -> None:  # type: ignore[no-untyped-def]
    # `tensor` imported from torch: the stack is spelled with the module the file imports.
    results = findings(write_script, """
        import torch
        from torch import nn, tensor
        model = nn.Linear(4, 2)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        x = torch.randn(16, 4)
        for _ in range(3):
            out = model(x)
            loss = tensor([out.pow(2).mean(), out.abs().mean()], requires_grad=True).sum()
            opt.zero_grad(); loss.backward(); opt.step()
    """)
    [result] = results
    assert result.finding.code == "GF008" and result.fix is not None
    [patch] = result.fix.patches
    assert [e.replacement for e in patch.edits] == ["torch.stack([out.pow(2).mean(), out.abs().mean()])"]


def test_a_fix_that_only_gets_past_the_crash_is_withdrawn_when_the_chain_does_not_train(write_script) -> None:  # type: ignore[no-untyped-def]
    # The dtype fix gets the script past its crash, but a hook zeroes every gradient: with the
    # chain run to its end nothing trains, so the fix is not offered, and GF018 names what is left.
    results = findings(write_script, """
        import torch
        model = torch.nn.Linear(4, 1)
        for p in model.parameters():
            p.register_hook(lambda g: g * 0)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        x = torch.randint(0, 5, (32, 4))
        for _ in range(5):
            opt.zero_grad()
            model(x).pow(2).mean().backward()
            opt.step()
    """)
    by_code = {r.finding.code: r for r in results}
    assert by_code["GF003"].fix is None
    assert any("still do not train" in why for _, why in by_code["GF003"].rejected)
    assert by_code["GF018"].finding.params == ["model.weight", "model.bias"]


def test_a_fix_past_the_crash_is_kept_when_what_still_does_not_train_is_another_findings(write_script) -> None:  # type: ignore[no-untyped-def]
    # An empty optimizer list hides a head that forward never calls. Passing the parameters trains
    # the body and the head; the unused head is GF016's, which has no verified fix. The first fix
    # is still offered, and says what it leaves to the other finding.
    results = findings(write_script, """
        import torch
        from torch import nn

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.body = nn.Linear(8, 16)
                self.head = nn.Linear(16, 1)
                self.aux = nn.Linear(16, 4)

            def forward(self, x):
                return self.head(torch.relu(self.body(x)))

        model = Net()
        opt = torch.optim.SGD([], lr=0.1)
        for _ in range(5):
            loss = model(torch.randn(8, 8)).pow(2).mean()
            opt.zero_grad(); loss.backward(); opt.step()
    """)
    by_code = {r.finding.code: r for r in results}
    assert by_code["GF001"].fix is not None
    reason = by_code["GF001"].fix.verdict.reason
    assert "model.head.weight" in reason and "model.aux.weight, model.aux.bias still do not train, which GF016 explains" in reason
    assert by_code["GF016"].fix is None


def test_gf036_translates_with_numpy_semantics(write_script) -> None:  # type: ignore[no-untyped-def]
    # A list of tensors given to np.concatenate, NumPy's population std, a number in np.maximum:
    # each translation keeps NumPy's meaning (cat of the list, correction=0, clamp).
    results = findings(write_script, """
        import numpy as np
        import torch
        from torch import nn

        class Scaled(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(4, 3)

            def forward(self, x):
                h = self.fc(x)
                parts = [h, 2 * h]
                both = np.concatenate(parts, axis=1)
                spread = np.std(both, axis=0, keepdims=True)
                return np.clip(both / np.maximum(spread, 1e-3), -5, 5)

        model = Scaled()
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        for _ in range(3):
            loss = model(torch.randn(8, 4)).pow(2).mean()
            opt.zero_grad(); loss.backward(); opt.step()
    """)
    [result] = results
    assert result.finding.code == "GF036" and result.fix is not None
    [patch] = result.fix.patches
    assert [e.replacement for e in patch.edits] == [
        "torch.cat(parts, dim=1)",
        "torch.std(both, dim=0, keepdim=True, correction=0)",
        "torch.clamp(both / torch.clamp(spread, min=1e-3), -5, 5)",
    ]


def test_gf005_follows_a_list_bound_to_a_name_to_the_slice(write_script) -> None:  # type: ignore[no-untyped-def]
    # `params = [prompt]` then `Adam(params)`: the slice is made a leaf where it is assigned.
    results = findings(write_script, """
        import torch
        table = torch.randn(1, 6, 4).requires_grad_()
        prompt = table[:, 2:]
        params = [prompt]
        opt = torch.optim.Adam(params, lr=0.1)
        for _ in range(3):
            loss = prompt.pow(2).sum()
            opt.zero_grad(); loss.backward(); opt.step()
    """)
    [result] = results
    assert result.finding.code == "GF005" and result.fix is not None
    [patch] = result.fix.patches
    assert [e.replacement for e in patch.edits] == ["table[:, 2:].detach().clone().requires_grad_(True)"]


def test_gf002_a_decorated_helper_keeps_only_the_frozen_work_under_no_grad() -> None:
    # The decorator goes; what calls a frozen module of the model stays under `with`; a def's
    # replacement starts at its decorator.
    from gradfix.edits import apply_edits
    from gradfix.rules.backward_under_no_grad import BackwardUnderNoGrad
    from gradfix.source import SourceFile
    from gradfix.trace import Site

    text = (
        "class M:\n"
        "    @torch.no_grad()\n"
        "    def encode(self, ids):\n"
        "        n = ids.shape[1]\n"
        "        feats = self.frozen(ids)\n"
        "        return self.proj(feats)\n"
    )
    source = SourceFile("t.py", text)
    [function] = [n for n in source.positions if type(n).__name__ == "FunctionDef"]
    [decorator] = function.decorators
    first, second = BackwardUnderNoGrad()._decorator_candidates(source, function, decorator, [Site("t.py", 6)])
    assert apply_edits(text, first.patches[0].edits) == (
        "class M:\n"
        "    def encode(self, ids):\n"
        "        with torch.no_grad():\n"
        "            n = ids.shape[1]\n"
        "            feats = self.frozen(ids)\n"
        "        return self.proj(feats)\n"
    )
    assert apply_edits(text, second.patches[0].edits) == text.replace("    @torch.no_grad()\n", "")


def test_gf040_probe_records_checkpoint_calls_of_user_code(write_script) -> None:  # type: ignore[no-untyped-def]
    path = write_script("""
        import torch
        from torch import nn
        from torch.utils.checkpoint import checkpoint, checkpoint_sequential
        stem, body, side = nn.Linear(4, 4), nn.Linear(4, 4), nn.Linear(4, 4)
        seq = nn.Sequential(nn.Linear(4, 4), nn.Tanh(), nn.Linear(4, 4), nn.Tanh())
        opt = torch.optim.SGD([*stem.parameters(), *body.parameters(), *side.parameters(), *seq.parameters()], lr=0.1)
        for _ in range(3):
            x = torch.randn(2, 4)
            h = checkpoint(body, stem(x), use_reentrant=True)
            s = checkpoint(side, x)
            q = checkpoint_sequential(seq, 2, x, use_reentrant=False)
            with torch.no_grad():
                checkpoint(side, x, use_reentrant=True)
            opt.zero_grad(); (h.sum() + s.sum() + q.sum()).backward(); opt.step()
    """)
    trace = Sandbox([str(path.parent)], timeout=30).run(str(path), []).trace
    by_line = {c.site.line: c for c in trace.checkpoints}
    assert sorted(by_line) == [10, 11, 12]  # not the call made under no_grad
    body, side, seq = by_line[10], by_line[11], by_line[12]
    assert body.reentrant and body.explicit and body.calls == 3 and body.graphless_calls == 0
    assert side.reentrant and not side.explicit and side.graphless_calls == 3 and not side.output_requires_grad
    assert side.params == ["side.bias", "side.weight"] and side.tensor_arg == 1
    # torch's per-segment calls belong to the user's checkpoint_sequential call
    assert seq.api == "checkpoint_sequential" and not seq.reentrant and seq.output_requires_grad
    assert seq.params == ["seq.0.bias", "seq.0.weight"] and seq.tensor_arg == 2
    assert not trace.param("side.weight").got_grad and trace.param("seq.0.weight").got_grad


def test_gf020_leaves_a_step_alone_when_the_loss_reached_a_copy_of_the_model(corpus_report: Callable[[Path], Report]) -> None:
    """MAML that backpropagates into a deep copy: moving the meta-step to the copy's optimizer
    would train a throw-away copy. GF047 gives the copy's gradients to the meta-model instead; a
    Reptile loop that forgot its meta-update is left to the safety net, which names the copies."""
    report = corpus_report(CORPUS / "loss_into_model_copy" / "maml_deepcopy_learner_backward.py")
    assert [r.finding.code for r in report.results] == ["GF047"] and report.results[0].fix is not None
    report = corpus_report(CORPUS / "unchanged_parameters" / "reptile_forgets_interpolation.py")
    assert [r.finding.code for r in report.results] == ["GF018"]
    assert "copies of the model" in report.results[0].finding.message


def test_probe_follows_copies_and_the_gradients_left_on_them(write_script) -> None:  # type: ignore[no-untyped-def]
    """Copies made by deepcopy and by load_state_dict of another module's state_dict() know their
    source; a backward whose gradients the copy's step applies is told from one whose gradients
    are dropped with the copy (GF047)."""
    path = write_script("""
        import copy
        import torch
        import torch.nn as nn
        torch.manual_seed(0)
        model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
        meta = torch.optim.Adam(model.parameters(), lr=1e-3)
        for step in range(3):
            meta.zero_grad()
            learner = copy.deepcopy(model)
            twin = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
            twin.load_state_dict(model.state_dict())
            inner = torch.optim.SGD(learner.parameters(), lr=0.1)
            x = torch.randn(8, 3)
            inner.zero_grad()
            learner(x).pow(2).mean().backward()
            inner.step()
            (learner(x).pow(2).mean() + twin(x).pow(2).mean()).backward()
            meta.step()
    """)
    trace = Sandbox([str(path.parent)], timeout=30).run(str(path), []).trace
    support, query = sorted(trace.copy_backwards, key=lambda c: c.site.line)
    assert (support.copy, support.source, support.aligned, support.complete, support.covers) == ("learner", "model", True, True, True)
    assert support.applied == support.count > 0 and support.lost == 0 and not support.held_grads
    # the query loss reaches the learner and the twin: not one copy alone
    assert query.applied == 0 and query.lost == query.count > 0 and query.held_grads and not query.complete
    assert query.sources == ["model.0.weight", "model.0.bias", "model.2.weight", "model.2.bias"]
    copied = {p.copy_of for p in trace.params if p.name.startswith("twin.")}
    assert copied == {"model.0.weight", "model.0.bias", "model.2.weight", "model.2.bias"}


def test_gf039_gradients_of_a_few_zeroed_by_hand_beside_others_that_train_is_a_freeze(write_script) -> None:  # type: ignore[no-untyped-def]
    path = write_script("""
        import torch
        import torch.nn as nn
        torch.manual_seed(0)
        backbone = nn.Linear(4, 8)
        head = nn.Linear(8, 1)
        optimizer = torch.optim.SGD([*backbone.parameters(), *head.parameters()], lr=0.1)
        for step in range(3):
            optimizer.zero_grad()
            loss = head(torch.relu(backbone(torch.randn(16, 4)))).pow(2).mean()
            loss.backward()
            for p in backbone.parameters():  # keep the backbone as it is
                p.grad.zero_()
            optimizer.step()
    """)
    sandbox = Sandbox([str(path.parent)], timeout=30)
    trace = sandbox.run(str(path), []).trace
    [wipe] = trace.grad_wipes  # the probe sees the zeroing before every step
    assert wipe.op == "zero_" and wipe.steps == 3 and wipe.params == ["backbone.bias", "backbone.weight"]
    assert "GF039" not in codes(repair(str(path), [], sandbox).results)  # the head trains: a freeze


def test_gf041_probe_records_writes_into_parameters_outside_optimizers(write_script) -> None:  # type: ignore[no-untyped-def]
    path = write_script("""
        import copy
        import torch
        from torch import nn
        net = nn.Sequential(nn.Linear(3, 3), nn.Linear(3, 2))
        with torch.no_grad():
            net[0].weight.data.mul_(0.5)  # an initialisation: before training, not recorded
        target = copy.deepcopy(net)
        opt = torch.optim.SGD(net.parameters(), lr=0.1)
        for step in range(3):
            opt.zero_grad(); net(torch.randn(4, 3)).sum().backward(); opt.step()
            with torch.no_grad():
                for t, p in zip(target[0].parameters(), net[0].parameters()):
                    t.data = 0.9 * t.data + 0.1 * p.data
                target[1].weight.data.mul_(0.9).add_(net[1].weight.data, alpha=0.1)
                torch._foreach_lerp_([target[1].bias], [net[1].bias], 0.1)
    """)
    trace = Sandbox([str(path.parent)], timeout=30).run(str(path), []).trace
    by_line = {w.sites[0].line: w for w in trace.param_writes}
    assert sorted(by_line) == [14, 15, 16]  # not the optimizer's step, not the initialisation
    assert by_line[14].params == ["target.0.weight", "target.0.bias"] and by_line[14].count == 6
    assert by_line[15].params == ["target.1.weight"] and by_line[16].params == ["target.1.bias"]
    # the deepcopy, never built under the probe's eyes, is named as the script names it
    assert trace.param("target.1.bias").changed and not trace.param("target.1.bias").got_grad


def test_gf044_probe_records_optional_inputs_and_the_skipped_layers(write_script) -> None:  # type: ignore[no-untyped-def]
    path = write_script("""
        import torch
        from torch import nn

        class FiLM(nn.Module):  # a conditioning-only module: identity without its input
            def __init__(self):
                super().__init__()
                self.proj = nn.Linear(3, 8)
            def forward(self, x, cond=None):
                return x if cond is None else x * self.proj(cond)

        class Either(nn.Module):  # a branch for each case: unconditioned on purpose is fine
            def __init__(self):
                super().__init__()
                self.cond_norm = nn.Linear(3, 8)
                self.norm = nn.LayerNorm(8)
            def forward(self, x, cond=None):
                return x * self.cond_norm(cond) if cond is not None else self.norm(x)

        class Dropped(nn.Module):  # a forward that returns early: no input was left out
            def __init__(self, active):
                super().__init__()
                self.fc = nn.Linear(8, 8)
                self.active = active
            def forward(self, x):
                return x + self.fc(x) if self.active else x

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.f1, self.f2, self.f3 = FiLM(), FiLM(), FiLM()
                self.e1, self.e2 = Either(), Either()
                self.d1, self.d2 = Dropped(True), Dropped(False)
                self.unused_head = nn.Linear(8, 2)  # no instance of anything runs it
            def forward(self, x, c):
                h = self.f3(self.f2(self.f1(x, c), cond=c))
                h = self.e2(self.e1(h, c))
                return self.d2(self.d1(h))

        net = Net()
        opt = torch.optim.SGD(net.parameters(), lr=0.1)
        for _ in range(3):
            opt.zero_grad(); net(torch.randn(4, 8), torch.randn(4, 3)).sum().backward(); opt.step()
    """)
    trace = Sandbox([str(path.parent)], timeout=30).run(str(path), []).trace
    calls = {trace.module(c.module).path: c for c in trace.optional_arg_calls}  # type: ignore[union-attr]
    assert calls["net.f1"].given == ["cond"] and calls["net.f2"].given == ["cond"] and calls["net.f3"].omitted == ["cond"]
    assert calls["net.f1"].positions == {"cond": 1} and calls["net.f1"].count == 3
    assert calls["net.f1"].site.line != calls["net.f3"].site.line or calls["net.f1"].site.column != calls["net.f3"].site.column
    assert "net.d1" not in calls  # no optional input: not watched
    skipped = [(s.instance.path, s.attr, sorted(m.path for m in s.siblings)) for s in trace.skipped_submodules()]  # type: ignore[type-var]
    assert skipped == [("net.f3", "proj", ["net.f1", "net.f2"])]


def test_gf008_points_at_the_cut_its_fix_removes(write_script) -> None:  # type: ignore[no-untyped-def]
    """Two cuts written alike: the finding is where the verified fix cuts, and the candidates say their lines."""
    results = findings(write_script, """
import torch
from torch import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Linear(4, 8)
        self.head = nn.Linear(8, 1)

    def forward(self, x):
        feats = self.body(x)
        self.last_feats = feats.detach()
        feats = feats.detach()
        return self.head(feats)


model = Net()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
x, y = torch.randn(32, 4), torch.randn(32, 1)
for step in range(10):
    loss = ((model(x) - y) ** 2).mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
""")
    [result] = [r for r in results if r.finding.code == "GF008"]
    assert result.fix is not None
    assert (result.finding.line, result.fix.description) == (15, "remove the `feats.detach()` cut at line 15")
    assert [c for c, _ in result.fix.rejected][0] == "remove the `feats.detach()` cut at line 14"


def test_gf008_does_not_blame_a_cut_whose_input_reached_only_parameters_that_trained(write_script) -> None:  # type: ignore[no-untyped-def]
    """A linear probe's `z.detach()` in one model's pre-training cut only the probe from an encoder
    that trains: a loaded decoder that never changes later is not its doing. The unchanged decoder
    is still reported (GF018), with no fix pinned on the probe."""
    text = (CORPUS / "unchanged_parameters" / "decoder_unused_beside_a_probe_detach.py").read_text()
    results = findings(write_script, text)
    assert "GF008" not in codes(results)
    [result] = [r for r in results if r.finding.code == "GF018"]
    assert result.fix is None
    assert "model.ae.decoder.0.weight" in result.finding.params


def test_gf004_a_thaw_guarded_by_its_own_flag_is_found_and_a_meant_guard_is_not() -> None:
    """The guards that keep an unfreeze from reaching frozen parameters, each with the edit that
    drops it; a guard on the name, and a guarded freeze to a literal False, are choices."""
    from gradfix.edits import apply_edits
    from gradfix.rules.accidental_freeze import _guarded_toggles
    from gradfix.source import SourceFile

    text = (
        "def set_trainable(m, on):\n"
        "    for p in m.parameters():\n"
        "        if p.requires_grad:\n"
        "            p.requires_grad = on\n"
        "def unfreeze(m):\n"
        "    for p in filter(lambda q: q.requires_grad, m.parameters()):\n"
        "        p.requires_grad_(True)\n"
        "def thaw(m):\n"
        "    for n, p in m.named_parameters():\n"
        "        if not p.requires_grad:\n"
        "            continue\n"
        "        p.requires_grad = True\n"
        "def chosen(m):\n"
        "    for n, p in m.named_parameters():\n"
        "        if n.startswith('backbone'):\n"
        "            p.requires_grad = False\n"
        "        if p.requires_grad:\n"
        "            p.requires_grad = False\n"
    )
    source = SourceFile("train.py", text)
    found = {source.range(statement).start.line: edits for statement, edits in _guarded_toggles(source)}
    assert sorted(found) == [4, 7, 12]
    fixed = apply_edits(text, [e for edits in found.values() for e in edits])
    assert "    for p in m.parameters():\n        p.requires_grad = on\n" in fixed
    assert "    for p in m.parameters():\n        p.requires_grad_(True)\n" in fixed
    assert "continue" not in fixed and "if n.startswith('backbone'):" in fixed


def test_gf052_leaves_an_input_that_wants_its_gradient_alone(write_script) -> None:  # type: ignore[no-untyped-def]
    # A WGAN-GP penalty on interpolates that were never made to require grad raises the message
    # a frozen weight does; the fix is to make them require grad, not to leave them out.
    from gradfix.repair import ScriptProblem

    path = write_script("""
        import torch
        from torch import nn
        critic = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
        optimizer = torch.optim.Adam(critic.parameters(), lr=1e-3)
        for _ in range(3):
            real, fake = torch.randn(8, 4), torch.randn(8, 4)
            alpha = torch.rand(8, 1)
            mixed = alpha * real + (1 - alpha) * fake
            (grad,) = torch.autograd.grad(critic(mixed).sum(), mixed, create_graph=True)
            loss = critic(fake).mean() - critic(real).mean() + ((grad.norm(dim=1) - 1) ** 2).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    """)
    try:
        results = repair(str(path), [], Sandbox([str(path.parent)], timeout=30)).results
    except ScriptProblem as problem:
        assert "One of the differentiated Tensors does not require grad" in str(problem)
        return
    assert "GF052" not in codes(results)


def test_gf004_keyword_collision_pattern_and_keywords() -> None:
    """Stuck blocks that are exactly the indices a smaller stuck index starts (0, 1, 10, 11 of
    0..11) and not one range; the keywords a file spells, each with the edit that ends it."""
    from gradfix.edits import apply_edits
    from gradfix.rules.accidental_freeze import _keywords, _prefix_collided
    from gradfix.source import SourceFile

    twelve = list(range(12))
    assert _prefix_collided(twelve, {0, 1, 10, 11}) == {10: 1, 11: 1}
    assert _prefix_collided(list(range(16)), {0, 1, 2, *range(10, 16)}) == {i: 1 for i in range(10, 16)}
    assert _prefix_collided(twelve, set(range(10))) is None  # the first ten: one range
    assert _prefix_collided(twelve, {0, 1}) is None  # nothing longer
    assert _prefix_collided(twelve, {1, 10}) is None  # 11 trains: not what `blocks.1` does
    assert _prefix_collided(twelve, {10, 11}) is None
    text = (
        'A = "tok,resblocks.0,resblocks.1"\n'
        'B = [r"^enc\\.layers\\.1", "enc\\\\.layers\\\\.2"]\n'
        'C = [f"blocks.{i}" for i in range(2)]\n'
        '"""Freeze resblocks.1 here."""\n'
        'print("blocks.1")\n'
        'D = "blocks.1.", "layer1"\n'
    )
    source = SourceFile("train.py", text)
    found = _keywords(source)
    assert [(k.stem, k.index, k.ranged) for k in found] == [
        ("resblocks.", 0, None), ("resblocks.", 1, None), ("enc.layers.", 1, None), ("enc.layers.", 2, None), ("blocks.", None, {0, 1}),
    ]
    assert found[1].names("model.text.transformer.resblocks") and not found[1].names("model.myresblocks")
    fixed = apply_edits(text, [k.edit for k in found])
    assert fixed.splitlines()[:3] == [
        'A = "tok,resblocks.0.,resblocks.1."',
        'B = [r"^enc\\.layers\\.1\\.", "enc\\\\.layers\\\\.2\\\\."]',
        'C = [f"blocks.{i}." for i in range(2)]',
    ]
    assert fixed.splitlines()[3:] == text.splitlines()[3:]


def test_gf004_keyword_gives_a_learning_rate_of_0_to_longer_indices(write_script) -> None:  # type: ignore[no-untyped-def]
    results = findings(write_script, """
        import torch
        from torch import nn
        model = nn.Sequential(*[nn.Linear(4, 4) for _ in range(12)])
        rates = {"0": 0.0, "1": 0.0}
        held, rest = [], []
        for name, p in model.named_parameters():
            (held if any(name.startswith(k) for k in ("0.", "1")) else rest).append(p)
        opt = torch.optim.SGD([{"params": held, "lr": 0.0}, {"params": rest}], lr=0.1)
        for _ in range(3):
            opt.zero_grad(); model(torch.randn(8, 4)).pow(2).mean().backward(); opt.step()
    """)
    assert codes(results) == []  # `1` names no container: no path before the index

    results = findings(write_script, """
        import torch
        from torch import nn
        model = nn.Module()
        model.blocks = nn.ModuleList([nn.Linear(4, 4) for _ in range(12)])
        HELD = ["blocks.0", "blocks.1"]
        held, rest = [], []
        for name, p in model.named_parameters():
            (held if any(name.startswith(k) for k in HELD) else rest).append(p)
        opt = torch.optim.SGD([{"params": held, "lr": 0.0}, {"params": rest}], lr=0.1)
        for _ in range(3):
            x = torch.randn(8, 4)
            for block in model.blocks:
                x = block(x)
            opt.zero_grad(); x.pow(2).mean().backward(); opt.step()
    """)
    [result] = results
    assert result.finding.code == "GF004" and "`blocks.1` also put blocks.10, blocks.11 at a learning rate of 0" in result.finding.message
    assert result.fix is not None and [e.replacement for p in result.fix.patches for e in p.edits] == [".", "."]


def test_gf017_normal_of_a_module_call_is_reparameterised_without_running_it_twice(write_script) -> None:  # type: ignore[no-untyped-def]
    results = findings(write_script, """
        import torch
        from torch import nn
        enc, dec = nn.Linear(3, 2), nn.Linear(2, 3)
        opt = torch.optim.Adam([*enc.parameters(), *dec.parameters()], lr=1e-2)
        for _ in range(4):
            x = torch.randn(16, 3)
            z = torch.normal(enc(x), 0.1)
            loss = (dec(z) - x).pow(2).mean()
            opt.zero_grad(); loss.backward(); opt.step()
    """)
    [result] = results
    assert result.finding.code == "GF017" and result.finding.line == 8
    assert result.finding.params == ["enc.weight", "enc.bias"]
    assert result.fix is not None and "torch.distributions.Normal(enc(x), 0.1).rsample()" in result.fix.description


def test_gf017_a_multinomial_draw_is_explained_where_the_policy_lost_its_gradient(write_script) -> None:  # type: ignore[no-untyped-def]
    results = findings(write_script, """
        import torch
        from torch import nn
        policy, critic = nn.Linear(4, 3), nn.Linear(4, 1)
        opt = torch.optim.Adam([*policy.parameters(), *critic.parameters()], lr=1e-2)
        for _ in range(4):
            obs = torch.randn(16, 4)
            action = torch.multinomial(policy(obs).softmax(-1), 1).squeeze(1)
            reward = obs.gather(1, action.unsqueeze(1)).squeeze(1)
            loss = (critic(obs).squeeze(1) - reward).pow(2).mean() - (reward * action).float().mean()
            opt.zero_grad(); loss.backward(); opt.step()
    """)
    [result] = results
    assert result.finding.code == "GF017" and result.finding.line == 8 and not result.finding.candidates
    assert result.finding.params == ["policy.weight", "policy.bias"] and "log_prob" in result.finding.message


def test_gf054_probe_records_every_group_and_reads_no_user_iterator(write_script) -> None:  # type: ignore[no-untyped-def]
    path = write_script("""
        import torch
        from torch import nn
        model = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2))
        seen = []
        def watched(params):
            for p in params:
                seen.append(p)
                yield p
        opt = torch.optim.SGD([
            {"params": model.parameters()},
            {"params": model[1].parameters(), "lr": 1.0},
            {"params": model[0].parameters()},
            {"params": watched(model[1].parameters())},
        ], lr=0.1)
    """)
    trace = Sandbox([str(path.parent)], timeout=30).run(str(path), []).trace
    clash = trace.group_clash
    assert clash is not None and clash.optimizer is None and clash.refused == 1
    assert clash.groups[:3] == [
        ["model.0.weight", "model.0.bias", "model.1.weight", "model.1.bias"],
        ["model.1.weight", "model.1.bias"],
        ["model.0.weight", "model.0.bias"],  # not reached by torch: read from its parameters() generator
    ]
    assert clash.unread == [3]  # a generator of the script's own is not run by the probe


def test_gf054_add_param_group_of_held_parameters_is_fixed_where_the_optimizer_is_built(write_script) -> None:  # type: ignore[no-untyped-def]
    results = findings(write_script, """
        import torch
        from torch import nn
        net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
        opt = torch.optim.Adam(net.parameters(), lr=1e-3)
        for step in range(6):
            if step == 2:
                opt.add_param_group({"params": net[2].parameters(), "lr": 1e-2})
            loss = net(torch.randn(8, 4)).pow(2).mean()
            opt.zero_grad(); loss.backward(); opt.step()
    """)
    [result] = results
    assert result.finding.code == "GF054" and result.finding.line == 8
    assert "add_param_group() was given 2 parameters" in result.finding.message
    assert result.fix is not None and result.fix.description.startswith("build the optimizer's group 0 without")
    [edit] = result.fix.patches[0].edits
    assert edit.replacement == "[p for p in net.parameters() if all(p is not q for q in net[2].parameters())]"


GF055_GAN = """
    import torch
    import torch.nn as nn
    torch.manual_seed(0)
    G, D = nn.Linear(2, 2), nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 1))
    opt_g = torch.optim.Adam(G.parameters(), lr=1e-3)
    opt_d = torch.optim.Adam(D.parameters(), lr=1e-3)

    class Schedule:
        def __init__(self, start):
            self.start = start
            self.epoch = 0

        def set_epoch(self, epoch):
            self.epoch = epoch

    schedule = Schedule(start=50)
    for epoch in range(100):
        schedule.set_epoch(epoch)
        for i in range(4):
            real, fake = torch.randn(16, 2) + 3, G(torch.randn(16, 2))
            opt_d.zero_grad()
            (D(fake.detach()).mean() - D(real).mean()).backward()
            if {condition}:
                opt_d.step()
            opt_g.zero_grad()
            (-D(fake).mean()).backward()
            opt_g.step()
"""


@pytest.mark.parametrize("condition", ["schedule.epoch >= schedule.start and i % 2 == 0", "not schedule.start"])
def test_gf055_leaves_a_schedule_or_a_flag_to_the_author(write_script, condition: str) -> None:  # type: ignore[no-untyped-def]
    """A threshold on a value the run changes (an epoch set each epoch) has simply not been
    reached yet, and a flag is the author's choice: the step's condition is not GF055's to drop."""
    results = findings(write_script, GF055_GAN.replace("{condition}", condition))
    assert "GF055" not in codes(results)


def test_gf056_a_value_returned_beside_the_output_the_loss_uses_is_fed_on(write_script) -> None:  # type: ignore[no-untyped-def]
    results = findings(write_script, """
        import torch
        from torch import nn

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.refine = nn.Linear(4, 4)
                self.head = nn.Linear(4, 2)

            def forward(self, x):
                refined = torch.tanh(self.refine(x))
                return self.head(x), refined

        net = Net()
        opt = torch.optim.SGD(net.parameters(), lr=0.1)
        for _ in range(4):
            out, refined = net(torch.randn(8, 4))
            loss = out.pow(2).mean()
            opt.zero_grad(); loss.backward(); opt.step()
    """)
    [result] = results
    assert result.finding.code == "GF056" and result.finding.params == ["net.refine.weight", "net.refine.bias"]
    assert "`refined`" in result.finding.message and "no loss adds it" in result.finding.message
    assert result.fix is not None and result.fix.description.startswith("feed `refined` instead of `x` at line 13")


def test_gf056_a_module_whose_other_call_reaches_the_loss_is_left_alone(write_script) -> None:  # type: ignore[no-untyped-def]
    # `warm` is never read, but the block it came from is called again and trained.
    results = findings(write_script, """
        import torch
        from torch import nn

        block, head = nn.Linear(4, 4), nn.Linear(4, 1)
        opt = torch.optim.Adam([*block.parameters(), *head.parameters()], lr=1e-2)
        for _ in range(4):
            x = torch.randn(8, 4)
            warm = block(x)
            loss = head(block(x)).pow(2).mean()
            opt.zero_grad(); loss.backward(); opt.step()
    """)
    assert results == []


def test_a_candidate_that_changes_nothing_is_never_offered(write_script, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Two findings that each swap the same pair of step() calls once came out as one "verified"
    fix whose diff was empty: `apply` said it wrote the file and changed nothing."""
    path = write_script("""
        import torch
        from torch import nn, optim
        model = nn.Linear(2, 1)
        opt = optim.SGD([], lr=0.1)
        model(torch.randn(4, 2)).sum().backward()
    """)
    rule = next(r for r in RULES if r.code == "GF001")
    real_check = rule.check

    def check(trace, project):  # type: ignore[no-untyped-def]
        found = real_check(trace, project)
        source = project.source(str(path))
        name = next(n for n in descendants(source.module, cst.Name) if n.value == "opt")
        for finding in found:
            finding.candidates = [rule.candidate("rename opt to itself", source.path, [source.replace_node(name, name)])]
        return found

    monkeypatch.setattr(rule, "check", check)
    report = repair(str(path), [], Sandbox([str(path.parent)], timeout=30), rules=[rule])
    assert [r.finding.code for r in report.results] == ["GF001"]
    assert report.results[0].fix is None
    assert ("rename opt to itself", "changes nothing") in report.results[0].rejected


def test_gf020_leaves_a_gan_whose_generator_is_cut_off_to_gf008(write_script) -> None:  # type: ignore[no-untyped-def]
    """`fake = G(z).detach()` reused for G's own loss: that loss reaches only D, which made GF020
    call `opt_g.step()` a step on the wrong optimizer (and swap the steps). The cut is the fault."""
    results = findings(write_script, """
        import torch
        from torch import nn
        G, D = nn.Linear(3, 2), nn.Linear(2, 1)
        opt_g = torch.optim.Adam(G.parameters(), lr=1e-2)
        opt_d = torch.optim.Adam(D.parameters(), lr=1e-2)
        for _ in range(5):
            fake = G(torch.randn(8, 3)).detach()
            opt_d.zero_grad()
            (D(fake).mean() - D(torch.randn(8, 2)).mean()).backward()
            opt_d.step()
            opt_g.zero_grad()
            (-D(fake).mean()).backward()
            opt_g.step()
    """)
    assert codes(results) == ["GF008"]
    assert results[0].fix is not None and "detach `fake` only where line" in results[0].fix.description


def test_gf008_never_undoes_a_straight_through_estimator(write_script) -> None:  # type: ignore[no-untyped-def]
    """A codebook loss computed on the straight-through output (`x + (q - x).detach()`) gives the
    codebook no gradient. Removing that `.detach()` makes the codebook train, and the re-run would
    verify it, but the encoder then loses the decoder's gradient: the method is undone, not fixed."""
    results = findings(write_script, """
        import torch
        from torch import nn
        torch.manual_seed(0)
        enc, dec, book = nn.Linear(6, 4), nn.Linear(4, 6), nn.Embedding(8, 4)
        opt = torch.optim.Adam([*enc.parameters(), *dec.parameters(), *book.parameters()], lr=1e-2)
        for _ in range(5):
            x = torch.randn(16, 6)
            z = enc(x)
            q = book(torch.cdist(z, book.weight).argmin(1))
            z_q = z + (q - z).detach()
            loss = ((dec(z_q) - x) ** 2).mean() + ((z_q - z.detach()) ** 2).mean()
            opt.zero_grad(); loss.backward(); opt.step()
    """)
    tried = [r.fix.description for r in results if r.fix] + [d for r in results for d, _ in r.rejected]
    assert "GF008" in codes(results)
    assert not any("(q - z).detach()" in d for d in tried), tried


def test_gf058_zip_of_params_and_names_crashing_is_not_a_swapped_named_pair(write_script) -> None:  # type: ignore[no-untyped-def]
    """`zip(names, params)` unpacked as `p, n` crashes the same way, but the order is the one the
    script gave zip: no named_*() call yields the pairs, and GF058 stays out."""
    from gradfix.repair import ScriptProblem

    # The crash stays unexplained: gradfix says so instead of reporting a finding.
    with pytest.raises(ScriptProblem, match="Tensor.__contains__"):
        findings(write_script, """
            import torch
            model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Linear(4, 1))
            names = [n for n, _ in model.named_parameters()]
            for p, n in zip(names, model.parameters()):
                if "0." in n:
                    p.requires_grad = False
        """)


def test_gf058_swapped_pairs_after_a_shortened_pretraining_loop_are_found(write_script) -> None:  # type: ignore[no-untyped-def]
    """A crash after a shortened loop is taken for the shortening's doing, unless it asks a string
    for a tensor's attribute (or a tensor for a string method): the second phase's freeze is found."""
    results = findings(write_script, """
        import torch
        model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 1))
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        for _ in range(10):
            opt.zero_grad(); model(torch.randn(8, 3)).pow(2).mean().backward(); opt.step()
        for p, n in model.named_parameters():
            if n.startswith("0."):
                p.requires_grad = False
        opt = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.1)
        for _ in range(10):
            opt.zero_grad(); model(torch.randn(8, 3)).pow(2).mean().backward(); opt.step()
    """)
    assert codes(results) == ["GF058"]
    fix = results[0].fix
    assert fix is not None and fix.patches[0].edits and not fix.verdict.partial


def test_gf061_a_buffer_named_like_a_keyword_is_left_alone(write_script, capfd) -> None:  # type: ignore[no-untyped-def]
    """`self.lambda = ...` cannot be written: the rule must not fail (reported as a bug in gradfix)."""
    results = findings(write_script, """
        import torch
        from torch import nn
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(3, 3)
                self.register_buffer("lambda", nn.init.xavier_uniform_(torch.empty(3, 3)))
            def forward(self, x):
                return self.fc(x) @ getattr(self, "lambda")
        net = Net()
        opt = torch.optim.SGD(net.parameters(), lr=0.1)
        for _ in range(3):
            opt.zero_grad(); net(torch.randn(4, 3)).pow(2).mean().backward(); opt.step()
    """)
    assert "GF061" not in codes(results)
    assert "failed" not in capfd.readouterr().err


def test_gf060_weights_by_max_values_only_when_they_are_probabilities(write_script) -> None:  # type: ignore[no-untyped-def]
    """`top, idx = logits.max(dim=1)` on raw scores: multiplying the output by `top` would make
    the router train and the re-run verify it, but a logit is no gate value."""
    results = findings(write_script, """
        import torch
        from torch import nn
        torch.manual_seed(0)
        class Router(nn.Module):
            def __init__(self):
                super().__init__()
                self.gate = nn.Linear(6, 3)
                self.experts = nn.ModuleList(nn.Linear(6, 2) for _ in range(3))
            def forward(self, x):
                logits = self.gate(x)
                top, idx = logits.max(dim=1)
                out = torch.zeros(x.size(0), 2)
                for i in range(x.size(0)):
                    out[i] = self.experts[int(idx[i])](x[i])
                return out
        m = Router()
        opt = torch.optim.SGD(m.parameters(), lr=0.1)
        for _ in range(5):
            loss = (m(torch.randn(8, 6)) - 1).pow(2).mean()
            opt.zero_grad(); loss.backward(); opt.step()
    """)
    [gate] = [r for r in results if r.finding.code == "GF060"]
    assert gate.fix is None


def test_gf035_moves_no_step_into_a_loss_function_an_evaluation_pass_also_calls(write_script) -> None:  # type: ignore[no-untyped-def]
    # `forward_losses` builds both losses and `optimize` steps D before G's backward. Moving D's
    # backward and step into `forward_losses` is the fix when training alone calls it; here an
    # evaluation pass calls it too, and would then step D on held-out data.
    case = CORPUS / "step_between_forward_and_backward" / "dcgan_trainer_forward_losses_then_optimize.py"
    text = case.read_text().replace(
        "\n\ntrainer = GANTrainer(",
        "\n\ndef evaluate(trainer, batches):\n"
        "    return sum(trainer.forward_losses(real)[0].item() for real in batches) / len(batches)\n"
        "\n\ntrainer = GANTrainer(",
    ).replace(
        "    print(f\"epoch {epoch}: D {d:.3f}  G {g:.3f}\")\n",
        "    print(f\"epoch {epoch}: D {d:.3f}  G {g:.3f}  held-out D {evaluate(trainer, data[:2]):.3f}\")\n",
    )
    assert "evaluate(trainer" in text
    [result] = findings(write_script, text)
    assert result.finding.code == "GF035"
    offered = [c.description for c in result.finding.candidates]
    assert offered and not any("into `forward_losses()`" in d for d in offered), offered


def test_gf059_swaps_the_key_of_a_target_kept_in_a_dict_and_only_it() -> None:
    from gradfix.rules.target_network_never_updated import _Rename, _identifiers

    statement = cst.parse_statement('soft_update(targets["critic"], critic, tau=critic_tau)\n')
    assert {"targets['critic']", "critic", "soft_update"} <= _identifiers(statement)
    renamed = statement.visit(_Rename({"targets['critic']": "targets['actor']", "critic": "actor"}))
    assert cst.Module([renamed]).code == 'soft_update(targets["actor"], actor, tau=critic_tau)\n'


def test_gf059_and_gf041_read_module_paths_alike() -> None:
    from gradfix.trace import is_under, path_parts

    assert path_parts("self.q1.0.weight") == ["self", "q1", "0", "weight"]
    assert is_under("self.q1.0.weight", ["self", "q1"]) and not is_under("self.q1", ["self", "q1"])
    assert not is_under("self.q10.weight", ["self", "q1"])
    assert is_under("target_net", [])  # the script's globals hold every name


def test_missing_step_takes_the_step_out_of_its_branch() -> None:
    """GF014's chain surgery: an emptied `else` or call-free `elif` goes, an emptied `if` body takes
    its `else` under the negated test, an `elif` whose test calls something stays (None)."""
    from gradfix.rules.missing_step import _without

    def moved(code: str) -> str | None:
        top = cst.parse_module(code).body[0]
        assert isinstance(top, cst.If)
        step = next(s for s in descendants(top, cst.SimpleStatementLine) if "opt.step()" in cst.Module([]).code_for_node(s))
        rest = _without(top, step)
        return None if rest is None else cst.Module([rest]).code

    assert moved("if s:\n    s.step()\nelse:\n    opt.step()\n") == "if s:\n    s.step()\n"
    assert moved("if s:\n    s.step()\nelif not frozen:\n    opt.step()\nelse:\n    log.info(1)\n") == "if s:\n    s.step()\nelse:\n    log.info(1)\n"
    assert moved("if a == 'none':\n    opt.step()\nelse:\n    s.step()\n") == "if a != 'none':\n    s.step()\n"
    assert moved("if not ok:\n    opt.step()\nelse:\n    s.step()\n") == "if ok:\n    s.step()\n"
    assert moved("if s:\n    s.step()\nelif ready():\n    opt.step()\n") is None


def test_gf016_twin_names_differ_by_one_pair_marker() -> None:
    from gradfix.rules.unused_module import _pair_marker

    assert _pair_marker("dense_layer_v", "dense_layer_u") == ("v", "u")
    assert _pair_marker("item_tower", "user_tower") == ("item", "user")
    assert _pair_marker("q2_net", "q1_net") == ("2", "1")
    assert _pair_marker("k_proj", "q_proj") == ("k", "q")
    assert _pair_marker("rightBranch", "leftBranch") == ("right", "left")
    assert _pair_marker("decoder", "encoder") is None  # one word, no marker
    assert _pair_marker("fc_extra", "fc_out") is None  # not a pair
    assert _pair_marker("user_tower_v", "item_tower_u") is None  # two words differ


def test_gf007_a_plain_constant_the_rerun_cannot_train_is_not_reported(write_script) -> None:  # type: ignore[no-untyped-def]
    """`self.shift * 0` looks like a learned term, but made a Parameter it gets a zero gradient and
    never changes: the conjecture is not proved, so there is no finding."""
    results = findings(write_script, """
        import torch
        from torch import nn
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(3, 3)
                self.shift = torch.zeros(3)
            def forward(self, x):
                return self.fc(x) + self.shift * 0
        net = Net()
        opt = torch.optim.SGD(net.parameters(), lr=0.1)
        for _ in range(3):
            opt.zero_grad(); net(torch.randn(4, 3)).pow(2).mean().backward(); opt.step()
    """)
    assert "GF007" not in codes(results)


def test_gf019_floor_division_in_a_lambda_and_the_wrappers_that_set_the_rate() -> None:
    from gradfix.rules.zero_learning_rate import ZeroLearningRate, _wrapper_attrs
    from gradfix.source import SourceFile
    from gradfix.trace import SchedulerFact, Site

    text = (
        "import torch\n"
        "def ramp(it):\n"
        "    return min(1.0, it // W) * 0.5 ** (it // 100)\n"
        "f = lambda s: s // W\n"
        "a = torch.optim.lr_scheduler.LambdaLR(opt, ramp)\n"
        "b = torch.optim.lr_scheduler.LambdaLR(opt, lr_lambda=f)\n"
        "c = torch.optim.lr_scheduler.LambdaLR(opt, lambda e: min(1.0, e / W))\n"
        "class Noam:\n"
        "    def step(self):\n"
        "        for g in self.optimizer.param_groups:\n"
        "            g['lr'] = 1.0\n"
        "        self.optimizer.step()\n"
        "class Scheduled:\n"
        "    def _update(self):\n"
        "        for g in self._optimizer.param_groups:\n"
        "            g['lr'] = 1.0\n"
        "    def step_and_update_lr(self):\n"
        "        self._update()\n"
        "        self._optimizer.step()\n"
        "class Plain:\n"
        "    def step(self):\n"
        "        self.inner.step()\n"
    )
    source = SourceFile("t.py", text)
    rule = ZeroLearningRate()

    def described(line: int) -> list[str]:
        fact = SchedulerFact("torch.optim.lr_scheduler.LambdaLR", Site("t.py", line), 0)
        return [c.description.split(":")[0] for c in rule._candidates(source, fact)]

    assert described(5) == ["`it / W` instead of `it // W`", "`(it / 100)` instead of `(it // 100)`", "`/` instead of each `//` in LambdaLR's function"]
    assert described(6) == ["`s / W` instead of `s // W`"]
    assert described(7) == []
    # A wrapper counts only when it writes the rate before stepping what it holds.
    assert _wrapper_attrs(source) == {"optimizer": ("Noam", "step"), "_optimizer": ("Scheduled", "step_and_update_lr")}


def test_gf019_says_no_wrapper_was_bypassed_when_the_script_called_it(write_script) -> None:  # type: ignore[no-untyped-def]
    # The loop calls the wrapper's step(); the wrapper's rate stays 0 (`//`) for longer than the run.
    # The inner `self.optimizer.step()` is the wrapper's own: claiming it bypasses the wrapper,
    # and offering `self.step()` inside `step()`, would be wrong.
    results = findings(write_script, """
        import torch
        import torch.nn as nn
        class Warmup:
            def __init__(self, optimizer, warmup):
                self.optimizer, self.warmup, self.n = optimizer, warmup, 0
            def step(self):
                self.n += 1
                for group in self.optimizer.param_groups:
                    group["lr"] = 1e-2 * min(1, self.n // self.warmup)
                self.optimizer.step()
        model = nn.Linear(4, 1)
        opt = Warmup(torch.optim.SGD(model.parameters(), lr=0), warmup=100)
        x, y = torch.randn(32, 4), torch.randn(32, 1)
        for step in range(200):
            loss = ((model(x) - y) ** 2).mean()
            opt.optimizer.zero_grad()
            loss.backward()
            opt.step()
    """)
    assert results, "parameters that never change are reported"
    assert not any("is never called" in r.finding.message for r in results), [r.finding.message for r in results]
    assert not [c.description for r in results for c in r.finding.candidates if "instead of" in c.description]
    assert all(r.fix is None for r in results)


def test_gf062_parameter_replaced_after_the_optimizer_is_found_and_copied_in(write_script) -> None:  # type: ignore[no-untyped-def]
    # Was "No gradient problems found": the new scale is held by no optimizer, the old one by SGD.
    results = findings(write_script, """
        import torch
        from torch import nn
        class Scaled(nn.Module):
            def __init__(self):
                super().__init__()
                self.lin = nn.Linear(4, 2)
                self.scale = nn.Parameter(torch.ones(2))
            def forward(self, x):
                return self.lin(x) * self.scale
        model = Scaled()
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        def calibrate(m):
            m.scale = nn.Parameter(torch.full((2,), 0.5))
        calibrate(model)
        for _ in range(5):
            optimizer.zero_grad(); (model(torch.randn(8, 4)) - 1).pow(2).mean().backward(); optimizer.step()
    """)
    [result] = results
    assert result.finding.code == "GF062" and result.finding.params == ["model.scale"]
    assert result.fix and result.fix.description == "copy the new values into m.scale, which the optimizer holds"


def test_gf062_replacement_before_the_optimizer_is_left_alone(write_script) -> None:  # type: ignore[no-untyped-def]
    results = findings(write_script, """
        import torch
        from torch import nn
        model = nn.Linear(4, 2)
        model.weight = nn.Parameter(torch.zeros(2, 4))
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        for _ in range(5):
            optimizer.zero_grad(); (model(torch.randn(8, 4)) - 1).pow(2).mean().backward(); optimizer.step()
    """)
    assert codes(results) == []


def test_gf004_keep_keyword_that_names_no_part_spares_the_head_rather_than_unfreezing_all(write_script) -> None:  # type: ignore[no-untyped-def]
    path = write_script("""
        import torch
        class Net(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.body = torch.nn.Linear(3, 3)
                self.out = torch.nn.Linear(3, 1)
            def forward(self, x):
                return self.out(self.body(x))
        model = Net()
        for name, p in model.named_parameters():
            if not name.startswith("head"):
                p.requires_grad = False
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        for _ in range(3):
            opt.zero_grad(); model(torch.randn(4, 3)).sum().backward(); opt.step()
    """)
    report = repair(str(path), [], Sandbox([str(path.parent)], timeout=60))
    [result] = [r for r in report.results if r.finding.code == "GF004"]
    assert '"head"' in result.finding.message and "matches no parameter name" in result.finding.message
    assert "`body`, `out`" in result.finding.message
    assert result.fix is not None and result.fix.verdict.verified
    text = "".join(e.replacement for p in result.fix.patches for e in p.edits)
    assert text == '"out"'  # the body stays frozen: a head-only fine-tune stays one


def test_gf006_int_keyed_dict_of_layers_is_repaired_with_string_keys(write_script) -> None:  # type: ignore[no-untyped-def]
    # nn.ModuleDict alone crashes on int keys ("module name should be a string"): the verified fix
    # also makes each key a string where the dict is written and read.
    results = findings(write_script, """
        import torch
        from torch import nn
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.trunk = nn.Linear(4, 4)
                self.heads = {}
                for task in (2, 5):
                    self.heads[task] = nn.Linear(4, 1)
            def forward(self, x, task):
                return self.heads[task](self.trunk(x))
        model = Net()
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        for step in range(3):
            opt.zero_grad(); model(torch.randn(8, 4), (2, 5)[step % 2]).pow(2).mean().backward(); opt.step()
    """)
    [result] = results
    assert result.finding.code == "GF006" and "model.heads.2.weight" in result.finding.params
    assert result.fix, result.rejected
    replaced = [e.replacement for p in result.fix.patches for e in p.edits]
    assert replaced == ["nn.ModuleDict()", "self.heads[str(task)]", "self.heads[str(task)]"]


def test_gf006_dicts_of_parameters_in_a_dict_are_named_and_nested_in_module_and_parameter_dicts(write_script) -> None:  # type: ignore[no-untyped-def]
    results = findings(write_script, """
        import torch
        from torch import nn
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.out = nn.Linear(3, 1)
                self.rel = {}
                for r in range(2):
                    self.rel[r] = {"w": nn.Parameter(torch.randn(3, 3)), "b": nn.Parameter(torch.zeros(3))}
            def forward(self, x):
                for r in range(2):
                    x = torch.tanh(x @ self.rel[r]["w"] + self.rel[r]["b"])
                return self.out(x)
        model = Net()
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        for _ in range(3):
            opt.zero_grad(); model(torch.randn(8, 3)).pow(2).mean().backward(); opt.step()
    """)
    [result] = results
    # Named by their path, not as `<tensor#N>`, and found by GF006 rather than left to GF018.
    assert result.finding.code == "GF006"
    assert sorted(result.finding.params) == ["model.rel.0.b", "model.rel.0.w", "model.rel.1.b", "model.rel.1.w"]
    assert result.fix, result.rejected
    assert result.fix.description == "keep them in nn.ModuleDict of nn.ParameterDict, with its keys made strings (str(key)) where it is written and read"
    replaced = [e.replacement for p in result.fix.patches for e in p.edits]
    assert "self.rel[str(r)]" in replaced and any(r.startswith("nn.ParameterDict({") for r in replaced)


def test_gf063_logged_loss_term_is_added_with_its_weight(write_script) -> None:  # type: ignore[no-untyped-def]
    results = findings(write_script, """
        import torch
        from torch import nn
        import torch.nn.functional as F
        config = {"lr": 0.05, "w_recon": 0.5}
        encoder, head, decoder = nn.Linear(6, 8), nn.Linear(8, 2), nn.Linear(8, 6)
        params = [*encoder.parameters(), *head.parameters(), *decoder.parameters()]
        optimizer = torch.optim.SGD(params, lr=config["lr"])
        for _ in range(5):
            x, y = torch.randn(8, 6), torch.randint(0, 2, (8,))
            h = encoder(x)
            loss = F.cross_entropy(head(h), y)
            recon_term = F.mse_loss(decoder(h), x)
            print(recon_term.item())
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    """)
    assert codes(results) == ["GF063"]
    [result] = results
    assert result.fix and result.fix.description == 'add `recon_term` to the loss, weighted by `config["w_recon"]`'
    assert "decoder.weight" in result.finding.params


def test_gf063_term_backpropagated_on_its_own_is_left_alone(write_script) -> None:  # type: ignore[no-untyped-def]
    assert findings(write_script, """
        import torch
        from torch import nn
        import torch.nn.functional as F
        encoder, head, decoder = nn.Linear(6, 8), nn.Linear(8, 2), nn.Linear(8, 6)
        params = [*encoder.parameters(), *head.parameters(), *decoder.parameters()]
        optimizer = torch.optim.SGD(params, lr=0.05)
        for _ in range(5):
            x, y = torch.randn(8, 6), torch.randint(0, 2, (8,))
            h = encoder(x)
            loss = F.cross_entropy(head(h), y)
            recon_loss = F.mse_loss(decoder(h), x)
            optimizer.zero_grad()
            recon_loss.backward(retain_graph=True)
            loss.backward()
            optimizer.step()
            print(recon_loss.item())
    """) == []


def test_gf007_random_weights_added_to_a_flagged_bias_train_with_it(write_script) -> None:  # type: ignore[no-untyped-def]
    """A from-scratch layer: `torch.randn(...) * 0.1` weights added, after a matmul, to a plain zero
    bias. Both the bias alone and all three together verify; the fix that makes all three train
    wins, and the bias alone is reported as also verified."""
    path = write_script("""
        import torch
        from torch import nn
        class Cell(nn.Module):
            def __init__(self):
                super().__init__()
                self.W_x = torch.randn(3, 4) * 0.1
                self.W_h = torch.randn(4, 4) * 0.1
                self.b = torch.zeros(4)
                self.head = nn.Linear(4, 1)
            def forward(self, x):
                h = torch.zeros(x.size(0), 4)
                for _ in range(2):
                    h = torch.tanh(x @ self.W_x + h @ self.W_h + self.b)
                return self.head(h)
        net = Cell()
        opt = torch.optim.SGD(net.parameters(), lr=0.1)
        for _ in range(3):
            opt.zero_grad(); net(torch.randn(8, 3)).pow(2).mean().backward(); opt.step()
    """)
    report = repair(str(path), [], Sandbox([str(path.parent)], timeout=30))
    [result] = report.results
    assert result.finding.code == "GF007" and result.fix is not None
    assert result.fix.description == "make `W_x`, `W_h`, `b` nn.Parameters"
    assert result.fix.also_verified == ["make `b` an nn.Parameter"]
    assert sorted(result.finding.params) == ["net.W_h", "net.W_x", "net.b"]


def test_gf007_a_random_projection_beside_a_gate_is_left_alone(write_script) -> None:  # type: ignore[no-untyped-def]
    """A fixed random projection scaled by a plain constant gate: the gate is flagged, but the
    projection is not added to it, so the only fix is the gate's."""
    path = write_script("""
        import torch
        from torch import nn
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.R = torch.randn(3, 4)
                self.gate = torch.ones(1)
                self.head = nn.Linear(4, 1)
            def forward(self, x):
                return self.head(x @ self.R) * self.gate
        net = Net()
        opt = torch.optim.SGD(net.parameters(), lr=0.1)
        for _ in range(3):
            opt.zero_grad(); net(torch.randn(8, 3)).pow(2).mean().backward(); opt.step()
    """)
    report = repair(str(path), [], Sandbox([str(path.parent)], timeout=30))
    [result] = report.results
    assert result.fix is not None and result.fix.description == "make `gate` an nn.Parameter"
    assert result.fix.also_verified == []


def test_gf036_follows_a_numpy_copy_out_through_a_return_and_back_through_a_helper(write_script) -> None:  # type: ignore[no-untyped-def]
    # The critic's values leave the graph in the helper that returns them ("for logging") and come
    # back through a one-line converting helper: the values stay tensors and are no longer wrapped.
    results = findings(write_script, """
        import numpy as np
        import torch
        import torch.nn.functional as F
        from torch import nn

        def to_tensor(x):
            return torch.as_tensor(np.asarray(x, dtype="float32"))

        def predict(critic, states):
            return critic(states).squeeze(-1).detach().numpy()

        critic = nn.Linear(4, 1)
        opt = torch.optim.SGD(critic.parameters(), lr=0.1)
        for _ in range(3):
            states, targets = torch.randn(8, 4), torch.randn(8)
            values = predict(critic, states)
            loss = F.mse_loss(to_tensor(values), targets)
            loss.requires_grad_(True)
            opt.zero_grad(); loss.backward(); opt.step()
    """)
    fixed = [r for r in results if r.finding.code == "GF036"]
    assert fixed and fixed[0].fix is not None and fixed[0].fix.verdict.verified
    replacements = [e.replacement for p in fixed[0].fix.patches for e in p.edits]
    assert "critic(states).squeeze(-1)" in replacements and "values" in replacements


def test_gf013_a_parameter_a_helpers_leaf_walk_left_out_joins_where_the_caller_binds_the_wrapper(write_script) -> None:  # type: ignore[no-untyped-def]
    # The helper (in a module of the project) sees only the leaf layers, and returns a wrapper with
    # no add_param_group: the group is added in the script, through the attribute the wrapper's
    # step() uses, and the plain name is tried and rejected by its re-run.
    path = write_script("""
        import torch
        from torch import nn
        from optimizers import build_optimizer, leaves

        class Head(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(4, 2)
                self.scale = nn.Parameter(torch.ones(2))
            def forward(self, x):
                return self.fc(x) * self.scale

        model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), Head())
        opt = build_optimizer(leaves(model))
        for _ in range(4):
            loss = model(torch.randn(8, 3)).pow(2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
    """, optimizers="""
        import torch

        class Stepper:
            def __init__(self, inner):
                self.inner = inner
            def zero_grad(self):
                self.inner.zero_grad()
            def step(self):
                self.inner.step()

        def leaves(m):
            kids = list(m.children())
            return sum(map(leaves, kids), []) if kids else [m]

        def build_optimizer(layers):
            return Stepper(torch.optim.SGD([p for m in layers for p in m.parameters()], lr=0.1))
    """)
    report = repair(str(path), [], Sandbox([str(path.parent)], timeout=30))
    [result] = report.results
    assert result.finding.code == "GF013"
    assert result.fix is not None, result.note
    [patch] = result.fix.patches
    assert patch.path == str(path)
    assert [e.replacement for e in patch.edits] == ['opt.inner.add_param_group({"params": [model[2].scale]})\n']
    assert any("AttributeError" in why for _, why in result.fix.rejected + result.rejected)


def test_gf063_term_added_under_a_test_that_did_not_hold_is_not_called_never_added(write_script) -> None:  # type: ignore[no-untyped-def]
    # The auxiliary loss is switched off by its weight (or starts after a warm-up): the script does
    # add it, so GF063 offers no "add it" fix; the frozen-by-choice head is still said (GF018).
    results = findings(write_script, """
        import torch
        from torch import nn
        import torch.nn.functional as F
        cfg = {"aux_weight": 0.0}
        body, head, aux_head = nn.Linear(8, 16), nn.Linear(16, 3), nn.Linear(16, 3)
        params = [*body.parameters(), *head.parameters(), *aux_head.parameters()]
        opt = torch.optim.Adam(params, lr=1e-3)
        for step in range(5):
            x, y = torch.randn(32, 8), torch.randint(0, 3, (32,))
            h = torch.relu(body(x))
            loss = F.cross_entropy(head(h), y)
            loss_aux = F.cross_entropy(aux_head(h), y)
            if cfg["aux_weight"] > 0:
                loss = loss + cfg["aux_weight"] * loss_aux
            opt.zero_grad(); loss.backward(); opt.step()
            print(loss.item(), loss_aux.item())
    """)
    assert [r.finding.code for r in results] == ["GF018"]
    assert results[0].fix is None


def test_gf064_optimizer_unpickled_apart_from_its_model_is_rebuilt_over_it_keeping_its_state(write_script) -> None:  # type: ignore[no-untyped-def]
    # An estimator whose __getstate__ pickles each attribute in its own call: a pickle round trip
    # gives the copy an optimizer over its own copies of the weights, and the copy never trains.
    [result] = findings(write_script, """
        import pickle
        import torch
        from torch import nn

        class Estimator:
            def __init__(self):
                self.net = nn.Sequential(nn.Linear(3, 5), nn.ReLU(), nn.Linear(5, 1))
                self.opt = torch.optim.Adam(self.net.parameters(), lr=0.01)

            def __getstate__(self):
                return {key: pickle.dumps(value) for key, value in self.__dict__.items()}

            def __setstate__(self, state):
                self.__dict__.update({key: pickle.loads(blob) for key, blob in state.items()})

            def fit(self, x, y):
                for _ in range(4):
                    self.opt.zero_grad()
                    nn.functional.mse_loss(self.net(x), y).backward()
                    self.opt.step()

        x, y = torch.randn(16, 3), torch.randn(16, 1)
        original = Estimator()
        original.fit(x, y)
        restored = pickle.loads(pickle.dumps(original))
        restored.fit(x, y)
    """)
    assert result.finding.code == "GF064" and result.fix is not None
    assert result.finding.line == 26  # the round trip, where the two were copied apart
    [patch] = result.fix.patches
    assert [e.replacement for e in patch.edits] == [
        "rebuilt_optimizer = type(restored.opt)(restored.net.parameters(), **restored.opt.defaults)\n"
        "rebuilt_optimizer.load_state_dict(restored.opt.state_dict())\n"
        "restored.opt = rebuilt_optimizer\n"
    ]


def test_gf064_an_optimizer_of_two_groups_is_rebuilt_with_both_groups(write_script) -> None:  # type: ignore[no-untyped-def]
    # Two parameter groups with their own rates: the rebuilt optimizer keeps both, each over the
    # twin's parameters in the order the run showed, and the old one's state.
    [result] = findings(write_script, """
        import copy
        import torch
        from torch import nn

        model = nn.Sequential(nn.Linear(4, 6), nn.Tanh(), nn.Linear(6, 1))
        optimizer = torch.optim.SGD([{"params": model[0].parameters()}, {"params": model[2].parameters(), "lr": 0.1}], lr=0.01)
        for _ in range(2):
            optimizer.zero_grad()
            model(torch.randn(8, 4)).pow(2).mean().backward()
            optimizer.step()
        twin, twin_optimizer = copy.deepcopy(model), copy.deepcopy(optimizer)
        for _ in range(4):
            twin_optimizer.zero_grad()
            twin(torch.randn(8, 4)).pow(2).mean().backward()
            twin_optimizer.step()
    """)
    assert result.finding.code == "GF064" and result.fix is not None
    [patch] = result.fix.patches
    assert [e.replacement for e in patch.edits] == [
        "model_parameters = list(twin.parameters())\n"
        'rebuilt_optimizer = type(twin_optimizer)([dict(group, params=[model_parameters.pop(0) for _ in group["params"]]) '
        "for group in twin_optimizer.param_groups], **twin_optimizer.defaults)\n"
        "rebuilt_optimizer.load_state_dict(twin_optimizer.state_dict())\n"
        "twin_optimizer = rebuilt_optimizer\n"
    ]


def test_gf064_a_trainer_deep_copied_whole_is_left_alone(write_script) -> None:  # type: ignore[no-untyped-def]
    # One deepcopy keeps the copy's optimizer over the copy's parameters (GF010 once took the
    # copy's parameters for parameters no optimizer holds).
    assert findings(write_script, """
        import copy
        import torch
        from torch import nn

        class Trainer:
            def __init__(self):
                self.model = nn.Linear(4, 1)
                self.optimizer = torch.optim.SGD(self.model.parameters(), lr=0.1)

            def fit(self):
                for _ in range(3):
                    self.optimizer.zero_grad()
                    self.model(torch.randn(8, 4)).pow(2).mean().backward()
                    self.optimizer.step()

        first = Trainer()
        first.fit()
        second = copy.deepcopy(first)
        second.fit()
    """) == []


def test_gf065_closure_of_a_no_grad_optimizer_step_gets_enable_grad_and_the_decorator_stays(write_script) -> None:  # type: ignore[no-untyped-def]
    # A hand-written optimizer whose @torch.no_grad() step() calls the closure: the training
    # step's forward builds no graph. The fix turns gradients back on around the call only; the
    # decorator's removal is rejected by its re-run (in-place updates of leaf parameters).
    path = write_script("""
        import torch
        from torch import nn

        class Descent(torch.optim.Optimizer):
            def __init__(self, params, lr=0.1):
                super().__init__(params, dict(lr=lr))

            @torch.no_grad()
            def step(self, closure):
                loss = closure()
                for p in self.param_groups[0]["params"]:
                    p.sub_(self.param_groups[0]["lr"] * p.grad)
                return loss

        model = nn.Linear(3, 1)
        optimizer = Descent(model.parameters())
        x, y = torch.randn(8, 3), torch.randn(8, 1)

        def closure():
            optimizer.zero_grad()
            loss = ((model(x) - y) ** 2).mean()
            loss.backward()
            return loss

        for _ in range(4):
            optimizer.step(closure)
    """)
    report = repair(str(path), [], Sandbox([str(path.parent)], timeout=30))
    [result] = report.results
    assert result.finding.code == "GF065"
    assert result.fix is not None and "turn gradients back on around `closure()`" in result.fix.description
    fixed = result.fix.patches[0].apply(path.read_text())
    assert "    @torch.no_grad()\n    def step(self, closure):" in fixed
    assert "        with torch.enable_grad():\n            loss = closure()\n" in fixed
    assert any("remove the decorator" in candidate for candidate, _ in result.fix.rejected)


def test_gf065_a_no_grad_helper_calling_a_metric_it_is_handed_is_left_alone(write_script) -> None:  # type: ignore[no-untyped-def]
    assert findings(write_script, """
        import torch
        from torch import nn

        model = nn.Linear(4, 2)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)

        @torch.no_grad()
        def evaluate(metric, x, y):
            return metric(model(x), y)

        for _ in range(3):
            x, y = torch.randn(8, 4), torch.randint(0, 2, (8,))
            optimizer.zero_grad()
            nn.functional.cross_entropy(model(x), y).backward()
            optimizer.step()
            print(evaluate(lambda out, t: (out.argmax(1) == t).float().mean().item(), x, y))
    """) == []


# -- an unfreezing fix judged on what a loss reaches (Candidate.thaws) -----------------------------


def _thaw_verdict(before: dict[str, tuple[bool, bool, bool]], after: dict[str, tuple[bool, bool, bool, bool]]):  # type: ignore[no-untyped-def]
    """The verdict of a thawing fix; each parameter as (requires_grad, got_grad, changed) before
    and (requires_grad, reached, got_grad, changed) after, all held by one optimizer that steps."""
    from gradfix.findings import Candidate, Finding
    from gradfix.sandbox import RunResult
    from gradfix.trace import OptimizerFact, ParamFact, Trace
    from gradfix.verify import judge

    def trace(params: list[ParamFact]) -> Trace:
        return Trace(script="train.py", argv=[], params=params, optimizers=[OptimizerFact(id=1, cls="Adam", site=None, name="opt", steps=3)])

    old = trace([ParamFact(n, 1, [2], "float32", rg, True, got_grad=g, changed=c, optimizers=[1]) for n, (rg, g, c) in before.items()])
    new = trace([ParamFact(n, 1, [2], "float32", rg, True, reached=r, got_grad=g, changed=c, optimizers=[1]) for n, (rg, r, g, c) in after.items()])
    names = list(before)
    finding = Finding("GF012", "typo", "the unfreeze did not happen", "train.py", 1, 0, names)
    candidate = Candidate("spell it requires_grad", [], Applicability.SAFE, names, thaws=True)
    return judge(finding, candidate, old, RunResult(new, "", "", 0.0))


def test_verify_an_unfreeze_is_not_rejected_for_unfrozen_parts_no_loss_reaches_and_says_which_stay_unchanged() -> None:
    verdict = _thaw_verdict(
        {"model.encoder.weight": (False, False, False), "model.decoder.weight": (False, False, False), "model.head.weight": (True, True, True)},
        {"model.encoder.weight": (True, True, True, True), "model.decoder.weight": (True, False, False, False), "model.head.weight": (True, True, True, True)},
    )
    assert verdict.verified and not verdict.partial, verdict.reason
    assert verdict.trained == ["model.encoder.weight", "model.head.weight"]
    assert "model.decoder.weight stays unchanged" in verdict.reason and "no loss reaches it" in verdict.reason


def test_verify_an_unfreeze_that_trains_nothing_new_or_leaves_a_used_part_frozen_is_rejected() -> None:
    # the only part a loss reaches trained before the fix too: the fix trains nothing new
    nothing_new = _thaw_verdict(
        {"model.projector.weight": (False, False, False), "model.head.weight": (True, True, True)},
        {"model.projector.weight": (True, False, False, False), "model.head.weight": (True, True, True, True)},
    )
    assert not nothing_new.verified and "nothing it unfreezes trains that did not before" in nothing_new.reason
    # still frozen after the fix is not "unused": it is what the fix failed to do
    frozen = _thaw_verdict(
        {"model.encoder.weight": (False, False, False), "model.backbone.weight": (False, False, False)},
        {"model.encoder.weight": (True, True, True, True), "model.backbone.weight": (False, False, False, False)},
    )
    assert not frozen.verified and "still no gradient: model.backbone.weight" in frozen.reason
    # reached by a loss and still no gradient: evidence against the fix
    cut = _thaw_verdict(
        {"model.encoder.weight": (False, False, False), "model.backbone.weight": (False, False, False)},
        {"model.encoder.weight": (True, True, True, True), "model.backbone.weight": (True, True, False, False)},
    )
    assert not cut.verified and "still no gradient: model.backbone.weight" in cut.reason


def test_verify_a_fix_whose_rerun_steps_weights_into_nan_is_rejected() -> None:
    """Gradients that now arrive but are NaN (a division by a zero norm the fix let them through)
    'change' the weights into NaN: not a fix."""
    from gradfix.findings import Candidate, Finding
    from gradfix.sandbox import RunResult
    from gradfix.trace import OptimizerFact, ParamFact, Trace
    from gradfix.verify import judge

    def trace(got: bool, nan: bool) -> Trace:
        params = [ParamFact("model.fc.weight", 1, [2], "float32", True, True, got_grad=got, changed=got, optimizers=[1], nonfinite=nan)]
        return Trace(script="train.py", argv=[], params=params, optimizers=[OptimizerFact(id=1, cls="Adam", site=None, name="opt", steps=3)])

    finding = Finding("GF005", "detached", "the graph is cut", "train.py", 1, 0, ["model.fc.weight"])
    candidate = Candidate("drop .detach()", [], Applicability.SAFE, None)
    ruined = judge(finding, candidate, trace(False, False), RunResult(trace(True, True), "", "", 0.0))
    assert not ruined.verified and "model.fc.weight ends the run holding NaN or inf" in ruined.reason
    fine = judge(finding, candidate, trace(False, False), RunResult(trace(True, False), "", "", 0.0))
    assert fine.verified, fine.reason


def test_gf060_argmax_that_looks_up_an_embedding_of_another_model_is_read_through_a_straight_through_one_hot(write_script) -> None:  # type: ignore[no-untyped-def]
    """The picker's argmax chooses a row of the reader's table: the offered fix reads the table by
    a matrix product with a straight-through one-hot (the same row forward), and the soft lookup
    verified too."""
    results = findings(write_script, """
        import torch
        from torch import nn
        import torch.nn.functional as F
        torch.manual_seed(0)
        class Picker(nn.Module):
            def __init__(self):
                super().__init__()
                self.score = nn.Linear(6, 4)
            def forward(self, x):
                return self.score(x)
        class Reader(nn.Module):
            def __init__(self):
                super().__init__()
                self.table = nn.Embedding(4, 3)
                self.out = nn.Linear(3, 1)
            def forward(self, choice):
                return self.out(self.table(choice))
        class Both(nn.Module):
            def __init__(self):
                super().__init__()
                self.picker, self.reader = Picker(), Reader()
            def forward(self, x):
                logits = self.picker(x)
                choice = logits.argmax(dim=1)
                return self.reader(choice)
        m = Both()
        opt = torch.optim.SGD(m.parameters(), lr=0.1)
        for _ in range(5):
            x = torch.randn(8, 6)
            loss = (m(x).squeeze(1) - x[:, 0]).pow(2).mean()
            opt.zero_grad(); loss.backward(); opt.step()
    """)
    [gate] = [r for r in results if r.finding.code == "GF060"]
    assert "embedding table" in gate.finding.message
    assert gate.finding.params == ["m.picker.score.weight", "m.picker.score.bias"]
    assert gate.fix is not None and gate.fix.applicability is Applicability.UNSAFE
    assert "straight-through one-hot of `choice`" in gate.fix.description
    inserted = [e.replacement for p in gate.fix.patches for e in p.edits]
    assert "choice @ self.table.weight" in inserted
    assert any("choice = F.one_hot(choice, choice_probs.size(1))" in text for text in inserted)
    assert any("soft lookup" in also for also in gate.fix.also_verified)


def test_gf017_learned_position_rounded_to_a_gather_index_is_read_by_interpolation(write_script) -> None:  # type: ignore[no-untyped-def]
    """A trainable read position, rounded and cast to an index for gather: the fix reads the two
    neighbouring entries weighted by the fractional part, and the position then trains."""
    results = findings(write_script, """
        import torch
        from torch import nn
        torch.manual_seed(0)
        class Reader(nn.Module):
            def __init__(self):
                super().__init__()
                self.where = nn.Parameter(torch.tensor([2.3, 5.6]))
                self.out = nn.Linear(2, 1)
            def forward(self, x):
                pos = self.where.clamp(0, 9)
                idx = pos.round().long()
                read = x.gather(1, idx.unsqueeze(0).expand(x.size(0), -1))
                return self.out(read).squeeze(1)
        m = Reader()
        opt = torch.optim.Adam(m.parameters(), lr=0.1)
        for _ in range(5):
            x = torch.randn(16, 10)
            loss = (m(x) - x[:, 4]).pow(2).mean()
            opt.zero_grad(); loss.backward(); opt.step()
    """)
    [result] = [r for r in results if r.finding.code == "GF017"]
    assert result.finding.line == 12 and result.finding.params == ["m.where"]
    assert "linear interpolation" in result.finding.message
    assert result.fix is not None and result.fix.applicability is Applicability.UNSAFE
    inserted = "".join(e.replacement for p in result.fix.patches for e in p.edits)
    assert "pos.floor().long()" in inserted and "(idx + 1).clamp(max=x.size(1) - 1)" in inserted
    assert result.fix.verdict.trained == ["m.where"]


def test_gf017_a_gather_index_made_from_data_lengths_gives_nothing(write_script) -> None:  # type: ignore[no-untyped-def]
    results = findings(write_script, """
        import torch
        from torch import nn
        torch.manual_seed(0)
        rnn, head = nn.GRU(3, 4, batch_first=True), nn.Linear(4, 1)
        opt = torch.optim.Adam([*rnn.parameters(), *head.parameters()], lr=1e-2)
        for _ in range(4):
            x, lengths = torch.randn(8, 6, 3), torch.randint(1, 7, (8,))
            states, _ = rnn(x)
            last = (lengths.float() - 1).long()
            picked = states.gather(1, last.view(-1, 1, 1).expand(-1, 1, 4)).squeeze(1)
            loss = head(picked).pow(2).mean()
            opt.zero_grad(); loss.backward(); opt.step()
    """)
    assert codes(results) == []


_DDP_AUX_AFTER_WARMUP = """
    import socket
    import torch
    import torch.distributed as dist
    import torch.nn.functional as F
    from torch import nn
    from torch.nn.parallel import DistributedDataParallel

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.trunk = nn.Linear(6, 8)
            self.head = nn.Linear(8, 2)
            self.aux = nn.Linear(8, 2)

        def forward(self, x):
            h = torch.relu(self.trunk(x))
            side = self.aux(h)
            return self.head(h), side

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=0, world_size=1)
    net = DistributedDataParallel(Net()WRAP_KEYWORDS)
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    for it in range(4):
        x, y = torch.randn(8, 6), torch.randint(0, 2, (8,))
        out, side = net(x)
        loss = F.cross_entropy(out, y)
        if it >= 100:  # the auxiliary head joins after a warm-up longer than this run
            loss = loss + F.cross_entropy(side, y)
        opt.zero_grad(); loss.backward(); opt.step()
    dist.destroy_process_group()
"""


def test_gf056_ddp_stopped_by_a_branch_left_out_in_warmup_is_told_to_find_unused_parameters(write_script) -> None:  # type: ignore[no-untyped-def]
    results = findings(write_script, _DDP_AUX_AFTER_WARMUP.replace("WRAP_KEYWORDS", ""))
    [result] = [r for r in results if r.finding.code == "GF056"]
    assert "net.module.aux.weight, net.module.aux.bias never receive a gradient" in result.finding.message
    assert "find_unused_parameters=True" in result.finding.message
    # The branch is left out on purpose: the one-keyword edit on the DDP call, not a rewired forward().
    assert result.fix is not None and result.fix.description.startswith("let DistributedDataParallel skip")
    [patch] = result.fix.patches
    assert [edit.replacement for edit in patch.edits] == ["DistributedDataParallel(Net(), find_unused_parameters=True)"]
    assert "every other parameter of the model receives a gradient" in result.fix.verdict.reason


def test_gf056_steps_aside_for_a_ddp_branch_told_unused_and_gf018_says_why_it_stays(write_script) -> None:  # type: ignore[no-untyped-def]
    results = findings(write_script, _DDP_AUX_AFTER_WARMUP.replace("WRAP_KEYWORDS", ", find_unused_parameters=True"))
    assert "GF056" not in codes(results)
    [result] = results
    assert result.finding.code == "GF018" and result.fix is None
    # DDP's sink links the left-out output into the graph: no custom Function or hook is to blame.
    assert "DistributedDataParallel" in result.finding.message and "autograd.Function" not in result.finding.message


def test_gf016_ddp_stopped_by_a_layer_switched_on_later_is_told_to_find_unused_parameters(write_script) -> None:  # type: ignore[no-untyped-def]
    results = findings(write_script, """
        import socket
        import torch
        import torch.distributed as dist
        from torch import nn
        from torch.nn.parallel import DistributedDataParallel

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.trunk = nn.Linear(6, 8)
                self.extra = nn.Linear(8, 8)
                self.head = nn.Linear(8, 1)
                self.deep = False

            def forward(self, x):
                h = torch.relu(self.trunk(x))
                if self.deep:
                    h = torch.relu(self.extra(h))
                return self.head(h)

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=0, world_size=1)
        net = DistributedDataParallel(Net(), find_unused_parameters=False)
        opt = torch.optim.SGD(net.parameters(), lr=0.1)
        for it in range(4):
            if it == 100:  # a later stage deepens the model
                net.module.deep = True
            loss = net(torch.randn(8, 6)).pow(2).mean()
            opt.zero_grad(); loss.backward(); opt.step()
        dist.destroy_process_group()
    """)
    [result] = results
    assert result.finding.code == "GF016" and "find_unused_parameters=True" in result.finding.message
    # The layer is called in forward(): it is not deleted, DDP is told it may sit out.
    assert result.fix is not None and result.fix.description.startswith("let DistributedDataParallel skip")
    [patch] = result.fix.patches
    assert [edit.replacement for edit in patch.edits] == ["DistributedDataParallel(Net(), find_unused_parameters=True)"]


def test_gf066_a_new_parameter_handed_over_with_a_generator_is_listed(write_script) -> None:  # type: ignore[no-untyped-def]
    # A new prompt replaces the old one and the group is re-pointed with model.parameters(): the
    # generator is the fault (GF066), not the replacement (GF062 would copy into the old tensor).
    [result] = findings(write_script, """
        import torch
        from torch import nn

        class Prompted(nn.Module):
            def __init__(self):
                super().__init__()
                self.prompt = nn.Parameter(torch.zeros(1, 4))
                self.head = nn.Linear(4, 1)

            def forward(self, x):
                return self.head(x + self.prompt)

        model = Prompted()
        optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
        for task in range(2):
            if task == 1:
                model.prompt = nn.Parameter(torch.zeros(1, 4))
                optimizer.param_groups[0]["params"] = model.parameters()
            for _ in range(3):
                optimizer.zero_grad()
                model(torch.randn(8, 4)).pow(2).mean().backward()
                optimizer.step()
    """)
    assert result.finding.code == "GF066" and result.fix is not None
    assert result.finding.line == 19 and result.finding.params == ["model.prompt"]
    [patch] = result.fix.patches
    assert [e.replacement for e in patch.edits] == ["list(model.parameters())"]


def test_gf066_found_when_everything_trained_before_the_group_was_used_up(write_script) -> None:  # type: ignore[no-untyped-def]
    # Every parameter changed in the first phase, so none ends unchanged; the run still shows the
    # group holding a used-up iterator at the later steps, and the listed group is what verifies.
    [result] = findings(write_script, """
        import torch
        from torch import nn

        model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1))
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        for phase in range(2):
            if phase == 1:
                optimizer.param_groups[0]["params"] = filter(lambda p: p.requires_grad, model.parameters())
            for _ in range(3):
                optimizer.zero_grad()
                model(torch.randn(8, 4)).pow(2).mean().backward()
                optimizer.step()
    """)
    assert result.finding.code == "GF066" and result.fix is not None
    [patch] = result.fix.patches
    assert [e.replacement for e in patch.edits] == ["list(filter(lambda p: p.requires_grad, model.parameters()))"]
    # no parameter is named (all of them changed in the first phase): the verdict says what it saw
    assert result.fix.verdict.reason == "the script now runs and its optimizers step"


def test_gf056_a_ddp_aux_output_nobody_reads_is_not_silenced_with_find_unused_parameters(write_script) -> None:  # type: ignore[no-untyped-def]
    """An auxiliary head whose output the caller keeps whole and never reads (`out = model(x)`,
    a loss on `out[0]` only) is a forgotten loss, not a branch that sits out a phase: telling DDP
    to find unused parameters would verify (the crash goes) and hide it. Only a caller that
    unpacks the value and reads it makes the keyword the fix (outside review)."""
    results = findings(write_script, """
        import socket
        import torch
        import torch.distributed as dist
        import torch.nn as nn
        import torch.nn.functional as F
        from torch.nn.parallel import DistributedDataParallel as DDP

        def free_port():
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                return s.getsockname()[1]

        dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{free_port()}", rank=0, world_size=1)
        torch.manual_seed(0)

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.body = nn.Linear(8, 16)
                self.cls = nn.Linear(16, 3)
                self.aux = nn.Linear(16, 3)

            def forward(self, x):
                h = torch.relu(self.body(x))
                logits = self.cls(h)
                aux = self.aux(h)
                return logits, aux

        model = DDP(Net())
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        for step in range(5):
            x, y = torch.randn(16, 8), torch.randint(0, 3, (16,))
            out = model(x)
            loss = F.cross_entropy(out[0], y)
            opt.zero_grad()
            loss.backward()
            opt.step()
        dist.destroy_process_group()
    """)
    [result] = [r for r in results if r.finding.code == "GF056"]
    tried = [result.fix.description] if result.fix else []
    tried += [d for d, _ in result.rejected]
    assert not any("find_unused_parameters" in d for d in tried), tried


def test_gf067_set_rewritten_as_list_only_when_nothing_else_reads_it() -> None:
    from gradfix.rules.params_in_a_set import _as_list, _given_params, _in_model_order, _read_only_here, _set_value
    from gradfix.source import SourceFile

    text = (
        "def build(model, torch):\n"
        "    biases = {p for n, p in model.named_parameters() if 'bias' in n}\n"
        "    weights = [p for p in model.parameters() if p not in biases]\n"
        "    only = {p for p in model.head.parameters()}\n"
        "    nested = set()\n"
        "    for m in model.modules():\n"
        "        for p in m.parameters():\n"
        "            nested.add(p)\n"
        "    return torch.optim.SGD([{'params': weights}, {'params': biases}, {'params': only}, {'params': nested}], lr=1)\n"
    )
    source = SourceFile("t.py", text)
    [call] = [c for c in descendants(source.module, cst.Call) if source.code(c.func) == "torch.optim.SGD"]
    given = _given_params(source, call)
    assert [source.code(g) for g in given if _set_value(source, g) is not None] == ["biases", "only", "nested"]
    biases, only, nested = given[1:]
    # The membership test inside the comprehension (a scope of its own) reads `biases` too.
    assert not _read_only_here(source, biases)
    assert _read_only_here(source, only)
    assert _in_model_order(source, biases, _set_value(source, biases)) == "[p for p in model.parameters() if p in biases]"
    assert _in_model_order(source, only, _set_value(source, only)) == "[p for p in model.head.parameters() if p in only]"
    # Loops over modules() give a parameter once per ancestor: the set was removing the copies.
    assert _as_list(source, _set_value(source, nested)) is None

def test_gf023_moving_a_lookup_needs_it_to_read_nothing_the_passed_statements_bind() -> None:
    from gradfix.rules.inplace_modified import _bound_and_used

    passed = cst.parse_statement("scores, self.cache = q @ self.table.t(), None\n")
    bound, used = _bound_and_used(passed)
    assert bound == {"scores", "self.cache"}
    assert {"q", "self.table", "self"} <= used
    lookup_bound, lookup_used = _bound_and_used(cst.parse_statement("e = F.embedding(scores.argmax(1), self.table, max_norm=1.0)\n"))
    assert lookup_bound == {"e"} and bound & lookup_used  # it reads `scores`: it cannot go above


def test_gf023_functional_embedding_with_positional_max_norm_after_the_table_is_used(write_script) -> None:  # type: ignore[no-untyped-def]
    results = findings(write_script, """
        import torch
        import torch.nn as nn
        import torch.nn.functional as F

        torch.manual_seed(0)

        class Codebook(nn.Module):
            def __init__(self):
                super().__init__()
                self.table = nn.Parameter(torch.randn(10, 4))
                self.out = nn.Linear(4, 2)

            def forward(self, x, ids):
                spread = self.table.pow(2).mean()
                picked = F.embedding(ids, self.table, None, 1.0)
                return self.out(picked + x) + spread

        model = Codebook()
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        for step in range(4):
            x, ids = torch.randn(8, 4), torch.randint(0, 10, (8,))
            loss = model(x, ids).pow(2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
    """)
    [result] = [r for r in results if r.finding.code == "GF023"]
    assert "renormalises" in result.finding.message
    assert result.fix is not None and result.fix.description.startswith("move `picked = F.embedding")

def test_gf010_whole_module_replacing_calls_and_those_that_ran_before_the_optimizer() -> None:
    """Only calls that put new tensors in place of the parameters count (load_state_dict without
    assign=True copies into them); one above the optimizer in its own scope, outside a loop, ran first."""
    from gradfix.rules.stale_optimizer import _ran_before, _replacing_calls
    from gradfix.source import SourceFile

    text = (
        "import torch\n"
        "model.load_state_dict(sd, assign=True)\n"
        "model.load_state_dict(sd)\n"
        "model.load_state_dict(sd, assign=False)\n"
        "optimizer = torch.optim.SGD(model.parameters(), lr=0.1)\n"
        "for _ in range(2):\n"
        "    model.to_empty(device='cpu')\n"
        "def resume(trainer, sd):\n"
        "    trainer.model.load_state_dict(sd, assign=True)\n"
    )
    source = SourceFile("script.py", text)
    calls = _replacing_calls(source)
    assert [source.range(call).start.line for call in calls] == [2, 7, 9]
    call_sites = [c for c in descendants(source.module, cst.Call) if source.range(c).start.line == 5]
    statement = source.statement_of(call_sites[0])
    assert statement is not None
    assert [_ran_before(source, call, statement) for call in calls] == [True, False, False]


def test_gf068_late_bound_closures_flagged_and_bound_early() -> None:
    """Closures kept past their iteration that read a name the loop rebinds are found, in loops,
    while loops and comprehensions; those that bind early, read only their arguments, or run
    within their iteration are not. The fix rewrites the parameter list only."""
    import textwrap

    from gradfix.edits import apply_edits
    from gradfix.rules.late_bound_closure import _bound_early, find_late_bound
    from gradfix.source import SourceFile

    text = textwrap.dedent("""\
        import functools
        from torch.optim.lr_scheduler import LambdaLR
        for name, scale in scales.items():
            for p in params[name]:
                p.register_hook(lambda grad: grad * scale)
                p.register_hook(lambda grad, scale=scale: grad * scale)
                p.register_hook(functools.partial(mul, scale=scale))
                p.register_hook(lambda grad: grad.clamp(-1, 1))
                p.register_hook(lambda *g, **kw: g[0] * scale)
                p.register_hook(make_hook(scale))
        def per_layer(layers, masks, x):
            for layer, mask in zip(layers, masks):
                h = layer.register_forward_hook(lambda m, i, o: o * mask)
                x = layer(x)
                h.remove()
                f = lambda t: t * mask
                x = f(x)
            return x
        def groups(opt, mults):
            fns = []
            i = 0
            while i < len(mults):
                m = mults[i]
                def fn(step):
                    return m * step
                fns.append(fn)
                i += 1
            return LambdaLR(opt, [lambda e: k * e for k in mults])
        def train(opt, loader, model):
            for x, y in loader:
                def closure():
                    return model(x).sum()
                opt.step(closure)
    """)
    source = SourceFile("t.py", text)
    found = find_late_bound(source)
    assert [(source.range(f.closure).start.line, f.names, f.kept_by) for f in found] == [
        (5, ["scale"], "register_hook"), (9, ["scale"], "register_hook"), (24, ["m"], "append"), (28, ["k"], "a comprehension"),
    ]
    fixed = apply_edits(text, [_bound_early(f) for f in found]).splitlines()
    assert fixed[4].strip() == "p.register_hook(lambda grad, scale=scale: grad * scale)"
    assert fixed[8].strip() == "p.register_hook(lambda *g, scale=scale, **kw: g[0] * scale)"
    assert fixed[23].strip() == "def fn(step, m=m):"
    assert fixed[27].strip() == "return LambdaLR(opt, [lambda e, k=k: k * e for k in mults])"


def test_gf070_probe_records_options_that_bool_made_true_from_a_word_for_false(run_script) -> None:  # type: ignore[no-untyped-def]
    from gradfix.trace import FALSE_SPELLINGS

    trace = run_script("""
        import argparse
        p = argparse.ArgumentParser()
        p.add_argument("--kept", type=bool, default=True)
        p.add_argument("--defaulted", type=bool, default="off")
        p.add_argument("--said_true", type=bool)
        p.add_argument("--flag", action="store_true")
        group = p.add_argument_group("model")
        group.add_argument("--said_no", type=bool, default=True)
        p.parse_args(["--said_true", "True", "--said_no", "No"])
        q = argparse.ArgumentParser()
        q.register("type", bool, lambda s: s.lower() == "true")
        q.add_argument("--parsed_right", type=bool, default=True)
        q.parse_args(["--parsed_right", "False"])
    """).trace
    seen = sorted((o.site.line, FALSE_SPELLINGS[o.spelling], o.from_default, o.parsed.line) for o in trace.bool_options)  # type: ignore[union-attr]
    assert seen == [(5, "off", True, 10), (9, "No", False, 10)]


def test_gf070_command_line_false_for_a_type_bool_freeze(write_script) -> None:  # type: ignore[no-untyped-def]
    path = write_script("""
        import argparse
        import torch
        from torch import nn
        parser = argparse.ArgumentParser()
        parser.add_argument("--freeze_body", type=bool, default=True)
        args = parser.parse_args()
        body, head = nn.Linear(4, 4), nn.Linear(4, 1)
        body.load_state_dict(nn.Linear(4, 4).state_dict())
        if args.freeze_body:
            body.requires_grad_(False)
        opt = torch.optim.SGD([p for p in [*body.parameters(), *head.parameters()] if p.requires_grad], lr=0.1)
        for _ in range(5):
            loss = head(torch.relu(body(torch.randn(8, 4)))).pow(2).mean()
            opt.zero_grad(); loss.backward(); opt.step()
    """)
    sandbox = Sandbox([str(path.parent)], timeout=30)
    [result] = repair(str(path), ["--freeze_body", "False"], sandbox).results
    assert result.finding.code == "GF070" and result.fix is not None
    assert sorted(result.finding.params) == ["body.bias", "body.weight"]
    # Given no string, the default True freezes on purpose: nothing to say.
    assert repair(str(path), [], sandbox).results == []


def test_gf071_probe_records_float16_autocast_regions_and_enabled_scalers(run_script) -> None:  # type: ignore[no-untyped-def]
    trace = run_script("""
        import torch
        with torch.autocast("cuda"):  # CUDA's default: float16
            pass
        with torch.autocast("cpu"):  # the CPU's default: bfloat16
            pass
        with torch.autocast("cpu", dtype=torch.float16, enabled=False):
            pass
        for _ in range(2):
            with torch.autocast(device_type="cpu", dtype=torch.half):
                pass
        torch.amp.GradScaler("cuda", enabled=False)
        torch.amp.GradScaler("cuda")
    """).trace
    assert [(a.site.line, a.count) for a in trace.half_autocasts] == [(3, 1), (10, 2)]
    assert trace.enabled_scalers == 1
