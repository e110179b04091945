# Two-tower retrieval model trained with an InfoNCE loss. The similarity matrix is a custom
# Function (scale and whether to normalise are kept on ctx); backward recomputes it.
import torch
import torch.nn as nn
import torch.nn.functional as F


class ScaledSimilarity(torch.autograd.Function):
    @staticmethod
    def forward(ctx, a, b, scale, normalize):
        ctx.scale = scale
        ctx.normalize = normalize
        ctx.save_for_backward(a, b)
        if normalize:
            a, b = F.normalize(a, dim=-1), F.normalize(b, dim=-1)
        return a @ b.t() * scale

    @staticmethod
    def backward(ctx, grad_logits):
        a, b = ctx.saved_tensors
        scale = ctx.scale
        if ctx.normalize:
            a_n, b_n = F.normalize(a, dim=-1), F.normalize(b, dim=-1)
        else:
            a_n, b_n = a, b
        logits = a_n @ b_n.t() * scale
        grad_a, grad_b = torch.autograd.grad(logits, (a, b), grad_logits)
        return grad_a, grad_b, None, None


class Tower(nn.Module):
    def __init__(self, d_in, d_out=32):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(d_in, 64), nn.LayerNorm(64), nn.GELU(), nn.Linear(64, d_out))

    def forward(self, x):
        return self.net(x)


class TwoTower(nn.Module):
    def __init__(self):
        super().__init__()
        self.query = Tower(20)
        self.doc = Tower(30)

    def forward(self, q, d):
        return ScaledSimilarity.apply(self.query(q), self.doc(d), 1 / 0.07, True)


torch.manual_seed(0)
model = TwoTower()
optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
proj = torch.randn(20, 30)
for step in range(100):
    q = torch.randn(64, 20)
    d = q @ proj + 0.1 * torch.randn(64, 30)
    logits = model(q, d)
    labels = torch.arange(64)
    loss = (F.cross_entropy(logits, labels) + F.cross_entropy(logits.t(), labels)) / 2
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if step % 25 == 0:
        print(step, loss.item())
