# A per-channel piecewise-linear activation learned for a small tabular classifier: the hinge
# slopes live in an nn.ParameterList and are unpacked into the hand-written Function's call, so
# each one is an input of its own and gets its gradient from the Function's backward.
import torch
from torch import nn

torch.manual_seed(0)
HIDDEN = 24


class HingeMix(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, *slopes):
        pieces = [torch.relu(x - k) for k in range(len(slopes))]
        ctx.save_for_backward(x, *slopes)
        return sum(s * p for s, p in zip(slopes, pieces))

    @staticmethod
    def backward(ctx, grad_out):
        x, *slopes = ctx.saved_tensors
        grad_x = sum(s * (x > k).to(x.dtype) for k, s in enumerate(slopes)) * grad_out
        grads = [(grad_out * torch.relu(x - k)).sum(0) for k in range(len(slopes))]
        return grad_x, *grads


class HingeNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.inp = nn.Linear(6, HIDDEN)
        self.slopes = nn.ParameterList([nn.Parameter(torch.full((HIDDEN,), 1.0 / (k + 1))) for k in range(3)])
        self.out = nn.Linear(HIDDEN, 2)

    def forward(self, x):
        return self.out(HingeMix.apply(self.inp(x), *self.slopes))


x = torch.randn(400, 6)
y = ((x[:, 0] * x[:, 1] + x[:, 2].abs()) > 0.8).long()
model = HingeNet()
optimizer = torch.optim.Adam(model.parameters(), lr=5e-3)

for epoch in range(15):
    for i in range(0, 400, 40):
        loss = nn.functional.cross_entropy(model(x[i:i + 40]), y[i:i + 40])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
print(f"loss {loss.item():.4f}")
