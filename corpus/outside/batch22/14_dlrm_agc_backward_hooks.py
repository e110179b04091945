# Report: https://github.com/pytorch/pytorch/issues/149938
# The report: inside a hook registered with register_full_backward_hook, the module's parameters have no
# .grad yet (p.grad is None); the parameter gradients only appear after the hook has run.
"""Click-through-rate model (DLRM-style) trained with adaptive gradient clipping applied from backward hooks."""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

p = argparse.ArgumentParser()
p.add_argument("--epochs", type=int, default=4)
p.add_argument("--batch-size", type=int, default=256)
p.add_argument("--agc-clip", type=float, default=0.05)
p.add_argument("--lr", type=float, default=5e-3)
args = p.parse_args()

torch.manual_seed(0)
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

N_DENSE = 8
CARDINALITIES = [50, 30, 20, 12]
EMB_DIM = 16


class ClickLogs(Dataset):
    """Synthetic impressions: dense counters, categorical ids, click label from a hidden logistic model."""

    def __init__(self, n, seed):
        g = torch.Generator().manual_seed(seed)
        self.dense = torch.log1p(torch.rand(n, N_DENSE, generator=g) * 100)
        self.sparse = torch.stack([torch.randint(0, c, (n,), generator=g) for c in CARDINALITIES], 1)
        gw = torch.Generator().manual_seed(1234)
        w_dense = torch.randn(N_DENSE, generator=gw) * 0.4
        tables = [torch.randn(c, generator=gw) for c in CARDINALITIES]
        logit = (self.dense - 2.5) @ w_dense + sum(t[self.sparse[:, i]] for i, t in enumerate(tables)) - 0.5
        self.label = (torch.rand(n, generator=g) < torch.sigmoid(logit)).float()

    def __len__(self):
        return len(self.label)

    def __getitem__(self, i):
        return self.dense[i], self.sparse[i], self.label[i]


def mlp(sizes):
    layers = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        layers += [nn.Linear(a, b), nn.ReLU()]
    return nn.Sequential(*layers[:-1])


class DLRM(nn.Module):
    def __init__(self):
        super().__init__()
        self.bottom = mlp([N_DENSE, 64, 32, EMB_DIM])
        self.embeddings = nn.ModuleList(nn.Embedding(c, EMB_DIM) for c in CARDINALITIES)
        n_vec = len(CARDINALITIES) + 1
        n_pairs = n_vec * (n_vec - 1) // 2
        self.top = mlp([EMB_DIM + n_pairs, 64, 32, 1])

    def forward(self, dense, sparse):
        d = self.bottom(dense)
        vecs = [d] + [emb(sparse[:, i]) for i, emb in enumerate(self.embeddings)]
        stacked = torch.stack(vecs, 1)
        inter = stacked @ stacked.transpose(1, 2)
        iu = torch.triu_indices(len(vecs), len(vecs), offset=1)
        pairs = inter[:, iu[0], iu[1]]
        return self.top(torch.cat([d, pairs], 1)).squeeze(1)


def unitwise_norm(t):
    if t.dim() <= 1:
        return t.abs()
    return t.norm(dim=1, keepdim=True)


def make_agc_hook(clip, eps=1e-3):
    """Adaptive gradient clipping (Brock et al.): rescale each output unit's gradient to clip * |w|."""

    def hook(module, grad_input, grad_output):
        for param in module.parameters():
            w_norm = unitwise_norm(param.detach()).clamp_min(eps)
            g_norm = unitwise_norm(param.grad).clamp_min(1e-6)
            max_norm = clip * w_norm
            factor = torch.where(g_norm > max_norm, max_norm / g_norm, torch.ones_like(g_norm))
            param.grad.mul_(factor)

    return hook


def install_agc(model, clip):
    handles = []
    for name, m in model.named_modules():
        if isinstance(m, nn.Linear) and not name.startswith("top.4"):
            handles.append(m.register_full_backward_hook(make_agc_hook(clip)))
    return handles


@torch.no_grad()
def evaluate(model, loader):
    model.eval()
    losses, correct, n = 0.0, 0, 0
    for dense, sparse, y in loader:
        logits = model(dense.to(device), sparse.to(device))
        losses += F.binary_cross_entropy_with_logits(logits, y.to(device), reduction="sum").item()
        correct += ((logits > 0).float().cpu() == y).sum().item()
        n += len(y)
    model.train()
    return losses / n, correct / n


model = DLRM().to(device)
install_agc(model, args.agc_clip)
optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9)
train_loader = DataLoader(ClickLogs(8192, 0), batch_size=args.batch_size, shuffle=True)
val_loader = DataLoader(ClickLogs(2048, 1), batch_size=1024)

print("val logloss/acc before training: %.4f / %.3f" % evaluate(model, val_loader))
for epoch in range(args.epochs):
    running = 0.0
    for dense, sparse, y in train_loader:
        dense, sparse, y = dense.to(device), sparse.to(device), y.to(device)
        loss = F.binary_cross_entropy_with_logits(model(dense, sparse), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        running += loss.item() * len(y)
    vl, va = evaluate(model, val_loader)
    print(f"epoch {epoch}: train logloss {running / len(train_loader.dataset):.4f}  val logloss {vl:.4f}  val acc {va:.3f}")
