# Two stages on tabular data: masked-feature pre-training of an encoder, then fine-tuning for 3 classes.
import torch
import torch.nn as nn
import torch.nn.functional as F


class TabularNet(nn.Module):
    def __init__(self, n_features=16, hidden=64):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(n_features, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU())
        self.head = nn.Linear(hidden, n_features)  # stage 1: reconstruct the masked features

    def forward(self, x):
        return self.head(self.encoder(x))


def pretrain(model, rows_all, epochs=10):
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    for epoch in range(epochs):
        for rows in rows_all.split(128):
            mask = torch.rand_like(rows) < 0.25
            optimizer.zero_grad()
            recon = model(rows.masked_fill(mask, 0.0))
            loss = F.mse_loss(recon[mask], rows[mask])
            loss.backward()
            optimizer.step()
        print(f"pretrain epoch {epoch}: masked mse {loss.item():.4f}")


def finetune(model, x, y, n_classes, epochs=10):
    model.head = nn.Linear(model.head.in_features, n_classes)
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-4, weight_decay=0.01)
    for epoch in range(epochs):
        for xb, yb in zip(x.split(32), y.split(32)):
            optimizer.zero_grad()
            loss = F.cross_entropy(model(xb), yb)
            loss.backward()
            optimizer.step()
        print(f"finetune epoch {epoch}: ce {loss.item():.4f}")


torch.manual_seed(0)
unlabelled = torch.randn(1024, 16)
labelled = torch.randn(256, 16)
classes = (labelled[:, 0] > 0).long() + (labelled[:, 1] > 0.5).long()

model = TabularNet()
pretrain(model, unlabelled)
finetune(model, labelled, classes, n_classes=3)
