# Curve fitting with hand-made tensors that are made trainable, then converted: each conversion
# makes a new leaf (detach + requires_grad_) or wraps the result in a Parameter, and the scaled
# weights used in the model are computed from the leaves at every step.
import torch
import torch.nn as nn

torch.manual_seed(0)

t = torch.linspace(0, 4, 200, dtype=torch.float64)
y = 1.7 * torch.exp(-0.6 * t) * torch.cos(3.0 * t) + 0.02 * torch.randn(200, dtype=torch.float64)

amplitude = torch.ones(1, requires_grad=True)
amplitude = amplitude.detach().double().requires_grad_()
decay = torch.full((1,), 0.1, requires_grad=True)
decay = nn.Parameter(decay.double())
freq = torch.tensor([2.5], requires_grad=True)
freq = freq.detach().to(torch.float64).requires_grad_(True)

optimizer = torch.optim.Adam([amplitude, decay, freq], lr=0.05)
for step in range(80):
    rate = decay.abs()  # computed from the leaf at every step, never handed to the optimizer
    pred = amplitude * torch.exp(-rate * t) * torch.cos(freq * t)
    loss = ((pred - y) ** 2).mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if step % 20 == 0:
        print(f"step {step}: loss {loss.item():.5f}")
