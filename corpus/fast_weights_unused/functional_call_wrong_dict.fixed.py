"""MAML with torch.func.functional_call: the CNN stays an ordinary nn.Module and the inner loop
runs it with a dict of adapted tensors (the approach of the torch.func MAML tutorial)."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.func import functional_call


class SmallCNN(nn.Module):
    def __init__(self, n_way=3):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
        self.conv2 = nn.Conv2d(8, 8, 3, padding=1)
        self.fc = nn.Linear(8 * 4 * 4, n_way)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return self.fc(x.flatten(1))


def inner_adapt(model, x, y, steps=3, lr=0.1):
    params = dict(model.named_parameters())
    fast = dict(params)
    for _ in range(steps):
        logits = functional_call(model, fast, (x,))
        loss = F.cross_entropy(logits, y)
        grads = torch.autograd.grad(loss, list(fast.values()), create_graph=True)
        fast = {name: w - lr * g for (name, w), g in zip(fast.items(), grads)}
    return fast


def episode(n_way=3, shots=4):
    templates = torch.randn(n_way, 1, 16, 16)
    labels = torch.arange(n_way).repeat(2 * shots)
    images = templates[labels] + 0.5 * torch.randn(len(labels), 1, 16, 16)
    half = len(labels) // 2
    return images[:half], labels[:half], images[half:], labels[half:]


torch.manual_seed(11)
model = SmallCNN()
meta_opt = torch.optim.Adam(model.parameters(), lr=1e-3)
for step in range(30):
    meta_opt.zero_grad()
    loss_sum = 0.0
    for task in range(4):
        xs, ys, xq, yq = episode()
        fast = inner_adapt(model, xs, ys)
        loss_sum = loss_sum + F.cross_entropy(functional_call(model, fast, (xq,)), yq)
    (loss_sum / 4).backward()
    meta_opt.step()
    if step % 10 == 0:
        print(f"step {step}: meta loss {loss_sum.item() / 4:.3f}")
