# A heterogeneous graph layer with one linear map per edge type, kept in a plain dict keyed by the
# (source, relation, target) tuples: the maps get gradients but are not registered.
import torch
import torch.nn as nn

EDGE_TYPES = [("user", "rates", "item"), ("item", "rated_by", "user"), ("user", "follows", "user")]


class HeteroLayer(nn.Module):
    def __init__(self, dim=12):
        super().__init__()
        self.maps = nn.ModuleDict()
        for src, rel, dst in EDGE_TYPES:
            self.maps[str((src, rel, dst))] = nn.Linear(dim, dim, bias=False)
        self.norm = nn.LayerNorm(dim)

    def forward(self, feats, adjs):
        out = {kind: torch.zeros_like(h) for kind, h in feats.items()}
        for src, rel, dst in EDGE_TYPES:
            out[dst] = out[dst] + adjs[rel] @ self.maps[str((src, rel, dst))](feats[src])
        return {kind: self.norm(torch.relu(h)) for kind, h in out.items()}


torch.manual_seed(0)
layer = HeteroLayer()
readout = nn.Linear(12, 1)
optimizer = torch.optim.Adam([*layer.parameters(), *readout.parameters()], lr=1e-2)
feats = {"user": torch.randn(20, 12), "item": torch.randn(15, 12)}
adjs = {
    "rates": (torch.rand(15, 20) < 0.3).float(),
    "rated_by": (torch.rand(20, 15) < 0.3).float(),
    "follows": (torch.rand(20, 20) < 0.2).float(),
}
targets = {"user": torch.randn(20), "item": torch.randn(15)}
for step in range(30):
    optimizer.zero_grad()
    out = layer(feats, adjs)
    loss = sum((readout(out[kind]).squeeze(-1) - targets[kind]).pow(2).mean() for kind in targets)
    loss.backward()
    optimizer.step()
