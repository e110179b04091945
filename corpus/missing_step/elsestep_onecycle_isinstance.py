"""Tabular regression with a per-batch OneCycle schedule; a plateau schedule steps once per epoch."""
import torch
from torch import nn
from torch.optim.lr_scheduler import OneCycleLR, ReduceLROnPlateau
from torch.utils.data import DataLoader, TensorDataset


def make_model(n_features):
    return nn.Sequential(nn.Linear(n_features, 64), nn.LayerNorm(64), nn.GELU(), nn.Dropout(0.1), nn.Linear(64, 1))


def train_epoch(model, loader, optimizer, scheduler, loss_fn):
    model.train()
    total = 0.0
    for step, (features, target) in enumerate(loader):
        optimizer.zero_grad()
        loss = loss_fn(model(features).squeeze(-1), target)
        loss.backward()
        if isinstance(scheduler, ReduceLROnPlateau):
            optimizer.step()
        else:
            scheduler.step()
        total += loss.item()
    return total / (step + 1)


def main():
    torch.manual_seed(11)
    features = torch.randn(120, 9)
    target = features @ torch.linspace(-1, 1, 9) + 0.1 * torch.randn(120)
    loader = DataLoader(TensorDataset(features, target), batch_size=24, shuffle=True)
    model = make_model(9)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-4)
    epochs = 4
    scheduler = OneCycleLR(optimizer, max_lr=1e-2, total_steps=epochs * len(loader))
    for epoch in range(epochs):
        avg = train_epoch(model, loader, optimizer, scheduler, nn.HuberLoss())
        print(f"epoch {epoch}: {avg:.4f}")


if __name__ == "__main__":
    main()
