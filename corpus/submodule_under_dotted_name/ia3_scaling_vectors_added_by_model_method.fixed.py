"""A pretrained MLP sentiment tagger adapted to a new domain with (IA)^3-style scaling vectors: the
model's own add_scalers() method walks self.named_modules() and replaces each feed-forward Linear
of the encoder by a wrapper that rescales its output channels, using setattr(self, name, wrapper)
with the dotted path ("encoder.0.ffn.up"). The base weights are frozen; the scaling vectors and
the classifier are trained."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class ScaledLinear(nn.Module):
    def __init__(self, base):
        super().__init__()
        self.base = base
        self.scale = nn.Parameter(torch.ones(base.out_features))

    def forward(self, x):
        return self.base(x) * self.scale


class FeedForward(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.up = nn.Linear(dim, hidden)
        self.down = nn.Linear(hidden, dim)

    def forward(self, x):
        return x + self.down(F.gelu(self.up(x)))


class Tagger(nn.Module):
    def __init__(self, dim=24, depth=2, n_tags=3):
        super().__init__()
        self.encoder = nn.ModuleList(
            nn.ModuleDict({"ffn": FeedForward(dim, 4 * dim), "norm": nn.LayerNorm(dim)}) for _ in range(depth)
        )
        self.classifier = nn.Linear(dim, n_tags)

    def forward(self, x):
        for layer in self.encoder:
            x = layer["norm"](layer["ffn"](x))
        return self.classifier(x)

    def add_scalers(self):
        self.requires_grad_(False)
        for name, module in list(self.named_modules()):
            if isinstance(module, nn.Linear) and ".ffn." in name:
                self.set_submodule(name, ScaledLinear(module))
        self.classifier.requires_grad_(True)
        return [p for p in self.parameters() if p.requires_grad]


model = Tagger()
optimizer = torch.optim.Adam(model.add_scalers(), lr=5e-3)
features = torch.randn(40, 10, 24)
tags = (features[..., 0] > 0.3).long() + (features[..., 1] > 0.8).long()

for epoch in range(6):
    for i in range(0, 40, 8):
        logits = model(features[i:i + 8])
        loss = F.cross_entropy(logits.reshape(-1, 3), tags[i:i + 8].reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch} loss {loss.item():.4f}")
