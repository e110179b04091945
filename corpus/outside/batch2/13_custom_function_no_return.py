# Report: https://github.com/huawei-noah/AdderNet/issues/21
# What goes wrong: the custom autograd Function computes grad_W and grad_X in backward() but never
# returns them, so autograd receives None and raises "returned an incorrect number of gradients".
import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.autograd import Function
from torch.utils.data import DataLoader, TensorDataset


class AdderFn(Function):
    """out[b, o] = -sum_i |x[b, i] - w[o, i]|  (L1 'multiplication-free' layer)."""

    @staticmethod
    def forward(ctx, x, weight):
        ctx.save_for_backward(x, weight)
        return -(x.unsqueeze(1) - weight.unsqueeze(0)).abs().sum(-1)

    @staticmethod
    def backward(ctx, grad_output):
        x, weight = ctx.saved_tensors
        diff = x.unsqueeze(1) - weight.unsqueeze(0)                     # (B, O, I)
        grad_w = (diff * grad_output.unsqueeze(-1)).sum(0)             # full-precision gradient
        grad_w = grad_w / grad_w.norm(p=2).clamp(min=1e-12) * math.sqrt(weight.numel()) / 5
        grad_x = (-diff.clamp(-1, 1) * grad_output.unsqueeze(-1)).sum(1)  # HardTanh gradient


class AdderLinear(nn.Module):
    def __init__(self, in_features, out_features):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_features, in_features) * 0.5)

    def forward(self, x):
        return AdderFn.apply(x, self.weight)


class AdderMLP(nn.Module):
    def __init__(self, in_dim=10, hidden=32, n_classes=3):
        super().__init__()
        self.adder = AdderLinear(in_dim, hidden)
        self.bn = nn.BatchNorm1d(hidden)
        self.fc = nn.Linear(hidden, n_classes)

    def forward(self, x):
        return self.fc(F.relu(self.bn(self.adder(x))))


def train(model, loader, epochs=5):
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    for epoch in range(epochs):
        correct = 0
        for xb, yb in loader:
            out = model(xb)
            loss = F.cross_entropy(out, yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            correct += (out.argmax(1) == yb).sum().item()
        print(f"epoch {epoch}  loss {loss.item():.4f}  train acc {correct / len(loader.dataset):.3f}")


if __name__ == "__main__":
    torch.manual_seed(0)
    x = torch.randn(600, 10)
    y = (x[:, 0] > 0).long() + (x[:, 1] > 0.5).long()
    train(AdderMLP(), DataLoader(TensorDataset(x, y), batch_size=50, shuffle=True))
