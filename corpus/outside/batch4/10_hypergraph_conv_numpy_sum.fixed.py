"""Node classification on a synthetic hypergraph with a DHCN-style hypergraph convolution.

Nodes belong to one of 3 communities; hyperedges mostly group nodes of one community.
Node features are noisy one-hot community indicators.
"""
import numpy as np
import torch
from torch import nn
import torch.nn.functional as F

N_NODES, N_EDGES, N_CLASSES, FEAT, HIDDEN = 90, 40, 3, 16, 32


def build_hypergraph(rng):
    labels = rng.integers(0, N_CLASSES, N_NODES)
    H = np.zeros((N_NODES, N_EDGES), dtype=np.float32)
    for e in range(N_EDGES):
        c = e % N_CLASSES
        members = rng.choice(np.where(labels == c)[0], size=5, replace=False)
        noise = rng.choice(N_NODES, size=1)
        H[members, e] = 1.0
        H[noise, e] = 1.0
    Dv = H.sum(1, keepdims=True).clip(min=1)
    De = H.sum(0, keepdims=True).clip(min=1)
    adjacency = (H / Dv) @ (H / De).T                 # D_v^-1 H D_e^-1 H^T
    coo = np.nonzero(adjacency)
    adjacency = torch.sparse_coo_tensor(np.vstack(coo), adjacency[coo], (N_NODES, N_NODES))
    return adjacency.float().coalesce(), torch.from_numpy(labels).long()


class HyperConv(nn.Module):
    def __init__(self, layers, emb_size):
        super().__init__()
        self.layers = layers
        self.theta = nn.ModuleList([nn.Linear(emb_size, emb_size, bias=False) for _ in range(layers)])

    def forward(self, adjacency, embedding):
        item_embeddings = embedding
        final = [item_embeddings]
        for i in range(self.layers):
            item_embeddings = torch.sparse.mm(adjacency, self.theta[i](item_embeddings))
            final.append(item_embeddings)
        item_embeddings = torch.sum(torch.stack(final), 0) / (self.layers + 1)
        return item_embeddings


class HGNNClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.input_proj = nn.Linear(FEAT, HIDDEN)
        self.conv = HyperConv(layers=2, emb_size=HIDDEN)
        self.out = nn.Linear(HIDDEN, N_CLASSES)

    def forward(self, adjacency, x):
        h = torch.relu(self.input_proj(x))
        h = self.conv(adjacency, h)
        return self.out(F.dropout(h, 0.2, self.training))


def train_test(model, optimizer, adjacency, features, labels, train_mask):
    model.train()
    optimizer.zero_grad()
    logits = model(adjacency, features)
    loss = F.cross_entropy(logits[train_mask], labels[train_mask])
    loss.backward()
    optimizer.step()
    model.eval()
    with torch.no_grad():
        pred = model(adjacency, features).argmax(1)
    return loss.item(), (pred[~train_mask] == labels[~train_mask]).float().mean().item()


if __name__ == "__main__":
    rng = np.random.default_rng(0)
    torch.manual_seed(0)
    adjacency, labels = build_hypergraph(rng)
    features = F.one_hot(labels, FEAT).float() * 0.5 + torch.randn(N_NODES, FEAT)
    train_mask = torch.rand(N_NODES) < 0.3
    model = HGNNClassifier()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2, weight_decay=5e-4)
    for epoch in range(30):
        loss, acc = train_test(model, optimizer, adjacency, features, labels, train_mask)
        if epoch % 10 == 0:
            print(f"epoch {epoch:2d} loss {loss:.4f} test acc {acc:.3f}")
