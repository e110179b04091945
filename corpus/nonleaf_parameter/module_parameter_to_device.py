import torch
import torch.nn as nn
import torch.nn.functional as F

device = torch.device("cuda")


class ScaledMLP(nn.Module):
    """MLP with a learnable per-class logit scale."""

    def __init__(self, in_dim=10, hidden=32, classes=4):
        super().__init__()
        self.fc1 = nn.Linear(in_dim, hidden)
        self.fc2 = nn.Linear(hidden, classes)
        self.logit_scale = nn.Parameter(torch.ones(classes)).to(device)

    def forward(self, x):
        h = F.relu(self.fc1(x))
        return self.fc2(h) * self.logit_scale


def main():
    torch.manual_seed(0)
    x = torch.randn(128, 10).to(device)
    y = torch.randint(0, 4, (128,)).to(device)

    model = ScaledMLP().to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)

    for step in range(10):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        print(f"step {step}: loss {loss.item():.4f}")


if __name__ == "__main__":
    main()
