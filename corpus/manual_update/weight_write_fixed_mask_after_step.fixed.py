import torch
import torch.nn as nn
import torch.nn.functional as F


class SparseNet(nn.Module):
    """A classifier whose first layer keeps a fixed random connectivity pattern."""

    def __init__(self, density=0.3):
        super().__init__()
        self.fc1 = nn.Linear(30, 60)
        self.fc2 = nn.Linear(60, 4)
        self.register_buffer("mask", (torch.rand(60, 30) < density).float())

    def forward(self, x):
        return self.fc2(F.relu(self.fc1(x)))


def train(model, data, labels, steps=6):
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    for step in range(steps):
        loss = F.cross_entropy(model(data), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        with torch.no_grad():
            model.fc1.weight.mul_(model.mask)  # keep the pruned connections at zero
        print(f"step {step}: {loss.item():.4f}")


if __name__ == "__main__":
    torch.manual_seed(11)
    net = SparseNet()
    X = torch.randn(100, 30)
    Y = torch.randint(0, 4, (100,))
    train(net, X, Y)
