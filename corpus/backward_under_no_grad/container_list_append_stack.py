import torch
import torch.nn as nn
import torch.nn.functional as F


class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 3))

    def forward(self, x):
        return self.net(x)


torch.manual_seed(0)
model = Classifier()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
tasks = [(torch.randn(16, 8), torch.randint(0, 3, (16,))) for _ in range(4)]

for step in range(5):
    losses = []
    hits = 0
    for x, y in tasks:
        with torch.no_grad():
            logits = model(x)
            losses.append(F.cross_entropy(logits, y))
            hits += (logits.argmax(dim=1) == y).sum().item()
    meta_loss = torch.stack(losses).mean()
    optimizer.zero_grad()
    meta_loss.backward()
    optimizer.step()
    print(f"step {step}: loss {meta_loss.item():.4f} acc {hits / 64:.2f}")
