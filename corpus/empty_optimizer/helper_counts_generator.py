import torch
import torch.nn as nn
import torch.nn.functional as F


def build_optimizer(params, lr=1e-3, weight_decay=0.01):
    """AdamW, after logging the size of the model."""
    count = sum(p.numel() for p in params)
    print(f"optimizing {count:,} weights")
    return torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.Sequential(nn.Linear(8, 32), nn.GELU(), nn.Linear(32, 1))

    def forward(self, x):
        return self.layers(x)


if __name__ == "__main__":
    torch.manual_seed(0)
    net = Net()
    optimizer = build_optimizer(net.parameters(), lr=3e-3)
    x, y = torch.randn(64, 8), torch.randn(64, 1)
    for step in range(10):
        optimizer.zero_grad()
        loss = F.mse_loss(net(x), y)
        loss.backward()
        optimizer.step()
