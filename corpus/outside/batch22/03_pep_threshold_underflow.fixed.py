# Report: https://github.com/ssui-liu/learnable-embed-sizes-for-RecSys/issues/4
# With the PEP soft-threshold initialised at -150, the learnable threshold s is still -150 after
# training: sigmoid(-150) is 0 in float32 and every gradient reaching s is 0.
"""CTR prediction on synthetic Criteo-like categorical data with an FM whose embedding table
is pruned by learnable soft thresholds (PEP: Learnable Embedding Sizes for RecSys)."""
import argparse
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

parser = argparse.ArgumentParser()
parser.add_argument("--latent-dim", type=int, default=16)
parser.add_argument("--threshold-type", default="feature_dim")
parser.add_argument("--threshold-init", type=float, default=-150.0)
parser.add_argument("--gk", type=float, default=1.0)
parser.add_argument("--lr", type=float, default=3e-3)
parser.add_argument("--epochs", type=int, default=6)
parser.add_argument("--batch-size", type=int, default=256)
opt = vars(parser.parse_args())

torch.manual_seed(0)
np.random.seed(0)
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

FIELD_DIMS = [20, 15, 30, 10, 12, 25, 8, 40]
opt["field_dims"] = FIELD_DIMS


class CriteoLike(Dataset):
    def __init__(self, n, seed):
        rng = np.random.default_rng(seed)
        self.x = np.stack([rng.integers(0, d, n) for d in FIELD_DIMS], axis=1).astype(np.int64)
        rng_w = np.random.default_rng(123)
        true_emb = [rng_w.normal(0, 0.5, (d, 4)) for d in FIELD_DIMS]
        true_lin = [rng_w.normal(0, 0.8, d) for d in FIELD_DIMS]
        vecs = np.stack([true_emb[f][self.x[:, f]] for f in range(len(FIELD_DIMS))], axis=1)
        inter = (vecs.sum(1) ** 2 - (vecs ** 2).sum(1)).sum(1) * 0.5
        lin = sum(true_lin[f][self.x[:, f]] for f in range(len(FIELD_DIMS)))
        logit = 0.5 * lin + 0.5 * inter
        self.y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(np.float32)

    def __len__(self):
        return len(self.y)

    def __getitem__(self, i):
        return torch.from_numpy(self.x[i]), torch.tensor(self.y[i])


class PEPEmbedding(nn.Module):
    def __init__(self, opt):
        super().__init__()
        self.threshold_type = opt["threshold_type"]
        self.latent_dim = opt["latent_dim"]
        self.field_dims = opt["field_dims"]
        self.feature_num = sum(self.field_dims)
        self.field_num = len(self.field_dims)
        self.gk = opt["gk"]
        self.g = torch.sigmoid
        self.s = self.init_threshold(opt["threshold_init"])
        self.offsets = np.array((0, *np.cumsum(self.field_dims)[:-1]), dtype=np.int64)
        self.v = nn.Parameter(torch.rand(self.feature_num, self.latent_dim))
        nn.init.xavier_uniform_(self.v)

    def init_threshold(self, init):
        if self.threshold_type == "global":
            return nn.Parameter(init * torch.ones(1))
        if self.threshold_type == "dimension":
            return nn.Parameter(init * torch.ones([self.latent_dim]))
        if self.threshold_type == "feature_dim":
            return nn.Parameter(init * torch.ones([self.feature_num, self.latent_dim]))
        raise ValueError(f"Invalid threshold_type: {self.threshold_type}")

    def soft_threshold(self, v, s):
        return torch.sign(v) * torch.relu(torch.abs(v) - self.g(s) * self.gk)

    def forward(self, x):
        x = x + x.new_tensor(self.offsets).unsqueeze(0)
        self.sparse_v = self.soft_threshold(self.v, self.s)
        return F.embedding(x, self.sparse_v)


class FM(nn.Module):
    def __init__(self, opt):
        super().__init__()
        self.embedding = PEPEmbedding(opt)
        self.linear = nn.Embedding(sum(opt["field_dims"]), 1)
        self.bias = nn.Parameter(torch.zeros(1))
        self.offsets = self.embedding.offsets

    def forward(self, x):
        xv = self.embedding(x)
        lin = self.linear(x + x.new_tensor(self.offsets).unsqueeze(0)).sum(dim=(1, 2))
        square_of_sum = xv.sum(dim=1).pow(2)
        sum_of_square = xv.pow(2).sum(dim=1)
        inter = 0.5 * (square_of_sum - sum_of_square).sum(dim=1)
        return lin + inter + self.bias


def auc(scores, labels):
    order = torch.argsort(scores)
    ranks = torch.empty_like(order, dtype=torch.float)
    ranks[order] = torch.arange(1, len(scores) + 1, dtype=torch.float)
    pos = labels == 1
    n_pos, n_neg = pos.sum().item(), (~pos).sum().item()
    return ((ranks[pos].sum() - n_pos * (n_pos + 1) / 2) / max(n_pos * n_neg, 1)).item()


@torch.no_grad()
def evaluate(model, loader):
    model.eval()
    scores, labels, losses = [], [], []
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        logit = model(x)
        losses.append(F.binary_cross_entropy_with_logits(logit, y, reduction="sum").item())
        scores.append(logit)
        labels.append(y)
    scores, labels = torch.cat(scores), torch.cat(labels)
    return sum(losses) / len(labels), auc(scores, labels)


train_loader = DataLoader(CriteoLike(12000, seed=1), batch_size=opt["batch_size"], shuffle=True)
valid_loader = DataLoader(CriteoLike(3000, seed=2), batch_size=1024)

model = FM(opt).to(device)
optimizer = torch.optim.Adam(model.parameters(), lr=opt["lr"], weight_decay=1e-5)

start = time.time()
for epoch in range(opt["epochs"]):
    model.train()
    total = 0.0
    for x, y in train_loader:
        x, y = x.to(device), y.to(device)
        loss = F.binary_cross_entropy_with_logits(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item() * len(y)
    val_loss, val_auc = evaluate(model, valid_loader)
    n_params = int((model.embedding.sparse_v.abs() > 0).sum().item())
    print(f"epoch {epoch} train {total / len(train_loader.dataset):.4f} val {val_loss:.4f} "
          f"auc {val_auc:.4f} non-zero emb params {n_params} "
          f"mean threshold {model.embedding.s.mean().item():.2f} ({time.time() - start:.1f}s)")
