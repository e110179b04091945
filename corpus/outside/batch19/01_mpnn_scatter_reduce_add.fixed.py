# Message-passing network for a molecular-property regression on small random graphs.
#
# Reproduces: https://github.com/pytorch/pytorch/issues/88097
# ("No backward implementation for Scatter Multiply (or add) reduction")
#
# Fault (in my words): the neighbourhood aggregation and the graph readout are written with
# Tensor.scatter(dim, index, src, reduce="add"). The forward pass is fine (and the reduce
# argument even looks like the right tool for a sum aggregation), but autograd has no
# derivative for the reduce= overload of scatter, so the first loss.backward() fails with
# "RuntimeError: derivative for aten::scatter is not implemented".
import argparse
import random
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

CONFIG = {
    "num_graphs": 256,
    "min_nodes": 6,
    "max_nodes": 14,
    "node_feats": 8,
    "edge_feats": 4,
    "hidden": 32,
    "layers": 3,
    "batch_size": 32,
    "lr": 1e-3,
    "epochs": 6,
}


def scatter_sum(src, index, dim_size):
    """Sum rows of `src` into `dim_size` buckets given by `index` (like torch_scatter)."""
    out = torch.zeros(dim_size, src.size(-1), dtype=src.dtype, device=src.device)
    return out.scatter_add(0, index.unsqueeze(-1).expand_as(src), src)


class RandomMolecules(Dataset):
    def __init__(self, n, cfg, seed=0):
        g = torch.Generator().manual_seed(seed)
        self.items = []
        for _ in range(n):
            nn_ = int(torch.randint(cfg["min_nodes"], cfg["max_nodes"] + 1, (1,), generator=g))
            x = torch.randn(nn_, cfg["node_feats"], generator=g)
            # ring + a few random chords, both directions
            src = list(range(nn_)) + torch.randint(0, nn_, (nn_ // 2,), generator=g).tolist()
            dst = [(i + 1) % nn_ for i in range(nn_)] + torch.randint(0, nn_, (nn_ // 2,), generator=g).tolist()
            ei = torch.tensor([src + dst, dst + src])
            ea = torch.randn(ei.size(1), cfg["edge_feats"], generator=g)
            y = x[:, :3].sum() / nn_ + 0.1 * ea.mean()
            self.items.append((x, ei, ea, y.reshape(1)))

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        return self.items[i]


def collate(batch):
    xs, eis, eas, ys, bvec = [], [], [], [], []
    offset = 0
    for gi, (x, ei, ea, y) in enumerate(batch):
        xs.append(x)
        eis.append(ei + offset)
        eas.append(ea)
        ys.append(y)
        bvec.append(torch.full((x.size(0),), gi, dtype=torch.long))
        offset += x.size(0)
    return torch.cat(xs), torch.cat(eis, 1), torch.cat(eas), torch.cat(ys), torch.cat(bvec)


class EdgeConv(nn.Module):
    def __init__(self, hidden, edge_feats):
        super().__init__()
        self.msg = nn.Sequential(nn.Linear(2 * hidden + edge_feats, hidden), nn.SiLU(), nn.Linear(hidden, hidden))
        self.upd = nn.GRUCell(hidden, hidden)

    def forward(self, h, edge_index, edge_attr):
        src, dst = edge_index
        m = self.msg(torch.cat([h[src], h[dst], edge_attr], dim=-1))
        agg = scatter_sum(m, dst, h.size(0))
        return self.upd(agg, h)


class MPNN(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.node_embed = nn.Linear(cfg["node_feats"], cfg["hidden"])
        self.convs = nn.ModuleList([EdgeConv(cfg["hidden"], cfg["edge_feats"]) for _ in range(cfg["layers"])])
        self.readout = nn.Sequential(nn.Linear(cfg["hidden"], cfg["hidden"]), nn.SiLU(), nn.Linear(cfg["hidden"], 1))

    def forward(self, x, edge_index, edge_attr, batch, num_graphs):
        h = F.silu(self.node_embed(x))
        for conv in self.convs:
            h = conv(h, edge_index, edge_attr)
        pooled = scatter_sum(h, batch, num_graphs)
        return self.readout(pooled)


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--epochs", type=int, default=CONFIG["epochs"])
    p.add_argument("--lr", type=float, default=CONFIG["lr"])
    p.add_argument("--seed", type=int, default=0)
    return p.parse_args()


args = parse_args()
torch.manual_seed(args.seed)
random.seed(args.seed)
device = "cuda" if torch.cuda.is_available() else "cpu"

train_set = RandomMolecules(CONFIG["num_graphs"], CONFIG, seed=1)
val_set = RandomMolecules(64, CONFIG, seed=2)
train_loader = DataLoader(train_set, batch_size=CONFIG["batch_size"], shuffle=True, collate_fn=collate)
val_loader = DataLoader(val_set, batch_size=64, collate_fn=collate)

model = MPNN(CONFIG).to(device)
optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
print(f"MPNN with {sum(p.numel() for p in model.parameters())} parameters on {device}")

for epoch in range(args.epochs):
    model.train()
    t0, total, n = time.time(), 0.0, 0
    for x, ei, ea, y, b in train_loader:
        x, ei, ea, y, b = (t.to(device) for t in (x, ei, ea, y, b))
        pred = model(x, ei, ea, b, y.size(0)).squeeze(-1)
        loss = F.mse_loss(pred, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item() * y.size(0)
        n += y.size(0)
    model.eval()
    with torch.no_grad():
        x, ei, ea, y, b = next(iter(val_loader))
        val = F.mse_loss(model(x, ei, ea, b, y.size(0)).squeeze(-1), y).item()
    print(f"epoch {epoch}: train mse {total / n:.4f}  val mse {val:.4f}  ({time.time() - t0:.1f}s)")
