import math

import torch
import torch.nn as nn

device = torch.device("cuda")


class RBFKernelRegression(nn.Module):
    """Kernel ridge regression with learnable ARD lengthscales and noise, in float64."""

    def __init__(self, dims, anchors):
        super().__init__()
        self.anchors = anchors
        self.log_lengthscale = nn.Parameter(torch.zeros(dims, dtype=torch.float64).to(device))
        self.log_noise = nn.Parameter(torch.tensor(-2.0, dtype=torch.float64, device=device))
        self.readout = nn.Linear(anchors.shape[0], 1, dtype=torch.float64)

    def kernel(self, a, b):
        scaled_a = a / self.log_lengthscale.exp()
        scaled_b = b / self.log_lengthscale.exp()
        return torch.exp(-0.5 * torch.cdist(scaled_a, scaled_b) ** 2)

    def forward(self, x):
        k = self.kernel(x, self.anchors) + self.log_noise.exp()
        return self.readout(k).squeeze(-1)


torch.manual_seed(0)
x = torch.rand(200, 3, dtype=torch.float64, device=device) * 4 - 2
y = torch.sin(2 * x[:, 0]) + 0.1 * x[:, 1] ** 2 + 0.05 * torch.randn(200, dtype=torch.float64, device=device)
model = RBFKernelRegression(dims=3, anchors=x[:32].clone()).to(device)
optimizer = torch.optim.LBFGS(model.parameters(), lr=0.5, max_iter=5)


def closure():
    optimizer.zero_grad()
    loss = torch.mean((model(x) - y) ** 2)
    loss.backward()
    return loss


for it in range(4):
    loss = optimizer.step(closure)
    print(f"iter {it}: mse {loss.item():.5f}  rmse {math.sqrt(loss.item()):.4f}")
