# Source: https://github.com/pyg-team/pytorch_geometric/issues/7401
# A GCN node classifier learns one weight per edge (a sigmoid of a free logit), so that the
# noisy edges between communities can be turned down. The adjacency is kept in a small
# SparseTensor-like container whose set_value() returns a NEW adjacency (as torch_sparse's does)
# instead of writing into the old one. forward() calls adj.set_value(...) and throws the result
# away, so both convolutions keep using the fixed unit edge weights: the edge logits are never in
# the graph, get no gradient, and stay at their initial value while the rest of the GCN trains.
import argparse
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def get_args():
    p = argparse.ArgumentParser(description="GCN with learnable edge weights (SBM graph)")
    p.add_argument("--nodes", type=int, default=300)
    p.add_argument("--classes", type=int, default=3)
    p.add_argument("--feat-dim", type=int, default=16)
    p.add_argument("--hidden", type=int, default=32)
    p.add_argument("--p-in", type=float, default=0.06)
    p.add_argument("--p-out", type=float, default=0.02)
    p.add_argument("--epochs", type=int, default=200)
    p.add_argument("--lr", type=float, default=0.01)
    p.add_argument("--weight-decay", type=float, default=5e-4)
    p.add_argument("--dropout", type=float, default=0.5)
    p.add_argument("--train-per-class", type=int, default=20)
    p.add_argument("--seed", type=int, default=7)
    return p.parse_args()


class SparseAdj:
    """Minimal COO adjacency modelled on torch_sparse.SparseTensor (row, col, value)."""

    def __init__(self, row, col, value=None, num_nodes=None):
        self.row = row
        self.col = col
        self.value = torch.ones(row.numel()) if value is None else value
        self.num_nodes = num_nodes if num_nodes is not None else int(max(row.max(), col.max())) + 1

    def nnz(self):
        return self.row.numel()

    def set_value(self, value):
        return SparseAdj(self.row, self.col, value, self.num_nodes)

    def set_value_(self, value):
        self.value = value
        return self

    def gcn_norm(self):
        deg = torch.zeros(self.num_nodes).index_add_(0, self.row, self.value)
        dinv = deg.clamp_min(1e-12).pow(-0.5)
        return self.set_value(dinv[self.row] * self.value * dinv[self.col])

    def matmul(self, x):
        out = torch.zeros(self.num_nodes, x.size(1), dtype=x.dtype)
        return out.index_add_(0, self.row, self.value.unsqueeze(1) * x[self.col])


def make_sbm(args, g):
    n, c = args.nodes, args.classes
    y = torch.arange(n) % c
    y = y[torch.randperm(n, generator=g)]
    same = y.unsqueeze(0) == y.unsqueeze(1)
    prob = torch.where(same, torch.tensor(args.p_in), torch.tensor(args.p_out))
    upper = torch.rand(n, n, generator=g) < prob
    upper = torch.triu(upper, diagonal=1)
    a = upper | upper.t()
    a.fill_diagonal_(True)  # self loops
    row, col = a.nonzero(as_tuple=True)
    centers = torch.randn(c, args.feat_dim, generator=g) * 0.6
    x = centers[y] + torch.randn(n, args.feat_dim, generator=g)
    return x, y, SparseAdj(row, col, num_nodes=n)


def split_masks(y, per_class, num_classes, g):
    n = y.numel()
    train = torch.zeros(n, dtype=torch.bool)
    for k in range(num_classes):
        idx = (y == k).nonzero(as_tuple=True)[0]
        idx = idx[torch.randperm(idx.numel(), generator=g)[:per_class]]
        train[idx] = True
    rest = (~train).nonzero(as_tuple=True)[0]
    rest = rest[torch.randperm(rest.numel(), generator=g)]
    val = torch.zeros(n, dtype=torch.bool)
    test = torch.zeros(n, dtype=torch.bool)
    val[rest[: rest.numel() // 2]] = True
    test[rest[rest.numel() // 2:]] = True
    return train, val, test


class GCNLayer(nn.Module):
    def __init__(self, in_dim, out_dim):
        super().__init__()
        self.lin = nn.Linear(in_dim, out_dim, bias=False)
        self.bias = nn.Parameter(torch.zeros(out_dim))

    def forward(self, x, adj):
        return adj.gcn_norm().matmul(self.lin(x)) + self.bias


class EdgeWeightedGCN(nn.Module):
    def __init__(self, in_dim, hidden, out_dim, num_edges, dropout):
        super().__init__()
        self.edge_logit = nn.Parameter(torch.full((num_edges,), 2.0))
        self.conv1 = GCNLayer(in_dim, hidden)
        self.conv2 = GCNLayer(hidden, out_dim)
        self.dropout = dropout

    def forward(self, x, adj):
        adj = adj.set_value(torch.sigmoid(self.edge_logit))
        h = F.relu(self.conv1(x, adj))
        h = F.dropout(h, p=self.dropout, training=self.training)
        return self.conv2(h, adj)


@torch.no_grad()
def evaluate(model, x, adj, y, masks):
    model.eval()
    pred = model(x, adj).argmax(dim=1)
    return [float((pred[m] == y[m]).float().mean()) for m in masks]


args = get_args()
torch.manual_seed(args.seed)
gen = torch.Generator().manual_seed(args.seed)
x, y, adj = make_sbm(args, gen)
train_mask, val_mask, test_mask = split_masks(y, args.train_per_class, args.classes, gen)
print(f"graph: {args.nodes} nodes, {adj.nnz()} directed edges (incl. self loops)")

model = EdgeWeightedGCN(args.feat_dim, args.hidden, args.classes, adj.nnz(), args.dropout)
optimizer = torch.optim.Adam(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)

best_val, t0 = 0.0, time.time()
for epoch in range(1, args.epochs + 1):
    model.train()
    optimizer.zero_grad()
    out = model(x, adj)
    loss = F.cross_entropy(out[train_mask], y[train_mask])
    loss.backward()
    optimizer.step()
    if epoch % 20 == 0 or epoch == 1:
        tr, va, te = evaluate(model, x, adj, y, [train_mask, val_mask, test_mask])
        best_val = max(best_val, va)
        print(f"epoch {epoch:3d} loss {loss.item():.4f} train {tr:.3f} val {va:.3f} test {te:.3f}")

with torch.no_grad():
    w = torch.sigmoid(model.edge_logit)
    intra = y[adj.row] == y[adj.col]
    print(f"mean edge weight intra {w[intra].mean():.3f} inter {w[~intra].mean():.3f}")
print(f"best val {best_val:.3f}  ({time.time() - t0:.1f}s)")
