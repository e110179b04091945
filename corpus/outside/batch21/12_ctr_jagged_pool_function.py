# CTR model with variable-length user histories pooled by a hand-written jagged mean-pool op.
#
# Report: https://github.com/HuangJunJie2017/BEVDet/issues/8
# ("TypeError: save_for_backward can only save variables, but argument 1 is of type tuple",
# raised from a custom autograd op at the first training iteration.)
#
# Fault (own words): JaggedMeanPool is a custom autograd.Function that pools the embeddings of each
# user's history (a flat [N, D] tensor plus offsets). Its forward hands the input's shape, a
# torch.Size (a tuple), to ctx.save_for_backward together with the index tensors. Under no_grad
# nothing is saved, so the baseline evaluation before training works; the first training forward
# fails with "save_for_backward can only save variables, but argument 2 is of type torch.Size".
import random
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset


@dataclass
class Config:
    n_users: int = 300
    n_items: int = 120
    n_categories: int = 6
    dim: int = 24
    max_history: int = 20
    batch_size: int = 128
    epochs: int = 6
    lr: float = 5e-3
    seed: int = 5


cfg = Config()
random.seed(cfg.seed)
torch.manual_seed(cfg.seed)
device = "cuda" if torch.cuda.is_available() else "cpu"


class JaggedMeanPool(torch.autograd.Function):
    """Mean of each segment of `values` (rows offsets[b]:offsets[b+1])."""

    @staticmethod
    def forward(ctx, values, offsets):
        lengths = offsets[1:] - offsets[:-1]
        segment = torch.repeat_interleave(torch.arange(len(lengths), device=values.device), lengths)
        out = values.new_zeros(len(lengths), values.shape[1]).index_add_(0, segment, values)
        out = out / lengths.clamp(min=1).unsqueeze(1).to(values.dtype)
        ctx.save_for_backward(segment, lengths, values.shape)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        segment, lengths, shape = ctx.saved_tensors
        scaled = grad_out / lengths.clamp(min=1).unsqueeze(1).to(grad_out.dtype)
        return scaled.index_select(0, segment).view(shape), None


class ClickLog(Dataset):
    """(user, history items, candidate item, clicked). Users like 2 categories."""

    def __init__(self, n, gen):
        self.item_cat = torch.randint(0, cfg.n_categories, (cfg.n_items,), generator=torch.Generator().manual_seed(0))
        likes = torch.randint(0, cfg.n_categories, (cfg.n_users, 2), generator=torch.Generator().manual_seed(1))
        self.rows = []
        for _ in range(n):
            u = int(torch.randint(0, cfg.n_users, (1,), generator=gen))
            length = int(torch.randint(1, cfg.max_history + 1, (1,), generator=gen))
            liked_items = torch.nonzero((self.item_cat.unsqueeze(1) == likes[u]).any(1)).flatten()
            hist = liked_items[torch.randint(0, len(liked_items), (length,), generator=gen)]
            cand = int(torch.randint(0, cfg.n_items, (1,), generator=gen))
            clicked = float(bool((self.item_cat[cand] == likes[u]).any()))
            self.rows.append((u, hist, cand, clicked))

    def __len__(self):
        return len(self.rows)

    def __getitem__(self, i):
        return self.rows[i]


def collate(batch):
    users, hists, cands, labels = zip(*batch)
    lengths = torch.tensor([len(h) for h in hists])
    offsets = torch.cat([torch.zeros(1, dtype=torch.long), lengths.cumsum(0)])
    return torch.tensor(users), torch.cat(hists), offsets, torch.tensor(cands), torch.tensor(labels)


class HistoryCTR(nn.Module):
    def __init__(self):
        super().__init__()
        self.user_emb = nn.Embedding(cfg.n_users, cfg.dim)
        self.item_emb = nn.Embedding(cfg.n_items, cfg.dim)
        self.mlp = nn.Sequential(nn.Linear(4 * cfg.dim, 64), nn.ReLU(), nn.Linear(64, 1))

    def forward(self, users, hist_items, offsets, cands):
        hist = JaggedMeanPool.apply(self.item_emb(hist_items), offsets)
        cand = self.item_emb(cands)
        x = torch.cat([self.user_emb(users), hist, cand, hist * cand], dim=1)
        return self.mlp(x).squeeze(1)


@torch.no_grad()
def auc_and_logloss(model, loader):
    model.eval()
    scores, labels = [], []
    for u, h, o, c, y in loader:
        scores.append(model(u.to(device), h.to(device), o.to(device), c.to(device)).cpu())
        labels.append(y)
    s, y = torch.cat(scores), torch.cat(labels)
    order = s.argsort()
    ranks = torch.empty_like(order, dtype=torch.float)
    ranks[order] = torch.arange(1, len(s) + 1, dtype=torch.float)
    n_pos = y.sum()
    auc = (ranks[y == 1].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * (len(y) - n_pos))
    model.train()
    return auc.item(), F.binary_cross_entropy_with_logits(s, y).item()


gen = torch.Generator().manual_seed(cfg.seed)
train_loader = DataLoader(ClickLog(4000, gen), batch_size=cfg.batch_size, shuffle=True, collate_fn=collate)
val_loader = DataLoader(ClickLog(1000, gen), batch_size=512, collate_fn=collate)

model = HistoryCTR().to(device)
optimizer = torch.optim.Adam(model.parameters(), lr=cfg.lr)
auc, ll = auc_and_logloss(model, val_loader)
print(f"before training: auc {auc:.3f} logloss {ll:.4f}")

for epoch in range(cfg.epochs):
    total = 0.0
    for step, (u, h, o, c, y) in enumerate(train_loader):
        logits = model(u.to(device), h.to(device), o.to(device), c.to(device))
        loss = F.binary_cross_entropy_with_logits(logits, y.to(device))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item()
        if step % 10 == 0:
            print(f"epoch {epoch} step {step:02d} loss {loss.item():.4f}")
    auc, ll = auc_and_logloss(model, val_loader)
    print(f"epoch {epoch}: train loss {total / len(train_loader):.4f}  val auc {auc:.3f}  val logloss {ll:.4f}")
