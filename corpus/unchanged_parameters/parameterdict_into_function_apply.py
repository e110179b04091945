# A learnable filter bank as a custom autograd.Function; its two cut-off tensors are kept in an
# nn.ParameterDict and handed to apply() as the dict itself, which autograd does not look into.
import torch
import torch.nn as nn


class BandPass(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, cutoffs):
        low, high = cutoffs["low"], cutoffs["high"]
        ctx.save_for_backward(x, low, high)
        return x * torch.sigmoid(high - x) * torch.sigmoid(x - low)

    @staticmethod
    def backward(ctx, grad_out):
        x, low, high = ctx.saved_tensors
        s_hi, s_lo = torch.sigmoid(high - x), torch.sigmoid(x - low)
        grad_low = -(grad_out * x * s_hi * s_lo * (1 - s_lo)).sum().reshape(1)
        grad_high = (grad_out * x * s_lo * s_hi * (1 - s_hi)).sum().reshape(1)
        return None, {"low": grad_low, "high": grad_high}


class Frontend(nn.Module):
    def __init__(self):
        super().__init__()
        self.cutoffs = nn.ParameterDict({"low": nn.Parameter(torch.tensor([-1.0])), "high": nn.Parameter(torch.tensor([1.0]))})

    def forward(self, x):
        return BandPass.apply(x, self.cutoffs)


torch.manual_seed(0)
model = nn.Sequential(Frontend(), nn.Linear(8, 1))
optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
x, y = torch.randn(64, 8), torch.randn(64, 1)
for epoch in range(4):
    for i in range(0, 64, 16):
        loss = nn.functional.mse_loss(model(x[i:i + 16]), y[i:i + 16])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(epoch, round(loss.item(), 4))
