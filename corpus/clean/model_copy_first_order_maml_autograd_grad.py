"""Correct first-order MAML with the gradients taken by torch.autograd.grad: the adapted copy's
query gradients are accumulated into the shared model, task after task, before one meta step."""
import copy

import torch
from torch import nn

torch.manual_seed(1)


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Sequential(nn.Conv1d(1, 8, 5, padding=2), nn.ReLU(), nn.AdaptiveAvgPool1d(4))
        self.fc = nn.Linear(32, 3)

    def forward(self, x):
        return self.fc(self.conv(x).flatten(1))


model = Encoder()
optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
criterion = nn.CrossEntropyLoss()

for step in range(15):
    optimizer.zero_grad()
    for task in range(2):
        freqs = torch.rand(3) * 0.5 + 0.1
        y = torch.randint(0, 3, (24,))
        x = torch.sin(freqs[y, None] * torch.arange(32.0)).unsqueeze(1) + 0.1 * torch.randn(24, 1, 32)
        fast = copy.deepcopy(model)
        fast_opt = torch.optim.SGD(fast.parameters(), lr=0.1)
        for _ in range(2):
            fast_opt.zero_grad()
            criterion(fast(x[:12]), y[:12]).backward()
            fast_opt.step()
        grads = torch.autograd.grad(criterion(fast(x[12:]), y[12:]), list(fast.parameters()))
        for p, g in zip(model.parameters(), grads):
            p.grad = g if p.grad is None else p.grad + g
    optimizer.step()
