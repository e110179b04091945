# Full-batch node classification with a dense two-layer GCN. The readout MLP is built the first
# time forward runs, sized by the hidden features; fit() made the optimizer before any forward.
import torch
import torch.nn as nn
import torch.nn.functional as F


class DenseGCN(nn.Module):
    def __init__(self, d_in, hidden, n_classes):
        super().__init__()
        self.w1 = nn.Linear(d_in, hidden)
        self.w2 = nn.Linear(hidden, hidden)
        self.n_classes = n_classes
        self.readout = None

    def forward(self, feats, adj):
        h = F.relu(adj @ self.w1(feats))
        h = F.relu(adj @ self.w2(h))
        if self.readout is None:
            self.readout = nn.Sequential(nn.Linear(h.size(-1), 16), nn.ReLU(), nn.Linear(16, self.n_classes))
        return self.readout(h)


def normalised_adjacency(n, p, generator):
    a = (torch.rand(n, n, generator=generator) < p).float()
    a = ((a + a.T) > 0).float() + torch.eye(n)
    d = a.sum(1).rsqrt()
    return d[:, None] * a * d[None, :]


def fit(net, feats, adj, labels, train_mask, epochs=60):
    optim = torch.optim.Adam(net.parameters(), lr=0.01, weight_decay=5e-4)
    for epoch in range(epochs):
        net.train()
        logits = net(feats, adj)
        loss = F.cross_entropy(logits[train_mask], labels[train_mask])
        optim.zero_grad()
        loss.backward()
        optim.step()
        if epoch % 20 == 0:
            print(epoch, loss.item())
    return net


g = torch.Generator().manual_seed(11)
n = 120
adj = normalised_adjacency(n, 0.05, g)
labels = torch.randint(0, 3, (n,), generator=g)
feats = F.one_hot(labels, 3).float() + 0.8 * torch.randn(n, 3, generator=g)
feats = torch.cat([feats, torch.randn(n, 5, generator=g)], 1)
train_mask = torch.rand(n, generator=g) < 0.5
fit(DenseGCN(8, 32, 3), feats, adj, labels, train_mask)
