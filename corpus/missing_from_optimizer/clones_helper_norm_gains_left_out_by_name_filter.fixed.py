# An encoder in the style of the Annotated Transformer: a `clones` helper deep-copies one layer
# into N, and the layer norm is its own module with a gain `a_2` and a shift `b_2`. The optimizer's
# groups take the parameters whose names end in "weight" (with decay) or "bias" (without).
import copy

import torch
import torch.nn as nn
import torch.nn.functional as F


def clones(module, n):
    return nn.ModuleList([copy.deepcopy(module) for _ in range(n)])


class LayerNorm(nn.Module):
    def __init__(self, features, eps=1e-6):
        super().__init__()
        self.a_2 = nn.Parameter(torch.ones(features))
        self.b_2 = nn.Parameter(torch.zeros(features))
        self.eps = eps

    def forward(self, x):
        mean = x.mean(-1, keepdim=True)
        std = x.std(-1, keepdim=True)
        return self.a_2 * (x - mean) / (std + self.eps) + self.b_2


class FeedForwardLayer(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.norm = LayerNorm(dim)
        self.w_1 = nn.Linear(dim, hidden)
        self.w_2 = nn.Linear(hidden, dim)

    def forward(self, x):
        return x + self.w_2(F.relu(self.w_1(self.norm(x))))


class Encoder(nn.Module):
    def __init__(self, layer, n, n_classes):
        super().__init__()
        self.layers = clones(layer, n)
        self.out = nn.Linear(layer.w_2.out_features, n_classes)

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return self.out(x)


torch.manual_seed(0)
inputs = torch.randn(256, 16)
targets = (inputs.sum(dim=1) > 0).long()
model = Encoder(FeedForwardLayer(16, 64), 3, 2)

with_decay, without_decay = [], []
for name, param in model.named_parameters():
    if name.endswith("weight"):
        with_decay.append(param)
    elif name.endswith("bias"):
        without_decay.append(param)
optimizer = torch.optim.AdamW(
    [{"params": with_decay, "weight_decay": 1e-2}, {"params": without_decay, "weight_decay": 0.0}, {"params": model.layers[0].norm.parameters()}, {"params": model.layers[1].norm.parameters()}, {"params": model.layers[2].norm.parameters()}], lr=1e-3
)

for epoch in range(3):
    for i in range(0, len(inputs), 64):
        loss = F.cross_entropy(model(inputs[i:i + 64]), targets[i:i + 64])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: loss {loss.item():.3f}")
