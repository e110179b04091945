"""Looks like a dead output: forward computes `feat_norm` and a confidence it never returns, and the
training loop computes an accuracy nobody feeds back. Every module they come from is trained by
the loss, so nothing is left without a gradient."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Linear(32, 32))
        self.head = nn.Linear(32, 4)
        self.feat_norm = 0.0

    def forward(self, x):
        feat = self.body(x)
        feat_norm = feat.norm(dim=1).mean()
        self.feat_norm = feat_norm.item()  # logged by the loop below
        logits = self.head(feat)
        confidence = logits.softmax(-1).max(-1).values
        return logits


torch.manual_seed(0)
model = Encoder()
opt = torch.optim.SGD(model.parameters(), lr=0.05)
x, y = torch.randn(64, 10), torch.randint(0, 4, (64,))
for step in range(10):
    logits = model(x)
    loss = F.cross_entropy(logits, y)
    acc = (logits.argmax(1) == y).float().mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
    print(f"{step} loss={loss.item():.3f} acc={acc.item():.2f} |feat|={model.feat_norm:.2f}")
