"""Magnitude pruning during training: a 0/1 keep tensor multiplies the weight and is tightened in place."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class PrunedLinear(nn.Module):
    def __init__(self, in_features, out_features):
        super().__init__()
        self.linear = nn.Linear(in_features, out_features)
        self.keep = torch.ones_like(self.linear.weight)

    def forward(self, x):
        return F.linear(x, self.linear.weight * self.keep, self.linear.bias)

    @torch.no_grad()
    def prune(self, fraction):
        magnitude = (self.linear.weight * self.keep).abs()
        threshold = magnitude.flatten().kthvalue(max(1, int(fraction * magnitude.numel()))).values
        self.keep.mul_((magnitude > threshold).float())


torch.manual_seed(0)
x = torch.randn(256, 12)
y = x[:, :4].sum(1, keepdim=True) - x[:, 4:6].sum(1, keepdim=True)
model = nn.Sequential(PrunedLinear(12, 24), nn.ReLU(), PrunedLinear(24, 1))
opt = torch.optim.SGD(model.parameters(), lr=0.05)
for step in range(40):
    opt.zero_grad()
    loss = F.mse_loss(model(x), y)
    loss.backward()
    opt.step()
    if step % 10 == 9:
        for layer in model:
            if isinstance(layer, PrunedLinear):
                layer.prune(0.2)
print(loss.item())
