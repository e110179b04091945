import torch
import torch.nn as nn
import torch.optim as optim
from torch.utils.data import DataLoader, TensorDataset


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(6, 24)
        self.fc2 = nn.Linear(24, 3)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))


def main():
    torch.manual_seed(0)
    x = torch.randn(96, 6)
    y = torch.randint(0, 3, (96,))
    loader = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True)

    model = MLP()
    optimizer = optim.Adam(model.parameters(), lr=1e-2)
    criterion = nn.CrossEntropyLoss()

    for epoch in range(3):
        for xb, yb in loader:
            loss = criterion(model(xb), yb)
            loss.backward()
            optimizer.step()
            # clear the gradients for the next batch
            optimizer.zero_grad()
        print(f"epoch {epoch}: loss {loss.item():.4f}")


if __name__ == "__main__":
    main()
