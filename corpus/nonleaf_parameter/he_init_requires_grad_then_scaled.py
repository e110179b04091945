"""MNIST-shaped MLP written from scratch with He initialisation (on random data)."""
import math

import torch
import torch.nn.functional as F

torch.manual_seed(0)
W1 = torch.randn(64, 32).requires_grad_() * math.sqrt(2 / 64)
b1 = torch.zeros(32, requires_grad=True)
W2 = torch.randn(32, 10).requires_grad_() * math.sqrt(2 / 32)
b2 = torch.zeros(10, requires_grad=True)
params = [W1, b1, W2, b2]
optimizer = torch.optim.SGD(params, lr=0.1, momentum=0.9)

images = torch.randn(512, 64)
digits = images[:, :10].argmax(dim=1)
for epoch in range(5):
    for start in range(0, 512, 64):
        x, y = images[start:start + 64], digits[start:start + 64]
        logits = F.relu(x @ W1 + b1) @ W2 + b2
        loss = F.cross_entropy(logits, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(epoch, loss.item())
