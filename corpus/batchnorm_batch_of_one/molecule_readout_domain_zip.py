# Predicts a property of small molecular graphs, adapting from a labelled source library to an
# unlabelled target library: two rounds of message passing over dense adjacency matrices, a
# mean-pooled graph readout, and an MLP head with batch normalisation. The source batches give a
# regression loss; the paired target batches add a consistency term.
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset


def random_graphs(n_graphs, n_nodes, n_feats, density, seed):
    g = torch.Generator().manual_seed(seed)
    adj = (torch.rand(n_graphs, n_nodes, n_nodes, generator=g) < density).float()
    adj = ((adj + adj.transpose(1, 2)) > 0).float() + torch.eye(n_nodes)
    feats = torch.randn(n_graphs, n_nodes, n_feats, generator=g)
    return feats, adj / adj.sum(-1, keepdim=True)


torch.manual_seed(3)
src_x, src_adj = random_graphs(289, 10, 8, 0.25, seed=3)
src_y = (src_adj @ src_x).mean(dim=(1, 2)) + 0.1 * torch.randn(289)
tgt_x, tgt_adj = random_graphs(320, 10, 8, 0.35, seed=4)

source_loader = DataLoader(TensorDataset(src_x, src_adj, src_y), batch_size=32, shuffle=True)
target_loader = DataLoader(TensorDataset(tgt_x, tgt_adj), batch_size=32, shuffle=True)


class GraphRegressor(nn.Module):
    def __init__(self, n_feats, hidden=32):
        super().__init__()
        self.embed = nn.Linear(n_feats, hidden)
        self.message = nn.ModuleList([nn.Linear(hidden, hidden) for _ in range(2)])
        self.readout = nn.Sequential(nn.Linear(hidden, hidden), nn.BatchNorm1d(hidden), nn.ReLU(), nn.Linear(hidden, 1))

    def forward(self, x, adj):
        h = torch.relu(self.embed(x))
        for layer in self.message:
            h = torch.relu(layer(adj @ h)) + h
        return self.readout(h.mean(dim=1)).squeeze(-1)


model = GraphRegressor(8)
optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-4)

for epoch in range(5):
    for (x, adj, y), (tx, tadj) in zip(source_loader, target_loader):
        supervised = nn.functional.mse_loss(model(x, adj), y)
        # target graphs: predictions should not move when the node features are slightly perturbed
        consistency = (model(tx, tadj) - model(tx + 0.05 * torch.randn_like(tx), tadj)).pow(2).mean()
        loss = supervised + 0.1 * consistency
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: supervised {supervised.item():.4f}, consistency {consistency.item():.5f}")
