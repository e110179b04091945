"""A GRU cell written from scratch, with an nn.Linear readout: the gate weights are drawn with
`torch.randn(...) * 0.1` and the gate biases start at zero, all kept as plain tensors."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class ScratchGRUCell(nn.Module):
    def __init__(self, n_in, n_hidden):
        super().__init__()
        self.n_hidden = n_hidden
        self.w_gates = torch.randn(n_in + n_hidden, 2 * n_hidden) * 0.1
        self.b_gates = torch.zeros(2 * n_hidden)
        self.w_cand = torch.randn(n_in + n_hidden, n_hidden) * 0.1
        self.b_cand = torch.zeros(n_hidden)

    def forward(self, x, h):
        xh = torch.cat([x, h], dim=1)
        z, r = torch.sigmoid(xh @ self.w_gates + self.b_gates).chunk(2, dim=1)
        cand = torch.tanh(torch.cat([x, r * h], dim=1) @ self.w_cand + self.b_cand)
        return (1 - z) * h + z * cand


class SequenceRegressor(nn.Module):
    def __init__(self, n_in, n_hidden):
        super().__init__()
        self.cell = ScratchGRUCell(n_in, n_hidden)
        self.head = nn.Linear(n_hidden, 1)

    def forward(self, seq):
        h = torch.zeros(seq.size(0), self.cell.n_hidden)
        for t in range(seq.size(1)):
            h = self.cell(seq[:, t], h)
        return self.head(h)


torch.manual_seed(0)
seq = torch.randn(128, 12, 3)
target = seq[:, :, 0].cumsum(1)[:, -1:] * 0.2

model = SequenceRegressor(3, 16)
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
for step in range(60):
    loss = F.mse_loss(model(seq), target)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if step % 20 == 0:
        print(step, round(loss.item(), 4))
