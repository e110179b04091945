"""Sparse connectivity: a linear layer whose weight is masked to a fixed pattern in forward."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class MaskedLinear(nn.Linear):
    def __init__(self, n_in, n_out, density=0.5):
        super().__init__(n_in, n_out)
        self.register_buffer("mask", torch.rand(n_out, n_in) < density)

    def forward(self, x):
        w = self.weight
        w[~self.mask] = 0.0
        return F.linear(x, w, self.bias)


class SparseMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.l1 = MaskedLinear(20, 64)
        self.l2 = MaskedLinear(64, 64)
        self.head = nn.Linear(64, 3)

    def forward(self, x):
        return self.head(F.gelu(self.l2(F.gelu(self.l1(x)))))


if __name__ == "__main__":
    torch.manual_seed(1)
    model = SparseMLP()
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    data = torch.randn(512, 20)
    labels = torch.bucketize((data[:, :3] * torch.tensor([1.0, -2.0, 0.5])).sum(1), torch.tensor([-1.0, 1.0]))
    for epoch in range(5):
        for i in range(0, 512, 64):
            loss = F.cross_entropy(model(data[i:i + 64]), labels[i:i + 64])
            opt.zero_grad()
            loss.backward()
            opt.step()
        print(epoch, loss.item())
