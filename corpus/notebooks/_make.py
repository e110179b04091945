"""Writes corpus/notebooks (run: python corpus/notebooks/_make.py corpus/notebooks): each case as Jupyter
saves it, and its .fixed.ipynb with the intended fix made by hand (the replacements below), which
gradfix's written notebook must equal byte for byte (tests/test_notebook_corpus.py)."""
import copy, sys
from pathlib import Path
import nbformat
from nbformat.v4 import new_code_cell as code, new_markdown_cell as md, new_notebook, new_output as out

OUT = Path(sys.argv[1])
PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
META = {"kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3 (ipykernel)"},
        "language_info": {"name": "python", "version": "3.11.9", "mimetype": "text/x-python", "file_extension": ".py"}}
CASES = {}

def case(name, cells, fixes, clean=False):
    CASES[name] = (cells, fixes, clean)

# 1. The notebook: three cells, an optimizer given an empty list.
case("empty_optimizer_three_cells", [
    code("import torch\nfrom torch import nn"),
    code("model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 1))\noptimizer = torch.optim.Adam([], lr=1e-3)"),
    code("torch.manual_seed(0)\nx = torch.randn(64, 4)\ny = x.sum(dim=1, keepdim=True)\nfor step in range(20):\n    loss = nn.functional.mse_loss(model(x), y)\n    optimizer.zero_grad()\n    loss.backward()\n    optimizer.step()\nprint(loss.item())"),
], [(1, "torch.optim.Adam([], lr=1e-3)", "torch.optim.Adam(model.parameters(), lr=1e-3)")])

# 2. Magics everywhere (shell, line, cell, help); the step is missing inside a %%time cell.
case("magics_missing_step_timed_cell", [
    md("# Tiny regression\nInstall, plot inline, time the loop."),
    code("!pip install -q torch\n%precision 4\n%load_ext autoreload\n%autoreload 2\nimport torch\nimport torch.nn as nn"),
    code("net = nn.Linear(8, 1)\nopt = torch.optim.SGD(net.parameters(), lr=0.1)\nloss_fn = nn.MSELoss()\nnet?"),
    code("%%time\ntorch.manual_seed(1)\nfeatures = torch.randn(128, 8)\ntarget = features[:, :1] * 3.0\nfor epoch in range(10):\n    opt.zero_grad()\n    loss = loss_fn(net(features), target)\n    loss.backward()\n    print(epoch, loss.item())"),
    code("files = !ls\n%time final = loss_fn(net(features), target).item()\nprint(final)"),
], [(3, "    loss.backward()\n", "    loss.backward()\n    opt.step()\n")])

# 3. A later cell's crash comes from an earlier cell's definition: a no_grad-decorated helper.
case("later_cell_fault_from_earlier_definition", [
    md("## Helpers"),
    code("import torch\nimport torch.nn as nn\nimport torch.nn.functional as F"),
    code("class MLP(nn.Module):\n    def __init__(self, d_in, d_hidden, n_out):\n        super().__init__()\n        self.hidden = nn.Linear(d_in, d_hidden)\n        self.out = nn.Linear(d_hidden, n_out)\n\n    def forward(self, x):\n        return self.out(F.gelu(self.hidden(x)))"),
    code("@torch.no_grad()\ndef batch_loss(model, xb, yb):\n    logits = model(xb)\n    return F.cross_entropy(logits, yb)"),
    md("## Training"),
    code("torch.manual_seed(0)\nxs = torch.randn(256, 10)\nys = (xs[:, 0] > 0).long()\nmodel = MLP(10, 32, 2)\nopt = torch.optim.AdamW(model.parameters(), lr=3e-3)"),
    code("for epoch in range(3):\n    for i in range(0, 256, 32):\n        loss = batch_loss(model, xs[i:i + 32], ys[i:i + 32])\n        opt.zero_grad()\n        loss.backward()\n        opt.step()\n    print(f\"epoch {epoch}: {loss.item():.3f}\")"),
], [(3, "@torch.no_grad()\n", "")])

# 4. Outputs, images and execution counts that must survive the fix: zero_grad between backward and step.
plot_cell = code("summary = {'first': history[0], 'last': history[-1]}\nsummary", execution_count=5,
    outputs=[out("display_data", data={"image/png": PNG, "text/plain": "<Figure size 640x480 with 1 Axes>"}, metadata={"image/png": {"width": 640, "height": 480}})],
    metadata={"tags": ["figure"]})
