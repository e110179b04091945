import torch
import torch.nn as nn
import torch.nn.functional as F


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(12, 24), nn.ReLU())
        self.head = nn.Linear(24, 4)

    def forward(self, x):
        return self.head(self.body(x))


def run_batches(model, batches):
    stats = {"loss": 0.0, "correct": 0}
    for x, y in batches:
        with torch.no_grad():
            logits = model(x)
            stats["loss"] = stats["loss"] + F.cross_entropy(logits, y)
            stats["correct"] += (logits.argmax(dim=1) == y).sum().item()
    return stats


torch.manual_seed(0)
model = Encoder()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
batches = [(torch.randn(20, 12), torch.randint(0, 4, (20,))) for _ in range(3)]
for epoch in range(4):
    stats = run_batches(model, batches)
    optimizer.zero_grad()
    stats["loss"].backward()
    optimizer.step()
    print(f"epoch {epoch}: loss {stats['loss'].item():.4f} correct {stats['correct']}")
