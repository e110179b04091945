# A linear layer that keeps a transposed view of its registered weight, made once in __init__: the
# view shares the weight's storage, so every optimizer step shows through it, and a transpose
# saves nothing for backward.
import torch
import torch.nn as nn

torch.manual_seed(0)


class RowMajorLinear(nn.Module):
    def __init__(self, n_in, n_out):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(n_out, n_in) * 0.1)
        self.bias = nn.Parameter(torch.zeros(n_out))
        self.weight_t = self.weight.t()

    def forward(self, x):
        return x @ self.weight_t + self.bias


model = nn.Sequential(RowMajorLinear(8, 16), nn.ReLU(), RowMajorLinear(16, 1))
optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
w_true = torch.randn(8, 1)
for step in range(40):
    x = torch.randn(32, 8)
    loss = ((model(x) - x @ w_true) ** 2).mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
print(f"final mse {loss.item():.4f}")
