# Truncated BPTT with every carried value detached: the GRU state between chunks, and the running
# loss average kept for logging as a float.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
signal = torch.sin(torch.linspace(0, 60, 1201))[None, :, None] + 0.05 * torch.randn(1, 1201, 1)

gru = nn.GRU(1, 32, batch_first=True)
readout = nn.Linear(32, 1)
optimizer = torch.optim.Adam([*gru.parameters(), *readout.parameters()], lr=3e-3)

h = None
running = 0.0
for start in range(0, 1200, 50):
    chunk, target = signal[:, start:start + 50], signal[:, start + 1:start + 51]
    out, h = gru(chunk, h)
    h = h.detach()
    loss = F.mse_loss(readout(out), target)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    running = 0.9 * running + 0.1 * loss.item()
print(f"running mse {running:.5f}")
