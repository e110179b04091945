# Correct: a named-tuple recurrent state carried across windows and detached at each boundary.
from collections import namedtuple

import torch
import torch.nn as nn

State = namedtuple("State", "h c")
cell = nn.LSTMCell(2, 12)
head = nn.Linear(12, 1)
optimizer = torch.optim.Adam(list(cell.parameters()) + list(head.parameters()), lr=1e-2)
signal = torch.randn(300, 1, 2).cumsum(0) * 0.05
state = State(torch.zeros(1, 12), torch.zeros(1, 12))
for start in range(0, 280, 20):
    state = State(*(t.detach() for t in state))
    loss = 0.0
    for t in range(start, start + 20):
        state = State(*cell(signal[t], tuple(state)))
        loss = loss + (head(state.h) - signal[t + 1, :, :1]).pow(2).mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
