"""Learned sampling offsets: the model reads a 1-D signal at K learned positions (x[..., idx]) and
classifies from the samples. The positions are floored to integers to index the last axis."""
import torch
import torch.nn as nn

torch.manual_seed(11)
LENGTH, TAPS = 24, 3


class TapReader(nn.Module):
    def __init__(self):
        super().__init__()
        self.offsets = nn.Parameter(torch.tensor([4.3, 9.6, 15.2]))
        self.classify = nn.Linear(TAPS, 2)

    def forward(self, signal):
        where = self.offsets.clamp(0, LENGTH - 1)
        idx = where.floor().long()
        idx_frac = where - idx.to(where.dtype)
        taps = (1 - idx_frac) * signal[..., idx] + idx_frac * signal[..., (idx + 1).clamp(max=signal.size(-1) - 1)]
        return self.classify(taps)


signal = torch.randn(64, LENGTH)
labels = (signal[:, 12] > 0).long()
reader = TapReader()
opt = torch.optim.Adam(reader.parameters(), lr=0.05)
for epoch in range(15):
    loss = nn.functional.cross_entropy(reader(signal), labels)
    opt.zero_grad()
    loss.backward()
    opt.step()
print(loss.item())
