"""The probe and the sandbox: the facts a run records, its limits, and its isolation."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Callable

from gradfix.sandbox import RunResult, Sandbox, clean_environment

Run = Callable[..., RunResult]

TRAIN = """
import torch
import torch.nn as nn

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Linear(4, 3)
        self.head = nn.Linear(3, 1)
        self.unused = nn.Linear(3, 1)

    def forward(self, x):
        return self.head(self.body(x))

model = Net()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
for step in range(100):
    optimizer.zero_grad()
    loss = model(torch.randn(8, 4)).pow(2).mean()
    loss.backward()
    optimizer.step()
print("finished")
"""


def test_parameters_are_named_and_judged_over_the_run(run_script: Run) -> None:
    trace = run_script(TRAIN).trace
    names = [p.name for p in trace.params]
    assert names == [
        "model.body.weight", "model.body.bias", "model.head.weight",
        "model.head.bias", "model.unused.weight", "model.unused.bias",
    ]
    body, unused = trace.param("model.body.weight"), trace.param("model.unused.weight")
    assert body and body.got_grad and body.reached and body.changed and body.optimizers == [0]
    assert unused and not unused.got_grad and not unused.reached and not unused.changed
    assert trace.optimizers[0].cls == "torch.optim.sgd.SGD"
    assert trace.optimizers[0].site and trace.optimizers[0].site.line == 16


OWN_OPTIMIZERS = """
import torch
import torch.nn as nn

class Base(torch.optim.Optimizer):
    def __init__(self, params, lr):
        super().__init__(params, dict(lr=lr))

class Scaled(Base):
    def __init__(self, params, lr, scale=1.0):
        super().__init__(params, lr * scale)

class Outer(torch.optim.Optimizer):
    def __init__(self, params, base, **kwargs):
        super().__init__(params, dict(kwargs))
        self.base = base(self.param_groups, **kwargs)

model = nn.Linear(4, 1)
head = nn.Linear(1, 1)
first = Scaled(model.parameters(), lr=0.1)
second = Outer(head.parameters(), torch.optim.SGD, lr=0.1)
"""


def test_an_optimizer_class_of_the_script_is_built_where_the_script_calls_it(run_script: Run) -> None:
    # Not at its `super().__init__` line, through every level; an optimizer built inside another
    # one's __init__ (SAM's base optimizer) where the outer one was called.
    trace = run_script(OWN_OPTIMIZERS).trace
    sites = [(o.site.line, o.site.function) for o in trace.optimizers if o.site is not None]
    assert sites == [(20, "<module>"), (21, "<module>"), (21, "<module>")]
    assert set(trace.optimizers[0].scope_modules) >= {"model", "head"}


def test_a_training_loop_ends_after_the_requested_steps_and_the_script_goes_on(run_script: Run) -> None:
    result = run_script(TRAIN, steps=2)
    assert result.trace.steps == 2 and result.trace.loops_cut == 1
    assert result.trace.stopped_early and result.trace.finished
    assert "finished" in result.stdout  # what follows the loop runs, as it would after 100 steps


THREE_PHASES = """
import torch
import torch.nn as nn

def fit(model, epochs, batches, lr):
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    for epoch in range(epochs):
        for _ in range(batches):
            opt.zero_grad()
            model(torch.randn(8, 4)).pow(2).mean().backward()
            opt.step()
    return opt

first = nn.Linear(4, 1)
fit(first, epochs=1000, batches=1000, lr=0.1)
second = nn.Linear(4, 1)
fit(second, epochs=50, batches=200, lr=0.1)
third = nn.Linear(4, 1)
fit(third, epochs=10, batches=10_000, lr=0.0)
print("all phases done")
"""


def test_every_phase_of_a_long_script_is_seen(run_script: Run) -> None:
    result = run_script(THREE_PHASES, steps=3)
    trace = result.trace
    assert "all phases done" in result.stdout
    # Each phase: its epoch loop ends after 3 epochs of 3 batches.
    assert [o.steps for o in trace.optimizers] == [9, 9, 9]
    assert trace.param("second.weight").changed and not trace.param("third.weight").changed
    assert trace.optimizers[2].lrs == [0.0] * 9


SHORT_LAST_BATCH = """
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

data = TensorDataset(torch.randn(SAMPLES, 4), torch.randn(SAMPLES, 1))
loader = DataLoader(data, batch_size=8, shuffle=True)
model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.Linear(8, 1))
opt = torch.optim.SGD(model.parameters(), lr=0.1)
sizes = []
for epoch in range(100):
    for i, (x, y) in ITERATE:
        sizes.append(len(x))
        opt.zero_grad()
        nn.functional.mse_loss(model(x), y).backward()
        opt.step()
print("sizes", sizes)
"""


def test_a_loop_cut_early_still_runs_its_loaders_short_last_batch(run_script: Run) -> None:
    # 1000 samples in batches of 8 end each epoch with a batch of 1 (a BatchNorm refuses it), after
    # 125 batches the cut would never reach. Through enumerate() as through the loader itself.
    for iterate in ("enumerate(loader)", "zip(range(10**6), loader)"):
        script = SHORT_LAST_BATCH.replace("SAMPLES", "1001").replace("ITERATE", iterate)
        result = run_script(script, steps=3)
        crash = result.trace.crash
        assert crash is not None and "Expected more than 1 value per channel" in crash.message, (iterate, result.stdout)
        assert result.trace.steps == 3  # three batches of 8, then the short one


def test_a_loader_whose_batches_are_all_full_is_cut_as_any_loop(run_script: Run) -> None:
    result = run_script(SHORT_LAST_BATCH.replace("SAMPLES", "1000").replace("ITERATE", "enumerate(loader)"), steps=3)
    assert result.trace.crash is None and "sizes [8, 8, 8, 8, 8, 8, 8, 8, 8]" in result.stdout


def test_a_layer_first_run_in_a_later_phase_is_judged_from_its_value_before_that_phase(run_script: Run) -> None:
    # The head exists from the start, and every backward of the first phase lists it among the
    # model's parameters; its starting value is the one it has when the second phase begins.
    trace = run_script("""
