# Correct: a hand-written linear Function over [B, T, C] inputs flattens them to 2-D and returns
# the input's gradient reshaped to the saved input shape; its bias gradient is left per row and
# torch sums it down to the bias's shape itself.
import torch
import torch.nn as nn


class RowLinear(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, weight, bias):
        ctx.x_shape = x.shape
        flat = x.reshape(-1, x.shape[-1])
        ctx.save_for_backward(flat, weight)
        return (flat.mm(weight.t()) + bias).reshape(*x.shape[:-1], weight.shape[0])

    @staticmethod
    def backward(ctx, grad_out):
        flat, weight = ctx.saved_tensors
        g = grad_out.reshape(-1, grad_out.shape[-1])
        return g.mm(weight).view(ctx.x_shape), g.t().mm(flat), g


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(30, 16)
        self.w = nn.Parameter(torch.randn(16, 16) * 0.1)
        self.b = nn.Parameter(torch.zeros(16))
        self.head = nn.Linear(16, 3)

    def forward(self, tokens):
        return self.head(torch.relu(RowLinear.apply(self.embed(tokens), self.w, self.b)).mean(1))


torch.manual_seed(0)
model = Model()
opt = torch.optim.Adam(model.parameters(), lr=1e-2)
for step in range(60):
    tokens = torch.randint(0, 30, (8, 7))
    loss = nn.functional.cross_entropy(model(tokens), tokens[:, 0] % 3)
    opt.zero_grad()
    loss.backward()
    opt.step()
print(loss.item())
