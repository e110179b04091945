# A LightningModule-style classifier without Lightning: training_step and validation_step share a
# loss helper; validation runs once before training as a sanity check.
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import no_grad


class LitMLP(nn.Module):
    def __init__(self, features=20, classes=4, label_smoothing=0.1):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(features, 64), nn.GELU(), nn.LayerNorm(64), nn.Linear(64, classes))
        self.label_smoothing = label_smoothing

    def forward(self, x):
        return self.net(x)

    @no_grad()
    def compute_loss(self, logits, y):
        return F.cross_entropy(logits, y, label_smoothing=self.label_smoothing)

    def training_step(self, batch):
        x, y = batch
        return self.compute_loss(self(x), y)

    def validation_step(self, batch):
        x, y = batch
        with torch.no_grad():
            logits = self(x)
        return self.compute_loss(logits, y).item(), (logits.argmax(1) == y).float().mean().item()

    def configure_optimizers(self):
        return torch.optim.AdamW(self.parameters(), lr=3e-3, weight_decay=0.01)


def batches(x, y, size):
    for i in range(0, len(x), size):
        yield x[i:i + size], y[i:i + size]


torch.manual_seed(0)
x = torch.randn(256, 20)
y = (x[:, :4].argmax(1) + (x[:, 4] > 1).long()) % 4
module = LitMLP()
optimizer = module.configure_optimizers()
print("sanity check:", module.validation_step((x[200:], y[200:])))
for epoch in range(5):
    for batch in batches(x[:200], y[:200], 40):
        loss = module.training_step(batch)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    val_loss, val_acc = module.validation_step((x[200:], y[200:]))
    print(f"epoch {epoch}: train {loss.item():.3f} val {val_loss:.3f} acc {val_acc:.2f}")
