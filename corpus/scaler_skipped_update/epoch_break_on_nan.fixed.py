"""Tabular binary classifier; an epoch is abandoned when the loss turns NaN (a corrupt record),
and the next epoch starts over with the same scaler."""
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset


class Classifier(nn.Module):
    def __init__(self, features=10):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(features, 32), nn.ReLU(), nn.Dropout(0.1), nn.Linear(32, 32), nn.ReLU())
        self.out = nn.Linear(32, 1)

    def forward(self, x):
        return self.out(self.body(x)).squeeze(-1)


def train_one_epoch(model, loader, optimizer, scaler, epoch):
    model.train()
    for i, (x, y) in enumerate(loader):
        with torch.autocast("cpu", dtype=torch.bfloat16):
            logits = model(x)
        loss = nn.functional.binary_cross_entropy_with_logits(logits.float(), y)
        optimizer.zero_grad()
        scaler.scale(loss).backward()
        scaler.unscale_(optimizer)
        nn.utils.clip_grad_norm_(model.parameters(), 2.0)
        if torch.isnan(loss):
            print(f"epoch {epoch}: NaN loss at batch {i}, abandoning the epoch")
            scaler.update()
            break
        scaler.step(optimizer)
        scaler.update()
    return loss.item()


def main():
    torch.manual_seed(6)
    x = torch.randn(320, 10)
    y = (x[:, 0] - x[:, 1] > 0).float()
    x[70, 3] = float("nan")
    loader = DataLoader(TensorDataset(x, y), batch_size=32)
    model = Classifier()
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    scaler = torch.amp.GradScaler("cpu")
    for epoch in range(5):
        last = train_one_epoch(model, loader, optimizer, scaler, epoch)
        print(f"epoch {epoch}: last loss {last:.4f}")


if __name__ == "__main__":
    main()
