# Correct look-alike (control): transfer learning with a frozen "pretrained" backbone.
# The backbone checkpoint is produced in this script (saved to an in-memory buffer), loaded,
# frozen on purpose and run under no_grad; only the new classifier head is meant to train.
import io

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset


class Backbone(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
            nn.AdaptiveAvgPool2d(1), nn.Flatten(),
        )

    def forward(self, x):
        return self.body(x)


def make_pretrained_checkpoint():
    torch.manual_seed(123)
    buf = io.BytesIO()
    torch.save(Backbone().state_dict(), buf)   # pretend this came from a pretraining run
    buf.seek(0)
    return buf


def build_model(ckpt):
    backbone = Backbone()
    backbone.load_state_dict(torch.load(ckpt))
    backbone.requires_grad_(False)
    backbone.eval()                 # keep the pretrained BN statistics
    head = nn.Linear(16, 3)
    return backbone, head


def train(backbone, head, loader, epochs=6):
    optimizer = torch.optim.Adam(filter(lambda p: p.requires_grad, head.parameters()), lr=1e-2)
    for epoch in range(epochs):
        for xb, yb in loader:
            with torch.no_grad():
                feats = backbone(xb)
            loss = F.cross_entropy(head(feats), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        print(f"epoch {epoch}  loss {loss.item():.4f}")


if __name__ == "__main__":
    ckpt = make_pretrained_checkpoint()
    torch.manual_seed(0)
    y = torch.randint(0, 3, (300,))
    x = torch.randn(300, 1, 16, 16) + y.view(-1, 1, 1, 1).float()
    loader = DataLoader(TensorDataset(x, y), batch_size=30, shuffle=True)
    backbone, head = build_model(ckpt)
    train(backbone, head, loader)
