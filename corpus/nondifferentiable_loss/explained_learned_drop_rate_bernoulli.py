"""MLP whose hidden units are dropped with a learned per-unit keep probability."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset


class LearnedDropout(nn.Module):
    def __init__(self, width, init_keep=0.9):
        super().__init__()
        self.keep_logit = nn.Parameter(torch.full((width,), float(torch.logit(torch.tensor(init_keep)))))

    def forward(self, h):
        if not self.training:
            return h
        keep_prob = torch.sigmoid(self.keep_logit).expand_as(h)
        mask = torch.bernoulli(keep_prob)
        return h * mask


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(10, 64)
        self.drop = LearnedDropout(64)
        self.fc2 = nn.Linear(64, 1)

    def forward(self, x):
        return self.fc2(self.drop(F.relu(self.fc1(x))))


torch.manual_seed(0)
x = torch.randn(512, 10)
y = x[:, :3].sum(1, keepdim=True) + 0.1 * torch.randn(512, 1)
loader = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True)
net = Net()
opt = torch.optim.Adam(net.parameters(), lr=1e-2)
for epoch in range(3):
    net.train()
    for xb, yb in loader:
        loss = F.mse_loss(net(xb), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
    print(f"epoch {epoch}: loss {loss.item():.4f}")
