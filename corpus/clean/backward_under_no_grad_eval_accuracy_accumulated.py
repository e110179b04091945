import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 3))
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
train = [(torch.randn(16, 8), torch.randint(0, 3, (16,))) for _ in range(4)]
val = [(torch.randn(16, 8), torch.randint(0, 3, (16,))) for _ in range(2)]

for epoch in range(3):
    losses = []
    for x, y in train:
        losses.append(F.cross_entropy(model(x), y))
    loss = torch.stack(losses).mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    stats = {"val_loss": 0.0, "correct": 0}
    for x, y in val:
        with torch.no_grad():
            logits = model(x)
            stats["val_loss"] += F.cross_entropy(logits, y).item()
            stats["correct"] += (logits.argmax(dim=1) == y).sum().item()
    print(f"epoch {epoch}: loss {loss.item():.4f} val {stats['val_loss']:.4f} correct {stats['correct']}")
