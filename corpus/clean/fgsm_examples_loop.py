"""Adversarial examples with FGSM, one input at a time: the loop variable is rebound to the
perturbed input on purpose. No parameter is involved: no finding."""
import torch
import torch.nn as nn

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(8,32), nn.ReLU(), nn.Linear(32,4)).eval().requires_grad_(False)
inputs = [torch.randn(16, 8, requires_grad=True) for _ in range(4)]
adversarial = []
eps = 0.1
for x in inputs:
    model(x).logsumexp(1).sum().backward()
    x = x - eps * x.grad.sign()
    adversarial.append(x.detach())
