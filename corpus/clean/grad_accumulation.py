import torch
import torch.nn as nn
from torch import optim
from torch.utils.data import DataLoader, TensorDataset


class Regressor(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(5, 20)
        self.head = nn.Linear(20, 1)

    def forward(self, x):
        return self.head(torch.relu(self.hidden(x)))


def main():
    torch.manual_seed(0)
    accum_steps = 4
    x = torch.randn(128, 5)
    y = (x[:, :1] * 2.0 - x[:, 1:2]) + 0.05 * torch.randn(128, 1)
    loader = DataLoader(TensorDataset(x, y), batch_size=8, shuffle=True)

    model = Regressor()
    optimizer = optim.SGD(model.parameters(), lr=0.05)
    criterion = nn.MSELoss()

    optimizer.zero_grad()
    for i, (xb, yb) in enumerate(loader):
        loss = criterion(model(xb), yb) / accum_steps
        loss.backward()
        if (i + 1) % accum_steps == 0:
            optimizer.step()
            optimizer.zero_grad()
            print(f"update {(i + 1) // accum_steps}: loss {loss.item() * accum_steps:.4f}")


if __name__ == "__main__":
    main()
