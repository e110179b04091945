# A hand-written recurrent cell that returns its state as a named tuple (hidden, cell), trained
# with truncated BPTT over a long sine wave; the state is carried from one window to the next.
from typing import NamedTuple

import torch
import torch.nn as nn


class CellState(NamedTuple):
    hidden: torch.Tensor
    cell: torch.Tensor


class GatedCell(nn.Module):
    def __init__(self, n_in, n_hidden):
        super().__init__()
        self.gates = nn.Linear(n_in + n_hidden, 4 * n_hidden)
        self.n_hidden = n_hidden

    def forward(self, x, state):
        i, f, g, o = self.gates(torch.cat([x, state.hidden], dim=-1)).chunk(4, dim=-1)
        cell = torch.sigmoid(f) * state.cell + torch.sigmoid(i) * torch.tanh(g)
        hidden = torch.sigmoid(o) * torch.tanh(cell)
        return hidden, CellState(hidden, cell)


cell = GatedCell(1, 16)
readout = nn.Linear(16, 1)
optimizer = torch.optim.Adam(list(cell.parameters()) + list(readout.parameters()), lr=1e-2)
wave = torch.sin(torch.linspace(0, 40, 801)).reshape(-1, 1, 1)
state = CellState(torch.zeros(1, 16), torch.zeros(1, 16))
for start in range(0, 760, 40):
    window, target = wave[start : start + 40], wave[start + 1 : start + 41]
    outputs = []
    for x in window:
        hidden, state = cell(x, state)
        outputs.append(readout(hidden))
    loss = nn.functional.mse_loss(torch.stack(outputs), target)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
