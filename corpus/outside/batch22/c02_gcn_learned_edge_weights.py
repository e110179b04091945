"""Node classification on a synthetic community graph with a hand-written GCN whose edge weights
are predicted from edge features, plus an EMA copy of the model used for evaluation."""
import copy
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

N_NODES, N_COMMUNITIES, FEAT_DIM, EDGE_FEAT_DIM = 300, 4, 16, 6
EPOCHS, LR, EMA_DECAY = 120, 1e-2, 0.95


def make_graph():
    g = torch.Generator().manual_seed(1)
    labels = torch.randint(0, N_COMMUNITIES, (N_NODES,), generator=g)
    same = labels[:, None] == labels[None, :]
    prob = torch.where(same, torch.tensor(0.05), torch.tensor(0.006))
    adj = (torch.rand(N_NODES, N_NODES, generator=g) < prob).triu(1)
    adj[:20] = False  # a few isolated nodes (new users without interactions)
    adj[:, :20] = False
    src, dst = adj.nonzero(as_tuple=True)
    edge_index = torch.cat([torch.stack([src, dst]), torch.stack([dst, src])], dim=1)
    centers = torch.randn(N_COMMUNITIES, FEAT_DIM, generator=g)
    x = 0.6 * centers[labels] + torch.randn(N_NODES, FEAT_DIM, generator=g)
    same_edge = (labels[edge_index[0]] == labels[edge_index[1]]).float()
    edge_attr = torch.randn(edge_index.shape[1], EDGE_FEAT_DIM, generator=g)
    edge_attr[:, 0] += 1.5 * same_edge  # an informative interaction feature
    perm = torch.randperm(N_NODES, generator=g)
    train_mask = torch.zeros(N_NODES, dtype=torch.bool)
    train_mask[perm[:120]] = True
    val_mask = ~train_mask
    return x, edge_index, edge_attr, labels, train_mask, val_mask


def gcn_norm(edge_index, edge_weight, num_nodes):
    row, col = edge_index
    deg = torch.zeros(num_nodes, device=edge_weight.device).index_add(0, col, edge_weight)
    deg_inv_sqrt = deg.pow(-0.5)
    deg_inv_sqrt[deg_inv_sqrt == float("inf")] = 0
    return deg_inv_sqrt[row] * edge_weight * deg_inv_sqrt[col]


class GCNLayer(nn.Module):
    def __init__(self, in_dim, out_dim):
        super().__init__()
        self.lin = nn.Linear(in_dim, out_dim, bias=False)
        self.bias = nn.Parameter(torch.zeros(out_dim))
        self.root = nn.Linear(in_dim, out_dim, bias=False)

    def forward(self, x, edge_index, norm_weight):
        h = self.lin(x)
        adj = torch.sparse_coo_tensor(edge_index.flip(0), norm_weight, (x.shape[0], x.shape[0]))
        return torch.sparse.mm(adj, h) + self.root(x) + self.bias


class EdgeWeightedGCN(nn.Module):
    def __init__(self, hidden=32):
        super().__init__()
        self.edge_mlp = nn.Sequential(nn.Linear(EDGE_FEAT_DIM, 16), nn.ReLU(), nn.Linear(16, 1))
        self.convs = nn.ModuleList([GCNLayer(FEAT_DIM, hidden), GCNLayer(hidden, N_COMMUNITIES)])

    def forward(self, x, edge_index, edge_attr):
        w = F.softplus(self.edge_mlp(edge_attr)).squeeze(-1)
        norm = gcn_norm(edge_index, w, x.shape[0])
        h = F.relu(self.convs[0](x, edge_index, norm))
        h = F.dropout(h, p=0.3, training=self.training)
        return self.convs[1](h, edge_index, norm)


x, edge_index, edge_attr, labels, train_mask, val_mask = [t.to(device) for t in make_graph()]
model = EdgeWeightedGCN().to(device)
ema_model = copy.deepcopy(model).requires_grad_(False)
optimizer = torch.optim.Adam(model.parameters(), lr=LR, weight_decay=5e-4)
scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=EPOCHS, eta_min=1e-3)

start = time.time()
for epoch in range(EPOCHS):
    model.train()
    logits = model(x, edge_index, edge_attr)
    with torch.no_grad():
        teacher = F.softmax(ema_model(x, edge_index, edge_attr), dim=-1)
    loss = F.cross_entropy(logits[train_mask], labels[train_mask])
    consistency = F.kl_div(F.log_softmax(logits[val_mask], -1), teacher[val_mask].detach(), reduction="batchmean")
    total = loss + 0.1 * consistency
    optimizer.zero_grad()
    total.backward()
    optimizer.step()
    scheduler.step()
    with torch.no_grad():
        for p_ema, p in zip(ema_model.parameters(), model.parameters()):
            p_ema.mul_(EMA_DECAY).add_(p.detach(), alpha=1 - EMA_DECAY)
    if epoch % 20 == 0 or epoch == EPOCHS - 1:
        ema_model.eval()
        with torch.no_grad():
            pred = ema_model(x, edge_index, edge_attr).argmax(-1)
        acc = (pred[val_mask] == labels[val_mask]).float().mean().item()
        print(f"epoch {epoch:3d} loss {loss.item():.4f} cons {consistency.item():.4f} "
              f"ema val acc {acc:.3f} ({time.time() - start:.1f}s)")
