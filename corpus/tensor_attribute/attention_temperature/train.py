import torch
import torch.nn.functional as F
from torch.optim import Adam
from torch.utils.data import DataLoader, TensorDataset

from model import AttentionPool


def main():
    torch.manual_seed(0)
    sets = torch.randn(120, 7, 10)
    labels = (sets[:, :, 0].max(dim=1).values > 1.0).long()
    loader = DataLoader(TensorDataset(sets, labels), batch_size=40, shuffle=True)

    model = AttentionPool(dim=10, classes=2)
    optimizer = Adam(model.parameters(), lr=5e-3)

    for epoch in range(3):
        total = 0.0
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = F.cross_entropy(model(xb), yb)
            loss.backward()
            optimizer.step()
            total += loss.item()
        print(f"epoch {epoch}: loss {total / len(loader):.4f}")


if __name__ == "__main__":
    main()