case("outputs_images_zero_grad_before_step", [
    md("# Classifier\n![architecture](attachment:arch.png)", attachments={"arch.png": {"image/png": PNG}}),
    code("import torch\nfrom torch import nn\ntorch.__version__", execution_count=1, outputs=[out("execute_result", data={"text/plain": "'2.13.0'"}, execution_count=1)]),
    code("torch.manual_seed(0)\nX = torch.randn(200, 5)\nY = (X @ torch.tensor([1.0, -2.0, 0.5, 0.0, 1.0]) > 0).long()\nclf = nn.Sequential(nn.Linear(5, 16), nn.Tanh(), nn.Linear(16, 2))\nopt = torch.optim.SGD(clf.parameters(), lr=0.5, momentum=0.9)\nclf", execution_count=2,
         outputs=[out("execute_result", data={"text/plain": "Sequential(\n  (0): Linear(in_features=5, out_features=16, bias=True)\n  (1): Tanh()\n  (2): Linear(in_features=16, out_features=2, bias=True)\n)"}, execution_count=2)]),
    code("history = []\nfor epoch in range(30):\n    loss = nn.functional.cross_entropy(clf(X), Y)\n    loss.backward()\n    opt.zero_grad()\n    opt.step()\n    history.append(loss.item())\nprint(history[0], history[-1])", execution_count=3,
         outputs=[out("stream", name="stdout", text="0.7311 0.7311\n")], metadata={"scrolled": True}),
    plot_cell,
], [(3, "    loss = nn.functional.cross_entropy(clf(X), Y)\n    loss.backward()\n    opt.zero_grad()\n", "    opt.zero_grad()\n    loss = nn.functional.cross_entropy(clf(X), Y)\n    loss.backward()\n")])

# 5. float64 data from numpy into a float32 model.
case("numpy_float64_inputs", [
    code("import numpy as np\nimport torch\nimport torch.nn as nn"),
    code("rng = np.random.default_rng(0)\ndata = rng.normal(size=(300, 6))\nlabels = (data[:, 0] + data[:, 1] > 0).astype(np.int64)\ninputs = torch.from_numpy(data)\ntargets = torch.from_numpy(labels)"),
    code("model = nn.Sequential(nn.Linear(6, 12), nn.ReLU(), nn.Linear(12, 2))\noptimizer = torch.optim.Adam(model.parameters(), lr=1e-2)\ncriterion = nn.CrossEntropyLoss()"),
    code("for epoch in range(5):\n    for start in range(0, 300, 50):\n        xb, yb = inputs[start:start + 50], targets[start:start + 50]\n        loss = criterion(model(xb), yb)\n        optimizer.zero_grad()\n        loss.backward()\n        optimizer.step()\n    print(epoch, loss.item())"),
], [(3, "criterion(model(xb), yb)", "criterion(model(xb.float()), yb)")])

# 6. A class cell cuts the graph with .data; training is two cells later.
case("graph_cut_in_class_cell", [
    code("import torch\nimport torch.nn as nn"),
    code("class Encoder(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.body = nn.Linear(16, 8)\n        self.head = nn.Linear(8, 1)\n\n    def forward(self, x):\n        h = torch.relu(self.body(x))\n        return self.head(h.data)"),
    md("Train on random data."),
    code("torch.manual_seed(3)\nenc = Encoder()\nopt = torch.optim.Adam(enc.parameters(), lr=1e-3)\nsamples = torch.randn(64, 16)\ngoal = samples.mean(dim=1, keepdim=True)\nfor it in range(25):\n    loss = (enc(samples) - goal).pow(2).mean()\n    opt.zero_grad()\n    loss.backward()\n    opt.step()"),
], [(1, "self.head(h.data)", "self.head(h)")])

# 7. A misspelled attribute meant to freeze a layer.
case("require_grad_typo_freeze", [
    code("import torch\nfrom torch import nn, optim"),
    code("backbone = nn.Sequential(nn.Linear(20, 20), nn.ReLU())\nhead = nn.Linear(20, 3)\nfor p in backbone.parameters():\n    p.require_grad = False\nmodel = nn.Sequential(backbone, head)"),
    code("optimizer = optim.SGD(filter(lambda p: p.requires_grad, model.parameters()), lr=0.05)\nx = torch.randn(90, 20)\ny = torch.randint(0, 3, (90,))\nfor epoch in range(8):\n    optimizer.zero_grad()\n    loss = nn.functional.cross_entropy(model(x), y)\n    loss.backward()\n    optimizer.step()"),
], [(1, "p.require_grad = False", "p.requires_grad = False")])

