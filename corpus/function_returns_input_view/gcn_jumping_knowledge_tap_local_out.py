"""Node classification on a synthetic stochastic-block-model graph with a residual GCN and
jumping-knowledge readouts. A gradient tap on each layer's messages logs the gradient norm that
its readout sends back; its forward keeps the view in a local before returning it."""
import torch
from torch import nn
from torch.autograd import Function

N_NODES, N_CLASSES, N_FEATS, HIDDEN, LAYERS = 240, 4, 16, 32, 3
GRAD_LOG = {}


class GradTap(Function):
    @staticmethod
    def forward(ctx, x, key):
        ctx.key = key
        out = x.view_as(x)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        GRAD_LOG[ctx.key] = grad_out.norm().item()
        return grad_out, None


def sbm_graph(gen):
    labels = torch.arange(N_NODES) % N_CLASSES
    same = labels[:, None] == labels[None, :]
    prob = torch.where(same, torch.tensor(0.08), torch.tensor(0.01))
    adj = (torch.rand(N_NODES, N_NODES, generator=gen) < prob).float()
    adj = ((adj + adj.t()) > 0).float() + torch.eye(N_NODES)
    deg = adj.sum(1)
    norm_adj = adj / torch.sqrt(deg[:, None] * deg[None, :])
    feats = 0.5 * nn.functional.one_hot(labels, N_FEATS).float() + torch.randn(N_NODES, N_FEATS, generator=gen)
    return norm_adj, feats, labels


class ResidualGCN(nn.Module):
    def __init__(self):
        super().__init__()
        self.inp = nn.Linear(N_FEATS, HIDDEN)
        self.layers = nn.ModuleList(nn.Linear(HIDDEN, HIDDEN) for _ in range(LAYERS))
        self.readout = nn.ModuleList(nn.Linear(HIDDEN, N_CLASSES) for _ in range(LAYERS))

    def forward(self, adj, x):
        h = torch.relu(self.inp(x))
        readouts = []
        for i, (layer, readout) in enumerate(zip(self.layers, self.readout)):
            m = layer(adj @ h)
            readouts.append(readout(GradTap.apply(m, f"layer{i}")))
            m += h
            h = torch.relu(m)
        return torch.stack(readouts).sum(0)


gen = torch.Generator().manual_seed(17)
torch.manual_seed(17)
adj, feats, labels = sbm_graph(gen)
train_mask = torch.rand(N_NODES, generator=gen) < 0.3
model = ResidualGCN()
optimizer = torch.optim.Adam(model.parameters(), lr=0.01, weight_decay=5e-4)
for epoch in range(1, 61):
    model.train()
    logits = model(adj, feats)
    loss = nn.functional.cross_entropy(logits[train_mask], labels[train_mask])
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if epoch % 20 == 0:
        acc = (logits.argmax(1)[~train_mask] == labels[~train_mask]).float().mean().item()
        taps = ", ".join(f"{k} {v:.3f}" for k, v in sorted(GRAD_LOG.items()))
        print(f"epoch {epoch}: loss {loss.item():.3f} test acc {acc:.3f} | {taps}")
