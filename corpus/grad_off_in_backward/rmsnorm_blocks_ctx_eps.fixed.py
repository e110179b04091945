# A small residual network whose blocks normalise with a hand-written RMSNorm Function.
# backward() recomputes the normalisation with the epsilon kept on ctx.
import torch
import torch.nn as nn


class RMSNormFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, weight, eps):
        ctx.eps = eps
        ctx.save_for_backward(x, weight)
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * weight

    @staticmethod
    def backward(ctx, grad_output):
        x, weight = ctx.saved_tensors
        with torch.enable_grad():
            x = x.detach().requires_grad_()
            weight = weight.detach().requires_grad_()
            out = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + ctx.eps) * weight
        dx, dweight = torch.autograd.grad(out, (x, weight), grad_output)
        return dx, dweight, None


class RMSNorm(nn.Module):
    def __init__(self, dim, eps=1e-6):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        return RMSNormFunction.apply(x, self.weight, self.eps)


class Block(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.norm = RMSNorm(dim)
        self.ff = nn.Sequential(nn.Linear(dim, 4 * dim), nn.SiLU(), nn.Linear(4 * dim, dim))

    def forward(self, x):
        return x + self.ff(self.norm(x))


class Net(nn.Module):
    def __init__(self, dim=32, depth=3, n_classes=4):
        super().__init__()
        self.embed = nn.Linear(12, dim)
        self.blocks = nn.Sequential(*[Block(dim) for _ in range(depth)])
        self.norm = RMSNorm(dim)
        self.head = nn.Linear(dim, n_classes)

    def forward(self, x):
        return self.head(self.norm(self.blocks(self.embed(x))))


torch.manual_seed(0)
model = Net()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
criterion = nn.CrossEntropyLoss()
X = torch.randn(300, 12)
Y = (X[:, 0] > 0).long() + 2 * (X[:, 1] > 0).long()

model.train()
for step in range(200):
    idx = torch.randint(0, 300, (32,))
    loss = criterion(model(X[idx]), Y[idx])
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if step % 50 == 0:
        print(step, loss.item())
