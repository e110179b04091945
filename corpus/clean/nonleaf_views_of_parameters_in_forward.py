# The weights live in one flat nn.Parameter; forward cuts views and concatenations out of it at
# every call. The optimizer holds the parameter itself, a leaf.
import torch
import torch.nn as nn
import torch.nn.functional as F


class FlatMLP(nn.Module):
    def __init__(self, n_in=6, n_hidden=12, n_out=3):
        super().__init__()
        self.shape = (n_in, n_hidden, n_out)
        self.flat = nn.Parameter(torch.randn(n_in * n_hidden + n_hidden * n_out) * 0.3)
        self.bias_in = nn.Parameter(torch.zeros(n_hidden // 2))
        self.bias_rest = nn.Parameter(torch.zeros(n_hidden - n_hidden // 2))

    def forward(self, x):
        n_in, n_hidden, n_out = self.shape
        w1 = self.flat[: n_in * n_hidden].view(n_in, n_hidden)
        w2 = self.flat[n_in * n_hidden:].reshape(n_hidden, n_out)
        bias = torch.cat([self.bias_in, self.bias_rest])
        return torch.tanh(x @ w1 + bias) @ w2


torch.manual_seed(0)
model = FlatMLP()
scaled = [p * 1.0 for p in model.parameters()]  # a copy for a printout, not trained
optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
X = torch.randn(200, 6)
y = (X[:, 0] > 0).long() + (X[:, 2] > 0).long()
for epoch in range(30):
    loss = F.cross_entropy(model(X), y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
print(epoch, loss.item(), len(scaled))
