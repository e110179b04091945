"""Feature distillation: a frozen teacher's pooled features are the input of a small trainable
adapter that learns to predict the labels."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)

teacher = nn.Sequential(nn.Linear(20, 64), nn.ReLU(), nn.Linear(64, 32), nn.ReLU()).eval()
for p in teacher.parameters():
    p.requires_grad_(False)

adapter = nn.Sequential(nn.Linear(32, 16), nn.ReLU(), nn.Linear(16, 3))
optimizer = torch.optim.Adam(adapter.parameters(), lr=1e-3)

data = torch.randn(200, 20)
targets = (data[:, 0] > 0).long() + (data[:, 1] > 0.5).long()

for epoch in range(3):
    for start in range(0, 200, 40):
        x, y = data[start : start + 40], targets[start : start + 40]
        with torch.inference_mode():
            features = teacher(x)
        logits = adapter(features)
        loss = F.cross_entropy(logits, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: {loss.item():.4f}")
