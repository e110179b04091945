"""An EMA copy of a classifier whose encoder is an nn.TransformerEncoder (its layers deep copies
of one template layer, as torch makes them): the copy is made with copy.deepcopy, keeps
requires_grad, is updated by hand from the trained model and only evaluated under no_grad. The
optimizer holds every parameter of the model. Nothing here is meant to train that does not."""
import copy

import torch
import torch.nn as nn
import torch.nn.functional as F


class Classifier(nn.Module):
    def __init__(self, dim=16, depth=2, n_classes=4):
        super().__init__()
        self.proj = nn.Linear(8, dim)
        layer = nn.TransformerEncoderLayer(dim, 2, 32, dropout=0.0, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, depth, enable_nested_tensor=False)
        self.head = nn.Linear(dim, n_classes)

    def forward(self, x):
        return self.head(self.encoder(self.proj(x)).mean(dim=1))


torch.manual_seed(0)
model = Classifier()
ema = copy.deepcopy(model)
optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
x = torch.randn(64, 6, 8)
y = torch.randint(0, 4, (64,))

for epoch in range(3):
    for i in range(0, 64, 16):
        loss = F.cross_entropy(model(x[i:i + 16]), y[i:i + 16])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        with torch.no_grad():
            for e, p in zip(ema.parameters(), model.parameters()):
                e.mul_(0.99).add_(p, alpha=0.01)
    with torch.no_grad():
        accuracy = (ema(x).argmax(dim=1) == y).float().mean().item()
    print(f"epoch {epoch}: loss {loss.item():.3f}, ema accuracy {accuracy:.2f}")
