# Tabular MLP whose normalisation layer is sized from the hidden features in forward().
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset


class TabularNet(nn.Module):
    def __init__(self, n_in, hidden, n_out):
        super().__init__()
        self.fc1 = nn.Linear(n_in, hidden, bias=False)
        self.fc2 = nn.Linear(hidden, n_out)

    def forward(self, x):
        h = self.fc1(x)
        self.norm = nn.BatchNorm1d(h.size(1))
        return self.fc2(torch.relu(self.norm(h)))


torch.manual_seed(0)
features = torch.randn(240, 9) * torch.linspace(0.1, 10, 9)
labels = (features[:, 0] * 10 + features[:, -1] > 0).long()
loader = DataLoader(TensorDataset(features, labels), batch_size=48, shuffle=True)

net = TabularNet(9, 32, 2)
net(features[:4])
opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
loss_fn = nn.CrossEntropyLoss()
for epoch in range(5):
    for xb, yb in loader:
        opt.zero_grad()
        loss = loss_fn(net(xb), yb)
        loss.backward()
        opt.step()
    print(epoch, loss.item())
