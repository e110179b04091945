"""Adapter tuning of a frozen classifier: the backbone is frozen parameter by parameter with
requires_grad = False, and the optimizer is built over what requires grad, so the input adapter
and the head should train. The no_grad block in forward wraps the adapter (the module the
freeze left trainable), so the adapter never changes."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class AdaptedClassifier(nn.Module):
    def __init__(self, in_dim=20, hidden=64, n_classes=4):
        super().__init__()
        self.adapter = nn.Linear(in_dim, in_dim)
        self.backbone = nn.Sequential(nn.Linear(in_dim, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU())
        self.head = nn.Linear(hidden, n_classes)

    def forward(self, x):
        with torch.no_grad():
            h = self.adapter(x)
        return self.head(self.backbone(x + h))


torch.manual_seed(2)
model = AdaptedClassifier()
for p in model.backbone.parameters():
    p.requires_grad = False
optimizer = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.1)
for step in range(60):
    x = torch.randn(32, 20)
    y = (x[:, :4].argmax(1) + (x[:, 4] > 0).long()) % 4
    loss = F.cross_entropy(model(x), y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
print("final loss", loss.item())