# 8. The learning rate decays to zero after the first step.
case("zero_decay_constant", [
    md("Settings"),
    code("import torch\nimport torch.nn as nn\nfrom torch.optim.lr_scheduler import ExponentialLR\n\nLR = 5e-3\nDECAY = 0"),
    code("torch.manual_seed(0)\nsignal = torch.rand(256, 32)\nae = nn.Sequential(nn.Linear(32, 8), nn.ReLU(), nn.Linear(8, 32))\nopt = torch.optim.Adam(ae.parameters(), lr=LR)\nsched = ExponentialLR(opt, gamma=DECAY)"),
    code("for epoch in range(4):\n    for i in range(0, 256, 64):\n        batch = signal[i:i + 64]\n        loss = nn.functional.mse_loss(ae(batch), batch)\n        opt.zero_grad()\n        loss.backward()\n        opt.step()\n        sched.step()"),
], [(1, "DECAY = 0", "DECAY = 1")])

# 9. The training step runs under no_grad (an evaluation block copied around it).
case("training_under_no_grad_block", [
    code("import torch\nimport torch.nn as nn\ntorch.manual_seed(0)"),
    code("net = nn.Sequential(nn.Linear(3, 10), nn.Sigmoid(), nn.Linear(10, 1))\nopt = torch.optim.SGD(net.parameters(), lr=0.2)\nxs = torch.rand(100, 3)\nys = xs.prod(dim=1, keepdim=True)"),
    code("for epoch in range(15):\n    with torch.no_grad():\n        pred = net(xs)\n        loss = nn.functional.mse_loss(pred, ys)\n        opt.zero_grad()\n        loss.backward()\n        opt.step()"),
], [(2, "    with torch.no_grad():\n        pred = net(xs)\n        loss = nn.functional.mse_loss(pred, ys)\n        opt.zero_grad()\n        loss.backward()\n        opt.step()",
        "    pred = net(xs)\n    loss = nn.functional.mse_loss(pred, ys)\n    opt.zero_grad()\n    loss.backward()\n    opt.step()")])

# 10. The loss is turned into a number before backward.
case("loss_item_before_backward", [
    code("import torch\nimport torch.nn as nn"),
    code("torch.manual_seed(0)\nX = torch.randn(120, 4)\ny = (X[:, 0] * X[:, 1] > 0).long()\nmodel = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 2))\nopt = torch.optim.Adam(model.parameters(), lr=1e-2)\nlosses = []"),
    code("for step in range(40):\n    loss = nn.functional.cross_entropy(model(X), y).item()\n    losses.append(loss)\n    opt.zero_grad()\n    torch.tensor(loss, requires_grad=True).backward()\n    opt.step()"),
], [(2, "cross_entropy(model(X), y).item()", "cross_entropy(model(X), y)"), (2, "torch.tensor(loss, requires_grad=True).backward()", "loss.backward()")])

# 11. The model is re-created in a later cell (a re-run with a new seed); the optimizer still holds the old one.
case("stale_optimizer_model_rebuilt_in_later_cell", [
    code("import torch\nimport torch.nn as nn\nimport torch.optim as optim"),
    code("class Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.fc1 = nn.Linear(4, 16)\n        self.fc2 = nn.Linear(16, 1)\n\n    def forward(self, x):\n        return self.fc2(torch.relu(self.fc1(x)))"),
    code("torch.manual_seed(0)\nx = torch.randn(100, 4)\ny = x[:, :1] - 2 * x[:, 3:]\nmodel = Net()\noptimizer = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)\ncriterion = nn.MSELoss()"),
    md("Same initialisation every time:"),
    code("torch.manual_seed(42)\nmodel = Net()"),
    code("for epoch in range(10):\n    optimizer.zero_grad()\n    loss = criterion(model(x), y)\n    loss.backward()\n    optimizer.step()\n    print(f\"epoch {epoch}: loss {loss.item():.4f}\")"),
], [(2, "optimizer = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)\n", ""), (4, "model = Net()", "model = Net()\noptimizer = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)")])

