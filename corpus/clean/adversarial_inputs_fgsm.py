"""Adversarial training with FGSM: the inputs require grad so that their gradient can be read; no
optimizer holds them and none should. Plain tensors, not parameters: no finding."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 4))
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
x, y = torch.randn(64, 8), torch.randint(0, 4, (64,))
epsilon = 0.05

for step in range(8):
    inputs = x.clone().requires_grad_(True)
    loss = F.cross_entropy(model(inputs), y)
    (input_grad,) = torch.autograd.grad(loss, inputs)
    adversarial = (inputs + epsilon * input_grad.sign()).detach()

    saliency = x.clone().requires_grad_(True)
    model(saliency).max(dim=1).values.sum().backward()  # a saliency map, for the logs

    optimizer.zero_grad()
    F.cross_entropy(model(adversarial), y).backward()
    optimizer.step()
