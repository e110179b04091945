"""Double backpropagation: the classifier's loss adds the squared norm of its gradient with
respect to the inputs, taken with torch.func.grad (no vmap). The block normalises with a
hand-written RMSNorm that saves its inputs and keeps eps on ctx."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.func import grad


class RMSNormFn(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, weight, eps):
        rstd = torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps)
        y = x * rstd * weight
        ctx.save_for_backward(x, weight)
        ctx.eps = eps
        return y

    @staticmethod
    def backward(ctx, grad_output):
        x, weight = ctx.saved_tensors
        rstd = torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + ctx.eps)
        gw = grad_output * weight
        grad_x = rstd * (gw - x * rstd.pow(2) * (gw * x).mean(-1, keepdim=True))
        grad_weight = (grad_output * x * rstd).reshape(-1, x.shape[-1]).sum(0)
        return grad_x, grad_weight, None


class Classifier(nn.Module):
    def __init__(self, d_in=16, d_hidden=32, n_classes=4):
        super().__init__()
        self.proj = nn.Linear(d_in, d_hidden)
        self.norm_weight = nn.Parameter(torch.ones(d_hidden))
        self.head = nn.Linear(d_hidden, n_classes)

    def forward(self, x):
        h = RMSNormFn.apply(self.proj(x), self.norm_weight, 1e-6)
        return self.head(F.gelu(h))


torch.manual_seed(0)
centers = torch.randn(4, 16) * 2
labels = torch.randint(0, 4, (512,))
inputs = centers[labels] + torch.randn(512, 16)
model = Classifier()
optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
lam = 0.1

for epoch in range(5):
    for i in range(0, len(inputs), 64):
        x, y = inputs[i:i + 64], labels[i:i + 64]
        input_grad = grad(lambda xb: F.cross_entropy(model(xb), y, reduction="sum"))(x)
        penalty = input_grad.pow(2).sum(1).mean()
        loss = F.cross_entropy(model(x), y) + lam * penalty
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: loss {loss.item():.4f} input-gradient penalty {penalty.item():.4f}")
