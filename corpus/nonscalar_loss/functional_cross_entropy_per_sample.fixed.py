"""Digit-like classification with a small CNN: the per-sample cross-entropy was meant to be
reweighted by difficulty later, and the reduction never happened."""
import torch
from torch import nn
import torch.nn.functional as F

torch.manual_seed(0)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3)
        self.conv2 = nn.Conv2d(8, 16, 3)
        self.fc = nn.Linear(16 * 5 * 5, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return self.fc(torch.flatten(x, 1))


images = torch.randn(128, 1, 28, 28)
labels = torch.randint(0, 10, (128,))
net = Net()
opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)

for epoch in range(3):
    for i in range(0, 128, 32):
        logits = net(images[i : i + 32])
        per_sample = F.cross_entropy(logits, labels[i : i + 32], reduction="none")
        opt.zero_grad()
        per_sample.mean().backward()
        opt.step()
    print(f"epoch {epoch} done")
