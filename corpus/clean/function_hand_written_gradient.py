# A custom Function whose backward writes the gradient by hand (no autograd.grad, no recompute
# graph needed): a Mish activation with its analytic derivative.
import torch
import torch.nn as nn
import torch.nn.functional as F


class MishFn(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * torch.tanh(F.softplus(x))

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        # recomputed without a graph on purpose: the derivative is written out below
        tsp = torch.tanh(F.softplus(x))
        grad = tsp + x * torch.sigmoid(x) * (1 - tsp * tsp)
        return grad_output * grad


class Mish(nn.Module):
    def forward(self, x):
        return MishFn.apply(x)


torch.manual_seed(0)
net = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), Mish(), nn.AdaptiveAvgPool2d(4), nn.Flatten(), nn.Linear(128, 10))
opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
images, labels = torch.randn(64, 1, 12, 12), torch.randint(0, 10, (64,))
for step in range(40):
    loss = F.cross_entropy(net(images), labels)
    opt.zero_grad()
    loss.backward()
    opt.step()
print(f"final loss {loss.item():.3f}")
