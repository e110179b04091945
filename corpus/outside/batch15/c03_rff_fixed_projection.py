# Look-alike (correct). Source: https://github.com/jmclong/random-fourier-features-pytorch/issues/6
# GaussianEncoding stores its random projection `b` as nn.Parameter(..., requires_grad=False):
# it looks like a parameter someone forgot to train, but random Fourier features are fixed by
# design (the maintainer later switched it to a buffer). The MLP on top of the features trains.
import numpy as np
import torch
import torch.nn as nn

torch.manual_seed(0)


def sample_b(sigma, size):
    return torch.randn(size) * sigma


class GaussianEncoding(nn.Module):
    def __init__(self, sigma, input_size, encoded_size):
        super().__init__()
        b = sample_b(sigma, (encoded_size, input_size))
        self.b = nn.parameter.Parameter(b, requires_grad=False)

    def forward(self, v):
        vp = 2 * np.pi * v @ self.b.T
        return torch.cat((torch.cos(vp), torch.sin(vp)), dim=-1)


class FourierMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoding = GaussianEncoding(sigma=10.0, input_size=2, encoded_size=32)
        self.mlp = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 3), nn.Sigmoid())

    def forward(self, coords):
        return self.mlp(self.encoding(coords))


# fit a small image from pixel coordinates
H = W = 16
ys, xs = torch.meshgrid(torch.linspace(0, 1, H), torch.linspace(0, 1, W), indexing="ij")
coords = torch.stack([xs, ys], -1).reshape(-1, 2)
image = torch.stack([xs, ys, (xs * ys)], -1).reshape(-1, 3)

model = FourierMLP()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
for step in range(50):
    loss = ((model(coords) - image) ** 2).mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
print(loss.item())
