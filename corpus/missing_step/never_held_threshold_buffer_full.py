"""An online value model that learns from each new transition, and starts applying its updates once
the replay buffer is full. The buffer is a deque with `maxlen=WARMUP`, so its length never exceeds
WARMUP: the test `len(buffer) > WARMUP` never holds and the optimizer never steps."""
from collections import deque

import torch
import torch.nn as nn

torch.manual_seed(0)
WARMUP = 8

value = nn.Sequential(nn.Linear(4, 32), nn.Tanh(), nn.Linear(32, 1))
optimizer = torch.optim.SGD(value.parameters(), lr=0.05)
buffer = deque(maxlen=WARMUP)

state = torch.randn(4)
for t in range(40):
    next_state = torch.randn(4)
    reward = float(next_state.sum() > 0)
    buffer.append((state, reward, next_state))
    with torch.no_grad():
        target = reward + 0.9 * value(next_state)
    loss = (value(state) - target).pow(2).mean()
    loss.backward()
    if len(buffer) > WARMUP:
        optimizer.step()
        optimizer.zero_grad()
    state = next_state
print(f"last loss {loss.item():.4f}")
