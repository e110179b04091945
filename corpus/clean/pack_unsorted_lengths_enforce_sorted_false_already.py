# Human activity recognition from wrist accelerometer recordings (walking, running, sitting,
# climbing stairs): each recording has its own number of samples and comes zero-padded from a
# shuffling DataLoader. A GRU reads the packed recordings, told the batch is not sorted by length;
# its outputs, unpacked back into the batch's order, are averaged over the real samples and
# classified.
import math

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
MAX_SAMPLES, ACTIVITIES, HIDDEN = 50, 4, 32


def record(count):
    activity = torch.randint(0, ACTIVITIES, (count,))
    lengths = torch.randint(15, MAX_SAMPLES + 1, (count,))
    cadence = torch.tensor([1.8, 2.8, 0.0, 1.3])[activity][:, None]
    energy = torch.tensor([1.0, 2.2, 0.05, 1.4])[activity][:, None]
    t = torch.arange(MAX_SAMPLES)[None, :] / 20.0
    phase = torch.rand(count, 1) * 2 * math.pi
    vertical = energy * torch.sin(2 * math.pi * cadence * t + phase) + 1.0
    forward = 0.4 * energy * torch.cos(2 * math.pi * cadence * t + phase) + 0.3 * (activity == 3)[:, None]
    side = 0.1 * torch.randn(count, MAX_SAMPLES)
    signal = torch.stack([vertical, forward, side], dim=-1) + 0.1 * torch.randn(count, MAX_SAMPLES, 3)
    mask = torch.arange(MAX_SAMPLES)[None, :] < lengths[:, None]
    return signal * mask[..., None], lengths, activity


class ActivityNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.gru = nn.GRU(3, HIDDEN, batch_first=True)
        self.out = nn.Linear(HIDDEN, ACTIVITIES)

    def forward(self, signal, lengths):
        packed = pack_padded_sequence(signal, lengths, batch_first=True, enforce_sorted=False)
        outputs, _ = self.gru(packed)
        padded, out_lengths = pad_packed_sequence(outputs, batch_first=True)
        return self.out(padded.sum(1) / out_lengths[:, None].float())


signal, lengths, activity = record(240)
loader = DataLoader(TensorDataset(signal, lengths, activity), batch_size=24, shuffle=True)
model = ActivityNet()
optimizer = torch.optim.Adam(model.parameters(), lr=5e-3)

for epoch in range(4):
    total, correct = 0.0, 0
    for batch_signal, batch_lengths, batch_activity in loader:
        logits = model(batch_signal, batch_lengths)
        loss = nn.functional.cross_entropy(logits, batch_activity)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item()
        correct += (logits.argmax(1) == batch_activity).sum().item()
    print(f"epoch {epoch}: loss {total / len(loader):.4f}, accuracy {correct / len(signal):.2f}")
