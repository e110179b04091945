import torch
import torch.nn as nn
from torch import optim
from torch.utils.data import DataLoader, TensorDataset

from steps import evaluate, train_step


def build_model():
    return nn.Sequential(
        nn.Linear(8, 32),
        nn.BatchNorm1d(32),
        nn.ReLU(),
        nn.Linear(32, 1),
    )


def main():
    torch.manual_seed(0)
    x = torch.randn(256, 8)
    y = x @ torch.linspace(-1.0, 1.0, 8).unsqueeze(1) + 0.1 * torch.randn(256, 1)
    train_loader = DataLoader(TensorDataset(x[:192], y[:192]), batch_size=64, shuffle=True)
    val_loader = DataLoader(TensorDataset(x[192:], y[192:]), batch_size=64)

    model = build_model()
    optimizer = optim.RMSprop(model.parameters(), lr=1e-2)
    loss_fn = nn.MSELoss()
    for epoch in range(3):
        losses = [train_step(model, batch, optimizer, loss_fn) for batch in train_loader]
        print(f"epoch {epoch}: train {sum(losses) / len(losses):.4f} val {evaluate(model, val_loader, loss_fn):.4f}")


if __name__ == "__main__":
    main()
