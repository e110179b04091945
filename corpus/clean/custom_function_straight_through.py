"""BinaryConnect: weights are binarised in the forward pass, and the straight-through estimator
passes the gradient unchanged to the real-valued weights (one input, one gradient)."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class BinarizeSTE(torch.autograd.Function):
    @staticmethod
    def forward(ctx, w):
        return torch.where(w >= 0, torch.ones_like(w), -torch.ones_like(w))

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output


class BinaryLinear(nn.Linear):
    def forward(self, x):
        return F.linear(x, BinarizeSTE.apply(self.weight), self.bias)


class BinaryMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.Sequential(BinaryLinear(16, 64), nn.BatchNorm1d(64), nn.Hardtanh(), BinaryLinear(64, 4))

    def forward(self, x):
        return self.layers(x)


def train(model, data, targets, steps=25):
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    for step in range(steps):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(data), targets)
        loss.backward()
        optimizer.step()
        with torch.no_grad():
            for module in model.modules():
                if isinstance(module, BinaryLinear):
                    module.weight.clamp_(-1, 1)
    return loss.item()


if __name__ == "__main__":
    torch.manual_seed(0)
    data, targets = torch.randn(200, 16), torch.randint(0, 4, (200,))
    print(train(BinaryMLP(), data, targets))
