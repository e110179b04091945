"""Gradient accumulation: four micro-batches per optimizer step."""
import torch
import torch.nn.functional as F
from torch import nn, optim

ACCUM_STEPS = 4


class MLP(nn.Module):
    def __init__(self, n_in=20, hidden=64, n_out=3):
        super().__init__()
        self.fc1 = nn.Linear(n_in, hidden)
        self.fc2 = nn.Linear(hidden, n_out)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x)))


def micro_batches(n_batches=32, batch_size=8):
    for _ in range(n_batches):
        x = torch.randn(batch_size, 20)
        yield x, (x[:, 0] > 0).long() + (x[:, 1] > 0).long()


torch.manual_seed(0)
model = MLP()
optimizer = optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.01)
optimizer.zero_grad()
for i, (x, y) in enumerate(micro_batches()):
    loss = F.cross_entropy(model(x), y)
    (loss / ACCUM_STEPS).backward
    if (i + 1) % ACCUM_STEPS == 0:
        optimizer.step()
        optimizer.zero_grad()
        print(f"update {(i + 1) // ACCUM_STEPS}: loss {loss.item():.4f}")
