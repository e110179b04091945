# Traffic-speed forecasting on a sensor graph with a GCN whose edge weights are
# learned from edge features (distance, same-road flag), using torch.sparse.
#
# Reproduces: https://github.com/pyg-team/pytorch_geometric/pull/6635
#   gcn_norm reads the learned edge weights back out of the sparse adjacency with
#   adj._indices() / adj._values().  _values() returns a *detached* view of the
#   values, so the normalised adjacency no longer depends on the edge-weight
#   network.  Training runs, the GCN layers fit the data, but the edge-weight MLP
#   never receives a gradient and keeps its initial weights for the whole run.
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

CFG = {"num_nodes": 40, "k_neighbours": 4, "window": 6, "steps": 300, "hidden": 16, "seed": 0}


def build_sensor_graph(n, k, g):
    coords = torch.rand(n, 2, generator=g)
    road = torch.randint(0, 4, (n,), generator=g)
    dist = torch.cdist(coords, coords) + torch.eye(n) * 1e3
    nbr = dist.topk(k, largest=False).indices
    src = torch.arange(n).repeat_interleave(k)
    dst = nbr.reshape(-1)
    edge_index = torch.unique(torch.cat([torch.stack([src, dst]), torch.stack([dst, src])], 1), dim=1)
    d = dist[edge_index[0], edge_index[1]]
    same_road = (road[edge_index[0]] == road[edge_index[1]]).float()
    edge_attr = torch.stack([d / d.max(), same_road], 1)
    return edge_index, edge_attr


def simulate_speeds(edge_index, edge_attr, n, steps, g):
    true_w = torch.sigmoid(4.0 * edge_attr[:, 1] - 6.0 * edge_attr[:, 0])
    A = torch.zeros(n, n).index_put_((edge_index[0], edge_index[1]), true_w, accumulate=True)
    A = A / A.sum(1, keepdim=True).clamp(min=1e-6)
    x = torch.rand(n, generator=g)
    series = []
    for t in range(steps):
        x = 0.6 * (A @ x) + 0.3 * x + 0.1 * torch.sin(torch.tensor(t / 12.0)) + 0.05 * torch.randn(n, generator=g)
        series.append(x)
    return torch.stack(series)  # [T, N]


def gcn_norm(adj, num_nodes):
    """Symmetric normalisation D^-1/2 (A + I) D^-1/2 of a weighted sparse adjacency."""
    idx, val = adj._indices(), adj._values()
    loop = torch.arange(num_nodes, device=idx.device)
    idx = torch.cat([idx, torch.stack([loop, loop])], 1)
    val = torch.cat([val, torch.ones(num_nodes, device=val.device)])
    deg = torch.zeros(num_nodes, device=val.device).scatter_add(0, idx[0], val)
    dinv = deg.clamp(min=1e-6).pow(-0.5)
    return torch.sparse_coo_tensor(idx, dinv[idx[0]] * val * dinv[idx[1]], (num_nodes, num_nodes))


class EdgeWeightNet(nn.Module):
    def __init__(self, in_dim, hidden=16):
        super().__init__()
        self.mlp = nn.Sequential(nn.Linear(in_dim, hidden), nn.ReLU(), nn.Linear(hidden, 1))

    def forward(self, edge_attr):
        return torch.sigmoid(self.mlp(edge_attr)).squeeze(-1)


class GraphConv(nn.Module):
    def __init__(self, c_in, c_out):
        super().__init__()
        self.lin = nn.Linear(c_in, c_out)

    def forward(self, x, adj):  # x: [B, N, C]
        b, n, _ = x.shape
        h = self.lin(x)
        h = torch.sparse.mm(adj, h.permute(1, 0, 2).reshape(n, -1))
        return h.reshape(n, b, -1).permute(1, 0, 2)


class LearnedGraphGCN(nn.Module):
    def __init__(self, edge_index, edge_dim, window, hidden, num_nodes):
        super().__init__()
        self.register_buffer("edge_index", edge_index)
        self.num_nodes = num_nodes
        self.edge_net = EdgeWeightNet(edge_dim)
        self.conv1 = GraphConv(window, hidden)
        self.conv2 = GraphConv(hidden, hidden)
        self.readout = nn.Linear(hidden, 1)

    def adjacency(self, edge_attr):
        w = self.edge_net(edge_attr)
        adj = torch.sparse_coo_tensor(self.edge_index, w, (self.num_nodes, self.num_nodes))
        return gcn_norm(adj, self.num_nodes)

    def forward(self, x, edge_attr):
        adj = self.adjacency(edge_attr)
        h = F.relu(self.conv1(x, adj))
        h = F.relu(self.conv2(h, adj))
        return self.readout(h).squeeze(-1)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=6)
    ap.add_argument("--batch_size", type=int, default=32)
    ap.add_argument("--lr", type=float, default=1e-2)
    args = ap.parse_args()
    torch.manual_seed(CFG["seed"])
    g = torch.Generator().manual_seed(CFG["seed"])
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    edge_index, edge_attr = build_sensor_graph(CFG["num_nodes"], CFG["k_neighbours"], g)
    series = simulate_speeds(edge_index, edge_attr, CFG["num_nodes"], CFG["steps"], g)
    W = CFG["window"]
    xs = torch.stack([series[t - W:t].T for t in range(W, CFG["steps"])])  # [S, N, W]
    ys = series[W:]                                                       # [S, N]
    split = int(0.8 * len(xs))
    train_loader = DataLoader(TensorDataset(xs[:split], ys[:split]), batch_size=args.batch_size, shuffle=True)
    val_x, val_y = xs[split:].to(device), ys[split:].to(device)

    model = LearnedGraphGCN(edge_index, edge_attr.shape[1], W, CFG["hidden"], CFG["num_nodes"]).to(device)
    edge_attr = edge_attr.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)

    for epoch in range(args.epochs):
        model.train()
        total = 0.0
        for xb, yb in train_loader:
            xb, yb = xb.to(device), yb.to(device)
            loss = F.mse_loss(model(xb, edge_attr), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(xb)
        model.eval()
        with torch.no_grad():
            val = F.mse_loss(model(val_x, edge_attr), val_y).item()
            w = model.edge_net(edge_attr)
        print(f"epoch {epoch}: train mse {total / split:.4f} val mse {val:.4f} "
              f"edge w mean {w.mean().item():.3f} std {w.std().item():.3f}")
