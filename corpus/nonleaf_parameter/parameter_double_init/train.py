import torch
from torch import optim
from torch.utils.data import DataLoader, TensorDataset

from model import PolyRegressor


def main():
    torch.manual_seed(0)
    x = torch.rand(256, dtype=torch.float64) * 2 - 1
    y = 0.5 - x + 2.0 * x ** 3 + 0.01 * torch.randn(256, dtype=torch.float64)
    loader = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True)

    model = PolyRegressor(degree=3)
    optimizer = optim.SGD(model.parameters(), lr=0.1)

    for epoch in range(3):
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = torch.mean((model(xb) - yb) ** 2)
            loss.backward()
            optimizer.step()
        print(f"epoch {epoch}: loss {loss.item():.5f}")


if __name__ == "__main__":
    main()
