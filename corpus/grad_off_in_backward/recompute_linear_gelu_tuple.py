"""Memory-saving MLP: each layer keeps only its inputs for backward and recomputes
linear + GELU there, instead of holding the activation between the two."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class RecomputedLinearGELU(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, weight, bias):
        ctx.save_for_backward(x, weight, bias)
        return F.gelu(F.linear(x, weight, bias))

    @staticmethod
    def backward(ctx, grad_out):
        x, weight, bias = ctx.saved_tensors
        # recompute the activation we did not store
        y = F.gelu(F.linear(x, weight, bias))
        return torch.autograd.grad(y, (x, weight, bias), grad_out)


class LowMemLayer(nn.Linear):
    def forward(self, x):
        return RecomputedLinearGELU.apply(x, self.weight, self.bias)


class LowMemMLP(nn.Module):
    def __init__(self, sizes):
        super().__init__()
        self.layers = nn.ModuleList(LowMemLayer(a, b) for a, b in zip(sizes, sizes[1:]))
        self.out = nn.Linear(sizes[-1], 10)

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return self.out(x)


torch.manual_seed(0)
net = LowMemMLP([64, 128, 128, 64])
opt = torch.optim.AdamW(net.parameters(), lr=3e-3, weight_decay=0.0)
images = torch.randn(256, 64)
labels = torch.randint(0, 10, (256,))
loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(images, labels), batch_size=64, shuffle=True)

for epoch in range(5):
    for xb, yb in loader:
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(net(xb), yb)
        loss.backward()
        opt.step()
    print("epoch", epoch, "loss", loss.item())
