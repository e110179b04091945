# Reproduces: https://github.com/learnables/learn2learn/issues/314
# MAML for 5-way few-shot classification with an auxiliary reconstruction head. The
# reconstruction loss is added only to the query (outer) loss, as a regulariser for the
# encoder. The inner loop adapts every named parameter with
# torch.autograd.grad(support_loss, params.values(), create_graph=True). The support loss
# never runs the reconstruction head, so its tensors are not in that graph. The first
# meta-batch fails with "RuntimeError: The differentiated Tensor at index 6 appears to not
# have been used in the graph. Set allow_unused=True if this is the desired behavior."
# Older torch releases word it "One of the differentiated Tensors appears to not ...".
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.func import functional_call

config = dict(
    n_way=5, k_shot=3, k_query=5, in_dim=24, hidden=64,
    inner_steps=2, inner_lr=0.4, meta_lr=1e-3, meta_batch=4,
    iterations=60, recon_weight=0.1, seed=3,
)
torch.manual_seed(config["seed"])


class TaskSampler:
    """Each task: n_way Gaussian clusters in a random 8-d subspace of in_dim."""

    def __init__(self, cfg, seed):
        self.cfg = cfg
        self.g = torch.Generator().manual_seed(seed)

    def sample(self):
        c = self.cfg
        basis = torch.linalg.qr(torch.randn(c["in_dim"], 8, generator=self.g))[0]
        centers = torch.randn(c["n_way"], 8, generator=self.g) * 2.0
        def draw(k):
            y = torch.arange(c["n_way"]).repeat_interleave(k)
            z = centers[y] + 0.6 * torch.randn(len(y), 8, generator=self.g)
            x = z @ basis.T + 0.05 * torch.randn(len(y), c["in_dim"], generator=self.g)
            return x, y
        return draw(c["k_shot"]), draw(c["k_query"])


class FewShotNet(nn.Module):
    def __init__(self, in_dim, hidden, n_way):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(in_dim, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU())
        self.classifier = nn.Linear(hidden, n_way)
        self.recon_head = nn.Linear(hidden, in_dim)

    def forward(self, x):
        return self.classifier(self.encoder(x))

    def reconstruct(self, x):
        return self.recon_head(self.encoder(x))


def adapt(model, params, x, y, steps, lr):
    for _ in range(steps):
        logits = functional_call(model, params, (x,))
        loss = F.cross_entropy(logits, y)
        grads = torch.autograd.grad(loss, list(params.values()), create_graph=True, materialize_grads=True)
        params = {name: p - lr * g for (name, p), g in zip(params.items(), grads)}
    return params


def sub_params(params, prefix):
    return {k[len(prefix):]: v for k, v in params.items() if k.startswith(prefix)}


def meta_step(model, tasks, cfg):
    outer, accs = 0.0, []
    for (xs, ys), (xq, yq) in tasks:
        params = dict(model.named_parameters())
        fast = adapt(model, params, xs, ys, cfg["inner_steps"], cfg["inner_lr"])
        logits = functional_call(model, fast, (xq,))
        feats = functional_call(model.encoder, sub_params(fast, "encoder."), (xq,))
        recon = functional_call(model.recon_head, sub_params(fast, "recon_head."), (feats,))
        loss = F.cross_entropy(logits, yq) + cfg["recon_weight"] * F.mse_loss(recon, xq)
        outer = outer + loss
        accs.append((logits.argmax(1) == yq).float().mean().item())
    return outer / len(tasks), sum(accs) / len(accs)


model = FewShotNet(config["in_dim"], config["hidden"], config["n_way"])
meta_opt = torch.optim.Adam(model.parameters(), lr=config["meta_lr"])
train_tasks = TaskSampler(config, seed=10)
val_tasks = TaskSampler(config, seed=99)

for it in range(1, config["iterations"] + 1):
    model.train()
    batch = [train_tasks.sample() for _ in range(config["meta_batch"])]
    loss, acc = meta_step(model, batch, config)
    meta_opt.zero_grad()
    loss.backward()
    meta_opt.step()
    if it % 20 == 0:
        val_loss, val_acc = meta_step(model, [val_tasks.sample() for _ in range(8)], config)
        print(f"iter {it:3d}  meta-loss {loss.item():.4f}  train acc {acc:.3f}  val acc {val_acc:.3f}")