# Look-alikes: correct notebooks that must give no finding.
case("clean_eval_under_no_grad", [
    code("import torch\nimport torch.nn as nn\n%load_ext autoreload"),
    code("torch.manual_seed(0)\nX = torch.randn(100, 6)\nY = X[:, :2].sum(dim=1, keepdim=True)\nmodel = nn.Linear(6, 1)\nopt = torch.optim.SGD(model.parameters(), lr=0.1)"),
    code("for epoch in range(10):\n    model.train()\n    loss = nn.functional.mse_loss(model(X), Y)\n    opt.zero_grad()\n    loss.backward()\n    opt.step()\n    model.eval()\n    with torch.no_grad():\n        val = nn.functional.mse_loss(model(X[:20]), Y[:20])\n    print(epoch, val.item())"),
], [], clean=True)
case("clean_frozen_pretrained_backbone", [
    code("import torch\nfrom torch import nn"),
    code("torch.manual_seed(0)\nbackbone = nn.Sequential(nn.Linear(8, 32), nn.ReLU())\nbackbone.load_state_dict({k: v.clone() for k, v in backbone.state_dict().items()})\nfor p in backbone.parameters():\n    p.requires_grad = False\nbackbone.eval()\nhead = nn.Linear(32, 3)\nopt = torch.optim.Adam(head.parameters(), lr=1e-2)"),
    code("x = torch.randn(60, 8)\ny = torch.randint(0, 3, (60,))\nfor step in range(12):\n    with torch.no_grad():\n        feats = backbone(x)\n    loss = nn.functional.cross_entropy(head(feats), y)\n    opt.zero_grad()\n    loss.backward()\n    opt.step()"),
], [], clean=True)
case("clean_gan_detach", [
    code("import torch\nimport torch.nn as nn\ntorch.manual_seed(0)"),
    code("G = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 2))\nD = nn.Sequential(nn.Linear(2, 16), nn.LeakyReLU(0.2), nn.Linear(16, 1))\nopt_g = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))\nopt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))\nbce = nn.BCEWithLogitsLoss()"),
    code("for step in range(10):\n    real = torch.randn(32, 2) + 3\n    fake = G(torch.randn(32, 4))\n    d_loss = bce(D(real), torch.ones(32, 1)) + bce(D(fake.detach()), torch.zeros(32, 1))\n    opt_d.zero_grad()\n    d_loss.backward()\n    opt_d.step()\n    g_loss = bce(D(fake), torch.ones(32, 1))\n    opt_g.zero_grad()\n    g_loss.backward()\n    opt_g.step()"),
], [], clean=True)
case("clean_magics_and_outputs", [
    md("# Baseline"),
    code("!pip install -q torch\n%load_ext autoreload\nimport torch\nimport torch.nn as nn", execution_count=1, outputs=[out("stream", name="stdout", text="Requirement already satisfied: torch\n")]),
    code("%%time\ntorch.manual_seed(0)\nmodel = nn.Sequential(nn.Linear(5, 5), nn.ReLU(), nn.Linear(5, 1))\nopt = torch.optim.SGD(model.parameters(), lr=0.05)\nx = torch.randn(40, 5)\ny = torch.randn(40, 1)\nfor step in range(10):\n    opt.zero_grad()\n    loss = ((model(x) - y) ** 2).mean()\n    loss.backward()\n    opt.step()", execution_count=2,
         outputs=[out("stream", name="stdout", text="CPU times: user 8 ms, sys: 0 ns, total: 8 ms\nWall time: 7.2 ms\n")]),
], [], clean=True)

for name, (cells, fixes, clean) in CASES.items():
    folder = OUT / "clean" if clean else OUT
    folder.mkdir(parents=True, exist_ok=True)
    nb = new_notebook(cells=copy.deepcopy(cells), metadata=META)
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"{name[:20]}-{i}".replace("_", "-")
    nbformat.validate(nb)
    nbformat.write(nb, str(folder / f"{name}.ipynb"))
    if fixes:
        for index, old, new in fixes:
            assert nb.cells[index].source.count(old) == 1, (name, old)
            nb.cells[index].source = nb.cells[index].source.replace(old, new)
        nbformat.write(nb, str(folder / f"{name}.fixed.ipynb"))
print(len(CASES))
