import torch
import torch.nn as nn
import torch.optim as optim
from torch.utils.data import DataLoader, TensorDataset


class Regressor(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(8, 32)
        self.out = nn.Linear(32, 1)

    def forward(self, x):
        return self.out(torch.relu(self.hidden(x)))


def main():
    torch.manual_seed(0)
    accum = 8  # effective batch = 8 * 16 samples
    x = torch.randn(64, 8)
    y = x[:, :2].sum(dim=1, keepdim=True) + 0.05 * torch.randn(64, 1)
    loader = DataLoader(TensorDataset(x, y), batch_size=16, shuffle=True)

    model = Regressor()
    optimizer = optim.SGD(model.parameters(), lr=0.02)
    criterion = nn.MSELoss()

    optimizer.zero_grad()
    for epoch in range(4):
        for step, (xb, yb) in enumerate(loader):
            loss = criterion(model(xb), yb) / accum
            loss.backward()
            if step % accum == accum - 1:
                optimizer.step()
                optimizer.zero_grad()
        print(f"epoch {epoch}: last batch loss {loss.item() * accum:.4f}")


if __name__ == "__main__":
    main()
