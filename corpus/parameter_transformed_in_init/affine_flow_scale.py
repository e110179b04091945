"""A normalizing flow of elementwise affine layers and fixed permutations, trained by maximum
likelihood on a correlated 2-D Gaussian."""
import torch
import torch.nn as nn

torch.manual_seed(0)


class AffineLayer(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.log_scale = nn.Parameter(torch.zeros(dim))
        self.shift = nn.Parameter(torch.zeros(dim))
        self.scale = self.log_scale.exp()

    def forward(self, x):
        z = x * self.scale + self.shift
        log_det = self.log_scale.sum().expand(x.shape[0])
        return z, log_det


class Flow(nn.Module):
    def __init__(self, dim, n_layers):
        super().__init__()
        self.layers = nn.ModuleList(AffineLayer(dim) for _ in range(n_layers))
        self.register_buffer("perm", torch.arange(dim - 1, -1, -1))

    def forward(self, x):
        total = torch.zeros(x.shape[0])
        for layer in self.layers:
            x, log_det = layer(x)
            x = x[:, self.perm]
            total = total + log_det
        return x, total


def log_likelihood(flow, x):
    z, log_det = flow(x)
    base = -0.5 * (z ** 2).sum(1) - z.shape[1] * 0.9189385332046727
    return base + log_det


mixing = torch.tensor([[2.0, 0.0], [1.2, 0.4]])
data = torch.randn(2048, 2) @ mixing.t() + torch.tensor([1.0, -0.5])
flow = Flow(2, 4)
optimizer = torch.optim.Adam(flow.parameters(), lr=1e-2)

for epoch in range(5):
    for batch in data.split(256):
        loss = -log_likelihood(flow, batch).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: nll {loss.item():.3f}")
