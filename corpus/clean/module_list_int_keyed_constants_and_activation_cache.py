# Correct: per-relation constants in a plain dict of dicts keyed by int (fixed tensors, no
# gradient wanted), and a cache of activations keyed by layer index, refilled each forward.
import torch
import torch.nn as nn


class CachedRelNet(nn.Module):
    def __init__(self, dim=8, num_rel=3):
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(dim, dim) for _ in range(num_rel)])
        self.norms = {rel: {"mean": torch.randn(dim), "std": torch.rand(dim) + 0.5} for rel in range(num_rel)}
        self.cache = {}

    def forward(self, x):
        for rel, layer in enumerate(self.layers):
            x = torch.relu(layer((x - self.norms[rel]["mean"]) / self.norms[rel]["std"]))
            self.cache[rel] = x
        return x.sum(-1)


torch.manual_seed(0)
model = CachedRelNet()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
x = torch.randn(32, 8)
y = x[:, 0]
for step in range(20):
    optimizer.zero_grad()
    loss = (model(x) - y).pow(2).mean()
    loss.backward()
    optimizer.step()
