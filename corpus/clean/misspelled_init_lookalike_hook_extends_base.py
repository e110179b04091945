"""A template-method base: nn.Module subclasses build their layers in an `_init_` hook that the
base constructor calls, and a subclass extends the hook through super()._init_(). Not a typo."""
import torch
import torch.nn as nn


class Configurable(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.width = width
        self._init_()

    def _init_(self):
        self.norm = nn.LayerNorm(self.width)


class ScoreNet(Configurable):
    def _init_(self):
        super()._init_()
        self.hidden = nn.Linear(self.width, self.width)
        self.score = nn.Linear(self.width, 1)

    def forward(self, x):
        return self.score(torch.relu(self.hidden(self.norm(x)))).squeeze(-1)


torch.manual_seed(4)
net = ScoreNet(width=12)
optimizer = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
x = torch.randn(48, 12)
y = x[:, :3].sum(dim=1)
for epoch in range(5):
    optimizer.zero_grad()
    loss = nn.functional.mse_loss(net(x), y)
    loss.backward()
    optimizer.step()
    print(epoch, loss.item())
