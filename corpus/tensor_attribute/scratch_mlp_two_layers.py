"""An MLP whose two hidden layers are written from scratch, as in a first tutorial (weights
`torch.randn(...) * 0.01`, biases `torch.zeros(...)`, multiplied with `torch.mm`), and whose
classifier head is an nn.Linear."""
import torch
from torch import nn


class ScratchMLP(nn.Module):
    def __init__(self, n_in, n_hidden, n_out):
        super().__init__()
        self.W1 = torch.randn(n_in, n_hidden) * 0.01
        self.b1 = torch.zeros(n_hidden)
        self.W2 = torch.randn(n_hidden, n_hidden) * 0.01
        self.b2 = torch.zeros(n_hidden)
        self.head = nn.Linear(n_hidden, n_out)

    def forward(self, x):
        hidden = torch.relu(torch.mm(x, self.W1) + self.b1)
        hidden = torch.relu(torch.mm(hidden, self.W2) + self.b2)
        return self.head(hidden)


torch.manual_seed(0)
X = torch.randn(256, 20)
labels = (X[:, :5].sum(1) > 0).long()

net = ScratchMLP(20, 64, 2)
trainer = torch.optim.SGD(net.parameters(), lr=0.5)
loss_fn = nn.CrossEntropyLoss()
for epoch in range(30):
    loss = loss_fn(net(X), labels)
    trainer.zero_grad()
    loss.backward()
    trainer.step()
print("final loss", loss.item())