import torch
from torch import nn
encoder, head = nn.Linear(8, 16), nn.Linear(16, 1)
x, y = torch.randn(64, 8), torch.randn(64, 1)
first = torch.optim.Adam(encoder.parameters(), lr=1e-2)
for step in range(20):
    loss = encoder(x).pow(2).mean()
    first.zero_grad(); loss.backward(); first.step()
second = torch.optim.Adam(list(encoder.parameters()) + list(head.parameters()), lr=1e-2)
for step in range(20):
    loss = ((head(encoder(x)) - y) ** 2).mean()
    second.zero_grad(); loss.backward(); second.step()
""", steps=3).trace
    assert trace.param("head.weight").changed and trace.param("head.bias").changed


def test_loops_that_train_nothing_run_in_full(run_script: Run) -> None:
    result = run_script("""
        import torch
        import torch.nn as nn
        layers = nn.ModuleList()
        for _ in range(12):
            layers.append(nn.Linear(4, 4))
        opt = torch.optim.SGD(layers.parameters(), lr=0.1)
        for step in range(100):
            x = torch.randn(2, 4)
            for layer in layers:
                x = layer(x)
            opt.zero_grad(); x.sum().backward(); opt.step()
        with torch.no_grad():
            outputs = [layers[0](torch.randn(1, 4)) for _ in range(50)]
            for i in range(40):
                layers[0](torch.randn(1, 4))
        print(len(layers), len(outputs), i)
    """)
    assert result.trace.steps == 3
    assert "12 50 39" in result.stdout


def test_loops_that_end_with_backward_and_no_step_are_recorded(run_script: Run) -> None:
    # GF014's evidence: an epoch of accumulation whose step never came ran to its end; a loop
    # left by `break`, and a loop in which a step ran, are not recorded.
    trace = run_script("""
        import torch
        import torch.nn as nn
        model = nn.Linear(4, 1)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        for epoch in range(3):
            for i, x in enumerate(torch.randn(5, 2, 4)):
                model(x).sum().backward()
                if (i + 1) % 8 == 0:
                    opt.step()
        for x in torch.randn(6, 2, 4):
            model(x).sum().backward()
            break
        for x in torch.randn(4, 2, 4):
            model(x).sum().backward()
            opt.step()
    """).trace
    [inner, outer] = trace.unstepped_loops
    assert (inner.site.line, inner.passes, inner.backwards) == (7, 3, 5)
    assert (outer.site.line, outer.passes, outer.backwards) == (6, 1, 15)
    assert trace.steps == 3


def test_plain_python_failing_after_a_shortened_loop_is_not_the_script_s_crash(run_script: Run) -> None:
    result = run_script("""
        import torch
        model = torch.nn.Linear(2, 1)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        losses = []
        for _ in range(500):
            opt.zero_grad(); loss = model(torch.ones(1, 2)).sum(); loss.backward(); opt.step()
            losses.append(loss.item())
        print(losses[100])  # IndexError after 3 steps: gradfix's doing, not the script's
    """)
    trace = result.trace
    assert trace.crash is None and "IndexError" in trace.late_stop
    assert trace.steps == 3


def test_a_torch_op_failing_on_a_trainable_tensor_after_a_shortened_loop_is_the_script_s_crash(run_script: Run) -> None:
    """A second phase (quantisation-aware training after a float phase) whose first forward fails
    in a C op called straight from the user's line: no torch frame in the traceback, and still no
    doing of the shortened first phase's. It is the script's crash, not a quiet end of the run."""
    result = run_script("""
        import torch
        model = torch.nn.Linear(2, 1)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        for _ in range(500):
            opt.zero_grad(); model(torch.ones(1, 2)).sum().backward(); opt.step()
        scale = torch.nn.Parameter(torch.tensor([0.1]))
        zero_point = torch.zeros(1, dtype=torch.int32)
        w = torch.fake_quantize_per_tensor_affine(model.weight, scale, zero_point, -8, 7)
    """)
    trace = result.trace
    assert trace.crash is not None and "not differentiable with respect to argument 'scale'" in trace.crash.message
    assert not trace.late_stop


def test_crash_site_has_the_exact_call_span(run_script: Run) -> None:
    trace = run_script("""
        import torch
        model = torch.nn.Linear(2, 1)
        opt = torch.optim.Adam(  [],
            lr=1e-3)
    """).trace
    crash = trace.crash
    assert crash and crash.type == "ValueError"
    assert crash.site and (crash.site.line, crash.site.column, crash.site.end_line, crash.site.end_column) == (4, 6, 5, 12)
    assert list(crash.scope_modules) == ["model"]


def test_freezes_and_loads_are_recorded_with_their_lines(run_script: Run) -> None:
    trace = run_script("""
        import torch
        a = torch.nn.Linear(2, 2)
        b = torch.nn.Linear(2, 2)
        b.load_state_dict(torch.nn.Linear(2, 2).state_dict())
        a.weight.requires_grad = False
        b.requires_grad_(False)
    """).trace
    weight = trace.param("a.weight")
    assert weight and [s.line for s in weight.frozen_at] == [6] and not weight.requires_grad
    assert [s.line for s in trace.param("b.bias").frozen_at] == [7]  # type: ignore[union-attr]
    loaded = {m.name: m.loaded for m in trace.modules if m.name in ("a", "b")}
    assert loaded == {"a": False, "b": True}


def test_embedding_given_its_weight_counts_as_loaded(run_script: Run) -> None:
    """``nn.Embedding(n, d, _weight=vectors)`` (by keyword or position) holds given values, like
    ``from_pretrained``; without ``_weight`` it is a random initialisation (GF004)."""
    trace = run_script("""
        import torch
        vectors = torch.randn(5, 3)
        given = torch.nn.Embedding(5, 3, _weight=vectors)
        placed = torch.nn.EmbeddingBag(5, 3, None, 2.0, False, "mean", False, vectors)
        fresh = torch.nn.Embedding(5, 3, _weight=None)
    """).trace
    loaded = {m.name: m.loaded for m in trace.modules if m.name in ("given", "placed", "fresh")}
    assert loaded == {"given": True, "placed": True, "fresh": False}


def test_unfreezes_are_told_apart_by_when_they_ran(run_script: Run) -> None:
    """Set-up thaws (before the first backward) and thaws during training, and which parameters
    user code turned back on: GF004 tells a schedule from a set-up that chose what to train."""
    trace = run_script("""
        import torch
        model = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.LayerNorm(2), torch.nn.Linear(2, 1))
        model.requires_grad_(False)
        model[1].requires_grad_(True)
        optimizer = torch.optim.SGD(model[1].parameters(), lr=0.1)
        for step in range(3):
            if step == 1:
                model[2].weight.requires_grad = True
            model(torch.ones(4, 2)).sum().backward()
            optimizer.step()
    """).trace
    assert [s.line for s in trace.setup_thaws] == [5]
    thawed = {p.name for p in trace.params if p.thawed}
    assert thawed == {"model.1.weight", "model.1.bias", "model.2.weight"}


def test_backward_facts_under_no_grad(run_script: Run) -> None:
    trace = run_script("""
        import torch
        model = torch.nn.Linear(2, 1)
        with torch.no_grad():
            loss = model(torch.ones(1, 2)).sum()
        loss.backward()
    """).trace
    [backward] = trace.backwards
    assert not backward.has_grad_fn and not backward.requires_grad
    assert [s.line for s in backward.no_grad_forwards] == [5]
    assert trace.crash and "does not require grad" in trace.crash.message


def test_module_calls_under_no_grad_inside_a_forward(run_script: Run) -> None:
    """A trainable module called with gradients off from a forward that ran with them on, where
    gradients switched off (a block in forward, a decorated helper); not the layers inside it, not
    a module without trainable parameters, not the calls under a root-level no_grad."""
    trace = run_script("""
        import torch
        import torch.nn as nn

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.front = nn.Sequential(nn.Linear(2, 2), nn.ReLU())
                self.side = nn.Linear(2, 2)
                self.norm = nn.LayerNorm(2, elementwise_affine=False)
                self.head = nn.Linear(2, 1)

            @torch.no_grad()
            def helper(self, x):
                return self.side(x)

            def forward(self, x):
                with torch.no_grad():
                    h = self.norm(self.front(x))
                return self.head(h + self.helper(x))

        model = Net()
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        for _ in range(3):
            opt.zero_grad()
            model(torch.ones(1, 2)).sum().backward()
            opt.step()
        with torch.no_grad():
            model(torch.ones(1, 2))
    """).trace
    calls = {(trace.module(c.module).path, c.site.line) for c in trace.inner_no_grad_calls}  # type: ignore[union-attr]
    assert calls == {("model.front", 19), ("model.side", 15)}


def test_where_a_graph_less_loss_lost_its_graph(run_script: Run) -> None:
    """The line where the loss's value was computed with gradients off from a tensor that carried
    a graph, passed on through what was computed from it; a cut is told apart."""
    helper = run_script("""
        import torch
        model = torch.nn.Linear(2, 1)

        @torch.no_grad()
        def loss_fn(pred, target):
            err = (pred - target).abs()
            return err.mean() * 2

        loss = loss_fn(model(torch.ones(3, 2)), torch.zeros(3, 1))
        loss.backward()
    """).trace
    [backward] = helper.backwards
    assert backward.graphless_origin and backward.graphless_origin.line == 7 and not backward.graphless_by_cut
    cut = run_script("""
        import torch
        model = torch.nn.Linear(2, 1)
        out = model(torch.ones(3, 2)).detach()
        loss = (out ** 2).mean()
        loss.backward()
    """).trace
    [backward] = cut.backwards
    assert backward.graphless_origin and backward.graphless_origin.line == 4 and backward.graphless_by_cut


def test_new_leaves_made_from_graph_values_are_cuts(run_script: Run) -> None:
    trace = run_script("""
        import torch
        from torch.autograd import Variable
        model = torch.nn.Linear(2, 1)
        w = Variable(torch.zeros(2), requires_grad=True)
        out = model(torch.ones(3, 2) * w)
        a = Variable(out, requires_grad=True)
        b = torch.nn.Parameter(out.data)
        c = torch.nn.Parameter(torch.ones(2))
        (a.sum() + b.sum() + c.sum()).backward()
    """).trace
    assert sorted((c.op, c.site.line) for c in trace.cuts if c.op in ("Variable", "Parameter")) == [("Parameter", 8), ("Variable", 7)]


def test_ops_with_no_gradient_name_the_untrained_parameters_behind_them(run_script: Run) -> None:
    trace = run_script("""
        import torch
        from torch.distributions import Normal
        gate, head, mu = torch.nn.Linear(4, 4), torch.nn.Linear(4, 1), torch.nn.Linear(4, 4)
        opt = torch.optim.SGD([*gate.parameters(), *head.parameters(), *mu.parameters()], lr=0.1)
        for _ in range(3):
            x = torch.randn(8, 4)
            mask = gate(x) > 0
            z = Normal(mu(x), 1.0).sample()
            loss = head(x * mask + z).pow(2).mean()
            hit = (head(x).argmax(1) == 0).float().mean()
            opt.zero_grad(); loss.backward(); opt.step()
    """).trace
    cuts = {(c.op, c.site.line): c for c in trace.cuts}
    compared, drawn, metric = cuts[("gt", 8)], cuts[("sample", 9)], cuts[("argmax", 11)]
    assert compared.leaves == ["gate.bias", "gate.weight"] and compared.reach == 2
    assert drawn.leaves == ["mu.bias", "mu.weight"] and drawn.distribution == "Normal" and drawn.rsample
    # The head trains: the metric's argmax reached it, and names nothing.
    assert metric.leaves == [] and metric.reach == 2


def test_module_in_a_second_file_is_user_code(run_script: Run) -> None:
    trace = run_script(
        """
        import torch
        from model import make
        net = make()
        """,
        model="""
        import torch
        def make():
            layer = torch.nn.Linear(2, 2)
            layer.weight.requires_grad = False
            return layer
        """,
    ).trace
    [site] = trace.param("net.weight").frozen_at  # type: ignore[union-attr]
    assert site.file.endswith("model.py") and site.line == 5


def test_the_script_sees_its_arguments_and_no_secrets(write_script, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from gradfix.sandbox import Sandbox

    monkeypatch.setenv("GITHUB_TOKEN", "ghp_secret")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "aws")
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    path = write_script("""
        import os, sys, torch
        print(sys.argv[1:], sorted(k for k in os.environ if "SECRET" in k or "TOKEN" in k), os.environ.get("OMP_NUM_THREADS"))
        print(os.getcwd())
        open("written.txt", "w").write("x")
    """)
    result = Sandbox([str(path.parent)]).run(str(path), ["--lr", "0.1"])
    lines = result.stdout.splitlines()
    assert lines[0] == "['--lr', '0.1'] [] 1"
    assert not (path.parent / "written.txt").exists()


def test_runs_side_by_side_share_the_cores(write_script, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Candidates re-run side by side: each run's torch gets its share of the cores, not a pool
    as large as the machine that spin-waits on the others' (several times slower)."""
    import os

    from gradfix.sandbox import Sandbox

    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    path = write_script("""
        import torch
        print(torch.get_num_threads())
    """)
    sandbox = Sandbox([str(path.parent)], jobs=2)
    cores = os.cpu_count() or 1
    assert sandbox.run(str(path), []).stdout.split() == [str(cores)]
    both = sandbox.run_many([(str(path), [], None), (str(path), [], None)])
    assert [r.stdout.split() for r in both] == [[str(max(1, cores // 2))]] * 2


def test_the_script_cannot_change_or_delete_the_users_files(write_script) -> None:  # type: ignore[no-untyped-def]
    from gradfix.sandbox import Sandbox

    path = write_script("""
        import os, shutil, socket, torch
        shutil.rmtree("runs", ignore_errors=True)
        os.remove("data/train.csv")
        open("data/labels.csv", "w").write("overwritten")
        os.makedirs("runs", exist_ok=True)
        torch.save({}, "runs/ckpt.pt")
        open(os.path.join(os.path.dirname(__file__), "absolute.txt"), "w").write("x")
        try:
            socket.create_connection(("127.0.0.1", 9), timeout=1)
            print("network: yes")
        except OSError:
            print("network: no")
    """)
    data, runs = path.parent / "data", path.parent / "runs"
    data.mkdir()
    runs.mkdir()
    (data / "train.csv").write_text("1,2\n")
    (data / "labels.csv").write_text("a\n")
    (runs / "old.ckpt").write_text("old")
    result = Sandbox([str(path.parent)], cwd=str(path.parent)).run(str(path), [])
    assert result.trace.crash is None, result.stderr
    assert (data / "train.csv").read_text() == "1,2\n"
    assert (data / "labels.csv").read_text() == "a\n"
    assert (runs / "old.ckpt").read_text() == "old" and not (runs / "ckpt.pt").exists()
    assert not (path.parent / "absolute.txt").exists()
    assert result.stdout.strip() == "network: no"


def test_clean_environment_is_an_allow_list() -> None:
    env = clean_environment({"PATH": "/bin", "MY_API_KEY": "k", "LC_ALL": "C", "DATABASE_URL": "postgres://"})
    assert env["PATH"] == "/bin" and env["LC_ALL"] == "C"
    assert "MY_API_KEY" not in env and "DATABASE_URL" not in env


def test_a_hanging_script_is_stopped_at_the_timeout(write_script) -> None:  # type: ignore[no-untyped-def]
    from gradfix.sandbox import Sandbox

    path = write_script("""
        import torch, time
        while True:
            time.sleep(0.01)
    """)
    result = Sandbox([str(path.parent)], timeout=0.5).run(str(path), [])
    assert result.trace.timed_out and result.seconds < 5


def test_a_child_that_ignores_the_alarm_is_killed(write_script) -> None:  # type: ignore[no-untyped-def]
    from gradfix.sandbox import Sandbox

    path = write_script("""
        import signal, torch, time
        signal.signal(signal.SIGALRM, signal.SIG_IGN)
        while True:
            time.sleep(0.01)
    """)
    result = Sandbox([str(path.parent)], timeout=0.2).run(str(path), [])
    assert result.trace.timed_out and result.seconds < 10


def test_large_matmul_in_a_forked_child_does_not_hang(run_script: Run) -> None:
    result = run_script("""
        import torch
        a = torch.randn(1024, 1024)
        print(float((a @ a).sum()) != 0)
    """)
    assert result.stdout.strip() == "True" and not result.trace.timed_out


def test_fork_and_fresh_interpreter_record_the_same_facts(write_script) -> None:  # type: ignore[no-untyped-def]
    from gradfix.sandbox import Sandbox

    path = write_script(TRAIN)
    forked = Sandbox([str(path.parent)], fork=True).run(str(path), []).trace
    fresh = Sandbox([str(path.parent)], fork=False).run(str(path), []).trace
    strip = lambda t: [(p.name, p.got_grad, p.changed, p.optimizers) for p in t.params]  # noqa: E731
    assert strip(forked) == strip(fresh)
    assert forked.steps == fresh.steps == 3


def test_the_overlay_replaces_imported_user_modules(write_script) -> None:  # type: ignore[no-untyped-def]
    from gradfix.sandbox import Sandbox

    path = write_script("import torch\nimport helper\nprint(helper.VALUE)\n", helper="VALUE = 1\n")
    helper = str(path.parent / "helper.py")
    result = Sandbox([str(path.parent)]).run(str(path), [], overlay={helper: "VALUE = 2\n"})
    assert result.stdout.strip() == "2"
    assert not os.path.exists(path.parent / "__pycache__")


def test_a_local_module_wins_over_one_gradfix_imported(write_script) -> None:  # type: ignore[no-untyped-def]
    from gradfix.sandbox import Sandbox

    path = write_script("import torch\nimport statistics\nprint(statistics.MINE)\n", statistics="MINE = 'local'\n")
    import statistics  # noqa: F401  (the parent has the standard library's)

    result = Sandbox([str(path.parent)]).run(str(path), [])
    assert result.stdout.strip() == "local", result.stderr


def test_os_exit_after_training_still_reports(run_script: Run) -> None:
    trace = run_script("""
        import os, torch
        model = torch.nn.Linear(2, 1)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        model(torch.ones(1, 2)).sum().backward()
        os._exit(0)
    """).trace
    assert trace.backwards and trace.crash is None and trace.finished


def test_early_stop_is_not_turned_into_an_error_by_finally_or_atexit(run_script: Run) -> None:
    result = run_script("""
        import atexit, torch
        atexit.register(lambda: 1 / 0)
        model = torch.nn.Linear(2, 1)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        try:
            for _ in range(10_000):
                opt.zero_grad(); model(torch.ones(1, 2)).sum().backward(); opt.step()
        finally:
            raise RuntimeError("cleanup failed")
    """, steps=2)
    assert result.trace.stopped_early and result.trace.crash is None and result.trace.steps == 2


def test_the_sandbox_has_its_own_loopback(run_script) -> None:  # type: ignore[no-untyped-def]
    # Single-process DDP and local stores bind 127.0.0.1; the host's loopback stays out of reach
    # (test_review's hostile script checks that).
    result = run_script("""
        import socket, torch
        server = socket.socket(); server.bind(("127.0.0.1", 0)); server.listen(1)
        socket.create_connection(server.getsockname(), timeout=2)
        print("loopback ok")
    """)
    assert result.stdout.strip() == "loopback ok", result.stderr


def test_only_the_scripts_own_cuda_calls_count_as_expecting_a_gpu(tmp_path: Path) -> None:
    # torch.compile asks torch.cuda things on the CPU too; that must not make the report say
    # "no GPU here: ran the script's CUDA path on the CPU".
    library, project = tmp_path / "site", tmp_path / "project"
    library.mkdir()
    project.mkdir()
    (library / "some_library.py").write_text("import torch\ndef warm_up():\n    torch.cuda.synchronize()\n")
    script = project / "train.py"
    script.write_text(f"import sys\nsys.path.insert(0, {str(library)!r})\nimport torch, some_library\nsome_library.warm_up()\n")
    sandbox = Sandbox([str(project)])
    assert sandbox.run(str(script), []).trace.cuda_emulated is False
    script.write_text(script.read_text() + "torch.cuda.synchronize()\n")
    assert sandbox.run(str(script), []).trace.cuda_emulated is True


def test_a_run_whose_warm_process_dies_says_so_and_the_next_run_gets_a_new_one(write_script) -> None:  # type: ignore[no-untyped-def]
    path = write_script("import time, torch\ntime.sleep(60)\n")
    sandbox = Sandbox([str(path.parent)], timeout=30)
    started = time.monotonic()
    handle = sandbox.start(str(path), [])
    assert handle.warm is not None
    while handle.run not in handle.warm.pids:
        handle.warm.pump(1.0)
    handle.warm.process.kill()  # the run, process 1 of a namespace inside the warm process's, ends with it
    result = sandbox.wait(handle)
    assert result.probe_error and "warm sandbox process" in result.probe_error
    assert time.monotonic() - started < 20
    path.write_text("import torch\nprint('again')\n")
    again = sandbox.run(str(path), [])
    assert again.probe_error is None and again.stdout.strip() == "again"


def test_a_nested_state_that_carries_a_graph_is_described_by_its_shape(run_script: Run) -> None:
    """GF024 rebuilds a carried state detached from this shape: named tuples, lists, dicts and the
    numbers inside are told apart; the values themselves never leave the child."""
    trace = run_script("""
        from collections import namedtuple
        import torch
        Pair = namedtuple("Pair", "h c")
        cell = torch.nn.Linear(2, 2)
        state = (Pair(torch.zeros(1, 2), torch.zeros(1, 2)), 0)
        memory = {"slots": torch.zeros(1, 2)}
        for step in range(3):
            h = cell(state[0].h)
            state = (Pair(h, state[0].c + h), state[1] + 1)
            memory = {"slots": memory["slots"] + h}
            (h.sum() + memory["slots"].sum()).backward()
    """).trace
    assert trace.crash is not None and "second time" in trace.crash.message
    assert trace.crash.graph_locals["state"] == "nested:tuple(named(tensor,tensor),other)"
    assert trace.crash.graph_locals["memory"] == "nested:dict(1)"


def test_a_trace_whose_numbers_are_text_is_refused() -> None:
    """A hostile script writes its own trace: a size some rule puts into a fix must be a number,
    never text that reads as code (GF026's input size, GF013's batch)."""
    import dataclasses
    import json

    import pytest

    from gradfix.trace import ModuleFact, Trace

    trace = Trace(script="train.py", argv=[], modules=[ModuleFact(id=1, cls="torch.nn.Linear", name="m", site=None, children=[], num_params=2, in_size=4)])
    data = dataclasses.asdict(trace)
    assert Trace.from_json(json.dumps(data)).modules[0].in_size == 4
    data["modules"][0]["in_size"] = "4); __import__('os').system('id'"
    with pytest.raises(ValueError):
        Trace.from_json(json.dumps(data))


LAZY = """
import torch
import torch.nn as nn

device = "cuda" if torch.cuda.is_available() else "cpu"
model = nn.Sequential(nn.LazyLinear(8), nn.ReLU(), nn.Linear(8, 1)).to(device)
spare = nn.LazyLinear(2)  # never called: its parameters stay uninitialised
optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
for step in range(10):
    loss = model(torch.randn(4, 5, device=device)).pow(2).mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
"""


def test_lazy_parameters_moved_before_their_first_call_and_never_called(run_script: Run) -> None:
    # The emulated `.to("cuda")` keeps an uninitialised parameter as it is (the first call fills
    # it in); one that is never filled in has no value, and is left out of the Trace.
    result = run_script(LAZY)
    assert result.probe_error is None and result.trace.crash is None
    first = result.trace.param("model.0.weight")
    assert first is not None and first.shape == [8, 5] and first.optimizers == [0] and first.changed
    assert result.trace.param("spare.weight") is None


def test_normalisations_over_one_element_by_site(run_script: Run) -> None:
    # Functional, method and module forms over a dimension of size 1 are recorded at the user's
    # line (a module's at the call of the module, with where it was built), with the parameters
    # behind them that never held a non-zero gradient (the router also trains another way); a
    # softmax over a real dimension, one of a tensor that needs no grad, and torch's own inside
    # attention are not.
    trace = run_script("""
        import torch
        import torch.nn as nn
        import torch.nn.functional as F
        gater, head, attn = nn.Linear(4, 3), nn.Sequential(nn.Linear(4, 1), nn.Softmax(dim=1)), nn.MultiheadAttention(4, 1)
        router = nn.Linear(4, 3)
        loss_fn = nn.CrossEntropyLoss()
        opt = torch.optim.SGD([*gater.parameters(), *router.parameters(), *head.parameters(), *attn.parameters()], lr=0.1)
        for _ in range(3):
            x = torch.randn(8, 4)
            top, idx = gater(x).topk(1, dim=1)
            routed, _ = router(x).topk(1, dim=1)
            gate = F.softmax(top, dim=1)
            p = head(x)
            scores = router(x).log_softmax(-1) + F.softmax(torch.zeros(8, 1), dim=1)
            out, _ = attn(x[:, None], x[:1, None], x[:1, None])
            loss = gate.sum() + p.sum() + scores.sum() + out.sum() + loss_fn(router(x)[:, :1], torch.rand(8, 1)) + F.softmax(routed, dim=1).sum()
            opt.zero_grad(); loss.backward(); opt.step()
    """).trace
    found = {(n.op, n.site.line): n for n in trace.one_element_norms}
    assert sorted(found) == [("cross_entropy", 17), ("softmax", 13), ("softmax", 14), ("softmax", 17)]
    gate, module, loss = found[("softmax", 13)], found[("softmax", 14)], found[("cross_entropy", 17)]
    assert gate.selected and gate.dim == 1 and gate.shape == [8, 1] and gate.count == 3 and not gate.module
    assert gate.leaves == ["gater.bias", "gater.weight"] and found[("softmax", 17)].leaves == []
    assert module.module.endswith(".Softmax") and module.module_site is not None and module.module_site.line == 5
    assert not module.selected and module.leaves == ["head.0.bias", "head.0.weight"]
    assert loss.module.endswith(".CrossEntropyLoss") and loss.module_site.line == 7 and not loss.int_target


def test_selections_recorded_apart_from_the_cuts(run_script: Run) -> None:
    # `max`/`topk` over a dimension are recorded once per site, with the parameters behind their
    # first calls (each layer's router on the one line of its forward), but not as cuts: their
    # values keep the gradient. A `max` of all elements, or of a tensor with no grad, is not.
    trace = run_script("""
        import torch
        import torch.nn as nn

        class Layer(nn.Module):
            def __init__(self):
                super().__init__()
                self.router = nn.Linear(4, 2)
                self.experts = nn.ModuleList([nn.Linear(4, 4), nn.Linear(4, 4)])

            def forward(self, x):
                prob, idx = self.router(x).softmax(-1).max(dim=-1)
                out = torch.zeros_like(x)
                for e, expert in enumerate(self.experts):
                    out[idx == e] = expert(x[idx == e])
                return out

        model = nn.Sequential(Layer(), Layer())
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        for _ in range(3):
            x = torch.randn(16, 4)
            loss = model(x).pow(2).mean() + model(x).max() * 0
            torch.randn(3, 2).topk(1, dim=1)
            opt.zero_grad(); loss.backward(); opt.step()
    """).trace
    assert [(c.op, c.site.line) for c in trace.selections] == [("max", 12)]
    assert not any(c.op == "max" for c in trace.cuts)
    assert trace.selections[0].leaves == ["model.0.router.bias", "model.0.router.weight", "model.1.router.bias", "model.1.router.weight"]
    assert trace.params_only_selected() == ["model.0.router.weight", "model.0.router.bias", "model.1.router.weight", "model.1.router.bias"]



def test_lookups_whose_indices_came_from_a_pick_or_a_cast_are_recorded_with_their_call(run_script: Run) -> None:
    # The indices of a `max` that look up an embedding (the module's call is the site), a cast
    # position that gathers, and the boolean mask made from them, which selects and looks up nothing.
    trace = run_script("""
        import torch
        import torch.nn as nn

        scorer, table = nn.Linear(4, 3), nn.Embedding(3, 2)
        where = nn.Parameter(torch.tensor([1.2, 2.7]))
        opt = torch.optim.SGD([*scorer.parameters(), *table.parameters(), where], lr=0.1)
        for _ in range(2):
            x = torch.randn(5, 4)
            idx = torch.max(scorer(x), 1)[1]
            rows = table(idx)
            pos = where.round().long()
            read = x.gather(1, pos.unsqueeze(0).expand(5, -1))
            masked = x[idx == 0]
            loss = rows.sum() + read.sum() + masked.sum()
            opt.zero_grad(); loss.backward(); opt.step()
    """).trace
    [pick] = trace.selections
    assert [(lookup.op, lookup.site.line) for lookup in pick.lookups] == [("embedding", 11)]
    [cast] = [c for c in trace.cuts if c.op == "long"]
    assert [(lookup.op, lookup.site.line) for lookup in cast.lookups] == [("gather", 13)]


PARAMETERS_OVERRIDDEN = """
import torch
import torch.nn as nn

class Learner(nn.Module):
    # MAML's learner: its weights in a ParameterList that parameters() returns as it is.
    def __init__(self):
        super().__init__()
        self.vars = nn.ParameterList([nn.Parameter(torch.randn(3, 4)), nn.Parameter(torch.zeros(3))])

    def forward(self, x, vars=None):
        w, b = self.vars if vars is None else vars
        return x @ w.t() + b

    def parameters(self):
        return self.vars

net = Learner()
optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
for step in range(5):
    x = torch.randn(8, 4)
    loss = net(x).pow(2).mean()
    grads = torch.autograd.grad(loss, net.parameters(), create_graph=True)
    fast = [p - 0.1 * g for g, p in zip(grads, net.parameters())]
    optimizer.zero_grad()
    net(x, fast).pow(2).mean().backward()
    optimizer.step()
print("finished")
"""


def test_a_module_whose_parameters_method_returns_a_list_runs_as_under_torch(run_script: Run) -> None:
    # The probe asks nn.Module's own parameters(), never the script's override: calling next() on
    # the override's ParameterList crashed the run under gradfix ("not an iterator") alone.
    result = run_script(PARAMETERS_OVERRIDDEN)
    assert result.trace.crash is None
    assert "finished" in result.stdout


def test_layers_deep_copied_from_a_template_are_built_not_loaded_while_an_ema_copy_is(run_script: Run) -> None:
    # nn.TransformerEncoder deep-copies its template layer: the copies are the model's own randomly
    # initialised layers (GF013 and GF018 must see what its optimizer left out of them). A deep
    # copy of the trained model kept as an EMA holds values given to it: loaded.
    trace = run_script("""
        import copy
        import torch
        import torch.nn as nn

        layer = nn.TransformerEncoderLayer(8, 2, 16, batch_first=True, dropout=0.0)
        model = nn.Sequential(nn.TransformerEncoder(layer, 2, enable_nested_tensor=False), nn.Linear(8, 1))
        ema = copy.deepcopy(model)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        for _ in range(3):
            loss = model(torch.randn(4, 3, 8)).pow(2).mean()
            opt.zero_grad(); loss.backward(); opt.step()
            with torch.no_grad():
                for e, p in zip(ema.parameters(), model.parameters()):
                    e.mul_(0.9).add_(p, alpha=0.1)
                ema(torch.randn(4, 3, 8))
    """).trace
    copies = [m for m in trace.modules if m.path and m.path.startswith("model.0.layers.")]
    assert copies and not any(m.loaded for m in copies)
    # They existed before the optimizer was built, not from the first backward that reached them.
    [optimizer] = trace.optimizers
    assert all(m.created_event < optimizer.built_event for m in copies)
    ema = [m for m in trace.modules if m.path and m.path.startswith("ema.0.layers.")]
    assert ema and all(m.loaded for m in ema)


ONE_SHOT_GROUP = """
import torch
import torch.nn as nn

model = nn.Linear(4, 1)
opt = torch.optim.SGD(model.parameters(), lr=0.1)
for _ in range(2):
    opt.zero_grad()
    model(torch.randn(8, 4)).pow(2).mean().backward()
    opt.step()
# the group now holds an iterator: torch reads it at the next step() and holds nothing after
opt.param_groups[0]["params"] = iter(list(model.parameters()))
before = model.weight.detach().clone()
model(torch.randn(8, 4)).pow(2).mean().backward()
opt.step()
print("first step changed", not torch.equal(before, model.weight))
before = model.weight.detach().clone()
for _ in range(2):
    model(torch.randn(8, 4)).pow(2).mean().backward()
    opt.step()
print("later steps changed", not torch.equal(before, model.weight))
"""


def test_a_param_group_holding_an_iterator_is_observed_and_left_to_the_script(run_script: Run) -> None:
    # The probe neither crashes on the iterator nor reads it: the script's own first step after
    # the assignment still finds the parameters in it, as it does without gradfix.
    result = run_script(ONE_SHOT_GROUP)
    assert result.probe_error is None
    assert "first step changed True" in result.stdout
    assert "later steps changed False" in result.stdout
    [group] = result.trace.optimizers[0].one_shot_groups
    assert (group.group, group.kind, group.steps) == (0, "list_iterator", 3)


def test_a_dataset_that_raises_when_looked_at_does_not_stop_the_run(run_script: Run) -> None:
    # The search for modules a DataLoader's workers run reads the dataset's objects: one that raises
    # on every attribute read (a store opened per process) is passed over, and the run goes on.
    trace = run_script("""
        import torch
        import torch.nn as nn
        from torch.utils.data import DataLoader, Dataset

        class Store:
            def __getattribute__(self, name):
                raise RuntimeError("store not opened in this process")

        class Items(Dataset):
            def __init__(self):
                self.x, self.y = torch.randn(32, 4), torch.randint(0, 3, (32,))
                self.store = Store()
            def __len__(self):
                return 32
            def __getitem__(self, i):
                return self.x[i], self.y[i]

        model = nn.Linear(4, 3)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        for x, y in DataLoader(Items(), batch_size=8, num_workers=2):
            opt.zero_grad(); nn.functional.cross_entropy(model(x), y).backward(); opt.step()
    """).trace
    assert trace.crash is None and trace.steps
    assert all(p.changed for p in trace.params)


SQRT_AT_ZERO = """
import torch
import torch.nn as nn

torch.manual_seed(0)
net = nn.Linear(3, 2)
optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
scaler = torch.amp.GradScaler("cpu")
for step in range(20):
    z = net(torch.randn(6, 3))
    distances = (z.unsqueeze(0) - z.unsqueeze(1)).pow(2).sum(-1)GUARD.sqrt()
    loss = distances.mean()
    optimizer.zero_grad()
    scaler.scale(loss).backward()
    scaler.step(optimizer)
    scaler.update()
"""


def test_a_scaler_skipping_every_step_and_the_sqrt_at_zero_behind_it_are_recorded(run_script: Run) -> None:
    trace = run_script(SQRT_AT_ZERO.replace("GUARD", ""), steps=3).trace
    assert trace.scaler_steps > 0 and trace.scaler_skips == trace.scaler_steps
    [singular] = trace.singular_inputs
    assert (singular.op, singular.site.line) == ("sqrt", 11)
    assert not trace.param("net.weight").changed


def test_a_guarded_sqrt_lets_the_scaler_step(run_script: Run) -> None:
    trace = run_script(SQRT_AT_ZERO.replace("GUARD", ".clamp_min(1e-12)"), steps=3).trace
    assert trace.scaler_steps > 0 and trace.scaler_skips == 0 and trace.singular_inputs == []
    assert trace.param("net.weight").changed


MIXED_TARGET = """
import torch
import torch.nn as nn

torch.manual_seed(0)
net = nn.Linear(3, 1)
criterion = nn.HuberLoss()
optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
for step in range(5):
    x, y = torch.randn(8, 3), torch.randn(8, 1, dtype=torch.float64)
    with torch.no_grad():
        criterion(net(x), y)
    loss = criterion(net(x), yCAST)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
"""


def test_a_loss_given_a_target_of_another_dtype_is_recorded_where_user_code_calls_it(run_script: Run) -> None:
    # the evaluation under no_grad is not recorded: its backward never runs
    trace = run_script(MIXED_TARGET.replace("CAST", ""), steps=3).trace
    [mixed] = trace.mixed_dtype_losses
    assert (mixed.op, mixed.site.line, mixed.input_dtype, mixed.target_dtype) == ("huber_loss", 13, "float32", "float64")
    assert trace.crash is not None and "Found dtype Double but expected Float" in trace.crash.message
    cast = run_script(MIXED_TARGET.replace("CAST", ".float()"), steps=3).trace
    assert cast.mixed_dtype_losses == [] and cast.crash is None and cast.param("net.weight").changed


def test_an_error_a_loader_worker_raised_is_recorded_as_the_worker_said_it(run_script: Run) -> None:
    """The DataLoader re-raises a worker's error as "Caught RuntimeError in DataLoader worker
    process 0." with the worker's traceback below: the rules read what the worker said."""
    trace = run_script("""
        import torch
        from torch import nn
        from torch.utils.data import DataLoader, Dataset

        class Curve(nn.Module):
            def __init__(self):
                super().__init__()
                self.gain = nn.Parameter(torch.ones(1))
            def forward(self, x):
                return x * self.gain

        class Images(Dataset):
            def __init__(self, transform):
                self.x, self.transform = torch.rand(16, 3), transform
            def __len__(self):
                return 16
            def __getitem__(self, i):
                return self.transform(self.x[i])

        if __name__ == "__main__":
            curve = Curve()
            for batch in DataLoader(Images(curve), batch_size=4, num_workers=1):
                batch.sum().backward()
    """).trace
    assert trace.crash is not None and trace.crash.type == "RuntimeError"
    assert trace.crash.message.startswith("stack(): functions with out=... arguments don't support automatic differentiation")
    assert trace.crash.message.endswith("(raised in DataLoader worker process 0)")
