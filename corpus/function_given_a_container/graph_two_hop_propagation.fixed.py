# Node classification on a small random graph: a hand-written Function mixes each node's own
# features and its neighbours' (through the normalised adjacency) with two learned weight
# matrices; an MLP classifies the propagated features.
import torch
from torch import nn

torch.manual_seed(0)
NODES, FEATURES, HIDDEN, CLASSES = 120, 10, 16, 3


class Propagate(torch.autograd.Function):
    @staticmethod
    def forward(ctx, feats, adj, *weights):
        w_self, w_neigh = weights
        neigh = adj @ feats
        ctx.save_for_backward(feats, neigh, adj, w_self, w_neigh)
        return feats @ w_self + neigh @ w_neigh

    @staticmethod
    def backward(ctx, grad_out):
        feats, neigh, adj, w_self, w_neigh = ctx.saved_tensors
        grad_feats = grad_out @ w_self.t() + adj.t() @ (grad_out @ w_neigh.t())
        return grad_feats, None, *(feats.t() @ grad_out, neigh.t() @ grad_out)


class GraphNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.weights = nn.ParameterList([
            nn.Parameter(torch.randn(FEATURES, HIDDEN) * 0.3),
            nn.Parameter(torch.randn(FEATURES, HIDDEN) * 0.3),
        ])
        self.mlp = nn.Sequential(nn.ReLU(), nn.Linear(HIDDEN, CLASSES))

    def forward(self, feats, adj):
        return self.mlp(Propagate.apply(feats, adj, *self.weights))


labels = torch.randint(0, CLASSES, (NODES,))
same = (labels[:, None] == labels[None]).float()
adj = (torch.rand(NODES, NODES) < 0.02 + 0.1 * same).float()
adj = adj / adj.sum(1, keepdim=True).clamp(min=1)
feats = torch.randn(NODES, FEATURES) + torch.nn.functional.one_hot(labels, FEATURES).float()
model = GraphNet()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)

for step in range(100):
    loss = nn.functional.cross_entropy(model(feats, adj), labels)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
print(f"loss {loss.item():.4f}")
