# Image features projected onto a unit-norm ball by a few projected-gradient steps: the Function's
# own static helper does the inner descent with autograd.grad (imported from torch.autograd).
import torch
import torch.nn as nn
from torch.autograd import Function, grad


class BallProjection(Function):
    @staticmethod
    def _descend(target, radius, steps=15):
        point = target.detach().clone().requires_grad_(True)
        with torch.enable_grad():
            for _ in range(steps):
                distance = ((point - target) ** 2).sum()
                step_dir = grad(outputs=distance, inputs=point)[0]
                point = point - 0.2 * step_dir
                norms = point.norm(dim=1, keepdim=True).clamp(min=radius)
                point = (point * radius / norms).detach().requires_grad_(True)
        return point.detach()

    @staticmethod
    def forward(ctx, features, radius):
        projected = BallProjection._descend(features.detach(), radius)
        ctx.save_for_backward(features, projected)
        return projected

    @staticmethod
    def backward(ctx, grad_output):
        features, projected = ctx.saved_tensors
        inside = (features.norm(dim=1, keepdim=True) <= projected.norm(dim=1, keepdim=True) + 1e-4).float()
        return grad_output * inside + grad_output * (1 - inside) * 0.5, None


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(2), nn.Flatten())
        self.fc = nn.Linear(32, 5)

    def forward(self, x):
        return self.fc(BallProjection.apply(self.conv(x), 1.0))


def main():
    torch.manual_seed(4)
    net = Net()
    opt = torch.optim.AdamW(net.parameters(), lr=2e-3)
    for it in range(60):
        x = torch.randn(8, 1, 12, 12)
        y = torch.randint(0, 5, (8,))
        loss = nn.functional.cross_entropy(net(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    print(loss.item())


main()
