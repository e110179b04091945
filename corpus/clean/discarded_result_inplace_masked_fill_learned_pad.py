# Fault detection on variable-length machine cycles: each cycle is a 3-channel signal padded to
# 64 steps; the padding is overwritten in place with a learned pad level before a 1-D
# convolution net pooled over time (mean and max) classifies the cycle as healthy or faulty.
import torch
import torch.nn.functional as F
from torch import nn

torch.manual_seed(0)
STEPS, CHANNELS, CYCLES = 64, 3, 768


def make_cycles(count):
    lengths = torch.randint(24, STEPS + 1, (count,))
    faulty = torch.rand(count) < 0.5
    t = torch.linspace(0, 6.28, STEPS)
    signal = torch.sin(t)[None, None] * torch.ones(count, CHANNELS, 1) + 0.3 * torch.randn(count, CHANNELS, STEPS)
    spike_at = (torch.rand(count) * (lengths - 4).float()).long()
    for i in torch.nonzero(faulty).squeeze(1).tolist():
        signal[i, 1, spike_at[i]:spike_at[i] + 3] += 2.5
    pad = torch.arange(STEPS)[None] >= lengths[:, None]
    signal = signal.masked_fill(pad[:, None], 0.0)
    return signal, pad, faulty.long()


class CycleNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.inp = nn.Conv1d(CHANNELS, 32, 5, padding=2)
        self.pad_value = nn.Parameter(torch.tensor(0.0))
        self.body = nn.Sequential(nn.GELU(), nn.Conv1d(32, 32, 5, padding=2), nn.GELU())
        self.head = nn.Linear(64, 2)

    def forward(self, signal, pad):
        h = self.inp(signal)
        h.masked_fill_(pad[:, None], self.pad_value)
        h = self.body(h)
        return self.head(torch.cat([h.mean(-1), h.amax(-1)], dim=1))


signal, pad, labels = make_cycles(CYCLES)
model = CycleNet()
optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)

for epoch in range(4):
    order = torch.randperm(CYCLES)
    for i in range(0, CYCLES, 64):
        idx = order[i:i + 64]
        loss = F.cross_entropy(model(signal[idx], pad[idx]), labels[idx])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}  loss {loss.item():.4f}  pad level {model.pad_value.item():.3f}")

test_signal, test_pad, test_labels = make_cycles(256)
with torch.no_grad():
    accuracy = (model(test_signal, test_pad).argmax(1) == test_labels).float().mean().item()
print(f"test accuracy {accuracy:.3f}")
