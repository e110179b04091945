# A sparse linear probe whose features are gated by learnable soft thresholds: each feature passes
# when |w| exceeds sigmoid(s) times a scale. The thresholds start very negative, "almost no
# pruning at first", as the paper's recipe suggests.
import torch
import torch.nn as nn
import torch.nn.functional as F


class SoftThresholdLinear(nn.Module):
    def __init__(self, d_in, d_out, init=-120.0):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(d_out, d_in) * 0.1)
        self.bias = nn.Parameter(torch.zeros(d_out))
        self.s = nn.Parameter(torch.full((d_out, 1), init))

    def forward(self, x):
        threshold = torch.sigmoid(self.s)
        sparse = torch.sign(self.weight) * F.relu(self.weight.abs() - threshold)
        return F.linear(x, sparse, self.bias)


torch.manual_seed(0)
x = torch.randn(512, 20)
y = (x[:, :3].sum(1) > 0).long()
model = SoftThresholdLinear(20, 2)
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
for epoch in range(30):
    loss = F.cross_entropy(model(x), y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
print("thresholds", torch.sigmoid(model.s).flatten().tolist())
