# Report: https://github.com/pytorch/pytorch/issues/38639
# Summary: the residual blocks live in a plain Python list, so they are not registered and the optimizer never updates them (silent).
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset


class ResBlock(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.fc1 = nn.Linear(dim, dim)
        self.fc2 = nn.Linear(dim, dim)
        self.act = nn.GELU()

    def forward(self, x):
        return x + self.fc2(self.act(self.fc1(x)))


class ResidualMLP(nn.Module):
    def __init__(self, in_dim, hidden, n_blocks, n_classes):
        super().__init__()
        self.stem = nn.Linear(in_dim, hidden)
        self.blocks = []
        for _ in range(n_blocks):
            self.blocks.append(ResBlock(hidden))
        self.head = nn.Linear(hidden, n_classes)

    def forward(self, x):
        x = self.stem(x)
        for blk in self.blocks:
            x = blk(x)
        return self.head(x)


def make_loader(n=512, in_dim=20, n_classes=4, batch_size=64):
    x = torch.randn(n, in_dim)
    y = (x[:, :4].sum(dim=1) > 0).long() + 2 * (x[:, 4] > 0).long()
    return DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=True)


def main():
    torch.manual_seed(0)
    loader = make_loader()
    model = ResidualMLP(20, 64, n_blocks=3, n_classes=4)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    criterion = nn.CrossEntropyLoss()
    print("trainable tensors:", len(list(model.parameters())))

    for epoch in range(5):
        total = 0.0
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = criterion(model(xb), yb)
            loss.backward()
            optimizer.step()
            total += loss.item()
        print(f"epoch {epoch}: loss {total / len(loader):.4f}")


if __name__ == "__main__":
    main()
