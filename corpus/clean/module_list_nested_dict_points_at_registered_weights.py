# Correct: a plain dict of dicts keyed by layer index that only points at registered weights (to
# give each layer its own weight-decay group); everything it holds is already in parameters().
import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(8, 8) for _ in range(2)])
        self.by_layer = {i: {"w": layer.weight, "b": layer.bias} for i, layer in enumerate(self.layers)}

    def forward(self, x):
        for layer in self.layers:
            x = torch.tanh(layer(x))
        return x.sum(-1)


torch.manual_seed(0)
model = Net()
groups = [{"params": [p["w"]], "weight_decay": 1e-4 * (i + 1)} for i, p in model.by_layer.items()]
groups.append({"params": [p["b"] for p in model.by_layer.values()], "weight_decay": 0.0})
optimizer = torch.optim.SGD(groups, lr=0.05)
x = torch.randn(32, 8)
y = x[:, 0]
for step in range(20):
    optimizer.zero_grad()
    loss = (model(x) - y).pow(2).mean()
    loss.backward()
    optimizer.step()
