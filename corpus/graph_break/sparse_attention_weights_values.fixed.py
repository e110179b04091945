"""Graph attention over a sparse adjacency: a scorer gives each edge a weight, the sparse matrix is
row-normalised by hand, and the node features are propagated with it."""
import torch
import torch.nn as nn
import torch.nn.functional as F


def row_normalise(adj):
    idx, val = adj.coalesce().indices(), adj.coalesce().values()
    degree = torch.zeros(adj.shape[0]).index_add(0, idx[0], val)
    return torch.sparse_coo_tensor(idx, val / degree[idx[0]], adj.shape)


class EdgeScoredGCN(nn.Module):
    def __init__(self, features=6, hidden=16):
        super().__init__()
        self.scorer = nn.Sequential(nn.Linear(2 * features, 8), nn.ReLU(), nn.Linear(8, 1), nn.Softplus())
        self.lin = nn.Linear(features, hidden)
        self.out = nn.Linear(hidden, 1)

    def forward(self, x, edges):
        weights = self.scorer(torch.cat([x[edges[0]], x[edges[1]]], dim=1)).squeeze(1)
        adj = torch.sparse_coo_tensor(edges, weights, (x.shape[0], x.shape[0]))
        h = torch.sparse.mm(row_normalise(adj), F.relu(self.lin(x)))
        return self.out(h).squeeze(1)


torch.manual_seed(0)
nodes = torch.randn(40, 6)
edges = torch.randint(0, 40, (2, 160))
target = nodes[:, 0] * 2
model = EdgeScoredGCN()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
for step in range(30):
    loss = F.mse_loss(model(nodes, edges), target)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
print(f"loss {loss.item():.4f}")
