"""Graph pieces for the citation-style node classifier: a small coordinate-format sparse
adjacency (rows, columns, one value per edge) and a two-layer graph convolution that learns how
much each edge counts."""
import torch
from torch import nn


class SparseAdj:
    """An adjacency in coordinate form; like torch_sparse's SparseTensor, it is never changed in
    place: ``set_value`` gives a new adjacency with the new edge values."""

    def __init__(self, row, col, value, size):
        self.row, self.col, self.value, self.size = row, col, value, size

    def set_value(self, value):
        return SparseAdj(self.row, self.col, value, self.size)

    def matmul(self, x):
        out = torch.zeros(self.size, x.shape[1])
        return out.index_add(0, self.row, self.value[:, None] * x[self.col])

    def degree(self):
        return torch.zeros(self.size).index_add(0, self.row, self.value)


class EdgeWeightedGCN(nn.Module):
    def __init__(self, adj, features, hidden, classes):
        super().__init__()
        self.adj = adj
        self.edge_logit = nn.Parameter(torch.zeros(adj.row.numel()))
        self.lin1 = nn.Linear(features, hidden)
        self.lin2 = nn.Linear(hidden, classes)

    def propagate(self, adj, h):
        return adj.matmul(h) / adj.degree().clamp(min=1e-6)[:, None]

    def forward(self, x):
        adj = self.adj
        adj = adj.set_value(torch.sigmoid(self.edge_logit))
        h = torch.relu(self.propagate(adj, self.lin1(x)))
        return self.propagate(adj, self.lin2(h))
