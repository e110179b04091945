"""Fine-tuning with a faster head: the base group leaves the head's parameters out by name."""
import torch
import torch.nn as nn
from torch.optim import AdamW

torch.manual_seed(0)


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(12, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh())
        self.head = nn.Linear(32, 3)

    def forward(self, x):
        return self.head(self.encoder(x))


model = Model()
base = [p for n, p in model.named_parameters() if not n.startswith("head.")]
optimizer = AdamW([{"params": base}, {"params": model.head.parameters(), "lr": 1e-2}], lr=1e-3)

x = torch.randn(48, 12)
y = torch.randint(0, 3, (48,))
for epoch in range(3):
    for i in range(0, 48, 16):
        loss = nn.functional.cross_entropy(model(x[i : i + 16]), y[i : i + 16])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(epoch, loss.item())
